import fs from "node:fs";
import {
  ActiveRunSchema,
  ApprovalSchema,
  DecisionLineSchema,
  parseTimestamp,
  RunSummarySchema,
  RuntimeEventLineSchema,
  RuntimeHeartbeatSchema,
  SuperloopStateSchema,
} from "@ops/contract";
import { afterEach, describe, expect, it } from "vitest";
import { createSystemClock } from "./clock.js";
import { createSimulatedRepo, type LoopDriver, type SimulatedRepo } from "./driver.js";
import type { RuntimeEvent } from "./events.js";
import { isProcessAlive, UNUSED_PID } from "./process.js";
import { runSuperloop } from "./runtime-command.js";
import { SCENARIO_NAMES, type ScenarioName } from "./scenarios.js";

const repos: SimulatedRepo[] = [];
function newRepo(...args: Parameters<typeof createSimulatedRepo>): SimulatedRepo {
  const repo = createSimulatedRepo(...args);
  repos.push(repo);
  return repo;
}
afterEach(async () => {
  await Promise.all(repos.splice(0).map((repo) => repo.cleanup()));
});

const ITERATION_ORDER = [
  "iteration_start",
  "role_start:planner",
  "role_end:planner",
  "role_start:implementer",
  "role_end:implementer",
  "role_start:tester",
  "role_end:tester",
  "role_start:reviewer",
  "role_end:reviewer",
  "promise_checked",
  "checklist_start",
  "checklist_end",
  "tests_start",
  "tests_end",
  "validation_start",
  "validation_end",
  "prerequisites_start",
  "prerequisites_end",
  "evidence_start",
  "evidence_end",
  "lifecycle_start",
  "lifecycle_end",
  "stuck_checked",
  "gates_evaluated",
  "iteration_end",
];

const label = (event: RuntimeEvent) =>
  event.role === undefined ? event.event : `${event.event}:${event.role}`;

/** Spec 12 §2 lifecycle table, applied to the files the driver wrote (single-loop repo). */
function lifecycle(repo: SimulatedRepo, loop: LoopDriver): string {
  const approval = loop.readApproval();
  const summary = loop.readSummary()?.entries.at(-1);
  const state = repo.readState() as { active?: unknown; current_loop_id?: unknown } | null;
  const last = loop.lastEvent();
  if (approval?.status === "pending") return "awaiting_approval";
  if (summary?.completion_ok === true) return "complete";
  if (state?.active === true && state.current_loop_id === loop.loopId) return "running";
  if (["loop_stop", "rate_limit_stop", "no_progress_stop"].includes(last?.event ?? "")) return "stopped";
  if (["error", "timeout", "blocked", "rate_limited"].includes(last?.status ?? "")) return "failed";
  if (state !== null && state.active !== true && summary !== undefined) return "idle";
  return "unknown";
}

