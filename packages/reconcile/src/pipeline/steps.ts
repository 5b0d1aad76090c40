/**
 * The sub-steps reconcile runs in-process, each replaceable by its `OPS_MANAGER_<STEP>_SCRIPT` hook
 * (spec 10 §4.1): health (14), telemetry-summary and profile-drift (18), alert-dispatch (19). A hook
 * gets the argument list the CLI command would get and must honour that command's contract.
 */
import { type JsonObject, OpsError, type Timestamp } from "@ops/contract";
import {
  evaluateHealth,
  type HealthDocument,
  type HealthInputs,
  type ProfileDriftDocument,
  profileDrift,
  readLastJsonlRecord,
  type TelemetrySummaryDocument,
  telemetrySummary,
} from "@ops/health";
import { inProcessAlertDispatch } from "./alert-dispatch.js";
import type { AlertDispatchOutcome, ReconcileContext } from "./context.js";
import { type HookResult, hookScript, parseHookObject, type ReconcileHook, runHook } from "./hooks.js";
import { type ReconcileOptions, reconcileHealthContext } from "./options.js";
import type { TransportHealth } from "./schemas.js";
import { isJsonObject, outputTail, readObjectOrEmpty, stepErrorOutput } from "./util.js";

/** Raised when a step that is not best-effort fails; reconcile exits 1 without a document. */
export class ReconcileStepError extends OpsError {
  override readonly name = "ReconcileStepError";
  constructor(message: string) {
    super(message, { exitCode: 1, kind: "transport" });
  }
}

async function runStepHook(
  step: ReconcileHook,
  args: readonly string[],
  options: ReconcileOptions,
  ctx: ReconcileContext,
): Promise<{ readonly script: string; readonly result: HookResult } | null> {
  const script = hookScript(options.env, step);
  if (script === null) return null;
  const result = await runHook(script, args, {
    env: options.env,
    cwd: options.cwd,
    ...(ctx.hookTimeoutMs === undefined ? {} : { timeoutMs: ctx.hookTimeoutMs }),
  });
  return { script, result };
}

// ---------------------------------------------------------------------------------------------------
// Health (spec 13 §3 step 8)
// ---------------------------------------------------------------------------------------------------

export interface HealthStepInput {
  readonly ingestStatus: "success" | "failed";
  readonly failureCode: string | null;
  /** The transport-health document just written. */
  readonly transportHealth: TransportHealth;
  readonly now: Timestamp;
}

/** The health command's arguments for this run (also the hook's argument list). */
export function healthArguments(options: ReconcileOptions, input: HealthStepInput): string[] {
  const t = options.thresholds;
  return [
    "--state-file",
    options.files.state.shown,
    "--heartbeat-state-file",
    options.files.heartbeatState.shown,
    "--sequence-state-file",
    options.files.sequenceState.shown,
    "--transport-health-file",
    options.ops.telemetry.transportHealth,
    "--intents-file",
    options.ops.intents,
    "--trace-id",
    options.traceId,
    "--transport",
    options.transport,
    "--threshold-profile",
    options.thresholdProfile,
    "--ingest-status",
    input.ingestStatus,
    ...(input.failureCode === null ? [] : ["--failure-code", input.failureCode]),
    "--degraded-ingest-lag-seconds",
    String(t.degradedIngestLagSeconds),
    "--critical-ingest-lag-seconds",
    String(t.criticalIngestLagSeconds),
    "--degraded-heartbeat-lag-seconds",
    String(t.degradedHeartbeatLagSeconds),
    "--critical-heartbeat-lag-seconds",
    String(t.criticalHeartbeatLagSeconds),
    "--degraded-transport-failure-streak",
    String(t.degradedTransportFailureStreak),
    "--critical-transport-failure-streak",
    String(t.criticalTransportFailureStreak),
    "--now",
    input.now,
  ];
}

function isHealthLike(value: JsonObject | null): value is JsonObject & HealthDocument {
  if (value === null) return false;
  const status = value["status"];
  return (
    (status === "healthy" || status === "degraded" || status === "critical") &&
    Array.isArray(value["reasonCodes"]) &&
    value["reasonCodes"].every((code) => typeof code === "string") &&
    Array.isArray(value["reasons"])
  );
}

