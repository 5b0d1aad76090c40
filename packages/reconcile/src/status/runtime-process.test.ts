import fs from "node:fs";
import { createSimulatedRepo, type SimulatedRepo, UNUSED_PID } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isRuntimeProcessAlive, runtimeProcessStatus } from "./runtime-process.js";
import { loopStatus } from "./status.js";
import { LOOP, NOW, writeExampleArtifacts } from "./test-fixtures.js";

let sim: SimulatedRepo;

beforeEach(() => {
  sim = createSimulatedRepo();
});

afterEach(async () => {
  await sim.cleanup();
});

async function statusOf(loop = LOOP) {
  return loopStatus(
    { repo: sim.root, loop },
    { clock: { now: () => new Date(NOW) }, cwd: sim.root, env: {} },
  );
}

describe("runtimeProcess (spec 10a §4.5)", () => {
  it("alive: active-run.json registers this loop with a live pid", async () => {
    const proc = await sim.spawnRunProcess();
    sim.scenario("running", LOOP, { process: { pid: proc.pid, pgid: proc.pgid } });
    writeExampleArtifacts(sim.root);
    const document = await statusOf();
    expect(document.runtimeProcess).toEqual({
      status: "alive",
      pid: proc.pid,
      pgid: proc.pgid,
      registeredLoopId: LOOP,
      stage: "loop_start",
      registeredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      runtimeActive: true,
      runtimeLoopId: LOOP,
      activeRunFile: sim.paths.activeRun,
      runtimeStateFile: sim.paths.state,
    });
    // Additive only: lifecycle and health are the spec's.
    expect(document.lifecycle.state).toBe("running");
    expect(document.health["status"]).toBe("degraded");
  });

  it("dead: the registered process was killed and its registration left behind", async () => {
    const proc = await sim.spawnRunProcess();
    const loop = sim.scenario("running", LOOP, { process: { pid: proc.pid, pgid: proc.pgid } });
    loop.crash({ keepActiveRun: true });
    await proc.exited;
    writeExampleArtifacts(sim.root);
    const document = await statusOf();
    expect(document.runtimeProcess).toMatchObject({ status: "dead", pid: proc.pid, runtimeActive: true });
    expect(document.runtimeProcess.reason).toBeUndefined();
  });

  it("dead: a pid no process has", async () => {
    sim.scenario("running", LOOP, { process: { pid: UNUSED_PID, pgid: UNUSED_PID } });
    writeExampleArtifacts(sim.root);
    expect((await statusOf()).runtimeProcess).toMatchObject({ status: "dead", pid: UNUSED_PID });
  });

  it("absent: runtime state active for this loop but no active-run.json (crash)", async () => {
    sim.scenario("running", LOOP).crash();
    writeExampleArtifacts(sim.root);
    expect(fs.existsSync(sim.paths.activeRun)).toBe(false);
    expect((await statusOf()).runtimeProcess).toMatchObject({
      status: "absent",
      pid: null,
      pgid: null,
      registeredLoopId: null,
      runtimeActive: true,
      runtimeLoopId: LOOP,
    });
  });

  it("absent: after rate_limit_stop the runtime leaves state active", async () => {
    sim.loop(LOOP).startRun().iteration().fail("rate_limited");
    writeExampleArtifacts(sim.root);
    expect((await statusOf()).runtimeProcess.status).toBe("absent");
  });

  it.each(["complete", "idle", "stopped", "awaitingApproval"] as const)(
    "not_running: the run ended normally (%s)",
    async (scenario) => {
      sim.scenario(scenario, LOOP);
      writeExampleArtifacts(sim.root);
      expect((await statusOf()).runtimeProcess).toMatchObject({
        status: "not_running",
        runtimeActive: false,
        pid: null,
      });
    },
  );

  it("not_running: after cancel (runtime files deleted, loop dir still here)", async () => {
    sim.scenario("running", LOOP);
    fs.rmSync(sim.paths.state);
    fs.rmSync(sim.paths.activeRun);
    writeExampleArtifacts(sim.root);
    expect((await statusOf()).runtimeProcess).toMatchObject({ status: "not_running", runtimeActive: null });
  });

  it("not_running: the repository's run belongs to another loop", async () => {
    sim.scenario("complete", LOOP);
    const proc = await sim.spawnRunProcess();
    sim.scenario("running", "other-loop", { process: { pid: proc.pid, pgid: proc.pgid } });
    writeExampleArtifacts(sim.root);
    expect((await statusOf()).runtimeProcess).toMatchObject({
      status: "not_running",
      registeredLoopId: "other-loop",
      pid: proc.pid,
      runtimeActive: true,
      runtimeLoopId: "other-loop",
    });
  });

  it("unknown: nothing of the runtime exists on this host", async () => {
    fs.rmSync(sim.paths.superloopDir, { recursive: true });
    writeExampleArtifacts(sim.root);
    expect((await statusOf()).runtimeProcess).toMatchObject({
      status: "unknown",
      reason: "runtime_files_not_local",
    });
  });

  it("unknown: active-run.json stays torn; a torn read that heals is retried (10a §4.1)", async () => {
    const proc = await sim.spawnRunProcess();
    sim.scenario("running", LOOP, { process: { pid: proc.pid, pgid: proc.pgid } });
    writeExampleArtifacts(sim.root);
    const torn = sim.tear("activeRun", "half");
    expect((await statusOf()).runtimeProcess).toMatchObject({
      status: "unknown",
      reason: "active_run_unreadable",
    });
    torn.heal();
    sim.tear("activeRun", "empty", { healAfterMs: 3 });
    expect((await statusOf()).runtimeProcess.status).toBe("alive");
  });

  it("unknown: a registration without a usable pid", async () => {
    sim.scenario("running", LOOP);
    sim.writeActiveRun({
      repo: sim.root,
      pid: 0,
      pgid: 0,
      loop_id: LOOP,
      iteration: 1,
      stage: "loop_start",
      updated_at: NOW,
    });
    const result = await runtimeProcessStatus(sim.root, LOOP);
    expect(result).toMatchObject({ status: "unknown", reason: "active_run_pid_invalid", pid: 0 });
  });

  it("unknown: no registration and a torn runtime state", async () => {
    sim.scenario("running", LOOP).crash();
    sim.tear("state", "empty");
    expect(await runtimeProcessStatus(sim.root, LOOP)).toMatchObject({
      status: "unknown",
      reason: "runtime_state_unreadable",
    });
  });

  it("uses the injected probe", async () => {
    sim.scenario("running", LOOP, { process: { pid: 4242, pgid: 4242 } });
    const seen: number[] = [];
    const result = await runtimeProcessStatus(sim.root, LOOP, (pid) => {
      seen.push(pid);
      return true;
    });
    expect(seen).toEqual([4242]);
    expect(result.status).toBe("alive");
  });
});

describe("isRuntimeProcessAlive", () => {
  it("is true for this process and false for impossible or group-addressing pids", () => {
    expect(isRuntimeProcessAlive(process.pid)).toBe(true);
    expect(isRuntimeProcessAlive(UNUSED_PID)).toBe(false);
    expect(isRuntimeProcessAlive(0)).toBe(false);
    expect(isRuntimeProcessAlive(-1)).toBe(false);
    expect(isRuntimeProcessAlive(1.5)).toBe(false);
  });
});
