import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { createSimulatedRepo, type SimulatedRepo } from "./driver.js";
import { isProcessAlive, UNUSED_PID } from "./process.js";
import { readInvocationLog, runSuperloop, superloopBinPath } from "./runtime-command.js";

const repos: SimulatedRepo[] = [];
function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo();
  repos.push(repo);
  return repo;
}
afterEach(async () => {
  await Promise.all(repos.splice(0).map((repo) => repo.cleanup()));
});

function sha(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

const NOW = "2026-02-22T11:30:00Z";

/** Settle within `ms` or fail fast (a regression must not hang until the test timeout). */
function within<T>(promise: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not settled within ${ms}ms`)), ms)),
  ]);
}

describe("superloop cancel", () => {
  it("kills the registered process group, deletes state and active-run, writes no event", async () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop");
    const proc = await loop.startRunProcess({ children: 2 });
    loop.iteration().iteration({ haltAfter: { event: "role_start", role: "implementer" } });
    expect(proc.memberPids).toHaveLength(2);
    expect(proc.isAlive()).toBe(true);
    expect(repo.readActiveRun()).toMatchObject({ pid: proc.pid, pgid: proc.pgid, loop_id: "demo-loop" });
    const eventsBefore = sha(loop.paths.events);

    const result = await runSuperloop(["cancel", "--repo", repo.root]);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("Cancelled loop state.\n");
    expect(result.stderr).toBe("");
    expect(await within(proc.exited)).toEqual({ code: 143, signal: null }); // SIGTERM handled by the run's trap
    expect(isProcessAlive(proc.pid)).toBe(false);
    for (const member of proc.memberPids) expect(isProcessAlive(member)).toBe(false);
    expect(fs.existsSync(repo.paths.state)).toBe(false);
    expect(fs.existsSync(repo.paths.activeRun)).toBe(false);
    expect(sha(loop.paths.events)).toBe(eventsBefore);
    expect(loop.lastEvent()).toMatchObject({ event: "role_start", role: "implementer" });
  });

  it("kills whichever loop registered last, even with two loops in the repo", async () => {
    const repo = newRepo();
    const first = await repo.loop("loop-a").startRunProcess();
    const second = await repo.loop("loop-b").startRunProcess();
    const result = await runSuperloop(["cancel", "--repo", repo.root]);
    expect(result.exitCode).toBe(0);
    await within(second.exited);
    expect(second.isAlive()).toBe(false);
    expect(first.isAlive()).toBe(true);
  });

  it("ignores a dead pid (ESRCH) and still deletes the files", async () => {
    const repo = newRepo();
    repo.scenario("running");
    expect(repo.readActiveRun()).toMatchObject({ pid: UNUSED_PID });
    const result = await runSuperloop(["cancel", "--repo", repo.root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    expect(fs.existsSync(repo.paths.state)).toBe(false);
    expect(fs.existsSync(repo.paths.activeRun)).toBe(false);
  });

  it("succeeds with nothing to cancel", async () => {
    const repo = newRepo();
    const result = await runSuperloop(["cancel", "--repo", repo.root]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("No active loop state");
  });

  it("deletes a torn active-run.json without signalling anything", async () => {
    const repo = newRepo();
    repo.scenario("running");
    repo.tear("activeRun", "half");
    const result = await runSuperloop(["cancel", "--repo", repo.root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("not valid JSON");
    expect(fs.existsSync(repo.paths.activeRun)).toBe(false);
    expect(fs.existsSync(repo.paths.state)).toBe(false);
  });

  it.runIf(fs.existsSync("/proc/self/stat"))("refuses to signal its caller's own process group", async () => {
    const repo = newRepo();
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const ownGroup = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    repo.loop("demo-loop").startRun({ pid: process.pid, pgid: ownGroup });
    const result = await runSuperloop(["cancel", "--repo", repo.root]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("refusing to signal own process group");
    expect(fs.existsSync(repo.paths.activeRun)).toBe(false);
  });
});

describe("superloop approve", () => {
  it("records an approval with a note in approval.json, decisions.jsonl and an event", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const pending = loop.readApproval();
    expect(pending?.status).toBe("pending");

    const result = await runSuperloop(
      ["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "alice", "--note", "Looks good"],
      { sim: { SUPERLOOP_SIM_NOW: NOW } },
    );

    expect(result).toMatchObject({ exitCode: 0, stderr: "" });
    expect(result.stdout).toBe("Recorded approval decision (approved) for loop 'demo-loop'.\n");
    const approval = readJson(loop.paths.approval);
    expect(approval).toEqual({
      ...pending,
      status: "approved",
      decision: { status: "approved", by: "alice", note: "Looks good", at: NOW },
      decided_at: NOW,
      decided_by: "alice",
      decided_note: "Looks good",
    });
    expect(loop.readDecisions()).toEqual([
      {
        timestamp: NOW,
        loop_id: "demo-loop",
        run_id: pending?.run_id,
        iteration: pending?.iteration,
        decision: "approved",
        by: "alice",
        note: "Looks good",
        approval_file: loop.paths.approval,
      },
    ]);
    expect(loop.lastEvent()).toEqual({
      timestamp: NOW,
      event: "approval_decision",
      loop_id: "demo-loop",
      run_id: pending?.run_id,
      iteration: pending?.iteration,
      role: "human",
      status: "approved",
      data: { decision: "approved", by: "alice", note: "Looks good" },
    });
    // The run is not resumed: no completion, state stays inactive.
    expect(repo.readState()).toMatchObject({ active: false });
    expect(loop.readEvents().some((event) => event.event === "loop_complete")).toBe(false);
  });

  it("records a rejection without a note (nulls in approval.json, no note key in the log)", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const result = await runSuperloop(
      ["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "bob", "--reject"],
      { sim: { SUPERLOOP_SIM_NOW: NOW } },
    );
    expect(result.exitCode).toBe(0);
    const approval = readJson(loop.paths.approval);
    expect(approval["status"]).toBe("rejected");
    expect(approval["decision"]).toEqual({ status: "rejected", by: "bob", note: null, at: NOW });
    expect(approval["decided_note"]).toBeNull();
    const [decision] = loop.readDecisions();
    expect(decision).not.toHaveProperty("note");
    expect(decision).toMatchObject({ decision: "rejected", by: "bob" });
    const event = loop.lastEvent();
    expect(event).toMatchObject({ event: "approval_decision", role: "human", status: "rejected" });
    expect(event?.data).toEqual({ decision: "rejected", by: "bob" });
  });

  it("defaults --by to $USER", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const result = await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop"], {
      env: { USER: "carol" },
    });
    expect(result.exitCode).toBe(0);
    expect(loop.readApproval()?.["decided_by"]).toBe("carol");
  });

  it("fails without a pending approval and writes nothing", async () => {
    const repo = newRepo();
    const loop = repo.scenario("running");
    const eventsBefore = sha(loop.paths.events);
    const missing = await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "a"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("no pending approval for loop 'demo-loop'");
    expect(fs.existsSync(loop.paths.decisions)).toBe(false);
    expect(sha(loop.paths.events)).toBe(eventsBefore);
  });

  it("fails when the approval was already decided and leaves it untouched", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const args = ["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "a"];
    expect((await runSuperloop(args)).exitCode).toBe(0);
    const decided = fs.readFileSync(loop.paths.approval, "utf8");
    const again = await runSuperloop([...args, "--reject"]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain("status: approved");
    expect(fs.readFileSync(loop.paths.approval, "utf8")).toBe(decided);
    expect(loop.readDecisions()).toHaveLength(1);
  });
});

describe("superloop usage", () => {
  it("rejects unknown commands and flags with exit 2 and usage on stderr", async () => {
    const repo = newRepo();
    const unknownCommand = await runSuperloop(["pause", "--repo", repo.root]);
    expect(unknownCommand.exitCode).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command: pause");
    expect(unknownCommand.stderr).toContain("Usage:");
    expect(unknownCommand.stdout).toBe("");

    const unknownFlag = await runSuperloop(["cancel", "--repo", repo.root, "--loop", "x"]);
    expect(unknownFlag.exitCode).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown argument: --loop");

    const missing = await runSuperloop(["approve", "--repo", repo.root]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("--loop is required");

    const none = await runSuperloop([]);
    expect(none.exitCode).toBe(2);
  });

  it("prints help on stdout with exit 0", async () => {
    const result = await runSuperloop(["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("approve --repo <path> --loop <id>");
  });

  it("fails with exit 1 for a missing repo", async () => {
    const result = await runSuperloop(["cancel", "--repo", "/nonexistent/ops-testkit-repo"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("repo not found");
  });

  it("is directly executable through its shebang", async () => {
    const repo = newRepo();
    const result = await execa(superloopBinPath(), ["cancel", "--repo", repo.root], { reject: false });
    expect(result.exitCode).toBe(0);
  });
});

describe("fault injection", () => {
  it("SUPERLOOP_SIM_EXIT_CODE fails without acting", async () => {
    const repo = newRepo();
    repo.scenario("running");
    const result = await runSuperloop(["cancel", "--repo", repo.root], {
      sim: { SUPERLOOP_SIM_EXIT_CODE: 3 },
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("simulated runtime failure");
    expect(fs.existsSync(repo.paths.state)).toBe(true);
  });

  it("SUPERLOOP_SIM_EXIT_AFTER_EFFECT fails after acting", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const result = await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "a"], {
      sim: { SUPERLOOP_SIM_EXIT_CODE: 4, SUPERLOOP_SIM_EXIT_AFTER_EFFECT: true },
    });
    expect(result.exitCode).toBe(4);
    expect(loop.readApproval()?.status).toBe("approved");
  });

  it("SUPERLOOP_SIM_SKIP_EFFECT claims success but changes nothing", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const before = sha(loop.paths.approval);
    const eventsBefore = sha(loop.paths.events);
    const result = await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "a"], {
      sim: { SUPERLOOP_SIM_SKIP_EFFECT: true },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Recorded approval decision");
    expect(sha(loop.paths.approval)).toBe(before);
    expect(sha(loop.paths.events)).toBe(eventsBefore);
    expect(fs.existsSync(loop.paths.decisions)).toBe(false);
  });

  it("SUPERLOOP_SIM_SLEEP_MS hangs before acting (timeouts leave no effect)", async () => {
    const repo = newRepo();
    repo.scenario("running");
    const hung = await runSuperloop(["cancel", "--repo", repo.root], {
      sim: { SUPERLOOP_SIM_SLEEP_MS: 10_000 },
      timeoutMs: 400,
    });
    expect(hung.timedOut).toBe(true);
    expect(fs.existsSync(repo.paths.state)).toBe(true);

    const started = Date.now();
    const slow = await runSuperloop(["cancel", "--repo", repo.root], {
      sim: { SUPERLOOP_SIM_SLEEP_MS: 300 },
    });
    expect(slow.exitCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(fs.existsSync(repo.paths.state)).toBe(false);
  });

  it("SUPERLOOP_SIM_INVOCATION_LOG records one line per invocation with argv", async () => {
    const repo = newRepo();
    const log = path.join(repo.root, "invocations.jsonl");
    const sim = { SUPERLOOP_SIM_INVOCATION_LOG: log };
    await runSuperloop(["cancel", "--repo", repo.root], { sim });
    expect(readInvocationLog(log).map((record) => record.argv)).toEqual([["cancel", "--repo", repo.root]]);
    await runSuperloop(["bogus"], { sim: { ...sim, SUPERLOOP_SIM_EXIT_CODE: 1 } });
    const records = readInvocationLog(log);
    expect(records).toHaveLength(2);
    expect(records[1]?.argv).toEqual(["bogus"]);
    expect(records[1]?.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("SUPERLOOP_SIM_OUTPUT_LINES and SUPERLOOP_SIM_CRLF shape the captured output", async () => {
    const repo = newRepo();
    const result = await runSuperloop(["cancel", "--repo", repo.root], {
      sim: { SUPERLOOP_SIM_OUTPUT_LINES: 50, SUPERLOOP_SIM_CRLF: true },
    });
    const lines = result.stdout.split("\r\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe("superloop sim output line 1");
    expect(lines[50]).toContain("No active loop state");
  });

  it("SUPERLOOP_SIM_TORN_WRITE_MS exposes a half-written approval.json mid-write", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval");
    const running = runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "a"], {
      sim: { SUPERLOOP_SIM_TORN_WRITE_MS: 600 },
    });
    let sawTorn = false;
    const deadline = Date.now() + 5000;
    while (!sawTorn && Date.now() < deadline) {
      const text = fs.readFileSync(loop.paths.approval, "utf8");
      try {
        JSON.parse(text);
      } catch {
        sawTorn = text.length > 0;
      }
      if (!sawTorn) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const result = await running;
    expect(sawTorn).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(loop.readApproval()?.status).toBe("approved");
  });
});
