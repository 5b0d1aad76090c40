/**
 * Promotion CI (spec 31 §4.1 / §4.2): the Markdown job summary, rendered as plain text — paths are
 * wrapped in back-quotes and never interpreted (careful Q1).
 */
import { PromotionCiReasonCode } from "@ops/contract";

export const PROMOTION_CI_SUMMARY_TITLE = "## Ops Manager Promotion CI";

function lines(parts: readonly string[]): string {
  return `${parts.join("\n")}\n`;
}

/** `, `-joined list, `none` when empty. */
export function csvOrNone(values: readonly string[]): string {
  return values.length === 0 ? "none" : values.join(", ");
}

/** §4.1 — skipped summary: decision, the CI reason code, one bullet per missing path. */
export function renderSkippedSummary(missingEvidencePaths: readonly string[]): string {
  return lines([
    PROMOTION_CI_SUMMARY_TITLE,
    "",
    "Decision: `skipped`",
    "",
    `Reason codes: \`${PromotionCiReasonCode.PromotionCiMissingEvidence}\``,
    "",
    "Missing evidence paths:",
    ...missingEvidencePaths.map((file) => `- \`${file}\``),
  ]);
}

export interface EvaluatedSummaryFields {
  readonly decision: string;
  readonly failedGates: readonly string[];
  readonly reasonCodes: readonly string[];
  readonly resultFile: string;
  readonly promotionStateFile: string;
  readonly promotionTelemetryFile: string;
}

/** §4.2 — evaluated summary (failed gates and reason codes as plain text, decision and paths back-quoted). */
export function renderEvaluatedSummary(fields: EvaluatedSummaryFields): string {
  return lines([
    PROMOTION_CI_SUMMARY_TITLE,
    "",
    `Decision: \`${fields.decision}\``,
    "",
    `Failed gates: ${csvOrNone(fields.failedGates)}`,
    "",
    `Reason codes: ${csvOrNone(fields.reasonCodes)}`,
    "",
    `Result JSON: \`${fields.resultFile}\``,
    "",
    `Promotion state: \`${fields.promotionStateFile}\``,
    "",
    `Promotion telemetry: \`${fields.promotionTelemetryFile}\``,
  ]);
}
