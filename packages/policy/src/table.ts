/**
 * `ops-manager fleet policy --format table`: a terminal view of the policy state (JSON stays the
 * default). A few header lines (fleet, counts, posture, reason codes), then one row per candidate:
 * loop, category, severity, suppression (scope + source), autonomy (eligible / manual-only) and
 * the autonomy reasons. ANSI colour only when the caller asks (the CLI: TTY and no `NO_COLOR`);
 * values from artifacts are stripped of control characters, so `color: false` never emits ESC.
 */
import type { FleetPolicyState } from "./schemas.js";

export interface PolicyTableOptions {
  readonly color: boolean;
}

type Tone = "good" | "warn" | "bad" | "muted";

const ANSI: Record<Tone, string> = {
  good: "\u001b[32m",
  warn: "\u001b[33m",
  bad: "\u001b[31m",
  muted: "\u001b[2m",
};
const BOLD = "\u001b[1m";
const RESET = "\u001b[0m";

/** Printable text: control characters (C0, DEL, C1 — ESC included) become `?`. */
function clean(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

const HEADERS = ["LOOP", "CATEGORY", "SEVERITY", "SUPPRESSED", "AUTONOMY", "REASONS"] as const;

/** Render the policy state: header lines, then an aligned table with one row per candidate. */
export function formatPolicyTable(state: FleetPolicyState, options: PolicyTableOptions): string {
  const paint = (text: string, tone: Tone | null) =>
    options.color && tone !== null ? `${ANSI[tone]}${text}${RESET}` : text;
  const label = (text: string) => (options.color ? `${BOLD}${text}${RESET}` : text);
  const lines: string[] = [];
  const pause = state.autonomous.rollout.pause;
  const killSwitch = state.autonomous.controls.safety.killSwitch;

  lines.push(
    `${label("fleet")} ${clean(state.fleetId)}  mode ${clean(state.mode)}  status ${clean(state.fleetStatus)}  trace ${clean(state.traceId)}  at ${clean(state.updatedAt)}`,
  );
  lines.push(
    `${label("candidates")} ${state.candidateCount}  unsuppressed ${state.unsuppressedCount}  suppressed ${state.suppressedCount} (cooldown ${state.cooldownSuppressedCount})  eligible ${paint(String(state.autoEligibleCount), state.autoEligibleCount > 0 ? "good" : null)}  manual-only ${state.manualOnlyCount}`,
  );
  const posture: string[] = [];
  posture.push(pause.active ? paint(`paused (${clean(pause.reasons.join(", "))})`, "warn") : "not paused");
  if (pause.auto.active) posture.push(paint(`auto-pause ${clean(pause.auto.reasons.join(", "))}`, "bad"));
  if (state.mode === "guarded_auto" && killSwitch) posture.push(paint("kill switch ON", "bad"));
  posture.push(
    `canary ${state.autonomous.rollout.canaryPercent}%`,
    `scope ${state.autonomous.rollout.scopeLoopIds.length === 0 ? "all" : clean(state.autonomous.rollout.scopeLoopIds.join(","))}`,
  );
  lines.push(`${label("autonomy")} ${posture.join("  ")}`);
  lines.push(`${label("reasons")} ${clean(state.reasonCodes.join(", "))}`);
  lines.push("");

  if (state.candidates.length === 0) {
    lines.push(paint("no candidates", "muted"));
    return `${lines.join("\n")}\n`;
  }

  const rows = state.candidates.map((candidate) => {
    const suppressed = candidate.suppressed
      ? `${clean(candidate.suppressionScope ?? "yes")} (${clean(candidate.suppressionSource ?? "")})`
      : "no";
    const autonomy = candidate.autonomous.eligible ? "eligible" : "manual-only";
    const reasons = candidate.autonomous.reasons.length === 0 ? "-" : candidate.autonomous.reasons.join(",");
    const cells = [
      clean(candidate.loopId),
      clean(candidate.category),
      clean(candidate.severity),
      suppressed,
      autonomy,
      clean(reasons),
    ];
    const tones: (Tone | null)[] = [
      null,
      null,
      candidate.severity === "critical" ? "bad" : candidate.severity === "warning" ? "warn" : null,
      candidate.suppressed ? "muted" : null,
      candidate.autonomous.eligible ? "good" : "warn",
      "muted",
    ];
    return { cells, tones };
  });
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row.cells[column] ?? "").length)),
  );
  const render = (cells: readonly string[], tones: readonly (Tone | null)[]) =>
    cells
      .map((cell, column) => {
        const last = column === cells.length - 1;
        const padded = last ? cell : cell.padEnd(widths[column] ?? cell.length);
        return paint(padded, tones[column] ?? null);
      })
      .join("  ")
      .trimEnd();
  lines.push(
    label(
      HEADERS.map((header, column) => header.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    ),
  );
  for (const row of rows) lines.push(render(row.cells, row.tones));
  return `${lines.join("\n")}\n`;
}
