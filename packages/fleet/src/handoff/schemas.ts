/**
 * Fleet handoff (spec 24): zod schemas of the artifacts it owns — `fleet/handoff-state.json`
 * (§4, §7; also the stdout document) and the rows of `fleet/telemetry/handoff.jsonl` (§8.1 plan,
 * §8.2 execute) — plus the consumer view of the policy state it reads (`policy-state.json`,
 * spec 22 §7: only the fields handoff uses, leniently typed so that older or hand-written policy
 * states still load; anything else is ignored).
 */
import { JsonObjectSchema, TimestampSchema } from "@ops/contract";
import { z } from "zod";

export const HANDOFF_STATE_SCHEMA_VERSION = "v1";

const Int0 = z.number().int().min(0);
const NonEmptyString = z.string().min(1);

// ---------------------------------------------------------------------------------------------
// Input: the policy state (spec 22 §7 / §3.2 / §6.6), consumer view.

/** One policy candidate as handoff reads it (22 §3.2 + §6.6); null-valued keys are "absent". */
export const HandoffPolicyCandidateSchema = z.looseObject({
  loopId: NonEmptyString,
  category: z.string().nullish(),
  signal: z.string().nullish(),
  traceId: z.string().nullish(),
  candidateId: z.string().nullish(),
  severity: z.string().nullish(),
  confidence: z.string().nullish(),
  rationale: z.string().nullish(),
  recommendedIntent: z.string().nullish(),
  /** Only `true` suppresses (anything else counts as unsuppressed, §3). */
  suppressed: z.unknown().optional(),
  autonomous: z
    .looseObject({
      /** Only `true` is eligible (default false). */
      eligible: z.unknown().optional(),
      manualOnly: z.unknown().optional(),
      reasons: z.array(z.string()).nullish(),
    })
    .nullish(),
});
export type HandoffPolicyCandidate = z.infer<typeof HandoffPolicyCandidateSchema>;

/** `policy-state.json` as handoff reads it. */
export const HandoffPolicyStateSchema = z.looseObject({
  fleetId: z.string().nullish(),
  traceId: z.string().nullish(),
  /** Validated by handoff itself (§1.2 #16), so any JSON value is accepted here. */
  mode: z.unknown().optional(),
  candidates: z.array(HandoffPolicyCandidateSchema).nullish(),
});
export type HandoffPolicyState = z.infer<typeof HandoffPolicyStateSchema>;

/**
 * The previous handoff state as the retry guard reads it (§3.4): intent ids, statuses and
 * autonomy reasons only. Any JSON object with a well-formed (or absent) `intents` array loads.
 */
export const PreviousHandoffStateSchema = z.looseObject({
  intents: z
    .array(
      z.looseObject({
        intentId: z.string(),
        status: z.string().nullish(),
        autonomous: z.looseObject({ reasons: z.array(z.string()).nullish() }).nullish(),
        execution: z.looseObject({ mode: z.string().nullish(), status: z.string().nullish() }).nullish(),
      }),
    )
    .nullish(),
});
export type PreviousHandoffState = z.infer<typeof PreviousHandoffStateSchema>;

// ---------------------------------------------------------------------------------------------
// Output: handoff state (§4, §7).

export const HandoffModeSchema = z.enum(["advisory", "guarded_auto"]);
export type HandoffMode = z.infer<typeof HandoffModeSchema>;

export const HandoffIntentStatusSchema = z.enum([
  "pending_operator_confirmation",
  "executed",
  "execution_ambiguous",
  "execution_failed",
]);
export type HandoffIntentStatusValue = z.infer<typeof HandoffIntentStatusSchema>;

export const HandoffExecutionModeSchema = z.enum(["manual", "autonomous"]);
export type HandoffExecutionModeValue = z.infer<typeof HandoffExecutionModeSchema>;

export const HandoffResultStatusSchema = z.enum(["executed", "ambiguous", "failed"]);
export type HandoffResultStatusValue = z.infer<typeof HandoffResultStatusSchema>;

export const HandoffResultReasonCodeSchema = z.enum([
  "control_confirmed",
  "control_ambiguous",
  "control_failed_command",
  "autonomous_intent_not_eligible",
  "missing_service_base_url",
]);
export type HandoffResultReasonCodeValue = z.infer<typeof HandoffResultReasonCodeSchema>;

export const HandoffTransportSchema = z.enum(["local", "sprite_service"]);

/** §3.3 `autonomous`. */
export const HandoffIntentAutonomySchema = z.object({
  eligible: z.boolean(),
  manualOnly: z.boolean(),
  reasons: z.array(z.string()),
});
export type HandoffIntentAutonomy = z.infer<typeof HandoffIntentAutonomySchema>;

/** §3.3 `service` (null keys omitted). */
export const HandoffServiceSchema = z.object({
  baseUrl: z.string().optional(),
  tokenEnv: z.string().optional(),
  retryAttempts: z.number(),
  retryBackoffSeconds: z.number(),
});
export type HandoffService = z.infer<typeof HandoffServiceSchema>;

/** §7 `intents[].execution` (null keys omitted; booleans always written — careful Q4). */
export const HandoffIntentExecutionSchema = z.object({
  mode: HandoffExecutionModeSchema,
  executedAt: TimestampSchema,
  requestedBy: z.string(),
  status: HandoffResultStatusSchema,
  reasonCode: HandoffResultReasonCodeSchema,
  traceId: z.string(),
  idempotencyKey: z.string(),
  autonomousEligible: z.boolean(),
  controlExitCode: z.number().int(),
  controlStatus: z.string().optional(),
  confirmed: z.boolean().optional(),
  /** Beyond the spec: mirrors the result's `controlError`. */
  controlError: z.string().optional(),
});
export type HandoffIntentExecution = z.infer<typeof HandoffIntentExecutionSchema>;