describe("driver: events", () => {
  it("writes loop_start then one iteration in runtime order, with the runtime's line shape", () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop").startRun().iteration();
    const events = loop.readEvents();
    expect(events[0]).toEqual({
      timestamp: "2026-02-22T10:00:01Z",
      event: "loop_start",
      loop_id: "demo-loop",
      run_id: "2026-02-22T10:00:00Z",
      iteration: 1,
      data: { max_iterations: 20, started_at: "2026-02-22T10:00:00Z" },
    });
    expect(events.slice(1).map(label)).toEqual(ITERATION_ORDER);
    for (const event of events) {
      expect(event.run_id).toBe("2026-02-22T10:00:00Z");
      // role/status are omitted, never null; data always present; runtime key order.
      expect(Object.values(event)).not.toContain(null);
      const keys = Object.keys(event);
      expect(keys.slice(0, 5)).toEqual(["timestamp", "event", "loop_id", "run_id", "iteration"]);
      expect(keys.at(-1)).toBe("data");
    }
    const roleEnds = events.filter((event) => event.event === "role_end");
    expect(roleEnds).toHaveLength(4);
    for (const event of roleEnds) {
      expect(event).not.toHaveProperty("status");
      expect(event.data).toEqual({});
    }
    expect(events.find((event) => event.event === "tests_end")?.status).toBe("ok");
    expect(events.find((event) => event.event === "iteration_start")).not.toHaveProperty("role");
    const raw = fs.readFileSync(loop.paths.events, "utf8");
    expect(raw.endsWith("\n")).toBe(true);
    expect(raw.split("\n")).toHaveLength(events.length + 1);
  });

  it("stamps whole-second UTC timestamps that strictly increase under the manual clock", () => {
    const repo = newRepo(undefined, { start: "2026-03-01T00:00:00Z", stepSeconds: 5 });
    const loop = repo.loop("l").startRun().iterations(2);
    const epochs = loop.readEvents().map((event) => parseTimestamp(event.timestamp));
    expect(epochs.every((epoch) => epoch !== null)).toBe(true);
    for (let i = 1; i < epochs.length; i += 1) expect(epochs[i]! - epochs[i - 1]!).toBe(5);
    expect(loop.runId).toBe("2026-03-01T00:00:00Z");
  });

  it("is deterministic: same calls → byte-identical events and summary", () => {
    const build = () => {
      const repo = newRepo();
      const loop = repo
        .loop("demo-loop")
        .startRun()
        .iterations(2, { gates: { tests: "failed" } })
        .complete();
      return [fs.readFileSync(loop.paths.events, "utf8"), fs.readFileSync(loop.paths.runSummary, "utf8")];
    };
    expect(build()).toEqual(build());
  });

  it("can take timestamps from the wall clock", () => {
    const repo = newRepo(undefined, { clock: createSystemClock() });
    const before = Math.floor(Date.now() / 1000);
    const loop = repo.loop("l").startRun();
    const at = parseTimestamp(loop.lastEvent()?.timestamp);
    expect(at).not.toBeNull();
    expect(Math.abs(at! - before)).toBeLessThanOrEqual(2);
  });

  it("halts mid-iteration without a summary entry and keeps state active", () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop").startRun().iteration();
    loop.iteration({ haltAfter: { event: "role_start", role: "tester" } });
    expect(loop.lastEvent()).toMatchObject({ event: "role_start", role: "tester", iteration: 2 });
    expect(loop.readSummary()?.entries).toHaveLength(1);
    expect(repo.readState()).toEqual({
      active: true,
      loop_index: 0,
      iteration: 2,
      current_loop_id: "demo-loop",
      updated_at: loop.lastIteration?.startedAt,
    });
  });

  it("appends raw lines, including an unterminated tail that readers must skip", () => {
    const repo = newRepo();
    const loop = repo.loop("l").startRun();
    loop.appendRawLine("not json at all").appendRawLine('{"event":"half', { newline: false });
    const raw = fs.readFileSync(loop.paths.events, "utf8");
    expect(raw.endsWith('{"event":"half')).toBe(true);
    expect(raw.split("\n").at(-2)).toBe("not json at all");
  });
});

