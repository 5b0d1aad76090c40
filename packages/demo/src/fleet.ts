/**
 * The demo fleet. The runtime runs one loop per repository (spec 10a), so the fleet's own repository
 * (the "manager" repo, which holds the registry and every manager artifact) hosts one local loop,
 * and every other loop runs in its own repository on a simulated sprite host, read through that
 * sprite's service. Each loop is left in a different condition by the testkit's scenario presets.
 */
import path from "node:path";
import { formatTimestamp } from "@ops/contract";
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
  {
    loopId: "alpha",
    scenario: "running",
    options: { iterations: 2, heartbeat: true },
    story: "working normally (the manager's own repository)",
  },
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
  {
    loopId: "delta",
    transport: "sprite_service",
    scenario: "stuck",
    story: "stopped itself after a stuck streak",
  },
  { loopId: "echo", transport: "sprite_service", scenario: "failed", story: "a role timed out" },
  {
    loopId: "foxtrot",
    transport: "sprite_service",
    scenario: "staleHeartbeat",
    options: { heartbeatAgeSeconds: 900 },
    story:
      "its heartbeat went stale; an operator confirmed the handoff's cancel (cancel leaves no event: the projection reads unknown)",
  },
  {
    loopId: "golf",
    transport: "sprite_service",
    scenario: "running",
    corruptEventsLog: true,
    story:
      "a corrupt line in its event log: its service poll fails, read as transport_unreachable (spec 13 Q13-11) until the cursor is reset",
  },
];

export interface DemoLoop {
  readonly spec: DemoLoopSpec;
  readonly transport: "local" | "sprite_service";
  /** The runtime's repository (the manager repo for the local loop, a sprite host's repo otherwise). */
  readonly repo: SimulatedRepo;
}

/**
 * Writes the runtime artifacts of every demo loop: local loops in `<dir>/manager/`, sprite-hosted
 * loops in `<dir>/sprites/<loopId>/`. Event timestamps end shortly before `now`, so freshness is
 * judged as it would be for a live fleet.
 */
export function createDemoFleet(
  dir: string,
  now: Date,
  fleet: readonly DemoLoopSpec[] = DEMO_FLEET,
): DemoLoop[] {
  const local = fleet.filter((spec) => (spec.transport ?? "local") === "local");
  if (local.length > 1) {
    throw new Error("the demo fleet has one local loop: the runtime runs one loop per repository");
  }
  return fleet.map((spec) => {
    const stepSeconds = 5;
    // About 40 events per scenario; start early enough that the last one lands ~1 minute before now.
    const start = new Date(now.getTime() - (60 + 60 * stepSeconds) * 1000);
    const transport = spec.transport ?? "local";
    const root = transport === "local" ? path.join(dir, "manager") : path.join(dir, "sprites", spec.loopId);
    const repo = createSimulatedRepo(root, { start, stepSeconds });
    const loop = repo.scenario(spec.scenario, spec.loopId, spec.options ?? {});
    if (spec.corruptEventsLog === true) loop.appendRawLine('{"timestamp":"2026-02-22T10:00:00Z","event":');
    return { spec, transport, repo };
  });
}

/** Appends one more iteration to a running demo loop (what the runtime would write next). */
export function advanceRunningLoop(loop: DemoLoop): number {
  const driver = loop.repo.loop(loop.spec.loopId);
  const before = driver.readEvents().length;
  driver.iteration({ haltAfter: { event: "role_start", role: "tester" } });
  return driver.readEvents().length - before;
}

/** The environment variable that carries a sprite's service token (the registry names it). */
export function serviceTokenEnv(loopId: string): string {
  return `DEMO_SPRITE_TOKEN_${loopId.toUpperCase().replace(/[^A-Z0-9]/gu, "_")}`;
}

export interface DemoRegistryOptions {
  readonly now: Date;
  /** Base URL of each sprite-hosted loop's service. */
  readonly serviceUrls: ReadonlyMap<string, string>;
}

/**
 * The fleet registry (spec 20) an operator would write for the demo fleet: every loop with its
 * transport, guarded autonomy enabled with governance metadata reviewed within the month, the
 * default safety rails (one autonomous action per run and per loop), and the degraded signal of
 * the loop with a known-corrupt log suppressed while the runtime team repairs it.
 */
export function demoRegistry(
  loops: readonly DemoLoop[],
  options: DemoRegistryOptions,
): Record<string, unknown> {
  const day = 24 * 3600 * 1000;
  return {
    schemaVersion: "v1",
    fleetId: "demo-fleet",
    loops: loops.map((loop) => {
      const loopId = loop.spec.loopId;
      if (loop.transport === "local")
        return { loopId, transport: "local", metadata: { story: loop.spec.story } };
      return {
        loopId,
        transport: "sprite_service",
        sprite: { id: `spr-${loopId}` },
        service: {
          baseUrl: options.serviceUrls.get(loopId),
          tokenEnv: serviceTokenEnv(loopId),
          retryAttempts: 1,
          retryBackoffSeconds: 0,
        },
        metadata: { story: loop.spec.story },
      };
    }),
    policy: {
      mode: "guarded_auto",
      suppressions: { golf: ["health_degraded"] },
      noiseControls: { dedupeWindowSeconds: 300 },
      autonomous: {
        allow: { categories: ["reconcile_failed", "health_critical"], intents: ["cancel"] },
        thresholds: { minSeverity: "critical", minConfidence: "high" },
        safety: { maxActionsPerRun: 1, maxActionsPerLoop: 1, cooldownSeconds: 300, killSwitch: false },
        governance: {
          actor: "demo-operator",
          approvalRef: "CHG-DEMO-1",
          rationale: "demo: guarded autonomy on the simulated fleet",
          changedAt: formatTimestamp(new Date(options.now.getTime() - day)),
          reviewBy: formatTimestamp(new Date(options.now.getTime() + 30 * day)),
        },
        rollout: { canaryPercent: 100, scope: { loopIds: [] }, pause: { manual: false } },
      },
    },
  };
}
