/**
 * Deterministic bulk workload: N loops × E realistic runtime event lines (same shapes and order as
 * the driver), written in large batches. Same options → byte-identical files (no wall clock, seeded
 * PRNG), so benchmarks and golden tests are reproducible.
 */
import fs from "node:fs";
import path from "node:path";
import { formatTimestamp, runtimePaths, type Timestamp } from "@ops/contract";
import { DEFAULT_START, type TimeInput, toEpochSeconds } from "./clock.js";
import {
  buildEvent,
  DEFAULT_PROMISE,
  GATE_PHASES,
  type Gates,
  gatesOf,
  type JsonObject,
  ROLES,
  type RunSummary,
  type RunSummaryEntry,
  type RuntimeState,
} from "./events.js";
import { writeAtomic } from "./fsutil.js";
import { deriveSeed, mulberry32 } from "./prng.js";

export interface WorkloadOptions {
  seed: number;
  loops: number;
  eventsPerLoop: number;
  /** Repo root; loops are written under `<root>/.superloop/loops/<loopId>/`. */
  root: string;
  /** First timestamp (default 2026-02-22T10:00:00Z). */
  start?: TimeInput;
  /** Loop ids are `<prefix>-<nnnn>` (default "loop"). */
  loopPrefix?: string;
  /** Write run-summary.json per loop (default true). */
  runSummary?: boolean;
  /** Write the repo's state.json, pointing at the last loop as active (default true). */
  state?: boolean;
}

export interface WorkloadLoop {
  loopId: string;
  eventsFile: string;
  events: number;
  bytes: number;
  completedIterations: number;
  runs: number;
  lastEvent: string;
  lastTimestamp: Timestamp;
}

export interface WorkloadResult {
  root: string;
  loops: WorkloadLoop[];
  totalEvents: number;
  totalBytes: number;
}

const FLUSH_BYTES = 1 << 20;
/** Thrown by the line emitter once a loop has its E lines; ends generation of that loop. */
const DONE = Symbol("workload-done");
const STUCK_THRESHOLD = 3;

export function workloadLoopId(prefix: string, index: number): string {
  return `${prefix}-${String(index + 1).padStart(4, "0")}`;
}

export async function generateWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const { seed, loops, eventsPerLoop } = options;
  if (!Number.isInteger(loops) || loops < 0)
    throw new Error(`loops must be a non-negative integer: ${loops}`);
  if (!Number.isInteger(eventsPerLoop) || eventsPerLoop < 0) {
    throw new Error(`eventsPerLoop must be a non-negative integer: ${eventsPerLoop}`);
  }
  const root = path.resolve(options.root);
  const start = toEpochSeconds(options.start ?? DEFAULT_START);
  const prefix = options.loopPrefix ?? "loop";
  const results: WorkloadLoop[] = [];
  let lastState: RuntimeState | null = null;
  for (let index = 0; index < loops; index += 1) {
    const loopId = workloadLoopId(prefix, index);
    const generated = await writeLoop(
      root,
      loopId,
      index,
      eventsPerLoop,
      deriveSeed(seed, index),
      start + index * 7,
    );
    results.push(generated.loop);
    if (generated.summary !== null && options.runSummary !== false) {
      writeAtomic(runtimePaths(root, loopId).runSummary, `${JSON.stringify(generated.summary)}\n`);
    }
    lastState = generated.state;
  }
  if (options.state !== false && lastState !== null) {
    const statePath = path.join(root, ".superloop", "state.json");
    fs.writeFileSync(statePath, `${JSON.stringify(lastState)}\n`);
  }
  return {
    root,
    loops: results,
    totalEvents: results.reduce((sum, loop) => sum + loop.events, 0),
    totalBytes: results.reduce((sum, loop) => sum + loop.bytes, 0),
  };
}

interface GeneratedLoop {
  loop: WorkloadLoop;
  summary: RunSummary | null;
  state: RuntimeState;
}

