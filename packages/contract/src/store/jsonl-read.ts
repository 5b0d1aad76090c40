/**
 * Streaming readers for append-only JSONL files (runtime `events.jsonl`, manager telemetry).
 * Ingestion must cost O(new bytes): every reader starts at a byte offset, reads through one reused
 * buffer (64 KiB by default), finds line ends with Buffer#indexOf and decodes each line exactly once.
 *
 * Only `\n`-terminated lines exist: a final line without `\n` is "not yet written" (spec Q10-1,
 * Q11-2) and is neither yielded nor counted. Line numbers are physical and 1-based; an empty line is
 * a line (it consumes a number) whose text is "".
 *
 * A file that cannot be opened rejects with the fs error itself (check it with `isNotFoundError`).
 */

import { type FileHandle, open } from "node:fs/promises";
import { readFully } from "./read-fully.js";

const NEWLINE = 0x0a;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

/** A place in a JSONL file just after a complete line (or the start): what a cursor stores. */
export interface JsonlPosition {
  /** Byte offset just after the last complete line's `\n`. */
  readonly byte: number;
  /** Number of complete lines before `byte` (= the last line number read). */
  readonly line: number;
}

export interface JsonlLine {
  /** 1-based physical line number. */
  readonly lineNumber: number;
  /** Byte offset of the line's first byte. */
  readonly byteStart: number;
  /** Byte offset just after the line's `\n` (where the next line starts). */
  readonly byteEnd: number;
  /** The line without its `\n`, decoded as UTF-8. */
  readonly text: string;
}

export interface JsonlReadOptions {
  /** Where to start; must be the start of a line, e.g. a stored `JsonlPosition.byte` (default 0). */
  readonly startByte?: number;
  /** Lines before `startByte`; the first line read is numbered `startLine + 1` (default 0). */
  readonly startLine?: number;
  /**
   * Read no byte at or past this offset (default: to end of file). Pass the `byte` returned by
   * `countNewlines` to read exactly the lines that were counted even while the file grows.
   */
  readonly endByte?: number;
  /** Read buffer size in bytes (default 64 KiB; tests use tiny ones). */
  readonly chunkSize?: number;
}

/**
 * Called for each complete line; return `false` to stop after this line. Taking the fields as
 * arguments (rather than a JsonlLine object) keeps the hot loop free of per-line allocations.
 */
export type JsonlLineVisitor = (
  text: string,
  lineNumber: number,
  byteStart: number,
  byteEnd: number,
) => unknown;

/**
 * Yield every complete line from `startByte` on. The generator's return value is the position
 * after the last line yielded; when breaking out early, use the last line's `byteEnd`/`lineNumber`.
 * Throws the fs error (code ENOENT, …) when the file cannot be opened.
 */
export async function* readJsonlLines(
  file: string,
  options: JsonlReadOptions = {},
): AsyncGenerator<JsonlLine, JsonlPosition, undefined> {
  const scanner = await LineScanner.open(file, options);
  try {
    while (await scanner.fill()) {
      while (scanner.nextLine()) {
        yield {
          lineNumber: scanner.lineNumber,
          byteStart: scanner.lineStart,
          byteEnd: scanner.lineEnd,
          text: scanner.text,
        };
      }
    }
    return scanner.position();
  } finally {
    await scanner.close();
  }
}

/**
 * The allocation-free variant of `readJsonlLines` for hot paths (ingestion, benchmarks). Resolves
 * to the position after the last line visited.
 */
export async function forEachJsonlLine(
  file: string,
  visit: JsonlLineVisitor,
  options: JsonlReadOptions = {},
): Promise<JsonlPosition> {
  const scanner = await LineScanner.open(file, options);
  try {
    while (await scanner.fill()) {
      while (scanner.nextLine()) {
        if (visit(scanner.text, scanner.lineNumber, scanner.lineStart, scanner.lineEnd) === false) {
          return scanner.position();
        }
      }
    }
    return scanner.position();
  } finally {
    await scanner.close();
  }
}

