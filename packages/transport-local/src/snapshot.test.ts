import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ContractError, LoopRunSnapshotSchema, runtimePaths, ValidationError } from "@ops/contract";
import { withTempDir } from "@ops/testkit";
import { describe, expect, it } from "vitest";
import { loopRunSnapshot } from "./snapshot.js";
import { expectRejection, fixedClock, simulatedRepos } from "./test-helpers.js";

const clock = fixedClock("2026-02-22T10:00:06Z");
const simRepo = simulatedRepos();

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** A bare loop directory with the given events text. */
function bareLoop(root: string, loop = "demo-loop", events = ""): ReturnType<typeof runtimePaths> {
  const paths = runtimePaths(root, loop);
  write(paths.events, events);
  return paths;
}

describe("loopRunSnapshot: errors in the spec's order (11 §4)", () => {
  it("1. required flags", async () => {
    await expectRejection(loopRunSnapshot({}), ValidationError, "--repo is required");
    await expectRejection(loopRunSnapshot({ repo: "", loop: "x" }), ValidationError, "--repo is required");
    await expectRejection(loopRunSnapshot({ repo: "/nonexistent" }), ValidationError, "--loop is required");
    await expectRejection(
      loopRunSnapshot({ repo: "/nonexistent", loop: "" }),
      ValidationError,
      "--loop is required",
    );
  });

  it("loop ids that would escape the loop directory are rejected before any path is used (Q10-3)", async () => {
    await withTempDir(async (root) => {
      // A directory the traversal would reach, so only the id check can stop it.
      bareLoop(root, "demo-loop", '{"event":"x","timestamp":"2026-02-22T10:00:00Z"}\n');
      for (const loop of ["../loops/demo-loop", "..", ".", "a/b", "demo loop", "x&y"]) {
        const error = await expectRejection(
          loopRunSnapshot({ repo: path.join(root, "missing-repo"), loop }),
          ValidationError,
          /^invalid loop id for --loop: /,
        );
        expect(error.message).toContain(JSON.stringify(loop));
      }
      // The id check comes after the required flags.
      await expectRejection(loopRunSnapshot({ loop: ".." }), ValidationError, "--repo is required");
    });
  });

  it("2. missing repo directory, resolved to an absolute path", async () => {
    await withTempDir(async (root) => {
      await expectRejection(
        loopRunSnapshot({ repo: "nope", loop: "demo-loop" }, { cwd: root }),
        ValidationError,
        `repo directory not found: ${path.join(root, "nope")}`,
      );
    });
  });

  it("3. loop directory, 4. events file", async () => {
    await withTempDir(async (root) => {
      const paths = runtimePaths(root, "demo-loop");
      await expectRejection(
        loopRunSnapshot({ repo: root, loop: "demo-loop" }),
        ContractError,
        `required artifact root missing: ${paths.loopDir}`,
      );
      fs.mkdirSync(paths.loopDir, { recursive: true });
      // Every optional file invalid: the missing events file is still reported first.
      write(paths.state, "{");
      await expectRejection(
        loopRunSnapshot({ repo: root, loop: "demo-loop" }),
        ContractError,
        `required artifact missing: ${paths.events}`,
      );
    });
  });

  it("5. invalid final events line (before the optional files)", async () => {
    await withTempDir(async (root) => {
      const paths = bareLoop(
        root,
        "demo-loop",
        '{"event":"a","timestamp":"2026-02-22T10:00:00Z"}\n{"event":\n',
      );
      write(paths.state, "{");
      await expectRejection(
        loopRunSnapshot({ repo: root, loop: "demo-loop" }, { tornReadRetries: 0 }),
        ContractError,
        `invalid JSON in final events line: ${paths.events}`,
      );
    });
  });

  it("5. only the final line is parsed; an empty log is not an error", async () => {
    await withTempDir(async (root) => {
      bareLoop(root, "demo-loop", 'garbage\n{"event":"a","timestamp":"2026-02-22T10:00:00Z"}\n');
      const snapshot = await loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock });
      expect(snapshot.health.lastEventName).toBe("a");
      bareLoop(root, "empty-loop", "");
      const empty = await loopRunSnapshot({ repo: root, loop: "empty-loop" }, { clock });
      expect(empty.health).toMatchObject({ eventCount: 0, lastEventAt: null, lastEventName: null });
      expect(empty.run).toMatchObject({ runId: "unknown", iteration: 0, status: "unknown", summary: null });
    });
  });

  it("6. invalid optional files in the order state → active-run → approval → run-summary → heartbeat", async () => {
    await withTempDir(async (root) => {
      const paths = bareLoop(root, "demo-loop", "");
      const order = [paths.state, paths.activeRun, paths.approval, paths.runSummary, paths.heartbeat];
      for (const file of order) write(file, '{"half":');
      for (const file of order) {
        await expectRejection(
          loopRunSnapshot({ repo: root, loop: "demo-loop" }, { tornReadRetries: 0 }),
          ContractError,
          `invalid JSON in ${file}`,
        );
        write(file, "{}");
      }
      await expect(loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock })).resolves.toBeTruthy();
    });
  });

  it("6. an optional file path that is a directory is invalid JSON, reported in the spec's order", async () => {
    await withTempDir(async (root) => {
      const paths = bareLoop(root, "demo-loop", "");
      fs.mkdirSync(paths.heartbeat);
      write(paths.state, '{"half":');
      await expectRejection(
        loopRunSnapshot({ repo: root, loop: "demo-loop" }, { tornReadRetries: 0 }),
        ContractError,
        `invalid JSON in ${paths.state}`,
      );
      write(paths.state, "{}");
      await expectRejection(
        loopRunSnapshot({ repo: root, loop: "demo-loop" }, { tornReadRetries: 0 }),
        ContractError,
        `invalid JSON in ${paths.heartbeat}`,
      );
    });
  });

  it("6. valid JSON that is not an object is rejected the same way; JSON null counts as absent", async () => {
    await withTempDir(async (root) => {
      const paths = bareLoop(root, "demo-loop", "");
      write(paths.approval, "[1,2]\n");
      await expectRejection(
        loopRunSnapshot({ repo: root, loop: "demo-loop" }),
        ContractError,
        `invalid JSON in ${paths.approval}`,
      );
      write(paths.approval, "null\n");
      const snapshot = await loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock });
      expect(snapshot.runtime.approval).toBeNull();
      expect(snapshot.artifacts.approval.exists).toBe(true);
    });
  });
});

