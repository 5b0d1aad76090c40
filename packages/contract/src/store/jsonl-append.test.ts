import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendJsonl, formatJsonlRecord } from "./jsonl-append.js";
import { appendPayload } from "./test-fixtures/payloads.js";
import { makeTempDir, runWorker } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

describe("appendJsonl", () => {
  it("appends compact newline-terminated lines, creating parent directories", async () => {
    const file = path.join(dir, "telemetry", "reconcile.jsonl");
    await appendJsonl(file, { a: 1, text: "two\nlines" });
    await appendJsonl(file, [{ b: 2 }, { c: [3] }]);
    await appendJsonl(file, []);
    expect(await readFile(file, "utf8")).toBe('{"a":1,"text":"two\\nlines"}\n{"b":2}\n{"c":[3]}\n');
  });

  it("never rewrites existing content", async () => {
    const file = path.join(dir, "log.jsonl");
    await writeFile(file, '{"kept":"exactly as it was"}\n');
    await appendJsonl(file, { next: true });
    expect(await readFile(file, "utf8")).toBe('{"kept":"exactly as it was"}\n{"next":true}\n');
  });

  it("terminates a torn previous line before appending", async () => {
    const file = path.join(dir, "log.jsonl");
    await writeFile(file, '{"whole":1}\n{"torn":');
    await appendJsonl(file, { after: 2 });
    expect(await readFile(file, "utf8")).toBe('{"whole":1}\n{"torn":\n{"after":2}\n');
  });

  it("names the file and the errno code when a parent path is a regular file", async () => {
    await writeFile(path.join(dir, "blocker"), "x");
    const file = path.join(dir, "blocker", "log.jsonl");
    await expect(appendJsonl(file, { a: 1 })).rejects.toThrow(`cannot write ${file} (ENOTDIR)`);
    expect(await readFile(path.join(dir, "blocker"), "utf8")).toBe("x");
  });

  it("accepts only JSON objects as records", async () => {
    const file = path.join(dir, "log.jsonl");
    await expect(appendJsonl(file, [1] as unknown as object[])).rejects.toThrow(TypeError);
    expect(() => formatJsonlRecord([1, 2])).toThrow(TypeError);
    expect(() => formatJsonlRecord(null as unknown as object)).toThrow(TypeError);
  });

  it("keeps every line whole when several processes append concurrently", async () => {
    const file = path.join(dir, "shared.jsonl");
    const workers = ["a", "b", "c", "d"];
    const perWorker = 60; // sizes cycle up to 70 KB, well past any pipe/page buffer
    await Promise.all(workers.map((id) => runWorker(["append", file, id, String(perWorker)])));

    const content = await readFile(file, "utf8");
    expect(content.endsWith("\n")).toBe(true);
    const lines = content.slice(0, -1).split("\n");
    expect(lines).toHaveLength(workers.length * perWorker);
    const seen = new Map<string, number[]>();
    for (const line of lines) {
      const record = JSON.parse(line) as { worker: string; index: number };
      expect(record).toEqual(appendPayload(record.worker, record.index));
      seen.set(record.worker, [...(seen.get(record.worker) ?? []), record.index]);
    }
    // Each worker's own records stay in its order.
    for (const id of workers) expect(seen.get(id)).toEqual(Array.from({ length: perWorker }, (_, i) => i));
  });
});
