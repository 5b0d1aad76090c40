/**
 * The status document (spec 17 §3–§7) plus the additive `runtimeProcess` block (spec 10a §4.5).
 *
 * Field presence follows the spec exactly: "nulls omitted" sections use optional keys (absent, never
 * `null`); every other field is always present and may hold `null`. Values copied from artifacts are
 * typed by what their writers produce (spec 13/14/15/18/19); a copied value of another type is
 * treated as absent (see `coalesce.ts`), so every document `loopStatus` returns parses with
 * `StatusDocumentSchema`.
 */
import { z } from "zod";

const NullableString = z.string().nullable();
const JsonRecord = z.record(z.string(), z.unknown());
const Count = z.number();

export const StatusSourceSchema = z.strictObject({
  repoPath: z.string(),
  loopId: z.string(),
});

export const StatusLifecycleSchema = z.strictObject({
  /** `S.transition.currentState ?? S.projection.status ?? "unknown"`. */
  state: z.string(),
  confidence: NullableString,
  runId: NullableString,
  iteration: z.number().nullable(),
});

export const StatusCursorSchema = z.strictObject({
  eventLineOffset: z.number(),
  eventLineCount: z.number(),
});

export const StatusControlSchema = z.strictObject({
  lastIntent: NullableString,
  lastStatus: NullableString,
  lastRequestedBy: NullableString,
  lastTimestamp: NullableString,
  lastTraceId: NullableString,
});

export const StatusReconcileSchema = z.strictObject({
  lastStatus: NullableString,
  lastTimestamp: NullableString,
  lastTransport: NullableString,
  lastFailureCode: NullableString,
  lastDurationSeconds: z.number().nullable(),
  lastTraceId: NullableString,
});

/** §4.1 (nulls omitted). */
export const StatusHeartbeatVisibilitySchema = z.strictObject({
  freshnessStatus: z.string().optional(),
  reasonCode: z.string().optional(),
  lastHeartbeatAt: z.string().optional(),
  heartbeatLagSeconds: z.number().optional(),
  updatedAt: z.string().optional(),
  transport: z.string().optional(),
  traceId: z.string().optional(),
});

/** §4.2 (nulls omitted). `driftActive`: `true` per the spec; explicit `false` is the additive Q17-1 form. */
export const StatusSequenceVisibilitySchema = z.strictObject({
  status: z.string().optional(),
  reasonCode: z.string().optional(),
  driftActive: z.boolean().optional(),
  violations: z.array(z.string()).optional(),
  snapshotCurrent: z.number().optional(),
  eventsLast: z.number().optional(),
  updatedAt: z.string().optional(),
  transport: z.string().optional(),
  traceId: z.string().optional(),
});

/** §4.3 (nulls omitted). `replayed`: `true` per the spec; explicit `false` is the additive Q17-1 form. */
export const StatusInvocationAuditSchema = z.strictObject({
  timestamp: z.string().optional(),
  intent: z.string().optional(),
  transport: z.string().optional(),
  idempotencyKey: z.string().optional(),
  executionStatus: z.string().optional(),
  confirmationStatus: z.string().optional(),
  outcomeStatus: z.string().optional(),
  replayed: z.boolean().optional(),
  traceId: z.string().optional(),
});

/** §4.4 (nulls omitted, always an object). */
export const StatusVisibilityTraceSchema = z.strictObject({
  controlTraceId: z.string().optional(),
  controlInvocationTraceId: z.string().optional(),
  reconcileTraceId: z.string().optional(),
  heartbeatTraceId: z.string().optional(),
  sequenceTraceId: z.string().optional(),
  alertTraceId: z.string().optional(),
  sharedTraceId: z.string().optional(),
});

/** §4: sub-surfaces with null members removed; `trace` is always there (Q17-2). */
export const StatusVisibilitySchema = z.strictObject({
  heartbeat: StatusHeartbeatVisibilitySchema.optional(),
  sequence: StatusSequenceVisibilitySchema.optional(),
  invocationAudit: StatusInvocationAuditSchema.optional(),
  trace: StatusVisibilityTraceSchema,
});

export const StatusTelemetrySummarySchema = z.strictObject({
  observed: JsonRecord.nullable(),
  source: JsonRecord.nullable(),
});

export const StatusTuningSchema = z.strictObject({
  summaryWindow: z.number().int().min(1),
  appliedProfile: NullableString,
  recommendedProfile: NullableString,
  confidence: NullableString,
  rationale: NullableString,
  telemetrySummary: StatusTelemetrySummarySchema.nullable(),
});

/** §5 `alerts.dispatch` (nulls omitted; the counters and arrays have defaults so they are always present). */
export const StatusAlertDispatchSchema = z.strictObject({
  status: z.string().optional(),
  updatedAt: z.string().optional(),
  processedCount: Count,
  dispatchedCount: Count,
  skippedCount: Count,
  failedCount: Count,
  failureReasonCodes: z.array(z.string()),
  escalationsLineOffset: Count,
  escalationsLineCount: Count,
  lastTraceId: z.string().optional(),
});

/** §5 `alerts.lastDelivery` (nulls omitted). */
export const StatusAlertDeliverySchema = z.strictObject({
  timestamp: z.string().optional(),
  status: z.string().optional(),
  reasonCode: z.string().optional(),
  escalationCategory: z.string().optional(),
  eventSeverity: z.string().optional(),
  sinkCount: Count.optional(),
  dispatchedSinkCount: Count.optional(),
  failedSinkCount: Count.optional(),
  traceId: z.string().optional(),
  escalationTraceId: z.string().optional(),
});

