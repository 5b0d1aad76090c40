/**
 * Flag and path helpers shared by the promotion commands (gates, CI wrapper, apply, orchestrate).
 * Internal to the package: not exported from the package index.
 */
import path from "node:path";
import { isDirectory, resolveRepoPath, ValidationError } from "@ops/contract";

/** The evidence and threshold flags of `promotion gates`, also taken (and forwarded) by `ci` and `orchestrate`. */
export interface PromotionEvidenceFlags {
  readonly fleetStatusFile?: string | undefined;
  readonly handoffTelemetryFile?: string | undefined;
  readonly drillStateFile?: string | undefined;
  readonly windowExecutions?: string | undefined;
  readonly minSampleSize?: string | undefined;
  readonly maxAmbiguityRate?: string | undefined;
  readonly maxFailureRate?: string | undefined;
  readonly maxManualBacklog?: string | undefined;
  readonly maxDrillAgeHours?: string | undefined;
}

/** A flag value that was given: empty counts as not given (see the READMEs). */
export function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

/** A path as echoed (flag verbatim, or the absolute default) and as used for I/O. */
export interface EffectivePath {
  readonly shown: string;
  readonly file: string;
}

export function effectivePath(flag: string | undefined, fallback: string, cwd: string): EffectivePath {
  return nonEmpty(flag)
    ? { shown: flag, file: path.resolve(cwd, flag) }
    : { shown: fallback, file: fallback };
}

/** The directory `--repo` and relative path flags resolve against: `ctx.cwd`, else `$PWD`, else the process cwd. */
export function commandCwd(ctx: { readonly cwd?: string | undefined }): string {
  return ctx.cwd ?? process.env["PWD"] ?? process.cwd();
}

/** `--repo` resolved against `cwd`; `repo directory not found: <abs>` when it is not a directory. */
export async function repoDirectory(repoFlag: string, cwd: string): Promise<string> {
  const repo = resolveRepoPath(repoFlag, cwd);
  if (!(await isDirectory(repo))) throw new ValidationError(`repo directory not found: ${repo}`);
  return repo;
}
