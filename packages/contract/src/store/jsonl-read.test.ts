import { appendFile, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  countNewlines,
  forEachJsonlLine,
  type JsonlLine,
  type JsonlPosition,
  type JsonlReadOptions,
  readJsonlLines,
  readLastCompleteLine,
} from "./jsonl-read.js";
import { makeTempDir } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

/** Reference implementation: the whole file in memory, split on byte 0x0a. */
function naiveLines(content: Buffer, startByte = 0, startLine = 0, endByte = content.length) {
  const lines: JsonlLine[] = [];
  let lineStart = startByte;
  let lineNumber = startLine;
  for (let index = startByte; index < Math.min(endByte, content.length); index += 1) {
    if (content[index] !== 0x0a) continue;
    lineNumber += 1;
    lines.push({
      lineNumber,
      byteStart: lineStart,
      byteEnd: index + 1,
      text: content.toString("utf8", lineStart, index),
    });
    lineStart = index + 1;
  }
  const last = lines.at(-1);
  const end: JsonlPosition = last
    ? { byte: last.byteEnd, line: last.lineNumber }
    : { byte: startByte, line: startLine };
  return { lines, end };
}

function naiveLastCompleteLine(content: Buffer, endByte = content.length) {
  const { lines } = naiveLines(content, 0, 0, endByte);
  const last = lines.filter((line) => line.text !== "").at(-1);
  return last ? { text: last.text, byteStart: last.byteStart, byteEnd: last.byteEnd } : null;
}

async function collect(file: string, options: JsonlReadOptions = {}) {
  const lines: JsonlLine[] = [];
  const iterator = readJsonlLines(file, options);
  for (;;) {
    const step = await iterator.next();
    if (step.done === true) return { lines, end: step.value };
    lines.push(step.value);
  }
}

async function collectWithVisitor(file: string, options: JsonlReadOptions = {}) {
  const lines: JsonlLine[] = [];
  const end = await forEachJsonlLine(
    file,
    (text, lineNumber, byteStart, byteEnd) => {
      lines.push({ lineNumber, byteStart, byteEnd, text });
    },
    options,
  );
  return { lines, end };
}

async function fileWith(content: string | Buffer, name = "events.jsonl"): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

describe("readJsonlLines", () => {
  it("yields newline-terminated lines with 1-based numbers and byte ranges", async () => {
    const file = await fileWith('{"a":1}\n\n{"b":2}\n');
    expect(await collect(file)).toEqual({
      lines: [
        { lineNumber: 1, byteStart: 0, byteEnd: 8, text: '{"a":1}' },
        { lineNumber: 2, byteStart: 8, byteEnd: 9, text: "" },
        { lineNumber: 3, byteStart: 9, byteEnd: 17, text: '{"b":2}' },
      ],
      end: { byte: 17, line: 3 },
    });
  });

  it("does not yield an unterminated final line, and picks it up once it is finished", async () => {
    const file = await fileWith('{"a":1}\n{"b":');
    const first = await collect(file);
    expect(first.lines.map((line) => line.text)).toEqual(['{"a":1}']);
    expect(first.end).toEqual({ byte: 8, line: 1 });

    await appendFile(file, '2}\n{"c":3}\n');
    const resumed = await collect(file, { startByte: first.end.byte, startLine: first.end.line });
    expect(resumed.lines).toEqual([
      { lineNumber: 2, byteStart: 8, byteEnd: 16, text: '{"b":2}' },
      { lineNumber: 3, byteStart: 16, byteEnd: 24, text: '{"c":3}' },
    ]);
    expect(resumed.end).toEqual({ byte: 24, line: 3 });
  });

  it("returns the start position when there is nothing new", async () => {
    const file = await fileWith("x\n");
    expect(await collect(file, { startByte: 2, startLine: 1 })).toEqual({
      lines: [],
      end: { byte: 2, line: 1 },
    });
    expect(await collect(await fileWith("", "empty.jsonl"))).toEqual({
      lines: [],
      end: { byte: 0, line: 0 },
    });
  });

  it("reads lines far longer than the buffer", async () => {
    const long = "x".repeat(10_000);
    const file = await fileWith(`a\n${long}\nb\n${long}y\n`);
    const { lines } = await collect(file, { chunkSize: 7 });
    expect(lines.map((line) => line.text)).toEqual(["a", long, "b", `${long}y`]);
  });

  it("decodes multi-byte UTF-8 characters split across chunk boundaries", async () => {
    const text = "é€😀 naïve ✓ 日本語";
    const content = Buffer.from(`${text}\n${text}${text}\n`);
    const file = await fileWith(content);
    for (const chunkSize of [1, 2, 3, 5, 8]) {
      const { lines } = await collect(file, { chunkSize });
      expect(lines.map((line) => line.text)).toEqual([text, `${text}${text}`]);
      expect(lines.at(-1)?.byteEnd).toBe(content.length);
    }
  });

  it("stops before endByte even when the file has grown", async () => {
    const file = await fileWith("1\n2\n");
    const counted = await countNewlines(file);
    await appendFile(file, "3\n");
    const { lines, end } = await collect(file, { endByte: counted.byte });
    expect(lines.map((line) => line.text)).toEqual(["1", "2"]);
    expect(end).toEqual(counted);
  });

  it("lets the visitor stop early and reports the position after its last line", async () => {
    const file = await fileWith("1\n2\n3\n");
    const seen: string[] = [];
    const end = await forEachJsonlLine(file, (text) => {
      seen.push(text);
      return seen.length < 2;
    });
    expect(seen).toEqual(["1", "2"]);
    expect(end).toEqual({ byte: 4, line: 2 });
  });

  it("throws ENOENT for a missing file and RangeError for bad options", async () => {
    await expect(collect(path.join(dir, "missing.jsonl"))).rejects.toMatchObject({ code: "ENOENT" });
    const file = await fileWith("x\n");
    await expect(collect(file, { startByte: -1 })).rejects.toThrow(RangeError);
    await expect(countNewlines(file, { chunkSize: 0 })).rejects.toThrow(RangeError);
  });
});

