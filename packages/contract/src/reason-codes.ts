/**
 * Reason-code catalogs and contract status enums of the ops manager (specs 10–34).
 *
 * Every value below is a string that artifacts carry verbatim (`reasonCodes`, `reasonCode`,
 * `reasons`, `status`, `category`, …). Each catalog is an `as const` object (constant name → exact
 * string) plus a type of the same name that is the union of its values. Consumers must branch on
 * these values, never on free text. Names avoid `RunStatus` / `Severity`, which the schemas export.
 */

// ---------------------------------------------------------------------------------------------------
// Contract envelopes and runtime events (specs 10, 10a, 11, 12)
// ---------------------------------------------------------------------------------------------------

/** Spec 11 §1 "run status enum" (= lifecycle states of spec 12 §1): `run.status`, `transition.currentState`. */
export const LoopRunStatus = {
  Running: "running",
  AwaitingApproval: "awaiting_approval",
  Complete: "complete",
  Stopped: "stopped",
  Failed: "failed",
  /** Runtime state inactive (or `active` missing) and a run summary exists (spec 12 §2 rule 6). */
  Idle: "idle",
  /** No trustworthy signal; also the fallback when no rule matches. */
  Unknown: "unknown",
} as const;
export type LoopRunStatus = (typeof LoopRunStatus)[keyof typeof LoopRunStatus];

/** Spec 11 §2–§3: `envelopeType` of the two contract envelopes. */
export const ContractEnvelopeType = {
  LoopRunSnapshot: "loop_run_snapshot",
  LoopRunEvent: "loop_run_event",
} as const;
export type ContractEnvelopeType = (typeof ContractEnvelopeType)[keyof typeof ContractEnvelopeType];

/** Spec 11 §1: `sequence.source` (always this value; the value is a line number, Q11-3). */
export const SequenceSource = {
  CursorEventLineOffset: "cursor_event_line_offset",
} as const;
export type SequenceSource = (typeof SequenceSource)[keyof typeof SequenceSource];

/**
 * Spec 10 §2.1 / 10a §2: runtime event names that carry manager meaning (all other names are carried
 * through untouched).
 */
export const RuntimeEventName = {
  // Active-phase events (divergence check, spec 12 §3.3 `activeMismatch`).
  IterationStart: "iteration_start",
  RoleStart: "role_start",
  RoleEnd: "role_end",
  IterationEnd: "iteration_end",
  TestsStart: "tests_start",
  TestsEnd: "tests_end",
  ValidationStart: "validation_start",
  ValidationEnd: "validation_end",
  // Stop events (lifecycle `stopped`, spec 12 §2 rule 4).
  LoopStop: "loop_stop",
  RateLimitStop: "rate_limit_stop",
  NoProgressStop: "no_progress_stop",
  // Confirmation evidence (spec 15 §1).
  /** Approve confirmation evidence. */
  LoopComplete: "loop_complete",
  /** Reject confirmation evidence (a later run took a rejection). */
  ApprovalRejected: "approval_rejected",
  /** Reject confirmation evidence; written by approve/reject with status `approved|rejected` (10a §2). */
  ApprovalDecision: "approval_decision",
} as const;
export type RuntimeEventName = (typeof RuntimeEventName)[keyof typeof RuntimeEventName];

/** Spec 12 §3.3: final-event names that count as an active phase for `activeMismatch`. */
export const ACTIVE_PHASE_EVENT_NAMES = [
  RuntimeEventName.IterationStart,
  RuntimeEventName.RoleStart,
  RuntimeEventName.RoleEnd,
  RuntimeEventName.IterationEnd,
  RuntimeEventName.TestsStart,
  RuntimeEventName.TestsEnd,
  RuntimeEventName.ValidationStart,
  RuntimeEventName.ValidationEnd,
] as const satisfies readonly RuntimeEventName[];

/** Spec 12 §2 rule 4: final-event names that project to `stopped`. */
export const STOP_EVENT_NAMES = [
  RuntimeEventName.LoopStop,
  RuntimeEventName.RateLimitStop,
  RuntimeEventName.NoProgressStop,
] as const satisfies readonly RuntimeEventName[];

/** Spec 10 §2.1 / spec 12 §2 rule 5: error-like runtime event `status` values (lifecycle `failed`). */
export const RuntimeErrorStatus = {
  Error: "error",
  Timeout: "timeout",
  Blocked: "blocked",
  RateLimited: "rate_limited",
} as const;
export type RuntimeErrorStatus = (typeof RuntimeErrorStatus)[keyof typeof RuntimeErrorStatus];

// ---------------------------------------------------------------------------------------------------
// Lifecycle projection and divergence (spec 12)
// ---------------------------------------------------------------------------------------------------

/** Spec 12 §3.3: `divergence.flags.*` keys (camelCase); also `divergenceFlags` of escalations (13 §7.1). */
export const DivergenceFlag = {
  /** Runtime state not active while the final event is an active-phase event. */
  ActiveMismatch: "activeMismatch",
  /** Approval pending while the latest summary reports completion. */
  ApprovalCompletionConflict: "approvalCompletionConflict",
  /** Snapshot line count shrank since the previous projection (log truncated/rotated, Q12-3). */
  CursorRegression: "cursorRegression",
} as const;
export type DivergenceFlag = (typeof DivergenceFlag)[keyof typeof DivergenceFlag];

/**
 * Confidence levels: spec 12 §3.4 (`transition.confidence`), spec 18 §3–§4 (summary confidence,
 * `--min-confidence`), spec 20 §2.3 / 22 §2 (fleet `minConfidence`, candidate `confidence`).
 */
export const ConfidenceLevel = {
  High: "high",
  Medium: "medium",
  Low: "low",
} as const;
export type ConfidenceLevel = (typeof ConfidenceLevel)[keyof typeof ConfidenceLevel];

/** Spec 12 §3.2: prefixes of `transition.triggeringSignal` (`event:<name>` / `snapshot_status:<state>`). */
export const TriggeringSignalPrefix = {
  Event: "event:",
  SnapshotStatus: "snapshot_status:",
} as const;
export type TriggeringSignalPrefix = (typeof TriggeringSignalPrefix)[keyof typeof TriggeringSignalPrefix];

// ---------------------------------------------------------------------------------------------------
// Reconcile: ingest, failure codes, heartbeat, sequence, escalations (spec 13)
// ---------------------------------------------------------------------------------------------------

/** Spec 13 §1 / 15 §2 / 20 §2.2: `--transport`, `transport` fields of per-loop and fleet artifacts. */
export const TransportMode = {
  Local: "local",
  SpriteService: "sprite_service",
} as const;
export type TransportMode = (typeof TransportMode)[keyof typeof TransportMode];