/**
 * In-process health over the artifacts reconcile just wrote. Decision (spec silent): a manager file
 * that exists but is not valid JSON counts as `{}` here instead of failing the cycle (the health
 * command itself would exit 1 on it); reconcile rewrites those files, so one corrupt file cannot stall
 * supervision. A failing health hook aborts reconcile (exit 1, no document).
 */
export async function healthStep(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  input: HealthStepInput,
): Promise<HealthDocument> {
  const hook = await runStepHook("health", healthArguments(options, input), options, ctx);
  if (hook !== null) {
    const document = hook.result.ok ? parseHookObject(hook.result.stdout) : null;
    if (!isHealthLike(document)) {
      throw new ReconcileStepError(
        `health step failed (${hook.script}): ${outputTail(hook.result.all) ?? `exit ${hook.result.exitCode}`}`,
      );
    }
    return document;
  }
  const inputs: HealthInputs = {
    state: await readObjectOrEmpty(options.files.state.path),
    heartbeatState: await readObjectOrEmpty(options.files.heartbeatState.path),
    sequenceState: await readObjectOrEmpty(options.files.sequenceState.path),
    transportHealth: input.transportHealth as unknown as JsonObject,
    lastIntent: await readLastJsonlRecord(options.ops.intents),
    traceId: options.traceId,
    transport: options.transport,
    thresholdProfile: options.thresholdProfile,
    ingestStatus: input.ingestStatus,
    failureCode: input.failureCode,
    thresholds: options.thresholds,
    now: input.now,
  };
  return evaluateHealth(inputs, ctx.quirks?.health ?? {});
}

// ---------------------------------------------------------------------------------------------------
// Telemetry summary (spec 13 §9 step 1) — any failure → null, silently.
// ---------------------------------------------------------------------------------------------------

export function telemetrySummaryArguments(options: ReconcileOptions): string[] {
  return [
    "--repo",
    options.repoPath,
    "--loop",
    options.loopId,
    "--reconcile-telemetry-file",
    options.ops.telemetry.reconcile,
    "--control-telemetry-file",
    options.ops.telemetry.control,
    "--window",
    String(options.driftSummaryWindow),
  ];
}

