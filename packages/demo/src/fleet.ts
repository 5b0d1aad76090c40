/**
 * The demo fleet: one simulated repository per loop run (the runtime runs one loop per repository),
 * each left in a different condition by the testkit's scenario presets.
 */
import path from "node:path";
import {
  createSimulatedRepo,
  type ScenarioName,
  type ScenarioOptions,
  type SimulatedRepo,
} from "@ops/testkit";

export interface DemoLoopSpec {
  readonly loopId: string;
  /** `sprite_service`: the runtime files live on a (simulated) sprite host, read through its service. */
  readonly transport?: "local" | "sprite_service";
  readonly scenario: ScenarioName;
  readonly options?: ScenarioOptions;
  /** Damage the events log after the scenario (an operator sees the failure, nothing is lost). */
  readonly corruptEventsLog?: boolean;
  /** What an operator should take from this loop. */
  readonly story: string;
}

export const DEMO_FLEET: readonly DemoLoopSpec[] = [
  { loopId: "alpha", scenario: "running", options: { iterations: 2 }, story: "working normally" },
  {
    loopId: "bravo",
    transport: "sprite_service",
    scenario: "awaitingApproval",
    story: "waited for approval; an operator approved it through its sprite service",
  },
  {
    loopId: "charlie",
    transport: "sprite_service",
    scenario: "complete",
    options: { iterations: 2 },
    story: "finished its feature",
  },
  { loopId: "delta", scenario: "stuck", story: "stopped itself after a stuck streak" },
  { loopId: "echo", scenario: "failed", story: "a role timed out" },
  {
    loopId: "foxtrot",
    scenario: "staleHeartbeat",
    options: { heartbeatAgeSeconds: 900 },
    story: "its heartbeat went stale",
  },
  {
    loopId: "golf",
    scenario: "running",
    corruptEventsLog: true,
    story: "a corrupt line in its event log",
  },
];

export interface DemoLoop {
  readonly spec: DemoLoopSpec;
  /** The runtime's repository (on the sprite host for `sprite_service` loops). */
  readonly repo: SimulatedRepo;
}

/**
 * Writes the runtime artifacts of every demo loop under `<dir>/repos/<loopId>/` (local loops) or
 * `<dir>/sprites/<loopId>/` (loops on a simulated sprite host, read through its service). Event timestamps
 * end shortly before `now`, so freshness is judged as it would be for a live fleet.
 */
export function createDemoFleet(
  dir: string,
  now: Date,
  fleet: readonly DemoLoopSpec[] = DEMO_FLEET,
): DemoLoop[] {
  return fleet.map((spec) => {
    const stepSeconds = 5;
    // About 40 events per scenario; start early enough that the last one lands ~1 minute before now.
    const start = new Date(now.getTime() - (60 + 60 * stepSeconds) * 1000);
    const host = spec.transport === "sprite_service" ? "sprites" : "repos";
    const repo = createSimulatedRepo(path.join(dir, host, spec.loopId), { start, stepSeconds });
    const loop = repo.scenario(spec.scenario, spec.loopId, spec.options ?? {});
    if (spec.corruptEventsLog === true) loop.appendRawLine('{"timestamp":"2026-02-22T10:00:00Z","event":');
    return { spec, repo };
  });
}

/** Appends one more iteration to a running demo loop (what the runtime would write next). */
export function advanceRunningLoop(loop: DemoLoop): number {
  const driver = loop.repo.loop(loop.spec.loopId);
  const before = driver.readEvents().length;
  driver.iteration({ haltAfter: { event: "role_start", role: "tester" } });
  return driver.readEvents().length - before;
}
