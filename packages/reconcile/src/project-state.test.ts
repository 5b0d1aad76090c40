import fs from "node:fs";
import path from "node:path";
import { type Clock, type JsonObject, opsPaths, type RunStatus, withLock } from "@ops/contract";
import {
  createSimulatedRepo,
  makeTempDir,
  runSuperloop,
  type SimulatedRepo,
  type TempDir,
} from "@ops/testkit";
import { loopRunSnapshot, pollEvents } from "@ops/transport-local";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generatedSnapshotPath, type ProjectStateContext, projectState } from "./project-state.js";
import { LifecycleProjectionSchema, LoopStateFileSchema } from "./schemas.js";

const LOOP = "demo-loop";
const clock: Clock = { now: () => new Date("2026-02-22T12:00:00Z") };
const ctx: ProjectStateContext = { clock };

let repo: SimulatedRepo;
let tmp: TempDir;

beforeEach(() => {
  repo = createSimulatedRepo();
  tmp = makeTempDir("ops-reconcile-test-");
});

afterEach(async () => {
  await repo.cleanup();
  await tmp.cleanup();
});

function ops() {
  return opsPaths(repo.root, LOOP);
}

function readJson(file: string): JsonObject {
  return JSON.parse(fs.readFileSync(file, "utf8")) as JsonObject;
}

/**
 * Poll the loop's new events (standalone cursor) into an NDJSON batch file, as reconcile would
 * hand them to project-state. Returns the file and the number of envelopes.
 */
async function pollBatch(name = "batch.ndjson", options: { fromStart?: boolean } = {}) {
  const lines: string[] = [];
  await pollEvents(
    { repo: repo.root, loop: LOOP, ...(options.fromStart === true ? { fromStart: true } : {}) },
    { emit: (envelope) => void lines.push(JSON.stringify(envelope)) },
    { clock },
  );
  const file = path.join(tmp.path, name);
  fs.writeFileSync(file, lines.map((line) => `${line}\n`).join(""));
  return { file, count: lines.length };
}

async function writeSnapshotFile(
  mutate: (snapshot: JsonObject) => void = () => undefined,
  name = "snapshot.json",
) {
  const snapshot = (await loopRunSnapshot({ repo: repo.root, loop: LOOP }, { clock })) as JsonObject;
  mutate(snapshot);
  const file = path.join(tmp.path, name);
  fs.writeFileSync(file, `${JSON.stringify(snapshot)}\n`);
  return file;
}

function expectNothingWritten(extraFiles: string[] = []) {
  expect(fs.existsSync(path.join(repo.root, ".superloop", "ops-manager"))).toBe(false);
  for (const file of extraFiles) expect(fs.existsSync(file)).toBe(false);
}