/** Spec 13 §3–§5.1, §8: `ingestStatus`, transport-health `lastResult`, reconcile telemetry `status`. */
export const IngestStatus = {
  Success: "success",
  Failed: "failed",
} as const;
export type IngestStatus = (typeof IngestStatus)[keyof typeof IngestStatus];

/** Spec 13 §4 "Failure codes summary": reconcile `failureCode` / transport-health `lastFailureCode`. */
export const ReconcileFailureCode = {
  /** Local snapshot adapter failed (missing loop dir/events file, invalid JSON). */
  SnapshotUnavailable: "snapshot_unavailable",
  /** Local event poller failed (bad line, cursor ahead of log, …). */
  EventsUnavailable: "events_unavailable",
  /** Sprite-service HTTP/transport failure after retries. */
  ServiceRequestFailed: "service_request_failed",
  /** Bad `/ops/events` response shape or cursor values. */
  ServiceResponseInvalid: "service_response_invalid",
  /** project-state rejected the envelopes (both transports). */
  ProjectionFailed: "projection_failed",
} as const;
export type ReconcileFailureCode = (typeof ReconcileFailureCode)[keyof typeof ReconcileFailureCode];

/** Spec 13 §5.2 / 14 §5: heartbeat `reasonCode` (state file and heartbeat telemetry). */
export const HeartbeatReasonCode = {
  /** Heartbeat telemetry only: the runtime heartbeat has no `timestamp`/`updatedAt`. */
  MissingHeartbeatTimestamp: "missing_heartbeat_timestamp",
  /** Heartbeat telemetry only: the heartbeat timestamp is not a strict UTC timestamp. */
  InvalidHeartbeatTimestamp: "invalid_heartbeat_timestamp",
  /** Heartbeat lag reached the degraded/critical heartbeat threshold. */
  RuntimeHeartbeatStale: "runtime_heartbeat_stale",
} as const;
export type HeartbeatReasonCode = (typeof HeartbeatReasonCode)[keyof typeof HeartbeatReasonCode];

/** Spec 13 §5.2 / 17 §8: heartbeat `freshnessStatus`. */
export const HeartbeatFreshnessStatus = {
  Fresh: "fresh",
  Degraded: "degraded",
  Critical: "critical",
} as const;
export type HeartbeatFreshnessStatus =
  (typeof HeartbeatFreshnessStatus)[keyof typeof HeartbeatFreshnessStatus];

/** Spec 13 §5.2: heartbeat telemetry `status` (freshness, or `failed` for missing/invalid timestamps). */
export const HeartbeatTelemetryStatus = {
  ...HeartbeatFreshnessStatus,
  Failed: "failed",
} as const;
export type HeartbeatTelemetryStatus =
  (typeof HeartbeatTelemetryStatus)[keyof typeof HeartbeatTelemetryStatus];

/** Spec 13 §5.3 step 4: sequence `violations[]` (deduplicated, sorted ascending). */
export const SequenceViolation = {
  SnapshotSequenceMissing: "snapshot_sequence_missing",
  SnapshotSequenceRegression: "snapshot_sequence_regression",
  EventSequenceMissing: "event_sequence_missing",
  /** A lower sequence value followed a higher one within one batch. */
  EventSequenceNonMonotonic: "event_sequence_non_monotonic",
  /** The batch's first sequence value is below the previous batch's last (across batches). */
  EventSequenceRegression: "event_sequence_regression",
} as const;
export type SequenceViolation = (typeof SequenceViolation)[keyof typeof SequenceViolation];

/** Spec 13 §5.3 step 5 / 14 §5: sequence-state `reasonCode`. */
export const SequenceReasonCode = {
  OrderingDriftDetected: "ordering_drift_detected",
} as const;
export type SequenceReasonCode = (typeof SequenceReasonCode)[keyof typeof SequenceReasonCode];

/** Spec 13 §5.3, §8: sequence-state `status` and reconcile telemetry `sequenceStatus`. */
export const SequenceStatus = {
  Ok: "ok",
  OrderingDriftDetected: "ordering_drift_detected",
  /** Reconcile telemetry only: ingest failed, sequence diagnostics did not run. */
  SkippedIngestFailed: "skipped_ingest_failed",
} as const;
export type SequenceStatus = (typeof SequenceStatus)[keyof typeof SequenceStatus];

/** Spec 13 §7 / 19 §1: escalation `category` values written to `escalations.jsonl`. */
export const EscalationCategory = {
  DivergenceDetected: "divergence_detected",
  OrderingDriftDetected: "ordering_drift_detected",
  HealthDegraded: "health_degraded",
  HealthCritical: "health_critical",
  ProfileDriftDetected: "profile_drift_detected",
} as const;
export type EscalationCategory = (typeof EscalationCategory)[keyof typeof EscalationCategory];

/** Specs 13 §5.2–§5.3, §10, 18 §4, 19 §3.3: per-loop telemetry row `category` values. */
export const LoopTelemetryCategory = {
  RuntimeHeartbeat: "runtime_heartbeat",
  EnvelopeSequence: "envelope_sequence",
  AlertDispatch: "alert_dispatch",
  ProfileDriftEvaluation: "profile_drift_evaluation",
} as const;
export type LoopTelemetryCategory = (typeof LoopTelemetryCategory)[keyof typeof LoopTelemetryCategory];

// ---------------------------------------------------------------------------------------------------
// Per-loop health (spec 14)
// ---------------------------------------------------------------------------------------------------

/** Spec 14 §4 / 00: health `status` (and reconcile telemetry `healthStatus`). */
export const LoopHealthStatus = {
  Healthy: "healthy",
  Degraded: "degraded",
  Critical: "critical",
} as const;
export type LoopHealthStatus = (typeof LoopHealthStatus)[keyof typeof LoopHealthStatus];

/** Spec 14 §3 / §4: `reasons[].severity` of a health reason. */
export const HealthReasonSeverity = {
  Degraded: "degraded",
  Critical: "critical",
} as const;
export type HealthReasonSeverity = (typeof HealthReasonSeverity)[keyof typeof HealthReasonSeverity];

/**
 * Spec 14 §3 and §5 "Reason-code catalogue (per-loop)": health `reasonCodes` / `reasons[].code`.
 * Rule 7'''' also passes any other ingest failure code through verbatim (Q14-6).
 */
export const HealthReasonCode = {
  /** Projection divergence flags set (spec 12 §3.3). */
  DivergenceDetected: "divergence_detected",
  /** Latest control intent status is `ambiguous`. */
  ControlAmbiguous: "control_ambiguous",
  /** Latest control intent status is `failed_command`. */
  ControlFailedCommand: "control_failed_command",
  /** Last runtime event older than the ingest-lag thresholds. */
  IngestStale: "ingest_stale",
  RuntimeHeartbeatStale: "runtime_heartbeat_stale",
  /** Transport failure streak over threshold, or local/service ingest failure. */
  TransportUnreachable: "transport_unreachable",
  /** Service returned a malformed events response (`service_response_invalid`). */
  InvalidTransportPayload: "invalid_transport_payload",
  ProjectionFailed: "projection_failed",
  /** Ingest failed without a failure code. */
  ReconcileFailed: "reconcile_failed",
  OrderingDriftDetected: "ordering_drift_detected",
} as const;
export type HealthReasonCode = (typeof HealthReasonCode)[keyof typeof HealthReasonCode];

