/**
 * Fleet status (spec 23): the zod schema of the one artifact it produces — the status document
 * printed on stdout (§2, §3) and consumed by promotion gates (spec 30 §4.1). Nothing is written to
 * disk. Inputs (fleet/policy/handoff state, telemetry rows) are read loosely ("x ?? d", §2) and have
 * no schema here on purpose: they may be hand-written or older.
 *
 * Counts echoed from an input file are any finite number (`Count`); counts status derives itself
 * are non-negative integers. Key order is not part of a zod schema: `project.ts` builds every object
 * in the spec's order and the tests check it.
 */
import { TimestampSchema } from "@ops/contract";
import { z } from "zod";

export const FLEET_STATUS_SCHEMA_VERSION = "v1";

/** A count echoed from an input file (`x ?? 0`), or derived. */
const Count = z.number();
const Int0 = z.number().int().min(0);
const Codes = z.array(z.string());
const CountMap = z.record(z.string(), z.number());
const LooseObject = z.record(z.string(), z.unknown());

/** §3.1 — identical in its three places; `manual_backlog` is snake_case (promotion gates). */
export const FleetStatusOutcomeRollupSchema = z.strictObject({
  attempted: Count,
  executed: Count,
  ambiguous: Count,
  failed: Count,
  manual_backlog: Count,
});
export type FleetStatusOutcomeRollup = z.infer<typeof FleetStatusOutcomeRollupSchema>;

/** §2.2 */
export const FleetStatusFleetSchema = z.strictObject({
  status: z.string(),
  reasonCodes: Codes,
  loopCount: Count,
  successCount: Count,
  failedCount: Count,
  skippedCount: Count,
  startedAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  traceId: z.string().nullable(),
  partialFailure: z.boolean(),
});

/** §2.3 */
export const FleetStatusHealthRollupSchema = z.strictObject({
  healthy: Int0,
  degraded: Int0,
  critical: Int0,
  unknown: Int0,
});

/** §2.4 */
export const FleetStatusExceptionsSchema = z.strictObject({
  reconcileFailures: z.array(z.string()),
  criticalLoops: z.array(z.string()),
  degradedLoops: z.array(z.string()),
  skippedLoops: z.array(z.string()),
});

/** §2.5 — null-valued keys omitted. */
export const FleetStatusPolicySchema = z.strictObject({
  mode: z.string(),
  candidateCount: Count,
  unsuppressedCount: Count,
  suppressedCount: Count,
  reasonCodes: Codes,
  /** Full candidate objects (22 §3.2 + §6.6), verbatim. */
  topCandidates: z.array(LooseObject).max(5),
  traceId: z.string().optional(),
  updatedAt: z.string().optional(),
});

/** §2.6 `handoff.summary` */
export const FleetStatusHandoffSummarySchema = z.strictObject({
  intentCount: Count,
  autoEligibleIntentCount: Count,
  manualOnlyIntentCount: Count,
  pendingConfirmationCount: Count,
  executedCount: Count,
  ambiguousCount: Count,
  failedCount: Count,
  autonomousOutcomeRollup: FleetStatusOutcomeRollupSchema,
});

/** §2.6 `handoff.execution` — the four identity keys omitted when null. */
export const FleetStatusHandoffExecutionSchema = z.strictObject({
  mode: z.string().optional(),
  requestedBy: z.string().optional(),
  requestedAt: z.string().optional(),
  completedAt: z.string().optional(),
  requestedIntentCount: Count,
  executedIntentCount: Count,
  executedCount: Count,
  ambiguousCount: Count,
  failedCount: Count,
  byReasonCode: CountMap,
});

/** §2.6 — null-valued keys omitted at this level. */
export const FleetStatusHandoffSchema = z.strictObject({
  mode: z.string().optional(),
  reasonCodes: Codes,
  summary: FleetStatusHandoffSummarySchema,
  execution: FleetStatusHandoffExecutionSchema,
  byAutonomyReason: CountMap,
  pendingManualOnlyCount: Int0,
  traceId: z.string().optional(),
  updatedAt: z.string().optional(),
});

export const FleetStatusGovernancePostureSchema = z.enum([
  "not_required",
  "authority_missing",
  "review_deadline_missing",
  "review_expired",
  "review_due_soon",
  "active",
]);
export type FleetStatusGovernancePosture = z.infer<typeof FleetStatusGovernancePostureSchema>;

