/**
 * Reading the end of an append-only JSONL file without loading the whole file: the telemetry summary
 * window (spec 18 §3, "last W lines") and the newest intent (spec 14 §2, "last line").
 *
 * Lines are the `\n`-terminated ones (spec 10 §1.3). A final fragment without `\n` is kept apart as
 * `partial`: callers count it as a line only when it is already a complete JSON object (a writer that
 * has not flushed its newline yet, or a hand-written file); a half-written fragment is "not yet
 * written" (Q10-1).
 */
import { readTailLines, type TailLines, type TailOptions } from "@ops/contract";

export { readTailLines, type TailLines, type TailOptions };

import { isJsonObject, type JsonObject } from "./util.js";

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
 * take their slot in the window but yield no record (only unparseable ones count as `skipped`). An
 * unterminated final fragment is still being written and is not part of the window.
 */
export async function readWindowRecords(
  file: string,
  window: number,
  options: TailOptions = {},
): Promise<WindowRecords> {
  // An unterminated final fragment is "not yet written" (Q10-1): the window is complete lines only.
  const tail = await readTailLines(file, window, options);
  const records: JsonObject[] = [];
  let skipped = 0;
  for (const line of tail.lines) {
    const record = parseJsonObjectLine(line);
    if (record !== null) records.push(record);
    else if (line.trim().length > 0) skipped += 1;
  }
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
  // The last complete line; a fragment still being appended is ignored (Q10-1), as status does.
  const last = tail.lines[tail.lines.length - 1];
  return last === undefined ? null : parseJsonObjectLine(last);
}