// ---------------------------------------------------------------------------------------------------
// Control intents and confirmation (spec 15)
// ---------------------------------------------------------------------------------------------------

/** Spec 15 §1–§2: `--intent` / intent entry `intent`. */
export const ControlIntentKind = {
  Cancel: "cancel",
  Approve: "approve",
  Reject: "reject",
} as const;
export type ControlIntentKind = (typeof ControlIntentKind)[keyof typeof ControlIntentKind];

/** Spec 15 §2.1–§2.4, §3.1: intent entry `status` (also `outcome.status`, control telemetry `status`). */
export const ControlIntentStatus = {
  Confirmed: "confirmed",
  /** Runtime command succeeded and confirmation was skipped (`--no-confirm`). */
  ExecutedUnconfirmed: "executed_unconfirmed",
  /** Command succeeded but confirmation timed out (exit 2). */
  Ambiguous: "ambiguous",
  FailedCommand: "failed_command",
  /** Unexpected service-supplied `result.status`, recorded verbatim and exits 1 (Q15-4). */
  Executed: "executed",
} as const;
export type ControlIntentStatus = (typeof ControlIntentStatus)[keyof typeof ControlIntentStatus];

/** Spec 15 §2.3: control `reasonCode` (omitted for other statuses). */
export const ControlReasonCode = {
  ControlAmbiguous: "control_ambiguous",
  ControlFailedCommand: "control_failed_command",
} as const;
export type ControlReasonCode = (typeof ControlReasonCode)[keyof typeof ControlReasonCode];

/** Spec 15 §3.3: control-invocations audit `execution.status`. */
export const ControlExecutionStatus = {
  /** Never persisted in practice. */
  NotStarted: "not_started",
  Succeeded: "succeeded",
  FailedCommand: "failed_command",
  /** May have run: a request that may have reached the service got no answer. */
  Unknown: "unknown",
} as const;
export type ControlExecutionStatus = (typeof ControlExecutionStatus)[keyof typeof ControlExecutionStatus];

/** Spec 15 §2.2, §3.3: control-invocations audit `confirmation.status`. */
export const ControlConfirmationStatus = {
  Confirmed: "confirmed",
  Ambiguous: "ambiguous",
  Skipped: "skipped",
  NotAttempted: "not_attempted",
  /** Service response carried a confirm payload but no recognised status. */
  AttemptedUnknown: "attempted_unknown",
} as const;
export type ControlConfirmationStatus =
  (typeof ControlConfirmationStatus)[keyof typeof ControlConfirmationStatus];

/** Spec 15 §1, §4: confirm-intent result `reason`. */
export const ConfirmationReason = {
  /** Cancel confirmed: runtime state not active and run status not `running`. */
  InactiveNotRunning: "inactive_not_running",
  /** Approve confirmed: completion observed. */
  CompletionObserved: "completion_observed",
  /** Reject confirmed: rejection observed. */
  RejectionObserved: "rejection_observed",
  /** Not confirmed within `--timeout-seconds`. */
  Timeout: "timeout",
} as const;
export type ConfirmationReason = (typeof ConfirmationReason)[keyof typeof ConfirmationReason];

// ---------------------------------------------------------------------------------------------------
// Sprite service (spec 16)
// ---------------------------------------------------------------------------------------------------

/** Spec 16 §2–§3, Q16-3: HTTP error body `error.code`. */
export const SpriteServiceErrorCode = {
  /** 401: missing or invalid token. */
  Unauthorized: "unauthorized",
  /** 404: unknown path. */
  NotFound: "not_found",
  /** 400: missing/invalid query or body fields. */
  InvalidRequest: "invalid_request",
  /** 400: control body is not JSON. */
  InvalidJson: "invalid_json",
  /** 502: snapshot/poll adapter failed or emitted invalid JSON. */
  RuntimeError: "runtime_error",
  /** 409: reused idempotency key with a different request (careful implementation only, Q16-3). */
  IdempotencyConflict: "idempotency_conflict",
} as const;
export type SpriteServiceErrorCode = (typeof SpriteServiceErrorCode)[keyof typeof SpriteServiceErrorCode];

// ---------------------------------------------------------------------------------------------------
// Threshold profiles, telemetry summary and profile drift (specs 14 §6, 18)
// ---------------------------------------------------------------------------------------------------

/** Spec 14 §6 / 18 §1: bundled threshold profile names (`recommendedProfile`, `appliedProfile`). */
export const ThresholdProfileName = {
  Strict: "strict",
  Balanced: "balanced",
  Relaxed: "relaxed",
} as const;
export type ThresholdProfileName = (typeof ThresholdProfileName)[keyof typeof ThresholdProfileName];

/** Spec 18 §4 step 7: profile-drift `status`. */
export const ProfileDriftStatus = {
  NoRecommendation: "no_recommendation",
  Aligned: "aligned",
  /** Mismatch, but the recommendation confidence is below the minimum. */
  InsufficientConfidence: "insufficient_confidence",
  /** Eligible mismatch whose streak has not yet reached the required streak. */
  MismatchPending: "mismatch_pending",
  DriftActive: "drift_active",
} as const;
export type ProfileDriftStatus = (typeof ProfileDriftStatus)[keyof typeof ProfileDriftStatus];

/** Spec 18 §4 / 14 §5: profile-drift `reasonCode` (also the drift escalation category). */
export const ProfileDriftReasonCode = {
  ProfileDriftDetected: "profile_drift_detected",
} as const;
export type ProfileDriftReasonCode = (typeof ProfileDriftReasonCode)[keyof typeof ProfileDriftReasonCode];

/** Spec 18 §4 step 8: profile-drift `action`. */
export const ProfileDriftAction = {
  ReviewThresholdProfile: "review_threshold_profile",
  MonitorAdditionalWindows: "monitor_additional_windows",
  CollectMoreConfidentTelemetry: "collect_more_confident_telemetry",
} as const;
export type ProfileDriftAction = (typeof ProfileDriftAction)[keyof typeof ProfileDriftAction];

// ---------------------------------------------------------------------------------------------------
// Alerts (spec 19)
// ---------------------------------------------------------------------------------------------------

/**
 * Severity levels `info|warning|critical`: spec 19 §1.1 (alert routing, event severity) and spec
 * 20 §2.3 / 22 §2 (fleet `minSeverity`, candidate `severity`).
 */
export const SeverityLevel = {
  Info: "info",
  Warning: "warning",
  Critical: "critical",
} as const;
export type SeverityLevel = (typeof SeverityLevel)[keyof typeof SeverityLevel];

