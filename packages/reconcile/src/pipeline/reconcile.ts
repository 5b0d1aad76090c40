/**
 * reconcile (spec 13): one supervision cycle for one loop, every step in-process, the whole cycle
 * under the loop lock (`opsPaths(repo, loop).lock`), so two concurrent reconciles of one loop run
 * one after the other.
 *
 * Careful behaviours implemented (spec 13 §13):
 * - Q13-1 `OPS_MANAGER_ALERTS_ENABLED` is validated like the flag (see options.ts).
 * - Q13-2 a 2xx service snapshot that is not JSON / not a snapshot envelope is
 *   `service_response_invalid`, a normal failed cycle (ingest-service.ts).
 * - Q13-3 the cursor is committed only after project-state succeeded (local: the poller's own
 *   document; sprite_service: §4.2 step 6's); events of a run whose projection fails are delivered
 *   again next cycle.
 * - Q13-10 service query values are URL-encoded.
 * - Q13-4 replay baseline / carry-forward (see sequence.ts).
 * - Q13-6 the profile-drift step is best effort: a failure is reported through `ctx.warn` and the
 *   cycle completes (no drift merge, no drift escalation).
 * - Q13-7 `eventsIngested` counts only a batch that was fully ingested (0 on `events_unavailable`).
 * - Q13-9 `evidence.snapshotFile` names a persistent file under `<ops>/` (`snapshot.json`),
 *   replaced each successful cycle. `evidence.eventsFile` is null: the batch is not copied (it is
 *   lines `cursorOffsetBefore+1 … cursorOffsetAfter` of events.jsonl, both in the telemetry row),
 *   unless `ctx.persistEventBatch` asks for `<ops>/events-batch.ndjson`. Never a dangling path.
 *
 * Ingest (§4) is per transport — local (ingest-local.ts: the snapshot and poll adapters, streamed;
 * the snapshot keeps its digests in `<ops>/snapshot-digest-cache.json`, so a cycle costs O(new
 * events), not O(log)) or sprite_service (ingest-service.ts: `/ops/snapshot` and `/ops/events`
 * through the service client) — and both feed the same batch, projection and cursor commit
 * (ingest-batch.ts). Everything after ingest is transport-independent apart from the `transport`
 * label in the artifacts.
 */