describe("project-state: every lifecycle state of spec 12 §2 through the projection", () => {
  const cases: [RunStatus, (r: SimulatedRepo) => Promise<void> | void][] = [
    ["running", (r) => void r.scenario("running", LOOP)],
    ["awaiting_approval", (r) => void r.scenario("awaitingApproval", LOOP)],
    ["complete", (r) => void r.scenario("complete", LOOP)],
    ["stopped", (r) => void r.scenario("stopped", LOOP)],
    ["failed", (r) => void r.scenario("failed", LOOP)],
    ["idle", (r) => void r.scenario("idle", LOOP)],
    [
      // After a cancel the runtime deletes state.json and writes no event (10a §3): the last
      // event is still role_start, so the projection is neither stopped nor idle.
      "unknown",
      async (r) => {
        r.scenario("running", LOOP);
        const cancelled = await runSuperloop(["cancel", "--repo", r.root]);
        expect(cancelled.exitCode).toBe(0);
      },
    ],
  ];

  for (const [expected, build] of cases) {
    it(`${expected}`, async () => {
      await build(repo);
      const document = await projectState({ repo: repo.root, loop: LOOP }, ctx);
      expect(document.transition.currentState).toBe(expected);
      expect(document.projection.status).toBe(expected);
      expect(document.transition.triggeringSignal).toBe(`snapshot_status:${expected}`);
      expect(document.transition.previousState).toBe("none");
      // The written file is exactly the returned document, and valid.
      const written = readJson(ops().state);
      expect(written).toEqual(document);
      LifecycleProjectionSchema.parse(written);
      expect(document.source).toEqual({ repoPath: repo.root, loopId: LOOP });
      expect(document.generatedAt).toBe("2026-02-22T12:00:00Z");
    });
  }

  it("running: fields come from the generated snapshot", async () => {
    const loop = repo.scenario("running", LOOP);
    const document = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    const lineCount = loop.readEvents().length;
    expect(document.run).toEqual({ runId: loop.runId, iteration: 1 });
    expect(document.projection).toMatchObject({
      hasPendingApproval: false,
      completionOk: false,
      active: true,
      lastEventName: "role_start",
      lastEventAt: loop.lastEvent()?.timestamp,
    });
    // Passed through verbatim, including the real runtime's seventh (lifecycle) gate.
    expect(document.projection.gates).toEqual(loop.readSummary()?.entries.at(-1)?.gates);
    expect(document.projection.gates).toHaveProperty("lifecycle");
    expect(document.projection.stuck).toEqual({ streak: 0, threshold: 3 });
    expect(document.cursor).toEqual({ eventLineOffset: lineCount, eventLineCount: lineCount });
    expect(document.transition.confidence).toBe("medium");
  });

  it("Q12-2 parity: an inactive runtime state is written as active: null", async () => {
    repo.scenario("idle", LOOP);
    const document = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect((repo.readState() as JsonObject)["active"]).toBe(false);
    expect(document.projection.active).toBeNull();
    const careful = await projectState(
      { repo: repo.root, loop: LOOP },
      { ...ctx, quirks: { activeFalseAsNull: false } },
    );
    expect(careful.projection.active).toBe(false);
  });
});

describe("project-state: events batch, triggering signal and confidence", () => {
  it("a non-empty batch triggers on its last event with high confidence", async () => {
    repo.scenario("running", LOOP);
    const batch = await pollBatch();
    expect(batch.count).toBeGreaterThan(1);
    const document = await projectState({ repo: repo.root, loop: LOOP, eventsFile: batch.file }, ctx);
    expect(document.transition.triggeringSignal).toBe("event:role_start");
    expect(document.transition.confidence).toBe("high");
    expect(document.evidence.eventsFile).toBe(batch.file);
    expect(document.evidence.lastEventEnvelope).toMatchObject({
      envelopeType: "loop_run_event",
      sequence: { value: batch.count },
      event: { name: "role_start", role: "implementer" },
    });
  });

  it("an empty batch file counts as no events (medium confidence)", async () => {
    repo.scenario("complete", LOOP);
    await pollBatch("first.ndjson");
    const empty = await pollBatch("second.ndjson");
    expect(empty.count).toBe(0);
    const document = await projectState({ repo: repo.root, loop: LOOP, eventsFile: empty.file }, ctx);
    expect(document.transition.triggeringSignal).toBe("snapshot_status:complete");
    expect(document.transition.confidence).toBe("medium");
    expect(document.evidence.eventsFile).toBe(empty.file);
    expect(document.evidence.lastEventEnvelope).toBeNull();
  });

  it("Q12-5: the batch's last event and the log's final line can differ", async () => {
    const loop = repo.loop(LOOP);
    loop.startRun();
    loop.iteration({ haltAfter: { event: "role_start", role: "planner" } });
    const batch = await pollBatch();
    loop.appendEvent("role_end", { role: "planner" });
    const document = await projectState({ repo: repo.root, loop: LOOP, eventsFile: batch.file }, ctx);
    expect(document.transition.triggeringSignal).toBe("event:role_start");
    expect(document.projection.lastEventName).toBe("role_end");
  });

  it("blank and whitespace-only lines are skipped; an unterminated final line is part of the batch", async () => {
    repo.scenario("running", LOOP);
    const batch = await pollBatch();
    const lines = fs.readFileSync(batch.file, "utf8").trimEnd().split("\n");
    const last = lines.pop() as string;
    fs.writeFileSync(batch.file, `\n${lines.join("\n\n")}\n   \n\r\n${last}`);
    const document = await projectState({ repo: repo.root, loop: LOOP, eventsFile: batch.file }, ctx);
    expect(document.evidence.lastEventEnvelope).toEqual(JSON.parse(last));
    expect(document.transition.triggeringSignal).toBe("event:role_start");
  });

  it("streams a large batch and keeps only its last envelope", async () => {
    const loop = repo.loop(LOOP);
    loop.startRun();
    loop.iterations(3);
    const batch = await pollBatch();
    const lines = fs.readFileSync(batch.file, "utf8").split("\n").filter(Boolean);
    // ~30 MB: repeat the batch (each line still a valid envelope for this loop), then a marker.
    const big = path.join(tmp.path, "big.ndjson");
    const chunk = `${lines.join("\n")}\n`;
    const fd = fs.openSync(big, "w");
    let written = 0;
    while (written < 30 * 1024 * 1024) {
      fs.writeSync(fd, chunk);
      written += chunk.length;
    }
    const marker = JSON.parse(lines[0] as string) as JsonObject;
    (marker["event"] as JsonObject)["name"] = "marker_event";
    fs.writeSync(fd, `${JSON.stringify(marker)}\n`);
    fs.closeSync(fd);
    const document = await projectState({ repo: repo.root, loop: LOOP, eventsFile: big }, ctx);
    expect(document.transition.triggeringSignal).toBe("event:marker_event");
  });
});