describe("loopRunSnapshot: spec 11 §2.2 example", () => {
  it("reproduces the example envelope", async () => {
    await withTempDir(async (root) => {
      const paths = bareLoop(
        root,
        "demo-loop",
        '{"timestamp":"2026-02-22T10:00:01Z","event":"iteration_end","loop_id":"demo-loop","run_id":"run-123","iteration":1,"data":{}}\n' +
          '{"timestamp":"2026-02-22T10:00:05Z","event":"iteration_start","loop_id":"demo-loop","run_id":"run-123","iteration":2,"data":{"started_at":"2026-02-22T10:00:05Z"}}\n',
      );
      const entry = {
        run_id: "run-123",
        iteration: 1,
        completion_ok: false,
        gates: {
          tests: "ok",
          validation: "ok",
          prerequisites: "ok",
          checklist: "ok",
          evidence: "skipped",
          approval: "none",
        },
        stuck: { streak: 0, threshold: 3 },
        ended_at: "2026-02-22T09:59:59Z",
      };
      write(
        paths.runSummary,
        JSON.stringify({
          version: 1,
          loop_id: "demo-loop",
          updated_at: "2026-02-22T10:00:00Z",
          entries: [entry],
        }),
      );
      const state = {
        active: true,
        loop_index: 0,
        iteration: 2,
        current_loop_id: "demo-loop",
        updated_at: "2026-02-22T10:00:00Z",
      };
      write(paths.state, `${JSON.stringify(state)}\n`);

      const snapshot = await loopRunSnapshot(
        { repo: root, loop: "demo-loop", traceId: "trace-snapshot-1" },
        { clock },
      );
      const mtime = (file: string) => Math.floor(fs.statSync(file).mtimeMs / 1000);
      const present = (file: string, rel: string, lineCount: number) => ({
        path: rel,
        exists: true,
        sizeBytes: fs.statSync(file).size,
        lineCount,
        sha256: sha256(file),
        mtimeEpoch: mtime(file),
      });
      const absent = (rel: string) => ({
        path: rel,
        exists: false,
        sizeBytes: 0,
        lineCount: 0,
        sha256: null,
        mtimeEpoch: null,
      });
      expect(snapshot).toStrictEqual({
        schemaVersion: "v1",
        envelopeType: "loop_run_snapshot",
        emittedAt: "2026-02-22T10:00:06Z",
        traceId: "trace-snapshot-1",
        source: { repoPath: root, loopId: "demo-loop" },
        run: { runId: "run-123", iteration: 1, status: "running", summary: entry },
        runtime: { superloopState: state, activeRun: null, approval: null, heartbeat: null },
        artifacts: {
          events: present(paths.events, ".superloop/loops/demo-loop/events.jsonl", 2),
          runSummary: present(paths.runSummary, ".superloop/loops/demo-loop/run-summary.json", 0),
          state: present(paths.state, ".superloop/state.json", 1),
          activeRun: absent(".superloop/active-run.json"),
          approval: absent(".superloop/loops/demo-loop/approval.json"),
          heartbeat: absent(".superloop/loops/demo-loop/heartbeat.v1.json"),
        },
        sequence: { source: "cursor_event_line_offset", value: 2 },
        cursor: { eventLineOffset: 2, eventLineCount: 2 },
        health: {
          eventCount: 2,
          lastEventAt: "2026-02-22T10:00:05Z",
          lastEventName: "iteration_start",
          lastSummaryAt: "2026-02-22T10:00:00Z",
          hasPendingApproval: false,
          gates: entry.gates,
          stuck: { streak: 0, threshold: 3 },
        },
      });
      // Key order as in the spec example.
      expect(Object.keys(snapshot)).toEqual([
        "schemaVersion",
        "envelopeType",
        "emittedAt",
        "traceId",
        "source",
        "run",
        "runtime",
        "artifacts",
        "sequence",
        "cursor",
        "health",
      ]);
      // Without --trace-id the key is present and null; --run-id overrides resolution.
      const other = await loopRunSnapshot(
        { repo: root, loop: "demo-loop", traceId: "", runId: "forced" },
        { clock },
      );
      expect(other.traceId).toBeNull();
      expect(other.run.runId).toBe("forced");
    });
  });
});

