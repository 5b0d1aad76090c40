/**
 * Fleet policy (spec 22): zod schemas of the artifacts it owns — the policy state
 * (`fleet/policy-state.json`, §7), a candidate history row (`fleet/telemetry/policy-history.jsonl`,
 * §9.2), a policy telemetry row (`fleet/telemetry/policy.jsonl`, §9.3) and a governance audit event
 * (`fleet/telemetry/policy-governance.jsonl`, §8) — plus the lenient read views of its inputs.
 * Object key order in the schemas is the spec's field order; TS types are inferred from them.
 */
import {
  FleetMinConfidenceSchema,
  FleetMinSeveritySchema,
  FleetPolicyCategorySchema,
  FleetPolicyModeSchema,
  NormalizedFleetAutonomousSchema,
  TimestampSchema,
} from "@ops/contract";
import { z } from "zod";

export const POLICY_SCHEMA_VERSION = "v1";
export const TAXONOMY_VERSION = "v1";

const Int0 = z.number().int().min(0);
const CountMap = z.record(z.string(), Int0);
const Reasons = z.array(z.string());

export const CandidateSignalSchema = z.enum(["status_failed", "health_critical", "health_degraded"]);
export const SuppressionScopeSchema = z.enum(["loop", "global", "cooldown"]);
export const SuppressionReasonSchema = z.enum(["registry_policy_suppression", "advisory_cooldown_active"]);

/** §3.1 — advisory cooldown (dedupe) of one candidate. */
export const AdvisoryCooldownSchema = z.object({
  enabled: z.boolean(),
  windowSeconds: Int0,
  active: z.boolean(),
  // Q8: a future-dated history entry makes this larger than the window (kept).
  remainingSeconds: Int0,
  lastUnsuppressedAt: TimestampSchema.nullable(),
});
export type AdvisoryCooldown = z.infer<typeof AdvisoryCooldownSchema>;

/** §5.1 — auto-pause metrics over the autonomous handoff execution window. */
export const AutoPauseMetricsSchema = z.object({
  windowExecutionCount: Int0,
  attemptedCount: z.number(),
  executedCount: z.number(),
  ambiguousCount: z.number(),
  failedCount: z.number(),
  ambiguityRate: z.number(),
  failureRate: z.number(),
});
export type AutoPauseMetrics = z.infer<typeof AutoPauseMetricsSchema>;

/** §5.3 — the fleet-wide pause posture (shared by every candidate and the policy state). */
export const RolloutPauseSchema = z.object({
  active: z.boolean(),
  reasons: Reasons,
  manual: z.boolean(),
  auto: z.object({
    enabled: z.boolean(),
    active: z.boolean(),
    reasons: Reasons,
    lookbackExecutions: z.number().int().min(1),
    minSampleSize: z.number().int().min(1),
    ambiguityRateThreshold: z.number(),
    failureRateThreshold: z.number(),
    metrics: AutoPauseMetricsSchema,
  }),
});
export type RolloutPause = z.infer<typeof RolloutPauseSchema>;

/** §6.6 — `candidate.autonomous` (also consumed by fleet handoff, spec 24). */
export const CandidateAutonomySchema = z.object({
  mode: FleetPolicyModeSchema,
  eligible: z.boolean(),
  manualOnly: z.boolean(),
  reasons: Reasons,
  gatingReasons: Reasons,
  recommendedIntent: z.string().nullable(),
  gates: z.object({
    modeGuardedAuto: z.boolean(),
    suppressed: z.boolean(),
    categoryAllowed: z.boolean(),
    intentAllowed: z.boolean(),
    severityMeetsThreshold: z.boolean(),
    confidenceMeetsThreshold: z.boolean(),
    rolloutScopeAllowed: z.boolean(),
    rolloutCanarySelected: z.boolean(),
  }),
  safety: z.object({
    maxActionsPerRun: Int0,
    maxActionsPerLoop: Int0,
    cooldownSeconds: Int0,
    killSwitch: z.boolean(),
    cooldown: z.object({
      active: z.boolean(),
      remainingSeconds: Int0,
      lastEligibleAt: TimestampSchema.nullable(),
    }),
    killSwitchActive: z.boolean(),
    runCapBlocked: z.boolean(),
    loopCapBlocked: z.boolean(),
  }),
  rollout: z.object({
    canaryPercent: z.number().int().min(0).max(100),
    scopeLoopIds: z.array(z.string()),
    selector: z.object({
      salt: z.string().min(1),
      bucket: z.number().int().min(0).max(99),
      inScope: z.boolean(),
      canarySelected: z.boolean(),
      inCohort: z.boolean(),
    }),
    pause: RolloutPauseSchema,
  }),
});
export type CandidateAutonomy = z.infer<typeof CandidateAutonomySchema>;

