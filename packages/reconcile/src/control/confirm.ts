/**
 * confirm-intent (spec 15 §4): poll the loop's snapshot until the runtime shows evidence that a
 * control intent took effect, or the timeout passes. Writes no files.
 *
 * Evidence per intent (spec 15 §1, with the careful rules of spec 10a §4.3–4.4 and Q15-5):
 * - cancel → `inactive_not_running`: the runtime state is not active for this loop (`active`
 *   missing/false, no state file, or — careful — active for a *different* loop that started after
 *   the cancel) **and** the snapshot status is not `running` **and** — careful, in-process snapshots
 *   only — no `active-run.json` still registers this loop with a live pid (the run really died).
 *   State-based: the runtime's cancel writes no event.
 * - approve → `completion_observed` when completion is seen (`run.summary.completion_ok`, status
 *   `complete`, final event `loop_complete`); otherwise `approval_observed` when the recorded
 *   decision is an approval (`approval.json` status `approved`, or final event `approval_consumed`).
 *   Completion stays the stronger signal and is reported first (10a §4.4, Q15-6).
 * - reject → `rejection_observed`: `approval.json` status `rejected` or final event
 *   `approval_rejected`. Q15-5 careful: a final `approval_decision` event alone no longer confirms —
 *   the snapshot does not carry that event's decision, and the runtime writes `approval.json`
 *   (whose status does carry it) before the event, so the decision is read from there.
 */

import {
  assertValidLoopId,
  type Clock,
  formatTimestamp,
  isJsonObject,
  nowEpochSeconds,
  systemClock,
  ValidationError,
} from "@ops/contract";
import { resolveRepoDir } from "@ops/health";
import { isControlIntent, loopRunSnapshot } from "@ops/transport-local";
import { sleepLong } from "@ops/transport-sprite";
import { parseHookObject, runHook } from "../pipeline/hooks.js";
import { isRuntimeProcessAlive } from "../status/runtime-process.js";
import type { ConfirmReason, ConfirmResult, ControlIntentName } from "./schemas.js";

export const SNAPSHOT_SCRIPT_ENV = "OPS_MANAGER_SNAPSHOT_SCRIPT";
export const INTENT_CHOICES_MESSAGE = "intent must be one of: cancel, approve, reject";
export const TIMEOUT_INTERVAL_MESSAGE = "timeout and interval must be non-negative integers";
export const DEFAULT_CONFIRM_TIMEOUT_SECONDS = 30;
export const DEFAULT_CONFIRM_INTERVAL_SECONDS = 2;

/** Flag values as the CLI received them; integers may also be numbers. */
export interface ConfirmIntentInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  readonly intent?: string | undefined;
  /** Integer >= 0 (default 30). */
  readonly timeoutSeconds?: string | number | undefined;
  /** Integer >= 0 (default 2; 0 is treated as 1). */
  readonly intervalSeconds?: string | number | undefined;
}

export interface ConfirmContext {
  readonly clock?: Clock;
  /** Environment (default `process.env`): the snapshot hook and the env it runs with. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory a relative `--repo` resolves against, and the hook runs in (default `$PWD`). */
  readonly cwd?: string;
  /** Pause between attempts (default a real timer); tests may inject a fake. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Torn-read policy of the in-process snapshot (spec 10a §4.1). */
  readonly tornReadRetries?: number;
  readonly tornReadDelayMs?: number;
  /** Liveness probe for the cancel check (default: signal 0 + /proc zombie check). */
  readonly processAlive?: (pid: number) => boolean;
  /** Kill a snapshot hook after this long (default 60 s). */
  readonly snapshotHookTimeoutMs?: number;
}

export interface ConfirmIntentResult {
  /** 0 confirmed, 1 not confirmed (spec 15 §4 step 4). */
  readonly exitCode: 0 | 1;
  readonly document: ConfirmResult;
}

/** The validated confirm-intent parameters (also what control passes in-process). */
export interface ConfirmParameters {
  /** Absolute repo path. */
  readonly repoPath: string;
  readonly loopId: string;
  readonly intent: ControlIntentName;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
}

const UNSIGNED = /^[0-9]+$/;

