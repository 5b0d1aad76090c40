/**
 * The run-status first-match table (spec 12 §2). Evaluated by the snapshot adapter; exported as a
 * pure function so that project-state and the service transport use the very same rules.
 */
import type { RunStatus } from "@ops/contract";
import { eventNameOf, isJsonObject } from "./values.js";

/** Final event names that mean an intentional stop (row 4). */
export const STOP_EVENT_NAMES: ReadonlySet<string> = new Set([
  "loop_stop",
  "rate_limit_stop",
  "no_progress_stop",
]);

/** Final event `status` values that mean failure (row 5). */
export const ERROR_EVENT_STATUSES: ReadonlySet<string> = new Set([
  "error",
  "timeout",
  "blocked",
  "rate_limited",
]);

export interface RunStatusInputs {
  /** Loop the status is computed for (row 3 compares `state.current_loop_id` with it). */
  readonly loopId: string;
  /** `approval.json` content, or null/undefined when absent. */
  readonly approval: unknown;
  /** Latest run-summary entry (last element of `entries`), or null/undefined. */
  readonly summary: unknown;
  /** Runtime `.superloop/state.json`, or null/undefined. */
  readonly state: unknown;
  /** Final line of `events.jsonl` parsed (last non-empty terminated line), or null/undefined. */
  readonly finalEvent: unknown;
}

/**
 * Strict first match wins:
 * 1 awaiting_approval · 2 complete · 3 running · 4 stopped · 5 failed · 6 idle · 7 unknown.
 * Anything that is not a JSON object counts as absent. Comparisons are exact (`completion_ok`
 * must be boolean `true`, `active` boolean `true` for row 3); row 6 matches `active` false **or
 * missing** (kept for parity, Q12-1).
 */
export function deriveRunStatus(inputs: RunStatusInputs): RunStatus {
  const { approval, summary, state, finalEvent } = inputs;
  if (isJsonObject(approval) && approval["status"] === "pending") return "awaiting_approval";
  if (isJsonObject(summary) && summary["completion_ok"] === true) return "complete";
  if (isJsonObject(state) && state["active"] === true && state["current_loop_id"] === inputs.loopId) {
    return "running";
  }
  const name = eventNameOf(finalEvent);
  if (name !== null && STOP_EVENT_NAMES.has(name)) return "stopped";
  if (isJsonObject(finalEvent)) {
    const status = finalEvent["status"];
    if (typeof status === "string" && ERROR_EVENT_STATUSES.has(status)) return "failed";
  }
  if (isJsonObject(state) && isJsonObject(summary)) {
    const active = state["active"];
    if (active === false || active === undefined || active === null) return "idle";
  }
  return "unknown";
}