export async function telemetrySummaryStep(
  options: ReconcileOptions,
  ctx: ReconcileContext,
): Promise<TelemetrySummaryDocument | JsonObject | null> {
  try {
    const hook = await runStepHook("telemetrySummary", telemetrySummaryArguments(options), options, ctx);
    if (hook !== null) return hook.result.ok ? parseHookObject(hook.result.stdout) : null;
    return await telemetrySummary(
      {
        repo: options.repoPath,
        loop: options.loopId,
        reconcileTelemetryFile: options.ops.telemetry.reconcile,
        controlTelemetryFile: options.ops.telemetry.control,
        window: String(options.driftSummaryWindow),
      },
      reconcileHealthContext(ctx, options.cwd),
    );
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Profile drift (spec 13 §9 step 4) — best effort (Q13-6 careful form).
// ---------------------------------------------------------------------------------------------------

export interface ProfileDriftStepInput {
  readonly appliedProfile: string;
  readonly recommendedProfile: string;
  readonly recommendationConfidence: string;
  readonly rationale: string;
}

export function profileDriftArguments(options: ReconcileOptions, input: ProfileDriftStepInput): string[] {
  return [
    "--repo",
    options.repoPath,
    "--loop",
    options.loopId,
    "--applied-profile",
    input.appliedProfile,
    "--recommended-profile",
    input.recommendedProfile,
    ...(options.thresholdsFile === null ? [] : ["--thresholds-file", options.thresholdsFile]),
    "--recommendation-confidence",
    input.recommendationConfidence,
    "--min-confidence",
    options.driftMinConfidence,
    "--required-streak",
    String(options.driftRequiredStreak),
    "--summary-window",
    String(options.driftSummaryWindow),
    "--drift-state-file",
    options.files.driftState.shown,
    "--drift-history-file",
    options.files.driftHistory.shown,
    ...(input.rationale.length > 0 ? ["--rationale", input.rationale] : []),
  ];
}

/** The drift document, or an error message when the step failed. */
export type ProfileDriftStepResult =
  | { readonly ok: true; readonly drift: ProfileDriftDocument | JsonObject }
  | { readonly ok: false; readonly message: string };

export async function profileDriftStep(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  input: ProfileDriftStepInput,
): Promise<ProfileDriftStepResult> {
  try {
    const hook = await runStepHook("profileDrift", profileDriftArguments(options, input), options, ctx);
    if (hook !== null) {
      const drift = hook.result.ok ? parseHookObject(hook.result.stdout) : null;
      if (drift === null) {
        return {
          ok: false,
          message: `${hook.script}: ${outputTail(hook.result.all) ?? `exit ${hook.result.exitCode}`}`,
        };
      }
      return { ok: true, drift };
    }
    const drift = await profileDrift(
      {
        repo: options.repoPath,
        loop: options.loopId,
        appliedProfile: input.appliedProfile,
        recommendedProfile: input.recommendedProfile,
        ...(options.thresholdsFile === null ? {} : { thresholdsFile: options.thresholdsFile }),
        recommendationConfidence: input.recommendationConfidence,
        minConfidence: options.driftMinConfidence,
        requiredStreak: String(options.driftRequiredStreak),
        summaryWindow: String(options.driftSummaryWindow),
        rationale: input.rationale,
        driftStateFile: options.files.driftState.path,
        driftHistoryFile: options.files.driftHistory.path,
      },
      reconcileHealthContext(ctx, options.cwd),
    );
    return { ok: true, drift };
  } catch (error) {
    return { ok: false, message: stepErrorOutput(error) };
  }
}

// ---------------------------------------------------------------------------------------------------
// Alert dispatch (spec 13 §10)
// ---------------------------------------------------------------------------------------------------

export function alertDispatchArguments(options: ReconcileOptions): string[] {
  return [
    "--repo",
    options.repoPath,
    "--loop",
    options.loopId,
    "--trace-id",
    options.traceId,
    "--escalations-file",
    options.ops.escalations,
    "--dispatch-state-file",
    options.files.alertDispatchState.shown,
    "--dispatch-telemetry-file",
    options.files.alertDispatchTelemetry.shown,
    ...(options.files.alertConfig === null ? [] : ["--alert-config-file", options.files.alertConfig.shown]),
  ];
}

/**
 * Run dispatch: the hook when `OPS_MANAGER_ALERT_DISPATCH_SCRIPT` is set (stdout discarded, a
 * non-zero exit is a failure with its combined output), else `ctx.alertDispatch` (default: the
 * in-process dispatch, inside the loop lock). A thrown error counts as a failure.
 */
export async function alertDispatchStep(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  clock: NonNullable<ReconcileContext["clock"]>,
): Promise<AlertDispatchOutcome> {
  const hook = await runStepHook("alertDispatch", alertDispatchArguments(options), options, ctx);
  if (hook !== null) {
    return hook.result.ok ? { status: "completed" } : { status: "failed", output: hook.result.all };
  }
  const dispatch = ctx.alertDispatch ?? inProcessAlertDispatch;
  try {
    const outcome = await dispatch({
      repoPath: options.repoPath,
      loopId: options.loopId,
      traceId: options.traceId,
      escalationsFile: options.ops.escalations,
      dispatchStateFile: options.files.alertDispatchState.path,
      dispatchTelemetryFile: options.files.alertDispatchTelemetry.path,
      alertConfigFile: options.files.alertConfig === null ? null : options.files.alertConfig.path,
      clock,
      env: options.env,
      cwd: options.cwd,
      installRoot: ctx.installRoot ?? null,
      holdsLoopLock: true,
    });
    return isJsonObject(outcome) ? outcome : { status: "completed" };
  } catch (error) {
    return { status: "failed", output: stepErrorOutput(error) };
  }
}