/** Spec 19 §1.1: sink `type`. */
export const AlertSinkType = {
  Webhook: "webhook",
  Slack: "slack",
  /** PagerDuty Events API v2. */
  PagerdutyEvents: "pagerduty_events",
} as const;
export type AlertSinkType = (typeof AlertSinkType)[keyof typeof AlertSinkType];

/** Spec 19 §3.1, §3.3, §3.5 "Reason codes (dispatch)": alert telemetry and `failureReasonCodes` (plus Q19-4 redelivery codes). */
export const AlertReasonCode = {
  // Row level.
  InvalidEscalationJson: "invalid_escalation_json",
  MissingEscalationCategory: "missing_escalation_category",
  /** Route resolver failed (bad config, unset enabled-sink secret, invalid row severity). */
  RouteResolutionFailed: "route_resolution_failed",
  /** Route resolver printed non-JSON. */
  InvalidRouteResolution: "invalid_route_resolution",
  /** Row skipped: event severity below the route minimum. */
  SeverityBelowMin: "severity_below_min",
  /** Row skipped: all routed sinks disabled (normal with the bundled config). */
  NoDispatchableSinks: "no_dispatchable_sinks",
  /** Some sinks failed; not added to `failureReasonCodes`. */
  PartialDispatchFailure: "partial_dispatch_failure",
  /** All sinks failed; not added to `failureReasonCodes`. */
  DispatchFailed: "dispatch_failed",
  // Sink level.
  /** Sink secret variable empty at send time. */
  MissingSecret: "missing_secret",
  /** Non-2xx response. */
  HttpError: "http_error",
  /** Connection/timeout error. */
  RequestFailed: "request_failed",
  UnsupportedSinkType: "unsupported_sink_type",
  InvalidSinkResult: "invalid_sink_result",
  /** Default code of a failed sink without its own code. */
  SinkDispatchFailed: "sink_dispatch_failed",
  // Reconcile hook (spec 13 §10).
  /** alert-dispatch exited non-zero when run by reconcile. */
  AlertDispatchFailed: "alert_dispatch_failed",
  // Redelivery (careful Q19-4, packages/health/src/alerts/README.md).
  /** Addition beyond spec 19: a pending redelivery was abandoned after the maximum number of runs. */
  RedeliveryExhausted: "redelivery_exhausted",
  /** Addition beyond spec 19: the owed sinks of a pending redelivery were removed/disabled (dropped). */
  RedeliverySinkRemoved: "redelivery_sink_removed",
  /** Addition beyond spec 19: the escalation line of a pending redelivery is gone or changed (abandoned). */
  RedeliverySourceChanged: "redelivery_source_changed",
} as const;
export type AlertReasonCode = (typeof AlertReasonCode)[keyof typeof AlertReasonCode];

/** Spec 19 §3.1–§3.2: dispatch state `status`. */
export const AlertDispatchStatus = {
  /** Escalations file missing. */
  NoSource: "no_source",
  NoNewEscalations: "no_new_escalations",
  /** No failures (also when every row was skipped, Q19-2). */
  Success: "success",
  Partial: "partial",
  Failed: "failed",
} as const;
export type AlertDispatchStatus = (typeof AlertDispatchStatus)[keyof typeof AlertDispatchStatus];

/** Spec 19 §3.3 / 13 §10: alert telemetry row `status` (plus the redelivery statuses of Q19-4). */
export const AlertDeliveryStatus = {
  Dispatched: "dispatched",
  Partial: "partial",
  Failed: "failed",
  Skipped: "skipped",
  /** Reconcile hook row: alert-dispatch itself exited non-zero. */
  FailedCommand: "failed_command",
  /** Addition beyond spec 19: redelivery row of a pending entry given up (exhausted / source changed). */
  Abandoned: "abandoned",
  /** Addition beyond spec 19: redelivery row whose owed sinks were all removed/disabled. */
  Dropped: "dropped",
} as const;
export type AlertDeliveryStatus = (typeof AlertDeliveryStatus)[keyof typeof AlertDeliveryStatus];

/** Spec 19 §3.3: `sinks[].status` of a delivered row. */
export const AlertSinkResultStatus = {
  Success: "success",
  Failed: "failed",
} as const;
export type AlertSinkResultStatus = (typeof AlertSinkResultStatus)[keyof typeof AlertSinkResultStatus];

// ---------------------------------------------------------------------------------------------------
// Fleet registry (spec 20)
// ---------------------------------------------------------------------------------------------------

/** Spec 20 §2.3: `policy.mode`. */
export const FleetPolicyMode = {
  Advisory: "advisory",
  GuardedAuto: "guarded_auto",
} as const;
export type FleetPolicyMode = (typeof FleetPolicyMode)[keyof typeof FleetPolicyMode];

/**
 * Spec 20 §2.3 / 22 §2: fleet candidate categories (suppression categories, `allow.categories`,
 * candidate `category`).
 */
export const FleetCandidateCategory = {
  ReconcileFailed: "reconcile_failed",
  HealthCritical: "health_critical",
  HealthDegraded: "health_degraded",
} as const;
export type FleetCandidateCategory = (typeof FleetCandidateCategory)[keyof typeof FleetCandidateCategory];

/** Spec 20 §2.3 / 22 §2 / 24 §3.1: `allow.intents`, `recommendedIntent` (only `cancel` is supported). */
export const FleetAutonomousIntent = {
  Cancel: "cancel",
} as const;
export type FleetAutonomousIntent = (typeof FleetAutonomousIntent)[keyof typeof FleetAutonomousIntent];

// ---------------------------------------------------------------------------------------------------
// Fleet reconcile (spec 21)
// ---------------------------------------------------------------------------------------------------

/** Spec 21 §4.5 / §5: per-loop `results[].status` (`reconcileStatus` mirrors it). */
export const FleetLoopResultStatus = {
  Success: "success",
  Failed: "failed",
  Skipped: "skipped",
} as const;
export type FleetLoopResultStatus = (typeof FleetLoopResultStatus)[keyof typeof FleetLoopResultStatus];

/**
 * Spec 21 §4.1, §4.3 / 20 §8: per-loop `results[].reasonCode`. A non-empty per-loop
 * `transport.failureCode` outside the mapped ones is passed through verbatim (§4.3 priority 7).
 */
