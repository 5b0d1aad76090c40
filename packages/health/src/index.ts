// Health projection, threshold profiles, telemetry summary and profile drift (specs 14 and 18).

export * from "./alerts/index.js";
export type { HealthCommandContext } from "./context.js";
export {
  type AggregatedHealth,
  aggregateHealthReasons,
  type DerivedHealthMetrics,
  deriveHealthMetrics,
  evaluateHealth,
  evaluateHealthReasons,
  type HealthCommandOptions,
  type HealthEvaluationOptions,
  type HealthInput,
  type HealthInputs,
  health,
  ingestFailureReasonCode,
  TERMINAL_LIFECYCLE_STATES,
} from "./health.js";
export {
  CONFIDENCE_RANK,
  DEFAULT_DRIFT_SUMMARY_WINDOW,
  DEFAULT_REQUIRED_STREAK,
  evaluateProfileDrift,
  isConfidence,
  loadDriftProfileNames,
  type ProfileDriftEvaluationInput,
  type ProfileDriftInput,
  profileDrift,
  profileDriftHistoryRow,
} from "./profile-drift.js";
export * from "./schemas.js";
export {
  parseJsonObjectLine,
  readLastJsonlRecord,
  readWindowRecords,
  type WindowRecords,
} from "./tail.js";
export {
  DEFAULT_SUMMARY_WINDOW,
  percentile,
  RECOMMENDATION_RATIONALE,
  type Recommendation,
  reasonCodeFrequency,
  recommendProfile,
  summarizeTelemetry,
  summaryConfidence,
  type TelemetrySummaryInput,
  type TelemetrySummaryOptions,
  type TelemetrySummaryResult,
  telemetrySummary,
} from "./telemetry-summary.js";
export {
  assertThresholdInvariant,
  BUILT_IN_HEALTH_THRESHOLDS,
  bundledThresholdProfilesFile,
  HEALTH_THRESHOLD_FLAGS,
  type HealthThresholdFlags,
  isThresholdCatalogShape,
  listThresholdProfiles,
  loadThresholdCatalog,
  resolveHealthThresholds,
  resolveThresholdProfile,
  selectThresholdProfilesFile,
  THRESHOLD_PROFILES_FILE_ENV,
  type ThresholdCatalog,
  type ThresholdProfileInput,
  type ThresholdProfileResult,
  thresholdProfile,
  thresholdProfileValues,
} from "./thresholds.js";
export { resolveRepoDir } from "./util.js";
