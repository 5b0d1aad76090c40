/**
 * `ops-manager fleet policy --format table`: a terminal view of the policy state (JSON stays the
 * default). A few header lines (fleet, counts, posture, reason codes), then one row per candidate:
 * loop, category, severity, suppression (scope + source), autonomy (eligible / manual-only) and
 * the autonomy reasons. ANSI colour only when the caller asks (the CLI: TTY and no `NO_COLOR`);
 * values from artifacts are stripped of control characters, so `color: false` never emits ESC.
 */
import { type Cell, formatColumns, sanitize, terminal, toneClassifier } from "@ops/contract";
import type { FleetPolicyState } from "./schemas.js";

export interface PolicyTableOptions {
  readonly color: boolean;
}

const severityTone = toneClassifier({ bad: ["critical"], warn: ["warning"] });

const HEADERS = ["LOOP", "CATEGORY", "SEVERITY", "SUPPRESSED", "AUTONOMY", "REASONS"] as const;

/** Render the policy state: header lines, then an aligned table with one row per candidate. */
export function formatPolicyTable(state: FleetPolicyState, options: PolicyTableOptions): string {
  const term = terminal(options.color);
  const paint = term.paint;
  const label = term.bold;
  const lines: string[] = [];
  const pause = state.autonomous.rollout.pause;
  const killSwitch = state.autonomous.controls.safety.killSwitch;

  lines.push(
    `${label("fleet")} ${sanitize(state.fleetId)}  mode ${sanitize(state.mode)}  status ${sanitize(state.fleetStatus)}  trace ${sanitize(state.traceId)}  at ${sanitize(state.updatedAt)}`,
  );
  lines.push(
    `${label("candidates")} ${state.candidateCount}  unsuppressed ${state.unsuppressedCount}  suppressed ${state.suppressedCount} (cooldown ${state.cooldownSuppressedCount})  eligible ${paint(String(state.autoEligibleCount), state.autoEligibleCount > 0 ? "good" : "plain")}  manual-only ${state.manualOnlyCount}`,
  );
  const posture: string[] = [];
  posture.push(pause.active ? paint(`paused (${sanitize(pause.reasons.join(", "))})`, "warn") : "not paused");
  if (pause.auto.active) posture.push(paint(`auto-pause ${sanitize(pause.auto.reasons.join(", "))}`, "bad"));
  if (state.mode === "guarded_auto" && killSwitch) posture.push(paint("kill switch ON", "bad"));
  posture.push(
    `canary ${state.autonomous.rollout.canaryPercent}%`,
    `scope ${state.autonomous.rollout.scopeLoopIds.length === 0 ? "all" : sanitize(state.autonomous.rollout.scopeLoopIds.join(","))}`,
  );
  lines.push(`${label("autonomy")} ${posture.join("  ")}`);
  lines.push(`${label("reasons")} ${sanitize(state.reasonCodes.join(", "))}`);
  lines.push("");

  if (state.candidates.length === 0) {
    lines.push(paint("no candidates", "muted"));
    return `${lines.join("\n")}\n`;
  }

  const rows = state.candidates.map((candidate): Cell[] => {
    const suppressed = candidate.suppressed
      ? `${sanitize(candidate.suppressionScope ?? "yes")} (${sanitize(candidate.suppressionSource ?? "")})`
      : "no";
    const reasons = candidate.autonomous.reasons.length === 0 ? "-" : candidate.autonomous.reasons.join(",");
    return [
      { text: sanitize(candidate.loopId), tone: "plain" },
      { text: sanitize(candidate.category), tone: "plain" },
      { text: sanitize(candidate.severity), tone: severityTone(candidate.severity) },
      { text: suppressed, tone: candidate.suppressed ? "muted" : "plain" },
      candidate.autonomous.eligible
        ? { text: "eligible", tone: "good" }
        : { text: "manual-only", tone: "warn" },
      { text: sanitize(reasons), tone: "muted" },
    ];
  });
  lines.push(...formatColumns(HEADERS, rows, term, { spans: "padded" }));
  return `${lines.join("\n")}\n`;
}
