/**
 * Input checks shared by the snapshot adapter and the event poller, in the spec's order
 * (spec 11 §4 / §5): required flags → (command-specific flag checks) → loop id → repo directory →
 * loop artifact root → events file.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import {
  assertValidLoopId,
  ContractError,
  errnoCode,
  isNotFoundError,
  resolveRepoPath,
  runtimePaths,
  ValidationError,
} from "@ops/contract";
import type { CommandContext } from "./context.js";

/** `--repo` / `--loop`: missing and empty are the same (the shell tested `-z`). */
export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value.length === 0) throw new ValidationError(`${flag} is required`);
  return value;
}

/** Optional string flag: "" and undefined mean "not given". */
export function optionalFlag(value: string | undefined | null): string | null {
  return value === undefined || value === null || value.length === 0 ? null : value;
}

/**
 * Spec Q10-3: the loop id becomes a path segment, so it must be one safe segment. Checked after
 * the spec's flag checks and before anything touches the filesystem; the message is one line.
 */
export function validateLoopId(loop: string): string {
  return assertValidLoopId(loop, "--loop");
}

/** Absolute repo path (logical, symlinks kept); a missing directory is an error. */
export async function resolveRepoDir(repo: string, ctx: CommandContext): Promise<string> {
  const resolved = ctx.cwd === undefined ? resolveRepoPath(repo) : resolveRepoPath(repo, ctx.cwd);
  if (!(await isKind(resolved, "directory"))) {
    throw new ValidationError(`repo directory not found: ${resolved}`);
  }
  return resolved;
}

export interface LoopLocation {
  readonly repoPath: string;
  readonly loopId: string;
  readonly paths: ReturnType<typeof runtimePaths>;
}

/** Spec 11 §4 errors 3–4 (also poll-events step 1): the loop directory and its events.jsonl. */
export async function requireLoopArtifacts(repoPath: string, loopId: string): Promise<LoopLocation> {
  const paths = runtimePaths(repoPath, loopId);
  if (!(await isKind(paths.loopDir, "directory"))) {
    throw new ContractError(`required artifact root missing: ${paths.loopDir}`);
  }
  if (!(await isKind(paths.events, "file"))) {
    throw new ContractError(`required artifact missing: ${paths.events}`);
  }
  return { repoPath, loopId, paths };
}

/** True when `target` exists and is a directory / regular file (symlinks followed). */
async function isKind(target: string, kind: "directory" | "file"): Promise<boolean> {
  try {
    const stats = await stat(target);
    return kind === "directory" ? stats.isDirectory() : stats.isFile();
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw new ContractError(`cannot access ${target} (${errnoCode(error) ?? String(error)})`, {
      cause: error,
    });
  }
}

/** The runtime files of a loop (spec 10 §2, plus decisions.jsonl): the manager never writes them. */
const RUNTIME_FILES = [
  "events",
  "runSummary",
  "state",
  "activeRun",
  "approval",
  "heartbeat",
  "decisions",
] as const;

/**
 * True when `file` is one of the loop's runtime files (`runtimePaths(repo, loop)`): the same path,
 * or the same file under another name (symlink, hard link). Writers of manager artifacts whose path
 * comes from a flag check this first, so a mistyped flag cannot replace the runtime's own files.
 */
export async function isRuntimeArtifact(
  file: string,
  paths: Readonly<Record<(typeof RUNTIME_FILES)[number], string>>,
): Promise<boolean> {
  const target = await identityOrNull(file);
  for (const key of RUNTIME_FILES) {
    const runtimeFile = paths[key];
    if (path.resolve(runtimeFile) === path.resolve(file)) return true;
    if (target === null) continue;
    const other = await identityOrNull(runtimeFile);
    if (other !== null && other.dev === target.dev && other.ino === target.ino) return true;
  }
  return false;
}

async function identityOrNull(file: string): Promise<{ readonly dev: number; readonly ino: number } | null> {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}
