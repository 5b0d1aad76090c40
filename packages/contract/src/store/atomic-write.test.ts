import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatJson, writeFileAtomic, writeJsonAtomic } from "./atomic-write.js";
import { atomicDocument } from "./test-fixtures/payloads.js";
import { makeTempDir, spawnWorker, waitForOutput } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

describe("writeJsonAtomic", () => {
  it("writes compact JSON with a trailing newline, creating parent directories", async () => {
    const file = path.join(dir, "a", "b", "state.json");
    await writeJsonAtomic(file, { b: 1, list: [1, "x"], nested: { ok: true } });
    expect(await readFile(file, "utf8")).toBe('{"b":1,"list":[1,"x"],"nested":{"ok":true}}\n');
  });

  it("fails cleanly when a parent path is a regular file", async () => {
    await writeFile(path.join(dir, "blocker"), "not a directory");
    await expect(writeJsonAtomic(path.join(dir, "blocker", "state.json"), { v: 1 })).rejects.toThrow(
      `cannot create directory ${path.join(dir, "blocker")} (ENOTDIR)`,
    );
    expect(await readFile(path.join(dir, "blocker"), "utf8")).toBe("not a directory");
  });

  it("names the target and the errno code when the target is a directory, and leaves it alone", async () => {
    const target = path.join(dir, "state.json");
    await mkdir(path.join(target, "inside"), { recursive: true });
    await expect(writeJsonAtomic(target, { v: 1 })).rejects.toThrow(`cannot write ${target} (EISDIR)`);
    expect(await readdir(target)).toEqual(["inside"]);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("indents by two spaces with pretty", async () => {
    const file = path.join(dir, "cursor.json");
    await writeJsonAtomic(file, { a: 1, b: [2] }, { pretty: true });
    expect(await readFile(file, "utf8")).toBe('{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n');
  });

  it("replaces an existing file and leaves no temp files behind", async () => {
    const file = path.join(dir, "state.json");
    await writeFile(file, "old content that is longer than the new one");
    await writeJsonAtomic(file, { v: 1 });
    await Promise.all([1, 2, 3, 4, 5].map((v) => writeJsonAtomic(file, { v })));
    expect(JSON.parse(await readFile(file, "utf8"))).toHaveProperty("v");
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("removes its temp file and keeps the old content when the rename fails", async () => {
    const target = path.join(dir, "occupied");
    await mkdir(path.join(target, "child"), { recursive: true }); // a non-empty directory cannot be replaced
    await expect(writeFileAtomic(target, "x")).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(["occupied"]);
  });

  it("rejects values that are not JSON documents without touching the file", async () => {
    const file = path.join(dir, "state.json");
    await writeFile(file, "{}\n");
    await expect(writeJsonAtomic(file, undefined)).rejects.toThrow(TypeError);
    expect(formatJson(null)).toBe("null\n");
    expect(await readFile(file, "utf8")).toBe("{}\n");
  });

  it("never exposes a partial document, even to a reader racing a writer that gets SIGKILLed", async () => {
    const file = path.join(dir, "big.json");
    const writer = spawnWorker(["atomic-loop", file]);
    try {
      await waitForOutput(writer, "written");
      const generations = new Set<number>();
      // Each document is ~512 KiB, so a non-atomic writer would be caught mid-write by these reads.
      for (let read = 0; read < 150; read += 1) {
        const document = JSON.parse(await readFile(file, "utf8")) as { generation: number; body: string };
        expect(document).toEqual(atomicDocument(document.generation));
        generations.add(document.generation);
      }
      expect(generations.size).toBeGreaterThan(1); // the reads really overlapped the writes
    } finally {
      writer.kill("SIGKILL");
      await new Promise((resolve) => writer.once("exit", resolve));
    }
    const document = JSON.parse(await readFile(file, "utf8")) as { generation: number };
    expect(document).toEqual(atomicDocument(document.generation));
  });
});
