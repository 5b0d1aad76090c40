/**
 * Reading the end of an append-only JSONL file without loading it: the last N complete lines
 * (a telemetry window, the newest intent). Lines are the `\n`-terminated ones (spec 10 §1.3); a
 * final fragment without `\n` is returned apart as `partial`, for the caller to judge (Q10-1).
 */
import { open } from "node:fs/promises";
import { readFully } from "./read-fully.js";

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
