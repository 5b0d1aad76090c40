/**
 * The health projection (spec 14): derive metrics from manager artifacts, evaluate the reason rules
 * in the spec's order, aggregate, and build the health document. `evaluateHealth` is pure; `health`
 * is the command (reads files, writes nothing).
 */
import path from "node:path";
import {
  compareCodePoints,
  formatTimestamp,
  HealthReasonCode,
  type IngestStatus,
  LoopHealthStatus,
  lagSeconds,
  parseTimestamp,
  ReconcileFailureCode,
  systemClock,
  ValidationError,
} from "@ops/contract";
import { contextCwd, type HealthCommandContext } from "./context.js";
import type {
  HealthDocument,
  HealthMetrics,
  HealthReason,
  HealthSeverity,
  HealthStatus,
  HealthThresholds,
} from "./schemas.js";
import { readLastJsonlRecord } from "./tail.js";
import { type HealthThresholdFlags, resolveHealthThresholds } from "./thresholds.js";
import {
  field,
  isJsonObject,
  isNonNegativeInteger,
  type JsonObject,
  nonEmptyString,
  optionalFlag,
  readJsonObjectFile,
  stringOrNull,
} from "./util.js";

/** Lifecycle states whose event log legitimately stops growing (Q14-2 careful behaviour). */
export const TERMINAL_LIFECYCLE_STATES: readonly string[] = ["complete", "stopped", "idle"];

/** Everything health is computed from (spec 14 §1–§2). Missing files are `{}`. */
export interface HealthInputs {
  /** Manager `state.json`. */
  readonly state: JsonObject;
  /** `heartbeat.json`. */
  readonly heartbeatState: JsonObject;
  /** `sequence-state.json`. */
  readonly sequenceState: JsonObject;
  /** `telemetry/transport-health.json`. */
  readonly transportHealth: JsonObject;
  /** The last line of `intents.jsonl` (null when absent, blank or invalid). */
  readonly lastIntent: JsonObject | null;
  readonly traceId: string | null;
  /** `--transport` label. */
  readonly transport: string;
  /** `--threshold-profile` label. */
  readonly thresholdProfile: string | null;
  readonly ingestStatus: IngestStatus;
  /** This run's failure code (null = none / empty). */
  readonly failureCode: string | null;
  readonly thresholds: HealthThresholds;
  /** Reference clock as a strict timestamp (`updatedAt`). */
  readonly now: string;
}

export interface HealthEvaluationOptions {
  /**
   * Q14-2: do not report `ingest_stale` while the lifecycle state is terminal (`complete`,
   * `stopped`, `idle`): a finished run stops writing events by design. Default true (careful
   * behaviour); running loops are never affected. Set false for the legacy behaviour.
   */
  readonly suppressIngestStaleWhenTerminal?: boolean;
}

/** The derived metrics of spec 14 §2. */
export interface DerivedHealthMetrics {
  readonly divergenceAny: boolean;
  readonly lastEventAt: string | null;
  readonly lifecycleState: string;
  readonly ingestLagSeconds: number | null;
  readonly lastHeartbeatAt: string | null;
  readonly heartbeatLagSeconds: number | null;
  readonly transportFailureStreak: number;
  readonly lastTransportFailureCode: string | null;
  readonly sequenceStatus: string | null;
  readonly sequenceReasonCode: string | null;
  readonly sequenceUpdatedAt: string | null;
  readonly sequenceDriftActive: boolean;
  readonly lastControlStatus: string | null;
}

