/**
 * Promotion gates (spec 30 §5): the pure evaluation. Evidence in, gate results and summary out —
 * no file I/O, no clock (the caller passes "now" as epoch seconds).
 */
import {
  FleetTelemetryCategory,
  GovernanceReasonCode,
  HandoffExecutionMode,
  isJsonObject,
  PROMOTION_GATE_ORDER,
  PromotionDecision,
  PromotionDrillReasonPrefix,
  PromotionDrillStateReasonCode,
  type PromotionGateName,
  PromotionGateStatus,
  PromotionGovernanceReasonCode,
  PromotionManualBacklogReasonCode,
  PromotionOutcomeReliabilityReasonCode,
  PromotionSafetySuppressionReasonCode,
  parseTimestamp,
  promotionDrillReasonCode,
  REQUIRED_PROMOTION_DRILL_IDS,
} from "@ops/contract";
import { sortedUniqueCodeUnits } from "../shared/sort.js";
import {
  type HandoffAutonomousRun,
  HandoffAutonomousRunSchema,
  type PromotionGates,
  type PromotionSummary,
  type PromotionThresholds,
  REQUIRED_SUPPRESSION_PATHS,
} from "./schemas.js";

/** §4.2 — the handoff telemetry after reading: missing, invalid (discarded) or its records. */
export type HandoffTelemetryEvidence =
  | { readonly state: "missing" }
  | { readonly state: "invalid" }
  | { readonly state: "ok"; readonly runs: readonly HandoffAutonomousRun[] };

/** §4.3 — the drill file after reading: missing, invalid, or its `drills` array (`[]` when absent/null). */
export type DrillEvidence =
  | { readonly state: "missing" }
  | { readonly state: "invalid" }
  | { readonly state: "ok"; readonly drills: readonly unknown[] };

export interface GateEvidence {
  /** The fleet status document (already checked to be a JSON object). */
  readonly fleetStatus: Record<string, unknown>;
  readonly handoff: HandoffTelemetryEvidence;
  readonly drills: DrillEvidence;
}

export interface GateEvaluation {
  readonly summary: PromotionSummary;
  readonly gates: PromotionGates;
}

function objectOr(value: unknown): Record<string, unknown> {
  return isJsonObject(value) ? value : {};
}

/** jq `tostring`: strings as they are, anything else as its compact JSON text. */
function toStringValue(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "null");
}

function status(reasons: readonly string[]): "pass" | "fail" {
  return reasons.length === 0 ? PromotionGateStatus.Pass : PromotionGateStatus.Fail;
}

/**
 * Classify parsed handoff telemetry records (§4.2, careful Q3): any record that is not a JSON object
 * makes the whole file invalid; an `execute` record in `autonomous` mode whose counts are not
 * absent/null/non-negative integers does too (fail closed); everything else that is not an
 * autonomous execute record is ignored.
 */
export function classifyHandoffRecords(records: readonly unknown[]): HandoffTelemetryEvidence {
  const runs: HandoffAutonomousRun[] = [];
  for (const record of records) {
    if (!isJsonObject(record)) return { state: "invalid" };
    const execution = record["execution"];
    if (record["category"] !== FleetTelemetryCategory.FleetHandoffExecute || !isJsonObject(execution))
      continue;
    if (execution["mode"] !== HandoffExecutionMode.Autonomous) continue;
    const parsed = HandoffAutonomousRunSchema.safeParse(record);
    if (!parsed.success) return { state: "invalid" };
    runs.push(parsed.data);
  }
  return { state: "ok", runs };
}

