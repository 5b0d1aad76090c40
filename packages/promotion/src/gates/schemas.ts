/**
 * Promotion gates (spec 30): zod schemas of the artifacts the evaluator reads and writes.
 *
 * - `PromotionDecisionSchema` — the decision document (§6): printed on stdout, written to
 *   `fleet/promotion-state.json` (`PromotionStateSchema`) and appended to
 *   `fleet/telemetry/promotion.jsonl` (`PromotionTelemetryRowSchema`). Same content in all three.
 * - `PromotionDrillEvidenceSchema` — the operator-edited drill evidence file
 *   (`fleet/drills/promotion.v1.json`, §4.3), also compiled to JSON Schema and checked with ajv.
 * - `HandoffAutonomousRunSchema` — the part of a `fleet/telemetry/handoff.jsonl` execute record that
 *   the reliability gate reads (§4.2; the full record is owned by spec 24).
 */
import {
  FleetTelemetryCategory,
  HandoffExecutionMode,
  PROMOTION_GATE_ORDER,
  PromotionDecision,
  PromotionFleetStatusSource,
  PromotionGateStatus,
  REQUIRED_PROMOTION_DRILL_IDS,
  SuppressionPath,
  TimestampSchema,
} from "@ops/contract";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { z } from "zod";

export const PROMOTION_SCHEMA_VERSION = "v1";

/** Required suppression paths of the safety gate, in the fixed order of §5.4. */
export const REQUIRED_SUPPRESSION_PATHS = [
  SuppressionPath.PolicyGated,
  SuppressionPath.RolloutGated,
  SuppressionPath.GovernanceGated,
  SuppressionPath.TransportGated,
] as const;

const Count = z.number().int().min(0);
const Rate = z.number().min(0).max(1);
const GateStatusSchema = z.enum([PromotionGateStatus.Pass, PromotionGateStatus.Fail]);
const Reasons = z.array(z.string().min(1));

export const PromotionThresholdsSchema = z.strictObject({
  windowExecutions: z.number().int().min(1),
  minSampleSize: z.number().int().min(1),
  maxAmbiguityRate: Rate,
  maxFailureRate: Rate,
  maxManualBacklog: Count,
  maxDrillAgeHours: z.number().int().min(1),
});
export type PromotionThresholds = z.infer<typeof PromotionThresholdsSchema>;

export const GovernanceGateSchema = z.strictObject({
  status: GateStatusSchema,
  reasons: Reasons,
  posture: z.string().nullable(),
  /** The status value verbatim (`false` when absent/null) — any JSON value. */
  blocksAutonomous: z.json(),
  reasonCodes: z.array(z.string()),
});

export const OutcomeReliabilityGateSchema = z.strictObject({
  status: GateStatusSchema,
  reasons: Reasons,
  sampleRuns: Count,
  attempted: Count,
  executed: Count,
  ambiguous: Count,
  failed: Count,
  ambiguityRate: z.number().min(0),
  failureRate: z.number().min(0),
});

export const ManualBacklogGateSchema = z.strictObject({
  status: GateStatusSchema,
  reasons: Reasons,
  manualBacklog: z.number().nullable(),
});

export const SafetySuppressionGateSchema = z.strictObject({
  status: GateStatusSchema,
  reasons: Reasons,
  autopauseActive: z.boolean(),
  missingPaths: z.array(z.enum(REQUIRED_SUPPRESSION_PATHS)),
  /** The status `byPath` object verbatim, or null when it is not an object (Q10). */
  byPath: z.record(z.string(), z.json()).nullable(),
});

export const DrillRecencyGateSchema = z.strictObject({
  status: GateStatusSchema,
  reasons: Reasons,
  requiredDrills: z.array(z.enum(REQUIRED_PROMOTION_DRILL_IDS)),
  /** The drill file's `drills` array verbatim, unknown fields included (Q10). */
  drills: z.array(z.json()),
});

