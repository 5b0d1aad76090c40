/**
 * Spec 13 §8: one reconcile telemetry row per run that got past validation, and §10: the row
 * appended to the alert telemetry when the alert-dispatch step fails. Pure builders.
 */
import { lagSeconds, parseTimestamp, type Timestamp } from "@ops/contract";
import type { AlertDispatchFailureRow, ReconcileTelemetryRow, Transport } from "./schemas.js";
import { nonEmptyString } from "./util.js";

export interface ReconcileTelemetryInput {
  /** Completion time. */
  readonly timestamp: Timestamp;
  readonly startedAt: Timestamp;
  readonly loopId: string;
  readonly traceId: string;
  readonly transport: Transport;
  readonly status: "success" | "failed";
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly cursorOffsetBefore: number;
  readonly cursorOffsetAfter: number;
  readonly eventsIngested: number;
  readonly maxEvents: number;
  readonly fromStart: boolean;
  readonly retryAttempts: number;
  readonly retryBackoffSeconds: number;
  readonly thresholdProfile: string | null;
  readonly transportFailureStreak: number;
  readonly sequenceStatus: "ok" | "ordering_drift_detected" | "skipped_ingest_failed";
  readonly sequenceReasonCode: string | null;
  readonly healthStatus: "healthy" | "degraded" | "critical";
  readonly healthReasonCodes: readonly string[];
}

/** The row, top-level nulls omitted, in the spec's field order. `durationSeconds` is derived. */
export function reconcileTelemetryRow(input: ReconcileTelemetryInput): ReconcileTelemetryRow {
  const failureCode = nonEmptyString(input.failureCode);
  const failureMessage = nonEmptyString(input.failureMessage);
  const thresholdProfile = nonEmptyString(input.thresholdProfile);
  const sequenceReasonCode = nonEmptyString(input.sequenceReasonCode);
  const start = parseTimestamp(input.startedAt);
  const end = parseTimestamp(input.timestamp);
  return {
    timestamp: input.timestamp,
    startedAt: input.startedAt,
    loopId: input.loopId,
    traceId: input.traceId,
    transport: input.transport,
    status: input.status,
    ...(failureCode === null ? {} : { failureCode }),
    ...(failureMessage === null ? {} : { failureMessage }),
    cursorOffsetBefore: input.cursorOffsetBefore,
    cursorOffsetAfter: input.cursorOffsetAfter,
    eventsIngested: input.eventsIngested,
    maxEvents: input.maxEvents,
    fromStart: input.fromStart,
    retryAttempts: input.retryAttempts,
    retryBackoffSeconds: input.retryBackoffSeconds,
    ...(thresholdProfile === null ? {} : { thresholdProfile }),
    durationSeconds: start === null || end === null ? 0 : lagSeconds(end, start),
    transportFailureStreak: input.transportFailureStreak,
    sequenceStatus: input.sequenceStatus,
    ...(sequenceReasonCode === null ? {} : { sequenceReasonCode }),
    healthStatus: input.healthStatus,
    healthReasonCodes: [...input.healthReasonCodes],
  };
}

export function alertDispatchFailureRow(input: {
  readonly timestamp: Timestamp;
  readonly loopId: string;
  readonly traceId: string;
  readonly message: string | null;
}): AlertDispatchFailureRow {
  const message = nonEmptyString(input.message);
  return {
    timestamp: input.timestamp,
    loopId: input.loopId,
    traceId: input.traceId,
    category: "alert_dispatch",
    status: "failed_command",
    reasonCode: "alert_dispatch_failed",
    ...(message === null ? {} : { message }),
  };
}
