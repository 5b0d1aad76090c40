/**
 * Promotion orchestration (spec 33): the zod schema of its result artifact
 * (`fleet/promotion-orchestrate-result.json`, also stdout, §4) and the pure parts — the delegate
 * argument vectors (§3.1, §3.2; every value one argument, careful Q1), reading the CI result (§2
 * step 5) and the apply record (§3.2), composing the result (§4) and the Markdown summary (§5).
 */
import { isJsonObject, type JsonObject, TimestampSchema } from "@ops/contract";
import { z } from "zod";
import type { PromotionCiDecision } from "../ci/schemas.js";
import { csvOrNone } from "../ci/summary.js";
import { nonEmpty, type PromotionEvidenceFlags } from "../shared/args.js";
import { sortedUniqueCodeUnits } from "../shared/sort.js";

export const PROMOTION_ORCHESTRATE_SCHEMA_VERSION = "v1";

export const ORCHESTRATE_MODES = ["dry_run", "apply", "rollback"] as const;
export const OrchestrateModeSchema = z.enum(ORCHESTRATE_MODES);
export type OrchestrateMode = z.infer<typeof OrchestrateModeSchema>;

export const ORCHESTRATE_APPLY_INTENTS = ["expand", "resume"] as const;
export type OrchestrateApplyIntent = (typeof ORCHESTRATE_APPLY_INTENTS)[number];

export const OrchestrateStatusSchema = z.enum(["preview", "applied", "rolled_back"]);
export type OrchestrateStatus = z.infer<typeof OrchestrateStatusSchema>;

/** §4 — the orchestration result, fields in the spec's order. */
export const PromotionOrchestrateResultSchema = z.object({
  schemaVersion: z.literal(PROMOTION_ORCHESTRATE_SCHEMA_VERSION),
  timestamp: TimestampSchema,
  mode: OrchestrateModeSchema,
  status: OrchestrateStatusSchema,
  decision: z.string(),
  traceId: z.string().min(1).nullable(),
  loopId: z.string().min(1).nullable(),
  horizonRef: z.string().min(1).nullable(),
  evidenceRefs: z.array(z.string().min(1)),
  summary: z.object({ failedGates: z.array(z.string()), reasonCodes: z.array(z.string()) }),
  apply: z.object({
    executed: z.boolean(),
    intent: z.string().nullable(),
    idempotencyKey: z.string().min(1).nullable(),
    /** The apply record verbatim (a replay carries `replayed: true`). */
    record: z.record(z.string(), z.unknown()).nullable(),
  }),
  files: z.object({
    resultFile: z.string().min(1),
    summaryFile: z.string().min(1),
    promotionCiResultFile: z.string().min(1),
    promotionCiSummaryFile: z.string().min(1),
  }),
});
export type PromotionOrchestrateResult = z.infer<typeof PromotionOrchestrateResultSchema>;

export const MESSAGES = {
  repo: "--repo is required",
  mode: "--mode must be one of dry_run, apply, rollback",
  applyIntent: "--apply-intent must be one of expand, resume",
  expandStep: "--expand-step must be an integer between 1 and 100",
  applyOutput: "promotion apply output was not valid JSON",
} as const;

/** Governance flags required for `apply` / `rollback`, in validation order. */
export const GOVERNANCE_FLAGS = [
  ["by", "--by"],
  ["approvalRef", "--approval-ref"],
  ["rationale", "--rationale"],
  ["reviewBy", "--review-by"],
] as const;

export function isOrchestrateMode(value: unknown): value is OrchestrateMode {
  return typeof value === "string" && (ORCHESTRATE_MODES as readonly string[]).includes(value);
}

export function isOrchestrateApplyIntent(value: unknown): value is OrchestrateApplyIntent {
  return typeof value === "string" && (ORCHESTRATE_APPLY_INTENTS as readonly string[]).includes(value);
}

/** The CI-facing options, as given (non-empty ones are forwarded; the CI wrapper validates them). */
export interface CiOptions extends PromotionEvidenceFlags {
  readonly skipOnMissingEvidence?: boolean | undefined;
  readonly failOnHold?: boolean | undefined;
  readonly traceId?: string | undefined;
}

const CI_VALUE_FLAGS = [
  ["fleetStatusFile", "--fleet-status-file"],
  ["handoffTelemetryFile", "--handoff-telemetry-file"],
  ["drillStateFile", "--drill-state-file"],
  ["windowExecutions", "--window-executions"],
  ["minSampleSize", "--min-sample-size"],
  ["maxAmbiguityRate", "--max-ambiguity-rate"],
  ["maxFailureRate", "--max-failure-rate"],
  ["maxManualBacklog", "--max-manual-backlog"],
  ["maxDrillAgeHours", "--max-drill-age-hours"],
] as const;

/**
 * §3.1 — the CI wrapper's argument vector. Never `--pretty`, `--promotion-state-file` or
 * `--promotion-telemetry-file` (the evaluator writes its default promotion state / telemetry).
 */