/** §3.2 — null-valued keys omitted. */
export const FleetStatusGovernanceSchema = z.strictObject({
  changedBy: z.string().optional(),
  changedAt: z.string().optional(),
  approvalRef: z.string().optional(),
  why: z.string().optional(),
  until: z.string().optional(),
  reviewWindowDays: z.number().optional(),
  authorityContextPresent: z.boolean(),
  posture: FleetStatusGovernancePostureSchema,
  reasonCodes: Codes,
  blocksAutonomous: z.boolean(),
});
export type FleetStatusGovernance = z.infer<typeof FleetStatusGovernanceSchema>;

const ByReasonPath = z.strictObject({ blockedCount: z.number(), byReason: CountMap });

/** §3.3 — the four `byPath` keys are always present (promotion gates require them). */
export const FleetStatusSafetyGateDecisionsSchema = z.strictObject({
  byReason: CountMap,
  byPath: z.strictObject({
    policyGated: ByReasonPath,
    rolloutGated: ByReasonPath,
    governanceGated: z.strictObject({ blockedCount: z.number(), reasonCodes: Codes }),
    transportGated: ByReasonPath,
  }),
  suppressionReasonCodes: Codes,
  blockedCount: z.number(),
  killSwitchActive: z.boolean(),
});
export type FleetStatusSafetyGateDecisions = z.infer<typeof FleetStatusSafetyGateDecisionsSchema>;

/** §3.4 `autopause` (and `pause.auto`): the threshold keys are written as null when absent. */
export const FleetStatusAutopauseSchema = z.strictObject({
  enabled: z.boolean(),
  active: z.boolean(),
  reasons: Codes,
  lookbackExecutions: z.number().nullable(),
  minSampleSize: z.number().nullable(),
  ambiguityRateThreshold: z.number().nullable(),
  failureRateThreshold: z.number().nullable(),
  metrics: LooseObject,
});

/** §3.4 — top-level null values omitted. */
export const FleetStatusRolloutSchema = z.strictObject({
  canaryPercent: z.number().optional(),
  scopeLoopIds: z.array(z.string()),
  selectorSalt: z.string().optional(),
  candidateBuckets: z.strictObject({ inScopeCount: Count, inCohortCount: Count, outOfCohortCount: Count }),
  state: z.strictObject({
    active: z.boolean(),
    manualPauseActive: z.boolean(),
    autoPauseActive: z.boolean(),
    reasonCodes: Codes,
  }),
  autopause: FleetStatusAutopauseSchema,
  pause: z.strictObject({
    active: z.boolean(),
    reasons: Codes,
    manual: z.boolean(),
    auto: FleetStatusAutopauseSchema,
  }),
});
export type FleetStatusRollout = z.infer<typeof FleetStatusRolloutSchema>;

/** §3.5 — top-level null values omitted. */
export const FleetStatusAutonomousHandoffSchema = z.strictObject({
  autoEligibleIntentCount: Count,
  manualOnlyIntentCount: Count,
  pendingManualOnlyCount: Int0,
  executionMode: z.string().optional(),
  executedCount: Count,
  ambiguousCount: Count,
  failedCount: Count,
  outcomeRollup: FleetStatusOutcomeRollupSchema,
  outcomeReasonCodes: CountMap,
});

/** §3 — null-valued keys omitted (`governance`/`rollout` need policy state, `handoff` handoff state). */
export const FleetStatusAutonomousSchema = z.strictObject({
  mode: z.string(),
  enabled: z.boolean(),
  policyReasonCodes: Codes,
  handoffReasonCodes: Codes,
  eligibleCandidateCount: Count,
  manualOnlyCandidateCount: Count,
  outcomeRollup: FleetStatusOutcomeRollupSchema,
  governance: FleetStatusGovernanceSchema.optional(),
  safetyGateDecisions: FleetStatusSafetyGateDecisionsSchema,
  rollout: FleetStatusRolloutSchema.optional(),
  handoff: FleetStatusAutonomousHandoffSchema.optional(),
});