/** `^[0-9]+$` (or a safe non-negative integer number); absent → fallback; else null. */
export function parseUnsigned(value: string | number | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (!UNSIGNED.test(value)) return null;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : null;
}

export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value.length === 0) throw new ValidationError(`${flag} is required`);
  return value;
}

export function requireIntent(value: string | undefined): ControlIntentName {
  const intent = requireFlag(value, "--intent");
  if (!isControlIntent(intent)) throw new ValidationError(INTENT_CHOICES_MESSAGE);
  return intent;
}

export function contextCwd(ctx: { readonly cwd?: string | undefined }): string {
  return ctx.cwd ?? process.env["PWD"] ?? process.cwd();
}

/**
 * confirm-intent: validate in the spec's order (`--repo`, `--loop`, `--intent` required, the
 * intent choice, the integers), then the loop id (Q10-3) and the repo directory, then poll.
 */
export async function confirmIntent(
  input: ConfirmIntentInput,
  ctx: ConfirmContext = {},
): Promise<ConfirmIntentResult> {
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  const intent = requireIntent(input.intent);
  const timeoutSeconds = parseUnsigned(input.timeoutSeconds, DEFAULT_CONFIRM_TIMEOUT_SECONDS);
  const intervalSeconds = parseUnsigned(input.intervalSeconds, DEFAULT_CONFIRM_INTERVAL_SECONDS);
  if (timeoutSeconds === null || intervalSeconds === null)
    throw new ValidationError(TIMEOUT_INTERVAL_MESSAGE);
  assertValidLoopId(loop, "--loop");
  const repoPath = await resolveRepoDir(repo, contextCwd(ctx));
  return runConfirmation({ repoPath, loopId: loop, intent, timeoutSeconds, intervalSeconds }, ctx);
}

/** What one successful snapshot showed. */
interface Observation {
  readonly status: string;
  readonly lastEvent: string | null;
  readonly approvalStatus: string | null;
  readonly active: boolean;
  readonly completionOk: boolean;
  /** `state.json` `current_loop_id` (null when absent). */
  readonly stateLoopId: string | null;
  /** `active-run.json` registration, when it names this loop (or no loop) and has a pid. */
  readonly registeredPid: number | null;
}

/** Steps 1–4 of spec 15 §4 on validated parameters. */
export async function runConfirmation(
  params: ConfirmParameters,
  ctx: ConfirmContext = {},
): Promise<ConfirmIntentResult> {
  const clock = ctx.clock ?? systemClock;
  // Also for intervals beyond a Node timer's 24.8-day limit (which would otherwise fire after 1 ms).
  const sleep = ctx.sleep ?? ((ms: number) => sleepLong(ms));
  const interval = params.intervalSeconds === 0 ? 1 : params.intervalSeconds;
  const snapshotter = snapshotSource(params, ctx);
  const processAlive = ctx.processAlive ?? isRuntimeProcessAlive;

  // 1.
  const start = nowEpochSeconds(clock);
  let attempts = 0;
  let reason: ConfirmReason = "timeout";
  let observed: Observation | null = null;
  let observedAt: string | null = null;
  // 2–3.
  for (;;) {
    attempts += 1;
    const snapshot = await snapshotter.take();
    if (snapshot !== null) {
      observed = observe(snapshot, params.loopId);
      observedAt = formatTimestamp(clock.now());
      const verdict = evaluate(params.intent, params.loopId, observed, (pid) =>
        snapshotter.local ? processAlive(pid) : false,
      );
      if (verdict !== null) {
        reason = verdict;
        break;
      }
    }
    if (nowEpochSeconds(clock) - start >= params.timeoutSeconds) break;
    await sleep(interval * 1000);
  }
  // 4.
  const confirmed = reason !== "timeout";
  const document: ConfirmResult = {
    intent: params.intent,
    confirmed,
    reason,
    attempts,
    timeoutSeconds: params.timeoutSeconds,
    observedStatus: observed?.status ?? "unknown",
    observedLastEvent: observed?.lastEvent ?? null,
    observedApprovalStatus: observed?.approvalStatus ?? null,
    observedActive: observed?.active ?? false,
    observedAt,
  };
  return { exitCode: confirmed ? 0 : 1, document };
}