describe("project-state: divergence through real artifacts", () => {
  it("activeMismatch: the batch ends in an active phase but the runtime says active:false", async () => {
    const loop = repo.loop(LOOP);
    loop.startRun();
    loop.iteration();
    loop.iteration({ haltAfter: { event: "role_start", role: "tester" } });
    const batch = await pollBatch();
    loop.exit(); // the run exits without an event: state.json active:false, summary present
    const document = await projectState({ repo: repo.root, loop: LOOP, eventsFile: batch.file }, ctx);
    expect(document.transition.currentState).toBe("idle");
    expect(document.divergence).toEqual({
      any: true,
      flags: { activeMismatch: true, approvalCompletionConflict: false, cursorRegression: false },
    });
    expect(document.transition.confidence).toBe("low");
  });

  it("Q12-1 careful: after a cancel (state.json deleted) an active-phase batch is not a divergence", async () => {
    repo.scenario("running", LOOP);
    const batch = await pollBatch();
    expect((await runSuperloop(["cancel", "--repo", repo.root])).exitCode).toBe(0);
    const document = await projectState({ repo: repo.root, loop: LOOP, eventsFile: batch.file }, ctx);
    expect(document.transition.currentState).toBe("unknown");
    expect(document.divergence.flags.activeMismatch).toBe(false);
    expect(document.transition.confidence).toBe("high");
    // Parity mode reproduces the original's flag.
    const parity = await projectState(
      { repo: repo.root, loop: LOOP, eventsFile: batch.file },
      { ...ctx, quirks: { activeMismatchRequiresExplicitFalse: false } },
    );
    expect(parity.divergence.flags.activeMismatch).toBe(true);
  });

  it("approvalCompletionConflict: a completion recorded while approval.json is still pending", async () => {
    const loop = repo.scenario("awaitingApproval", LOOP);
    loop.startRun();
    loop.complete();
    expect(loop.readApproval()?.status).toBe("pending");
    const document = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(document.transition.currentState).toBe("awaiting_approval");
    expect(document.projection).toMatchObject({ hasPendingApproval: true, completionOk: true });
    expect(document.divergence.flags.approvalCompletionConflict).toBe(true);
    expect(document.transition.confidence).toBe("low");
  });

  it("cursorRegression: the events log shrank since the last projection (Q12-3: rotation)", async () => {
    const loop = repo.scenario("running", LOOP);
    const first = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(first.divergence.flags.cursorRegression).toBe(false);
    const lines = fs.readFileSync(loop.paths.events, "utf8").split("\n").filter(Boolean);
    fs.writeFileSync(loop.paths.events, `${lines.slice(-2).join("\n")}\n`);
    const second = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(second.cursor).toEqual({ eventLineOffset: 2, eventLineCount: 2 });
    expect(second.divergence.flags.cursorRegression).toBe(true);
    expect(second.transition.confidence).toBe("low");
    // The next projection compares against the shrunk log: the regression clears.
    const third = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(third.divergence.flags.cursorRegression).toBe(false);
  });
});

