/**
 * Spec 13 §5.1: `<ops>/telemetry/transport-health.json`, rewritten every run. The failure streak is
 * shared across transports (switching transport does not reset it).
 */
import type { Timestamp } from "@ops/contract";
import type { Transport, TransportHealth } from "./schemas.js";
import { field, isNonNegativeInteger, nonEmptyString } from "./util.js";

export interface TransportHealthUpdate {
  readonly now: Timestamp;
  readonly traceId: string | null;
  readonly transport: Transport;
  /** Ingest and projection (steps 4–5) both succeeded. */
  readonly success: boolean;
  /** This run's failure code (null after a success). */
  readonly failureCode: string | null;
}

/** The new transport-health document. `previous` is the old file's content (anything invalid = `{}`). Pure. */
export function projectTransportHealth(previous: unknown, update: TransportHealthUpdate): TransportHealth {
  const previousStreak = field(previous, "failureStreak");
  const streak = isNonNegativeInteger(previousStreak) ? previousStreak : 0;
  const previousSuccessAt = nonEmptyString(field(previous, "lastSuccessAt"));
  const previousFailureAt = nonEmptyString(field(previous, "lastFailureAt"));
  const lastSuccessAt = update.success ? update.now : previousSuccessAt;
  const lastFailureAt = update.success ? previousFailureAt : update.now;
  const lastFailureCode = update.success ? null : nonEmptyString(update.failureCode);
  return {
    schemaVersion: "v1",
    updatedAt: update.now,
    ...(update.traceId === null || update.traceId === "" ? {} : { traceId: update.traceId }),
    transport: update.transport,
    lastResult: update.success ? "success" : "failed",
    failureStreak: update.success ? 0 : streak + 1,
    ...(lastFailureCode === null ? {} : { lastFailureCode }),
    ...(lastSuccessAt === null ? {} : { lastSuccessAt }),
    ...(lastFailureAt === null ? {} : { lastFailureAt }),
  };
}
