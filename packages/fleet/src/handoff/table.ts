/**
 * `ops-manager fleet handoff --format table`: a short operator view of the handoff document (JSON
 * stays the default). A header (fleet, mode, trace, counts, reason codes, the execution block when
 * there is one) and one row per intent: loop, intent id, status, autonomy (eligible / manual-only),
 * gate reasons, execution outcome. ANSI colour only when the caller asks (the CLI: a TTY and no
 * `NO_COLOR`); artifact values are stripped of control characters, so `color: false` output never
 * contains ESC.
 */
import { type Cell, formatColumns, sanitize, type Tone, terminal, toneClassifier } from "@ops/contract";
import type { HandoffIntent, HandoffState } from "./schemas.js";

export interface HandoffTableOptions {
  readonly color: boolean;
}

const statusTone = toneClassifier({
  good: ["executed"],
  warn: ["pending_operator_confirmation", "execution_ambiguous", "ambiguous"],
  bad: ["execution_failed", "failed"],
});

function cell(text: string, tone: Tone = "plain"): Cell {
  return { text: sanitize(text), tone };
}

function row(intent: HandoffIntent): Cell[] {
  const execution = intent.execution;
  const outcome =
    execution === undefined
      ? cell("-", "muted")
      : cell(
          `${execution.mode}: ${execution.status} (${execution.reasonCode}, exit ${execution.controlExitCode})${
            execution.controlError === undefined ? "" : ` ${execution.controlError}`
          }`,
          statusTone(execution.status),
        );
  return [
    cell(intent.loopId),
    cell(intent.intentId),
    cell(intent.status, statusTone(intent.status)),
    intent.autonomous.eligible ? cell("eligible", "good") : cell("manual-only", "warn"),
    intent.autonomous.reasons.length === 0
      ? cell("-", "muted")
      : cell(intent.autonomous.reasons.join(","), "plain"),
    outcome,
  ];
}

const HEADER = ["LOOP", "INTENT", "STATUS", "AUTONOMY", "GATE REASONS", "EXECUTION"];

/** The table text (ends with a newline). */
export function formatHandoffTable(state: HandoffState, options: HandoffTableOptions): string {
  const s = state.summary;
  const lines = [
    `fleet ${sanitize(state.fleetId)}  mode ${state.mode}  trace ${sanitize(state.traceId)}  updated ${state.updatedAt}`,
    `intents ${s.intentCount} (auto-eligible ${s.autoEligibleIntentCount}, manual-only ${s.manualOnlyIntentCount}, pending ${s.pendingConfirmationCount}, executed ${s.executedCount}, ambiguous ${s.ambiguousCount}, failed ${s.failedCount}) from ${s.unsuppressedCandidateCount}/${s.candidateCount} unsuppressed candidates`,
    `reasons ${state.reasonCodes.length === 0 ? "-" : state.reasonCodes.join(",")}`,
  ];
  const execution = state.execution;
  if (execution !== undefined) {
    lines.push(
      `execution ${execution.mode} by ${sanitize(execution.requestedBy)}: requested ${execution.requestedIntentCount}, executed ${execution.executedCount}, ambiguous ${execution.ambiguousCount}, failed ${execution.failedCount}`,
    );
  }
  lines.push("");
  const rows = state.intents.map(row);
  if (rows.length === 0) {
    lines.push("(no intents)");
    return `${lines.join("\n")}\n`;
  }
  lines.push(...formatColumns(HEADER, rows, terminal(options.color), { spans: "padded" }));
  return `${lines.join("\n")}\n`;
}