describe("loopRunSnapshot over the simulated runtime", () => {
  const cases = [
    ["running", "running"],
    ["awaitingApproval", "awaiting_approval"],
    ["complete", "complete"],
    ["stopped", "stopped"],
    ["failed", "failed"],
    ["stuck", "stopped"],
    ["idle", "idle"],
  ] as const;
  for (const [scenario, status] of cases) {
    it(`scenario ${scenario} → ${status}, schema-valid, real 7-key gates`, async () => {
      const repo = simRepo();
      const loop = repo.scenario(scenario, "demo-loop", { iterations: 2 });
      const snapshot = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
      expect(LoopRunSnapshotSchema.safeParse(snapshot).success).toBe(true);
      expect(snapshot.run.status).toBe(status);
      const events = loop.readEvents();
      expect(snapshot.health.eventCount).toBe(events.length);
      expect(snapshot.health.lastEventName).toBe(events.at(-1)?.event);
      expect(snapshot.artifacts.events.sha256).toBe(sha256(loop.paths.events));
      const entry = loop.readSummary()?.entries.at(-1);
      expect(snapshot.run.summary).toStrictEqual(entry);
      // health.gates keeps all seven runtime keys (lifecycle included) in the runtime's order.
      expect(snapshot.health.gates).toStrictEqual(entry?.gates);
      expect(Object.keys(snapshot.health.gates ?? {})).toHaveLength(7);
      expect(snapshot.run.runId).toBe(loop.runId);
    });
  }

  it("rate_limit_stop: running while state stays active, `stopped` once state is gone (row 4 before 5)", async () => {
    const repo = simRepo();
    repo.scenario("failed", "demo-loop", { failKind: "rate_limited" });
    const snapshot = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
    // The runtime leaves state active after rate_limit_stop: row 3 (running) matches first.
    expect(snapshot.run.status).toBe("running");
    fs.rmSync(repo.paths.state);
    const cancelled = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
    expect(cancelled.run.status).toBe("stopped");
  });

  it("after cancel (state deleted, no event) the status is unknown", async () => {
    const repo = simRepo();
    repo.scenario("running", "demo-loop");
    fs.rmSync(repo.paths.state);
    fs.rmSync(repo.paths.activeRun, { force: true });
    const snapshot = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
    expect(snapshot.run.status).toBe("unknown");
    expect(snapshot.runtime.superloopState).toBeNull();
    expect(snapshot.artifacts.state.exists).toBe(false);
  });

  it("summary iteration wins over the newer event iteration (Q11-4)", async () => {
    const repo = simRepo();
    repo.scenario("running", "demo-loop", { iterations: 1 });
    const snapshot = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
    expect(snapshot.run.iteration).toBe(1);
    expect(repo.loop("demo-loop").lastEvent()?.iteration).toBe(2);
  });

  it("copies heartbeat and active-run verbatim", async () => {
    const repo = simRepo();
    const loop = repo.scenario("running", "demo-loop", { heartbeat: true });
    const snapshot = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
    expect(snapshot.runtime.heartbeat).toStrictEqual(
      JSON.parse(fs.readFileSync(loop.paths.heartbeat, "utf8")),
    );
    expect(snapshot.runtime.activeRun).toStrictEqual(repo.readActiveRun());
    expect(snapshot.artifacts.heartbeat?.exists).toBe(true);
    expect(snapshot.artifacts.heartbeat?.sha256).toBe(sha256(loop.paths.heartbeat));
  });

  it("pending approval", async () => {
    const repo = simRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const snapshot = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
    expect(snapshot.health.hasPendingApproval).toBe(true);
    expect(snapshot.runtime.approval?.["status"]).toBe("pending");
  });

  it("torn state.json is read again (spec 10a §4.1)", async () => {
    const repo = simRepo();
    repo.scenario("running", "demo-loop");
    const expected = repo.readState();
    for (const mode of ["empty", "half"] as const) {
      const stuck = repo.tear("state", mode);
      // Without retries the torn read is reported...
      await expectRejection(
        loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { tornReadRetries: 0 }),
        ContractError,
        `invalid JSON in ${repo.paths.state}`,
      );
      stuck.heal();
      // ...with them, a write that completes a few ms later is read whole.
      const torn = repo.tear("state", mode, { healAfterMs: 8 });
      expect(fs.readFileSync(repo.paths.state, "utf8")).not.toBe(torn.content);
      const snapshot = await loopRunSnapshot(
        { repo: repo.root, loop: "demo-loop" },
        { clock, tornReadRetries: 20, tornReadDelayMs: 5 },
      );
      expect(snapshot.runtime.superloopState).toStrictEqual(expected);
      expect(snapshot.run.status).toBe("running");
      expect(snapshot.artifacts.state.sha256).toBe(sha256(repo.paths.state));
    }
  });

  it("a file that stays torn is invalid after the retries", async () => {
    const repo = simRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const loop = repo.loop("demo-loop");
    loop.tear("approval", "half");
    await expectRejection(
      loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { tornReadRetries: 2, tornReadDelayMs: 1 }),
      ContractError,
      `invalid JSON in ${loop.paths.approval}`,
    );
  });
});

