/**
 * Pure readers of the policy inputs that come from append-only logs: the candidate history index
 * (§3.1 advisory cooldown, §6.4 autonomous cooldown) and the auto-pause metrics of the autonomous
 * handoff executions (§5.1). No file I/O: the caller streams rows in.
 */
import { compareCodePoints, isJsonObject, parseTimestamp } from "@ops/contract";
import type { AutoPauseMetrics } from "./schemas.js";

/**
 * What the cooldowns need from `policy-history.jsonl`, per `candidateId`: the latest parseable
 * (strict, careful Q10) timestamp of an unsuppressed entry (`suppressed` not `true`; absent counts
 * as unsuppressed) and of an eligible entry (`autonomousEligible` = `true`). Rows are added one at a
 * time so a long history is folded while it streams, never held in memory.
 */
export class PolicyHistoryIndex {
  readonly #lastUnsuppressed = new Map<string, number>();
  readonly #lastEligible = new Map<string, number>();
  #rows = 0;

  static from(rows: Iterable<unknown>): PolicyHistoryIndex {
    const index = new PolicyHistoryIndex();
    for (const row of rows) index.add(row);
    return index;
  }

  /** Fold one history row in; rows that are not objects or lack what a cooldown needs are ignored. */
  add(row: unknown): void {
    this.#rows += 1;
    if (!isJsonObject(row)) return;
    const candidateId = row["candidateId"];
    if (typeof candidateId !== "string") return;
    const at = parseTimestamp(row["timestamp"]);
    if (at === null) return;
    if (row["suppressed"] !== true) bump(this.#lastUnsuppressed, candidateId, at);
    if (row["autonomousEligible"] === true) bump(this.#lastEligible, candidateId, at);
  }

  /** Epoch seconds of the latest unsuppressed entry of `candidateId`, or null. */
  lastUnsuppressedAt(candidateId: string): number | null {
    return this.#lastUnsuppressed.get(candidateId) ?? null;
  }

  /** Epoch seconds of the latest entry that classified `candidateId` eligible, or null. */
  lastEligibleAt(candidateId: string): number | null {
    return this.#lastEligible.get(candidateId) ?? null;
  }

  /** Rows folded in (including ignored ones). */
  get rowCount(): number {
    return this.#rows;
  }
}

function bump(map: Map<string, number>, key: string, at: number): void {
  const current = map.get(key);
  if (current === undefined || at > current) map.set(key, at);
}

/** True for a `fleet_handoff_execute` record whose `execution.mode` is `autonomous` (§5.1 step 1). */
export function isAutonomousExecuteRecord(row: unknown): boolean {
  if (!isJsonObject(row) || row["category"] !== "fleet_handoff_execute") return false;
  const execution = row["execution"];
  return isJsonObject(execution) && execution["mode"] === "autonomous";
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * §5.1 — metrics over the last `lookbackExecutions` autonomous execute records, after a stable sort
 * by `timestamp` as a string (missing first; Q5 kept). `attemptedCount` prefers
 * `executedIntentCount` even when it is 0 (Q4 kept).
 */
export function autoPauseMetrics(rows: Iterable<unknown>, lookbackExecutions: number): AutoPauseMetrics {
  const records = [...rows].filter(isAutonomousExecuteRecord) as Record<string, unknown>[];
  const key = (row: Record<string, unknown>) => {
    const timestamp = row["timestamp"];
    return typeof timestamp === "string" ? timestamp : "";
  };
  // Array#sort is stable: equal timestamps keep file order.
  records.sort((a, b) => compareCodePoints(key(a), key(b)));
  const window = records.slice(Math.max(0, records.length - Math.max(0, lookbackExecutions)));
  let attemptedCount = 0;
  let executedCount = 0;
  let ambiguousCount = 0;
  let failedCount = 0;
  for (const record of window) {
    const execution = record["execution"] as Record<string, unknown>;
    const executedIntents = execution["executedIntentCount"];
    attemptedCount +=
      typeof executedIntents === "number" && Number.isFinite(executedIntents)
        ? executedIntents
        : count(execution["requestedIntentCount"]);
    executedCount += count(execution["executedCount"]);
    ambiguousCount += count(execution["ambiguousCount"]);
    failedCount += count(execution["failedCount"]);
  }
  return {
    windowExecutionCount: window.length,
    attemptedCount,
    executedCount,
    ambiguousCount,
    failedCount,
    ambiguityRate: attemptedCount > 0 ? ambiguousCount / attemptedCount : 0,
    failureRate: attemptedCount > 0 ? failedCount / attemptedCount : 0,
  };
}
