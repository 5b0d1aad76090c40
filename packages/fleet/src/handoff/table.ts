/**
 * `ops-manager fleet handoff --format table`: a short operator view of the handoff document (JSON
 * stays the default). A header (fleet, mode, trace, counts, reason codes, the execution block when
 * there is one) and one row per intent: loop, intent id, status, autonomy (eligible / manual-only),
 * gate reasons, execution outcome. ANSI colour only when the caller asks (the CLI: a TTY and no
 * `NO_COLOR`); artifact values are stripped of control characters, so `color: false` output never
 * contains ESC.
 */
import type { HandoffIntent, HandoffState } from "./schemas.js";

export interface HandoffTableOptions {
  readonly color: boolean;
}

type Tone = "good" | "warn" | "bad" | "muted" | "plain";

const ANSI: Record<Exclude<Tone, "plain">, string> = {
  good: "\u001b[32m",
  warn: "\u001b[33m",
  bad: "\u001b[31m",
  muted: "\u001b[2m",
};
const BOLD = "\u001b[1m";
const RESET = "\u001b[0m";

/** Printable text: control characters (C0, DEL, C1 — ESC included) become `?`. */
function sanitize(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/gu, "?");
}

function statusTone(status: string): Tone {
  if (status === "executed") return "good";
  if (
    status === "pending_operator_confirmation" ||
    status === "execution_ambiguous" ||
    status === "ambiguous"
  )
    return "warn";
  if (status === "execution_failed" || status === "failed") return "bad";
  return "plain";
}

interface Cell {
  readonly text: string;
  readonly tone: Tone;
}

function cell(text: string, tone: Tone = "plain"): Cell {
  return { text: sanitize(text), tone };
}

function row(intent: HandoffIntent): Cell[] {
  const execution = intent.execution;
  const outcome =
    execution === undefined
      ? cell("-", "muted")
      : cell(
          `${execution.mode}: ${execution.status} (${execution.reasonCode}, exit ${execution.controlExitCode})`,
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
  const paint = (text: string, tone: Tone) =>
    !options.color || tone === "plain" ? text : `${ANSI[tone]}${text}${RESET}`;
  const bold = (text: string) => (options.color ? `${BOLD}${text}${RESET}` : text);
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
  const widths = HEADER.map((title, index) =>
    Math.max(title.length, ...rows.map((cells) => (cells[index] as Cell).text.length)),
  );
  const pad = (text: string, index: number) =>
    index === HEADER.length - 1 ? text : text.padEnd(widths[index] as number);
  lines.push(bold(HEADER.map(pad).join("  ").trimEnd()));
  for (const cells of rows) {
    lines.push(
      cells
        .map((item, index) => paint(pad(item.text, index), item.tone))
        .join("  ")
        .trimEnd(),
    );
  }
  return `${lines.join("\n")}\n`;
}