describe("driver: files", () => {
  it("writes run-summary entries with seven gates and the extra fields, replaced atomically", () => {
    const repo = newRepo();
    const loop = repo
      .loop("demo-loop")
      .startRun()
      .iteration({ gates: { tests: "failed" }, stuckStreak: 1 });
    const summaryInode = fs.statSync(loop.paths.runSummary).ino;
    const stateInode = fs.statSync(repo.paths.state).ino;
    loop.iteration();
    const summary = loop.readSummary();
    expect(summary?.version).toBe(1);
    expect(summary?.loop_id).toBe("demo-loop");
    expect(summary?.entries).toHaveLength(2);
    const [first, second] = summary?.entries ?? [];
    expect(Object.keys(first ?? {})).toEqual([
      "run_id",
      "iteration",
      "started_at",
      "ended_at",
      "promise",
      "tests_mode",
      "gates",
      "stuck",
      "delegation",
      "completion_ok",
      "artifacts",
    ]);
    expect(first?.gates).toEqual({
      tests: "failed",
      validation: "ok",
      prerequisites: "ok",
      checklist: "ok",
      evidence: "skipped",
      lifecycle: "skipped",
      approval: "none",
    });
    expect(first?.stuck).toEqual({ streak: 1, threshold: 3 });
    expect(first?.promise).toEqual({ expected: "SUPERLOOP_COMPLETE", text: null, matched: false });
    expect(first?.artifacts["test_report"]).toMatchObject({ exists: true, gate: "tests" });
    expect(first?.artifacts["evidence"]).toEqual({
      path: ".superloop/loops/demo-loop/evidence.json",
      exists: false,
      gate: "evidence",
    });
    expect(second?.iteration).toBe(2);
    expect(summary?.updated_at).toBe(second?.ended_at);
    expect(loop.lastEvent()?.timestamp).toBe(second?.ended_at);
    // Summary: temp + rename (new inode). state.json: rewritten in place (same inode).
    expect(fs.statSync(loop.paths.runSummary).ino).not.toBe(summaryInode);
    expect(fs.statSync(repo.paths.state).ino).toBe(stateInode);
    expect(fs.readdirSync(loop.paths.loopDir).filter((name) => name.includes(".tmp"))).toEqual([]);
  });

  it("registers active-run.json at run start and removes it when the run ends", () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop").startRun();
    expect(repo.readActiveRun()).toEqual({
      repo: repo.root,
      pid: UNUSED_PID,
      pgid: UNUSED_PID,
      loop_id: "demo-loop",
      iteration: 1,
      stage: "loop_start",
      updated_at: "2026-02-22T10:00:02Z",
    });
    loop.iteration().complete();
    expect(repo.readActiveRun()).toBeNull();
    expect(repo.readState()).toMatchObject({ active: false, iteration: 1, current_loop_id: "demo-loop" });
    expect(loop.lastEvent()?.event).toBe("loop_complete");
    expect(loop.readSummary()?.entries.at(-1)?.completion_ok).toBe(true);
  });

  it("requestApproval writes a pending approval.json and leaves the run exited", () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop").startRun().iteration().requestApproval();
    const approval = loop.readApproval();
    expect(approval).toMatchObject({
      status: "pending",
      loop_id: "demo-loop",
      run_id: loop.runId,
      iteration: 2,
      candidate: { promise: { matched: true }, gates: { approval: "pending" } },
    });
    expect(approval?.requested_at).toBe(loop.lastEvent()?.timestamp);
    expect(loop.lastEvent()?.event).toBe("approval_requested");
    expect(repo.readState()).toMatchObject({ active: false });
    expect(repo.readActiveRun()).toBeNull();
  });

  it("rate_limit_stop leaves state active; role_timeout makes it inactive", () => {
    const repo = newRepo();
    const limited = repo.loop("a").startRun().fail("rate_limited", { role: "planner" });
    expect(limited.lastEvent()).toMatchObject({
      event: "rate_limit_stop",
      role: "planner",
      status: "rate_limited",
    });
    expect(repo.readState()).toMatchObject({ active: true, current_loop_id: "a" });
    expect(fs.existsSync(limited.paths.rateLimit)).toBe(true);

    const timedOut = repo.loop("b").startRun().fail("timeout");
    const events = timedOut.readEvents().map(label);
    expect(events.slice(-2)).toEqual(["role_start:implementer", "role_timeout:implementer"]);
    expect(timedOut.lastEvent()?.status).toBe("timeout");
    expect(repo.readState()).toMatchObject({ active: false, current_loop_id: "b" });
  });

  it("crash writes no event and leaves state active", async () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop");
    const proc = await loop.startRunProcess();
    loop.iteration({ haltAfter: "iteration_start" });
    const lines = loop.readEvents().length;
    loop.crash({ keepActiveRun: true });
    await Promise.race([proc.exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    expect(isProcessAlive(proc.pid)).toBe(false);
    expect(loop.readEvents()).toHaveLength(lines);
    expect(repo.readState()).toMatchObject({ active: true });
    // SIGKILL skips the exit trap: a dead pid stays registered.
    expect(repo.readActiveRun()).toMatchObject({ pid: proc.pid });
  });

  it("writes a heartbeat only when asked", () => {
    const repo = newRepo();
    const loop = repo.scenario("running");
    expect(fs.existsSync(loop.paths.heartbeat)).toBe(false);
    expect(loop.writeHeartbeat("2026-02-22T09:00:00Z")).toEqual({
      schemaVersion: "v1",
      timestamp: "2026-02-22T09:00:00Z",
      source: "runtime",
      status: "running",
      stage: "iteration",
    });
    expect(JSON.parse(fs.readFileSync(loop.paths.heartbeat, "utf8")).timestamp).toBe("2026-02-22T09:00:00Z");
  });
});

describe("driver: torn writes", () => {
  it("tears state.json (half / empty) on demand and heals to the original content", () => {
    const repo = newRepo();
    repo.scenario("running");
    const original = fs.readFileSync(repo.paths.state, "utf8");
    const half = repo.tear("state", "half");
    const torn = fs.readFileSync(repo.paths.state, "utf8");
    expect(torn.length).toBeGreaterThan(0);
    expect(original.startsWith(torn)).toBe(true);
    expect(() => JSON.parse(torn)).toThrow();
    half.heal();
    expect(fs.readFileSync(repo.paths.state, "utf8")).toBe(original);

    repo.tear("state", "empty");
    expect(fs.readFileSync(repo.paths.state, "utf8")).toBe("");
  });

  it("heals by itself after healAfterMs", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const write = loop.tear("approval", "half", { healAfterMs: 30 });
    expect(() => loop.readApproval()).toThrow();
    await write.healed;
    expect(loop.readApproval()?.status).toBe("pending");
  });
});

