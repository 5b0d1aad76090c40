/**
 * The artifacts of control (spec 15 §3) and the confirm-intent document (spec 15 §4), used both to
 * validate what control writes and to read it back (e.g. the idempotent replay of a local intent).
 *
 * Defined in @ops/reconcile (not @ops/contract) while the control issue is in flight. Null-valued
 * keys are omitted at the top level and inside `execution`, `confirmation`, `outcome` (spec 15 §3),
 * so "omit-if-null/empty" fields are `.optional()` and never `.nullable()`.
 */
import { JsonObjectSchema, NonNegativeIntSchema, TimestampSchema } from "@ops/contract";
import { z } from "zod";

export const ControlIntentSchema = z.enum(["cancel", "approve", "reject"]);
export type ControlIntentName = z.infer<typeof ControlIntentSchema>;

export const ControlTransportSchema = z.enum(["local", "sprite_service"]);
export type ControlTransport = z.infer<typeof ControlTransportSchema>;

/**
 * Final status: the four of spec 15 §2.4, or a value the service supplied (Q15-4, recorded
 * verbatim), so any non-empty string.
 */
export const ControlStatusSchema = z.string().min(1);

export const ControlReasonCodeSchema = z.enum(["control_ambiguous", "control_failed_command"]);

/** confirm-intent `reason` (spec 15 §1, §4; `approval_observed` is the careful addition of 10a §4.4). */
export const ConfirmReasonSchema = z.enum([
  "inactive_not_running",
  "completion_observed",
  "approval_observed",
  "rejection_observed",
  "timeout",
]);
export type ConfirmReason = z.infer<typeof ConfirmReasonSchema>;

/** The confirm-intent document (spec 15 §4 step 4): nothing omitted, empty strings become null. */
export const ConfirmResultSchema = z.strictObject({
  intent: ControlIntentSchema,
  confirmed: z.boolean(),
  reason: ConfirmReasonSchema,
  attempts: z.number().int().min(1),
  timeoutSeconds: NonNegativeIntSchema,
  observedStatus: z.string().min(1),
  observedLastEvent: z.string().min(1).nullable(),
  observedApprovalStatus: z.string().min(1).nullable(),
  observedActive: z.boolean(),
  observedAt: TimestampSchema.nullable(),
});
export type ConfirmResult = z.infer<typeof ConfirmResultSchema>;

/** `<ops>/intents.jsonl` row, also printed on stdout (spec 15 §3.1). Key order = the spec's table. */
export const IntentEntrySchema = z.strictObject({
  timestamp: TimestampSchema,
  loopId: z.string().min(1),
  intent: ControlIntentSchema,
  traceId: z.string().min(1),
  requestedBy: z.string().min(1),
  note: z.string().min(1).optional(),
  transport: ControlTransportSchema,
  status: ControlStatusSchema,
  command: z.string().min(1),
  idempotencyKey: z.string().min(1),
  exitCode: NonNegativeIntSchema,
  confirmExitCode: NonNegativeIntSchema,
  confirmed: z.boolean(),
  commandOutput: z.string().min(1).optional(),
  /** The confirm-intent result (a hook or the service may add keys, so any object). */
  confirm: JsonObjectSchema.optional(),
});
export type IntentEntry = z.infer<typeof IntentEntrySchema>;

/** `<ops>/telemetry/control.jsonl` row (spec 15 §3.2). */
export const ControlTelemetrySchema = z.strictObject({
  timestamp: TimestampSchema,
  startedAt: TimestampSchema,
  loopId: z.string().min(1),
  intent: ControlIntentSchema,
  traceId: z.string().min(1),
  transport: ControlTransportSchema,
  status: ControlStatusSchema,
  reasonCode: ControlReasonCodeSchema.optional(),
  idempotencyKey: z.string().min(1),
  requestedBy: z.string().min(1),
  exitCode: NonNegativeIntSchema,
  confirmExitCode: NonNegativeIntSchema,
  confirmed: z.boolean(),
  durationSeconds: NonNegativeIntSchema,
  retryAttempts: z.number().int().min(1),
  retryBackoffSeconds: NonNegativeIntSchema,
});
export type ControlTelemetry = z.infer<typeof ControlTelemetrySchema>;

/**
 * Spec 15 §3.3's three values, plus `unknown` (careful addition): over the sprite service, the
 * request may have reached the service but no answer says what control did (a timeout, a dropped
 * connection, a 5xx; or the service's answer for a key whose earlier run was never answered).
 */
export const ExecutionStatusSchema = z.enum(["not_started", "succeeded", "failed_command", "unknown"]);
export type ExecutionStatus = z.infer<typeof ExecutionStatusSchema>;

/**
 * One attempt of a sprite-service control request (audit `execution.attempts`, careful addition;
 * nulls omitted): the HTTP `status` (0 = no response) and `code` (`"000"` for transport errors), the
 * transport `error`, the client's `failure` kind for attempts without a response, the `delivery`
 * verdict (`answered`, `not_delivered` — demonstrably did not run control —, `maybe_delivered`), and
 * whether it was retried after `delayMs`.
 */
export const ServiceAttemptRecordSchema = z.strictObject({
  attempt: z.number().int().min(1),
  status: NonNegativeIntSchema,
  code: z.string().min(1),
  error: z.string().optional(),
  failure: z.enum(["not_sent", "maybe_sent", "invalid", "aborted"]).optional(),
  delivery: z.enum(["answered", "not_delivered", "maybe_delivered"]),
  retried: z.boolean(),
  delayMs: NonNegativeIntSchema,
});
export type ServiceAttemptRecord = z.infer<typeof ServiceAttemptRecordSchema>;

export const ConfirmationStatusSchema = z.enum([
  "confirmed",
  "ambiguous",
  "skipped",
  "not_attempted",
  "attempted_unknown",
]);
export type ConfirmationStatus = z.infer<typeof ConfirmationStatusSchema>;

/** `<ops>/telemetry/control-invocations.jsonl` row (spec 15 §3.3, audit). */
export const ControlInvocationSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  timestamp: TimestampSchema,
  startedAt: TimestampSchema,
  loopId: z.string().min(1),
  intent: ControlIntentSchema,
  traceId: z.string().min(1),
  transport: ControlTransportSchema,
  requestedBy: z.string().min(1),
  note: z.string().min(1).optional(),
  idempotencyKey: z.string().min(1),
  request: z.strictObject({
    doConfirm: z.boolean(),
    timeoutSeconds: NonNegativeIntSchema,
    intervalSeconds: NonNegativeIntSchema,
    retryAttempts: z.number().int().min(1),
    retryBackoffSeconds: NonNegativeIntSchema,
  }),
  execution: z.strictObject({
    status: ExecutionStatusSchema,
    exitCode: NonNegativeIntSchema,
    command: z.string().min(1),
    output: z.string().min(1).optional(),
    /** Service idempotent replay; for local, true only for a replayed caller-supplied key. */
    replayed: z.boolean(),
    /** sprite_service only: every attempt of the request (careful addition). */
    attempts: z.array(ServiceAttemptRecordSchema).optional(),
  }),
  confirmation: z.strictObject({
    attempted: z.boolean(),
    status: ConfirmationStatusSchema,
    exitCode: NonNegativeIntSchema,
    outcome: JsonObjectSchema.optional(),
  }),
  outcome: z.strictObject({
    status: ControlStatusSchema,
    confirmed: z.boolean(),
    reasonCode: ControlReasonCodeSchema.optional(),
    durationSeconds: NonNegativeIntSchema,
  }),
});
export type ControlInvocation = z.infer<typeof ControlInvocationSchema>;
