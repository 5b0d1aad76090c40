/**
 * Shared pieces of the ingestion benchmark: where the install root is, the workspace packages under
 * test, the reconcile call every measurement uses, the realistic event appender, and statistics.
 *
 * The bench lives at the repository root, which is not a pnpm workspace member, so it cannot import
 * `@ops/reconcile` / `@ops/testkit` by name. It imports the packages' `@ops/source` entries
 * (`packages/<pkg>/src/index.ts`) by relative path instead; inside the packages every `@ops/*`
 * import resolves through the workspace links as usual (run with `--conditions=@ops/source`).
 */
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatTimestamp, opsPaths, parseTimestamp } from "../packages/contract/src/index.js";
import { type ReconcileContext, type ReconcileResult, reconcile } from "../packages/reconcile/src/index.js";
import {
  buildEvent,
  GATE_PHASES,
  gatesOf,
  mulberry32,
  ROLES,
  type RuntimeEvent,
} from "../packages/testkit/src/index.js";

export { machineInfo, median, round } from "./stats.js";

/** The repository root (holds `config/`, the bundled threshold-profile catalog): `bench/..`. */
export const INSTALL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BENCH_DIR = path.join(INSTALL_ROOT, "bench");

/** The last line of the reconcile telemetry log: what the cycle itself recorded. */
export interface ReconcileRow {
  readonly status: string;
  readonly eventsIngested: number;
  readonly cursorOffsetBefore: number;
  readonly cursorOffsetAfter: number;
  readonly fromStart: boolean;
}

export interface MeasuredReconcile {
  readonly ms: number;
  readonly row: ReconcileRow;
}

/**
 * One real reconcile cycle of `loop` (flag values as the CLI passes them), timed. Throws unless it
 * exited 0 and ingested exactly `expectEvents` events: a benchmark of a failing run measures nothing.
 * `ctx` is the real reconcile context minus the install root (always this checkout).
 */
export async function timedReconcile(
  repo: string,
  loop: string,
  fromStart: boolean,
  expectEvents: number,
  ctx: Omit<ReconcileContext, "installRoot"> = {},
): Promise<MeasuredReconcile> {
  const input = {
    repo,
    loop,
    traceId: "bench",
    alertsEnabled: "false",
    ...(fromStart ? { fromStart: true } : {}),
  };
  const t0 = performance.now();
  const result: ReconcileResult = await reconcile(input, { ...ctx, installRoot: INSTALL_ROOT });
  const ms = performance.now() - t0;
  if (result.exitCode !== 0) {
    throw new Error(
      `reconcile of ${loop} exited ${result.exitCode}: ${JSON.stringify(result.document).slice(0, 400)}`,
    );
  }
  const row = lastReconcileRow(repo, loop);
  if (row.status !== "success" || row.eventsIngested !== expectEvents || row.fromStart !== fromStart) {
    throw new Error(
      `reconcile of ${loop}: expected ${expectEvents} events ingested, got ${JSON.stringify(row)}`,
    );
  }
  return { ms, row };
}

export function lastReconcileRow(repo: string, loop: string): ReconcileRow {
  const text = readFileSync(opsPaths(repo, loop).telemetry.reconcile, "utf8");
  const lines = text.trimEnd().split("\n");
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error(`no reconcile telemetry for ${loop}`);
  return JSON.parse(last) as ReconcileRow;
}

/** The comparison baseline: read the file, split lines, `JSON.parse` each. Returns the line count. */
export function bareParse(file: string): number {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  let parsed = 0;
  for (const line of lines) {
    if (line.length === 0) continue;
    const value: unknown = JSON.parse(line);
    if (value !== null) parsed += 1;
  }
  return parsed;
}

/** Last complete line of a file (read backwards from the end; the file can be large). */
export function lastLine(file: string): string {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").trimEnd().split("\n");
    const last = lines[lines.length - 1];
    if (last === undefined || last.length === 0) throw new Error(`empty file: ${file}`);
    return last;
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends realistic runtime event lines to a loop's events.jsonl, continuing where the log ends:
 * same shapes and key order as the runtime (testkit `buildEvent`), whole-second UTC timestamps
 * advancing 1–4 s per event, same `loop_id`, the current `run_id`. After `loop_complete` /
 * `loop_stop` a new run starts (`loop_start`); otherwise the next iteration starts (an iteration the
 * workload cut short is left as the runtime would leave an interrupted one). Each call writes its
 * lines with one `write`, each line newline-terminated.
 */
export class EventAppender {
  private readonly rng: () => number;
  private readonly queue: RuntimeEvent[] = [];
  private epoch: number;
  private runId: string;
  private iteration: number;
  private needsRunStart: boolean;
  private streak = 0;
  appended = 0;

  constructor(
    private readonly file: string,
    private readonly loopId: string,
    seed: number,
  ) {
    const last = JSON.parse(lastLine(file)) as RuntimeEvent;
    const epoch = parseTimestamp(last.timestamp);
    if (epoch === null) throw new Error(`unparseable timestamp in ${file}: ${last.timestamp}`);
    this.rng = mulberry32(seed);
    this.epoch = epoch + 1;
    this.runId = last.run_id;
    this.needsRunStart = last.event === "loop_complete" || last.event === "loop_stop";
    this.iteration = this.needsRunStart ? 1 : last.iteration + 1;
  }

  append(count: number): void {
    let text = "";
    for (let i = 0; i < count; i += 1) {
      if (this.queue.length === 0) this.planIteration();
      const next = this.queue.shift();
      if (next === undefined) throw new Error("event plan is empty");
      text += `${JSON.stringify(next)}\n`;
    }
    appendFileSync(this.file, text);
    this.appended += count;
  }

  private event(event: string, data: Record<string, unknown>, role?: string, status?: string): void {
    const timestamp = formatTimestamp(this.epoch);
    this.queue.push(
      buildEvent({
        timestamp,
        event,
        loopId: this.loopId,
        runId: this.runId,
        iteration: this.iteration,
        role,
        status,
        data,
      }),
    );
    this.epoch += 1 + Math.floor(this.rng() * 4);
  }

  /** One iteration (25 events; 26 with the run's `loop_start`), never completing the run. */
  private planIteration(): void {
    if (this.needsRunStart) {
      this.runId = formatTimestamp(this.epoch);
      this.iteration = 1;
      this.event("loop_start", { max_iterations: 20, started_at: this.runId });
      this.needsRunStart = false;
    }
    const startedAt = formatTimestamp(this.epoch);
    this.event("iteration_start", { started_at: startedAt });
    for (const role of ROLES) {
      this.event("role_start", { runner: "codex", model: "gpt-5-codex" }, role);
      this.event("role_end", {}, role);
    }
    const tests = this.rng() < 0.85 ? "ok" : "failed";
    const gates = gatesOf({ tests, evidence: "skipped" });
    this.event("promise_checked", { expected: "SUPERLOOP_COMPLETE", text: null, matched: false });
    for (const phase of GATE_PHASES) {
      this.event(`${phase}_start`, phase === "tests" ? { mode: "every" } : {});
      const status = gates[phase];
      this.event(`${phase}_end`, { status }, undefined, status);
    }
    this.streak = tests === "failed" ? Math.min(this.streak + 1, 2) : 0;
    this.event("stuck_checked", { streak: this.streak, threshold: 3 });
    this.event("gates_evaluated", { gates, completion_ok: false });
    this.event("iteration_end", {
      started_at: startedAt,
      ended_at: formatTimestamp(this.epoch),
      completion_ok: false,
    });
    this.iteration += 1;
  }
}