/**
 * Count `\n` from `startByte` (spec 10 §2.1: line count = newline count). Returns the position
 * after the last newline: `line` = `startLine` + newlines found, `byte` = where counting can resume.
 */
export async function countNewlines(file: string, options: JsonlReadOptions = {}): Promise<JsonlPosition> {
  const { startByte, startLine, endByte, chunkSize } = resolveOptions(options);
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(chunkSize);
    let line = startLine;
    let byte = startByte;
    let readPosition = startByte;
    while (readPosition < endByte) {
      const { bytesRead } = await handle.read(
        buffer,
        0,
        Math.min(chunkSize, endByte - readPosition),
        readPosition,
      );
      if (bytesRead === 0) break;
      // Search a view of the bytes just read: the rest of the buffer holds stale data.
      const chunk = bytesRead === chunkSize ? buffer : buffer.subarray(0, bytesRead);
      let newline = chunk.indexOf(NEWLINE);
      while (newline !== -1) {
        line += 1;
        byte = readPosition + newline + 1;
        newline = chunk.indexOf(NEWLINE, newline + 1);
      }
      readPosition += bytesRead;
    }
    return { byte, line };
  } finally {
    await handle.close();
  }
}

export interface LastLine {
  readonly text: string;
  /** Byte offset of the line's first byte. */
  readonly byteStart: number;
  /** Byte offset just after the line's `\n`. */
  readonly byteEnd: number;
}

export interface LastLineOptions {
  /** Ignore bytes at or past this offset (default: end of file). */
  readonly endByte?: number;
  readonly chunkSize?: number;
}

/**
 * The last non-empty, `\n`-terminated line (the snapshot's "final event", spec 11 §2.1 and Q11-1),
 * or `null` when there is none. Reads backwards from the end in chunks: cost is the size of the
 * tail, not of the file.
 */
export async function readLastCompleteLine(
  file: string,
  options: LastLineOptions = {},
): Promise<LastLine | null> {
  const chunkSize = positiveInteger(options.chunkSize ?? DEFAULT_CHUNK_SIZE, "chunkSize");
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const limit = Math.min(
      size,
      options.endByte === undefined ? size : nonNegativeInteger(options.endByte, "endByte"),
    );
    const window = new BackwardWindow(handle, chunkSize);
    // The newline ending the candidate line; anything after the last newline is an unfinished line.
    let lineTerminator = await window.lastNewlineBefore(limit);
    while (lineTerminator !== -1) {
      const previousTerminator = await window.lastNewlineBefore(lineTerminator);
      const lineStart = previousTerminator + 1;
      if (lineStart < lineTerminator) {
        return {
          text: await window.text(lineStart, lineTerminator),
          byteStart: lineStart,
          byteEnd: lineTerminator + 1,
        };
      }
      lineTerminator = previousTerminator; // empty line: keep walking back
    }
    return null;
  } finally {
    await handle.close();
  }
}

/** The most recently read chunk while walking a file backwards, so runs of empty lines cost one read. */
class BackwardWindow {
  private readonly buffer: Buffer;
  private start = 0;
  private end = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly chunkSize: number,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkSize);
  }

  /** Absolute offset of the last `\n` strictly before `before`, or -1. */
  async lastNewlineBefore(before: number): Promise<number> {
    let high = before;
    while (high > 0) {
      if (!(this.start < high && high <= this.end)) await this.load(high);
      const found = this.buffer.lastIndexOf(NEWLINE, high - this.start - 1);
      if (found !== -1) return this.start + found;
      high = this.start;
    }
    return -1;
  }

  /** Decode bytes [from, to). */
  async text(from: number, to: number): Promise<string> {
    if (this.start <= from && to <= this.end) {
      return this.buffer.toString("utf8", from - this.start, to - this.start);
    }
    const bytes = Buffer.allocUnsafe(to - from);
    await readFully(this.handle, bytes, from);
    return bytes.toString("utf8");
  }

  /** Load the chunk that ends at `end`. */
  private async load(end: number): Promise<void> {
    const start = Math.max(0, end - this.chunkSize);
    await readFully(this.handle, this.buffer.subarray(0, end - start), start);
    this.start = start;
    this.end = end;
  }
}