describe("project-state: previous state", () => {
  it("carries the previous currentState over (§5 idempotency)", async () => {
    const loop = repo.scenario("running", LOOP);
    const first = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(first.transition.previousState).toBe("none");
    const again = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(again.transition.previousState).toBe("running");
    const { generatedAt: _a, transition: t1, ...rest1 } = first;
    const { generatedAt: _b, transition: t2, ...rest2 } = again;
    expect(rest2).toEqual(rest1);
    expect({ ...t2, previousState: "none" }).toEqual(t1);
    loop.iteration({ haltAfter: "iteration_end" }).stop();
    const stopped = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(stopped.transition).toMatchObject({ previousState: "running", currentState: "stopped" });
  });

  it("an unreadable previous state file counts as {}", async () => {
    repo.scenario("stopped", LOOP);
    fs.mkdirSync(ops().dir, { recursive: true });
    for (const content of ["{not json", "", "[1,2]", "null", '"running"']) {
      fs.writeFileSync(ops().state, content);
      const document = await projectState({ repo: repo.root, loop: LOOP }, ctx);
      expect(document.transition.previousState).toBe("none");
      expect(document.divergence.flags.cursorRegression).toBe(false);
    }
  });

  it("a reconcile-merged state file (health, trace, …) is a valid previous state", async () => {
    repo.scenario("idle", LOOP);
    const first = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    const merged = { ...first, health: { status: "healthy" }, trace: { reconcileTraceId: "t" } };
    expect(LoopStateFileSchema.safeParse(merged).success).toBe(true);
    fs.writeFileSync(ops().state, JSON.stringify(merged));
    const next = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    expect(next.transition.previousState).toBe("idle");
  });
});