/** Spec 14 §2, computed against `nowEpoch` (epoch seconds). */
export function deriveHealthMetrics(inputs: HealthInputs, nowEpoch: number): DerivedHealthMetrics {
  const { state, heartbeatState, sequenceState, transportHealth } = inputs;
  const transition = field(state, "transition");
  const projection = field(state, "projection");
  const lastEventAt = stringOrNull(field(projection, "lastEventAt"));
  const lastEventEpoch = parseTimestamp(lastEventAt);

  const lastHeartbeatAt =
    nonEmptyString(field(heartbeatState, "lastHeartbeatAt")) ??
    stringOrNull(field(field(heartbeatState, "heartbeat"), "timestamp"));
  const storedLag = field(heartbeatState, "heartbeatLagSeconds");
  const lastHeartbeatEpoch = parseTimestamp(lastHeartbeatAt);
  let heartbeatLagSeconds: number | null = null;
  // Q14-3: a stored lag is used as is (computed at projection time), not recomputed.
  if (isNonNegativeInteger(storedLag)) heartbeatLagSeconds = storedLag;
  else if (lastHeartbeatEpoch !== null) heartbeatLagSeconds = lagSeconds(nowEpoch, lastHeartbeatEpoch);

  const streak = field(transportHealth, "failureStreak");
  const lastControlStatus = inputs.lastIntent === null ? null : nonEmptyString(inputs.lastIntent["status"]);

  return {
    divergenceAny: field(field(state, "divergence"), "any") === true,
    lastEventAt,
    lifecycleState:
      nonEmptyString(field(transition, "currentState")) ??
      nonEmptyString(field(projection, "status")) ??
      "unknown",
    ingestLagSeconds: lastEventEpoch === null ? null : lagSeconds(nowEpoch, lastEventEpoch),
    lastHeartbeatAt,
    heartbeatLagSeconds,
    transportFailureStreak: isNonNegativeInteger(streak) ? streak : 0,
    lastTransportFailureCode: nonEmptyString(field(transportHealth, "lastFailureCode")),
    sequenceStatus: nonEmptyString(field(sequenceState, "status")),
    sequenceReasonCode: nonEmptyString(field(sequenceState, "reasonCode")),
    sequenceUpdatedAt: stringOrNull(field(sequenceState, "updatedAt")),
    sequenceDriftActive: field(sequenceState, "driftActive") === true,
    lastControlStatus,
  };
}

function reason(
  code: string,
  severity: HealthSeverity,
  metric: string,
  observed: string,
  threshold: string,
): HealthReason {
  return { code, severity, metric, observed, threshold };
}

/** Rule 7: the reason code of a failed ingest (spec 14 §3, Q14-6: unknown codes verbatim). */
export function ingestFailureReasonCode(failureCode: string | null): string {
  switch (failureCode) {
    case null:
    case "":
      return HealthReasonCode.ReconcileFailed;
    case ReconcileFailureCode.SnapshotUnavailable:
    case ReconcileFailureCode.EventsUnavailable:
    case ReconcileFailureCode.ServiceRequestFailed:
      return HealthReasonCode.TransportUnreachable;
    case ReconcileFailureCode.ServiceResponseInvalid:
      return HealthReasonCode.InvalidTransportPayload;
    case ReconcileFailureCode.ProjectionFailed:
      return HealthReasonCode.ProjectionFailed;
    default:
      return failureCode;
  }
}

/** A lag/streak rule: critical when `value >= critical`, else degraded when `value >= degraded`. */
function thresholdReason(
  code: string,
  metric: string,
  value: number,
  degraded: number,
  critical: number,
): HealthReason | null {
  if (value >= critical) return reason(code, "critical", metric, String(value), String(critical));
  if (value >= degraded) return reason(code, "degraded", metric, String(value), String(degraded));
  return null;
}

