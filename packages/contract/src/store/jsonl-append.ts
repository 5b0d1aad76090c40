/**
 * Append-only JSONL (spec 10 §1.3): one compact JSON object per `\n`-terminated line, never
 * rewritten. The whole batch goes out in one write() on an O_APPEND fd, so concurrent appenders
 * (other processes included) never interleave inside a line.
 */
import { type FileHandle, open } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { asWriteError } from "./atomic-write.js";
import { ensureDirectory } from "./directories.js";
import { errnoCode } from "./fs-errors.js";

const NEWLINE = 0x0a;
/** Consecutive identical looks at a non-newline tail before we call it torn. */
const TORN_TAIL_CONFIRMATIONS = 3;
const TORN_TAIL_RECHECK_MS = 2;
/** Give up waiting for a quiet moment on a file that never stops growing. */
const TORN_TAIL_MAX_CHECKS = 50;

/** One JSONL record: a JSON object (arrays and scalars are not records). */
export type JsonlRecord = object;

/** Append one record or a batch of records to `file`. Parent directories are created. */
export async function appendJsonl(
  file: string,
  records: JsonlRecord | readonly JsonlRecord[],
): Promise<void> {
  const batch: readonly JsonlRecord[] = Array.isArray(records) ? records : [records as JsonlRecord];
  if (batch.length === 0) return;
  let text = "";
  for (const record of batch) text += `${formatJsonlRecord(record)}\n`;

  try {
    await appendText(file, text);
  } catch (error) {
    throw asWriteError(file, error);
  }
}

async function appendText(file: string, text: string): Promise<void> {
  const handle = await openForAppend(file);
  try {
    const bytes = Buffer.from((await endsWithTornLine(handle)) ? `\n${text}` : text, "utf8");
    let written = 0;
    // A regular-file write is complete unless the disk is full or a signal interrupts it; keep
    // going rather than silently dropping the rest.
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
      written += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

/**
 * "a+" = O_APPEND | O_CREAT | O_RDWR: appends always land at the current end, and we may pread the
 * last byte to detect a torn previous append. The parent is created only when missing.
 */
async function openForAppend(file: string): Promise<FileHandle> {
  try {
    return await open(file, "a+", 0o644);
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw error;
    await ensureDirectory(path.dirname(file));
    return await open(file, "a+", 0o644);
  }
}

/** The compact single-line form of one record (JSON escapes newlines, so it is always one line). */
export function formatJsonlRecord(record: JsonlRecord): string {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new TypeError("a JSONL record must be a JSON object");
  }
  const text = JSON.stringify(record);
  if (typeof text !== "string") throw new TypeError("JSONL record is not JSON-serialisable");
  return text;
}

/**
 * True when the file ends with a line that is missing its `\n` (a crashed writer), so our first
 * record must start on a new line. The last byte alone cannot tell: while another appender's
 * write() is in flight the kernel grows the size page by page, and stat/pread (which do not wait
 * for the writer) see a line that is still being written. In-flight writes end within microseconds;
 * a torn tail stays put, so it counts as torn only when it looks the same a few times in a row.
 * (Two appenders repairing the same torn tail at once may still leave one empty line; readers skip it.)
 */
async function endsWithTornLine(handle: FileHandle): Promise<boolean> {
  const lastByte = Buffer.alloc(1);
  let previousSize = -1;
  let confirmations = 0;
  for (let check = 0; check < TORN_TAIL_MAX_CHECKS; check += 1) {
    const { size } = await handle.stat();
    if (size === 0) return false;
    await handle.read(lastByte, 0, 1, size - 1);
    if (lastByte[0] === NEWLINE) return false;
    confirmations = size === previousSize ? confirmations + 1 : 1;
    if (confirmations >= TORN_TAIL_CONFIRMATIONS) return true;
    previousSize = size;
    await sleep(TORN_TAIL_RECHECK_MS);
  }
  return true;
}