describe("loopRunSnapshot: events file edge cases", () => {
  const e1 =
    '{"timestamp":"2026-02-22T10:00:01Z","event":"role_start","run_id":"r1","iteration":3,"role":"planner"}';
  const e2 = '{"timestamp":"2026-02-22T10:00:02Z","event":"loop_stop","run_id":"r1","iteration":"4"}';

  it("trailing blank lines: the final event is the last non-empty line (Q11-1)", async () => {
    await withTempDir(async (root) => {
      bareLoop(root, "demo-loop", `${e1}\n${e2}\n\n\n`);
      const snapshot = await loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock });
      expect(snapshot.health).toMatchObject({ eventCount: 4, lastEventName: "loop_stop" });
      expect(snapshot.run).toMatchObject({ status: "stopped", iteration: 4, runId: "r1" });
      bareLoop(root, "blank-loop", "\n\n");
      const blank = await loopRunSnapshot({ repo: root, loop: "blank-loop" }, { clock });
      expect(blank.health).toMatchObject({ eventCount: 2, lastEventAt: null, lastEventName: null });
    });
  });

  it("unterminated last line is not written yet: not counted, not the final event (Q10-1, Q11-2)", async () => {
    await withTempDir(async (root) => {
      const paths = bareLoop(root, "demo-loop", `${e1}\n${e2}`);
      const snapshot = await loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock });
      expect(snapshot.health).toMatchObject({ eventCount: 1, lastEventName: "role_start" });
      expect(snapshot.cursor).toStrictEqual({ eventLineOffset: 1, eventLineCount: 1 });
      // The ref describes the whole file as read.
      expect(snapshot.artifacts.events).toMatchObject({
        sizeBytes: fs.statSync(paths.events).size,
        lineCount: 1,
        sha256: sha256(paths.events),
      });
      // A torn, unterminated tail is not an error either.
      fs.appendFileSync(paths.events, '\n{"timestamp":"2026-02');
      const torn = await loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock });
      expect(torn.health).toMatchObject({ eventCount: 2, lastEventName: "loop_stop" });
    });
  });

  it("whitespace-only or non-object final line gives null event fields", async () => {
    await withTempDir(async (root) => {
      bareLoop(root, "a", `${e2}\n   \n`);
      expect((await loopRunSnapshot({ repo: root, loop: "a" }, { clock })).health.lastEventName).toBeNull();
      bareLoop(root, "b", `${e2}\n[1,2]\n`);
      const b = await loopRunSnapshot({ repo: root, loop: "b" }, { clock });
      expect(b.health.lastEventName).toBeNull();
      expect(b.run.status).toBe("unknown");
    });
  });

  it("streams a large file: sha256 and counts match a whole-file computation", async () => {
    await withTempDir(async (root) => {
      const line = (i: number) =>
        JSON.stringify({
          timestamp: "2026-02-22T10:00:00Z",
          event: "role_end",
          run_id: "r",
          iteration: i,
          data: { pad: "x".repeat(i % 97) },
        });
      const text = `${Array.from({ length: 5000 }, (_, i) => line(i)).join("\n")}\n`;
      const paths = bareLoop(root, "demo-loop", text);
      const snapshot = await loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock });
      expect(snapshot.artifacts.events.sha256).toBe(sha256(paths.events));
      expect(snapshot.artifacts.events.sizeBytes).toBe(Buffer.byteLength(text));
      expect(snapshot.health.eventCount).toBe(5000);
      expect(snapshot.run.iteration).toBe(4999);
    });
  });
});