describe("project-state: files, paths and --pretty", () => {
  it("without --snapshot-file the generated snapshot is kept under <ops>/ and named in the evidence", async () => {
    repo.scenario("awaitingApproval", LOOP);
    const document = await projectState({ repo: repo.root, loop: LOOP }, ctx);
    const kept = generatedSnapshotPath(repo.root, LOOP);
    expect(kept).toBe(path.join(ops().dir, "snapshot.json"));
    expect(document.evidence.snapshotFile).toBe(kept);
    const snapshot = readJson(kept);
    expect(snapshot).toMatchObject({
      envelopeType: "loop_run_snapshot",
      source: { repoPath: repo.root, loopId: LOOP },
      run: { status: "awaiting_approval" },
    });
    expect(document.evidence.snapshotEnvelope).toEqual({
      runStatus: "awaiting_approval",
      lastEventName: "approval_requested",
      hasPendingApproval: true,
    });
    // No stray temp files in the ops directory.
    expect(fs.readdirSync(ops().dir).sort()).toEqual(["snapshot.json", "state.json"]);
  });

  it("with --snapshot-file: the given file is used and recorded (absolute), nothing else is generated", async () => {
    repo.scenario("failed", LOOP);
    const file = await writeSnapshotFile((snapshot) => {
      (snapshot["source"] as JsonObject)["repoPath"] = "/remote/host/repo";
    });
    const relative = path.relative(tmp.path, file);
    const document = await projectState(
      { repo: repo.root, loop: LOOP, snapshotFile: relative },
      { ...ctx, cwd: tmp.path },
    );
    expect(document.evidence.snapshotFile).toBe(file);
    expect(document.source.repoPath).toBe(repo.root);
    expect(document.transition.currentState).toBe("failed");
    expect(fs.existsSync(generatedSnapshotPath(repo.root, LOOP))).toBe(false);
  });

  it("--state-file (relative to cwd) and --pretty: pretty file, same document", async () => {
    repo.scenario("complete", LOOP);
    const document = await projectState(
      { repo: path.relative(tmp.path, repo.root), loop: LOOP, stateFile: "out/state.json", pretty: true },
      { ...ctx, cwd: tmp.path },
    );
    const file = path.join(tmp.path, "out", "state.json");
    const text = fs.readFileSync(file, "utf8");
    expect(text).toBe(`${JSON.stringify(document, null, 2)}\n`);
    expect(fs.existsSync(ops().state)).toBe(false);
    expect(document.source.repoPath).toBe(repo.root);
  });

  it("compact file by default; empty flag values mean 'not given'", async () => {
    repo.scenario("complete", LOOP);
    const document = await projectState(
      { repo: repo.root, loop: LOOP, snapshotFile: "", eventsFile: "", stateFile: "" },
      ctx,
    );
    expect(fs.readFileSync(ops().state, "utf8")).toBe(`${JSON.stringify(document)}\n`);
    expect(document.evidence.eventsFile).toBeNull();
  });
});

