/**
 * zod schemas of the artifacts the reconcile pipeline owns (spec 13 §5–§8, §10). They describe
 * exactly what reconcile writes: closed objects, optional keys are the spec's "omit-if-null" ones,
 * nullable keys are always present.
 *
 * Defined here (not in @ops/contract) while the reconcile issue is in flight.
 */
import { JsonObjectSchema, NonNegativeIntSchema, TimestampSchema } from "@ops/contract";
import {
  HealthDocumentSchema,
  HealthReasonSchema,
  HealthStatusSchema,
  ProfileDriftDocumentSchema,
} from "@ops/health";
import { z } from "zod";
import { LifecycleProjectionSchema } from "../schemas.js";

export const TransportSchema = z.enum(["local", "sprite_service"]);
export type Transport = z.infer<typeof TransportSchema>;

export const IngestResultSchema = z.enum(["success", "failed"]);
export type IngestResult = z.infer<typeof IngestResultSchema>;

// ---------------------------------------------------------------------------------------------------
// §5.1 transport-health.json
// ---------------------------------------------------------------------------------------------------

export const TransportHealthSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  updatedAt: TimestampSchema,
  traceId: z.string().min(1).optional(),
  transport: TransportSchema,
  lastResult: IngestResultSchema,
  failureStreak: NonNegativeIntSchema,
  lastFailureCode: z.string().min(1).optional(),
  lastSuccessAt: z.string().min(1).optional(),
  lastFailureAt: z.string().min(1).optional(),
});
export type TransportHealth = z.infer<typeof TransportHealthSchema>;

// ---------------------------------------------------------------------------------------------------
// §5.2 heartbeat.json and telemetry/heartbeat.jsonl
// ---------------------------------------------------------------------------------------------------

export const HeartbeatFreshnessSchema = z.enum(["fresh", "degraded", "critical"]);
export type HeartbeatFreshness = z.infer<typeof HeartbeatFreshnessSchema>;

export const HeartbeatThresholdsSchema = z.strictObject({
  degradedHeartbeatLagSeconds: NonNegativeIntSchema,
  criticalHeartbeatLagSeconds: NonNegativeIntSchema,
});
export type HeartbeatThresholds = z.infer<typeof HeartbeatThresholdsSchema>;

export const HeartbeatStateSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  updatedAt: TimestampSchema,
  loopId: z.string(),
  traceId: z.string().min(1).optional(),
  transport: TransportSchema,
  /** The raw runtime heartbeat timestamp (a strict timestamp, otherwise nothing is written). */
  lastHeartbeatAt: z.string(),
  heartbeatLagSeconds: NonNegativeIntSchema,
  freshnessStatus: HeartbeatFreshnessSchema,
  reasonCode: z.literal("runtime_heartbeat_stale").optional(),
  thresholds: HeartbeatThresholdsSchema,
  heartbeat: JsonObjectSchema,
});
export type HeartbeatState = z.infer<typeof HeartbeatStateSchema>;

const heartbeatRowBase = {
  timestamp: TimestampSchema,
  loopId: z.string(),
  traceId: z.string().min(1).optional(),
  transport: TransportSchema,
  category: z.literal("runtime_heartbeat"),
};

/** Heartbeat without `timestamp`/`updatedAt`: nothing projected. */
export const HeartbeatMissingTimestampRowSchema = z.strictObject({
  ...heartbeatRowBase,
  status: z.literal("failed"),
  reasonCode: z.literal("missing_heartbeat_timestamp"),
  heartbeat: JsonObjectSchema,
});

/** Heartbeat timestamp not a strict UTC timestamp: nothing projected; `heartbeatAt` is the raw value. */
export const HeartbeatInvalidTimestampRowSchema = z.strictObject({
  ...heartbeatRowBase,
  status: z.literal("failed"),
  reasonCode: z.literal("invalid_heartbeat_timestamp"),
  heartbeatAt: z.unknown(),
  heartbeat: JsonObjectSchema,
});

export const HeartbeatFreshnessRowSchema = z.strictObject({
  ...heartbeatRowBase,
  status: HeartbeatFreshnessSchema,
  reasonCode: z.literal("runtime_heartbeat_stale").optional(),
  heartbeatAt: z.string(),
  heartbeatLagSeconds: NonNegativeIntSchema,
  heartbeat: JsonObjectSchema,
});

