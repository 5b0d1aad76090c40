/**
 * reconcile (spec 13): one supervision cycle for one loop, every step in-process, the whole cycle
 * under the loop lock (`opsPaths(repo, loop).lock`), so two concurrent reconciles of one loop run
 * one after the other.
 *
 * Careful behaviours implemented (spec 13 §13):
 * - Q13-1 `OPS_MANAGER_ALERTS_ENABLED` is validated like the flag (see options.ts).
 * - Q13-3 the poll cursor is committed only after project-state succeeded (same document as the
 *   poller writes); events of a run whose projection fails are delivered again next cycle.
 * - Q13-4 replay baseline / carry-forward (see sequence.ts).
 * - Q13-6 the profile-drift step is best effort: a failure is reported through `ctx.warn` and the
 *   cycle completes (no drift merge, no drift escalation).
 * - Q13-7 `eventsIngested` counts only a batch that was fully ingested (0 on `events_unavailable`).
 * - Q13-9 `evidence.snapshotFile` names a persistent file under `<ops>/` (`snapshot.json`),
 *   replaced each successful cycle. `evidence.eventsFile` is null: the batch is not copied (it is
 *   lines `cursorOffsetBefore+1 … cursorOffsetAfter` of events.jsonl, both in the telemetry row),
 *   unless `ctx.persistEventBatch` asks for `<ops>/events-batch.ndjson`. Never a dangling path.
 *
 * Ingestion is streamed: the batch is never held in memory (sequence diagnostics and project-state
 * need only counts, first/last values and the last envelope). The snapshot keeps its digests in
 * `<ops>/snapshot-digest-cache.json` (digest-cache.ts), so a cycle costs O(new events), not O(log).
 */
