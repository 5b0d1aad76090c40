/**
 * Component override hooks (spec 10 §4.1). A non-empty `OPS_MANAGER_<STEP>_SCRIPT` names an
 * executable that replaces the in-process step: it is run directly (no shell) with the argument list
 * the CLI command would get, and must honour that command's contract (stdout = one JSON document,
 * exit code). Reconcile honours HEALTH, THRESHOLD_PROFILE, TELEMETRY_SUMMARY, PROFILE_DRIFT,
 * ALERT_DISPATCH and (sprite-service transport) SERVICE_CLIENT; control honours CONFIRM and
 * (sprite-service transport, control/service.ts) SERVICE_CLIENT.
 */
import { isJsonObject } from "@ops/contract";
import { execa } from "execa";

export const RECONCILE_HOOKS = {
  health: "OPS_MANAGER_HEALTH_SCRIPT",
  thresholdProfile: "OPS_MANAGER_THRESHOLD_PROFILE_SCRIPT",
  telemetrySummary: "OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT",
  profileDrift: "OPS_MANAGER_PROFILE_DRIFT_SCRIPT",
  alertDispatch: "OPS_MANAGER_ALERT_DISPATCH_SCRIPT",
  serviceClient: "OPS_MANAGER_SERVICE_CLIENT_SCRIPT",
} as const;
export type ReconcileHook = keyof typeof RECONCILE_HOOKS;

export type HookEnv = Readonly<Record<string, string | undefined>>;

/** The hook executable for `step`, or null when the variable is unset or empty. */
export function hookScript(env: HookEnv, step: ReconcileHook): string | null {
  const value = env[RECONCILE_HOOKS[step]];
  return value === undefined || value.length === 0 ? null : value;
}

export interface HookRunOptions {
  readonly env: HookEnv;
  readonly cwd: string;
  /** Kill the hook after this long (default: no limit, like the original). */
  readonly timeoutMs?: number;
  /**
   * Run the hook in its own process group and kill the whole group on timeout: a grandchild still
   * holding stdout open would otherwise keep the caller waiting after the hook itself was killed.
   */
  readonly killGroupOnTimeout?: boolean;
}

export interface HookResult {
  /** Exit code; null when the executable could not be started or was killed by a signal. */
  readonly exitCode: number | null;
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved as produced (for "combined output" tails). */
  readonly all: string;
}

/** Run one hook. Never throws: start failures are reported as a failed result with a message. */
export async function runHook(
  script: string,
  args: readonly string[],
  options: HookRunOptions,
): Promise<HookResult> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
  const group = options.killGroupOnTimeout === true && options.timeoutMs !== undefined;
  const subprocess = execa(script, [...args], {
    env,
    extendEnv: false,
    cwd: options.cwd,
    reject: false,
    all: true,
    stdin: "ignore",
    stripFinalNewline: false,
    ...(group ? { detached: true } : {}),
    ...(options.timeoutMs === undefined || group ? {} : { timeout: options.timeoutMs }),
  });
  const timer = group ? setTimeout(() => killProcessGroup(subprocess.pid), options.timeoutMs) : undefined;
  const result = await subprocess.finally(() => clearTimeout(timer));
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  let all = typeof result.all === "string" ? result.all : `${stdout}${stderr}`;
  const exitCode = typeof result.exitCode === "number" ? result.exitCode : null;
  if (exitCode === null && all.length === 0) all = `${result.shortMessage}\n`;
  return {
    exitCode,
    ok: exitCode === 0 && result.failed !== true,
    stdout,
    stderr: exitCode === null && stderr.length === 0 ? `${result.shortMessage}\n` : stderr,
    all,
  };
}

function killProcessGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** The hook's stdout as one JSON object, or null (empty, not JSON, or not an object). */
export function parseHookObject(stdout: string): Record<string, unknown> | null {
  const text = stdout.trim();
  if (text.length === 0) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The error a failed hook reports, as the CLI would have printed it: the last non-empty stderr line
 * without its `error: ` prefix (e.g. `unknown threshold profile: nope`).
 */
export function hookErrorMessage(result: HookResult, fallback: string): string {
  const lines = result.stderr
    .replace(/\r/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const last = lines[lines.length - 1];
  if (last === undefined) return fallback;
  return last.startsWith("error: ") ? last.slice("error: ".length) : last;
}
