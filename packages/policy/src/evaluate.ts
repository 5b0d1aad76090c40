/**
 * Spec 22 — the pure fleet policy evaluation: fleet state results → candidates (§2), suppression
 * and advisory cooldown (§3), rollout pause / auto-pause (§5), autonomy classification with safety
 * rails (§6), policy state (§7), governance audit event (§8), history rows and the telemetry row
 * (§9). No I/O, no clock: every input (including "now") is passed in, so a run is replayable.
 */
import {
  AutonomyGateReasonCode,
  AutoPauseReasonCode,
  compareCodePoints,
  FleetPolicyReasonCode,
  formatTimestamp,
  isJsonObject,
  type NormalizedFleetAutonomous,
  type NormalizedFleetPolicy,
  PauseReasonCode,
  RolloutReasonCode,
  SafetyRailReasonCode,
  SuppressionReason,
  sortedUnique,
} from "@ops/contract";
import { canarySelected, cohortBucket } from "./cohort.js";
import { governanceAuditEvent, policyGovernance } from "./governance.js";
import { autoPauseMetrics, PolicyHistoryIndex } from "./inputs.js";
import {
  type AdvisoryCooldown,
  type CandidateAutonomy,
  type FleetPolicyState,
  type GovernanceAuditEvent,
  POLICY_SCHEMA_VERSION,
  type PolicyCandidate,
  type PolicyHistoryRow,
  type PolicySummary,
  type PolicyTelemetryRow,
  type RolloutPause,
  TAXONOMY_VERSION,
} from "./schemas.js";

export type PolicyMode = "advisory" | "guarded_auto";
export type CandidateCategory = PolicyCandidate["category"];

export const POLICY_MODES: readonly PolicyMode[] = ["advisory", "guarded_auto"];

/** §2 taxonomy, in the §7 `taxonomy.categories` order. */
export const CANDIDATE_TAXONOMY = [
  {
    category: "reconcile_failed",
    signal: "status_failed",
    severity: "critical",
    confidence: "high",
    rationale: "Loop reconcile failed in fleet fan-out",
    recommendedIntent: "cancel",
  },
  {
    category: "health_critical",
    signal: "health_critical",
    severity: "critical",
    confidence: "high",
    rationale: "Loop health is critical",
    recommendedIntent: "cancel",
  },
  {
    category: "health_degraded",
    signal: "health_degraded",
    severity: "warning",
    confidence: "medium",
    rationale: "Loop health is degraded",
    recommendedIntent: "cancel",
  },
] as const;

export const ALLOWED_CATEGORIES: readonly CandidateCategory[] = [
  "reconcile_failed",
  "health_critical",
  "health_degraded",
];
export const SUPPRESSION_PRECEDENCE = ["loop", "global", "cooldown"] as const;

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 3, warning: 2, info: 1 };
const CONFIDENCE_RANK: Readonly<Record<string, number>> = { high: 3, medium: 2, low: 1 };

/** §4 rank tables (anything else ranks 0). */
export function severityRank(value: unknown): number {
  return typeof value === "string" && Object.hasOwn(SEVERITY_RANK, value) ? (SEVERITY_RANK[value] ?? 0) : 0;
}
export function confidenceRank(value: unknown): number {
  return typeof value === "string" && Object.hasOwn(CONFIDENCE_RANK, value)
    ? (CONFIDENCE_RANK[value] ?? 0)
    : 0;
}

// ---------------------------------------------------------------------------------------------
// §1 trace id

/**
 * §1 precedence: `--trace-id` (non-empty) → fleet state `traceId` (non-empty string) →
 * `OPS_MANAGER_TRACE_ID` (non-empty) → a generated id, lowercased. Never fails.
 */