export function ciArguments(
  repo: string,
  resultFile: string,
  summaryFile: string,
  options: CiOptions,
): string[] {
  const args = ["--repo", repo, "--result-file", resultFile, "--summary-file", summaryFile];
  for (const [key, flag] of CI_VALUE_FLAGS) {
    const value = options[key];
    if (nonEmpty(value)) args.push(flag, value);
  }
  if (options.skipOnMissingEvidence === true) args.push("--skip-on-missing-evidence");
  if (options.failOnHold === true) args.push("--fail-on-hold");
  if (nonEmpty(options.traceId)) args.push("--trace-id", options.traceId);
  return args;
}

export interface ApplyOptions {
  readonly intent: "expand" | "resume" | "rollback";
  readonly by: string;
  readonly approvalRef: string;
  readonly rationale: string;
  readonly reviewBy: string;
  /** Only for mode `apply` with intent `expand`. */
  readonly expandStep?: number | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly traceId?: string | undefined;
  readonly loopId?: string | undefined;
  readonly horizonRef?: string | undefined;
  readonly evidenceRefs: readonly string[];
}

/** §3.2 — promotion apply's argument vector; the CI result file is its promotion state. */
export function applyArguments(repo: string, ciResultFile: string, options: ApplyOptions): string[] {
  const args = [
    "--repo",
    repo,
    "--promotion-state-file",
    ciResultFile,
    "--intent",
    options.intent,
    "--by",
    options.by,
    "--approval-ref",
    options.approvalRef,
    "--rationale",
    options.rationale,
    "--review-by",
    options.reviewBy,
  ];
  if (options.expandStep !== undefined) args.push("--expand-step", String(options.expandStep));
  if (nonEmpty(options.idempotencyKey)) args.push("--idempotency-key", options.idempotencyKey);
  if (nonEmpty(options.traceId)) args.push("--trace-id", options.traceId);
  if (nonEmpty(options.loopId)) args.push("--loop-id", options.loopId);
  if (nonEmpty(options.horizonRef)) args.push("--horizon-ref", options.horizonRef);
  for (const ref of options.evidenceRefs) args.push("--evidence-ref", ref);
  return args;
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
}

function stringAt(record: JsonObject | null, key: string): string | null {
  const value = record?.[key];
  return typeof value === "string" && value !== "" ? value : null;
}

export interface ComposeInput {
  readonly timestamp: string;
  readonly mode: OrchestrateMode;
  /** §2 step 5: the CI result's decision fields with their defaults (`promotionCiDecisionOf`). */
  readonly ci: PromotionCiDecision;
  readonly traceId?: string | undefined;
  readonly loopId?: string | undefined;
  readonly horizonRef?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly evidenceRefs: readonly string[];
  /** The apply record when apply ran successfully, else null. */
  readonly record: JsonObject | null;
  readonly files: PromotionOrchestrateResult["files"];
}

/** §4 — the orchestration result. */
export function composeResult(input: ComposeInput): PromotionOrchestrateResult {
  const record = input.record;
  const recordFiles = record !== null && isJsonObject(record["files"]) ? record["files"] : null;
  const recordEvidence = record === null ? [] : stringList(record["evidenceRefs"]);
  const evidence = [
    ...input.evidenceRefs,
    input.files.promotionCiResultFile,
    input.files.promotionCiSummaryFile,
    stringAt(recordFiles, "promotionStateFile"),
    stringAt(recordFiles, "applyStateFile"),
    ...recordEvidence,
  ].filter((ref): ref is string => typeof ref === "string" && ref !== "");
  const status: OrchestrateStatus =
    input.mode === "dry_run" ? "preview" : input.mode === "apply" ? "applied" : "rolled_back";
  return {
    schemaVersion: PROMOTION_ORCHESTRATE_SCHEMA_VERSION,
    timestamp: input.timestamp,
    mode: input.mode,
    status,
    decision: input.ci.decision,
    traceId: nonEmpty(input.traceId) ? input.traceId : stringAt(record, "traceId"),
    loopId: nonEmpty(input.loopId) ? input.loopId : stringAt(record, "loopId"),
    horizonRef: nonEmpty(input.horizonRef) ? input.horizonRef : stringAt(record, "horizonRef"),
    evidenceRefs: sortedUniqueCodeUnits(evidence),
    summary: { failedGates: input.ci.failedGates, reasonCodes: input.ci.reasonCodes },
    apply: {
      executed: record !== null,
      intent: typeof record?.["intent"] === "string" ? record["intent"] : null,
      idempotencyKey: nonEmpty(input.idempotencyKey) ? input.idempotencyKey : null,
      record,
    },
    files: input.files,
  };
}

/** §5 — the Markdown summary (lines joined by `\n`, trailing newline). */
export function renderSummary(result: PromotionOrchestrateResult): string {
  const lines = [
    "## Ops Manager Promotion Orchestration",
    "",
    `Mode: \`${result.mode}\``,
    "",
    `Status: \`${result.status}\``,
    "",
    `Promotion decision: \`${result.decision}\``,
    "",
    `Failed gates: ${csvOrNone(result.summary.failedGates)}`,
    "",
    `Reason codes: ${csvOrNone(result.summary.reasonCodes)}`,
  ];
  if (result.apply.executed) lines.push("", `Apply intent: \`${result.apply.intent ?? ""}\``);
  lines.push(
    "",
    `Result JSON: \`${result.files.resultFile}\``,
    "",
    `Promotion CI result: \`${result.files.promotionCiResultFile}\``,
  );
  return `${lines.join("\n")}\n`;
}
