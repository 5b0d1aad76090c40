/**
 * One-call presets that leave a loop in a named condition (tests, benchmarks, the demo).
 * Each preset maps to one row of the lifecycle table (spec 12 §2) when it is the only loop in the repo.
 */
import { toEpochSeconds } from "./clock.js";
import type { FailKind, LoopDriver } from "./driver.js";

export const SCENARIO_NAMES = [
  "running",
  "awaitingApproval",
  "complete",
  "stopped",
  "failed",
  "stuck",
  "staleHeartbeat",
  "idle",
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioOptions {
  /** Full iterations before the scenario's final step (default 1). */
  iterations?: number;
  /** Register this process in active-run.json (running/staleHeartbeat); default a never-alive pid. */
  process?: { pid: number; pgid: number };
  /** `stopped`: loop_stop reason (default max_iterations). */
  stopReason?: string;
  /** `failed`: failure kind (default timeout). */
  failKind?: FailKind;
  /** `staleHeartbeat`: heartbeat age relative to the last event, seconds (default 3600). */
  heartbeatAgeSeconds?: number;
  /** `running`: also write a heartbeat at the last event's time. */
  heartbeat?: boolean;
}

/**
 * Conditions produced:
 * - running: iterations, then a partial one ending at `role_start` (implementer); state active, active-run.json present.
 * - awaitingApproval: a candidate iteration, `approval_requested`, approval.json pending.
 * - complete: a completing iteration and `loop_complete`.
 * - stopped: `loop_stop` (reason max_iterations by default).
 * - failed: `role_timeout` with status timeout mid-iteration (or another FailKind).
 * - stuck: iterations with streak 1..threshold, then `loop_stop` reason stuck.
 * - staleHeartbeat: running, with heartbeat.v1.json `heartbeatAgeSeconds` older than the last event.
 * - idle: iterations, then the run exits without a terminal event (state inactive, summary present).
 */
export function applyScenario(
  loop: LoopDriver,
  name: ScenarioName,
  options: ScenarioOptions = {},
): LoopDriver {
  const iterations = options.iterations ?? 1;
  loop.startRun(options.process !== undefined ? { process: options.process } : {});
  switch (name) {
    case "running":
    case "staleHeartbeat": {
      loop.iterations(iterations);
      loop.iteration({ haltAfter: { event: "role_start", role: "implementer" } });
      const lastAt = loop.lastEvent()?.timestamp ?? loop.clock.peek();
      if (name === "staleHeartbeat") {
        const age = options.heartbeatAgeSeconds ?? 3600;
        loop.writeHeartbeat(toEpochSeconds(lastAt) - age);
      } else if (options.heartbeat === true) {
        loop.writeHeartbeat(lastAt);
      }
      return loop;
    }
    case "awaitingApproval":
      return loop.iterations(iterations).requestApproval();
    case "complete":
      return loop.iterations(iterations).complete();
    case "stopped":
      return loop.iterations(iterations).stop(options.stopReason ?? "max_iterations");
    case "failed":
      return loop.iterations(iterations).fail(options.failKind ?? "timeout");
    case "stuck": {
      for (let streak = 1; streak < loop.stuckThreshold; streak += 1) loop.stuck(streak, { stop: false });
      return loop.stuck(loop.stuckThreshold);
    }
    case "idle":
      return loop.iterations(iterations).exit();
  }
}
