import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readLastJsonlRecord, readTailLines, readWindowRecords } from "./tail.js";

let temp: TempDir;
let file: string;
beforeEach(() => {
  temp = makeTempDir("ops-tail-");
  file = path.join(temp.path, "log.jsonl");
});
afterEach(() => temp.cleanup());

describe("readTailLines", () => {
  it.each([1, 2, 5, 1024])("matches a naive split for every count (chunk %i)", async (chunkSize) => {
    const content = 'a\n\nbb\nccc\né😀\n{"x":1}\npartial';
    writeFileSync(file, content);
    const complete = content.slice(0, content.lastIndexOf("\n")).split("\n");
    for (let count = 0; count <= complete.length + 2; count += 1) {
      const tail = await readTailLines(file, count, { chunkSize });
      expect(tail.lines).toEqual(count === 0 ? [] : complete.slice(-count));
      expect(tail.partial).toBe("partial");
    }
  });

  it("files without newline, empty files, trailing newline", async () => {
    writeFileSync(file, "");
    expect(await readTailLines(file, 3)).toEqual({ lines: [], partial: null, bytesRead: 0 });
    writeFileSync(file, "only");
    expect((await readTailLines(file, 3, { chunkSize: 2 })).lines).toEqual([]);
    expect((await readTailLines(file, 3, { chunkSize: 2 })).partial).toBe("only");
    writeFileSync(file, "x\ny\n");
    expect(await readTailLines(file, 5, { chunkSize: 1 })).toMatchObject({
      lines: ["x", "y"],
      partial: null,
    });
    writeFileSync(file, "\n");
    expect((await readTailLines(file, 5)).lines).toEqual([""]);
  });

  it("reads only the tail of a large file, not the whole file", async () => {
    // 64 MiB of zeros (sparse) followed by a few lines.
    writeFileSync(file, "");
    truncateSync(file, 64 * 1024 * 1024);
    const fd = openSync(file, "a");
    for (let i = 0; i < 1000; i += 1) writeSync(fd, `${JSON.stringify({ i })}\n`);
    closeSync(fd);
    const tail = await readTailLines(file, 3, { chunkSize: 4096 });
    expect(tail.lines).toEqual(['{"i":997}', '{"i":998}', '{"i":999}']);
    expect(tail.bytesRead).toBeLessThanOrEqual(4096);
    const window = await readWindowRecords(file, 200, { chunkSize: 4096 });
    expect(window.records).toHaveLength(200);
    expect(window.records[0]).toEqual({ i: 800 });
  });

  it("rejects with the fs error when the file is missing", async () => {
    await expect(readTailLines(path.join(temp.path, "nope"), 1)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("readLastJsonlRecord", () => {
  it("missing file → null; last line decides", async () => {
    expect(await readLastJsonlRecord(path.join(temp.path, "nope"))).toBeNull();
    writeFileSync(file, '{"a":1}\n{"a":2}\n');
    expect(await readLastJsonlRecord(file)).toEqual({ a: 2 });
    writeFileSync(file, '{"a":1}\n\n');
    expect(await readLastJsonlRecord(file)).toBeNull();
  });
});

describe("unterminated final fragments are not yet written (Q10-1)", () => {
  it("are ignored by the window and by the last-record reader", async () => {
    writeFileSync(file, '{"a":1}\n{"a":2}');
    expect(await readLastJsonlRecord(file)).toEqual({ a: 1 });
    expect((await readWindowRecords(file, 5)).records).toEqual([{ a: 1 }]);
  });
});