export function resolvePolicyTraceId(
  flag: string | undefined,
  fleetState: unknown,
  envValue: string | undefined,
  generate: () => string,
): string {
  if (flag !== undefined && flag !== "") return flag;
  const fromState = isJsonObject(fleetState) ? fleetState["traceId"] : undefined;
  if (typeof fromState === "string" && fromState !== "") return fromState;
  if (envValue !== undefined && envValue !== "") return envValue;
  return generate().toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// §5 pause posture

/** §5 — the fleet-wide pause object, computed once per run (careful Q1: independent of candidates). */
export function rolloutPause(
  autonomous: NormalizedFleetAutonomous,
  handoffTelemetry: Iterable<unknown>,
): RolloutPause {
  const settings = autonomous.rollout.autoPause;
  const metrics = autoPauseMetrics(handoffTelemetry, settings.lookbackExecutions);
  const sampled = settings.enabled && metrics.attemptedCount >= settings.minSampleSize;
  const autoReasons: string[] = [];
  if (sampled && metrics.ambiguityRate >= settings.ambiguityRateThreshold) {
    autoReasons.push(AutoPauseReasonCode.AutonomousAutopauseAmbiguousSpike);
  }
  if (sampled && metrics.failureRate >= settings.failureRateThreshold) {
    autoReasons.push(AutoPauseReasonCode.AutonomousAutopauseFailureSpike);
  }
  const autoActive = autoReasons.length > 0;
  const manual = autonomous.rollout.pause.manual;
  const reasons: string[] = [];
  if (manual) reasons.push(PauseReasonCode.AutonomousRolloutPausedManual);
  if (autoActive) reasons.push(PauseReasonCode.AutonomousRolloutPausedAuto);
  return {
    active: reasons.length > 0,
    reasons: sortedUnique(reasons),
    manual,
    auto: {
      enabled: settings.enabled,
      active: autoActive,
      reasons: sortedUnique(autoReasons),
      lookbackExecutions: settings.lookbackExecutions,
      minSampleSize: settings.minSampleSize,
      ambiguityRateThreshold: settings.ambiguityRateThreshold,
      failureRateThreshold: settings.failureRateThreshold,
      metrics,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// §6 autonomy classification

/** What autonomy classification needs to know about one candidate. */
export interface AutonomyCandidateInput {
  readonly candidateId: string;
  readonly loopId: string;
  readonly category: string;
  readonly severity: string;
  readonly confidence: string;
  readonly recommendedIntent: string | null;
  readonly suppressed: boolean;
}

export interface AutonomyContext {
  readonly mode: PolicyMode;
  readonly autonomous: NormalizedFleetAutonomous;
  readonly pause: RolloutPause;
  readonly history: PolicyHistoryIndex;
  /** Evaluation instant, epoch seconds. */
  readonly now: number;
}

/**
 * §6.1–§6.6 — classify candidates (already in (`loopId`, `category`) order): gates and gating
 * reasons per candidate, then the ordered safety pass (kill switch → cooldown → run cap → loop cap,
 * at most one, only for candidates without gating reasons). Returns one autonomy object per input.
 */
export function classifyAutonomy(
  candidates: readonly AutonomyCandidateInput[],
  ctx: AutonomyContext,
): CandidateAutonomy[] {
  const { mode, autonomous, pause, history, now } = ctx;
  const { allow, thresholds, safety, rollout } = autonomous;
  const guarded = mode === "guarded_auto";
  let selectedTotal = 0;
  const selectedByLoop = new Map<string, number>();

  return candidates.map((candidate) => {
    const bucket = cohortBucket(candidate.loopId, rollout.selector.salt);
    const scopeIds = rollout.scope.loopIds;
    const inScope = scopeIds.length === 0 || scopeIds.includes(candidate.loopId);
    const selected = canarySelected(bucket, rollout.canaryPercent);
    const gates: CandidateAutonomy["gates"] = {
      modeGuardedAuto: guarded,
      suppressed: candidate.suppressed,
      categoryAllowed: (allow.categories as readonly string[]).includes(candidate.category),
      intentAllowed:
        candidate.recommendedIntent !== null &&
        (allow.intents as readonly string[]).includes(candidate.recommendedIntent),
      severityMeetsThreshold: severityRank(candidate.severity) >= severityRank(thresholds.minSeverity),
      confidenceMeetsThreshold:
        confidenceRank(candidate.confidence) >= confidenceRank(thresholds.minConfidence),
      rolloutScopeAllowed: inScope,
      rolloutCanarySelected: selected,
    };

    const gating: string[] = [];
    if (!guarded) gating.push(AutonomyGateReasonCode.PolicyModeNotGuardedAuto);
    if (candidate.suppressed) gating.push(AutonomyGateReasonCode.CandidateSuppressed);
    if (!gates.categoryAllowed) gating.push(AutonomyGateReasonCode.CategoryNotAllowlisted);
    if (candidate.recommendedIntent === null) gating.push(AutonomyGateReasonCode.NoRecommendedIntent);
    else if (!gates.intentAllowed) gating.push(AutonomyGateReasonCode.IntentNotAllowlisted);
    if (!gates.severityMeetsThreshold) gating.push(AutonomyGateReasonCode.SeverityBelowThreshold);
    if (!gates.confidenceMeetsThreshold) gating.push(AutonomyGateReasonCode.ConfidenceBelowThreshold);
    if (!inScope) gating.push(RolloutReasonCode.AutonomousRolloutScopeExcluded);
    else if (!selected) gating.push(RolloutReasonCode.AutonomousRolloutCanaryExcluded);
    if (pause.manual) gating.push(PauseReasonCode.AutonomousRolloutPausedManual);
    if (pause.auto.active) gating.push(PauseReasonCode.AutonomousRolloutPausedAuto);
    gating.push(...pause.auto.reasons);
    const gatingReasons = sortedUnique(gating);

    // §6.4 autonomous cooldown, keyed on the last time the candidate was classified eligible.
    const lastEligible = history.lastEligibleAt(candidate.candidateId);
    const age = lastEligible === null ? 0 : now - lastEligible;
    const cooldownActive =
      safety.cooldownSeconds > 0 && lastEligible !== null && age < safety.cooldownSeconds;
    const cooldown = {
      active: cooldownActive,
      remainingSeconds: cooldownActive ? safety.cooldownSeconds - age : 0,
      lastEligibleAt: lastEligible === null ? null : formatTimestamp(lastEligible),
    };

    // §6.5 safety pass: at most one reason, first match wins, only for clean candidates.
    let safetyReason: string | null = null;
    if (gatingReasons.length === 0) {
      const byLoop = selectedByLoop.get(candidate.loopId) ?? 0;
      if (safety.killSwitch) safetyReason = SafetyRailReasonCode.AutonomousKillSwitchEnabled;
      else if (cooldownActive) safetyReason = SafetyRailReasonCode.AutonomousCooldownActive;
      else if (selectedTotal >= safety.maxActionsPerRun) {
        safetyReason = SafetyRailReasonCode.AutonomousMaxActionsPerRunExceeded;
      } else if (byLoop >= safety.maxActionsPerLoop) {
        safetyReason = SafetyRailReasonCode.AutonomousMaxActionsPerLoopExceeded;
      }
    }
    const reasons = sortedUnique(safetyReason === null ? gatingReasons : [...gatingReasons, safetyReason]);
    const eligible = reasons.length === 0;
    if (eligible) {
      selectedTotal += 1;
      selectedByLoop.set(candidate.loopId, (selectedByLoop.get(candidate.loopId) ?? 0) + 1);
    }

    return {
      mode,
      eligible,
      manualOnly: !eligible,
      reasons,
      gatingReasons,
      recommendedIntent: candidate.recommendedIntent,
      gates,
      safety: {
        maxActionsPerRun: safety.maxActionsPerRun,
        maxActionsPerLoop: safety.maxActionsPerLoop,
        cooldownSeconds: safety.cooldownSeconds,
        killSwitch: safety.killSwitch,
        cooldown,
        killSwitchActive: guarded && safety.killSwitch,
        runCapBlocked: reasons.includes(SafetyRailReasonCode.AutonomousMaxActionsPerRunExceeded),
        loopCapBlocked: reasons.includes(SafetyRailReasonCode.AutonomousMaxActionsPerLoopExceeded),
      },
      rollout: {
        canaryPercent: rollout.canaryPercent,
        scopeLoopIds: [...scopeIds],
        selector: {
          salt: rollout.selector.salt,
          bucket,
          inScope,
          canarySelected: selected,
          inCohort: inScope && selected,
        },
        pause,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// §2 / §3 candidates and suppression

interface RawCandidate {
  readonly loopId: string;
  readonly category: CandidateCategory;
  readonly traceId: string | null;
}

/** §2 — candidates of the fleet state results, sorted by (loopId, category), de-duplicated by id. */
export function generateCandidates(results: unknown): RawCandidate[] {
  const raw: RawCandidate[] = [];
  for (const result of Array.isArray(results) ? results : []) {
    if (!isJsonObject(result)) continue;
    const loopId = result["loopId"];
    // Careful Q6: results without a (non-empty) string loopId are skipped, not fatal.
    if (typeof loopId !== "string" || loopId === "") continue;
    const trace = result["traceId"];
    const traceId = typeof trace === "string" && trace !== "" ? trace : null;
    if (result["status"] === "failed") raw.push({ loopId, category: "reconcile_failed", traceId });
    if (result["healthStatus"] === "critical") raw.push({ loopId, category: "health_critical", traceId });
    if (result["healthStatus"] === "degraded") raw.push({ loopId, category: "health_degraded", traceId });
  }
  raw.sort((a, b) => compareCodePoints(a.loopId, b.loopId) || compareCodePoints(a.category, b.category));
  const seen = new Set<string>();
  return raw.filter((candidate) => {
    const id = `${candidate.loopId}:${candidate.category}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** §3.1 — advisory cooldown of one candidate. */
export function advisoryCooldown(
  candidateId: string,
  windowSeconds: number,
  history: PolicyHistoryIndex,
  now: number,
): AdvisoryCooldown {
  if (windowSeconds <= 0) {
    return { enabled: false, windowSeconds: 0, active: false, remainingSeconds: 0, lastUnsuppressedAt: null };
  }
  const last = history.lastUnsuppressedAt(candidateId);
  const age = last === null ? 0 : now - last;
  // Q8 kept: a future-dated entry (negative age) is active with more than the window remaining.
  const active = last !== null && age < windowSeconds;
  return {
    enabled: true,
    windowSeconds,
    active,
    remainingSeconds: active ? windowSeconds - age : 0,
    lastUnsuppressedAt: last === null ? null : formatTimestamp(last),
  };
}

interface Suppression {
  readonly scope: "loop" | "global" | "cooldown" | null;
  readonly reason: "registry_policy_suppression" | "advisory_cooldown_active" | null;
  readonly source: string | null;
}

function listsCategory(suppressions: NormalizedFleetPolicy["suppressions"], key: string, category: string) {
  if (!Object.hasOwn(suppressions, key)) return false;
  const list = suppressions[key];
  return Array.isArray(list) && (list as readonly string[]).includes(category);
}

/** §3 — suppression with precedence loop → global → cooldown. */
export function suppressionOf(
  suppressions: NormalizedFleetPolicy["suppressions"],
  loopId: string,
  category: string,
  cooldown: AdvisoryCooldown,
): Suppression {
  if (listsCategory(suppressions, loopId, category)) {
    // Q7 kept: the literal text `<loopId>`, not the concrete key.
    return {
      scope: "loop",
      reason: SuppressionReason.RegistryPolicySuppression,
      source: "policy.suppressions.<loopId>",
    };
  }
  if (listsCategory(suppressions, "*", category)) {
    return {
      scope: "global",
      reason: SuppressionReason.RegistryPolicySuppression,
      source: "policy.suppressions.*",
    };
  }
  if (cooldown.active) {
    return {
      scope: "cooldown",
      reason: SuppressionReason.AdvisoryCooldownActive,
      source: "policy.noiseControls.dedupeWindowSeconds",
    };
  }
  return { scope: null, reason: null, source: null };
}

// ---------------------------------------------------------------------------------------------
// The evaluation

/** Paths echoed into the artifacts (flag values verbatim, or absolute defaults). */
export interface PolicyArtifactPaths {
  readonly fleetStateFile: string;
  readonly registryFile: string;
  readonly policyStateFile: string;
  readonly governanceAuditFile: string;
  readonly handoffTelemetryFile: string;
  readonly policyHistoryFile: string;
}

export interface FleetPolicyEvaluationInput {
  /** The normalised registry `policy` (spec 20 §4). */
  readonly policy: NormalizedFleetPolicy;
  /** Effective dedupe window (default: `policy.noiseControls.dedupeWindowSeconds`). */
  readonly dedupeWindowSeconds?: number;
  /** The parsed fleet state (spec 21 `state.json`); any JSON object. */
  readonly fleetState: unknown;
  /** Policy history of previous runs: rows, or an index already folded while streaming. */
  readonly history?: PolicyHistoryIndex | Iterable<unknown>;
  /** Handoff telemetry rows (at least the lookback window of autonomous execute records). */
  readonly handoffTelemetry?: Iterable<unknown>;
  /** The parsed previous policy state; null/undefined when there was no previous file. */
  readonly previousPolicyState?: unknown;
  /** The evaluation instant (§1.2): epoch seconds or a Date (truncated to whole seconds). */
  readonly now: number | Date;
  /** The resolved trace id (see `resolvePolicyTraceId`). */
  readonly traceId: string;
  readonly paths: PolicyArtifactPaths;
}

/** Everything a run decides, in the §9.1 write order. */
export interface FleetPolicyEvaluation {
  /** 1. Overwrites `policy-state.json` (and is printed, 5.). */
  readonly state: FleetPolicyState;
  /** 2. Appended to `policy-governance.jsonl` when not null. */
  readonly governanceEvent: GovernanceAuditEvent | null;
  /** 3. Appended to `policy-history.jsonl`, one per candidate, candidate order. */
  readonly historyRows: PolicyHistoryRow[];
  /** 4. Appended to `policy.jsonl`. */
  readonly telemetryRow: PolicyTelemetryRow;
}

function countBy(values: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  // Keys in code-point order so the document is deterministic.
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => compareCodePoints(a, b)));
}

function summarize(
  candidates: readonly PolicyCandidate[],
  autoEligible: number,
  manualOnly: number,
): PolicySummary {
  const bySeverity = { critical: 0, warning: 0, info: 0 };
  const byConfidence = { high: 0, medium: 0, low: 0 };
  for (const candidate of candidates) {
    bySeverity[candidate.severity] += 1;
    byConfidence[candidate.confidence] += 1;
  }
  const unsuppressed = candidates.filter((candidate) => !candidate.suppressed);
  return {
    bySeverity,
    byConfidence,
    byCategory: countBy(candidates.map((candidate) => candidate.category)),
    bySuppressionReason: countBy(
      candidates.flatMap((candidate) =>
        candidate.suppressed && candidate.suppressionReason !== null ? [candidate.suppressionReason] : [],
      ),
    ),
    byAutonomy: { eligible: autoEligible, manualOnly },
    byAutonomyReason: countBy(unsuppressed.flatMap((candidate) => candidate.autonomous.reasons)),
  };
}

function policyReasonCodes(
  mode: PolicyMode,
  candidates: readonly PolicyCandidate[],
  counts: { unsuppressed: number; suppressed: number; autoEligible: number },
  byAutonomyReason: Record<string, number>,
  pause: RolloutPause,
): string[] {
  const has = (reason: string) => (byAutonomyReason[reason] ?? 0) > 0;
  const guarded = mode === "guarded_auto";
  const codes: string[] = [];
  codes.push(
    counts.unsuppressed > 0
      ? FleetPolicyReasonCode.FleetActionRequired
      : FleetPolicyReasonCode.NoActionRequired,
  );
  if (counts.suppressed > 0) codes.push(FleetPolicyReasonCode.FleetActionsSuppressed);
  if (candidates.some((c) => c.suppressionReason === SuppressionReason.RegistryPolicySuppression)) {
    codes.push(FleetPolicyReasonCode.FleetActionsPolicySuppressed);
  }
  if (candidates.some((c) => c.suppressionReason === SuppressionReason.AdvisoryCooldownActive)) {
    codes.push(FleetPolicyReasonCode.FleetActionsDeduped);
  }
  if (guarded) {
    if (counts.autoEligible > 0) codes.push(FleetPolicyReasonCode.FleetAutoCandidatesEligible);
    if (counts.unsuppressed > 0 && counts.autoEligible === 0) {
      codes.push(FleetPolicyReasonCode.FleetAutoCandidatesBlocked);
    }
    if (
      has(RolloutReasonCode.AutonomousRolloutScopeExcluded) ||
      has(RolloutReasonCode.AutonomousRolloutCanaryExcluded)
    ) {
      codes.push(FleetPolicyReasonCode.FleetAutoCandidatesRolloutGated);
    }
    if (
      has(PauseReasonCode.AutonomousRolloutPausedManual) ||
      has(PauseReasonCode.AutonomousRolloutPausedAuto)
    ) {
      codes.push(FleetPolicyReasonCode.FleetAutoCandidatesPaused);
    }
    if (pause.auto.active) codes.push(FleetPolicyReasonCode.FleetAutoCandidatesAutopauseTriggered);
    if (has(SafetyRailReasonCode.AutonomousKillSwitchEnabled)) {
      codes.push(FleetPolicyReasonCode.FleetAutoKillSwitchEnabled);
    }
    if (
      has(SafetyRailReasonCode.AutonomousCooldownActive) ||
      has(SafetyRailReasonCode.AutonomousMaxActionsPerRunExceeded) ||
      has(SafetyRailReasonCode.AutonomousMaxActionsPerLoopExceeded)
    ) {
      codes.push(FleetPolicyReasonCode.FleetAutoCandidatesSafetyBlocked);
    }
  }
  return sortedUnique(codes);
}

/** §9.2 — the history row of one candidate (keys with null values omitted; Q2 booleans kept). */
export function historyRowOf(
  candidate: PolicyCandidate,
  common: { timestamp: string; fleetId: string; traceId: string; mode: PolicyMode },
): PolicyHistoryRow {
  const { autonomous } = candidate;
  const { selector, pause } = autonomous.rollout;
  return {
    timestamp: common.timestamp,
    category: "fleet_policy_candidate",
    fleetId: common.fleetId,
    traceId: common.traceId,
    mode: common.mode,
    candidateId: candidate.candidateId,
    loopId: candidate.loopId,
    candidateCategory: candidate.category,
    severity: candidate.severity,
    confidence: candidate.confidence,
    ...(candidate.recommendedIntent === null ? {} : { recommendedIntent: candidate.recommendedIntent }),
    suppressed: candidate.suppressed,
    ...(candidate.suppressionReason === null ? {} : { suppressionReason: candidate.suppressionReason }),
    ...(candidate.suppressionScope === null ? {} : { suppressionScope: candidate.suppressionScope }),
    ...(candidate.suppressionSource === null ? {} : { suppressionSource: candidate.suppressionSource }),
    autonomousEligible: autonomous.eligible,
    autonomousManualOnly: autonomous.manualOnly ? true : !autonomous.eligible,
    autonomousReasons: autonomous.reasons,
    autonomousRolloutInScope: selector.inScope,
    autonomousRolloutInCohort: selector.inCohort,
    autonomousRolloutBucket: selector.bucket,
    autonomousRolloutPauseActive: pause.active,
    autonomousRolloutPauseReasons: pause.reasons,
    autonomousAutoPauseActive: pause.auto.active,
    autonomousAutoPauseReasons: pause.auto.reasons,
  };
}

/**
 * The whole of spec 22 as a pure function. The caller validates flags, resolves the trace id,
 * checks the mode (§1.1 #6) and performs the writes in the §9.1 order.
 */
export function evaluateFleetPolicy(input: FleetPolicyEvaluationInput): FleetPolicyEvaluation {
  const { policy, paths, traceId } = input;
  const mode: PolicyMode = policy.mode;
  const autonomous = policy.autonomous;
  const now = typeof input.now === "number" ? Math.floor(input.now) : Math.floor(input.now.getTime() / 1000);
  const timestamp = formatTimestamp(now);
  const windowSeconds = input.dedupeWindowSeconds ?? policy.noiseControls.dedupeWindowSeconds;
  const history =
    input.history instanceof PolicyHistoryIndex
      ? input.history
      : PolicyHistoryIndex.from(input.history ?? []);

  const fleetState = isJsonObject(input.fleetState) ? input.fleetState : {};
  const fleetIdValue = fleetState["fleetId"];
  const fleetId = typeof fleetIdValue === "string" ? fleetIdValue : "default";
  const statusValue = fleetState["status"];
  const fleetStatus = typeof statusValue === "string" ? statusValue : "unknown";
  const results = fleetState["results"];
  const evaluatedLoopCount = Array.isArray(results) ? results.length : 0;

  const pause = rolloutPause(autonomous, input.handoffTelemetry ?? []);

  // §2 + §3: candidates with suppression, before autonomy.
  const staged = generateCandidates(results).map((raw) => {
    const profile =
      CANDIDATE_TAXONOMY.find((entry) => entry.category === raw.category) ?? CANDIDATE_TAXONOMY[0];
    const candidateId = `${raw.loopId}:${raw.category}`;
    const cooldown = advisoryCooldown(candidateId, windowSeconds, history, now);
    const suppression = suppressionOf(policy.suppressions, raw.loopId, raw.category, cooldown);
    return { raw, profile, candidateId, cooldown, suppression };
  });

  const autonomy = classifyAutonomy(
    staged.map(({ raw, profile, candidateId, suppression }) => ({
      candidateId,
      loopId: raw.loopId,
      category: raw.category,
      severity: profile.severity,
      confidence: profile.confidence,
      recommendedIntent: profile.recommendedIntent,
      suppressed: suppression.scope !== null,
    })),
    { mode, autonomous, pause, history, now },
  );

  const candidates: PolicyCandidate[] = staged.map(
    ({ raw, profile, candidateId, cooldown, suppression }, i) => ({
      loopId: raw.loopId,
      category: raw.category,
      signal: profile.signal,
      traceId: raw.traceId,
      candidateId,
      severity: profile.severity,
      confidence: profile.confidence,
      rationale: profile.rationale,
      taxonomyVersion: TAXONOMY_VERSION,
      recommendedIntent: profile.recommendedIntent,
      suppressionScope: suppression.scope,
      suppressed: suppression.scope !== null,
      suppressionReason: suppression.reason,
      suppressionSource: suppression.source,
      cooldown,
      autonomous: autonomy[i] as CandidateAutonomy,
    }),
  );

  const unsuppressed = candidates.filter((candidate) => !candidate.suppressed);
  const counts = {
    unsuppressed: unsuppressed.length,
    suppressed: candidates.length - unsuppressed.length,
    autoEligible: unsuppressed.filter((candidate) => candidate.autonomous.eligible).length,
    manualOnly: unsuppressed.filter((candidate) => candidate.autonomous.manualOnly).length,
  };
  const summary = summarize(candidates, counts.autoEligible, counts.manualOnly);
  const reasonCodes = policyReasonCodes(mode, candidates, counts, summary.byAutonomyReason, pause);
  const governance = policyGovernance(autonomous.governance, mode);
  const selectors = candidates.map((candidate) => candidate.autonomous.rollout.selector);

  const noiseControls = {
    dedupeWindowSeconds: windowSeconds,
    policyHistoryFile: paths.policyHistoryFile,
    handoffTelemetryFile: paths.handoffTelemetryFile,
  };
  const autonomousSection: FleetPolicyState["autonomous"] = {
    enabled: mode === "guarded_auto",
    governanceAuditFile: paths.governanceAuditFile,
    governance,
    controls: autonomous,
    rollout: {
      canaryPercent: autonomous.rollout.canaryPercent,
      scopeLoopIds: [...autonomous.rollout.scope.loopIds],
      selectorSalt: autonomous.rollout.selector.salt,
      candidateBuckets: {
        inScopeCount: selectors.filter((selector) => selector.inScope).length,
        inCohortCount: selectors.filter((selector) => selector.inCohort).length,
        outOfCohortCount: selectors.filter((selector) => selector.inScope && !selector.inCohort).length,
      },
      pause,
    },
  };

  const state: FleetPolicyState = {
    schemaVersion: POLICY_SCHEMA_VERSION,
    updatedAt: timestamp,
    fleetId,
    traceId,
    mode,
    fleetStatus,
    source: { fleetStateFile: paths.fleetStateFile, registryFile: paths.registryFile },
    taxonomy: {
      version: TAXONOMY_VERSION,
      categories: CANDIDATE_TAXONOMY.map(({ category, severity, confidence }) => ({
        category,
        severity,
        confidence,
      })),
    },
    noiseControls,
    autonomous: autonomousSection,
    evaluatedLoopCount,
    candidateCount: candidates.length,
    unsuppressedCount: counts.unsuppressed,
    suppressedCount: counts.suppressed,
    cooldownSuppressedCount: candidates.filter(
      (candidate) => candidate.suppressionReason === SuppressionReason.AdvisoryCooldownActive,
    ).length,
    autoEligibleCount: counts.autoEligible,
    manualOnlyCount: counts.manualOnly,
    candidates,
    summary,
    suppressionState: {
      suppressions: policy.suppressions,
      precedence: [...SUPPRESSION_PRECEDENCE],
      allowedCategories: [...ALLOWED_CATEGORIES],
    },
    reasonCodes,
  };

  const governanceEvent = governanceAuditEvent({
    previousPolicyState: input.previousPolicyState ?? null,
    timestamp,
    fleetId,
    traceId,
    mode,
    governance,
    controls: autonomous,
    source: {
      registryFile: paths.registryFile,
      policyStateFile: paths.policyStateFile,
      governanceAuditFile: paths.governanceAuditFile,
    },
  });

  const common = { timestamp, fleetId, traceId, mode };
  const historyRows = candidates.map((candidate) => historyRowOf(candidate, common));
  const telemetryRow: PolicyTelemetryRow = {
    timestamp,
    category: "fleet_policy",
    fleetId,
    traceId,
    mode,
    summary: {
      candidateCount: state.candidateCount,
      unsuppressedCount: state.unsuppressedCount,
      suppressedCount: state.suppressedCount,
      cooldownSuppressedCount: state.cooldownSuppressedCount,
      autoEligibleCount: state.autoEligibleCount,
      manualOnlyCount: state.manualOnlyCount,
      reasonCodes,
      summary,
      noiseControls,
      autonomous: autonomousSection,
    },
  };
  return { state, governanceEvent, historyRows, telemetryRow };
}
