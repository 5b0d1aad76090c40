/**
 * Which file, and how big, a cursor last saw. Comparing identities tells a reader whether it may
 * resume at its stored byte offset (the file only grew) or must start over (truncated / replaced).
 */
import { stat } from "node:fs/promises";
import { isNotFoundError } from "./fs-errors.js";

export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Identity of `file`, or `null` when it does not exist. */
export async function fileIdentity(file: string): Promise<FileIdentity | null> {
  try {
    const stats = await stat(file);
    return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if (isNotFoundError(error)) return null;
    throw error;
  }
}

/**
 * - `unchanged`: same file, same size and mtime.
 * - `appended`: same file, larger: resume at the stored offset.
 * - `truncated`: same file, smaller: stored offsets are meaningless.
 * - `replaced`: another file now has the name (rotation, rewrite via rename).
 * - `modified_same_size`: same file and size but a newer mtime: the bytes may have been rewritten
 *   in place; an append-only log never does this, so treat it as suspect.
 */
export type FileChange = "unchanged" | "appended" | "truncated" | "replaced" | "modified_same_size";

export function classifyFileChange(previous: FileIdentity, current: FileIdentity): FileChange {
  if (previous.dev !== current.dev || previous.ino !== current.ino) return "replaced";
  if (current.size > previous.size) return "appended";
  if (current.size < previous.size) return "truncated";
  return current.mtimeMs === previous.mtimeMs ? "unchanged" : "modified_same_size";
}
