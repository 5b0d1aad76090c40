/**
 * Spec 13 §7: the escalation rows reconcile appends to `<ops>/escalations.jsonl`, and the rules that
 * decide whether each is written. Pure builders; every row carries `timestamp, loopId, traceId,
 * category, transport` first.
 */
import type { JsonObject, Timestamp } from "@ops/contract";
import type { HealthDocument, ProfileDriftDocument } from "@ops/health";
import type {
  DivergenceEscalation,
  HealthEscalation,
  OrderingDriftEscalation,
  ProfileDriftEscalation,
  SequenceState,
  Transport,
} from "./schemas.js";
import { field, isJsonObject, nonEmptyString, objectField } from "./util.js";

export interface EscalationFrame {
  readonly timestamp: Timestamp;
  readonly loopId: string;
  readonly traceId: string;
  readonly transport: Transport;
}

function frame(base: EscalationFrame, category: string) {
  return {
    timestamp: base.timestamp,
    loopId: base.loopId,
    traceId: base.traceId,
    category,
    transport: base.transport,
  };
}

// ---------------------------------------------------------------------------------------------------
// §7.1 divergence_detected — level-triggered: every successful run whose projection diverges.
// ---------------------------------------------------------------------------------------------------

/** `divergence.any` of a state document. */
export function divergenceDetected(state: unknown): boolean {
  return field(objectField(state, "divergence"), "any") === true;
}

export function divergenceEscalation(
  base: EscalationFrame,
  state: JsonObject,
  files: { readonly stateFile: string; readonly cursorFile: string },
): DivergenceEscalation {
  const flags = objectField(objectField(state, "divergence"), "flags");
  return {
    ...frame(base, "divergence_detected"),
    category: "divergence_detected",
    stateFile: files.stateFile,
    cursorFile: files.cursorFile,
    divergenceFlags: {
      activeMismatch: flags?.["activeMismatch"] === true,
      approvalCompletionConflict: flags?.["approvalCompletionConflict"] === true,
      cursorRegression: flags?.["cursorRegression"] === true,
    },
    state: {
      transition: objectField(state, "transition") ?? {},
      projection: objectField(state, "projection") ?? {},
      cursor: objectField(state, "cursor") ?? {},
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// §7.2 ordering_drift_detected — only on the transition into drift.
// ---------------------------------------------------------------------------------------------------

export function orderingDriftEscalation(
  base: EscalationFrame,
  sequence: SequenceState,
  files: {
    readonly stateFile: string;
    readonly sequenceStateFile: string;
    readonly sequenceTelemetryFile: string;
  },
): OrderingDriftEscalation {
  return {
    ...frame(base, "ordering_drift_detected"),
    category: "ordering_drift_detected",
    reasonCode: sequence.reasonCode ?? "ordering_drift_detected",
    stateFile: files.stateFile,
    sequenceStateFile: files.sequenceStateFile,
    sequenceTelemetryFile: files.sequenceTelemetryFile,
    sequence: {
      status: sequence.status,
      driftActive: sequence.driftActive,
      violations: [...sequence.violations],
      snapshot: { ...sequence.snapshot },
      events: { ...sequence.events },
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// §7.3 health_degraded / health_critical — edge-triggered on (status, reasonCodes).
// ---------------------------------------------------------------------------------------------------

/** What reconcile remembers of the previous health (spec 13 §3 step 1). */
export interface PreviousHealth {
  readonly status: string;
  readonly reasonCodes: readonly unknown[];
}

/** `<ops>/health.json` before this run: missing or invalid → `healthy` / `[]` (per field). */
export function previousHealthOf(document: unknown): PreviousHealth {
  const status = nonEmptyString(field(document, "status")) ?? "healthy";
  const codes = field(document, "reasonCodes");
  return { status, reasonCodes: Array.isArray(codes) ? codes : [] };
}

/**
 * A health escalation is due when the new status is not `healthy` and the status or the reason-code
 * array changed (compared as exact ordered JSON arrays). Returning to healthy writes nothing.
 */
export function healthEscalationDue(
  health: Pick<HealthDocument, "status" | "reasonCodes">,
  previous: PreviousHealth,
): boolean {
  if (health.status === "healthy") return false;
  if (health.status !== previous.status) return true;
  return JSON.stringify(health.reasonCodes) !== JSON.stringify(previous.reasonCodes);
}

export function healthEscalation(
  base: EscalationFrame,
  health: HealthDocument,
  outcome: { readonly ingestStatus: "success" | "failed"; readonly failureCode: string | null },
  files: { readonly stateFile: string; readonly cursorFile: string; readonly healthFile: string },
): HealthEscalation {
  const status = health.status === "critical" ? "critical" : "degraded";
  const category = status === "critical" ? "health_critical" : "health_degraded";
  return {
    ...frame(base, category),
    category,
    ingestStatus: outcome.ingestStatus,
    ...(outcome.failureCode === null || outcome.failureCode === ""
      ? {}
      : { failureCode: outcome.failureCode }),
    stateFile: files.stateFile,
    cursorFile: files.cursorFile,
    healthFile: files.healthFile,
    healthStatus: status,
    reasonCodes: [...health.reasonCodes],
    reasons: health.reasons.map((reason) => ({ ...reason })),
  };
}

// ---------------------------------------------------------------------------------------------------
// §7.4 profile_drift_detected — when the drift evaluation reports `transitioned.toActive`.
// ---------------------------------------------------------------------------------------------------

export function profileDriftActivated(drift: unknown): boolean {
  return field(objectField(drift, "transitioned"), "toActive") === true;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function profileDriftEscalation(
  base: EscalationFrame,
  drift: ProfileDriftDocument | JsonObject,
  files: { readonly stateFile: string; readonly driftStateFile: string; readonly driftHistoryFile: string },
): ProfileDriftEscalation {
  const d: JsonObject = isJsonObject(drift) ? (drift as JsonObject) : {};
  return {
    ...frame(base, "profile_drift_detected"),
    category: "profile_drift_detected",
    stateFile: files.stateFile,
    driftStateFile: files.driftStateFile,
    driftHistoryFile: files.driftHistoryFile,
    reasonCode: nonEmptyString(d["reasonCode"]) ?? "profile_drift_detected",
    drift: {
      status: stringOrNull(d["status"]),
      appliedProfile: stringOrNull(d["appliedProfile"]),
      recommendedProfile: stringOrNull(d["recommendedProfile"]),
      recommendationConfidence: stringOrNull(d["recommendationConfidence"]),
      mismatchStreak: numberOrNull(d["mismatchStreak"]),
      requiredStreak: numberOrNull(d["requiredStreak"]),
      action: stringOrNull(d["action"]),
      rationale: stringOrNull(d["rationale"]),
    },
  };
}