/** §3.2 — one candidate; null-valued keys are kept. */
export const PolicyCandidateSchema = z.object({
  loopId: z.string().min(1),
  category: FleetPolicyCategorySchema,
  signal: CandidateSignalSchema,
  traceId: z.string().nullable(),
  candidateId: z.string().min(1),
  severity: FleetMinSeveritySchema,
  confidence: FleetMinConfidenceSchema,
  rationale: z.string(),
  taxonomyVersion: z.literal(TAXONOMY_VERSION),
  recommendedIntent: z.string().nullable(),
  suppressionScope: SuppressionScopeSchema.nullable(),
  suppressed: z.boolean(),
  suppressionReason: SuppressionReasonSchema.nullable(),
  suppressionSource: z.string().nullable(),
  cooldown: AdvisoryCooldownSchema,
  autonomous: CandidateAutonomySchema,
});
export type PolicyCandidate = z.infer<typeof PolicyCandidateSchema>;

/** §7.1 — `autonomous.governance` (keys with null values omitted). */
export const PolicyGovernanceSchema = z.object({
  actor: z.string().min(1).optional(),
  approvalRef: z.string().min(1).optional(),
  rationale: z.string().min(1).optional(),
  changedAt: TimestampSchema.optional(),
  reviewBy: TimestampSchema.optional(),
  reviewWindowDays: z.number().int().optional(),
  requiredForGuardedAuto: z.literal(true),
  authorityContextPresent: z.boolean(),
});
export type PolicyGovernance = z.infer<typeof PolicyGovernanceSchema>;

/** §7.2 — `summary`. */
export const PolicySummarySchema = z.object({
  bySeverity: z.object({ critical: Int0, warning: Int0, info: Int0 }),
  byConfidence: z.object({ high: Int0, medium: Int0, low: Int0 }),
  byCategory: CountMap,
  bySuppressionReason: CountMap,
  byAutonomy: z.object({ eligible: Int0, manualOnly: Int0 }),
  byAutonomyReason: CountMap,
});
export type PolicySummary = z.infer<typeof PolicySummarySchema>;

const NoiseControlsSchema = z.object({
  dedupeWindowSeconds: Int0,
  policyHistoryFile: z.string(),
  handoffTelemetryFile: z.string(),
});

const PolicyStateAutonomousSchema = z.object({
  enabled: z.boolean(),
  governanceAuditFile: z.string(),
  governance: PolicyGovernanceSchema,
  controls: NormalizedFleetAutonomousSchema,
  rollout: z.object({
    canaryPercent: z.number().int().min(0).max(100),
    scopeLoopIds: z.array(z.string()),
    selectorSalt: z.string().min(1),
    candidateBuckets: z.object({ inScopeCount: Int0, inCohortCount: Int0, outOfCohortCount: Int0 }),
    pause: RolloutPauseSchema,
  }),
});

/** §7 — `fleet/policy-state.json` (also the stdout document). */
export const FleetPolicyStateSchema = z.object({
  schemaVersion: z.literal(POLICY_SCHEMA_VERSION),
  updatedAt: TimestampSchema,
  fleetId: z.string(),
  traceId: z.string().min(1),
  mode: FleetPolicyModeSchema,
  fleetStatus: z.string(),
  source: z.object({ fleetStateFile: z.string(), registryFile: z.string() }),
  taxonomy: z.object({
    version: z.literal(TAXONOMY_VERSION),
    categories: z.array(
      z.object({
        category: FleetPolicyCategorySchema,
        severity: FleetMinSeveritySchema,
        confidence: FleetMinConfidenceSchema,
      }),
    ),
  }),
  noiseControls: NoiseControlsSchema,
  autonomous: PolicyStateAutonomousSchema,
  evaluatedLoopCount: Int0,
  candidateCount: Int0,
  unsuppressedCount: Int0,
  suppressedCount: Int0,
  cooldownSuppressedCount: Int0,
  autoEligibleCount: Int0,
  manualOnlyCount: Int0,
  candidates: z.array(PolicyCandidateSchema),
  summary: PolicySummarySchema,
  suppressionState: z.object({
    suppressions: z.record(z.string(), z.array(FleetPolicyCategorySchema)),
    precedence: z.tuple([z.literal("loop"), z.literal("global"), z.literal("cooldown")]),
    allowedCategories: z.array(FleetPolicyCategorySchema),
  }),
  reasonCodes: Reasons,
});
export type FleetPolicyState = z.infer<typeof FleetPolicyStateSchema>;