import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import {
  appendJsonl,
  type Clock,
  formatTimestamp,
  type JsonObject,
  type LoopRunSnapshot,
  systemClock,
  ValidationError,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import type { HealthDocument } from "@ops/health";
import {
  type EventBatchResult,
  eventBatch,
  loopRunSnapshot,
  type CommandContext as TransportContext,
  writePollCursor,
} from "@ops/transport-local";
import {
  EVENT_GUARD_MESSAGE,
  isEventEnvelopeFor,
  isSnapshotEnvelopeFor,
  SNAPSHOT_GUARD_MESSAGE,
} from "../envelope-inputs.js";
import { commitLifecycleState, generatedSnapshotPath } from "../project-state.js";
import type { LifecycleProjection } from "../schemas.js";
import type { ReconcileContext } from "./context.js";
import {
  formatSnapshotDigestCache,
  readSnapshotDigestCache,
  snapshotDigestCachePath,
  writeSnapshotDigestCache,
} from "./digest-cache.js";
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
import { type ReconcileInput, type ReconcileOptions, resolveReconcileOptions } from "./options.js";
import type { EscalationRow, SequenceState } from "./schemas.js";
import {
  EMPTY_SEQUENCE_SUMMARY,
  type EventSequenceSummary,
  EventSequenceTracker,
  evaluateSequence,
  type SequenceEvaluation,
} from "./sequence.js";
import { mergeDriftState, mergeFailureState, mergeSuccessState } from "./state-merge.js";
import { alertDispatchStep, healthStep, profileDriftStep, telemetrySummaryStep } from "./steps.js";
import { alertDispatchFailureRow, reconcileTelemetryRow } from "./telemetry.js";
import { projectTransportHealth } from "./transport-health.js";
import {
  field,
  isJsonObject,
  isRegularFile,
  nonEmptyString,
  outputTail,
  readObjectOrEmpty,
  stepErrorOutput,
} from "./util.js";

export interface ReconcileResult {
  /** 0: ingest + projection succeeded (any health); 1: ingest or projection failed. */
  readonly exitCode: 0 | 1;
  /** Success: the final merged `state.json` document. Failure: the health document. */
  readonly document: JsonObject;
}

export const SPRITE_SERVICE_UNAVAILABLE_MESSAGE = "--transport sprite_service is not available yet";

/**
 * Where the last successfully projected batch is kept when `ctx.persistEventBatch` is true
 * (Q13-9 opt-in): `evidence.eventsFile`.
 */
export function eventBatchEvidencePath(repoPath: string, loopId: string): string {
  return path.join(path.dirname(generatedSnapshotPath(repoPath, loopId)), "events-batch.ndjson");
}

/**
 * `reconcile`: validate (spec 13 §2, throwing ValidationError with the spec's messages), then run
 * the pipeline of §3 under the loop lock. Resolves to the document the CLI prints and the exit code.
 * Errors that abort the cycle (validation, profile resolution, a failing health hook, I/O on manager
 * artifacts, lock timeout) reject with an OpsError: the CLI prints nothing on stdout and exits 1.
 */
export async function reconcile(input: ReconcileInput, ctx: ReconcileContext = {}): Promise<ReconcileResult> {
  const options = await resolveReconcileOptions(input, ctx);
  // Step 13 (at ingest time, before any telemetry). The sprite-service transport is a later issue:
  // after the spec's own check, it fails with one clear line.
  if (options.transport === "sprite_service") {
    if (options.serviceBaseUrl === null) {
      throw new ValidationError("--service-base-url is required when --transport sprite_service");
    }
    throw new ValidationError(SPRITE_SERVICE_UNAVAILABLE_MESSAGE);
  }
  return withLock(options.ops.lock, () => runPipeline(options, ctx), ctx.lock ?? {});
}

// ---------------------------------------------------------------------------------------------------
// Ingest + projection (spec 13 §3 steps 4–5, §4.1)
// ---------------------------------------------------------------------------------------------------

type IngestOutcome =
  | {
      readonly ok: false;
      readonly failureCode: "snapshot_unavailable" | "events_unavailable" | "projection_failed";
      readonly failureMessage: string | null;
      readonly eventsIngested: number;
    }
  | {
      readonly ok: true;
      readonly snapshot: LoopRunSnapshot;
      readonly projection: LifecycleProjection;
      readonly sequence: EventSequenceSummary;
      readonly eventsIngested: number;
    };

/** Buffered writer of the batch evidence file (a temp file renamed into place on success). */
class BatchEvidenceWriter {
  private chunks: string[] = [];
  private size = 0;
  private constructor(
    private readonly handle: FileHandle,
    readonly tempFile: string,
  ) {}

  static async open(tempFile: string): Promise<BatchEvidenceWriter> {
    return new BatchEvidenceWriter(await open(tempFile, "w", 0o644), tempFile);
  }

  async write(line: string): Promise<void> {
    this.chunks.push(line, "\n");
    this.size += line.length + 1;
    if (this.size >= 64 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.chunks.join("");
    this.chunks = [];
    this.size = 0;
    await this.handle.writeFile(text);
  }

  async commit(target: string): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tempFile, target);
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempFile).catch(() => undefined);
  }
}