/**
 * Forward line scanner over one growing buffer. Bytes of a line not yet terminated are kept at the
 * front of the buffer across reads; the buffer doubles only when one line outgrows it.
 */
class LineScanner {
  private buffer: Buffer;
  /** `buffer` limited to the valid bytes, so indexOf never matches stale data. */
  private view: Buffer;
  /** File offset of buffer[0]. */
  private bufferOffset: number;
  /** Next file offset to read. */
  private readPosition: number;
  /** Buffer index where the next line starts. */
  private lineStartIndex = 0;
  /** Buffer index from which to search for the next `\n` (bytes before it hold none). */
  private searchIndex = 0;

  lineNumber: number;
  lineStart: number;
  lineEnd: number;
  text = "";

  private constructor(
    private readonly handle: FileHandle,
    private readonly endByte: number,
    chunkSize: number,
    startByte: number,
    startLine: number,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkSize);
    this.view = this.buffer.subarray(0, 0);
    this.bufferOffset = startByte;
    this.readPosition = startByte;
    this.lineNumber = startLine;
    this.lineStart = startByte;
    this.lineEnd = startByte;
  }

  static async open(file: string, options: JsonlReadOptions): Promise<LineScanner> {
    const { startByte, startLine, endByte, chunkSize } = resolveOptions(options);
    const handle = await open(file, "r");
    return new LineScanner(handle, endByte, chunkSize, startByte, startLine);
  }

  /** Read more bytes; false at end of file (or `endByte`). */
  async fill(): Promise<boolean> {
    const pending = this.view.length - this.lineStartIndex;
    if (this.lineStartIndex > 0) {
      // Keep only the unfinished line, moved to the front.
      this.buffer.copyWithin(0, this.lineStartIndex, this.view.length);
      this.bufferOffset += this.lineStartIndex;
      this.searchIndex -= this.lineStartIndex;
      this.lineStartIndex = 0;
    } else if (pending === this.buffer.length) {
      // One line fills the whole buffer: grow it.
      const grown = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, pending);
      this.buffer = grown;
    }
    const wanted = Math.min(this.buffer.length - pending, this.endByte - this.readPosition);
    if (wanted <= 0) return false;
    const { bytesRead } = await this.handle.read(this.buffer, pending, wanted, this.readPosition);
    if (bytesRead === 0) return false;
    this.readPosition += bytesRead;
    this.view = this.buffer.subarray(0, pending + bytesRead);
    return true;
  }

  /** Advance to the next complete line in the buffer; false when more bytes are needed. */
  nextLine(): boolean {
    const newline = this.view.indexOf(NEWLINE, this.searchIndex);
    if (newline === -1) {
      this.searchIndex = this.view.length;
      return false;
    }
    this.text = this.buffer.toString("utf8", this.lineStartIndex, newline);
    this.lineNumber += 1;
    this.lineStart = this.bufferOffset + this.lineStartIndex;
    this.lineEnd = this.bufferOffset + newline + 1;
    this.lineStartIndex = newline + 1;
    this.searchIndex = newline + 1;
    return true;
  }

  position(): JsonlPosition {
    return { byte: this.lineEnd, line: this.lineNumber };
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

function resolveOptions(options: JsonlReadOptions) {
  return {
    startByte: nonNegativeInteger(options.startByte ?? 0, "startByte"),
    startLine: nonNegativeInteger(options.startLine ?? 0, "startLine"),
    endByte:
      options.endByte === undefined
        ? Number.POSITIVE_INFINITY
        : nonNegativeInteger(options.endByte, "endByte"),
    chunkSize: positiveInteger(options.chunkSize ?? DEFAULT_CHUNK_SIZE, "chunkSize"),
  };
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