/** §3.3 — one intent; field order as listed, null-valued keys omitted. */
export const HandoffIntentSchema = z.object({
  intentId: NonEmptyString,
  candidateId: NonEmptyString,
  loopId: NonEmptyString,
  category: z.string().optional(),
  severity: z.string().optional(),
  confidence: z.string().optional(),
  rationale: z.string().optional(),
  signal: z.string().optional(),
  intent: NonEmptyString,
  recommendedIntent: z.string().optional(),
  status: HandoffIntentStatusSchema,
  requiresOperatorConfirmation: z.literal(true),
  fleetTraceId: z.string(),
  policyTraceId: z.string(),
  candidateTraceId: z.string().optional(),
  autonomous: HandoffIntentAutonomySchema,
  idempotencyKey: z.string(),
  transport: HandoffTransportSchema,
  service: HandoffServiceSchema,
  metadata: JsonObjectSchema,
  execution: HandoffIntentExecutionSchema.optional(),
});
export type HandoffIntent = z.infer<typeof HandoffIntentSchema>;

/** §6.4 — one `execution.results[]` entry (null keys omitted; `autonomousEligible` always present). */
export const HandoffResultSchema = z.object({
  intentId: NonEmptyString,
  loopId: NonEmptyString,
  intent: NonEmptyString,
  traceId: z.string(),
  idempotencyKey: z.string(),
  requestedBy: z.string(),
  executedAt: TimestampSchema,
  status: HandoffResultStatusSchema,
  reasonCode: HandoffResultReasonCodeSchema,
  executionMode: HandoffExecutionModeSchema,
  autonomousEligible: z.boolean(),
  controlExitCode: z.number().int(),
  control: JsonObjectSchema.optional(),
  /** Beyond the spec: the failed control's last stderr line, when it printed no JSON document. */
  controlError: z.string().optional(),
});
export type HandoffResult = z.infer<typeof HandoffResultSchema>;

/** §7 `execution` (field order as listed; `note` is written as `null` without `--note` — Q2). */
export const HandoffExecutionSchema = z.object({
  mode: HandoffExecutionModeSchema,
  requestedBy: z.string(),
  requestedAt: TimestampSchema,
  completedAt: TimestampSchema,
  note: z.string().nullable(),
  requestedIntentCount: Int0,
  executedIntentCount: Int0,
  executedCount: Int0,
  ambiguousCount: Int0,
  failedCount: Int0,
  results: z.array(HandoffResultSchema),
});
export type HandoffExecution = z.infer<typeof HandoffExecutionSchema>;

/** §4 `summary`. */
export const HandoffSummarySchema = z.object({
  candidateCount: Int0,
  unsuppressedCandidateCount: Int0,
  intentCount: Int0,
  autoEligibleIntentCount: Int0,
  manualOnlyIntentCount: Int0,
  pendingConfirmationCount: Int0,
  executedCount: Int0,
  ambiguousCount: Int0,
  failedCount: Int0,
});
export type HandoffSummary = z.infer<typeof HandoffSummarySchema>;

/** §4 / §7 — `fleet/handoff-state.json` (also the stdout document). */
export const HandoffStateSchema = z.object({
  schemaVersion: z.literal(HANDOFF_STATE_SCHEMA_VERSION),
  generatedAt: TimestampSchema,
  updatedAt: TimestampSchema,
  fleetId: z.string(),
  traceId: NonEmptyString,
  policyTraceId: z.string(),
  mode: HandoffModeSchema,
  source: z.object({ registryFile: z.string(), policyStateFile: z.string() }),
  control: z.object({ idempotencyPrefix: NonEmptyString, requiresOperatorConfirmation: z.literal(true) }),
  intents: z.array(HandoffIntentSchema),
  summary: HandoffSummarySchema,
  reasonCodes: z.array(z.string()),
  execution: HandoffExecutionSchema.optional(),
});
export type HandoffState = z.infer<typeof HandoffStateSchema>;

// ---------------------------------------------------------------------------------------------
// Telemetry rows (§8).

/** §8.1 — plan record (every run). */
export const HandoffPlanTelemetryRowSchema = z.object({
  timestamp: TimestampSchema,
  category: z.literal("fleet_handoff_plan"),
  fleetId: z.string(),
  traceId: NonEmptyString,
  mode: HandoffModeSchema,
  summary: z.object({
    summary: HandoffSummarySchema,
    reasonCodes: z.array(z.string()),
    policyTraceId: z.string(),
  }),
});
export type HandoffPlanTelemetryRow = z.infer<typeof HandoffPlanTelemetryRowSchema>;

/** §8.2 — execute record (execution runs only). */
export const HandoffExecuteTelemetryRowSchema = z.object({
  timestamp: TimestampSchema,
  category: z.literal("fleet_handoff_execute"),
  fleetId: z.string(),
  traceId: NonEmptyString,
  execution: HandoffExecutionSchema,
  summary: z.object({ summary: HandoffSummarySchema, reasonCodes: z.array(z.string()) }),
});
export type HandoffExecuteTelemetryRow = z.infer<typeof HandoffExecuteTelemetryRowSchema>;

/** One line of `fleet/telemetry/handoff.jsonl`. */
export const HandoffTelemetryRowSchema = z.discriminatedUnion("category", [
  HandoffPlanTelemetryRowSchema,
  HandoffExecuteTelemetryRowSchema,
]);
export type HandoffTelemetryRow = z.infer<typeof HandoffTelemetryRowSchema>;
