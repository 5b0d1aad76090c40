/**
 * Input `T` of spec 17 §2: the telemetry summary (spec 18 §3) run with `--window <summary-window>`
 * when the reconcile telemetry file exists; any failure → absent. Runs in-process unless the
 * `OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT` hook (spec 10 §4.1) names an executable, which is then run
 * with the same arguments (no shell) and must print the summary JSON on stdout and exit 0.
 */
import type { Clock, JsonObject } from "@ops/contract";
import { parseJsonObjectLine, telemetrySummary } from "@ops/health";
import { runHook } from "../pipeline/hooks.js";
import { isJsonObject } from "./coalesce.js";

export const TELEMETRY_SUMMARY_SCRIPT_ENV = "OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT";

/** How long a hook executable may run before its summary counts as absent. */
export const DEFAULT_SUMMARY_HOOK_TIMEOUT_MS = 60_000;

export interface SummaryRequest {
  readonly repoPath: string;
  readonly loopId: string;
  readonly window: number;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock | undefined;
  readonly hookTimeoutMs?: number | undefined;
}

/** The summary document, or null when it could not be produced (never throws). */
export async function loadTelemetrySummary(request: SummaryRequest): Promise<JsonObject | null> {
  const args = ["--repo", request.repoPath, "--loop", request.loopId, "--window", String(request.window)];
  const script = request.env[TELEMETRY_SUMMARY_SCRIPT_ENV];
  if (script !== undefined && script.length > 0) return runSummaryHook(script, args, request);
  try {
    const summary: unknown = await telemetrySummary(
      { repo: request.repoPath, loop: request.loopId, window: String(request.window) },
      {
        cwd: request.cwd,
        env: request.env,
        ...(request.clock === undefined ? {} : { clock: request.clock }),
      },
    );
    return isJsonObject(summary) ? summary : null;
  } catch {
    return null;
  }
}

async function runSummaryHook(
  script: string,
  args: string[],
  request: SummaryRequest,
): Promise<JsonObject | null> {
  const result = await runHook(script, args, {
    env: request.env,
    cwd: request.cwd,
    timeoutMs: request.hookTimeoutMs ?? DEFAULT_SUMMARY_HOOK_TIMEOUT_MS,
    killGroupOnTimeout: true,
  });
  return result.ok ? parseJsonObjectLine(result.stdout.replace(/\n$/, "")) : null;
}