/** §5 (nulls omitted at this level; the whole block is omitted when both sources are absent). */
export const StatusAlertsSchema = z.strictObject({
  dispatch: StatusAlertDispatchSchema.optional(),
  lastDelivery: StatusAlertDeliverySchema.optional(),
});

/** §6 legacy trace block (nulls kept). */
export const StatusTraceLinkageSchema = z.strictObject({
  controlTraceId: NullableString,
  controlInvocationTraceId: NullableString,
  reconcileTraceId: NullableString,
  heartbeatTraceId: NullableString,
  sequenceTraceId: NullableString,
  alertTraceId: NullableString,
  sharedTraceId: NullableString,
});

/** §7 (absolute paths, in this order). */
export const StatusFilesSchema = z.strictObject({
  stateFile: z.string(),
  cursorFile: z.string(),
  healthFile: z.string(),
  intentsFile: z.string(),
  heartbeatStateFile: z.string(),
  heartbeatTelemetryFile: z.string(),
  sequenceStateFile: z.string(),
  sequenceTelemetryFile: z.string(),
  controlInvocationsFile: z.string(),
  driftStateFile: z.string(),
  driftHistoryFile: z.string(),
  alertDispatchStateFile: z.string(),
  alertDispatchTelemetryFile: z.string(),
  reconcileTelemetryFile: z.string(),
  controlTelemetryFile: z.string(),
});

/**
 * Runtime process liveness (spec 10a §4.5), from `.superloop/active-run.json` and the runtime's
 * `.superloop/state.json`:
 * - `alive`: active-run.json registers this loop (or names no loop) and its pid is a live process;
 * - `dead`: it registers this loop but the pid is not alive (no such process, or a zombie);
 * - `absent`: no registration for this loop while the runtime state says this loop is active
 *   (`active: true`, `current_loop_id` this loop or missing) — e.g. after a crash;
 * - `not_running`: no registration for this loop and the runtime state is not active for it;
 * - `unknown`: cannot tell — see `reason`.
 */
export const RuntimeProcessStatusSchema = z.enum(["alive", "dead", "absent", "not_running", "unknown"]);
export type RuntimeProcessStatus = z.infer<typeof RuntimeProcessStatusSchema>;

export const RuntimeProcessReasonSchema = z.enum([
  /** active-run.json exists but stayed empty/invalid across torn-read retries, or is not an object. */
  "active_run_unreadable",
  /** active-run.json registers this loop but `pid` is not a positive integer. */
  "active_run_pid_invalid",
  /** No registration and the runtime state.json stayed empty/invalid across torn-read retries. */
  "runtime_state_unreadable",
  /** Neither runtime file nor `.superloop/loops/<loop>/` exists here (e.g. sprite_service, other host). */
  "runtime_files_not_local",
]);
export type RuntimeProcessReason = z.infer<typeof RuntimeProcessReasonSchema>;

export const StatusRuntimeProcessSchema = z.strictObject({
  status: RuntimeProcessStatusSchema,
  /** Why the status is `unknown` (omitted otherwise). */
  reason: RuntimeProcessReasonSchema.optional(),
  /** active-run.json `pid` / `pgid` / `loop_id` / `stage` / `updated_at` (null without a readable file). */
  pid: z.number().nullable(),
  pgid: z.number().nullable(),
  registeredLoopId: NullableString,
  stage: NullableString,
  registeredAt: NullableString,
  /** Runtime state.json `active` / `current_loop_id` (null when missing or unreadable). */
  runtimeActive: z.boolean().nullable(),
  runtimeLoopId: NullableString,
  activeRunFile: z.string(),
  runtimeStateFile: z.string(),
});

export const StatusDocumentSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  generatedAt: z.string(),
  source: StatusSourceSchema,
  lifecycle: StatusLifecycleSchema,
  /** `S.health` when present, else the health file (possibly `{}`), verbatim. */
  health: JsonRecord,
  cursor: StatusCursorSchema,
  control: StatusControlSchema,
  reconcile: StatusReconcileSchema,
  visibility: StatusVisibilitySchema,
  tuning: StatusTuningSchema,
  /** `profile-drift.json`, else `state.json.drift`, verbatim; omitted when neither exists (Q17-5). */
  drift: JsonRecord.optional(),
  alerts: StatusAlertsSchema.optional(),
  traceLinkage: StatusTraceLinkageSchema,
  files: StatusFilesSchema,
  /** Additive (spec 10a §4.5): whether the run's process is alive. Always present. */
  runtimeProcess: StatusRuntimeProcessSchema,
});

export type StatusDocument = z.infer<typeof StatusDocumentSchema>;
export type StatusHeartbeatVisibility = z.infer<typeof StatusHeartbeatVisibilitySchema>;
export type StatusSequenceVisibility = z.infer<typeof StatusSequenceVisibilitySchema>;
export type StatusInvocationAudit = z.infer<typeof StatusInvocationAuditSchema>;
export type StatusVisibilityTrace = z.infer<typeof StatusVisibilityTraceSchema>;
export type StatusVisibility = z.infer<typeof StatusVisibilitySchema>;
export type StatusTuning = z.infer<typeof StatusTuningSchema>;
export type StatusAlerts = z.infer<typeof StatusAlertsSchema>;
export type StatusAlertDispatch = z.infer<typeof StatusAlertDispatchSchema>;
export type StatusAlertDelivery = z.infer<typeof StatusAlertDeliverySchema>;
export type StatusTraceLinkage = z.infer<typeof StatusTraceLinkageSchema>;
export type StatusFiles = z.infer<typeof StatusFilesSchema>;
export type StatusRuntimeProcess = z.infer<typeof StatusRuntimeProcessSchema>;