describe("project-state: validation (spec wording, nothing written)", () => {
  async function expectError(input: Parameters<typeof projectState>[0], message: string, context = ctx) {
    await expect(projectState(input, context)).rejects.toMatchObject({ message, exitCode: 1 });
  }

  it("required flags", async () => {
    await expectError({ loop: LOOP }, "--repo is required");
    await expectError({ repo: "", loop: LOOP }, "--repo is required");
    await expectError({ repo: repo.root }, "--loop is required");
    await expectError({ repo: repo.root, loop: "" }, "--loop is required");
    // --repo is checked first.
    await expectError({}, "--repo is required");
    expectNothingWritten();
  });

  it("loop ids that would escape the ops directory (Q10-3) and missing repos", async () => {
    await expect(projectState({ repo: repo.root, loop: "../x" }, ctx)).rejects.toThrow(/invalid loop id/);
    const missing = path.join(tmp.path, "nope");
    await expectError({ repo: missing, loop: LOOP }, `repo directory not found: ${missing}`);
    expectNothingWritten();
  });

  it("a --state-file naming a runtime file (the runtime's own state.json) is refused and left intact", async () => {
    const loop = repo.scenario("running", LOOP);
    const before = fs.readFileSync(repo.paths.state, "utf8");
    await expectError(
      { repo: repo.root, loop: LOOP, stateFile: repo.paths.state },
      `--state-file must not be a runtime artifact: ${repo.paths.state}`,
    );
    const alias = path.join(tmp.path, "linked-state.json");
    fs.symlinkSync(loop.paths.events, alias);
    await expectError(
      { repo: repo.root, loop: LOOP, stateFile: alias },
      `--state-file must not be a runtime artifact: ${alias}`,
    );
    expect(fs.readFileSync(repo.paths.state, "utf8")).toBe(before);
    expectNothingWritten();
  });

  it("generated snapshot fails: the snapshot's own error passes through", async () => {
    // No loop directory at all.
    await expect(projectState({ repo: repo.root, loop: LOOP }, ctx)).rejects.toMatchObject({
      message: `required artifact root missing: ${path.join(repo.root, ".superloop", "loops", LOOP)}`,
      exitCode: 1,
    });
    // Invalid runtime JSON.
    repo.scenario("running", LOOP);
    fs.writeFileSync(repo.paths.state, "{broken");
    await expect(
      projectState({ repo: repo.root, loop: LOOP }, { ...ctx, tornReadRetries: 0 }),
    ).rejects.toThrow(`invalid JSON in ${repo.paths.state}`);
    expectNothingWritten();
  });

  it("snapshot file missing / not JSON / failing the guard", async () => {
    repo.scenario("running", LOOP);
    const missing = path.join(tmp.path, "missing.json");
    await expectError(
      { repo: repo.root, loop: LOOP, snapshotFile: missing },
      `snapshot file not found: ${missing}`,
    );
    await expectError(
      { repo: repo.root, loop: LOOP, snapshotFile: tmp.path },
      `snapshot file not found: ${tmp.path}`,
    );
    const notJson = path.join(tmp.path, "bad.json");
    for (const content of ["{nope", ""]) {
      fs.writeFileSync(notJson, content);
      await expectError(
        { repo: repo.root, loop: LOOP, snapshotFile: notJson },
        `invalid snapshot JSON: ${notJson}`,
      );
    }
    const guardCases: ((s: JsonObject) => void)[] = [
      (s) => {
        s["schemaVersion"] = "v2";
      },
      (s) => {
        s["envelopeType"] = "loop_run_event";
      },
      (s) => {
        (s["source"] as JsonObject)["loopId"] = "other-loop";
      },
      (s) => {
        delete s["source"];
      },
    ];
    for (const [index, mutate] of guardCases.entries()) {
      const file = await writeSnapshotFile(mutate, `guard-${index}.json`);
      await expectError(
        { repo: repo.root, loop: LOOP, snapshotFile: file },
        "snapshot envelope is invalid or loop id mismatch",
      );
    }
    fs.writeFileSync(notJson, "[1,2,3]");
    await expectError(
      { repo: repo.root, loop: LOOP, snapshotFile: notJson },
      "snapshot envelope is invalid or loop id mismatch",
    );
    expectNothingWritten();
  });

  it("events file missing / a line not JSON / failing the guard", async () => {
    repo.scenario("running", LOOP);
    const stateFile = path.join(tmp.path, "custom-state.json");
    const base = { repo: repo.root, loop: LOOP, stateFile };
    const missing = path.join(tmp.path, "missing.ndjson");
    await expectError({ ...base, eventsFile: missing }, `events file not found: ${missing}`);

    const batch = await pollBatch();
    const good = fs.readFileSync(batch.file, "utf8");
    const firstLine = good.split("\n")[0] as string;
    const bad = path.join(tmp.path, "bad.ndjson");
    fs.writeFileSync(bad, `${good}{"truncated":\n`);
    await expectError({ ...base, eventsFile: bad }, `invalid event envelope in ${bad}`);
    fs.writeFileSync(bad, `${good}{"truncated":`); // unterminated last line is validated too
    await expectError({ ...base, eventsFile: bad }, `invalid event envelope in ${bad}`);

    const mutations: ((e: JsonObject) => void)[] = [
      (e) => {
        e["schemaVersion"] = "v2";
      },
      (e) => {
        e["envelopeType"] = "loop_run_snapshot";
      },
      (e) => {
        (e["source"] as JsonObject)["loopId"] = "other-loop";
      },
      (e) => {
        (e["event"] as JsonObject)["name"] = "";
      },
      (e) => {
        delete (e["event"] as JsonObject)["name"];
      },
    ];
    for (const mutate of mutations) {
      const envelope = JSON.parse(firstLine) as JsonObject;
      mutate(envelope);
      // The bad envelope is in the middle: the whole batch is rejected.
      fs.writeFileSync(bad, `${firstLine}\n${JSON.stringify(envelope)}\n${good}`);
      await expectError({ ...base, eventsFile: bad }, "event envelope is invalid or loop id mismatch");
    }
    fs.writeFileSync(bad, "42\n");
    await expectError({ ...base, eventsFile: bad }, "event envelope is invalid or loop id mismatch");
    expectNothingWritten([stateFile]);
  });

  it("checks in the spec's order: snapshot before events", async () => {
    repo.scenario("running", LOOP);
    const missingSnapshot = path.join(tmp.path, "s.json");
    const missingEvents = path.join(tmp.path, "e.ndjson");
    await expectError(
      { repo: repo.root, loop: LOOP, snapshotFile: missingSnapshot, eventsFile: missingEvents },
      `snapshot file not found: ${missingSnapshot}`,
    );
    await expectError(
      { repo: repo.root, loop: LOOP, eventsFile: missingEvents },
      `events file not found: ${missingEvents}`,
    );
    expectNothingWritten();
  });

  it("a failed run leaves an existing state file untouched", async () => {
    repo.scenario("running", LOOP);
    await projectState({ repo: repo.root, loop: LOOP }, ctx);
    const before = fs.readFileSync(ops().state, "utf8");
    const snapshotBefore = fs.readFileSync(generatedSnapshotPath(repo.root, LOOP), "utf8");
    repo.loop(LOOP).stop();
    const bad = path.join(tmp.path, "bad.ndjson");
    fs.writeFileSync(bad, "not json\n");
    await expect(projectState({ repo: repo.root, loop: LOOP, eventsFile: bad }, ctx)).rejects.toThrow();
    expect(fs.readFileSync(ops().state, "utf8")).toBe(before);
    expect(fs.readFileSync(generatedSnapshotPath(repo.root, LOOP), "utf8")).toBe(snapshotBefore);
  });
});

