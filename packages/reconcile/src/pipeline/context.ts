/**
 * What reconcile takes from its surroundings instead of process globals, and the injectable
 * alert-dispatch step (spec 13 §10; default: the in-process dispatch of @ops/health, alert-dispatch.ts).
 */
import type { Clock, WithLockOptions } from "@ops/contract";
import type { HealthEvaluationOptions } from "@ops/health";
import type { LifecycleQuirkOptions } from "../lifecycle.js";
import type { SequenceQuirkOptions } from "./sequence.js";

/** Arguments of one alert-dispatch run (spec 13 §10), as paths the dispatcher should use. */
export interface AlertDispatchRequest {
  readonly repoPath: string;
  readonly loopId: string;
  /** The reconcile trace id (`--trace-id`). */
  readonly traceId: string;
  /** `--escalations-file`: `<ops>/escalations.jsonl`. */
  readonly escalationsFile: string;
  /** `--dispatch-state-file`. */
  readonly dispatchStateFile: string;
  /** `--dispatch-telemetry-file`. */
  readonly dispatchTelemetryFile: string;
  /** `--alert-config-file`, only when configured (flag or `OPS_MANAGER_ALERT_SINKS_FILE`). */
  readonly alertConfigFile: string | null;
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Install root holding the bundled `config/ops-manager-alert-sinks.v1.json` (null: unknown). */
  readonly installRoot: string | null;
  /**
   * Always true: dispatch runs inside reconcile's loop lock (`opsPaths(repo, loop).lock`), which is
   * not re-entrant — the dispatcher must not take that lock itself.
   */
  readonly holdsLoopLock: true;
}

export type AlertDispatchOutcome =
  /** Dispatch ran to the end (its own per-row results are its business; stdout is discarded). */
  | { readonly status: "completed" }
  /** No dispatcher is wired in (`notConfiguredAlertDispatch`, an explicit opt-out). */
  | { readonly status: "not_configured" }
  /** The equivalent of a non-zero exit; `output` = its stdout+stderr (the last 40 lines are recorded). */
  | { readonly status: "failed"; readonly output: string | null };

export type AlertDispatchFunction = (request: AlertDispatchRequest) => Promise<AlertDispatchOutcome>;

/**
 * A dispatcher that does nothing and reports "not configured" (inject it as `ctx.alertDispatch` to
 * keep reconcile offline). The default, with alerts enabled and no `OPS_MANAGER_ALERT_DISPATCH_SCRIPT`,
 * is `inProcessAlertDispatch` (alert-dispatch.ts). Escalations still accumulate in
 * `escalations.jsonl`; the dispatch cursor delivers them later.
 */
export const notConfiguredAlertDispatch: AlertDispatchFunction = async () => ({ status: "not_configured" });

/** Switches for quirks whose careful form is a policy decision. Defaults are the careful forms. */
export interface ReconcileQuirkOptions {
  /** Q12-1 / Q12-2 (passed to project-state). */
  readonly lifecycle?: LifecycleQuirkOptions;
  /** Q13-4 (carry-forward and replay baseline reset). */
  readonly sequence?: SequenceQuirkOptions;
  /** Q14-2 (ingest_stale suppressed for terminal lifecycle states; health's default). */
  readonly health?: HealthEvaluationOptions;
}

export interface ReconcileContext {
  /** Source of "now"; default the system clock. `startedAt` is the first reading. */
  readonly clock?: Clock;
  /** Environment (default `process.env`): env fallbacks, hooks, and the env hooks run with. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative `--repo` / path flags resolve against, and hooks run in (default `$PWD`). */
  readonly cwd?: string;
  /** Install root holding `config/` (the bundled threshold-profile catalog, spec 10 §1.1). */
  readonly installRoot?: string;
  /** Explicit bundled catalog path (wins over `installRoot`, below flag and env). */
  readonly thresholdProfilesFile?: string;
  /** Diagnostics that are not errors (a best-effort step that failed, skipped telemetry lines). */
  readonly warn?: (message: string) => void;
  /** Loop lock options (timeout / staleness). */
  readonly lock?: WithLockOptions;
  /** Trace id generator when neither `--trace-id` nor `OPS_MANAGER_TRACE_ID` is set (default UUID v4). */
  readonly generateTraceId?: () => string;
  /**
   * In-process alert dispatch (used when alerts are enabled and no dispatch hook is set); default
   * `inProcessAlertDispatch` (real delivery to the configured sinks).
   */
  readonly alertDispatch?: AlertDispatchFunction;
  /**
   * Sleep between sprite-service client attempts (in-process client only; default a real timer).
   * Tests inject a recorder to check the linear backoff without waiting.
   */
  readonly serviceSleep?: (ms: number) => Promise<void>;
  /** Kill a hook script after this long (default: no limit). */
  readonly hookTimeoutMs?: number;
  /** Torn-read policy for runtime JSON files (snapshot adapter). */
  readonly tornReadRetries?: number;
  readonly tornReadDelayMs?: number;
  /**
   * Q13-9 opt-in: keep a copy of the ingested batch (its envelopes) as `<ops>/events-batch.ndjson`,
   * written and fsynced each cycle, and name it in `evidence.eventsFile`. Default false:
   * `evidence.eventsFile` is null and the batch is lines `cursorOffsetBefore+1 … cursorOffsetAfter`
   * of events.jsonl (both in the reconcile telemetry row).
   */
  readonly persistEventBatch?: boolean;
  /**
   * Keep the snapshot's digests in `<ops>/snapshot-digest-cache.json` between cycles (default
   * true), so the snapshot hashes only what was appended to events.jsonl and re-reads the runtime
   * JSON files only when they changed. False: every cycle hashes and reads every file in full.
   */
  readonly snapshotDigestCache?: boolean;
  readonly quirks?: ReconcileQuirkOptions;
}
