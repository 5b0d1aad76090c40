/**
 * zod schemas of the artifacts this package owns (spec 14 §4, spec 18 §2–§4). They describe exactly
 * what the commands write: `strictObject` everywhere, optional keys are the spec's "omit-if-null"
 * ones, nullable keys are always present. Consumers that want to tolerate future fields can use
 * `.loose()` on them.
 */
import { z } from "zod";

const NonNegativeInt = z.number().int().min(0);
/** Strict UTC timestamp `YYYY-MM-DDTHH:MM:SSZ` (spec 10 §1.4). */
const Timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

// ---------------------------------------------------------------------------------------------------
// Health (spec 14)
// ---------------------------------------------------------------------------------------------------

export const HealthStatusSchema = z.enum(["healthy", "degraded", "critical"]);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

export const HealthSeveritySchema = z.enum(["degraded", "critical"]);
export type HealthSeverity = z.infer<typeof HealthSeveritySchema>;

/** One reason (spec 14 §3); every member is a string and omit-if-null (Q14-1: numbers as text). */
export const HealthReasonSchema = z.strictObject({
  code: z.string().optional(),
  severity: HealthSeveritySchema.optional(),
  metric: z.string().optional(),
  observed: z.string().optional(),
  threshold: z.string().optional(),
});
export type HealthReason = z.infer<typeof HealthReasonSchema>;

/** The six thresholds health compares against (spec 14 §6). */
export const HealthThresholdValuesSchema = z.strictObject({
  degradedIngestLagSeconds: NonNegativeInt,
  criticalIngestLagSeconds: NonNegativeInt,
  degradedHeartbeatLagSeconds: NonNegativeInt,
  criticalHeartbeatLagSeconds: NonNegativeInt,
  degradedTransportFailureStreak: NonNegativeInt,
  criticalTransportFailureStreak: NonNegativeInt,
});
export type HealthThresholds = z.infer<typeof HealthThresholdValuesSchema>;

export const HealthMetricsSchema = z.strictObject({
  ingestLagSeconds: NonNegativeInt.nullable(),
  heartbeatLagSeconds: NonNegativeInt.nullable(),
  transportFailureStreak: NonNegativeInt,
  lastControlStatus: z.string().nullable(),
  sequenceStatus: z.string().nullable(),
  lifecycleState: z.string(),
});
export type HealthMetrics = z.infer<typeof HealthMetricsSchema>;

/** `<ops>/health.json`, `state.json.health`, reconcile failure stdout (spec 14 §4). Nulls are kept. */
export const HealthDocumentSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  updatedAt: Timestamp,
  traceId: z.string().nullable(),
  status: HealthStatusSchema,
  reasonCodes: z.array(z.string()),
  reasons: z.array(HealthReasonSchema),
  metrics: HealthMetricsSchema,
  thresholds: z.strictObject({
    profile: z.string().nullable(),
    degradedIngestLagSeconds: NonNegativeInt,
    criticalIngestLagSeconds: NonNegativeInt,
    degradedHeartbeatLagSeconds: NonNegativeInt,
    criticalHeartbeatLagSeconds: NonNegativeInt,
    degradedTransportFailureStreak: NonNegativeInt,
    criticalTransportFailureStreak: NonNegativeInt,
  }),
  transport: z.strictObject({
    mode: z.string(),
    ingestStatus: z.enum(["success", "failed"]),
    failureCode: z.string().nullable(),
    lastFailureCode: z.string().nullable(),
  }),
  evidence: z.strictObject({
    lastEventAt: z.string().nullable(),
    lastHeartbeatAt: z.string().nullable(),
    sequenceUpdatedAt: z.string().nullable(),
  }),
});
export type HealthDocument = z.infer<typeof HealthDocumentSchema>;

// ---------------------------------------------------------------------------------------------------
// Threshold profiles (spec 18 §1–§2)
// ---------------------------------------------------------------------------------------------------

/** The four profile-backed values as the catalog holds them ("numeric", Q18-6: not necessarily integers). */
export const ThresholdProfileOutputValuesSchema = z.strictObject({
  degradedIngestLagSeconds: z.number(),
  criticalIngestLagSeconds: z.number(),
  degradedTransportFailureStreak: z.number(),
  criticalTransportFailureStreak: z.number(),
});
export type ThresholdProfileOutputValues = z.infer<typeof ThresholdProfileOutputValuesSchema>;

/** threshold-profile stdout (spec 18 §2; top-level nulls omitted). */
export const ThresholdProfileDocumentSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  sourceFile: z.string(),
  profile: z.string(),
  values: ThresholdProfileOutputValuesSchema,
  description: z.string().optional(),
});
export type ThresholdProfileDocument = z.infer<typeof ThresholdProfileDocumentSchema>;