describe("driver: approval round trip", () => {
  it("a later run consumes an approval: approval_consumed, loop_complete, approval.json deleted", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "alice"]);
    expect(loop.resumeAfterDecision()).toBe("approved");
    expect(
      loop
        .readEvents()
        .map((event) => event.event)
        .slice(-4),
    ).toEqual(["approval_decision", "loop_start", "approval_consumed", "loop_complete"]);
    expect(loop.readApproval()).toBeNull();
    expect(lifecycle(repo, loop)).toBe("complete");
  });

  it("a later run takes a rejection: approval_rejected and the run continues", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "bob", "--reject"]);
    expect(loop.resumeAfterDecision()).toBe("rejected");
    expect(loop.lastEvent()?.event).toBe("approval_rejected");
    expect(loop.readApproval()).toBeNull();
    expect(lifecycle(repo, loop)).toBe("running");
  });

  it("a re-run while still pending writes approval_wait", () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    expect(loop.resumeAfterDecision()).toBe("pending");
    expect(loop.lastEvent()?.event).toBe("approval_wait");
    expect(lifecycle(repo, loop)).toBe("awaiting_approval");
  });
});

describe("scenarios", () => {
  const expected: Record<ScenarioName, string> = {
    running: "running",
    awaitingApproval: "awaiting_approval",
    complete: "complete",
    stopped: "stopped",
    failed: "failed",
    stuck: "stopped",
    staleHeartbeat: "running",
    idle: "idle",
  };

  it.each(SCENARIO_NAMES.map((name) => [name]))("%s projects to the intended lifecycle", (name) => {
    const repo = newRepo();
    const loop = repo.scenario(name, "demo-loop");
    expect(lifecycle(repo, loop)).toBe(expected[name]);
  });

  it("carry the details the presets promise", () => {
    const repo = newRepo();
    const running = repo.scenario("running", "r");
    expect(running.lastEvent()).toMatchObject({ event: "role_start", role: "implementer" });
    expect(repo.readActiveRun()).toMatchObject({ loop_id: "r" });

    const stuck = repo.scenario("stuck", "s");
    expect(stuck.lastEvent()?.data).toEqual({ reason: "stuck" });
    expect(stuck.readSummary()?.entries.map((entry) => entry.stuck.streak)).toEqual([1, 2, 3]);

    const stale = repo.scenario("staleHeartbeat", "h", { heartbeatAgeSeconds: 900 });
    const heartbeat = JSON.parse(fs.readFileSync(stale.paths.heartbeat, "utf8")) as { timestamp: string };
    const lastAt = parseTimestamp(stale.lastEvent()?.timestamp);
    expect(lastAt! - parseTimestamp(heartbeat.timestamp)!).toBe(900);

    const idle = repo.scenario("idle", "i");
    expect(idle.lastEvent()?.event).toBe("iteration_end");

    const stopped = repo.scenario("stopped", "st", { stopReason: "no_progress" });
    expect(stopped.lastEvent()).toMatchObject({ event: "loop_stop", data: { reason: "no_progress" } });
  });

  it("running can register a real process", async () => {
    const repo = newRepo();
    const proc = await repo.spawnRunProcess();
    repo.scenario("running", "demo-loop", { process: proc });
    expect(repo.readActiveRun()).toMatchObject({ pid: proc.pid, pgid: proc.pgid });
    expect(proc.isAlive()).toBe(true);
    await repo.cleanup();
    expect(proc.isAlive()).toBe(false);
  });
});

describe("contract compatibility", () => {
  it("every artifact the driver and the runtime command write parses under @ops/contract's runtime schemas", async () => {
    const repo = newRepo();
    for (const name of SCENARIO_NAMES) {
      const loop = repo.scenario(name, `loop-${name}`);
      for (const event of loop.readEvents()) RuntimeEventLineSchema.parse(event);
      RunSummarySchema.parse(loop.readSummary());
      SuperloopStateSchema.parse(repo.readState());
      if (repo.readActiveRun() !== null) ActiveRunSchema.parse(repo.readActiveRun());
      if (fs.existsSync(loop.paths.heartbeat))
        RuntimeHeartbeatSchema.parse(JSON.parse(fs.readFileSync(loop.paths.heartbeat, "utf8")));
    }
    const pending = repo.loop("loop-awaitingApproval");
    ApprovalSchema.parse(pending.readApproval());
    await runSuperloop(["approve", "--repo", repo.root, "--loop", pending.loopId, "--by", "a", "--reject"]);
    const decided = ApprovalSchema.parse(pending.readApproval());
    expect(decided.status).toBe("rejected");
    expect(decided.decided_note).toBeNull();
    for (const line of pending.readDecisions()) DecisionLineSchema.parse(line);
  });
});