export const HeartbeatTelemetryRowSchema = z.union([
  HeartbeatFreshnessRowSchema,
  HeartbeatMissingTimestampRowSchema,
  HeartbeatInvalidTimestampRowSchema,
]);
export type HeartbeatTelemetryRow = z.infer<typeof HeartbeatTelemetryRowSchema>;

// ---------------------------------------------------------------------------------------------------
// §5.3 sequence-state.json and telemetry/sequence.jsonl
// ---------------------------------------------------------------------------------------------------

export const SequenceViolationSchema = z.enum([
  "event_sequence_missing",
  "event_sequence_non_monotonic",
  "event_sequence_regression",
  "snapshot_sequence_missing",
  "snapshot_sequence_regression",
]);
export type SequenceViolationCode = z.infer<typeof SequenceViolationSchema>;

export const SequenceSnapshotSchema = z.strictObject({
  previous: NonNegativeIntSchema.nullable(),
  current: NonNegativeIntSchema.nullable(),
  monotonic: z.boolean(),
  regressed: z.boolean(),
  missing: z.boolean(),
});
export type SequenceSnapshot = z.infer<typeof SequenceSnapshotSchema>;

export const SequenceEventsSchema = z.strictObject({
  ingestedCount: NonNegativeIntSchema,
  previousLast: NonNegativeIntSchema.nullable(),
  first: NonNegativeIntSchema.nullable(),
  last: NonNegativeIntSchema.nullable(),
  monotonicWithinBatch: z.boolean(),
  monotonicAcrossBatches: z.boolean(),
  regressed: z.boolean(),
  missing: z.boolean(),
});
export type SequenceEvents = z.infer<typeof SequenceEventsSchema>;

export const SequenceTransitionSchema = z.strictObject({
  previousDriftActive: z.boolean(),
  transitionedToDrift: z.boolean(),
  recoveredFromDrift: z.boolean(),
});
export type SequenceTransition = z.infer<typeof SequenceTransitionSchema>;

export const SequenceStateStatusSchema = z.enum(["ok", "ordering_drift_detected"]);

export const SequenceStateSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  updatedAt: TimestampSchema,
  loopId: z.string(),
  traceId: z.string().min(1).optional(),
  transport: TransportSchema,
  status: SequenceStateStatusSchema,
  reasonCode: z.literal("ordering_drift_detected").optional(),
  driftActive: z.boolean(),
  violations: z.array(SequenceViolationSchema),
  snapshot: SequenceSnapshotSchema,
  events: SequenceEventsSchema,
  transition: SequenceTransitionSchema,
});
export type SequenceState = z.infer<typeof SequenceStateSchema>;

export const SequenceTelemetryRowSchema = z.strictObject({
  timestamp: TimestampSchema,
  loopId: z.string(),
  traceId: z.string().min(1).optional(),
  transport: TransportSchema,
  category: z.literal("envelope_sequence"),
  status: SequenceStateStatusSchema,
  reasonCode: z.literal("ordering_drift_detected").optional(),
  driftActive: z.boolean(),
  violations: z.array(SequenceViolationSchema),
  snapshot: SequenceSnapshotSchema,
  events: SequenceEventsSchema,
  transition: SequenceTransitionSchema,
});
export type SequenceTelemetryRow = z.infer<typeof SequenceTelemetryRowSchema>;

// ---------------------------------------------------------------------------------------------------
// §7 escalations.jsonl
// ---------------------------------------------------------------------------------------------------

const escalationBase = {
  timestamp: TimestampSchema,
  loopId: z.string(),
  traceId: z.string(),
  transport: TransportSchema,
};

export const DivergenceEscalationSchema = z.strictObject({
  ...escalationBase,
  category: z.literal("divergence_detected"),
  stateFile: z.string(),
  cursorFile: z.string(),
  divergenceFlags: z.strictObject({
    activeMismatch: z.boolean(),
    approvalCompletionConflict: z.boolean(),
    cursorRegression: z.boolean(),
  }),
  state: z.strictObject({
    transition: JsonObjectSchema,
    projection: JsonObjectSchema,
    cursor: JsonObjectSchema,
  }),
});
export type DivergenceEscalation = z.infer<typeof DivergenceEscalationSchema>;