/** The §1 predicate on one observation; the confirming reason, or null. */
export function evaluate(
  intent: ControlIntentName,
  loopId: string,
  observed: Observation,
  isAlive: (pid: number) => boolean,
): ConfirmReason | null {
  switch (intent) {
    case "cancel": {
      const activeForThisLoop =
        observed.active && (observed.stateLoopId === null || observed.stateLoopId === loopId);
      const stillAlive = observed.registeredPid !== null && isAlive(observed.registeredPid);
      return !activeForThisLoop && observed.status !== "running" && !stillAlive
        ? "inactive_not_running"
        : null;
    }
    case "approve":
      if (observed.completionOk || observed.status === "complete" || observed.lastEvent === "loop_complete") {
        return "completion_observed";
      }
      if (observed.approvalStatus === "approved" || observed.lastEvent === "approval_consumed") {
        return "approval_observed";
      }
      return null;
    case "reject":
      return observed.approvalStatus === "rejected" || observed.lastEvent === "approval_rejected"
        ? "rejection_observed"
        : null;
  }
}

function objectAt(value: unknown, ...keys: string[]): Record<string, unknown> | null {
  let current: unknown = value;
  for (const key of keys) {
    if (!isJsonObject(current)) return null;
    current = current[key];
  }
  return isJsonObject(current) ? current : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** Read the observed values from a snapshot envelope (in-process or a hook's; read defensively). */
function observe(snapshot: Record<string, unknown>, loopId: string): Observation {
  const run = objectAt(snapshot, "run");
  const health = objectAt(snapshot, "health");
  const state = objectAt(snapshot, "runtime", "superloopState");
  const approval = objectAt(snapshot, "runtime", "approval");
  const activeRun = objectAt(snapshot, "runtime", "activeRun");
  const summary = objectAt(snapshot, "run", "summary");
  const registeredLoop = stringOrNull(activeRun?.["loop_id"]);
  const pid = activeRun?.["pid"];
  const registeredPid =
    activeRun !== null &&
    (registeredLoop === null || registeredLoop === loopId) &&
    typeof pid === "number" &&
    Number.isSafeInteger(pid) &&
    pid > 1
      ? pid
      : null;
  return {
    status: stringOrNull(run?.["status"]) ?? "unknown",
    lastEvent: stringOrNull(health?.["lastEventName"]),
    approvalStatus: stringOrNull(approval?.["status"]),
    active: state?.["active"] === true,
    completionOk: summary?.["completion_ok"] === true,
    stateLoopId: stringOrNull(state?.["current_loop_id"]),
    registeredPid,
  };
}

interface SnapshotSource {
  /** True for the in-process adapter (this host's files), false for a hook. */
  readonly local: boolean;
  /** One snapshot as a JSON object, or null when it failed. */
  take(): Promise<Record<string, unknown> | null>;
}

function snapshotSource(params: ConfirmParameters, ctx: ConfirmContext): SnapshotSource {
  const env = ctx.env ?? process.env;
  const script = env[SNAPSHOT_SCRIPT_ENV];
  const cwd = contextCwd(ctx);
  if (script !== undefined && script.length > 0) {
    return {
      local: false,
      take: async () => {
        const result = await runHook(script, ["--repo", params.repoPath, "--loop", params.loopId], {
          env,
          cwd,
          timeoutMs: ctx.snapshotHookTimeoutMs ?? 60_000,
        });
        return result.ok ? parseHookObject(result.stdout) : null;
      },
    };
  }
  return {
    local: true,
    take: async () => {
      try {
        const envelope = await loopRunSnapshot(
          { repo: params.repoPath, loop: params.loopId },
          {
            env,
            cwd,
            ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
            ...(ctx.tornReadRetries === undefined ? {} : { tornReadRetries: ctx.tornReadRetries }),
            ...(ctx.tornReadDelayMs === undefined ? {} : { tornReadDelayMs: ctx.tornReadDelayMs }),
          },
        );
        return envelope as unknown as Record<string, unknown>;
      } catch {
        return null;
      }
    },
  };
}
