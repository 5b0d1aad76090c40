/**
 * Spec 13 §5.2: project the runtime heartbeat of the ingested snapshot into `<ops>/heartbeat.json`
 * plus one row of `<ops>/telemetry/heartbeat.jsonl`. Pure: the caller writes the results.
 */
import { lagSeconds, parseTimestamp, type Timestamp } from "@ops/contract";
import type {
  HeartbeatFreshness,
  HeartbeatState,
  HeartbeatTelemetryRow,
  HeartbeatThresholds,
  Transport,
} from "./schemas.js";
import { isJsonObject } from "./util.js";

export interface HeartbeatProjectionInput {
  /** `runtime.heartbeat` of the snapshot (null/absent/not an object → nothing is written). */
  readonly heartbeat: unknown;
  readonly now: Timestamp;
  readonly loopId: string;
  readonly traceId: string | null;
  readonly transport: Transport;
  readonly thresholds: HeartbeatThresholds;
}

export type HeartbeatProjection =
  /** No heartbeat in the snapshot: heartbeat.json is left untouched and no row is written. */
  | { readonly kind: "absent" }
  /** Missing / unparseable timestamp: only a telemetry row; heartbeat.json is left untouched. */
  | { readonly kind: "failed"; readonly telemetry: HeartbeatTelemetryRow }
  | { readonly kind: "projected"; readonly state: HeartbeatState; readonly telemetry: HeartbeatTelemetryRow };

/** `fresh` / `degraded` / `critical` for a lag (comparisons are `>=`). */
export function heartbeatFreshness(lag: number, thresholds: HeartbeatThresholds): HeartbeatFreshness {
  if (lag >= thresholds.criticalHeartbeatLagSeconds) return "critical";
  if (lag >= thresholds.degradedHeartbeatLagSeconds) return "degraded";
  return "fresh";
}

/** jq's `//`: the value unless it is null, absent or false. */
function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

export function projectHeartbeat(input: HeartbeatProjectionInput): HeartbeatProjection {
  const { heartbeat, now, loopId, traceId, transport, thresholds } = input;
  if (!isJsonObject(heartbeat)) return { kind: "absent" };
  const trace = traceId === null || traceId === "" ? {} : { traceId };
  const rowBase = { timestamp: now, loopId, ...trace, transport, category: "runtime_heartbeat" as const };

  // 1. heartbeatAt = timestamp, else updatedAt.
  const heartbeatAt: unknown = present(heartbeat["timestamp"])
    ? heartbeat["timestamp"]
    : present(heartbeat["updatedAt"])
      ? heartbeat["updatedAt"]
      : null;
  // 2. missing.
  if (heartbeatAt === null) {
    return {
      kind: "failed",
      telemetry: { ...rowBase, status: "failed", reasonCode: "missing_heartbeat_timestamp", heartbeat },
    };
  }
  // 3. unparseable (strict whole-second UTC, spec 10 §1.4).
  const heartbeatEpoch = parseTimestamp(heartbeatAt);
  if (heartbeatEpoch === null || typeof heartbeatAt !== "string") {
    return {
      kind: "failed",
      telemetry: {
        ...rowBase,
        status: "failed",
        reasonCode: "invalid_heartbeat_timestamp",
        heartbeatAt,
        heartbeat,
      },
    };
  }
  // 4. lag and freshness.
  const nowEpoch = parseTimestamp(now) ?? 0;
  const lag = lagSeconds(nowEpoch, heartbeatEpoch);
  const freshnessStatus = heartbeatFreshness(lag, thresholds);
  const stale = freshnessStatus === "fresh" ? {} : { reasonCode: "runtime_heartbeat_stale" as const };
  // 5. heartbeat.json
  const state: HeartbeatState = {
    schemaVersion: "v1",
    updatedAt: now,
    loopId,
    ...trace,
    transport,
    lastHeartbeatAt: heartbeatAt,
    heartbeatLagSeconds: lag,
    freshnessStatus,
    ...stale,
    thresholds: {
      degradedHeartbeatLagSeconds: thresholds.degradedHeartbeatLagSeconds,
      criticalHeartbeatLagSeconds: thresholds.criticalHeartbeatLagSeconds,
    },
    heartbeat,
  };
  // 6. telemetry row
  const telemetry: HeartbeatTelemetryRow = {
    ...rowBase,
    status: freshnessStatus,
    ...stale,
    heartbeatAt,
    heartbeatLagSeconds: lag,
    heartbeat,
  };
  return { kind: "projected", state, telemetry };
}
