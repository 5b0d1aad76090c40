/**
 * zod schemas of the artifacts `alert-dispatch` writes (spec 19 §3.2–§3.3 plus the careful additions
 * of alerts/README.md): the dispatch state document, the pending-redelivery file and the rows of
 * `telemetry/alerts.jsonl`. One schema per artifact, used for reading and for typing the writers.
 * `strictObject` everywhere; optional keys are the "nulls omitted" ones, nullable keys are always
 * present. The reconcile hook failure row of the same file (spec 13 §10) is owned by reconcile
 * (`AlertDispatchFailureRowSchema` in packages/reconcile/src/pipeline/schemas.ts).
 */
import { AlertDispatchStatus, AlertReasonCode, AlertSinkResultStatus, SeverityLevel } from "@ops/contract";
import { z } from "zod";

const NonNegativeInt = z.number().int().min(0);
const PositiveInt = z.number().int().min(1);
/** Strict UTC timestamp `YYYY-MM-DDTHH:MM:SSZ` (spec 10 §1.4). */
const Timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
const JsonObject = z.record(z.string(), z.unknown());
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

// ---------------------------------------------------------------------------------------------------
// Dispatch state (spec 19 §3.2): `alert-dispatch-state.json`, also stdout
// ---------------------------------------------------------------------------------------------------

export const DispatchStatusSchema = z.enum(AlertDispatchStatus);
export type DispatchStatus = z.infer<typeof DispatchStatusSchema>;

export const AlertDispatchStateSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  updatedAt: Timestamp,
  loopId: z.string(),
  traceId: z.string().nullable(),
  escalationsFile: z.string(),
  dispatchTelemetryFile: z.string(),
  status: DispatchStatusSchema,
  processedCount: NonNegativeInt,
  dispatchedCount: NonNegativeInt,
  skippedCount: NonNegativeInt,
  failedCount: NonNegativeInt,
  failureReasonCodes: z.array(z.string()),
  escalationsLineOffset: NonNegativeInt,
  escalationsLineCount: NonNegativeInt,
});
export type AlertDispatchState = z.infer<typeof AlertDispatchStateSchema>;

// ---------------------------------------------------------------------------------------------------
// Pending redeliveries (careful Q19-4): `<dispatch-state-file minus .json>.pending.json`
// ---------------------------------------------------------------------------------------------------

/** One escalation whose delivery failed for some sinks. */
export const PendingDeliverySchema = z.strictObject({
  /** 1-based line of the escalation in the escalations file. */
  line: PositiveInt,
  /** sha256 of the line: a rewritten/rotated file is never redelivered against the wrong row. */
  digest: Sha256Hex,
  category: z.string(),
  /** Sinks still to deliver; sinks that accepted the escalation are never listed (no duplicates). */
  sinks: z.array(z.string()),
  delivered: z.array(z.string()),
  /** Redelivery runs that attempted at least one sink. */
  runs: NonNegativeInt,
  /** Sink id → reason code of its last failure. */
  lastReasonCodes: z.record(z.string(), z.string()),
  firstFailedAt: Timestamp,
  lastAttemptAt: Timestamp,
});
export type PendingDelivery = z.infer<typeof PendingDeliverySchema>;

export const PendingDeliveriesFileSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  updatedAt: Timestamp,
  escalationsFile: z.string(),
  pending: z.array(PendingDeliverySchema),
});
export type PendingDeliveriesFile = z.infer<typeof PendingDeliveriesFileSchema>;

// ---------------------------------------------------------------------------------------------------
// Telemetry rows (spec 19 §3.3): `telemetry/alerts.jsonl`
// ---------------------------------------------------------------------------------------------------

/** One delivery attempt of a sink (careful, additive to §3.3). */
export const SinkAttemptSchema = z.strictObject({
  attempt: PositiveInt,
  httpStatus: z.number().int().nullable(),
  reasonCode: z.literal([AlertReasonCode.HttpError, AlertReasonCode.RequestFailed]).nullable(),
  durationMs: NonNegativeInt,
  /** Wait before the next attempt (absent on the last one). */
  retryInMs: NonNegativeInt.optional(),
});
export type SinkAttempt = z.infer<typeof SinkAttemptSchema>;

/** `sinks[]` element: `{id, type}` merged with the sink result; nulls are kept (§3.3). */
export const SinkResultRowSchema = z.strictObject({
  id: z.string(),
  /** Any string: an unsupported type is reported, not rejected. */
  type: z.string(),
  status: z.enum(AlertSinkResultStatus),
  httpStatus: z.number().int().nullable(),
  reasonCode: z
    .literal([
      AlertReasonCode.MissingSecret,
      AlertReasonCode.HttpError,
      AlertReasonCode.RequestFailed,
      AlertReasonCode.UnsupportedSinkType,
      AlertReasonCode.InvalidSinkResult,
    ])
    .nullable(),
  message: z.string().nullable(),
  attempts: z.array(SinkAttemptSchema),
});
export type SinkResultRow = z.infer<typeof SinkResultRowSchema>;