/** The reasons of spec 14 §3 in rule order (before de-duplication). */
export function evaluateHealthReasons(
  metrics: DerivedHealthMetrics,
  inputs: Pick<HealthInputs, "ingestStatus" | "failureCode" | "thresholds">,
  options: HealthEvaluationOptions = {},
): HealthReason[] {
  const t = inputs.thresholds;
  const reasons: HealthReason[] = [];
  const add = (value: HealthReason | null) => {
    if (value !== null) reasons.push(value);
  };
  // 1
  if (metrics.divergenceAny) {
    add(reason(HealthReasonCode.DivergenceDetected, "degraded", "divergence.any", "true", "false"));
  }
  // 2 / 2'
  if (metrics.lastControlStatus === "ambiguous") {
    add(reason(HealthReasonCode.ControlAmbiguous, "degraded", "control.status", "ambiguous", "confirmed"));
  } else if (metrics.lastControlStatus === "failed_command") {
    add(
      reason(
        HealthReasonCode.ControlFailedCommand,
        "degraded",
        "control.status",
        "failed_command",
        "confirmed",
      ),
    );
  }
  // 3 / 3' (skipped when the lag is null; Q14-2 careful: skipped for terminal lifecycle states)
  const suppressIngest =
    (options.suppressIngestStaleWhenTerminal ?? true) &&
    TERMINAL_LIFECYCLE_STATES.includes(metrics.lifecycleState);
  if (metrics.ingestLagSeconds !== null && !suppressIngest) {
    add(
      thresholdReason(
        HealthReasonCode.IngestStale,
        "ingestLagSeconds",
        metrics.ingestLagSeconds,
        t.degradedIngestLagSeconds,
        t.criticalIngestLagSeconds,
      ),
    );
  }
  // 4 / 4'
  if (metrics.heartbeatLagSeconds !== null) {
    add(
      thresholdReason(
        HealthReasonCode.RuntimeHeartbeatStale,
        "heartbeatLagSeconds",
        metrics.heartbeatLagSeconds,
        t.degradedHeartbeatLagSeconds,
        t.criticalHeartbeatLagSeconds,
      ),
    );
  }
  // 5 / 5'
  add(
    thresholdReason(
      HealthReasonCode.TransportUnreachable,
      "transportFailureStreak",
      metrics.transportFailureStreak,
      t.degradedTransportFailureStreak,
      t.criticalTransportFailureStreak,
    ),
  );
  // 6
  if (metrics.sequenceDriftActive) {
    add(
      reason(
        metrics.sequenceReasonCode ?? HealthReasonCode.OrderingDriftDetected,
        "degraded",
        "sequence.status",
        metrics.sequenceStatus ?? HealthReasonCode.OrderingDriftDetected,
        "ok",
      ),
    );
  }
  // 7 … 7''''
  if (inputs.ingestStatus === "failed") {
    add(reason(ingestFailureReasonCode(inputs.failureCode), "degraded", "ingestStatus", "failed", "success"));
  }
  return reasons;
}

export interface AggregatedHealth {
  readonly status: HealthStatus;
  readonly reasonCodes: string[];
  readonly reasons: HealthReason[];
}

/**
 * Spec 14 §3.1: status by severity rank; reasons de-duplicated by (code, severity) keeping the first
 * added, sorted by `code:severity` (code point order); distinct codes sorted ascending.
 */
