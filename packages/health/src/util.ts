/** Small helpers shared by the health and tuning commands. */
import { stat } from "node:fs/promises";
import path from "node:path";
import {
  isJsonObject,
  isNotFoundError,
  type JsonObject,
  readJsonFile,
  resolveRepoPath,
  ValidationError,
} from "@ops/contract";

export type { JsonObject };
export { isJsonObject };

/** `value[key]` when `value` is a JSON object, else undefined. */
export function field(value: unknown, key: string): unknown {
  return isJsonObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** A non-empty string, else null. */
export function nonEmptyString(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** A string (possibly empty), else null. */
export function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Spec 10 §1.2: integer flags accept only `^[0-9]+$`. */
export const UNSIGNED_INTEGER = /^[0-9]+$/;

/** Parse an unsigned decimal flag value; null when it is not `^[0-9]+$` (or too large to be exact). */
export function parseUnsignedInteger(value: string): number | null {
  if (!UNSIGNED_INTEGER.test(value)) return null;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : null;
}

/** `--repo` / `--loop`: missing and empty are the same (the shell tested `-z`). */
export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value.length === 0) throw new ValidationError(`${flag} is required`);
  return value;
}

/** Optional string flag: "" and undefined mean "not given". */
export function optionalFlag(value: string | undefined): string | null {
  return value === undefined || value.length === 0 ? null : value;
}

/** An integer flag that must be >= 1 (`<flag> must be an integer >= 1`); undefined → default. */
export function positiveIntegerFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = parseUnsignedInteger(value);
  if (parsed === null || parsed < 1) throw new ValidationError(`${flag} must be an integer >= 1`);
  return parsed;
}

/** Absolute repo path (logical, symlinks kept); a missing directory is an error. */
export async function resolveRepoDir(repo: string, cwd: string): Promise<string> {
  const resolved = resolveRepoPath(repo, cwd);
  if (!(await isKind(resolved, "directory")))
    throw new ValidationError(`repo directory not found: ${resolved}`);
  return resolved;
}

/** True when `target` exists and is a directory / regular file (symlinks followed). */
export async function isKind(target: string, kind: "directory" | "file"): Promise<boolean> {
  try {
    const stats = await stat(target);
    return kind === "directory" ? stats.isDirectory() : stats.isFile();
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

/** Resolve a path flag against the working directory (absolute paths are kept). */
export function resolveAgainst(cwd: string, file: string): string {
  return path.resolve(cwd, file);
}

export type ObjectFileResult =
  | { readonly kind: "missing" }
  | { readonly kind: "ok"; readonly value: JsonObject }
  | { readonly kind: "invalid" };

/**
 * Read a manager-owned JSON object file once (they are replaced atomically, so no torn-read retry).
 * Anything that exists but is not a JSON object (bad JSON, an array, a directory, unreadable) is
 * "invalid".
 */
export async function readJsonObjectFile(file: string): Promise<ObjectFileResult> {
  let result: Awaited<ReturnType<typeof readJsonFile>>;
  try {
    result = await readJsonFile(file, { retries: 0 });
  } catch {
    return { kind: "invalid" };
  }
  if (result.kind === "missing") return { kind: "missing" };
  if (result.kind === "invalid" || !isJsonObject(result.value)) return { kind: "invalid" };
  return { kind: "ok", value: result.value };
}