/** §9.2 — one line of `policy-history.jsonl` as written (keys with null values omitted). */
export const PolicyHistoryRowSchema = z.object({
  timestamp: TimestampSchema,
  category: z.literal("fleet_policy_candidate"),
  fleetId: z.string(),
  traceId: z.string().min(1),
  mode: FleetPolicyModeSchema,
  candidateId: z.string().min(1),
  loopId: z.string().min(1),
  candidateCategory: FleetPolicyCategorySchema,
  severity: FleetMinSeveritySchema,
  confidence: FleetMinConfidenceSchema,
  recommendedIntent: z.string().optional(),
  suppressed: z.boolean(),
  suppressionReason: SuppressionReasonSchema.optional(),
  suppressionScope: SuppressionScopeSchema.optional(),
  suppressionSource: z.string().optional(),
  autonomousEligible: z.boolean(),
  autonomousManualOnly: z.boolean(),
  autonomousReasons: Reasons,
  // Careful Q2: the four booleans are always written (legacy dropped `false`).
  autonomousRolloutInScope: z.boolean(),
  autonomousRolloutInCohort: z.boolean(),
  autonomousRolloutBucket: z.number().int().min(0).max(99),
  autonomousRolloutPauseActive: z.boolean(),
  autonomousRolloutPauseReasons: Reasons,
  autonomousAutoPauseActive: z.boolean(),
  autonomousAutoPauseReasons: Reasons,
});
export type PolicyHistoryRow = z.infer<typeof PolicyHistoryRowSchema>;

/**
 * §3.1 / §6.4 — what a history *reader* relies on. Lenient on purpose: rows written by older
 * tooling (Q2 dropped booleans) or by hand stay readable; "absent" counts as `false` / unsuppressed
 * and an unparseable timestamp only makes the row irrelevant. Only non-objects are invalid lines.
 */
export const PolicyHistoryReadRowSchema = z.looseObject({
  timestamp: z.unknown().optional(),
  candidateId: z.unknown().optional(),
  suppressed: z.unknown().optional(),
  autonomousEligible: z.unknown().optional(),
});
export type PolicyHistoryReadRow = z.infer<typeof PolicyHistoryReadRowSchema>;

/** §9.3 — one line of `policy.jsonl`. */
export const PolicyTelemetryRowSchema = z.object({
  timestamp: TimestampSchema,
  category: z.literal("fleet_policy"),
  fleetId: z.string(),
  traceId: z.string().min(1),
  mode: FleetPolicyModeSchema,
  summary: z.object({
    candidateCount: Int0,
    unsuppressedCount: Int0,
    suppressedCount: Int0,
    cooldownSuppressedCount: Int0,
    autoEligibleCount: Int0,
    manualOnlyCount: Int0,
    reasonCodes: Reasons,
    summary: PolicySummarySchema,
    noiseControls: NoiseControlsSchema,
    autonomous: PolicyStateAutonomousSchema,
  }),
});
export type PolicyTelemetryRow = z.infer<typeof PolicyTelemetryRowSchema>;

export const GovernanceEventTypeSchema = z.enum([
  "autonomous_policy_initialized",
  "autonomous_mode_toggled",
  "autonomous_policy_mutated",
]);
export type GovernanceEventType = z.infer<typeof GovernanceEventTypeSchema>;

/**
 * §8 — one line of `policy-governance.jsonl`. `previous*` are absent on initialisation; the
 * previous values are echoed as found in the previous policy state (any JSON), hence `unknown`.
 */
export const GovernanceAuditEventSchema = z.object({
  timestamp: TimestampSchema,
  category: z.literal("fleet_policy_governance"),
  eventType: GovernanceEventTypeSchema,
  fleetId: z.string(),
  traceId: z.string().min(1),
  mode: FleetPolicyModeSchema,
  previousMode: z.unknown().optional(),
  governance: PolicyGovernanceSchema,
  previousGovernance: z.unknown().optional(),
  controls: NormalizedFleetAutonomousSchema,
  previousControls: z.unknown().optional(),
  source: z.object({
    registryFile: z.string(),
    policyStateFile: z.string(),
    governanceAuditFile: z.string(),
  }),
});
export type GovernanceAuditEvent = z.infer<typeof GovernanceAuditEventSchema>;

/**
 * Input: the fleet state (spec 21 `state.json`) as policy reads it. Only "is a JSON object" is
 * required: every field is defaulted (§7) and results without a string `loopId` are skipped
 * (careful Q6), so the reader is deliberately lenient.
 */
export const PolicyFleetStateInputSchema = z.looseObject({
  fleetId: z.unknown().optional(),
  traceId: z.unknown().optional(),
  status: z.unknown().optional(),
  results: z.unknown().optional(),
});
export type PolicyFleetStateInput = z.infer<typeof PolicyFleetStateInputSchema>;

/** Input: the previous policy state as the governance audit reads it (§8) — any JSON object. */
export const PreviousPolicyStateInputSchema = z.looseObject({
  mode: z.unknown().optional(),
  autonomous: z.unknown().optional(),
});
export type PreviousPolicyStateInput = z.infer<typeof PreviousPolicyStateInputSchema>;

/**
 * Input: a handoff telemetry record (spec 24 §8) as auto-pause reads it (§5.1). Only
 * `fleet_handoff_execute` records with `execution.mode` = `autonomous` count; every other object
 * is a valid line that is ignored.
 */
export const HandoffTelemetryInputRowSchema = z.looseObject({
  timestamp: z.unknown().optional(),
  category: z.unknown().optional(),
  execution: z.unknown().optional(),
});
export type HandoffTelemetryInputRow = z.infer<typeof HandoffTelemetryInputRowSchema>;