/** §6 — the decision document; keys in the spec's order. */
export const PromotionDecisionSchema = z.strictObject({
  schemaVersion: z.literal(PROMOTION_SCHEMA_VERSION),
  generatedAt: TimestampSchema,
  traceId: z.string().min(1),
  source: z.strictObject({
    repoPath: z.string().min(1),
    fleetStatusSource: z.enum([PromotionFleetStatusSource.File, PromotionFleetStatusSource.Generated]),
    fleetStatusFile: z.string().nullable(),
    handoffTelemetryFile: z.string(),
    drillStateFile: z.string(),
    promotionStateFile: z.string(),
    promotionTelemetryFile: z.string(),
  }),
  thresholds: PromotionThresholdsSchema,
  summary: z.strictObject({
    decision: z.enum([PromotionDecision.Promote, PromotionDecision.Hold]),
    promote: z.boolean(),
    gatePassCount: z.number().int().min(0).max(5),
    gateFailCount: z.number().int().min(0).max(5),
    failedGates: z.array(z.enum(PROMOTION_GATE_ORDER)),
    reasonCodes: z.array(z.string().min(1)),
  }),
  gates: z.strictObject({
    governance: GovernanceGateSchema,
    outcomeReliability: OutcomeReliabilityGateSchema,
    manualBacklog: ManualBacklogGateSchema,
    safetySuppression: SafetySuppressionGateSchema,
    drillRecency: DrillRecencyGateSchema,
  }),
});
export type PromotionDecisionDocument = z.infer<typeof PromotionDecisionSchema>;
export type PromotionGates = PromotionDecisionDocument["gates"];
export type PromotionSummary = PromotionDecisionDocument["summary"];

/** `fleet/promotion-state.json`: the latest decision document (overwritten each run). */
export const PromotionStateSchema = PromotionDecisionSchema;
export type PromotionState = PromotionDecisionDocument;

/** One line of `fleet/telemetry/promotion.jsonl`: the same document, appended each run. */
export const PromotionTelemetryRowSchema = PromotionDecisionSchema;
export type PromotionTelemetryRow = PromotionDecisionDocument;

/**
 * §4.3 — the drill evidence file, hand-written by operators. Only the structure is checked (a JSON
 * object whose `drills`, when present and not null, is an array of objects); the fields of each
 * entry are judged per drill by the gate (`not_passed`, `timestamp_invalid`, …), extra fields and
 * extra drills are allowed and echoed (Q10). `schemaVersion` and `updatedAt` are not validated.
 */
export const PromotionDrillEntrySchema = z.looseObject({
  id: z
    .unknown()
    .optional()
    .describe("Drill id; the required ids are kill_switch, sprite_service_outage, ambiguous_retry_guard"),
  status: z.unknown().optional().describe('Must be exactly "pass" for the drill to count'),
  completedAt: z.unknown().optional().describe("Completion time, strict UTC YYYY-MM-DDTHH:MM:SSZ"),
});
export const PromotionDrillEvidenceSchema = z.looseObject({
  schemaVersion: z.unknown().optional().describe('"v1" by convention; not validated'),
  updatedAt: z.unknown().optional().describe("Not used"),
  drills: z.array(PromotionDrillEntrySchema).nullable().optional(),
});
export type PromotionDrillEvidence = z.infer<typeof PromotionDrillEvidenceSchema>;

/** JSON Schema (draft 2020-12) of the drill evidence file, for operators and external tools. */
export function promotionDrillEvidenceJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(PromotionDrillEvidenceSchema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "throw",
  }) as Record<string, unknown>;
  return { ...generated, title: "ops-manager promotion drill evidence (v1)" };
}

let drillValidator: ValidateFunction | undefined;

/** ajv check of an operator-edited drill evidence document; `[]` when it is valid. */
export function validatePromotionDrillEvidence(value: unknown): string[] {
  drillValidator ??= new Ajv2020({ allErrors: true, strict: true }).compile(
    promotionDrillEvidenceJsonSchema(),
  );
  if (drillValidator(value)) return [];
  return (drillValidator.errors ?? []).map(
    (error) =>
      `${error.instancePath === "" ? "(root)" : error.instancePath} ${error.message ?? "is invalid"}`,
  );
}

const OptionalCount = Count.nullable().optional();

/**
 * §4.2 — the fields of a `fleet_handoff_execute` record with `execution.mode` = `autonomous` that
 * the reliability gate sums. Absent or null counts are 0; any other non-count value makes the
 * whole telemetry file invalid (fail closed, see README).
 */
export const HandoffAutonomousRunSchema = z.object({
  category: z.literal(FleetTelemetryCategory.FleetHandoffExecute),
  execution: z.object({
    mode: z.literal(HandoffExecutionMode.Autonomous),
    requestedIntentCount: OptionalCount,
    executedCount: OptionalCount,
    ambiguousCount: OptionalCount,
    failedCount: OptionalCount,
  }),
});
export type HandoffAutonomousRun = z.infer<typeof HandoffAutonomousRunSchema>;
