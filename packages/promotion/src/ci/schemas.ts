/**
 * Promotion CI (spec 31): the result file `fleet/promotion-ci-result.json`. It holds either the
 * skipped document (§4.1) or, after an evaluation, the evaluator's decision document verbatim
 * (§4.2, the schema of spec 30 §6 for the built-in evaluator). Consumers (orchestration, apply)
 * read only `summary.decision` / `failedGates` / `reasonCodes`, with defaults:
 * {@link promotionCiDecisionOf}.
 */
import { isJsonObject, PromotionCiReasonCode, PromotionDecision, TimestampSchema } from "@ops/contract";
import { z } from "zod";
import { PROMOTION_SCHEMA_VERSION, PromotionDecisionSchema } from "../gates/schemas.js";

/** §4.1 — skipped result (missing evidence in skip mode). No traceId/thresholds/gates/failedGates. */
export const PromotionCiSkippedResultSchema = z.strictObject({
  schemaVersion: z.literal(PROMOTION_SCHEMA_VERSION),
  generatedAt: TimestampSchema,
  source: z.strictObject({ repoPath: z.string().min(1) }),
  summary: z.strictObject({
    decision: z.literal(PromotionDecision.Skipped),
    promote: z.literal(false),
    reasonCodes: z.tuple([z.literal(PromotionCiReasonCode.PromotionCiMissingEvidence)]),
    missingEvidencePaths: z.array(z.string()).min(1),
  }),
});
export type PromotionCiSkippedResult = z.infer<typeof PromotionCiSkippedResultSchema>;

/** The result file as the built-in wrapper + evaluator write it: skipped, or the decision document. */
export const PromotionCiResultSchema = z.union([PromotionCiSkippedResultSchema, PromotionDecisionSchema]);
export type PromotionCiResult = z.infer<typeof PromotionCiResultSchema>;

export interface PromotionCiDecision {
  /** `summary.decision`, `"unknown"` when absent (a non-string value is shown as its JSON text). */
  readonly decision: string;
  /** `summary.failedGates`, `[]` when absent or not an array. */
  readonly failedGates: string[];
  /** `summary.reasonCodes`, `[]` when absent or not an array. */
  readonly reasonCodes: string[];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "null");
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(text) : [];
}

/** The decision fields of any CI result / promotion state document, with the spec's defaults (31 §4.2, 33 §2). */
export function promotionCiDecisionOf(document: unknown): PromotionCiDecision {
  const summary = isJsonObject(document) && isJsonObject(document["summary"]) ? document["summary"] : {};
  const decision = summary["decision"];
  return {
    decision: decision === undefined || decision === null ? PromotionDecision.Unknown : text(decision),
    failedGates: list(summary["failedGates"]),
    reasonCodes: list(summary["reasonCodes"]),
  };
}