const common = {
  timestamp: Timestamp,
  loopId: z.string(),
  traceId: z.string(),
  category: z.literal("alert_dispatch"),
};
const EventSeverity = z.enum(SeverityLevel);

/** Outcome b: the line is not a JSON object. */
export const InvalidEscalationRowSchema = z.strictObject({
  ...common,
  status: z.literal("failed"),
  reasonCode: z.literal(AlertReasonCode.InvalidEscalationJson),
  rawLine: z.string(),
});

/** Outcome c: no `category`. */
export const MissingCategoryRowSchema = z.strictObject({
  ...common,
  status: z.literal("failed"),
  reasonCode: z.literal(AlertReasonCode.MissingEscalationCategory),
  escalation: JsonObject,
});

/** Outcomes d (resolver failed; has `escalationTimestamp` when known) and e (bad resolver output). */
export const RouteFailureRowSchema = z.strictObject({
  ...common,
  status: z.literal("failed"),
  reasonCode: z.literal([AlertReasonCode.RouteResolutionFailed, AlertReasonCode.InvalidRouteResolution]),
  escalationTraceId: z.string(),
  escalationCategory: z.string(),
  escalationTimestamp: z.string().optional(),
  message: z.string(),
  escalation: JsonObject,
});

/** Outcomes f / g: skipped. */
export const SkippedRowSchema = z.strictObject({
  ...common,
  status: z.literal("skipped"),
  reasonCode: z.literal([AlertReasonCode.SeverityBelowMin, AlertReasonCode.NoDispatchableSinks]),
  escalationTraceId: z.string(),
  escalationCategory: z.string(),
  escalationTimestamp: z.string().optional(),
  eventSeverity: EventSeverity,
  escalation: JsonObject,
  route: JsonObject,
  sinkCount: z.literal(0),
  dispatchedSinkCount: z.literal(0),
  failedSinkCount: z.literal(0),
});

/** Outcome h: a new row delivered to its sinks (`reasonCode` omitted when `dispatched`). */
export const DeliveryRowSchema = z.strictObject({
  ...common,
  status: z.enum(["dispatched", "partial", "failed"]),
  reasonCode: z.literal([AlertReasonCode.PartialDispatchFailure, AlertReasonCode.DispatchFailed]).optional(),
  escalationTraceId: z.string(),
  escalationCategory: z.string(),
  escalationTimestamp: z.string().optional(),
  eventSeverity: EventSeverity,
  escalation: JsonObject,
  route: JsonObject,
  sinks: z.array(SinkResultRowSchema),
  sinkCount: NonNegativeInt,
  dispatchedSinkCount: NonNegativeInt,
  failedSinkCount: NonNegativeInt,
});

/** Careful Q19-4: a redelivery of the sinks still owed for an earlier row (no `route`). */
export const RedeliveryRowSchema = z.strictObject({
  ...common,
  status: z.enum(["dispatched", "partial", "failed", "abandoned", "dropped"]),
  reasonCode: z
    .literal([
      AlertReasonCode.PartialDispatchFailure,
      AlertReasonCode.DispatchFailed,
      AlertReasonCode.RedeliveryExhausted,
      AlertReasonCode.RedeliverySinkRemoved,
    ])
    .optional(),
  escalationTraceId: z.string(),
  escalationCategory: z.string(),
  escalationTimestamp: z.string().optional(),
  eventSeverity: EventSeverity,
  escalation: JsonObject,
  sinks: z.array(SinkResultRowSchema),
  sinkCount: NonNegativeInt,
  dispatchedSinkCount: NonNegativeInt,
  failedSinkCount: NonNegativeInt,
  redelivery: z.strictObject({
    line: PositiveInt,
    run: PositiveInt,
    pendingSinks: z.array(z.string()),
    droppedSinks: z.array(z.string()),
  }),
});

/** Careful Q19-4: a pending entry whose line is gone or changed is abandoned without delivery. */
export const RedeliverySourceChangedRowSchema = z.strictObject({
  ...common,
  status: z.literal("abandoned"),
  reasonCode: z.literal(AlertReasonCode.RedeliverySourceChanged),
  redelivery: z.strictObject({ line: z.number().int(), sinks: z.array(z.string()) }),
});

/** Every row `alert-dispatch` appends to `telemetry/alerts.jsonl`. */
export const AlertTelemetryRowSchema = z.union([
  InvalidEscalationRowSchema,
  MissingCategoryRowSchema,
  RouteFailureRowSchema,
  SkippedRowSchema,
  DeliveryRowSchema,
  RedeliveryRowSchema,
  RedeliverySourceChangedRowSchema,
]);
export type AlertTelemetryRow = z.infer<typeof AlertTelemetryRowSchema>;
