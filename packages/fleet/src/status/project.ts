/**
 * Fleet status (spec 23) — the pure projection: already-parsed input documents in, the status
 * document out. No I/O, no clock (the caller passes `generatedAt`). Every object is built in the
 * spec's key order; "keys with null values omitted" is done with `opt`.
 *
 * Inputs are read loosely ("x ?? d"): a key is absent when missing or `null` (20 §1), and — beyond
 * the spec, so that the document always matches its schema — a value of the wrong JSON type
 * (a string count, a numeric `status` …) is treated as absent too. `false` is a value, never absent.
 */
import {
  AutonomyGateReasonCode,
  AutoPauseReasonCode,
  FleetHealthBucket,
  FleetReconcileReasonCode,
  GovernancePosture,
  GovernanceReasonCode,
  isJsonObject,
  type JsonObject,
  PauseReasonCode,
  parseTimestamp,
  RolloutReasonCode,
  SafetyGateSuppressionReasonCode,
  SafetyRailReasonCode,
  sortedUnique,
  TransportGateReasonCode,
} from "@ops/contract";
import {
  FLEET_STATUS_SCHEMA_VERSION,
  type FleetStatusDocument,
  type FleetStatusFiles,
  type FleetStatusGovernance,
  type FleetStatusGovernancePosture,
  type FleetStatusLoop,
  type FleetStatusOutcomeRollup,
  type FleetStatusRollout,
  type FleetStatusSafetyGateDecisions,
} from "./schemas.js";

/** The already-read inputs of one status run. */
export interface FleetStatusSources {
  /** "Now", taken once (strict timestamp). */
  readonly generatedAt: string;
  /** Absolute repo path. */
  readonly repoPath: string;
  /** `fleetId` of the loaded registry (20 §4), used when the fleet state has none. */
  readonly registryFleetId: string | null;
  /** `F` — the fleet state document. */
  readonly fleetState: JsonObject;
  /** `P` — the policy state, or null when the file does not exist. */
  readonly policyState: JsonObject | null;
  /** `H` — the handoff state, or null when the file does not exist. */
  readonly handoffState: JsonObject | null;
  /** `LT` — the last fleet reconcile telemetry record, or null when unavailable. */
  readonly latestTelemetry: JsonObject | null;
  /** `LH` — the last handoff telemetry record, or null when unavailable. */
  readonly latestHandoffTelemetry: JsonObject | null;
  readonly files: FleetStatusFiles;
}

// ---------------------------------------------------------------------------------------------
// Loose readers

type J = JsonObject;