export const FleetLoopReasonCode = {
  /** Loop `enabled: false` (unreachable in legacy, 20 Q1). */
  LoopDisabled: "loop_disabled",
  /** `sprite_service` loop without `service.baseUrl`. */
  MissingServiceBaseUrl: "missing_service_base_url",
  /** Declared `service.tokenEnv` variable unset or empty (any transport, 21 Q3). */
  MissingServiceTokenEnv: "missing_service_token_env",
  TransportUnreachable: "transport_unreachable",
  InvalidTransportPayload: "invalid_transport_payload",
  ProjectionFailed: "projection_failed",
  ReconcileFailed: "reconcile_failed",
  /** Output text mentions a missing required/events artifact. */
  MissingRuntimeArtifacts: "missing_runtime_artifacts",
  /**
   * Addition beyond spec 21: the per-loop reconcile did not finish within the per-loop time limit
   * (`ctx.loopTimeoutMs`, packages/fleet/src/reconcile/README.md); the loop is `failed`.
   */
  ReconcileTimeout: "reconcile_timeout",
} as const;
export type FleetLoopReasonCode = (typeof FleetLoopReasonCode)[keyof typeof FleetLoopReasonCode];

/** Spec 21 §5: fleet rollup `status` (status shows `unknown` when the state has none, 23 §2.2). */
export const FleetReconcileStatus = {
  Success: "success",
  PartialFailure: "partial_failure",
  Failed: "failed",
} as const;
export type FleetReconcileStatus = (typeof FleetReconcileStatus)[keyof typeof FleetReconcileStatus];

/** Spec 21 §5 / 23 §2.2: fleet `reasonCodes` (state, reconcile telemetry, status `fleet.reasonCodes`). */
export const FleetReconcileReasonCode = {
  /** Some loops failed and some succeeded. */
  FleetPartialFailure: "fleet_partial_failure",
  /** Every attempted loop failed. */
  FleetReconcileFailed: "fleet_reconcile_failed",
  FleetHealthCritical: "fleet_health_critical",
  /** Some loop degraded and none critical. */
  FleetHealthDegraded: "fleet_health_degraded",
  FleetLoopSkipped: "fleet_loop_skipped",
} as const;
export type FleetReconcileReasonCode =
  (typeof FleetReconcileReasonCode)[keyof typeof FleetReconcileReasonCode];

/** Specs 21 §6.2, 22 §8–§9, 24 §8: fleet telemetry record `category` values. */
export const FleetTelemetryCategory = {
  FleetReconcile: "fleet_reconcile",
  FleetPolicy: "fleet_policy",
  FleetPolicyCandidate: "fleet_policy_candidate",
  FleetPolicyGovernance: "fleet_policy_governance",
  FleetHandoffPlan: "fleet_handoff_plan",
  FleetHandoffExecute: "fleet_handoff_execute",
} as const;
export type FleetTelemetryCategory = (typeof FleetTelemetryCategory)[keyof typeof FleetTelemetryCategory];

// ---------------------------------------------------------------------------------------------------
// Fleet policy (spec 22): candidates, suppression, autonomy gates, rollout, pause, safety, governance
// ---------------------------------------------------------------------------------------------------

/** Spec 22 §2: candidate `signal`. */
export const FleetCandidateSignal = {
  /** Fleet result `status` is `failed` (category `reconcile_failed`). */
  StatusFailed: "status_failed",
  HealthCritical: "health_critical",
  HealthDegraded: "health_degraded",
} as const;
export type FleetCandidateSignal = (typeof FleetCandidateSignal)[keyof typeof FleetCandidateSignal];

/** Spec 22 §3: candidate `suppressionScope` (precedence loop → global → cooldown). */
export const SuppressionScope = {
  Loop: "loop",
  Global: "global",
  Cooldown: "cooldown",
} as const;
export type SuppressionScope = (typeof SuppressionScope)[keyof typeof SuppressionScope];

/** Spec 22 §3 / 20 §8: candidate `suppressionReason`. */
export const SuppressionReason = {
  /** Registry `policy.suppressions` (loop or `*`) lists the category. */
  RegistryPolicySuppression: "registry_policy_suppression",
  /** Advisory dedupe window still running since the last unsuppressed emission. */
  AdvisoryCooldownActive: "advisory_cooldown_active",
} as const;
export type SuppressionReason = (typeof SuppressionReason)[keyof typeof SuppressionReason];

/** Spec 22 §6.3 (policy gates part): candidate `autonomous.gatingReasons`. */
export const AutonomyGateReasonCode = {
  PolicyModeNotGuardedAuto: "policy_mode_not_guarded_auto",
  CandidateSuppressed: "candidate_suppressed",
  CategoryNotAllowlisted: "category_not_allowlisted",
  NoRecommendedIntent: "no_recommended_intent",
  IntentNotAllowlisted: "intent_not_allowlisted",
  SeverityBelowThreshold: "severity_below_threshold",
  ConfidenceBelowThreshold: "confidence_below_threshold",
} as const;
export type AutonomyGateReasonCode = (typeof AutonomyGateReasonCode)[keyof typeof AutonomyGateReasonCode];

/** Spec 22 §6.1–§6.3 (rollout cohort part): candidate `autonomous.gatingReasons`. */
export const RolloutReasonCode = {
  /** `rollout.scope.loopIds` is non-empty and does not list the loop. */
  AutonomousRolloutScopeExcluded: "autonomous_rollout_scope_excluded",
  /** In scope, but the cohort bucket is not below `canaryPercent`. */
  AutonomousRolloutCanaryExcluded: "autonomous_rollout_canary_excluded",
} as const;
export type RolloutReasonCode = (typeof RolloutReasonCode)[keyof typeof RolloutReasonCode];

/** Spec 22 §5.3: `pause.reasons` (also gating reasons, §6.3). */
export const PauseReasonCode = {
  AutonomousRolloutPausedManual: "autonomous_rollout_paused_manual",
  AutonomousRolloutPausedAuto: "autonomous_rollout_paused_auto",
} as const;
export type PauseReasonCode = (typeof PauseReasonCode)[keyof typeof PauseReasonCode];

/** Spec 22 §5.2: `pause.auto.reasons` (also gating reasons, §6.3). */
export const AutoPauseReasonCode = {
  /** Autonomous handoff ambiguity rate reached the threshold over the lookback window. */
  AutonomousAutopauseAmbiguousSpike: "autonomous_autopause_ambiguous_spike",
  /** Autonomous handoff failure rate reached the threshold over the lookback window. */
  AutonomousAutopauseFailureSpike: "autonomous_autopause_failure_spike",
} as const;
export type AutoPauseReasonCode = (typeof AutoPauseReasonCode)[keyof typeof AutoPauseReasonCode];

/** Spec 22 §6.5: safety-rail reasons (at most one, only for otherwise clean candidates). */
export const SafetyRailReasonCode = {
  AutonomousKillSwitchEnabled: "autonomous_kill_switch_enabled",
  /** Candidate was classified eligible less than `safety.cooldownSeconds` ago. */
  AutonomousCooldownActive: "autonomous_cooldown_active",
  AutonomousMaxActionsPerRunExceeded: "autonomous_max_actions_per_run_exceeded",
  AutonomousMaxActionsPerLoopExceeded: "autonomous_max_actions_per_loop_exceeded",
} as const;
export type SafetyRailReasonCode = (typeof SafetyRailReasonCode)[keyof typeof SafetyRailReasonCode];