export const OrderingDriftEscalationSchema = z.strictObject({
  ...escalationBase,
  category: z.literal("ordering_drift_detected"),
  reasonCode: z.string(),
  stateFile: z.string(),
  sequenceStateFile: z.string(),
  sequenceTelemetryFile: z.string(),
  sequence: z.strictObject({
    status: SequenceStateStatusSchema,
    driftActive: z.boolean(),
    violations: z.array(SequenceViolationSchema),
    snapshot: SequenceSnapshotSchema,
    events: SequenceEventsSchema,
  }),
});
export type OrderingDriftEscalation = z.infer<typeof OrderingDriftEscalationSchema>;

export const HealthEscalationSchema = z.strictObject({
  ...escalationBase,
  category: z.enum(["health_degraded", "health_critical"]),
  ingestStatus: IngestResultSchema,
  failureCode: z.string().min(1).optional(),
  stateFile: z.string(),
  cursorFile: z.string(),
  healthFile: z.string(),
  healthStatus: z.enum(["degraded", "critical"]),
  reasonCodes: z.array(z.string()),
  reasons: z.array(HealthReasonSchema),
});
export type HealthEscalation = z.infer<typeof HealthEscalationSchema>;

export const ProfileDriftEscalationSchema = z.strictObject({
  ...escalationBase,
  category: z.literal("profile_drift_detected"),
  stateFile: z.string(),
  driftStateFile: z.string(),
  driftHistoryFile: z.string(),
  reasonCode: z.string(),
  drift: z.strictObject({
    status: z.string().nullable(),
    appliedProfile: z.string().nullable(),
    recommendedProfile: z.string().nullable(),
    recommendationConfidence: z.string().nullable(),
    mismatchStreak: z.number().nullable(),
    requiredStreak: z.number().nullable(),
    action: z.string().nullable(),
    rationale: z.string().nullable(),
  }),
});
export type ProfileDriftEscalation = z.infer<typeof ProfileDriftEscalationSchema>;

export const EscalationRowSchema = z.union([
  DivergenceEscalationSchema,
  OrderingDriftEscalationSchema,
  HealthEscalationSchema,
  ProfileDriftEscalationSchema,
]);
export type EscalationRow = z.infer<typeof EscalationRowSchema>;

// ---------------------------------------------------------------------------------------------------
// §8 telemetry/reconcile.jsonl
// ---------------------------------------------------------------------------------------------------

export const ReconcileSequenceStatusSchema = z.enum([
  "ok",
  "ordering_drift_detected",
  "skipped_ingest_failed",
]);

export const ReconcileTelemetryRowSchema = z.strictObject({
  timestamp: TimestampSchema,
  startedAt: TimestampSchema,
  loopId: z.string(),
  traceId: z.string(),
  transport: TransportSchema,
  status: IngestResultSchema,
  failureCode: z.string().min(1).optional(),
  failureMessage: z.string().min(1).optional(),
  cursorOffsetBefore: NonNegativeIntSchema,
  cursorOffsetAfter: NonNegativeIntSchema,
  eventsIngested: NonNegativeIntSchema,
  maxEvents: NonNegativeIntSchema,
  fromStart: z.boolean(),
  retryAttempts: z.number().int().min(1),
  retryBackoffSeconds: NonNegativeIntSchema,
  thresholdProfile: z.string().min(1).optional(),
  durationSeconds: NonNegativeIntSchema,
  transportFailureStreak: NonNegativeIntSchema,
  sequenceStatus: ReconcileSequenceStatusSchema,
  sequenceReasonCode: z.string().min(1).optional(),
  healthStatus: HealthStatusSchema,
  healthReasonCodes: z.array(z.string()),
});
export type ReconcileTelemetryRow = z.infer<typeof ReconcileTelemetryRowSchema>;

// ---------------------------------------------------------------------------------------------------
// §10 alert-dispatch hook failure row (telemetry/alerts.jsonl)
// ---------------------------------------------------------------------------------------------------

export const AlertDispatchFailureRowSchema = z.strictObject({
  timestamp: TimestampSchema,
  loopId: z.string(),
  traceId: z.string(),
  category: z.literal("alert_dispatch"),
  status: z.literal("failed_command"),
  reasonCode: z.literal("alert_dispatch_failed"),
  message: z.string().min(1).optional(),
});
export type AlertDispatchFailureRow = z.infer<typeof AlertDispatchFailureRowSchema>;

