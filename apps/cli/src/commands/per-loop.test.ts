// The per-loop commands end to end through the CLI, on repos written by the simulated runtime.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

const repos: SimulatedRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  repos.push(repo);
  return repo;
}

async function cli(args: string[], cwd: string) {
  const io = captureIo({}, cwd);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe("ops-manager snapshot", () => {
  it("prints one compact loop_run_snapshot envelope and nothing on stderr", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const { code, out, err } = await cli(
      ["snapshot", "--repo", repo.root, "--loop", "demo-loop", "--trace-id", "t-1"],
      repo.root,
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.trim().split("\n")).toHaveLength(1);
    const envelope = JSON.parse(out);
    expect(envelope).toMatchObject({
      envelopeType: "loop_run_snapshot",
      traceId: "t-1",
      source: { repoPath: repo.root, loopId: "demo-loop" },
      run: { status: "awaiting_approval" },
      health: { hasPendingApproval: true },
    });
  });

  it("fails closed with the spec's message for a missing loop directory", async () => {
    const repo = newRepo();
    const { code, out, err } = await cli(["snapshot", "--repo", repo.root, "--loop", "nope"], repo.root);
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toBe(
      `error: required artifact root missing: ${path.join(repo.root, ".superloop/loops/nope")}\n`,
    );
  });

  it("rejects a path-traversing loop id with one error line", async () => {
    const repo = newRepo();
    const { code, err } = await cli(["snapshot", "--repo", repo.root, "--loop", "../x"], repo.root);
    expect(code).toBe(1);
    expect(err.split("\n").filter(Boolean)).toHaveLength(1);
    expect(err).toMatch(/^error: .*loop id/);
  });
});

describe("ops-manager poll-events", () => {
  it("prints NDJSON once and nothing on the next poll", async () => {
    const repo = newRepo();
    const loop = repo.scenario("running", "demo-loop");
    const lines = loop.readEvents().length;
    const first = await cli(["poll-events", "--repo", repo.root, "--loop", "demo-loop"], repo.root);
    expect(first.code).toBe(0);
    const envelopes = first.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(envelopes).toHaveLength(lines);
    expect(envelopes.at(-1).cursor).toEqual({ eventLineOffset: lines, eventLineCount: lines });
    const again = await cli(["poll-events", "--repo", repo.root, "--loop", "demo-loop"], repo.root);
    expect(again).toEqual({ code: 0, out: "", err: "" });
    const cursor = JSON.parse(readFileSync(loop.paths.standaloneCursor, "utf8"));
    expect(cursor.eventLineOffset).toBe(lines);
  });

  it("validates --max-events", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const { code, err } = await cli(
      ["poll-events", "--repo", repo.root, "--loop", "demo-loop", "--max-events", "-1"],
      repo.root,
    );
    expect(code).toBe(1);
    expect(err).toBe("error: --max-events must be a non-negative integer\n");
  });

  it("names the cursor path in one error line when it cannot be written, and damages nothing", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const blocker = path.join(repo.root, "blocker");
    writeFileSync(blocker, "keep");
    const { code, err } = await cli(
      ["poll-events", "--repo", repo.root, "--loop", "demo-loop", "--cursor-file", `${blocker}/cursor.json`],
      repo.root,
    );
    expect(code).toBe(1);
    expect(err).toBe(`error: cannot create directory ${blocker} (ENOTDIR)\n`);
    expect(readFileSync(blocker, "utf8")).toBe("keep");
  });

  it("refuses a cursor file that is the runtime's events.jsonl, and leaves the log alone", async () => {
    const repo = newRepo();
    const loop = repo.scenario("running", "demo-loop");
    const before = readFileSync(loop.paths.events, "utf8");
    const { code, out, err } = await cli(
      [
        "poll-events",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--from-start",
        "--cursor-file",
        loop.paths.events,
      ],
      repo.root,
    );
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err: `error: --cursor-file must not be a runtime artifact: ${loop.paths.events}\n`,
    });
    expect(readFileSync(loop.paths.events, "utf8")).toBe(before);
  });

  it.runIf(existsSync("/proc/self"))("fails, not hangs, on a cursor path under /proc", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const { code, err } = await cli(
      [
        "poll-events",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--cursor-file",
        "/proc/ops-nope/cursor.json",
      ],
      repo.root,
    );
    expect({ code, err }).toEqual({
      code: 1,
      err: "error: cannot create directory /proc/ops-nope (ENOENT)\n",
    });
  });
});

