import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureDirectory } from "./directories.js";
import { makeTempDir } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

describe("ensureDirectory", () => {
  it("creates every missing level and accepts an existing directory", async () => {
    const deep = path.join(dir, "a", "b", "c");
    await ensureDirectory(deep);
    await ensureDirectory(deep);
    expect((await stat(deep)).isDirectory()).toBe(true);
  });

  it("lets concurrent callers create the same tree", async () => {
    const deep = path.join(dir, "x", "y", "z");
    await Promise.all(Array.from({ length: 8 }, () => ensureDirectory(deep)));
    expect((await stat(deep)).isDirectory()).toBe(true);
  });

  it("rejects with one line naming the path when a file is in the way, and leaves the file alone", async () => {
    await writeFile(path.join(dir, "blocker"), "keep");
    await expect(ensureDirectory(path.join(dir, "blocker"))).rejects.toThrow(
      `cannot create directory ${path.join(dir, "blocker")} (ENOTDIR)`,
    );
    await expect(ensureDirectory(path.join(dir, "blocker", "below"))).rejects.toThrow(/\(ENOTDIR\)$/);
    expect(await readFile(path.join(dir, "blocker"), "utf8")).toBe("keep");
  });

  // Node 20's recursive mkdir never settles here; this one must fail instead of hanging.
  it.runIf(existsSync("/proc/self"))(
    "fails on a file system that will not create the directory (/proc)",
    async () => {
      await expect(ensureDirectory("/proc/ops-manager-nope/deeper")).rejects.toThrow(
        "cannot create directory /proc/ops-manager-nope/deeper (ENOENT)",
      );
    },
  );
});