describe("project-state: concurrency", () => {
  it("two projections of the same loop at once both succeed and leave valid JSON", async () => {
    const loop = repo.scenario("running", LOOP);
    const batch = await pollBatch();
    const [a, b] = await Promise.all([
      projectState({ repo: repo.root, loop: LOOP }, ctx),
      projectState({ repo: repo.root, loop: LOOP, eventsFile: batch.file, pretty: true }, ctx),
    ]);
    expect(a.transition.currentState).toBe("running");
    expect(b.transition.currentState).toBe("running");
    const written = readJson(ops().state);
    LifecycleProjectionSchema.parse(written);
    // Serialised by the loop lock: one of them saw the other's result as its previous state.
    expect([a.transition.previousState, b.transition.previousState].sort()).toEqual(["none", "running"]);
    expect([a, b]).toContainEqual(written);
    expect(loop.readEvents().length).toBeGreaterThan(0);
  });

  it("many concurrent projections: every one succeeds, the last write is a complete document", async () => {
    repo.scenario("idle", LOOP);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => projectState({ repo: repo.root, loop: LOOP }, ctx)),
    );
    expect(results.filter((r) => r.transition.previousState === "none")).toHaveLength(1);
    LifecycleProjectionSchema.parse(readJson(ops().state));
    expect(fs.readdirSync(ops().dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("holdsLoopLock: runs inside a caller's loop lock without waiting for itself", async () => {
    repo.scenario("running", LOOP);
    fs.mkdirSync(ops().dir, { recursive: true });
    const document = await withLock(
      ops().lock,
      () => projectState({ repo: repo.root, loop: LOOP }, { ...ctx, holdsLoopLock: true }),
      { timeoutMs: 5_000 },
    );
    expect(document.transition.currentState).toBe("running");
  });

  it("without holdsLoopLock a held lock makes it wait (and time out), writing nothing", async () => {
    repo.scenario("running", LOOP);
    await withLock(ops().lock, async () => {
      await expect(
        projectState({ repo: repo.root, loop: LOOP }, { ...ctx, lock: { timeoutMs: 200 } }),
      ).rejects.toMatchObject({ kind: "lock" });
    });
    expect(fs.existsSync(ops().state)).toBe(false);
  });
});
