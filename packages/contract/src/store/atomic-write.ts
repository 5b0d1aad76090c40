/**
 * Whole-file replacement that readers never see half-done (spec 10 §1.3: JSON state files are
 * rewritten whole). Write a temp file next to the target, fsync it, rename it over the target,
 * then fsync the directory so the rename itself survives a crash.
 */
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { OpsError } from "../errors.js";
import { ensureDirectory } from "./directories.js";
import { errnoCode, isNotFoundError } from "./fs-errors.js";

export interface WriteJsonOptions {
  /** Indent by 2 spaces instead of the default compact single line. */
  readonly pretty?: boolean;
}

/** Serialise `value` the way every manager artifact is written: compact (or 2-space), `\n`-terminated. */
export function formatJson(value: unknown, options: WriteJsonOptions = {}): string {
  const text = JSON.stringify(value, null, options.pretty === true ? 2 : undefined);
  // JSON.stringify returns undefined for undefined, functions and symbols: not a document.
  if (typeof text !== "string") throw new TypeError(`value is not JSON-serialisable: ${typeof value}`);
  return `${text}\n`;
}

/** Atomically replace `file` with `value` as JSON. Parent directories are created. */
export async function writeJsonAtomic(
  file: string,
  value: unknown,
  options: WriteJsonOptions = {},
): Promise<void> {
  await writeFileAtomic(file, formatJson(value, options));
}

/**
 * Atomically replace `file` with `content` (text is written as UTF-8). Parent directories are
 * created. A file-system failure rejects with `cannot write <file> (<CODE>)`; the target is untouched.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  try {
    await replaceFile(file, content);
  } catch (error) {
    throw asWriteError(file, error);
  }
}

/** A file-system error as the one-line `cannot write <file> (<CODE>)`; other errors unchanged. */
export function asWriteError(file: string, error: unknown): unknown {
  if (error instanceof OpsError) return error;
  const code = errnoCode(error);
  return code === undefined
    ? error
    : new OpsError(`cannot write ${file} (${code})`, { kind: "io", cause: error });
}

async function replaceFile(file: string, content: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  // Same directory as the target, so rename() stays on one filesystem and is atomic; the random
  // suffix keeps concurrent writers (even in one process) from sharing a temp file.
  const tempFile = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
  let renamed = false;
  try {
    const handle = await openTempFile(tempFile, dir);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempFile, file);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tempFile).catch(() => undefined);
  }
  await syncDirectory(dir);
}

/**
 * Create the temp file; the parent directories are created only when missing (a `mkdir -p` before
 * every write would cost two more file-system round trips on every cycle of every loop).
 */
async function openTempFile(tempFile: string, dir: string) {
  try {
    return await open(tempFile, "wx", 0o644);
  } catch (error) {
    if (!isNotFoundError(error)) throw error;
    await ensureDirectory(dir);
    return await open(tempFile, "wx", 0o644);
  }
}

/** Persist a rename. Best effort: some platforms/filesystems cannot open or fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the rename is an optimisation; the content is already complete either way.
  }
}
