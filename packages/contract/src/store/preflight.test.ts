import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertWritable } from "./preflight.js";
import { makeTempDir } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

describe("assertWritable", () => {
  it("creates missing parents, accepts new and existing files, and writes no file", async () => {
    const existing = path.join(dir, "state.json");
    await writeFile(existing, "keep");
    await assertWritable([existing, path.join(dir, "a", "b", "telemetry.jsonl")]);
    expect((await stat(path.join(dir, "a", "b"))).isDirectory()).toBe(true);
    expect(await readdir(path.join(dir, "a", "b"))).toEqual([]);
    expect(await readFile(existing, "utf8")).toBe("keep");
  });

  it("refuses a target that is a directory, named as the operator gave it", async () => {
    await mkdir(path.join(dir, "out"));
    await expect(
      assertWritable([path.join(dir, "ok.json"), { file: path.join(dir, "out"), shown: "out" }]),
    ).rejects.toThrow("cannot write out (EISDIR)");
  });

  it("refuses a target below a regular file", async () => {
    await writeFile(path.join(dir, "blocker"), "x");
    await expect(assertWritable([path.join(dir, "blocker", "x.json")])).rejects.toThrow(
      `cannot create directory ${path.join(dir, "blocker")} (ENOTDIR)`,
    );
  });

  // Root may write anywhere, so the permission case only means something for another user.
  it.runIf(process.getuid?.() !== 0)("refuses a read-only file", async () => {
    const file = path.join(dir, "ro.json");
    await writeFile(file, "x");
    await chmod(file, 0o444);
    await expect(assertWritable([file])).rejects.toThrow(`cannot write ${file} (EACCES)`);
  });
});
