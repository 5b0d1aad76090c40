/**
 * Reading the end of an append-only JSONL file without loading the whole file: the telemetry summary
 * window (spec 18 §3, "last W lines") and the newest intent (spec 14 §2, "last line").
 *
 * Lines are the `\n`-terminated ones (spec 10 §1.3). A final fragment without `\n` is kept apart as
 * `partial`: callers count it as a line only when it is already a complete JSON object (a writer that
 * has not flushed its newline yet, or a hand-written file); a half-written fragment is "not yet
 * written" (Q10-1).
 */
import { open } from "node:fs/promises";
import { OpsError } from "@ops/contract";
import { isJsonObject, type JsonObject } from "./util.js";

const NEWLINE = 0x0a;
export const TAIL_CHUNK_SIZE = 64 * 1024;

export interface TailLines {
  /** The last (at most `maxLines`) complete lines, oldest first, without their `\n`. */
  readonly lines: string[];
  /** Bytes after the last `\n`, decoded; null when the file ends with `\n` (or is empty). */
  readonly partial: string | null;
  /** Bytes read from the end of the file to find them (the cost of the call). */
  readonly bytesRead: number;
}

export interface TailOptions {
  /** Read buffer size (default 64 KiB; tests use tiny ones). */
  readonly chunkSize?: number;
}

/**
 * The last `maxLines` complete lines of `file` plus its unterminated tail. Reads backwards in
 * chunks, so the cost is the size of the tail, not of the file. Rejects with the fs error when the
 * file cannot be opened (check `isNotFoundError`).
 */
export async function readTailLines(
  file: string,
  maxLines: number,
  options: TailOptions = {},
): Promise<TailLines> {
  if (!Number.isSafeInteger(maxLines) || maxLines < 0)
    throw new RangeError("maxLines must be a non-negative integer");
  const chunkSize = options.chunkSize ?? TAIL_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1)
    throw new RangeError("chunkSize must be a positive integer");
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    // Chunks read so far, newest first; `start` = file offset of chunks[last][0].
    const chunks: Buffer[] = [];
    let start = size;
    let lastNewline = -1; // absolute offset of the file's last "\n"
    let newlinesBeforeLast = 0; // "\n" seen before `lastNewline`
    // We need maxLines + 1 newlines at and before the last one: the extra one marks where the
    // oldest wanted line starts (or we reach the start of the file).
    while (start > 0 && (lastNewline === -1 || newlinesBeforeLast < maxLines)) {
      const from = Math.max(0, start - chunkSize);
      const chunk = Buffer.allocUnsafe(start - from);
      await readFully(handle, chunk, from);
      chunks.push(chunk);
      for (let index = chunk.length - 1; index >= 0; index -= 1) {
        if (chunk[index] !== NEWLINE) continue;
        if (lastNewline === -1) lastNewline = from + index;
        else newlinesBeforeLast += 1;
      }
      start = from;
    }
    const bytes = Buffer.concat(chunks.reverse());
    const partialStart = lastNewline === -1 ? 0 : lastNewline + 1 - start;
    const partial = partialStart < bytes.length ? bytes.toString("utf8", partialStart) : null;
    const bytesRead = bytes.length;
    if (lastNewline === -1 || maxLines === 0) return { lines: [], partial, bytesRead };
    const lines: string[] = [];
    let end = lastNewline - start; // index of the "\n" ending the current line
    while (lines.length < maxLines && end >= 0) {
      const previous = end === 0 ? -1 : bytes.lastIndexOf(NEWLINE, end - 1);
      lines.push(bytes.toString("utf8", previous + 1, end));
      end = previous;
      if (previous === -1) break;
    }
    return { lines: lines.reverse(), partial, bytesRead };
  } finally {
    await handle.close();
  }
}

async function readFully(
  handle: Awaited<ReturnType<typeof open>>,
  target: Buffer,
  position: number,
): Promise<void> {
  let filled = 0;
  while (filled < target.length) {
    const { bytesRead } = await handle.read(target, filled, target.length - filled, position + filled);
    // The file shrank under us (append-only files never do): do not return stale bytes.
    if (bytesRead === 0)
      throw new OpsError(`file shrank while reading at byte ${position + filled}`, { kind: "io" });
    filled += bytesRead;
  }
}

/** Parse one JSONL line as a JSON object; null for blank, unparseable or non-object lines. */
export function parseJsonObjectLine(text: string): JsonObject | null {
  if (text.trim().length === 0) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

export interface WindowRecords {
  /** Parsed records of the window, oldest first. */
  readonly records: JsonObject[];
  /** Non-blank lines in the window that were not a JSON object (skipped, Q18-4 careful). */
  readonly skipped: number;
}

/**
 * The records of the last `window` lines of a JSONL file (spec 18 §3). Unparseable and blank lines
 * take their slot in the window but yield no record (only unparseable ones count as `skipped`). An unterminated final fragment counts as the
 * newest line only when it parses as a JSON object.
 */
export async function readWindowRecords(
  file: string,
  window: number,
  options: TailOptions = {},
): Promise<WindowRecords> {
  const tail = await readTailLines(file, window, options);
  const partialRecord = tail.partial === null ? null : parseJsonObjectLine(tail.partial);
  const lines =
    partialRecord === null ? tail.lines : tail.lines.slice(Math.max(0, tail.lines.length - (window - 1)));
  const records: JsonObject[] = [];
  let skipped = 0;
  for (const line of lines) {
    const record = parseJsonObjectLine(line);
    if (record !== null) records.push(record);
    else if (line.trim().length > 0) skipped += 1;
  }
  if (partialRecord !== null && window > 0) records.push(partialRecord);
  return { records, skipped };
}

/**
 * The newest record of a JSONL file (spec 14 §2 `lastControlStatus`): the last line, or null when
 * the file is missing/unreadable or that line is blank or not a JSON object. Never throws.
 */
export async function readLastJsonlRecord(
  file: string,
  options: TailOptions = {},
): Promise<JsonObject | null> {
  let tail: TailLines;
  try {
    tail = await readTailLines(file, 1, options);
  } catch {
    // Missing or unreadable: "no status" (spec 14 §1), never an error.
    return null;
  }
  if (tail.partial !== null) {
    const record = parseJsonObjectLine(tail.partial);
    if (record !== null) return record;
  }
  const last = tail.lines[tail.lines.length - 1];
  return last === undefined ? null : parseJsonObjectLine(last);
}