// ---------------------------------------------------------------------------------------------------
// §6 the merged state.json
// ---------------------------------------------------------------------------------------------------

export const ReconcileTraceSchema = z.looseObject({ reconcileTraceId: z.string() });

/** `state.json.drift`: the drift document plus the reconcile trace id. */
export const StateDriftSchema = ProfileDriftDocumentSchema.extend({ traceId: z.string() });
export type StateDrift = z.infer<typeof StateDriftSchema>;

export const TuningSchema = z.strictObject({
  /** `health.thresholds.profile` of the state file. */
  appliedProfile: z.string().nullable(),
  /** From the telemetry summary (null only when a hook's summary lacks the field). */
  recommendedProfile: z.string().nullable(),
  confidence: z.string().nullable(),
  rationale: z.string().nullable(),
  /** Summary `source.window`. */
  summaryWindow: z.number().int().min(1).nullable(),
  telemetrySummary: z.strictObject({
    observed: JsonObjectSchema.nullable(),
    source: JsonObjectSchema.nullable(),
  }),
});
export type Tuning = z.infer<typeof TuningSchema>;

/**
 * `state.json` after a successful reconcile (spec 13 §6): the lifecycle projection plus `health`,
 * `trace`, `sequence`, and (when the drift step produced them) `drift` and `tuning`.
 */
export const ReconciledStateSchema = LifecycleProjectionSchema.extend({
  health: HealthDocumentSchema,
  trace: ReconcileTraceSchema,
  sequence: SequenceStateSchema,
  drift: StateDriftSchema.optional(),
  tuning: TuningSchema.optional(),
});
export type ReconciledState = z.infer<typeof ReconciledStateSchema>;

// ---------------------------------------------------------------------------------------------------
// <ops>/snapshot-digest-cache.json (not in the spec: reconcile's cache of the snapshot's digests)
// ---------------------------------------------------------------------------------------------------

/** `{dev, ino, size, mtimeMs}` of a runtime file plus its artifact reference fields. */
const cachedFileRefShape = {
  dev: z.number(),
  ino: z.number(),
  size: NonNegativeIntSchema,
  mtimeMs: z.number(),
  sizeBytes: NonNegativeIntSchema,
  lineCount: NonNegativeIntSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
};

/**
 * The digest cache `loopRunSnapshot` (transport-local `SnapshotDigestCache`) reads and updates,
 * persisted between cycles. An entry is only a shortcut: the snapshot checks it against the file
 * before using it, and a file that does not parse with this schema is treated as an empty cache.
 */
export const SnapshotDigestCacheSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  /** Resumable SHA-256 of the append-only events.jsonl (`EventsDigestEntry`). */
  events: z
    .strictObject({
      dev: z.number(),
      ino: z.number(),
      /** End of the last complete line hashed into `state`. */
      hashedBytes: NonNegativeIntSchema,
      lineCount: NonNegativeIntSchema,
      /** base64 of the bytes just before `hashedBytes`, compared before resuming. */
      tail: z.base64(),
      /** base64 of hash-wasm's saved SHA-256 state. */
      state: z.base64().min(1),
    })
    .nullable(),
  /** Runtime JSON files, reused while `{dev, ino, size, mtimeMs}` is unchanged. */
  files: z.strictObject({
    state: z.strictObject({ ...cachedFileRefShape, document: JsonObjectSchema.nullable() }).nullable(),
    activeRun: z.strictObject({ ...cachedFileRefShape, document: JsonObjectSchema.nullable() }).nullable(),
    approval: z.strictObject({ ...cachedFileRefShape, document: JsonObjectSchema.nullable() }).nullable(),
    runSummary: z
      .strictObject({
        ...cachedFileRefShape,
        latestEntry: JsonObjectSchema.nullable(),
        updatedAt: z.string().min(1).nullable(),
      })
      .nullable(),
    heartbeat: z.strictObject({ ...cachedFileRefShape, document: JsonObjectSchema.nullable() }).nullable(),
  }),
});
export type SnapshotDigestCacheFile = z.infer<typeof SnapshotDigestCacheSchema>;