export function aggregateHealthReasons(reasons: readonly HealthReason[]): AggregatedHealth {
  const seen = new Set<string>();
  const unique: HealthReason[] = [];
  for (const item of reasons) {
    const key = `${item.code ?? ""}:${item.severity ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(item);
  }
  const sortKey = (item: HealthReason) => `${item.code ?? ""}:${item.severity ?? ""}`;
  unique.sort((a, b) => compareCodePoints(sortKey(a), sortKey(b)));
  const codes = [...new Set(unique.flatMap((item) => (item.code === undefined ? [] : [item.code])))].sort(
    compareCodePoints,
  );
  const status: HealthStatus = unique.some((item) => item.severity === "critical")
    ? LoopHealthStatus.Critical
    : unique.some((item) => item.severity === "degraded")
      ? LoopHealthStatus.Degraded
      : LoopHealthStatus.Healthy;
  return { status, reasonCodes: codes, reasons: unique };
}

/** Spec 14 §2–§4: the health document. Pure; `inputs.now` must be a strict timestamp. */
export function evaluateHealth(inputs: HealthInputs, options: HealthEvaluationOptions = {}): HealthDocument {
  const nowEpoch = parseTimestamp(inputs.now);
  if (nowEpoch === null) throw new ValidationError("--now must be an ISO-8601 UTC timestamp");
  const metrics = deriveHealthMetrics(inputs, nowEpoch);
  const aggregated = aggregateHealthReasons(evaluateHealthReasons(metrics, inputs, options));
  const documentMetrics: HealthMetrics = {
    ingestLagSeconds: metrics.ingestLagSeconds,
    heartbeatLagSeconds: metrics.heartbeatLagSeconds,
    transportFailureStreak: metrics.transportFailureStreak,
    lastControlStatus: metrics.lastControlStatus,
    sequenceStatus: metrics.sequenceStatus,
    lifecycleState: metrics.lifecycleState,
  };
  const t = inputs.thresholds;
  return {
    schemaVersion: "v1",
    updatedAt: inputs.now,
    traceId: inputs.traceId,
    status: aggregated.status,
    reasonCodes: aggregated.reasonCodes,
    reasons: aggregated.reasons,
    metrics: documentMetrics,
    thresholds: {
      profile: inputs.thresholdProfile,
      degradedIngestLagSeconds: t.degradedIngestLagSeconds,
      criticalIngestLagSeconds: t.criticalIngestLagSeconds,
      degradedHeartbeatLagSeconds: t.degradedHeartbeatLagSeconds,
      criticalHeartbeatLagSeconds: t.criticalHeartbeatLagSeconds,
      degradedTransportFailureStreak: t.degradedTransportFailureStreak,
      criticalTransportFailureStreak: t.criticalTransportFailureStreak,
    },
    transport: {
      mode: inputs.transport,
      ingestStatus: inputs.ingestStatus,
      failureCode: inputs.failureCode,
      lastFailureCode: metrics.lastTransportFailureCode,
    },
    evidence: {
      lastEventAt: metrics.lastEventAt,
      lastHeartbeatAt: metrics.lastHeartbeatAt,
      sequenceUpdatedAt: metrics.sequenceUpdatedAt,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Command: health (spec 14 §1)
// ---------------------------------------------------------------------------------------------------

/** Flag values as the CLI received them. */
export interface HealthInput extends HealthThresholdFlags {
  readonly stateFile?: string | undefined;
  readonly heartbeatStateFile?: string | undefined;
  readonly sequenceStateFile?: string | undefined;
  readonly transportHealthFile?: string | undefined;
  readonly intentsFile?: string | undefined;
  readonly traceId?: string | undefined;
  /** `local` | `sprite_service` (default `local`). */
  readonly transport?: string | undefined;
  readonly thresholdProfile?: string | undefined;
  /** `success` | `failed` (default `success`). */
  readonly ingestStatus?: string | undefined;
  readonly failureCode?: string | undefined;
  /** Reference clock; default the context clock. */
  readonly now?: string | undefined;
}

export interface HealthCommandOptions extends HealthEvaluationOptions {}

/**
 * `health`: validate flags in the spec's order (transport, ingest status, the six integers, the
 * three invariants, `--now`, then the four JSON inputs), read the artifacts, print the document.
 * Writes nothing.
 */
export async function health(
  input: HealthInput,
  ctx: HealthCommandContext = {},
  options: HealthCommandOptions = {},
): Promise<HealthDocument> {
  const transport = input.transport ?? "local";
  if (transport !== "local" && transport !== "sprite_service") {
    throw new ValidationError("--transport must be local or sprite_service");
  }
  const ingestStatus = input.ingestStatus ?? "success";
  if (ingestStatus !== "success" && ingestStatus !== "failed") {
    throw new ValidationError("--ingest-status must be success or failed");
  }
  const thresholds = resolveHealthThresholds(input);
  let now: string;
  if (input.now === undefined) {
    now = formatTimestamp((ctx.clock ?? systemClock).now());
  } else {
    if (parseTimestamp(input.now) === null)
      throw new ValidationError("--now must be an ISO-8601 UTC timestamp");
    now = input.now;
  }
  const cwd = contextCwd(ctx);
  const state = await readInputObject(input.stateFile, cwd, "invalid state JSON");
  const heartbeatState = await readInputObject(input.heartbeatStateFile, cwd, "invalid heartbeat state JSON");
  const sequenceState = await readInputObject(input.sequenceStateFile, cwd, "invalid sequence state JSON");
  const transportHealth = await readInputObject(
    input.transportHealthFile,
    cwd,
    "invalid transport health JSON",
  );
  const intentsFile = optionalFlag(input.intentsFile);
  const lastIntent = intentsFile === null ? null : await readLastJsonlRecord(path.resolve(cwd, intentsFile));

  return evaluateHealth(
    {
      state,
      heartbeatState,
      sequenceState,
      transportHealth,
      lastIntent,
      traceId: optionalFlag(input.traceId),
      transport,
      thresholdProfile: optionalFlag(input.thresholdProfile),
      ingestStatus,
      failureCode: optionalFlag(input.failureCode),
      thresholds,
      now,
    },
    options,
  );
}

/** Optional JSON input: not given or missing → `{}`; existing but not a JSON object → error. */
async function readInputObject(file: string | undefined, cwd: string, message: string): Promise<JsonObject> {
  const given = optionalFlag(file);
  if (given === null) return {};
  const result = await readJsonObjectFile(path.resolve(cwd, given));
  if (result.kind === "missing") return {};
  if (result.kind === "invalid") throw new ValidationError(`${message}: ${given}`);
  return isJsonObject(result.value) ? result.value : {};
}
