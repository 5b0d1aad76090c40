// The per-loop reconcile pipeline (spec 13): `reconcile()` plus its pure building blocks.
export { inProcessAlertDispatch } from "./alert-dispatch.js";
export {
  type AlertDispatchFunction,
  type AlertDispatchOutcome,
  type AlertDispatchRequest,
  notConfiguredAlertDispatch,
  type ReconcileContext,
  type ReconcileQuirkOptions,
} from "./context.js";
export {
  formatSnapshotDigestCache,
  parseSnapshotDigestCache,
  readSnapshotDigestCache,
  SNAPSHOT_DIGEST_CACHE_FILE,
  snapshotDigestCachePath,
  writeSnapshotDigestCache,
} from "./digest-cache.js";
export {
  divergenceDetected,
  divergenceEscalation,
  type EscalationFrame,
  healthEscalation,
  healthEscalationDue,
  orderingDriftEscalation,
  type PreviousHealth,
  previousHealthOf,
  profileDriftActivated,
  profileDriftEscalation,
} from "./escalations.js";
export {
  type HeartbeatProjection,
  type HeartbeatProjectionInput,
  heartbeatFreshness,
  projectHeartbeat,
} from "./heartbeat.js";
export {
  type HookEnv,
  type HookResult,
  type HookRunOptions,
  hookErrorMessage,
  hookScript,
  parseHookObject,
  RECONCILE_HOOKS,
  type ReconcileHook,
  runHook,
} from "./hooks.js";
export type { IngestFailureCode, IngestOutcome } from "./ingest-batch.js";
export {
  CURSOR_VALUES_INVALID_MESSAGE,
  EVENTS_SHAPE_INVALID_MESSAGE,
  SNAPSHOT_NOT_JSON_MESSAGE,
  SNAPSHOT_SHAPE_INVALID_MESSAGE,
  serviceClientArguments,
} from "./ingest-service.js";
export {
  ALERTS_ENABLED_ENV,
  type ParsedReconcileFlags,
  parseReconcileFlags,
  type ReconcileFile,
  type ReconcileFiles,
  type ReconcileInput,
  type ReconcileOptions,
  resolveReconcileOptions,
} from "./options.js";
export {
  eventBatchEvidencePath,
  type ReconcileResult,
  readCursorOffset,
  reconcile,
  SERVICE_BASE_URL_REQUIRED_MESSAGE,
} from "./reconcile.js";
export * from "./schemas.js";
export {
  EMPTY_SEQUENCE_SUMMARY,
  type EventSequenceSummary,
  EventSequenceTracker,
  evaluateSequence,
  previousEventBaseline,
  type SequenceEvaluation,
  type SequenceEvaluationInput,
  type SequenceQuirkOptions,
} from "./sequence.js";
export { mergeDriftState, mergeFailureState, mergeSuccessState, tuningOf } from "./state-merge.js";
export {
  alertDispatchArguments,
  healthArguments,
  profileDriftArguments,
  ReconcileStepError,
  telemetrySummaryArguments,
} from "./steps.js";
export { alertDispatchFailureRow, type ReconcileTelemetryInput, reconcileTelemetryRow } from "./telemetry.js";
export { projectTransportHealth, type TransportHealthUpdate } from "./transport-health.js";
export { OUTPUT_TAIL_LINES, outputTail } from "./util.js";