function governanceGate(autonomous: Record<string, unknown>): PromotionGates["governance"] {
  const governance = objectOr(autonomous["governance"]);
  const posture = governance["posture"];
  const blocks = governance["blocksAutonomous"];
  const rawCodes = governance["reasonCodes"];
  // Careful Q3: a non-array `reasonCodes` is treated as [].
  const reasonCodes = sortedUniqueCodeUnits((Array.isArray(rawCodes) ? rawCodes : []).map(toStringValue));
  const reasons: string[] = [];
  // Fail closed: only an explicit `true` counts as guarded_auto (status always writes a boolean).
  if (autonomous["enabled"] !== true)
    reasons.push(PromotionGovernanceReasonCode.PromotionPolicyModeNotGuardedAuto);
  if (posture !== "active") reasons.push(PromotionGovernanceReasonCode.PromotionGovernancePostureNotActive);
  if (blocks === true) reasons.push(PromotionGovernanceReasonCode.PromotionGovernanceBlocksAutonomous);
  const mapped: readonly [string, string][] = [
    [
      GovernanceReasonCode.AutonomousGovernanceAuthorityMissing,
      PromotionGovernanceReasonCode.PromotionGovernanceAuthorityMissing,
    ],
    [
      GovernanceReasonCode.AutonomousGovernanceReviewDeadlineMissing,
      PromotionGovernanceReasonCode.PromotionGovernanceReviewDeadlineMissing,
    ],
    [
      GovernanceReasonCode.AutonomousGovernanceReviewExpired,
      PromotionGovernanceReasonCode.PromotionGovernanceReviewExpired,
    ],
  ];
  for (const [source, reason] of mapped) if (reasonCodes.includes(source)) reasons.push(reason);
  return {
    status: status(reasons),
    reasons,
    posture: typeof posture === "string" ? posture : null,
    blocksAutonomous:
      blocks === undefined || blocks === null
        ? false
        : (blocks as PromotionGates["governance"]["blocksAutonomous"]),
    reasonCodes,
  };
}

function count(value: number | null | undefined): number {
  return value ?? 0;
}

function outcomeReliabilityGate(
  handoff: HandoffTelemetryEvidence,
  thresholds: PromotionThresholds,
): PromotionGates["outcomeReliability"] {
  const runs = handoff.state === "ok" ? handoff.runs : [];
  const window = runs.slice(Math.max(0, runs.length - thresholds.windowExecutions));
  let attempted = 0;
  let executed = 0;
  let ambiguous = 0;
  let failed = 0;
  for (const run of window) {
    attempted += count(run.execution.requestedIntentCount);
    executed += count(run.execution.executedCount);
    ambiguous += count(run.execution.ambiguousCount);
    failed += count(run.execution.failedCount);
  }
  const sampleRuns = window.length;
  const ambiguityRate = attempted > 0 ? ambiguous / attempted : 0;
  const failureRate = attempted > 0 ? failed / attempted : 0;
  const reasons: string[] = [];
  if (handoff.state === "missing")
    reasons.push(PromotionOutcomeReliabilityReasonCode.PromotionHandoffTelemetryMissing);
  if (handoff.state === "invalid")
    reasons.push(PromotionOutcomeReliabilityReasonCode.PromotionHandoffTelemetryInvalid);
  if (sampleRuns < thresholds.minSampleSize) {
    reasons.push(PromotionOutcomeReliabilityReasonCode.PromotionAutonomousSampleInsufficient);
  } else if (attempted === 0) {
    reasons.push(PromotionOutcomeReliabilityReasonCode.PromotionAutonomousAttemptsZero);
  }
  if (attempted > 0 && ambiguityRate > thresholds.maxAmbiguityRate) {
    reasons.push(PromotionOutcomeReliabilityReasonCode.PromotionAutonomousAmbiguityRateExceeded);
  }
  if (attempted > 0 && failureRate > thresholds.maxFailureRate) {
    reasons.push(PromotionOutcomeReliabilityReasonCode.PromotionAutonomousFailureRateExceeded);
  }
  return {
    status: status(reasons),
    reasons,
    sampleRuns,
    attempted,
    executed,
    ambiguous,
    failed,
    ambiguityRate,
    failureRate,
  };
}

function manualBacklogGate(
  autonomous: Record<string, unknown>,
  thresholds: PromotionThresholds,
): PromotionGates["manualBacklog"] {
  const raw = objectOr(autonomous["outcomeRollup"])["manual_backlog"];
  // Careful Q4: anything that is not a number (string, boolean, object) is "unavailable".
  const manualBacklog = typeof raw === "number" && Number.isFinite(raw) ? raw : null;
  const reasons: string[] = [];
  if (manualBacklog === null)
    reasons.push(PromotionManualBacklogReasonCode.PromotionManualBacklogUnavailable);
  else if (manualBacklog > thresholds.maxManualBacklog) {
    reasons.push(PromotionManualBacklogReasonCode.PromotionManualBacklogExceeded);
  }
  return { status: status(reasons), reasons, manualBacklog };
}