async function ingestLocal(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  clock: Clock,
): Promise<IngestOutcome> {
  const transportCtx: TransportContext = {
    clock,
    cwd: options.cwd,
    ...(ctx.tornReadRetries === undefined ? {} : { tornReadRetries: ctx.tornReadRetries }),
    ...(ctx.tornReadDelayMs === undefined ? {} : { tornReadDelayMs: ctx.tornReadDelayMs }),
  };
  const { repoPath, loopId, traceId } = options;

  // §4.1 step 1: snapshot, with the digests kept from the previous cycles (O(new bytes)).
  let snapshot: LoopRunSnapshot;
  try {
    snapshot = await snapshotWithDigestCache(options, ctx, transportCtx);
  } catch (error) {
    return {
      ok: false,
      failureCode: "snapshot_unavailable",
      failureMessage: stepErrorOutput(error),
      eventsIngested: 0,
    };
  }

  // §4.1 step 2: poll, streamed. The new cursor is returned, not written (Q13-3).
  const persist = ctx.persistEventBatch ?? false;
  const evidencePath = eventBatchEvidencePath(repoPath, loopId);
  const writer = persist
    ? await BatchEvidenceWriter.open(
        path.join(path.dirname(evidencePath), `.${path.basename(evidencePath)}.tmp`),
      )
    : null;
  const tracker = new EventSequenceTracker();
  let count = 0;
  let last: JsonObject | null = null;
  let guardError: string | null = null;
  let writeError: unknown = null;
  let batch: EventBatchResult;
  try {
    const envelopes = eventBatch(
      {
        repo: repoPath,
        loop: loopId,
        cursorFile: options.files.cursor.path,
        fromStart: options.fromStart,
        maxEvents: options.maxEvents,
        traceId,
      },
      transportCtx,
    );
    for (;;) {
      const step = await envelopes.next();
      if (step.done === true) {
        batch = step.value;
        break;
      }
      const envelope = step.value as unknown as JsonObject;
      count += 1;
      last = envelope;
      tracker.observe(envelope);
      // project-state's guard, applied while streaming (the batch is validated before projecting).
      if (guardError === null && !isEventEnvelopeFor(envelope, loopId)) guardError = EVENT_GUARD_MESSAGE;
      if (writer !== null && writeError === null) {
        try {
          await writer.write(JSON.stringify(envelope));
        } catch (error) {
          writeError = error;
        }
      }
    }
  } catch (error) {
    await writer?.discard();
    // Q13-7: envelopes read before the failure were not ingested.
    return {
      ok: false,
      failureCode: "events_unavailable",
      failureMessage: stepErrorOutput(error),
      eventsIngested: 0,
    };
  }

  // Step 5: project-state over the snapshot and the batch.
  const projectionFailed = async (message: string): Promise<IngestOutcome> => {
    await writer?.discard();
    return { ok: false, failureCode: "projection_failed", failureMessage: message, eventsIngested: count };
  };
  if (!isSnapshotEnvelopeFor(snapshot, loopId)) return projectionFailed(`error: ${SNAPSHOT_GUARD_MESSAGE}`);
  if (guardError !== null) return projectionFailed(`error: ${guardError}`);
  if (writeError !== null) return projectionFailed(stepErrorOutput(writeError));
  let projection: LifecycleProjection;
  try {
    projection = await commitLifecycleState(
      {
        repoPath,
        loopId,
        snapshot: snapshot as unknown as JsonObject,
        events: { count, last },
        stateFile: options.files.state.path,
        snapshotFile: generatedSnapshotPath(repoPath, loopId),
        persistSnapshot: true,
        eventsFile: persist ? evidencePath : null,
      },
      {
        clock,
        holdsLoopLock: true,
        ...(ctx.quirks?.lifecycle === undefined ? {} : { quirks: ctx.quirks.lifecycle }),
      },
    );
  } catch (error) {
    return projectionFailed(stepErrorOutput(error));
  }

  // Q13-3: the batch is projected; now its evidence and the cursor are committed.
  if (writer !== null) await writer.commit(evidencePath);
  await writePollCursor(batch.cursorFile, batch.cursor);
  return { ok: true, snapshot, projection, sequence: tracker.summary(), eventsIngested: count };
}

/**
 * The cycle's snapshot. Unless `ctx.snapshotDigestCache` is false, the digest cache is read from
 * `<ops>/snapshot-digest-cache.json` (anything invalid → empty), passed to the snapshot, and written
 * back when the snapshot changed it, also when the snapshot failed (its entries describe the files
 * as they were read). A failure to write the cache is only a warning: it costs the next cycle a
 * full read.
 */
async function snapshotWithDigestCache(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  transportCtx: TransportContext,
): Promise<LoopRunSnapshot> {
  const input = { repo: options.repoPath, loop: options.loopId, traceId: options.traceId };
  if (ctx.snapshotDigestCache === false) return loopRunSnapshot(input, transportCtx);
  const file = snapshotDigestCachePath(options.repoPath, options.loopId);
  const digestCache = await readSnapshotDigestCache(file);
  const before = formatSnapshotDigestCache(digestCache);
  try {
    return await loopRunSnapshot(input, { ...transportCtx, digestCache });
  } finally {
    const after = formatSnapshotDigestCache(digestCache);
    if (after !== before) {
      await writeSnapshotDigestCache(file, after).catch((error: unknown) => {
        ctx.warn?.(`snapshot digest cache not saved (reconcile continues): ${stepErrorOutput(error)}`);
      });
    }
  }
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

  // 4–5. ingest and project.
  const outcome = await ingestLocal(options, ctx, clock);
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
      heartbeat: outcome.snapshot.runtime.heartbeat ?? null,
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
      snapshotSequence: outcome.snapshot.sequence.value,
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