// ---------------------------------------------------------------------------------------------------
// Telemetry summary (spec 18 §3)
// ---------------------------------------------------------------------------------------------------

export const ConfidenceSchema = z.enum(["low", "medium", "high"]);
export type Confidence = z.infer<typeof ConfidenceSchema>;

export const RecommendedProfileSchema = z.enum(["strict", "balanced", "relaxed"]);
export type RecommendedProfile = z.infer<typeof RecommendedProfileSchema>;

export const ReasonCodeFrequencySchema = z.strictObject({ code: z.string(), count: NonNegativeInt });
export type ReasonCodeFrequency = z.infer<typeof ReasonCodeFrequencySchema>;

export const TelemetrySummarySourceSchema = z.strictObject({
  repoPath: z.string(),
  loopId: z.string(),
  reconcileTelemetryFile: z.string(),
  controlTelemetryFile: z.string(),
  window: z.number().int().min(1),
});
export type TelemetrySummarySource = z.infer<typeof TelemetrySummarySourceSchema>;

export const TelemetrySummaryObservedSchema = z.strictObject({
  reconcileAttempts: NonNegativeInt,
  reconcileSuccessCount: NonNegativeInt,
  reconcileFailedCount: NonNegativeInt,
  health: z.strictObject({
    degradedCount: NonNegativeInt,
    criticalCount: NonNegativeInt,
    degradedRate: z.number().min(0).max(1),
    criticalRate: z.number().min(0).max(1),
    reasonCodeFrequency: z.array(ReasonCodeFrequencySchema),
  }),
  control: z.strictObject({ ambiguousCount: NonNegativeInt }),
  durationSeconds: z.strictObject({
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    max: z.number().nullable(),
  }),
});
export type TelemetrySummaryObserved = z.infer<typeof TelemetrySummaryObservedSchema>;

/** telemetry-summary stdout (spec 18 §3). */
export const TelemetrySummaryDocumentSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  generatedAt: Timestamp,
  source: TelemetrySummarySourceSchema,
  observed: TelemetrySummaryObservedSchema,
  recommendedProfile: RecommendedProfileSchema,
  confidence: ConfidenceSchema,
  rationale: z.string(),
});
export type TelemetrySummaryDocument = z.infer<typeof TelemetrySummaryDocumentSchema>;

// ---------------------------------------------------------------------------------------------------
// Profile drift (spec 18 §4)
// ---------------------------------------------------------------------------------------------------

export const ProfileDriftStatusSchema = z.enum([
  "no_recommendation",
  "aligned",
  "insufficient_confidence",
  "mismatch_pending",
  "drift_active",
]);

export const ProfileDriftActionSchema = z.enum([
  "review_threshold_profile",
  "monitor_additional_windows",
  "collect_more_confident_telemetry",
]);

/** `<ops>/profile-drift.json` and profile-drift stdout (top-level nulls/empties omitted). */
export const ProfileDriftDocumentSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  updatedAt: Timestamp,
  loopId: z.string(),
  status: ProfileDriftStatusSchema,
  reasonCode: z.literal("profile_drift_detected").optional(),
  appliedProfile: z.string().min(1).optional(),
  recommendedProfile: z.string().min(1).optional(),
  recommendationConfidence: ConfidenceSchema,
  minimumConfidence: ConfidenceSchema,
  recommendationRank: z.number().int().min(1).max(3),
  minimumRank: z.number().int().min(1).max(3),
  requiredStreak: z.number().int().min(1),
  summaryWindow: z.number().int().min(1),
  mismatch: z.boolean(),
  confidenceOk: z.boolean(),
  eligibleMismatch: z.boolean(),
  mismatchStreak: NonNegativeInt,
  driftActive: z.boolean(),
  transitioned: z.strictObject({ toActive: z.boolean(), toResolved: z.boolean() }),
  rationale: z.string().min(1).optional(),
  action: ProfileDriftActionSchema.optional(),
});
export type ProfileDriftDocument = z.infer<typeof ProfileDriftDocumentSchema>;

/** One row of `<ops>/telemetry/profile-drift.jsonl`. */
export const ProfileDriftHistoryRowSchema = z.strictObject({
  timestamp: Timestamp,
  loopId: z.string(),
  category: z.literal("profile_drift_evaluation"),
  drift: ProfileDriftDocumentSchema,
});
export type ProfileDriftHistoryRow = z.infer<typeof ProfileDriftHistoryRowSchema>;
