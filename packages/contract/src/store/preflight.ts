/**
 * Checked before a command starts writing several artifacts: a run that would fail half-way (a
 * state file replaced without its telemetry line, a registry changed without its record, an alert
 * sent but never recorded) fails here instead, before anything has changed.
 */
import { constants, type Stats } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";
import { OpsError } from "../errors.js";
import { ensureDirectory } from "./directories.js";
import { errnoCode, isNotFoundError } from "./fs-errors.js";

/** A file to be written, and how to name it in an error (the path as the operator gave it). */
export interface WriteTarget {
  readonly file: string;
  readonly shown?: string;
}

/**
 * Creates each target's parent directories and checks the target can be written: not a directory,
 * and writable (or, when missing, its directory is). Rejects with the file store's one line,
 * `cannot write <shown> (<CODE>)` (or `cannot create directory <dir> (<CODE>)`). Writes no file.
 */
export async function assertWritable(targets: readonly (string | WriteTarget)[]): Promise<void> {
  for (const target of targets) {
    const { file, shown = file } = typeof target === "string" ? { file: target } : target;
    await ensureDirectory(path.dirname(file));
    const found = await statOrNull(file, shown);
    if (found?.isDirectory() === true) throw writeError(shown, "EISDIR");
    try {
      await access(found === null ? path.dirname(file) : file, constants.W_OK);
    } catch (error) {
      throw writeError(shown, errnoCode(error) ?? String(error), error);
    }
  }
}

async function statOrNull(file: string, shown: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch (error) {
    if (isNotFoundError(error)) return null;
    throw writeError(shown, errnoCode(error) ?? String(error), error);
  }
}

function writeError(shown: string, code: string, cause?: unknown): OpsError {
  return new OpsError(`cannot write ${shown} (${code})`, {
    kind: "io",
    ...(cause === undefined ? {} : { cause }),
  });
}