function safetySuppressionGate(autonomous: Record<string, unknown>): PromotionGates["safetySuppression"] {
  const rollout = objectOr(autonomous["rollout"]);
  const autopauseActive =
    objectOr(rollout["autopause"])["active"] === true ||
    objectOr(rollout["state"])["autoPauseActive"] === true;
  const rawByPath = objectOr(autonomous["safetyGateDecisions"])["byPath"];
  const byPath = isJsonObject(rawByPath) ? rawByPath : null;
  // Key presence is enough; a null value counts as present.
  const missingPaths = REQUIRED_SUPPRESSION_PATHS.filter(
    (key) => byPath === null || !Object.hasOwn(byPath, key),
  );
  const reasons: string[] = [];
  if (autopauseActive) reasons.push(PromotionSafetySuppressionReasonCode.PromotionAutopauseActive);
  if (missingPaths.length > 0)
    reasons.push(PromotionSafetySuppressionReasonCode.PromotionSuppressionPathsMissing);
  return {
    status: status(reasons),
    reasons,
    autopauseActive,
    missingPaths,
    byPath: byPath as PromotionGates["safetySuppression"]["byPath"],
  };
}

function drillRecencyGate(
  evidence: DrillEvidence,
  thresholds: PromotionThresholds,
  nowEpochSeconds: number,
): PromotionGates["drillRecency"] {
  const reasons: string[] = [];
  if (evidence.state === "missing") reasons.push(PromotionDrillStateReasonCode.PromotionDrillStateMissing);
  if (evidence.state === "invalid") reasons.push(PromotionDrillStateReasonCode.PromotionDrillStateInvalid);
  const drills = evidence.state === "ok" ? evidence.drills : [];
  if (evidence.state === "ok") {
    // Careful Q1: every required drill is judged on its own; nothing is ever discarded.
    for (const id of REQUIRED_PROMOTION_DRILL_IDS) {
      const entry = drills.find((drill) => isJsonObject(drill) && drill["id"] === id);
      if (!isJsonObject(entry)) {
        reasons.push(promotionDrillReasonCode(PromotionDrillReasonPrefix.Missing, id));
        continue;
      }
      if (entry["status"] !== "pass")
        reasons.push(promotionDrillReasonCode(PromotionDrillReasonPrefix.NotPassed, id));
      // Careful Q2: only the strict form parses; anything else is timestamp_invalid.
      const completed = parseTimestamp(entry["completedAt"]);
      if (completed === null) {
        reasons.push(promotionDrillReasonCode(PromotionDrillReasonPrefix.TimestampInvalid, id));
      } else if (nowEpochSeconds - completed > thresholds.maxDrillAgeHours * 3600) {
        // ageHours = (now − completed) / 3600 > max, compared exactly in whole seconds.
        reasons.push(promotionDrillReasonCode(PromotionDrillReasonPrefix.Stale, id));
      }
    }
  }
  return {
    status: status(reasons),
    reasons,
    requiredDrills: [...REQUIRED_PROMOTION_DRILL_IDS],
    drills: drills as PromotionGates["drillRecency"]["drills"],
  };
}

/** §5 — evaluate the five gates and aggregate the decision (§5.6). */
export function evaluatePromotionGates(
  evidence: GateEvidence,
  thresholds: PromotionThresholds,
  nowEpochSeconds: number,
): GateEvaluation {
  const autonomous = objectOr(evidence.fleetStatus["autonomous"]);
  const gates: PromotionGates = {
    governance: governanceGate(autonomous),
    outcomeReliability: outcomeReliabilityGate(evidence.handoff, thresholds),
    manualBacklog: manualBacklogGate(autonomous, thresholds),
    safetySuppression: safetySuppressionGate(autonomous),
    drillRecency: drillRecencyGate(evidence.drills, thresholds, nowEpochSeconds),
  };
  const byName: Record<PromotionGateName, { readonly reasons: readonly string[] }> = {
    governance: gates.governance,
    outcome_reliability: gates.outcomeReliability,
    manual_backlog: gates.manualBacklog,
    safety_suppression: gates.safetySuppression,
    drill_recency: gates.drillRecency,
  };
  const failedGates = PROMOTION_GATE_ORDER.filter((name) => byName[name].reasons.length > 0);
  const promote = failedGates.length === 0;
  const summary: PromotionSummary = {
    decision: promote ? PromotionDecision.Promote : PromotionDecision.Hold,
    promote,
    gatePassCount: PROMOTION_GATE_ORDER.length - failedGates.length,
    gateFailCount: failedGates.length,
    failedGates,
    reasonCodes: sortedUniqueCodeUnits(PROMOTION_GATE_ORDER.flatMap((name) => byName[name].reasons)),
  };
  return { summary, gates };
}