/**
 * Spec 22 §6.3 + §6.5 / 20 §8: every candidate `autonomous.reasons` value (policy `byAutonomyReason`
 * keys). Handoff adds the retry-guard reasons of {@link HandoffRetryGuardReasonCode}.
 */
export const AutonomyReasonCode = {
  ...AutonomyGateReasonCode,
  ...RolloutReasonCode,
  ...PauseReasonCode,
  ...AutoPauseReasonCode,
  ...SafetyRailReasonCode,
} as const;
export type AutonomyReasonCode = (typeof AutonomyReasonCode)[keyof typeof AutonomyReasonCode];

/** Spec 22 §7.3: policy state `reasonCodes`. */
export const FleetPolicyReasonCode = {
  FleetActionRequired: "fleet_action_required",
  NoActionRequired: "no_action_required",
  FleetActionsSuppressed: "fleet_actions_suppressed",
  /** Some candidate suppressed by the registry. */
  FleetActionsPolicySuppressed: "fleet_actions_policy_suppressed",
  /** Some candidate suppressed by the advisory cooldown. */
  FleetActionsDeduped: "fleet_actions_deduped",
  FleetAutoCandidatesEligible: "fleet_auto_candidates_eligible",
  /** `guarded_auto`, unsuppressed candidates exist, none eligible. */
  FleetAutoCandidatesBlocked: "fleet_auto_candidates_blocked",
  FleetAutoCandidatesRolloutGated: "fleet_auto_candidates_rollout_gated",
  FleetAutoCandidatesPaused: "fleet_auto_candidates_paused",
  FleetAutoCandidatesAutopauseTriggered: "fleet_auto_candidates_autopause_triggered",
  FleetAutoKillSwitchEnabled: "fleet_auto_kill_switch_enabled",
  /** Some unsuppressed candidate hit cooldown or an action cap. */
  FleetAutoCandidatesSafetyBlocked: "fleet_auto_candidates_safety_blocked",
} as const;
export type FleetPolicyReasonCode = (typeof FleetPolicyReasonCode)[keyof typeof FleetPolicyReasonCode];

/** Spec 22 §8: governance audit `eventType`. */
export const GovernanceAuditEventType = {
  AutonomousPolicyInitialized: "autonomous_policy_initialized",
  AutonomousModeToggled: "autonomous_mode_toggled",
  /** Autonomous controls or governance changed (mode unchanged). */
  AutonomousPolicyMutated: "autonomous_policy_mutated",
} as const;
export type GovernanceAuditEventType =
  (typeof GovernanceAuditEventType)[keyof typeof GovernanceAuditEventType];

// ---------------------------------------------------------------------------------------------------
// Fleet status (spec 23)
// ---------------------------------------------------------------------------------------------------

/** Spec 23 §2.3 / 21 §4.5: `healthRollup` buckets (per-loop `healthStatus`, `unknown` fallback). */
export const FleetHealthBucket = {
  Healthy: "healthy",
  Degraded: "degraded",
  Critical: "critical",
  Unknown: "unknown",
} as const;
export type FleetHealthBucket = (typeof FleetHealthBucket)[keyof typeof FleetHealthBucket];

/** Spec 23 §3.2: `autonomous.governance.reasonCodes` (only in `guarded_auto`). */
export const GovernanceReasonCode = {
  AutonomousGovernanceAuthorityMissing: "autonomous_governance_authority_missing",
  AutonomousGovernanceReviewDeadlineMissing: "autonomous_governance_review_deadline_missing",
  AutonomousGovernanceReviewExpired: "autonomous_governance_review_expired",
  /** Review deadline in the future but at most 7 days (604800 s) ahead. */
  AutonomousGovernanceReviewDueSoon: "autonomous_governance_review_due_soon",
} as const;
export type GovernanceReasonCode = (typeof GovernanceReasonCode)[keyof typeof GovernanceReasonCode];

/** Spec 23 §3.2: `autonomous.governance.posture` (first match). */
export const GovernancePosture = {
  /** Mode is not `guarded_auto`. */
  NotRequired: "not_required",
  AuthorityMissing: "authority_missing",
  ReviewDeadlineMissing: "review_deadline_missing",
  ReviewExpired: "review_expired",
  ReviewDueSoon: "review_due_soon",
  Active: "active",
} as const;
export type GovernancePosture = (typeof GovernancePosture)[keyof typeof GovernancePosture];

/** Spec 23 §3.3 / 30 §5.4: `safetyGateDecisions.byPath` keys (camelCase; all four always present). */
export const SuppressionPath = {
  PolicyGated: "policyGated",
  RolloutGated: "rolloutGated",
  GovernanceGated: "governanceGated",
  TransportGated: "transportGated",
} as const;
export type SuppressionPath = (typeof SuppressionPath)[keyof typeof SuppressionPath];

/** Spec 23 §3.3: `safetyGateDecisions.suppressionReasonCodes`. */
export const SafetyGateSuppressionReasonCode = {
  AutonomousSuppressionPolicyGated: "autonomous_suppression_policy_gated",
  AutonomousSuppressionRolloutGated: "autonomous_suppression_rollout_gated",
  AutonomousSuppressionGovernanceGated: "autonomous_suppression_governance_gated",
  AutonomousSuppressionTransportGated: "autonomous_suppression_transport_gated",
} as const;
export type SafetyGateSuppressionReasonCode =
  (typeof SafetyGateSuppressionReasonCode)[keyof typeof SafetyGateSuppressionReasonCode];

/** Spec 23 §3.3: `byPath.transportGated.byReason` key for a failed/ambiguous result without a reason code. */
export const TransportGateReasonCode = {
  TransportExecutionBlocked: "transport_execution_blocked",
} as const;
export type TransportGateReasonCode = (typeof TransportGateReasonCode)[keyof typeof TransportGateReasonCode];

// ---------------------------------------------------------------------------------------------------
// Fleet handoff (spec 24)
// ---------------------------------------------------------------------------------------------------

/** Spec 24 §3.4: retry-guard reasons added to handoff intent `autonomous.reasons`. */
export const HandoffRetryGuardReasonCode = {
  /** Previous handoff state had this intent as `execution_ambiguous`. */
  AutonomousRetryGuardAmbiguous: "autonomous_retry_guard_ambiguous",
  /** Previous handoff state had this intent as `execution_failed`. */
  AutonomousRetryGuardFailed: "autonomous_retry_guard_failed",
} as const;
export type HandoffRetryGuardReasonCode =
  (typeof HandoffRetryGuardReasonCode)[keyof typeof HandoffRetryGuardReasonCode];