function obj(value: unknown): J | null {
  return isJsonObject(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function num(value: unknown): number | null {
  // JSON.parse turns 1e999 into Infinity, which JSON.stringify would print as null.
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function bool(value: unknown): boolean | null {
  return typeof value === "boolean" ? value : null;
}

/** `o.k1.k2…`, or undefined as soon as a step is not an object. */
function get(value: unknown, ...keys: string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    if (!isJsonObject(current)) return undefined;
    current = Object.hasOwn(current, key) ? current[key] : undefined;
  }
  return current;
}

function objects(value: unknown): J[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

/** A reason-code array read from an input: its strings, sorted and de-duplicated; null if not an array. */
function codes(value: unknown): string[] | null {
  return Array.isArray(value) ? sortedUnique(value.filter(isString)) : null;
}

/** `{<value>: n}` in first-occurrence order (own keys even for `__proto__`). */
function countBy(values: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return Object.fromEntries(counts);
}

/** `{key: value}`, or `{}` when the value is null/undefined ("keys with null values omitted"). */
function opt<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---------------------------------------------------------------------------------------------
// Sections

const POLICY_GATED_REASONS: readonly string[] = [
  AutonomyGateReasonCode.PolicyModeNotGuardedAuto,
  AutonomyGateReasonCode.CandidateSuppressed,
  AutonomyGateReasonCode.CategoryNotAllowlisted,
  AutonomyGateReasonCode.IntentNotAllowlisted,
  AutonomyGateReasonCode.NoRecommendedIntent,
  AutonomyGateReasonCode.SeverityBelowThreshold,
  AutonomyGateReasonCode.ConfidenceBelowThreshold,
  SafetyRailReasonCode.AutonomousKillSwitchEnabled,
  SafetyRailReasonCode.AutonomousCooldownActive,
  SafetyRailReasonCode.AutonomousMaxActionsPerRunExceeded,
  SafetyRailReasonCode.AutonomousMaxActionsPerLoopExceeded,
];

const ROLLOUT_GATED_REASONS: readonly string[] = [
  RolloutReasonCode.AutonomousRolloutScopeExcluded,
  RolloutReasonCode.AutonomousRolloutCanaryExcluded,
  PauseReasonCode.AutonomousRolloutPausedManual,
  PauseReasonCode.AutonomousRolloutPausedAuto,
  AutoPauseReasonCode.AutonomousAutopauseAmbiguousSpike,
  AutoPauseReasonCode.AutonomousAutopauseFailureSpike,
];

/** Top-level `blockedCount`: the rollout reasons plus the four safety rails. */
const BLOCKING_REASONS: readonly string[] = [
  ...ROLLOUT_GATED_REASONS,
  SafetyRailReasonCode.AutonomousKillSwitchEnabled,
  SafetyRailReasonCode.AutonomousCooldownActive,
  SafetyRailReasonCode.AutonomousMaxActionsPerRunExceeded,
  SafetyRailReasonCode.AutonomousMaxActionsPerLoopExceeded,
];

/** 7 days: a review deadline at most this far ahead is "due soon" (§3.2). */
export const REVIEW_DUE_SOON_SECONDS = 604_800;

const GUARDED_AUTO = "guarded_auto";
const PENDING_CONFIRMATION = "pending_operator_confirmation";

/** Everything derived once from the handoff state `H` (or its absence). */
interface HandoffFacts {
  readonly intents: J[];
  /** `X` = `H.execution` or `{}`. */
  readonly execution: J;
  readonly executionResults: J[];
  /** Intents pending confirmation and manual-only (§2.6). */
  readonly pendingManualOnlyCount: number;
  /** `{<reasonCode>: n}` over `X.results[]` having one (§2.6). */
  readonly byReasonCode: Record<string, number>;
}

function handoffFacts(H: J | null): HandoffFacts {
  const intents = objects(H?.["intents"]);
  const execution = obj(H?.["execution"]) ?? {};
  const executionResults = objects(execution["results"]);
  return {
    intents,
    execution,
    executionResults,
    pendingManualOnlyCount: intents.filter(
      (intent) =>
        intent["status"] === PENDING_CONFIRMATION && get(intent, "autonomous", "manualOnly") === true,
    ).length,
    byReasonCode: countBy(
      executionResults.map((result) => str(result["reasonCode"])).filter((code) => code !== null),
    ),
  };
}

/** §3.1 — the autonomous outcome rollup. */
export function statusOutcomeRollup(P: J | null, H: J | null): FleetStatusOutcomeRollup {
  const facts = handoffFacts(H);
  const X = facts.execution;
  const autonomous = X["mode"] === "autonomous";
  const count = (key: string) => (autonomous ? (num(X[key]) ?? 0) : 0);
  return {
    attempted: count("requestedIntentCount"),
    executed: count("executedCount"),
    ambiguous: count("ambiguousCount"),
    failed: count("failedCount"),
    manual_backlog:
      H !== null ? facts.pendingManualOnlyCount : P !== null ? (num(P["manualOnlyCount"]) ?? 0) : 0,
  };
}

function policyMode(P: J): string {
  return str(P["mode"]) ?? "advisory";
}

/**
 * §3.2 — governance posture of a policy state at `nowEpoch`. Careful Q7: a `reviewBy` that is
 * present but not a strict timestamp counts as a missing deadline (never as healthy).
 */
export function statusGovernancePosture(P: J, nowEpoch: number): FleetStatusGovernance {
  const G = obj(get(P, "autonomous", "governance")) ?? {};
  const mode = policyMode(P);
  const guarded = mode === GUARDED_AUTO;
  const present = (key: string) => str(G[key]) !== null;
  // "Has the key" — a null value is absent (20 §1); any other value counts only when it is `true`.
  const declared = G["authorityContextPresent"];
  const authorityContextPresent =
    declared !== undefined && declared !== null
      ? declared === true
      : ["actor", "approvalRef", "rationale", "changedAt", "reviewBy"].every(present);
  const reviewEpoch = parseTimestamp(G["reviewBy"]);
  const deadlineMissing = reviewEpoch === null; // absent, or (Q7) unparseable
  const expired = reviewEpoch !== null && reviewEpoch <= nowEpoch;
  const dueSoon =
    reviewEpoch !== null && reviewEpoch > nowEpoch && reviewEpoch - nowEpoch <= REVIEW_DUE_SOON_SECONDS;
  const reasonCodes: string[] = [];
  if (guarded) {
    if (!authorityContextPresent) reasonCodes.push(GovernanceReasonCode.AutonomousGovernanceAuthorityMissing);
    if (deadlineMissing) reasonCodes.push(GovernanceReasonCode.AutonomousGovernanceReviewDeadlineMissing);
    if (expired) reasonCodes.push(GovernanceReasonCode.AutonomousGovernanceReviewExpired);
    if (dueSoon && !expired) reasonCodes.push(GovernanceReasonCode.AutonomousGovernanceReviewDueSoon);
  }
  let posture: FleetStatusGovernancePosture;
  if (!guarded) posture = GovernancePosture.NotRequired;
  else if (!authorityContextPresent) posture = GovernancePosture.AuthorityMissing;
  else if (deadlineMissing) posture = GovernancePosture.ReviewDeadlineMissing;
  else if (expired) posture = GovernancePosture.ReviewExpired;
  else if (dueSoon) posture = GovernancePosture.ReviewDueSoon;
  else posture = GovernancePosture.Active;
  const sortedCodes = sortedUnique(reasonCodes);
  return {
    ...opt("changedBy", str(G["actor"])),
    ...opt("changedAt", str(G["changedAt"])),
    ...opt("approvalRef", str(G["approvalRef"])),
    ...opt("why", str(G["rationale"])),
    ...opt("until", str(G["reviewBy"])),
    ...opt("reviewWindowDays", num(G["reviewWindowDays"])),
    authorityContextPresent,
    posture,
    reasonCodes: sortedCodes,
    blocksAutonomous: guarded && sortedCodes.length > 0,
  };
}

/** `B` entries whose key is in `reasons`, in the order of `reasons` (the spec's example order). */
function pick(B: Record<string, number>, reasons: readonly string[]): Record<string, number> {
  return Object.fromEntries(
    reasons.filter((reason) => Object.hasOwn(B, reason)).map((reason) => [reason, B[reason] ?? 0]),
  );
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, value) => total + value, 0);
}

/** §3.3 — suppression-path classification. `governance` is null without a policy state. */
export function statusSafetyGateDecisions(
  P: J | null,
  H: J | null,
  governance: FleetStatusGovernance | null,
): FleetStatusSafetyGateDecisions {
  const rawB = obj(get(P, "summary", "byAutonomyReason")) ?? {};
  const B: Record<string, number> = Object.fromEntries(
    Object.entries(rawB).flatMap(([key, value]) => {
      const count = num(value);
      return count === null ? [] : [[key, count] as const];
    }),
  );
  const policyByReason = pick(B, POLICY_GATED_REASONS);
  const rolloutByReason = pick(B, ROLLOUT_GATED_REASONS);
  const governanceCodes = governance?.reasonCodes ?? [];
  const governanceBlocked =
    governance?.blocksAutonomous === true && P !== null ? (num(P["unsuppressedCount"]) ?? 0) : 0;

  const facts = handoffFacts(H);
  const transportByIntent = new Map<string, string>();
  for (const intent of facts.intents) {
    const intentId = str(intent["intentId"]);
    // First intent with an id wins (ids are unique in a real handoff state).
    if (intentId !== null && !transportByIntent.has(intentId)) {
      transportByIntent.set(intentId, str(intent["transport"]) ?? "local");
    }
  }
  const transportByReason = countBy(
    facts.executionResults
      .filter((result) => {
        const intentId = str(result["intentId"]);
        const transport = (intentId === null ? undefined : transportByIntent.get(intentId)) ?? "local";
        const status = result["status"];
        return transport === "sprite_service" && (status === "failed" || status === "ambiguous");
      })
      .map((result) => str(result["reasonCode"]) ?? TransportGateReasonCode.TransportExecutionBlocked),
  );

  const policyBlocked = sum(policyByReason);
  const rolloutBlocked = sum(rolloutByReason);
  const transportBlocked = sum(transportByReason);
  const suppression: string[] = [];
  if (policyBlocked > 0) suppression.push(SafetyGateSuppressionReasonCode.AutonomousSuppressionPolicyGated);
  if (rolloutBlocked > 0) suppression.push(SafetyGateSuppressionReasonCode.AutonomousSuppressionRolloutGated);
  if (governanceBlocked > 0) {
    suppression.push(SafetyGateSuppressionReasonCode.AutonomousSuppressionGovernanceGated);
  }
  if (transportBlocked > 0) {
    suppression.push(SafetyGateSuppressionReasonCode.AutonomousSuppressionTransportGated);
  }
  return {
    byReason: B,
    byPath: {
      policyGated: { blockedCount: policyBlocked, byReason: policyByReason },
      rolloutGated: { blockedCount: rolloutBlocked, byReason: rolloutByReason },
      governanceGated: { blockedCount: governanceBlocked, reasonCodes: governanceCodes },
      transportGated: { blockedCount: transportBlocked, byReason: transportByReason },
    },
    suppressionReasonCodes: sortedUnique(suppression),
    blockedCount: sum(pick(B, BLOCKING_REASONS)),
    killSwitchActive: P !== null && get(P, "autonomous", "controls", "safety", "killSwitch") === true,
  };
}

/** §3.4 — rollout posture from `P.autonomous.rollout`. Careful Q6: a stored `false` is echoed. */
export function statusRolloutPosture(P: J): FleetStatusRollout {
  const rollout = obj(get(P, "autonomous", "rollout")) ?? {};
  const buckets = obj(rollout["candidateBuckets"]) ?? {};
  const pause = obj(rollout["pause"]) ?? {};
  const auto = obj(pause["auto"]) ?? {};
  const autopause = {
    enabled: bool(auto["enabled"]) ?? true,
    active: bool(auto["active"]) ?? false,
    reasons: codes(auto["reasons"]) ?? [],
    lookbackExecutions: num(auto["lookbackExecutions"]),
    minSampleSize: num(auto["minSampleSize"]),
    ambiguityRateThreshold: num(auto["ambiguityRateThreshold"]),
    failureRateThreshold: num(auto["failureRateThreshold"]),
    metrics: obj(auto["metrics"]) ?? {},
  };
  const pauseActive = bool(pause["active"]) ?? false;
  const pauseReasons = codes(pause["reasons"]) ?? [];
  const manual = bool(pause["manual"]) ?? false;
  const scope = Array.isArray(rollout["scopeLoopIds"]) ? rollout["scopeLoopIds"].filter(isString) : [];
  return {
    ...opt("canaryPercent", num(rollout["canaryPercent"])),
    scopeLoopIds: scope,
    ...opt("selectorSalt", str(rollout["selectorSalt"])),
    candidateBuckets: {
      inScopeCount: num(buckets["inScopeCount"]) ?? 0,
      inCohortCount: num(buckets["inCohortCount"]) ?? 0,
      outOfCohortCount: num(buckets["outOfCohortCount"]) ?? 0,
    },
    state: {
      active: pauseActive,
      manualPauseActive: manual,
      autoPauseActive: autopause.active,
      reasonCodes: pauseReasons,
    },
    autopause,
    pause: { active: pauseActive, reasons: pauseReasons, manual, auto: { ...autopause } },
  };
}

type PolicySection = NonNullable<FleetStatusDocument["policy"]>;
type HandoffSection = NonNullable<FleetStatusDocument["handoff"]>;
type AutonomousSection = NonNullable<FleetStatusDocument["autonomous"]>;

function severityRank(candidate: J): number {
  const severity = candidate["severity"];
  return severity === "critical" ? 0 : severity === "warning" ? 1 : 2;
}

/** §2.5 */
function policySection(P: J): PolicySection {
  const candidates = objects(P["candidates"]);
  // Array.prototype.sort is stable: equal ranks keep the state's (loopId, category) order.
  const top = [...candidates].sort((a, b) => severityRank(a) - severityRank(b)).slice(0, 5);
  return {
    mode: policyMode(P),
    candidateCount: num(P["candidateCount"]) ?? 0,
    unsuppressedCount: num(P["unsuppressedCount"]) ?? 0,
    suppressedCount: num(P["suppressedCount"]) ?? 0,
    reasonCodes: codes(P["reasonCodes"]) ?? [],
    topCandidates: top,
    ...opt("traceId", str(P["traceId"])),
    ...opt("updatedAt", str(P["updatedAt"])),
  };
}

/** §2.6 */
function handoffSection(P: J | null, H: J): HandoffSection {
  const facts = handoffFacts(H);
  const summary = obj(H["summary"]) ?? {};
  const X = facts.execution;
  const count = (record: J, key: string) => num(record[key]) ?? 0;
  const byAutonomyReason = countBy(
    facts.intents.flatMap((intent) => {
      const reasons = get(intent, "autonomous", "reasons");
      return Array.isArray(reasons) ? reasons.filter(isString) : [];
    }),
  );
  return {
    ...opt("mode", str(H["mode"])),
    reasonCodes: codes(H["reasonCodes"]) ?? [],
    summary: {
      intentCount: num(summary["intentCount"]) ?? facts.intents.length,
      autoEligibleIntentCount: count(summary, "autoEligibleIntentCount"),
      manualOnlyIntentCount: count(summary, "manualOnlyIntentCount"),
      pendingConfirmationCount: count(summary, "pendingConfirmationCount"),
      executedCount: count(summary, "executedCount"),
      ambiguousCount: count(summary, "ambiguousCount"),
      failedCount: count(summary, "failedCount"),
      autonomousOutcomeRollup: statusOutcomeRollup(P, H),
    },
    execution: {
      ...opt("mode", str(X["mode"])),
      ...opt("requestedBy", str(X["requestedBy"])),
      ...opt("requestedAt", str(X["requestedAt"])),
      ...opt("completedAt", str(X["completedAt"])),
      requestedIntentCount: count(X, "requestedIntentCount"),
      executedIntentCount: count(X, "executedIntentCount"),
      executedCount: count(X, "executedCount"),
      ambiguousCount: count(X, "ambiguousCount"),
      failedCount: count(X, "failedCount"),
      byReasonCode: facts.byReasonCode,
    },
    byAutonomyReason,
    pendingManualOnlyCount: facts.pendingManualOnlyCount,
    ...opt("traceId", str(H["traceId"])),
    ...opt("updatedAt", str(H["updatedAt"])),
  };
}

/** §3 — null only when both `P` and `H` are null. */
function autonomousSection(P: J | null, H: J | null, nowEpoch: number): AutonomousSection | null {
  if (P === null && H === null) return null;
  const mode = P !== null ? policyMode(P) : (str(H?.["mode"]) ?? "advisory");
  const governance = P === null ? null : statusGovernancePosture(P, nowEpoch);
  const rollup = statusOutcomeRollup(P, H);
  let handoff: AutonomousSection["handoff"] | null = null;
  if (H !== null) {
    const facts = handoffFacts(H);
    const summary = obj(H["summary"]) ?? {};
    const X = facts.execution;
    handoff = {
      autoEligibleIntentCount: num(summary["autoEligibleIntentCount"]) ?? 0,
      manualOnlyIntentCount: num(summary["manualOnlyIntentCount"]) ?? 0,
      pendingManualOnlyCount: facts.pendingManualOnlyCount,
      ...opt("executionMode", str(X["mode"])),
      executedCount: num(X["executedCount"]) ?? 0,
      ambiguousCount: num(X["ambiguousCount"]) ?? 0,
      failedCount: num(X["failedCount"]) ?? 0,
      outcomeRollup: rollup,
      outcomeReasonCodes: facts.byReasonCode,
    };
  }
  return {
    mode,
    enabled: mode === GUARDED_AUTO,
    policyReasonCodes: (P === null ? null : codes(P["reasonCodes"])) ?? [],
    handoffReasonCodes: (H === null ? null : codes(H["reasonCodes"])) ?? [],
    eligibleCandidateCount: (P === null ? null : num(P["autoEligibleCount"])) ?? 0,
    manualOnlyCandidateCount: (P === null ? null : num(P["manualOnlyCount"])) ?? 0,
    outcomeRollup: rollup,
    ...opt("governance", governance),
    safetyGateDecisions: statusSafetyGateDecisions(P, H, governance),
    ...opt("rollout", P === null ? null : statusRolloutPosture(P)),
    ...opt("handoff", handoff),
  };
}

/**
 * §2.7 — one drill-down entry per result. Key order follows the spec's example (and the fleet
 * result's own order, 21 §4.5): loopId, status, reasonCode, reconcileStatus, healthStatus,
 * healthReasonCodes, transitionState, durationSeconds, traceId, transport, sprite, artifacts.
 */
function loopEntry(result: J): FleetStatusLoop {
  const files = obj(result["files"]) ?? {};
  return {
    ...opt("loopId", str(result["loopId"])),
    status: str(result["status"]) ?? "unknown",
    ...opt("reasonCode", str(result["reasonCode"])),
    ...opt("reconcileStatus", str(result["reconcileStatus"])),
    healthStatus: str(result["healthStatus"]) ?? "unknown",
    healthReasonCodes: codes(result["healthReasonCodes"]) ?? [],
    ...opt("transitionState", str(result["transitionState"])),
    ...opt("durationSeconds", num(result["durationSeconds"])),
    ...opt("traceId", str(result["traceId"])),
    transport: str(result["transport"]) ?? "local",
    sprite: obj(result["sprite"]) ?? {},
    artifacts: {
      stateFile: str(files["stateFile"]),
      healthFile: str(files["healthFile"]),
      cursorFile: str(files["cursorFile"]),
      reconcileTelemetryFile: str(files["reconcileTelemetryFile"]),
    },
  };
}

/** §2.9 */
function latestTelemetrySection(LT: J | null): FleetStatusDocument["latestTelemetry"] {
  if (LT === null) return null;
  return {
    ...opt("timestamp", str(LT["timestamp"])),
    ...opt("status", str(LT["status"])),
    reasonCodes: codes(LT["reasonCodes"]) ?? [],
  };
}

/** §2.10 — Q8 kept: `summary.pendingManualOnlyCount` is never in real telemetry. */
function latestHandoffTelemetrySection(
  LH: J | null,
  currentManualBacklog: number,
): FleetStatusDocument["latestHandoffTelemetry"] {
  if (LH === null) return null;
  const E = obj(LH["execution"]) ?? {};
  const outer = obj(LH["summary"]) ?? {};
  const S = obj(outer["summary"]) ?? {};
  const autonomous = E["mode"] === "autonomous";
  const count = (key: string) => (autonomous ? (num(E[key]) ?? 0) : 0);
  return {
    ...opt("timestamp", str(LH["timestamp"])),
    ...opt("category", str(LH["category"])),
    ...opt("traceId", str(LH["traceId"])),
    execution: {
      ...opt("mode", str(E["mode"])),
      ...opt("requestedIntentCount", num(E["requestedIntentCount"])),
      ...opt("executedCount", num(E["executedCount"])),
      ...opt("ambiguousCount", num(E["ambiguousCount"])),
      ...opt("failedCount", num(E["failedCount"])),
    },
    summary: {
      ...opt("intentCount", num(S["intentCount"])),
      ...opt("autoEligibleIntentCount", num(S["autoEligibleIntentCount"])),
      ...opt("manualOnlyIntentCount", num(S["manualOnlyIntentCount"])),
      ...opt("pendingConfirmationCount", num(S["pendingConfirmationCount"])),
      ...opt("pendingManualOnlyCount", num(S["pendingManualOnlyCount"])),
      ...opt("executedCount", num(S["executedCount"])),
      ...opt("ambiguousCount", num(S["ambiguousCount"])),
      ...opt("failedCount", num(S["failedCount"])),
    },
    autonomousOutcomeRollup: {
      attempted: count("requestedIntentCount"),
      executed: count("executedCount"),
      ambiguous: count("ambiguousCount"),
      failed: count("failedCount"),
      manual_backlog: num(S["pendingManualOnlyCount"]) ?? currentManualBacklog,
    },
    reasonCodes: codes(outer["reasonCodes"]) ?? [],
  };
}

/** The whole status document (§2, §3) from already-read inputs. */
export function projectFleetStatus(sources: FleetStatusSources): FleetStatusDocument {
  const F = sources.fleetState;
  const P = sources.policyState;
  const H = sources.handoffState;
  const R = objects(F["results"]);
  const nowEpoch = parseTimestamp(sources.generatedAt);
  if (nowEpoch === null)
    throw new RangeError(`generatedAt is not a strict timestamp: ${sources.generatedAt}`);

  const statusCount = (status: string) => R.filter((result) => result["status"] === status).length;
  const healthOf = (result: J) => str(result["healthStatus"]) ?? FleetHealthBucket.Unknown;
  const healthRollup = {
    healthy: R.filter((result) => healthOf(result) === FleetHealthBucket.Healthy).length,
    degraded: R.filter((result) => healthOf(result) === FleetHealthBucket.Degraded).length,
    critical: R.filter((result) => healthOf(result) === FleetHealthBucket.Critical).length,
    unknown: R.filter((result) => healthOf(result) === FleetHealthBucket.Unknown).length,
  };

  const successCount = num(F["successCount"]) ?? statusCount("success");
  const failedCount = num(F["failedCount"]) ?? statusCount("failed");
  // Careful Q1: partial failure from this section's own (possibly derived) counts.
  const partialFailure = failedCount > 0 && successCount > 0;
  const fleetCodes = [...(codes(F["reasonCodes"]) ?? [])];
  if (partialFailure) fleetCodes.push(FleetReconcileReasonCode.FleetPartialFailure);
  if (healthRollup.critical > 0) fleetCodes.push(FleetReconcileReasonCode.FleetHealthCritical);
  else if (healthRollup.degraded > 0) fleetCodes.push(FleetReconcileReasonCode.FleetHealthDegraded);

  const loopIdsWhere = (predicate: (result: J) => boolean) =>
    sortedUnique(
      R.filter(predicate)
        .map((result) => str(result["loopId"]))
        .filter((loopId) => loopId !== null),
    );

  const fleetTraceId = str(F["traceId"]);
  const loopTraceIds = sortedUnique(R.map((result) => str(result["traceId"])).filter((id) => id !== null));
  const single = loopTraceIds.length === 1 ? (loopTraceIds[0] ?? null) : null;
  const sharedTraceId =
    single !== null &&
    single !== "" &&
    (fleetTraceId === null || fleetTraceId === "" || fleetTraceId === single)
      ? single
      : null;

  const manualBacklog = statusOutcomeRollup(P, H).manual_backlog;
  const LT = sources.latestTelemetry;
  const LH = sources.latestHandoffTelemetry;

  return {
    schemaVersion: FLEET_STATUS_SCHEMA_VERSION,
    generatedAt: sources.generatedAt,
    source: {
      repoPath: sources.repoPath,
      fleetId: str(F["fleetId"]) ?? sources.registryFleetId ?? "default",
    },
    fleet: {
      status: str(F["status"]) ?? "unknown",
      reasonCodes: sortedUnique(fleetCodes),
      loopCount: num(F["loopCount"]) ?? R.length,
      successCount,
      failedCount,
      skippedCount: num(F["skippedCount"]) ?? statusCount("skipped"),
      startedAt: str(F["startedAt"]),
      updatedAt: str(F["updatedAt"]),
      durationSeconds: num(F["durationSeconds"]),
      traceId: fleetTraceId,
      partialFailure,
    },
    healthRollup,
    exceptions: {
      reconcileFailures: loopIdsWhere((result) => result["status"] === "failed"),
      criticalLoops: loopIdsWhere((result) => result["healthStatus"] === "critical"),
      degradedLoops: loopIdsWhere((result) => result["healthStatus"] === "degraded"),
      skippedLoops: loopIdsWhere((result) => result["status"] === "skipped"),
    },
    policy: P === null ? null : policySection(P),
    handoff: H === null ? null : handoffSection(P, H),
    autonomous: autonomousSection(P, H, nowEpoch),
    loops: R.map(loopEntry),
    traceLinkage: {
      fleetTraceId,
      policyTraceId: P === null ? null : str(P["traceId"]),
      loopTraceIds,
      sharedTraceId,
    },
    latestTelemetry: latestTelemetrySection(LT),
    latestHandoffTelemetry: latestHandoffTelemetrySection(LH, manualBacklog),
    files: sources.files,
  };
}