describe("loopRunSnapshot: gates and stuck normalisation", () => {
  async function withSummary(entry: Record<string, unknown>) {
    return withTempDir(async (root) => {
      const paths = bareLoop(root, "demo-loop", "");
      write(paths.runSummary, JSON.stringify({ entries: [{ run_id: "r", ...entry }] }));
      const snapshot = await loopRunSnapshot({ repo: root, loop: "demo-loop" }, { clock });
      expect(LoopRunSnapshotSchema.safeParse(snapshot).success).toBe(true);
      expect(snapshot.run.summary).toStrictEqual({ run_id: "r", ...entry });
      return snapshot;
    });
  }
  const six = {
    tests: "ok",
    validation: "ok",
    prerequisites: "ok",
    checklist: "ok",
    evidence: "ok",
    approval: "none",
  };

  it("six keys + lifecycle are copied; unknown extra keys are dropped", async () => {
    const snapshot = await withSummary({ gates: { ...six, lifecycle: "ok", future_gate: "ok" } });
    expect(snapshot.health.gates).toStrictEqual({ ...six, lifecycle: "ok" });
  });

  it("a missing or non-string gate makes health.gates null; run.summary stays verbatim", async () => {
    const { approval: _approval, ...five } = six;
    expect((await withSummary({ gates: five })).health.gates).toBeNull();
    expect((await withSummary({ gates: { ...six, tests: 1 } })).health.gates).toBeNull();
    expect((await withSummary({ gates: { ...six, tests: null } })).health.gates).toBeNull();
    expect((await withSummary({ gates: "ok" })).health.gates).toBeNull();
    // A non-string lifecycle is dropped, the rest kept.
    expect((await withSummary({ gates: { ...six, lifecycle: 3 } })).health.gates).toStrictEqual(six);
  });

  it("stuck must hold two non-negative integers", async () => {
    expect((await withSummary({ stuck: { streak: 1, threshold: 3, extra: 1 } })).health.stuck).toStrictEqual({
      streak: 1,
      threshold: 3,
    });
    expect((await withSummary({ stuck: { streak: -1, threshold: 3 } })).health.stuck).toBeNull();
    expect((await withSummary({ stuck: { streak: "1", threshold: 3 } })).health.stuck).toBeNull();
  });

  it("iteration conversion and lastSummaryAt fallback", async () => {
    const numeric = await withSummary({ iteration: "7", ended_at: "2026-02-22T10:00:09Z" });
    expect(numeric.run.iteration).toBe(7);
    expect(numeric.health.lastSummaryAt).toBe("2026-02-22T10:00:09Z");
    expect((await withSummary({ iteration: "seven" })).run.iteration).toBe(0);
    expect((await withSummary({ iteration: -2 })).run.iteration).toBe(0);
  });
});