/** Spec 24 §4: handoff state `reasonCodes`. */
export const HandoffReasonCode = {
  FleetHandoffActionRequired: "fleet_handoff_action_required",
  FleetHandoffNoAction: "fleet_handoff_no_action",
  FleetHandoffConfirmationPending: "fleet_handoff_confirmation_pending",
  /** Fewer intents than unsuppressed candidates. */
  FleetHandoffPartialMapping: "fleet_handoff_partial_mapping",
  /** Unsuppressed candidates exist but no intent could be mapped. */
  FleetHandoffUnmappedCandidates: "fleet_handoff_unmapped_candidates",
  /** Some intent carries an `autonomous_retry_guard_*` reason. */
  FleetHandoffRetryGuarded: "fleet_handoff_retry_guarded",
  FleetHandoffAutoEligibleIntents: "fleet_handoff_auto_eligible_intents",
  FleetHandoffExecuted: "fleet_handoff_executed",
  FleetHandoffExecutionAmbiguous: "fleet_handoff_execution_ambiguous",
  FleetHandoffExecutionFailed: "fleet_handoff_execution_failed",
} as const;
export type HandoffReasonCode = (typeof HandoffReasonCode)[keyof typeof HandoffReasonCode];

/** Spec 24 §5: handoff intent `status`. */
export const HandoffIntentStatus = {
  PendingOperatorConfirmation: "pending_operator_confirmation",
  /** Control confirmed (or executed without runtime confirmation). */
  Executed: "executed",
  ExecutionAmbiguous: "execution_ambiguous",
  /** Control failed, or a pre-check blocked the dispatch. */
  ExecutionFailed: "execution_failed",
} as const;
export type HandoffIntentStatus = (typeof HandoffIntentStatus)[keyof typeof HandoffIntentStatus];

/** Spec 24 §6.1, §6.4: execution `mode` / result `executionMode`. */
export const HandoffExecutionMode = {
  Manual: "manual",
  Autonomous: "autonomous",
} as const;
export type HandoffExecutionMode = (typeof HandoffExecutionMode)[keyof typeof HandoffExecutionMode];

/** Spec 24 §6.2, §6.4: `execution.results[].status`. */
export const HandoffExecutionResultStatus = {
  Executed: "executed",
  Ambiguous: "ambiguous",
  Failed: "failed",
} as const;
export type HandoffExecutionResultStatus =
  (typeof HandoffExecutionResultStatus)[keyof typeof HandoffExecutionResultStatus];

/** Spec 24 §6.2, §6.4 / 20 §8: `execution.results[].reasonCode`. */
export const HandoffExecutionReasonCode = {
  /** Per-loop control exited 0. */
  ControlConfirmed: "control_confirmed",
  /** Per-loop control exited 2. */
  ControlAmbiguous: "control_ambiguous",
  /** Per-loop control exited with any other status. */
  ControlFailedCommand: "control_failed_command",
  /** Pre-check: autonomous mode and intent not eligible (unreachable, Q6). */
  AutonomousIntentNotEligible: "autonomous_intent_not_eligible",
  /** Pre-check: `sprite_service` intent without `service.baseUrl` (unreachable, Q6). */
  MissingServiceBaseUrl: "missing_service_base_url",
} as const;
export type HandoffExecutionReasonCode =
  (typeof HandoffExecutionReasonCode)[keyof typeof HandoffExecutionReasonCode];

// ---------------------------------------------------------------------------------------------------
// Promotion gates (spec 30)
// ---------------------------------------------------------------------------------------------------

/** Spec 30 §5.6: gate names in `summary.failedGates` (snake_case; keys under `gates` are camelCase). */
export const PromotionGateName = {
  Governance: "governance",
  OutcomeReliability: "outcome_reliability",
  ManualBacklog: "manual_backlog",
  SafetySuppression: "safety_suppression",
  DrillRecency: "drill_recency",
} as const;
export type PromotionGateName = (typeof PromotionGateName)[keyof typeof PromotionGateName];

/** Spec 30 §5.6: fixed gate order (used for `failedGates`). */
export const PROMOTION_GATE_ORDER = [
  PromotionGateName.Governance,
  PromotionGateName.OutcomeReliability,
  PromotionGateName.ManualBacklog,
  PromotionGateName.SafetySuppression,
  PromotionGateName.DrillRecency,
] as const satisfies readonly PromotionGateName[];

/** Spec 30 §6: `gates.*.status`. */
export const PromotionGateStatus = {
  Pass: "pass",
  Fail: "fail",
} as const;
export type PromotionGateStatus = (typeof PromotionGateStatus)[keyof typeof PromotionGateStatus];

/** Spec 30 §5.6, 31 §5, 33 §4: `summary.decision`. */
export const PromotionDecision = {
  Promote: "promote",
  Hold: "hold",
  /** CI wrapper only: evidence missing in skip mode (spec 31 §4.1). */
  Skipped: "skipped",
  /** Orchestration default when the CI result has no decision (spec 33 §2 step 5). */
  Unknown: "unknown",
} as const;
export type PromotionDecision = (typeof PromotionDecision)[keyof typeof PromotionDecision];

/** Spec 30 §6: `source.fleetStatusSource`. */
export const PromotionFleetStatusSource = {
  File: "file",
  Generated: "generated",
} as const;
export type PromotionFleetStatusSource =
  (typeof PromotionFleetStatusSource)[keyof typeof PromotionFleetStatusSource];

/** Spec 30 §5.1: gate `governance` reasons (in emission order). */
export const PromotionGovernanceReasonCode = {
  /** `autonomous.enabled` absent, null or false. */
  PromotionPolicyModeNotGuardedAuto: "promotion_policy_mode_not_guarded_auto",
  PromotionGovernancePostureNotActive: "promotion_governance_posture_not_active",
  PromotionGovernanceBlocksAutonomous: "promotion_governance_blocks_autonomous",
  PromotionGovernanceAuthorityMissing: "promotion_governance_authority_missing",
  PromotionGovernanceReviewDeadlineMissing: "promotion_governance_review_deadline_missing",
  PromotionGovernanceReviewExpired: "promotion_governance_review_expired",
} as const;
export type PromotionGovernanceReasonCode =
  (typeof PromotionGovernanceReasonCode)[keyof typeof PromotionGovernanceReasonCode];

/** Spec 30 §5.2: gate `outcome_reliability` reasons (in emission order). */
export const PromotionOutcomeReliabilityReasonCode = {
  PromotionHandoffTelemetryMissing: "promotion_handoff_telemetry_missing",
  PromotionHandoffTelemetryInvalid: "promotion_handoff_telemetry_invalid",
  /** Fewer autonomous runs in the window than `--min-sample-size`. */
  PromotionAutonomousSampleInsufficient: "promotion_autonomous_sample_insufficient",
  /** Sample reached but no intents were attempted. */
  PromotionAutonomousAttemptsZero: "promotion_autonomous_attempts_zero",
  PromotionAutonomousAmbiguityRateExceeded: "promotion_autonomous_ambiguity_rate_exceeded",
  PromotionAutonomousFailureRateExceeded: "promotion_autonomous_failure_rate_exceeded",
} as const;
export type PromotionOutcomeReliabilityReasonCode =
  (typeof PromotionOutcomeReliabilityReasonCode)[keyof typeof PromotionOutcomeReliabilityReasonCode];