import {
  appendJsonl,
  type Clock,
  formatTimestamp,
  isRegularFile,
  type JsonObject,
  systemClock,
  ValidationError,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import type { HealthDocument } from "@ops/health";
import type { ReconcileContext } from "./context.js";
import {
  divergenceDetected,
  divergenceEscalation,
  type EscalationFrame,
  healthEscalation,
  healthEscalationDue,
  orderingDriftEscalation,
  previousHealthOf,
  profileDriftActivated,
  profileDriftEscalation,
} from "./escalations.js";
import { projectHeartbeat } from "./heartbeat.js";
import type { IngestOutcome } from "./ingest-batch.js";
import { ingestLocal } from "./ingest-local.js";
import { ingestService } from "./ingest-service.js";
import { type ReconcileInput, type ReconcileOptions, resolveReconcileOptions } from "./options.js";
import type { EscalationRow, SequenceState } from "./schemas.js";
import { EMPTY_SEQUENCE_SUMMARY, evaluateSequence, type SequenceEvaluation } from "./sequence.js";
import { mergeDriftState, mergeFailureState, mergeSuccessState } from "./state-merge.js";
import { alertDispatchStep, healthStep, profileDriftStep, telemetrySummaryStep } from "./steps.js";
import { alertDispatchFailureRow, reconcileTelemetryRow } from "./telemetry.js";
import { projectTransportHealth } from "./transport-health.js";
import {
  field,
  isJsonObject,
  nonEmptyString,
  outputTail,
  readObjectOrEmpty,
  stepErrorOutput,
} from "./util.js";

export { eventBatchEvidencePath } from "./ingest-batch.js";

export interface ReconcileResult {
  /** 0: ingest + projection succeeded (any health); 1: ingest or projection failed. */
  readonly exitCode: 0 | 1;
  /** Success: the final merged `state.json` document. Failure: the health document. */
  readonly document: JsonObject;
}

/** Spec 13 §2 step 13. */
export const SERVICE_BASE_URL_REQUIRED_MESSAGE =
  "--service-base-url is required when --transport sprite_service";

/**
 * `reconcile`: validate (spec 13 §2, throwing ValidationError with the spec's messages), then run
 * the pipeline of §3 under the loop lock. Resolves to the document the CLI prints and the exit code.
 * Errors that abort the cycle (validation, profile resolution, a failing health hook, I/O on manager
 * artifacts, lock timeout) reject with an OpsError: the CLI prints nothing on stdout and exits 1.
 */
export async function reconcile(input: ReconcileInput, ctx: ReconcileContext = {}): Promise<ReconcileResult> {
  const options = await resolveReconcileOptions(input, ctx);
  // Step 13 (at ingest time, before any telemetry is written; `<ops>/` exists since step 8).
  if (options.transport === "sprite_service" && options.serviceBaseUrl === null) {
    throw new ValidationError(SERVICE_BASE_URL_REQUIRED_MESSAGE);
  }
  return withLock(options.ops.lock, () => runPipeline(options, ctx), ctx.lock ?? {});
}

/** `eventLineOffset` of a cursor file: a non-negative integer (or digit string), else 0. */
export async function readCursorOffset(cursorFile: string): Promise<number> {
  const offset = field(await readObjectOrEmpty(cursorFile), "eventLineOffset");
  if (typeof offset === "number" && Number.isSafeInteger(offset) && offset >= 0) return offset;
  if (typeof offset === "string" && /^[0-9]+$/.test(offset)) {
    const parsed = Number(offset);
    if (Number.isSafeInteger(parsed)) return parsed;
  }
  return 0;
}

/** §3 steps 4–5 over the cycle's transport. `start` = `cursorOffsetBefore` (§4.2 step 2). */
async function ingest(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  clock: Clock,
  start: number,
): Promise<IngestOutcome> {
  return options.transport === "local"
    ? ingestLocal(options, ctx, clock)
    : ingestService(options, ctx, clock, start);
}

// ---------------------------------------------------------------------------------------------------
// The pipeline (spec 13 §3)
// ---------------------------------------------------------------------------------------------------

async function runPipeline(options: ReconcileOptions, ctx: ReconcileContext): Promise<ReconcileResult> {
  const clock = ctx.clock ?? systemClock;
  const now = () => formatTimestamp(clock.now());
  const { ops, files, loopId, traceId, transport } = options;

  // 1. previous health.
  const previousHealth = previousHealthOf(await readObjectOrEmpty(ops.health));
  // 2. cursor offset before.
  const cursorOffsetBefore = options.fromStart ? 0 : await readCursorOffset(files.cursor.path);
  // 3. start.
  const startedAt = now();

  // 4–5. ingest and project (§4.1 local, §4.2 sprite_service).
  const outcome = await ingest(options, ctx, clock, cursorOffsetBefore);
  const failureCode = outcome.ok ? null : outcome.failureCode;
  const cursorOffsetAfter = await readCursorOffset(files.cursor.path);

  // 6. transport health.
  const transportHealth = projectTransportHealth(await readObjectOrEmpty(ops.telemetry.transportHealth), {
    now: now(),
    traceId,
    transport,
    success: outcome.ok,
    failureCode,
  });
  await writeJsonAtomic(ops.telemetry.transportHealth, transportHealth);

  // 7. heartbeat projection, then sequence diagnostics (successful ingest only).
  let sequence: SequenceEvaluation | null = null;
  if (outcome.ok) {
    const heartbeat = projectHeartbeat({
      heartbeat: outcome.heartbeat ?? null,
      now: now(),
      loopId,
      traceId,
      transport,
      thresholds: {
        degradedHeartbeatLagSeconds: options.thresholds.degradedHeartbeatLagSeconds,
        criticalHeartbeatLagSeconds: options.thresholds.criticalHeartbeatLagSeconds,
      },
    });
    if (heartbeat.kind === "projected") await writeJsonAtomic(files.heartbeatState.path, heartbeat.state);
    if (heartbeat.kind !== "absent") await appendJsonl(files.heartbeatTelemetry.path, heartbeat.telemetry);

    sequence = evaluateSequence({
      previous: await readObjectOrEmpty(files.sequenceState.path),
      snapshotSequence: outcome.snapshotSequence,
      events: outcome.sequence ?? EMPTY_SEQUENCE_SUMMARY,
      replay: options.fromStart,
      now: now(),
      loopId,
      traceId,
      transport,
      ...(ctx.quirks?.sequence === undefined ? {} : { quirks: ctx.quirks.sequence }),
    });
    await writeJsonAtomic(files.sequenceState.path, sequence.state);
    await appendJsonl(files.sequenceTelemetry.path, sequence.telemetry);
  }

  // 8. health.
  const health = await healthStep(options, ctx, {
    ingestStatus: outcome.ok ? "success" : "failed",
    failureCode,
    transportHealth,
    now: now(),
  });
  await writeJsonAtomic(ops.health, health);

  // 9. state merge.
  let state: JsonObject | null = null;
  if (outcome.ok && sequence !== null) {
    state = mergeSuccessState(outcome.projection as unknown as JsonObject, health, traceId, sequence.state);
    await writeJsonAtomic(files.state.path, state);
  } else if (await isRegularFile(files.state.path)) {
    state = mergeFailureState(await readObjectOrEmpty(files.state.path), health, traceId);
    await writeJsonAtomic(files.state.path, state);
  }

  // 10. escalations: divergence → ordering drift → health.
  const frame = (): EscalationFrame => ({ timestamp: now(), loopId, traceId, transport });
  const escalations: EscalationRow[] = [];
  if (outcome.ok && state !== null && divergenceDetected(state)) {
    escalations.push(
      divergenceEscalation(frame(), state, { stateFile: files.state.shown, cursorFile: files.cursor.shown }),
    );
  }
  if (sequence?.transitionedToDrift === true) {
    escalations.push(
      orderingDriftEscalation(frame(), sequence.state, {
        stateFile: files.state.shown,
        sequenceStateFile: files.sequenceState.shown,
        sequenceTelemetryFile: files.sequenceTelemetry.shown,
      }),
    );
  }
  if (healthEscalationDue(health, previousHealth)) {
    escalations.push(
      healthEscalation(
        frame(),
        health,
        { ingestStatus: outcome.ok ? "success" : "failed", failureCode },
        { stateFile: files.state.shown, cursorFile: files.cursor.shown, healthFile: ops.health },
      ),
    );
  }
  if (escalations.length > 0) await appendJsonl(ops.escalations, escalations);

  // 11. reconcile telemetry.
  const sequenceState: SequenceState | null = sequence?.state ?? null;
  await appendJsonl(
    ops.telemetry.reconcile,
    reconcileTelemetryRow({
      timestamp: now(),
      startedAt,
      loopId,
      traceId,
      transport,
      status: outcome.ok ? "success" : "failed",
      failureCode,
      failureMessage: outcome.ok ? null : outputTail(outcome.failureMessage),
      cursorOffsetBefore,
      cursorOffsetAfter,
      eventsIngested: outcome.eventsIngested,
      maxEvents: options.maxEvents,
      fromStart: options.fromStart,
      retryAttempts: options.retryAttempts,
      retryBackoffSeconds: options.retryBackoffSeconds,
      thresholdProfile: options.thresholdProfile,
      transportFailureStreak: transportHealth.failureStreak,
      sequenceStatus: sequenceState === null ? "skipped_ingest_failed" : sequenceState.status,
      sequenceReasonCode: sequenceState?.reasonCode ?? null,
      healthStatus: health.status,
      healthReasonCodes: health.reasonCodes,
    }),
  );

  // 12. profile drift (best effort, Q13-6).
  state = (await profileDriftPass(options, ctx, health, now)) ?? state;

  // 13. alert dispatch.
  if (options.alertsEnabled) {
    const dispatched = await alertDispatchStep(options, ctx, clock);
    if (dispatched.status === "failed") {
      await appendJsonl(
        files.alertDispatchTelemetry.path,
        alertDispatchFailureRow({
          timestamp: now(),
          loopId,
          traceId,
          message: outputTail(dispatched.output),
        }),
      );
    }
  }

  // 14. result.
  if (outcome.ok && state !== null) return { exitCode: 0, document: state };
  return { exitCode: 1, document: health as unknown as JsonObject };
}

/**
 * Spec 13 §9: telemetry summary (failure → null), profile drift, merge into the state file (when it
 * exists), then the profile-drift escalation. Returns the merged state, or null when nothing was
 * merged. Never throws for a failing drift step (Q13-6 careful form).
 */
async function profileDriftPass(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  health: HealthDocument,
  now: () => string,
): Promise<JsonObject | null> {
  const { files, traceId } = options;
  const summary = await telemetrySummaryStep(options, ctx);
  const appliedProfile =
    nonEmptyString(options.thresholdProfile) ?? nonEmptyString(health.thresholds.profile) ?? "";
  const recommendedProfile = nonEmptyString(field(summary, "recommendedProfile")) ?? "";
  const recommendationConfidence = nonEmptyString(field(summary, "confidence")) ?? "low";
  const rationale = nonEmptyString(field(summary, "rationale")) ?? "";
  const result = await profileDriftStep(options, ctx, {
    appliedProfile,
    recommendedProfile,
    recommendationConfidence,
    rationale,
  });
  if (!result.ok) {
    ctx.warn?.(`profile drift step failed (reconcile continues): ${result.message}`);
    return null;
  }
  let merged: JsonObject | null = null;
  try {
    if (await isRegularFile(files.state.path)) {
      merged = mergeDriftState(
        await readObjectOrEmpty(files.state.path),
        result.drift,
        traceId,
        isJsonObject(summary) ? summary : null,
      );
      await writeJsonAtomic(files.state.path, merged);
    }
    if (profileDriftActivated(result.drift)) {
      await appendJsonl(
        options.ops.escalations,
        profileDriftEscalation(
          { timestamp: now(), loopId: options.loopId, traceId, transport: options.transport },
          result.drift,
          {
            stateFile: files.state.shown,
            driftStateFile: files.driftState.shown,
            driftHistoryFile: files.driftHistory.shown,
          },
        ),
      );
    }
  } catch (error) {
    ctx.warn?.(`profile drift merge failed (reconcile continues): ${stepErrorOutput(error)}`);
  }
  return merged;
}