describe("countNewlines", () => {
  it("counts newlines only, from an offset, and returns where to resume", async () => {
    const file = await fileWith("a\n\nb\nunterminated");
    expect(await countNewlines(file)).toEqual({ byte: 5, line: 3 });
    expect(await countNewlines(file, { startByte: 2, startLine: 1 })).toEqual({ byte: 5, line: 3 });
    expect(await countNewlines(file, { startByte: 5, startLine: 3, chunkSize: 2 })).toEqual({
      byte: 5,
      line: 3,
    });
  });
});

describe("readLastCompleteLine", () => {
  it("returns the last non-empty terminated line, skipping a torn tail and trailing blank lines", async () => {
    expect(await readLastCompleteLine(await fileWith('{"a":1}\n{"b":2}\n'))).toEqual({
      text: '{"b":2}',
      byteStart: 8,
      byteEnd: 16,
    });
    expect(
      await readLastCompleteLine(await fileWith('{"a":1}\n{"b":2}\n\n\n{"torn'), { chunkSize: 3 }),
    ).toEqual({
      text: '{"b":2}',
      byteStart: 8,
      byteEnd: 16,
    });
  });

  it("returns null when there is no complete non-empty line", async () => {
    expect(await readLastCompleteLine(await fileWith(""))).toBeNull();
    expect(await readLastCompleteLine(await fileWith("\n\n\n"))).toBeNull();
    expect(await readLastCompleteLine(await fileWith("no newline yet"))).toBeNull();
  });

  it("handles a last line longer than the chunk, with multi-byte characters", async () => {
    const long = "日本語😀".repeat(500);
    const file = await fileWith(`first\n${long}\n`);
    expect(await readLastCompleteLine(file, { chunkSize: 5 })).toMatchObject({ text: long, byteStart: 6 });
  });
});

describe("streaming readers agree with a naive split (property)", () => {
  // One file rewritten per run: the property is about content and offsets, not about file names.
  let propertyDir: string;
  let propertyCleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: propertyDir, cleanup: propertyCleanup } = await makeTempDir());
  });
  afterAll(() => propertyCleanup());

  const piece = fc.constantFrom("\n", "\n", "\n", "", "a", "{", "}", '"', "é", "€", "😀", " ", "\r", "日本");
  const content = fc.array(piece, { maxLength: 80 }).map((pieces) => Buffer.from(pieces.join("")));

  it("for random contents, offsets, limits and chunk sizes", async () => {
    const file = path.join(propertyDir, "random.jsonl");
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.nat(),
        fc.nat(),
        fc.option(fc.nat(), { nil: undefined }),
        fc.integer({ min: 1, max: 12 }),
        async (bytes, startSeed, startLine, endSeed, chunkSize) => {
          await writeFile(file, bytes);
          // Offsets anywhere in the file, including inside multi-byte characters and at EOF.
          const startByte = startSeed % (bytes.length + 1);
          const endByte = endSeed === undefined ? undefined : endSeed % (bytes.length + 2);
          const options: JsonlReadOptions = {
            startByte,
            startLine,
            chunkSize,
            ...(endByte === undefined ? {} : { endByte }),
          };
          const expected = naiveLines(bytes, startByte, startLine, endByte ?? bytes.length);

          expect(await collect(file, options)).toEqual(expected);
          expect(await collectWithVisitor(file, options)).toEqual(expected);
          expect(await countNewlines(file, options)).toEqual(expected.end);
          const lastLineOptions = { chunkSize, ...(endByte === undefined ? {} : { endByte }) };
          expect(await readLastCompleteLine(file, lastLineOptions)).toEqual(
            naiveLastCompleteLine(bytes, endByte),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