/** Spec 30 §5.3: gate `manual_backlog` reasons. */
export const PromotionManualBacklogReasonCode = {
  /** `autonomous.outcomeRollup.manual_backlog` absent/null. */
  PromotionManualBacklogUnavailable: "promotion_manual_backlog_unavailable",
  PromotionManualBacklogExceeded: "promotion_manual_backlog_exceeded",
} as const;
export type PromotionManualBacklogReasonCode =
  (typeof PromotionManualBacklogReasonCode)[keyof typeof PromotionManualBacklogReasonCode];

/** Spec 30 §5.4: gate `safety_suppression` reasons. */
export const PromotionSafetySuppressionReasonCode = {
  PromotionAutopauseActive: "promotion_autopause_active",
  /** A required `byPath` key (see {@link SuppressionPath}) is absent from fleet status. */
  PromotionSuppressionPathsMissing: "promotion_suppression_paths_missing",
} as const;
export type PromotionSafetySuppressionReasonCode =
  (typeof PromotionSafetySuppressionReasonCode)[keyof typeof PromotionSafetySuppressionReasonCode];

/** Spec 30 §5.5: gate `drill_recency` file-level reasons (per-drill codes: {@link promotionDrillReasonCode}). */
export const PromotionDrillStateReasonCode = {
  PromotionDrillStateMissing: "promotion_drill_state_missing",
  PromotionDrillStateInvalid: "promotion_drill_state_invalid",
} as const;
export type PromotionDrillStateReasonCode =
  (typeof PromotionDrillStateReasonCode)[keyof typeof PromotionDrillStateReasonCode];

/** Spec 30 §4.3: required drill ids (`drills[].id`). */
export const PromotionDrillId = {
  KillSwitch: "kill_switch",
  SpriteServiceOutage: "sprite_service_outage",
  AmbiguousRetryGuard: "ambiguous_retry_guard",
} as const;
export type PromotionDrillId = (typeof PromotionDrillId)[keyof typeof PromotionDrillId];

/** Spec 30 §4.3 / §6: required drills in their fixed order (`gates.drillRecency.requiredDrills`). */
export const REQUIRED_PROMOTION_DRILL_IDS = [
  PromotionDrillId.KillSwitch,
  PromotionDrillId.SpriteServiceOutage,
  PromotionDrillId.AmbiguousRetryGuard,
] as const satisfies readonly PromotionDrillId[];

/** Spec 30 §5.5: prefixes of the per-drill reasons `<prefix><drill id>` (emitted in this order). */
export const PromotionDrillReasonPrefix = {
  /** No entry with that id. */
  Missing: "promotion_drill_missing_",
  /** Entry `status` is not exactly `"pass"`. */
  NotPassed: "promotion_drill_not_passed_",
  /** Entry `completedAt` absent or unparseable. */
  TimestampInvalid: "promotion_drill_timestamp_invalid_",
  /** Entry older than `--max-drill-age-hours`. */
  Stale: "promotion_drill_stale_",
} as const;
export type PromotionDrillReasonPrefix =
  (typeof PromotionDrillReasonPrefix)[keyof typeof PromotionDrillReasonPrefix];

/** Spec 30 §5.5: one of the 12 concrete per-drill reason codes, e.g. `promotion_drill_missing_kill_switch`. */
export type PromotionDrillReasonCode = `${PromotionDrillReasonPrefix}${PromotionDrillId}`;

/** Builds a per-drill reason code (spec 30 §5.5). */
export function promotionDrillReasonCode(
  prefix: PromotionDrillReasonPrefix,
  drillId: PromotionDrillId,
): PromotionDrillReasonCode {
  return `${prefix}${drillId}`;
}

/** Spec 30 §5.7: every fixed reason code of the evaluator (per-drill codes: {@link PromotionDrillReasonCode}). */
export const PromotionGateReasonCode = {
  ...PromotionGovernanceReasonCode,
  ...PromotionOutcomeReliabilityReasonCode,
  ...PromotionManualBacklogReasonCode,
  ...PromotionSafetySuppressionReasonCode,
  ...PromotionDrillStateReasonCode,
} as const;
export type PromotionGateReasonCode = (typeof PromotionGateReasonCode)[keyof typeof PromotionGateReasonCode];

// ---------------------------------------------------------------------------------------------------
// Promotion CI, apply and orchestrate (specs 31–34)
// ---------------------------------------------------------------------------------------------------

/** Spec 31 §4.1 / §5: reason code added by the CI wrapper (skipped runs only). */
export const PromotionCiReasonCode = {
  PromotionCiMissingEvidence: "promotion_ci_missing_evidence",
} as const;
export type PromotionCiReasonCode = (typeof PromotionCiReasonCode)[keyof typeof PromotionCiReasonCode];

/** Spec 32 §1 / §3.2: apply `--intent` and apply record `intent`. */
export const PromotionApplyIntent = {
  /** Raise canary percentage and unpause. */
  Expand: "expand",
  /** Unpause only. */
  Resume: "resume",
  /** Force manual pause (allowed with any decision). */
  Rollback: "rollback",
} as const;
export type PromotionApplyIntent = (typeof PromotionApplyIntent)[keyof typeof PromotionApplyIntent];

/** Spec 32 §5: apply record `status` (always `applied`; failures are stderr + exit 1, never reason-coded). */
export const PromotionApplyStatus = {
  Applied: "applied",
} as const;
export type PromotionApplyStatus = (typeof PromotionApplyStatus)[keyof typeof PromotionApplyStatus];

/** Spec 32 §5: apply record / apply telemetry `category`. */
export const PromotionApplyCategory = {
  PromotionApply: "promotion_apply",
} as const;
export type PromotionApplyCategory = (typeof PromotionApplyCategory)[keyof typeof PromotionApplyCategory];

/** Spec 33 §1 / 34 §3.1: orchestration `--mode` / result `mode`. */
export const PromotionOrchestrateMode = {
  DryRun: "dry_run",
  Apply: "apply",
  Rollback: "rollback",
} as const;
export type PromotionOrchestrateMode =
  (typeof PromotionOrchestrateMode)[keyof typeof PromotionOrchestrateMode];

/** Spec 33 §4: orchestration result `status`. */
export const PromotionOrchestrateStatus = {
  /** `dry_run`: apply not invoked. */
  Preview: "preview",
  Applied: "applied",
  RolledBack: "rolled_back",
} as const;
export type PromotionOrchestrateStatus =
  (typeof PromotionOrchestrateStatus)[keyof typeof PromotionOrchestrateStatus];
