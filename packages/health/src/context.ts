import type { Clock } from "@ops/contract";

/**
 * What a health/tuning command may take from its surroundings instead of process globals. Every field
 * is optional: the CLI passes the install root, tests inject a fixed clock and a working directory.
 */
export interface HealthCommandContext {
  /** Source of "now" (`generatedAt`, `updatedAt`, default `--now`); default the system clock. */
  readonly clock?: Clock;
  /** Environment (default `process.env`): `OPS_MANAGER_THRESHOLD_PROFILES_FILE`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative path flags resolve against (default `$PWD`, else `process.cwd()`). */
  readonly cwd?: string;
  /**
   * The ops-manager install root (the directory holding `config/`); the bundled threshold-profile
   * catalog is `<installRoot>/config/ops-manager-threshold-profiles.v1.json` (spec 10 §1.1, Q10-2).
   */
  readonly installRoot?: string;
  /** Explicit default catalog path; wins over `installRoot` (still below flag and env). */
  readonly thresholdProfilesFile?: string;
  /** Diagnostics that are not errors (e.g. telemetry lines skipped as unparseable, Q18-4). */
  readonly warn?: (message: string) => void;
  /** profile-drift: how long to wait for the drift state lock (default: the store's). */
  readonly lockTimeoutMs?: number;
}

export function contextCwd(ctx: HealthCommandContext): string {
  return ctx.cwd ?? process.env["PWD"] ?? process.cwd();
}

export function contextEnv(ctx: HealthCommandContext): Readonly<Record<string, string | undefined>> {
  return ctx.env ?? process.env;
}