/** §2.7 — top-level null values omitted; `artifacts` keeps nulls. */
export const FleetStatusLoopSchema = z.strictObject({
  /** Always present for a result written by fleet reconcile; omitted when a hand-written one lacks it. */
  loopId: z.string().optional(),
  status: z.string(),
  reasonCode: z.string().optional(),
  reconcileStatus: z.string().optional(),
  healthStatus: z.string(),
  healthReasonCodes: Codes,
  transitionState: z.string().optional(),
  durationSeconds: z.number().optional(),
  traceId: z.string().optional(),
  transport: z.string(),
  sprite: LooseObject,
  artifacts: z.strictObject({
    stateFile: z.string().nullable(),
    healthFile: z.string().nullable(),
    cursorFile: z.string().nullable(),
    reconcileTelemetryFile: z.string().nullable(),
  }),
});
export type FleetStatusLoop = z.infer<typeof FleetStatusLoopSchema>;

/** §2.8 */
export const FleetStatusTraceLinkageSchema = z.strictObject({
  fleetTraceId: z.string().nullable(),
  policyTraceId: z.string().nullable(),
  loopTraceIds: z.array(z.string()),
  sharedTraceId: z.string().min(1).nullable(),
});

/** §2.9 */
export const FleetStatusLatestTelemetrySchema = z.strictObject({
  timestamp: z.string().optional(),
  status: z.string().optional(),
  reasonCodes: Codes,
});

/** §2.10 — null values omitted at the top level and inside `execution` / `summary`. */
export const FleetStatusLatestHandoffTelemetrySchema = z.strictObject({
  timestamp: z.string().optional(),
  category: z.string().optional(),
  traceId: z.string().optional(),
  execution: z.strictObject({
    mode: z.string().optional(),
    requestedIntentCount: Count.optional(),
    executedCount: Count.optional(),
    ambiguousCount: Count.optional(),
    failedCount: Count.optional(),
  }),
  summary: z.strictObject({
    intentCount: Count.optional(),
    autoEligibleIntentCount: Count.optional(),
    manualOnlyIntentCount: Count.optional(),
    pendingConfirmationCount: Count.optional(),
    pendingManualOnlyCount: Count.optional(),
    executedCount: Count.optional(),
    ambiguousCount: Count.optional(),
    failedCount: Count.optional(),
  }),
  autonomousOutcomeRollup: FleetStatusOutcomeRollupSchema,
  reasonCodes: Codes,
});

/** §2.11 — the paths used (present even when the file does not exist). */
export const FleetStatusFilesSchema = z.strictObject({
  registryFile: z.string(),
  fleetStateFile: z.string(),
  policyStateFile: z.string(),
  fleetTelemetryFile: z.string(),
  handoffStateFile: z.string(),
  handoffTelemetryFile: z.string(),
});
export type FleetStatusFiles = z.infer<typeof FleetStatusFilesSchema>;

/** §2 — the whole document; every top-level key always present (nullable sections are `null`). */
export const FleetStatusDocumentSchema = z.strictObject({
  schemaVersion: z.literal(FLEET_STATUS_SCHEMA_VERSION),
  generatedAt: TimestampSchema,
  source: z.strictObject({ repoPath: z.string().min(1), fleetId: z.string() }),
  fleet: FleetStatusFleetSchema,
  healthRollup: FleetStatusHealthRollupSchema,
  exceptions: FleetStatusExceptionsSchema,
  policy: FleetStatusPolicySchema.nullable(),
  handoff: FleetStatusHandoffSchema.nullable(),
  autonomous: FleetStatusAutonomousSchema.nullable(),
  loops: z.array(FleetStatusLoopSchema),
  traceLinkage: FleetStatusTraceLinkageSchema,
  latestTelemetry: FleetStatusLatestTelemetrySchema.nullable(),
  latestHandoffTelemetry: FleetStatusLatestHandoffTelemetrySchema.nullable(),
  files: FleetStatusFilesSchema,
});
export type FleetStatusDocument = z.infer<typeof FleetStatusDocumentSchema>;

/** The spec's top-level key order (§2). */
export const FLEET_STATUS_KEYS = [
  "schemaVersion",
  "generatedAt",
  "source",
  "fleet",
  "healthRollup",
  "exceptions",
  "policy",
  "handoff",
  "autonomous",
  "loops",
  "traceLinkage",
  "latestTelemetry",
  "latestHandoffTelemetry",
  "files",
] as const;