async function writeLoop(
  root: string,
  loopId: string,
  loopIndex: number,
  count: number,
  seed: number,
  startEpoch: number,
): Promise<GeneratedLoop> {
  const paths = runtimePaths(root, loopId);
  fs.mkdirSync(paths.loopDir, { recursive: true });
  const rng = mulberry32(seed);
  const handle = await fs.promises.open(paths.events, "w");
  let buffer = "";
  let bytes = 0;
  let written = 0;
  let epoch = startEpoch;
  let runId = "";
  let iteration = 1;
  let streak = 0;
  let runs = 0;
  let lastEvent = "";
  let lastTimestamp = formatTimestamp(startEpoch);
  const entries: RunSummaryEntry[] = [];

  const pick = (okChance: number, other: string, ok = "ok"): string => (rng() < okChance ? ok : other);

  // Each emit advances time 1–4 s; throws DONE instead of writing line E+1.
  const emit = (event: string, role?: string, status?: string, data?: JsonObject): void => {
    if (written >= count) throw DONE;
    const timestamp = formatTimestamp(epoch);
    const line = `${JSON.stringify(buildEvent({ timestamp, event, loopId, runId, iteration, role, status, data }))}\n`;
    buffer += line;
    bytes += Buffer.byteLength(line);
    written += 1;
    lastEvent = event;
    lastTimestamp = timestamp;
    epoch += 1 + Math.floor(rng() * 4);
  };
  const flush = async (force: boolean) => {
    if (buffer.length >= FLUSH_BYTES || (force && buffer.length > 0)) {
      await handle.write(buffer);
      buffer = "";
    }
  };

  try {
    try {
      for (;;) {
        runId = formatTimestamp(epoch);
        emit("loop_start", undefined, undefined, { max_iterations: 20, started_at: runId });
        runs += 1;
        for (;;) {
          await flush(false);
          const startedAt = formatTimestamp(epoch);
          emit("iteration_start", undefined, undefined, { started_at: startedAt });
          for (const role of ROLES) {
            emit("role_start", role, undefined, { runner: "codex", model: "gpt-5-codex" });
            emit("role_end", role);
          }
          const gates: Gates = gatesOf({
            tests: pick(0.85, "failed"),
            validation: pick(0.9, "failed"),
            checklist: pick(0.8, "failed"),
            evidence: pick(0.3, "skipped"),
          });
          const allOk = gates.tests === "ok" && gates.validation === "ok" && gates.checklist === "ok";
          const matched = allOk && rng() < 0.05;
          const promise = { expected: DEFAULT_PROMISE, text: matched ? DEFAULT_PROMISE : null, matched };
          emit("promise_checked", undefined, undefined, { ...promise });
          for (const phase of GATE_PHASES) {
            emit(`${phase}_start`, undefined, undefined, phase === "tests" ? { mode: "every" } : {});
            const status = gates[phase];
            emit(`${phase}_end`, undefined, status, { status });
          }
          streak = gates.tests === "failed" ? streak + 1 : 0;
          const stuck = { streak, threshold: STUCK_THRESHOLD };
          emit("stuck_checked", undefined, undefined, { ...stuck });
          emit("gates_evaluated", undefined, undefined, { gates, completion_ok: matched });
          const endedAt = formatTimestamp(epoch);
          emit("iteration_end", undefined, undefined, {
            started_at: startedAt,
            ended_at: endedAt,
            completion_ok: matched,
          });
          entries.push({
            run_id: runId,
            iteration,
            started_at: startedAt,
            ended_at: endedAt,
            promise,
            tests_mode: "every",
            gates,
            stuck,
            delegation: { enabled: false, mode: "off", requests: 0 },
            completion_ok: matched,
            artifacts: {},
          });
          if (matched) {
            emit("loop_complete", undefined, undefined, {});
            iteration = 1;
            streak = 0;
            break;
          }
          if (streak >= STUCK_THRESHOLD) {
            emit("loop_stop", undefined, undefined, { reason: "stuck" });
            iteration += 1;
            streak = 0;
            break;
          }
          iteration += 1;
        }
      }
    } catch (error) {
      if (error !== DONE) throw error;
    }
    await flush(true);
  } finally {
    await handle.close();
  }

  const last = entries.at(-1);
  const summary: RunSummary | null =
    last === undefined ? null : { version: 1, loop_id: loopId, updated_at: last.ended_at, entries };
  return {
    loop: {
      loopId,
      eventsFile: paths.events,
      events: written,
      bytes,
      completedIterations: entries.length,
      runs,
      lastEvent,
      lastTimestamp,
    },
    summary,
    state: {
      // The runtime marks state inactive when a run completes or stops.
      active: lastEvent !== "loop_complete" && lastEvent !== "loop_stop",
      loop_index: loopIndex,
      iteration,
      current_loop_id: loopId,
      updated_at: lastTimestamp,
    },
  };
}