describe("ops-manager project-state", () => {
  it("writes and prints the lifecycle projection", async () => {
    const repo = newRepo();
    repo.scenario("complete", "demo-loop");
    const { code, out, err } = await cli(
      ["project-state", "--repo", repo.root, "--loop", "demo-loop"],
      repo.root,
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const state = JSON.parse(out);
    expect(state.transition).toMatchObject({
      previousState: "none",
      currentState: "complete",
      confidence: "medium",
    });
    const file = path.join(repo.root, ".superloop/ops-manager/demo-loop/state.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(state);
  });

  it("names the state file in one error line when it is a directory", async () => {
    const repo = newRepo();
    repo.scenario("complete", "demo-loop");
    const target = path.join(repo.root, "state-dir");
    mkdirSync(target);
    const { code, out, err } = await cli(
      ["project-state", "--repo", repo.root, "--loop", "demo-loop", "--state-file", target],
      repo.root,
    );
    expect({ code, out, err }).toEqual({ code: 1, out: "", err: `error: cannot write ${target} (EISDIR)\n` });
  });
});

describe("ops-manager status", () => {
  async function projected(): Promise<SimulatedRepo> {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    expect((await cli(["project-state", "--repo", repo.root, "--loop", "demo-loop"], repo.root)).code).toBe(
      0,
    );
    return repo;
  }

  it("prints the status document as JSON by default", async () => {
    const repo = await projected();
    const { code, out, err } = await cli(["status", "--repo", repo.root, "--loop", "demo-loop"], repo.root);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const status = JSON.parse(out);
    expect(status.lifecycle.state).toBe("awaiting_approval");
    expect(status.source).toEqual({ repoPath: repo.root, loopId: "demo-loop" });
  });

  it("prints a table, coloured only on a TTY without NO_COLOR", async () => {
    const repo = await projected();
    const args = ["status", "--repo", repo.root, "--loop", "demo-loop", "--format", "table"];
    const plain = await cli(args, repo.root);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain("awaiting_approval");
    expect(plain.out).not.toContain("\u001b[");
    expect(plain.out.endsWith("\n")).toBe(true);
    expect(plain.out.endsWith("\n\n")).toBe(false);

    const tty = (env: Record<string, string>) => {
      const io = captureIo(env, repo.root);
      return { ...io, stdout: { write: io.stdout.write, isTTY: true } };
    };
    const coloured = tty({});
    expect(await runCli(args, coloured)).toBe(0);
    expect(coloured.out()).toContain("\u001b[");
    const noColor = tty({ NO_COLOR: "1" });
    expect(await runCli(args, noColor)).toBe(0);
    expect(noColor.out()).not.toContain("\u001b[");
  });

  it("rejects an unknown --format and reports missing artifacts", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const bad = await cli(
      ["status", "--repo", repo.root, "--loop", "demo-loop", "--format", "xml"],
      repo.root,
    );
    expect(bad).toEqual({ code: 1, out: "", err: "error: --format must be json or table\n" });
    const none = await cli(["status", "--repo", repo.root, "--loop", "demo-loop"], repo.root);
    expect(none).toEqual({ code: 1, out: "", err: "error: no status artifacts found for loop: demo-loop\n" });
  });
});

describe("ops-manager reconcile", () => {
  it("prints the merged state, exit 0, and the next cycle ingests nothing new", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const args = ["reconcile", "--repo", repo.root, "--loop", "demo-loop", "--trace-id", "tr-1"];
    const first = await cli(args, repo.root);
    expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: "" });
    const state = JSON.parse(first.out);
    expect(Object.keys(state)).toEqual(
      expect.arrayContaining(["transition", "projection", "health", "trace", "sequence", "drift", "tuning"]),
    );
    expect(state.trace.reconcileTraceId).toBe("tr-1");
    expect(state.transition.currentState).toBe("running");

    const second = await cli(args, repo.root);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.out).transition.triggeringSignal).toBe("snapshot_status:running");
    const telemetry = readFileSync(
      path.join(repo.root, ".superloop/ops-manager/demo-loop/telemetry/reconcile.jsonl"),
      "utf8",
    )
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(telemetry.map((row) => row.eventsIngested)).toEqual([telemetry[0].eventsIngested, 0]);
    expect(telemetry[0].eventsIngested).toBeGreaterThan(0);
  });

  it.each([
    ["the final line (the snapshot fails)", false, "snapshot_unavailable"],
    ["a middle line (the poll fails)", true, "events_unavailable"],
  ])("prints the health document and exits 1 on a corrupt event in %s", async (_where, more, failureCode) => {
    const repo = newRepo();
    const loop = repo.scenario("running", "demo-loop");
    loop.appendRawLine('{"event":');
    if (more) loop.appendEvent("role_end", { role: "implementer" });
    const { code, out, err } = await cli(
      ["reconcile", "--repo", repo.root, "--loop", "demo-loop"],
      repo.root,
    );
    expect({ code, err }).toEqual({ code: 1, err: "" });
    const health = JSON.parse(out);
    expect(health.transport).toMatchObject({ ingestStatus: "failed", failureCode });
    expect(health.reasonCodes).toContain("transport_unreachable");
  });

  it("fails closed on a bad flag value with the spec's message", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const { code, out, err } = await cli(
      ["reconcile", "--repo", repo.root, "--loop", "demo-loop", "--alerts-enabled", "yes"],
      repo.root,
    );
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err: "error: --alerts-enabled must be true or false\n",
    });
  });
});
