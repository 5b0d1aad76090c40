/**
 * reconcile end to end on the local transport: real temp repos written by the testkit driver, the
 * real snapshot/poll adapters, project-state, health and drift, and real stub executables for hooks.
 */
import fs from "node:fs";
import path from "node:path";
import { type JsonObject, PollCursorSchema, runtimePaths, ValidationError } from "@ops/contract";
import { HealthDocumentSchema } from "@ops/health";
import {
  createSimulatedRepo,
  generateWorkload,
  makeTempDir,
  type SimulatedRepo,
  type TempDir,
} from "@ops/testkit";
import { loopRunSnapshot } from "@ops/transport-local";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AlertDispatchRequest } from "./context.js";
import { snapshotDigestCachePath } from "./digest-cache.js";
import type { ReconcileInput } from "./options.js";
import { eventBatchEvidencePath, reconcile } from "./reconcile.js";
import {
  EscalationRowSchema,
  HeartbeatStateSchema,
  ReconciledStateSchema,
  ReconcileTelemetryRowSchema,
  SequenceStateSchema,
  SnapshotDigestCacheSchema,
  TransportHealthSchema,
} from "./schemas.js";
import { ReconcileStepError } from "./steps.js";
import {
  cleanEnv,
  context,
  INSTALL_ROOT,
  ops,
  readJson,
  readJsonl,
  TestClock,
  twoPhaseClock,
  writeStub,
} from "./test-helpers.js";

const LOOP = "demo-loop";
const NOW = "2026-02-22T12:00:00Z";
const BUNDLED_PROFILES = path.join(INSTALL_ROOT, "config/ops-manager-threshold-profiles.v1.json");

let repo: SimulatedRepo;
let tmp: TempDir;
const extraRepos: SimulatedRepo[] = [];

beforeEach(() => {
  // Runtime events a few seconds before the reconcile clock (12:00:00), so ingest is fresh.
  repo = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:58Z" });
  tmp = makeTempDir("ops-reconcile-pipeline-");
});

afterEach(async () => {
  await repo.cleanup();
  await tmp.cleanup();
  for (const other of extraRepos.splice(0)) await other.cleanup();
});

function input(extra: ReconcileInput = {}): ReconcileInput {
  return { repo: repo.root, loop: LOOP, traceId: "tr-1", ...extra };
}

function files() {
  return ops(repo.root, LOOP);
}

/** loop_start + iteration_start: two events, state active (lifecycle `running`). */
function twoEventLoop() {
  return repo.loop(LOOP).startRun().iteration({ haltAfter: "iteration_start" });
}

function escalations(): JsonObject[] {
  return readJsonl(files().escalations);
}

function telemetry(): JsonObject[] {
  return readJsonl(files().telemetry.reconcile);
}

describe("reconcile: success on the local transport", () => {
  it("writes every artifact and returns the merged state (spec 13 §3, §5, §6, §8)", async () => {
    twoEventLoop();
    const result = await reconcile(input(), context(twoPhaseClock(NOW, "2026-02-22T12:00:03Z")));
    expect(result.exitCode).toBe(0);
    const o = files();

    // §8: the spec's example row, byte for byte.
    const rows = telemetry();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0])).toBe(
      '{"timestamp":"2026-02-22T12:00:03Z","startedAt":"2026-02-22T12:00:00Z","loopId":"demo-loop","traceId":"tr-1","transport":"local","status":"success","cursorOffsetBefore":0,"cursorOffsetAfter":2,"eventsIngested":2,"maxEvents":0,"fromStart":false,"retryAttempts":3,"retryBackoffSeconds":1,"thresholdProfile":"balanced","durationSeconds":3,"transportFailureStreak":0,"sequenceStatus":"ok","healthStatus":"healthy","healthReasonCodes":[]}',
    );

    // §6: the document is the final state file; top-level keys in the spec's order.
    const state = readJson(o.state);
    expect(result.document).toEqual(state);
    expect(Object.keys(state)).toEqual([
      "schemaVersion",
      "generatedAt",
      "source",
      "run",
      "transition",
      "projection",
      "cursor",
      "divergence",
      "evidence",
      "health",
      "trace",
      "sequence",
      "drift",
      "tuning",
    ]);
    const parsed = ReconciledStateSchema.parse(state);
    expect(parsed.trace).toEqual({ reconcileTraceId: "tr-1" });
    expect(parsed.health).toEqual(readJson(o.health));
    expect(parsed.sequence).toEqual(readJson(o.sequenceState));
    expect(parsed.transition).toMatchObject({
      currentState: "running",
      triggeringSignal: "event:iteration_start",
    });
    expect(parsed.drift).toMatchObject({
      traceId: "tr-1",
      status: "insufficient_confidence",
      appliedProfile: "balanced",
    });
    expect(parsed.tuning).toMatchObject({
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      confidence: "low",
      summaryWindow: 200,
    });

    // §5.1
    expect(readJson(o.telemetry.transportHealth)).toEqual({
      schemaVersion: "v1",
      updatedAt: "2026-02-22T12:00:03Z",
      traceId: "tr-1",
      transport: "local",
      lastResult: "success",
      failureStreak: 0,
      lastSuccessAt: "2026-02-22T12:00:03Z",
    });
    TransportHealthSchema.parse(readJson(o.telemetry.transportHealth));

    // §5.3: snapshot line count 2, batch lines 1..2.
    const sequence = SequenceStateSchema.parse(readJson(o.sequenceState));
    expect(sequence).toMatchObject({
      status: "ok",
      driftActive: false,
      violations: [],
      snapshot: { previous: null, current: 2, monotonic: true, regressed: false, missing: false },
      events: { ingestedCount: 2, previousLast: null, first: 1, last: 2 },
    });
    expect(sequence).not.toHaveProperty("reasonCode");
    expect(readJsonl(o.telemetry.sequence)).toHaveLength(1);

    // §5.2: the testkit runtime (like the real one) writes no heartbeat: nothing projected.
    expect(fs.existsSync(o.heartbeat)).toBe(false);
    expect(fs.existsSync(o.telemetry.heartbeat)).toBe(false);

    // Healthy, default drift settings (min confidence medium): no escalation at all.
    expect(fs.existsSync(o.escalations)).toBe(false);

    // Q13-3: the cursor is the poller's document.
    const cursor = PollCursorSchema.parse(readJson(o.cursor));
    expect(cursor).toMatchObject({
      eventLineOffset: 2,
      eventLineCount: 2,
      loopId: LOOP,
      repoPath: repo.root,
    });

    // Q13-9: the snapshot evidence names a persistent file holding exactly what was projected;
    // the batch is not copied (eventsFile null, no dangling path): it is lines
    // cursorOffsetBefore+1 … cursorOffsetAfter of events.jsonl, as recorded in the telemetry row.
    expect(parsed.evidence.snapshotFile).toBe(path.join(o.dir, "snapshot.json"));
    expect(readJson(parsed.evidence.snapshotFile)).toMatchObject({
      envelopeType: "loop_run_snapshot",
      traceId: "tr-1",
    });
    expect(parsed.evidence.eventsFile).toBeNull();
    expect(fs.existsSync(eventBatchEvidencePath(repo.root, LOOP))).toBe(false);
    const { cursorOffsetBefore, cursorOffsetAfter } = rows[0] as { [key: string]: number };
    const batchLines = readJsonl(runtimePaths(repo.root, LOOP).events).slice(
      cursorOffsetBefore,
      cursorOffsetAfter,
    );
    expect(batchLines.map((event) => event["event"])).toEqual(["loop_start", "iteration_start"]);
    expect(parsed.evidence.lastEventEnvelope).toMatchObject({ event: { raw: batchLines[1] } });
    expect(fs.readdirSync(o.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("ctx.persistEventBatch: true keeps the batch as <ops>/events-batch.ndjson (Q13-9 opt-in)", async () => {
    twoEventLoop();
    const result = await reconcile(input(), context(new TestClock(NOW), { persistEventBatch: true }));
    const parsed = ReconciledStateSchema.parse(result.document);
    expect(parsed.evidence.eventsFile).toBe(eventBatchEvidencePath(repo.root, LOOP));
    const batch = readJsonl(parsed.evidence.eventsFile as string);
    expect(batch.map((envelope) => (envelope["event"] as JsonObject)["name"])).toEqual([
      "loop_start",
      "iteration_start",
    ]);
    expect(batch[1]).toEqual(parsed.evidence.lastEventEnvelope);
    // An idle cycle replaces it with the (empty) batch of that cycle.
    await reconcile(input({ traceId: "tr-2" }), context(new TestClock(NOW), { persistEventBatch: true }));
    expect(fs.readFileSync(eventBatchEvidencePath(repo.root, LOOP), "utf8")).toBe("");
    // Back to the default: the state no longer names it.
    const plain = await reconcile(input({ traceId: "tr-3" }), context(new TestClock(NOW)));
    expect(ReconciledStateSchema.parse(plain.document).evidence.eventsFile).toBeNull();
    expect(fs.readdirSync(files().dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("a second cycle without new events ingests nothing and keeps the baseline (spec 13 §12)", async () => {
    twoEventLoop();
    await reconcile(input(), context(new TestClock(NOW)));
    const second = await reconcile(
      input({ traceId: "tr-2" }),
      context(new TestClock("2026-02-22T12:00:10Z")),
    );
    expect(second.exitCode).toBe(0);
    const row = telemetry()[1];
    expect(row).toMatchObject({
      cursorOffsetBefore: 2,
      cursorOffsetAfter: 2,
      eventsIngested: 0,
      status: "success",
    });
    const state = ReconciledStateSchema.parse(second.document);
    expect(state.transition).toMatchObject({
      previousState: "running",
      triggeringSignal: "snapshot_status:running",
      confidence: "medium",
    });
    expect(state.sequence.events).toMatchObject({
      ingestedCount: 0,
      previousLast: 2,
      first: null,
      last: null,
    });
    expect(state.trace.reconcileTraceId).toBe("tr-2");
    expect(state.evidence.eventsFile).toBeNull();
    // New events after an idle cycle are checked against the carried baseline (Q13-4): no drift.
    repo.loop(LOOP).appendEvent("role_start", { role: "planner" });
    const third = await reconcile(input({ traceId: "tr-3" }), context(new TestClock("2026-02-22T12:00:20Z")));
    expect(ReconciledStateSchema.parse(third.document).sequence).toMatchObject({
      status: "ok",
      events: { ingestedCount: 1, previousLast: 2, first: 3, last: 3 },
    });
  });

  it("--max-events limits the batch; the next cycle continues after it", async () => {
    twoEventLoop();
    const first = await reconcile(input({ maxEvents: "1" }), context(new TestClock(NOW)));
    expect(telemetry()[0]).toMatchObject({ maxEvents: 1, eventsIngested: 1, cursorOffsetAfter: 1 });
    expect(ReconciledStateSchema.parse(first.document).transition.triggeringSignal).toBe("event:loop_start");
    await reconcile(input({ maxEvents: 1 }), context(new TestClock(NOW)));
    expect(telemetry()[1]).toMatchObject({
      cursorOffsetBefore: 1,
      cursorOffsetAfter: 2,
      eventsIngested: 1,
      sequenceStatus: "ok",
    });
  });

  it("projects a runtime heartbeat (spec 13 §5.2) and leaves heartbeat.json alone when it disappears", async () => {
    repo.scenario("running", LOOP);
    repo.loop(LOOP).writeHeartbeat("2020-01-01T00:00:00Z");
    const result = await reconcile(input({ traceId: "t-1" }), context(new TestClock("2026-02-22T12:01:00Z")));
    expect(result.exitCode).toBe(0);
    const o = files();
    const heartbeat = HeartbeatStateSchema.parse(readJson(o.heartbeat));
    expect(heartbeat).toEqual({
      schemaVersion: "v1",
      updatedAt: "2026-02-22T12:01:00Z",
      loopId: LOOP,
      traceId: "t-1",
      transport: "local",
      lastHeartbeatAt: "2020-01-01T00:00:00Z",
      heartbeatLagSeconds: (Date.parse("2026-02-22T12:01:00Z") - Date.parse("2020-01-01T00:00:00Z")) / 1000,
      freshnessStatus: "critical",
      reasonCode: "runtime_heartbeat_stale",
      thresholds: { degradedHeartbeatLagSeconds: 120, criticalHeartbeatLagSeconds: 300 },
      heartbeat: {
        schemaVersion: "v1",
        timestamp: "2020-01-01T00:00:00Z",
        source: "runtime",
        status: "running",
        stage: "iteration",
      },
    });
    expect(readJsonl(o.telemetry.heartbeat)).toHaveLength(1);
    const state = ReconciledStateSchema.parse(result.document);
    expect(state.health).toMatchObject({ status: "critical", reasonCodes: ["runtime_heartbeat_stale"] });
    expect(escalations().map((row) => row["category"])).toEqual(["health_critical"]);

    // Heartbeat gone: the previous heartbeat.json stays (Q13-5), no new telemetry row.
    fs.rmSync(runtimePaths(repo.root, LOOP).heartbeat);
    const before = fs.readFileSync(o.heartbeat, "utf8");
    await reconcile(input({ traceId: "t-2" }), context(new TestClock("2026-02-22T12:02:00Z")));
    expect(fs.readFileSync(o.heartbeat, "utf8")).toBe(before);
    expect(readJsonl(o.telemetry.heartbeat)).toHaveLength(1);
  });
});

describe("reconcile: a large batch is streamed", () => {
  it("ingests a generated workload in one cycle, then in --max-events slices", async () => {
    const workload = await generateWorkload({ seed: 7, loops: 1, eventsPerLoop: 3000, root: tmp.path });
    const loop = workload.loops[0];
    if (loop === undefined) throw new Error("no loop generated");
    const clock = new TestClock(loop.lastTimestamp);
    const run = (extra: ReconcileInput, traceId: string) =>
      reconcile({ repo: tmp.path, loop: loop.loopId, traceId, ...extra }, context(clock));

    const sliced = await run({ maxEvents: "1000" }, "s-1");
    expect(sliced.exitCode).toBe(0);
    await run({ maxEvents: "1000" }, "s-2");
    const full = await run({}, "s-3");
    const o = ops(tmp.path, loop.loopId);
    const rows = readJsonl(o.telemetry.reconcile);
    expect(
      rows.map((row) => [row["cursorOffsetBefore"], row["cursorOffsetAfter"], row["eventsIngested"]]),
    ).toEqual([
      [0, 1000, 1000],
      [1000, 2000, 1000],
      [2000, 3000, 1000],
    ]);
    expect(rows.every((row) => row["sequenceStatus"] === "ok")).toBe(true);
    const state = ReconciledStateSchema.parse(full.document);
    expect(state.cursor).toEqual({ eventLineOffset: 3000, eventLineCount: 3000 });
    expect(state.sequence.events).toMatchObject({
      ingestedCount: 1000,
      previousLast: 2000,
      first: 2001,
      last: 3000,
    });

    // Replay of the whole (unchanged) log: one batch of 3000 envelopes, written through the
    // opt-in evidence file in several buffered chunks.
    const replay = await reconcile(
      { repo: tmp.path, loop: loop.loopId, traceId: "s-4", fromStart: true },
      context(clock, { persistEventBatch: true }),
    );
    const evidence = readJsonl(eventBatchEvidencePath(tmp.path, loop.loopId));
    expect(evidence).toHaveLength(3000);
    expect(evidence.map((envelope) => (envelope["sequence"] as JsonObject)["value"])).toEqual(
      Array.from({ length: 3000 }, (_, index) => index + 1),
    );
    expect(ReconciledStateSchema.parse(replay.document).evidence.lastEventEnvelope).toEqual(evidence[2999]);
    expect(ReconciledStateSchema.parse(replay.document).sequence.status).toBe("ok");
  });
});

describe("reconcile: validation (spec 13 §2)", () => {
  function expectNoOpsDir() {
    expect(fs.existsSync(path.join(repo.root, ".superloop", "ops-manager"))).toBe(false);
  }

  it("checks the flag values in the spec's order before touching the filesystem", async () => {
    const cases: [ReconcileInput, string][] = [
      [{}, "--repo is required"],
      [{ repo: "", loop: LOOP }, "--repo is required"],
      [{ repo: repo.root }, "--loop is required"],
      [
        { repo: repo.root, loop: LOOP, maxEvents: "-1", retryAttempts: "0" },
        "--max-events must be a non-negative integer",
      ],
      [{ repo: repo.root, loop: LOOP, maxEvents: "1.5" }, "--max-events must be a non-negative integer"],
      [
        { repo: repo.root, loop: LOOP, retryAttempts: "0", retryBackoffSeconds: "x" },
        "--retry-attempts must be an integer >= 1",
      ],
      [
        { repo: repo.root, loop: LOOP, retryBackoffSeconds: "-1", driftRequiredStreak: "0" },
        "--retry-backoff-seconds must be a non-negative integer",
      ],
      [
        { repo: repo.root, loop: LOOP, driftRequiredStreak: "0", driftSummaryWindow: "0" },
        "--drift-required-streak must be an integer >= 1",
      ],
      [
        { repo: repo.root, loop: LOOP, driftSummaryWindow: "0", alertsEnabled: "yes" },
        "--drift-summary-window must be an integer >= 1",
      ],
      [
        { repo: repo.root, loop: LOOP, alertsEnabled: "yes", transport: "http" },
        "--alerts-enabled must be true or false",
      ],
      [
        { repo: path.join(tmp.path, "missing"), loop: LOOP, transport: "http" },
        "--transport must be local or sprite_service",
      ],
      [
        { repo: path.join(tmp.path, "missing"), loop: LOOP },
        `repo directory not found: ${path.join(tmp.path, "missing")}`,
      ],
    ];
    for (const [flags, message] of cases) {
      const attempt = reconcile(flags, context(new TestClock(NOW)));
      await expect(attempt, message).rejects.toBeInstanceOf(ValidationError);
      await expect(reconcile(flags, context(new TestClock(NOW)))).rejects.toThrow(message);
      expectNoOpsDir();
    }
    // Q10-3: the loop id is checked before it becomes part of a path.
    await expect(
      reconcile({ repo: repo.root, loop: "../escape" }, context(new TestClock(NOW))),
    ).rejects.toThrow(/invalid loop id for --loop/);
    expectNoOpsDir();
  });

  it("after repo resolution: profile, env fallbacks, drift settings and thresholds, in order", async () => {
    twoEventLoop();
    const run = (flags: ReconcileInput, env: Record<string, string> = {}) =>
      reconcile(input(flags), context(new TestClock(NOW), { env: cleanEnv(env) }));
    const cases: [ReconcileInput, Record<string, string>, string][] = [
      // 9: Q13-1 the env value is validated like the flag…
      [{}, { OPS_MANAGER_ALERTS_ENABLED: "yes" }, "OPS_MANAGER_ALERTS_ENABLED must be true or false"],
      // …but only consulted when the flag is absent (the profile error proves it got past it).
      [
        { alertsEnabled: "false", thresholdProfile: "nope" },
        { OPS_MANAGER_ALERTS_ENABLED: "yes" },
        "unknown threshold profile: nope",
      ],
      [{ thresholdProfile: "nope" }, {}, "unknown threshold profile: nope"],
      [{}, { OPS_MANAGER_THRESHOLD_PROFILE: "nope" }, "unknown threshold profile: nope"],
      [
        { thresholdsFile: path.join(tmp.path, "none.json") },
        {},
        `threshold profiles file not found: ${path.join(tmp.path, "none.json")}`,
      ],
      [
        {},
        { OPS_MANAGER_THRESHOLD_PROFILES_FILE: path.join(tmp.path, "env.json") },
        `threshold profiles file not found: ${path.join(tmp.path, "env.json")}`,
      ],
      // Q13-12: the env profile is ignored when the flag is given.
      [
        { thresholdProfile: "strict", degradedIngestLagSeconds: "x" },
        { OPS_MANAGER_THRESHOLD_PROFILE: "nope" },
        "degraded-ingest-lag-seconds must be a non-negative integer",
      ],
      // 10
      [{ driftMinConfidence: "max" }, {}, "--drift-min-confidence must be one of: low, medium, high"],
      [
        {},
        { OPS_MANAGER_DRIFT_MIN_CONFIDENCE: "max" },
        "--drift-min-confidence must be one of: low, medium, high",
      ],
      [{}, { OPS_MANAGER_DRIFT_REQUIRED_STREAK: "0" }, "--drift-required-streak must be an integer >= 1"],
      [{}, { OPS_MANAGER_DRIFT_SUMMARY_WINDOW: "abc" }, "--drift-summary-window must be an integer >= 1"],
      [
        { driftMinConfidence: "max", degradedIngestLagSeconds: "x" },
        {},
        "--drift-min-confidence must be one of: low, medium, high",
      ],
      // 11, in the spec's order of names
      [
        { degradedIngestLagSeconds: "1.5", criticalIngestLagSeconds: "x" },
        {},
        "degraded-ingest-lag-seconds must be a non-negative integer",
      ],
      [{ criticalIngestLagSeconds: "-1" }, {}, "critical-ingest-lag-seconds must be a non-negative integer"],
      [
        { degradedHeartbeatLagSeconds: "" },
        {},
        "degraded-heartbeat-lag-seconds must be a non-negative integer",
      ],
      [
        { criticalHeartbeatLagSeconds: "1e3" },
        {},
        "critical-heartbeat-lag-seconds must be a non-negative integer",
      ],
      [
        { degradedTransportFailureStreak: "two" },
        {},
        "degraded-transport-failure-streak must be a non-negative integer",
      ],
      [
        { criticalTransportFailureStreak: " 4" },
        {},
        "critical-transport-failure-streak must be a non-negative integer",
      ],
      // 12 (explicit values are checked against profile values: balanced critical ingest = 900)
      [
        { degradedIngestLagSeconds: "901" },
        {},
        "critical ingest lag threshold must be >= degraded threshold",
      ],
      [
        { degradedHeartbeatLagSeconds: "301" },
        {},
        "critical heartbeat lag threshold must be >= degraded threshold",
      ],
      [
        { criticalTransportFailureStreak: "1" },
        {},
        "critical transport failure threshold must be >= degraded threshold",
      ],
      // 13: sprite_service without a base URL, after every other check, before any telemetry.
      [{ transport: "sprite_service" }, {}, "--service-base-url is required when --transport sprite_service"],
      [
        { transport: "sprite_service", serviceBaseUrl: "" },
        {},
        "--service-base-url is required when --transport sprite_service",
      ],
    ];
    for (const [flags, env, message] of cases) {
      await expect(run(flags, env), message).rejects.toThrow(message);
      // 8 created <ops>/; nothing was written into it.
      expect(fs.readdirSync(files().dir)).toEqual([]);
    }
  });

  it("an output file flag naming a runtime file is refused before anything is read or written", async () => {
    twoEventLoop();
    const runtime = runtimePaths(repo.root, LOOP);
    const before = {
      events: fs.readFileSync(runtime.events, "utf8"),
      state: fs.readFileSync(runtime.state, "utf8"),
    };
    const cases: [ReconcileInput, string][] = [
      // The runtime's state.json mistaken for the manager's (relative to the working directory).
      [
        { stateFile: ".superloop/state.json" },
        "--state-file must not be a runtime artifact: .superloop/state.json",
      ],
      [
        { cursorFile: runtime.events, fromStart: true },
        `--cursor-file must not be a runtime artifact: ${runtime.events}`,
      ],
      [
        { transport: "sprite_service", serviceBaseUrl: "http://127.0.0.1:9", cursorFile: runtime.events },
        `--cursor-file must not be a runtime artifact: ${runtime.events}`,
      ],
      [
        { sequenceStateFile: runtime.runSummary },
        `--sequence-state-file must not be a runtime artifact: ${runtime.runSummary}`,
      ],
      [
        { heartbeatTelemetryFile: runtime.decisions },
        `--heartbeat-telemetry-file must not be a runtime artifact: ${runtime.decisions}`,
      ],
    ];
    for (const [flags, message] of cases) {
      const attempt = reconcile(input(flags), context(new TestClock(NOW), { cwd: repo.root }));
      await expect(attempt, message).rejects.toThrow(message);
      await expect(
        reconcile(input(flags), context(new TestClock(NOW), { cwd: repo.root })),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(fs.readdirSync(files().dir)).toEqual([]);
    }
    expect(fs.readFileSync(runtime.events, "utf8")).toBe(before.events);
    expect(fs.readFileSync(runtime.state, "utf8")).toBe(before.state);
  });

  it("an output file flag naming a directory or a path below a file fails before anything is written", async () => {
    twoEventLoop();
    const aDirectory = path.join(tmp.path, "a-directory");
    fs.mkdirSync(aDirectory);
    const blocker = path.join(tmp.path, "blocker");
    fs.writeFileSync(blocker, "x");
    const cases: [ReconcileInput, string][] = [
      [{ sequenceStateFile: aDirectory }, `cannot write ${aDirectory} (EISDIR)`],
      [{ cursorFile: aDirectory }, `cannot write ${aDirectory} (EISDIR)`],
      [{ alertDispatchTelemetryFile: aDirectory }, `cannot write ${aDirectory} (EISDIR)`],
      [{ heartbeatStateFile: path.join(blocker, "hb.json") }, `cannot create directory ${blocker} (ENOTDIR)`],
    ];
    for (const [flags, message] of cases) {
      await expect(reconcile(input(flags), context(new TestClock(NOW))), message).rejects.toThrow(message);
      // Not even the cursor or transport health of this cycle was written.
      expect(fs.readdirSync(files().dir)).toEqual([]);
    }
    expect(fs.readdirSync(aDirectory)).toEqual([]);
    expect(fs.readFileSync(blocker, "utf8")).toBe("x");
  });

  it("an invalid profile value in the catalog fails the threshold check (reconcile rejects decimals)", async () => {
    twoEventLoop();
    const catalog = readJson(BUNDLED_PROFILES);
    ((catalog["profiles"] as JsonObject)["balanced"] as JsonObject)["degradedTransportFailureStreak"] = 1.5;
    const file = path.join(tmp.path, "profiles.json");
    fs.writeFileSync(file, JSON.stringify(catalog));
    await expect(reconcile(input({ thresholdsFile: file }), context(new TestClock(NOW)))).rejects.toThrow(
      "degraded-transport-failure-streak must be a non-negative integer",
    );
    // Explicit flags win over the profile, the profile name is still recorded (Q13-12).
    const result = await reconcile(
      input({
        thresholdsFile: file,
        degradedTransportFailureStreak: "3",
        criticalTransportFailureStreak: "5",
      }),
      context(new TestClock(NOW)),
    );
    expect(ReconciledStateSchema.parse(result.document).health.thresholds).toMatchObject({
      profile: "balanced",
      degradedTransportFailureStreak: 3,
      criticalTransportFailureStreak: 5,
    });
  });
});

describe("reconcile: ingest and projection failures (spec 13 §4.1, §11)", () => {
  it("snapshot_unavailable: health document, exit 1, spec example escalation, no state file", async () => {
    const result = await reconcile(input({ traceId: "tf-1" }), context(new TestClock(NOW)));
    const o = files();
    expect(result.exitCode).toBe(1);
    const health = HealthDocumentSchema.parse(result.document);
    expect(health).toEqual(readJson(o.health));
    expect(health).toMatchObject({
      status: "degraded",
      reasonCodes: ["transport_unreachable"],
      transport: {
        mode: "local",
        ingestStatus: "failed",
        failureCode: "snapshot_unavailable",
        lastFailureCode: "snapshot_unavailable",
      },
    });
    expect(fs.existsSync(o.state)).toBe(false);
    expect(fs.existsSync(o.sequenceState)).toBe(false);
    expect(fs.existsSync(o.cursor)).toBe(false);

    const rows = escalations();
    expect(rows).toEqual([
      {
        timestamp: NOW,
        loopId: LOOP,
        traceId: "tf-1",
        category: "health_degraded",
        transport: "local",
        ingestStatus: "failed",
        failureCode: "snapshot_unavailable",
        stateFile: o.state,
        cursorFile: o.cursor,
        healthFile: o.health,
        healthStatus: "degraded",
        reasonCodes: ["transport_unreachable"],
        reasons: [
          {
            code: "transport_unreachable",
            severity: "degraded",
            metric: "ingestStatus",
            observed: "failed",
            threshold: "success",
          },
        ],
      },
    ]);
    EscalationRowSchema.parse(rows[0]);

    const row = ReconcileTelemetryRowSchema.parse(telemetry()[0]);
    expect(row).toMatchObject({
      status: "failed",
      failureCode: "snapshot_unavailable",
      failureMessage: `error: required artifact root missing: ${runtimePaths(repo.root, LOOP).loopDir}`,
      eventsIngested: 0,
      cursorOffsetAfter: 0,
      transportFailureStreak: 1,
      sequenceStatus: "skipped_ingest_failed",
      healthStatus: "degraded",
    });
    expect(row).not.toHaveProperty("sequenceReasonCode");
  });

  it("events_unavailable: partial batches are not counted (Q13-7); cursor and lifecycle stay", async () => {
    const loop = twoEventLoop();
    await reconcile(input(), context(new TestClock(NOW)));
    const o = files();
    const stateBefore = readJson(o.state);
    const sequenceBefore = fs.readFileSync(o.sequenceState, "utf8");
    loop.appendEvent("role_start", { role: "planner" });
    loop.appendRawLine("{not json");
    loop.appendEvent("role_end", { role: "planner" });

    const result = await reconcile(
      input({ traceId: "tr-2" }),
      context(new TestClock("2026-02-22T12:00:05Z")),
    );
    expect(result.exitCode).toBe(1);
    expect(result.document).toMatchObject({ transport: { failureCode: "events_unavailable" } });
    const row = telemetry()[1];
    expect(row).toMatchObject({
      status: "failed",
      failureCode: "events_unavailable",
      eventsIngested: 0,
      cursorOffsetBefore: 2,
      cursorOffsetAfter: 2,
    });
    expect(row?.["failureMessage"]).toBe(
      `error: invalid JSON event at line 4 in ${runtimePaths(repo.root, LOOP).events}`,
    );
    expect(readJson(o.cursor)["eventLineOffset"]).toBe(2);
    // Failure merge: only health and trace change.
    const stateAfter = readJson(o.state);
    expect(stateAfter["health"]).toEqual(result.document);
    expect(stateAfter["trace"]).toEqual({ reconcileTraceId: "tr-2" });
    const { health: _h1, trace: _t1, drift: _d1, tuning: _u1, ...restBefore } = stateBefore;
    const { health: _h2, trace: _t2, drift: _d2, tuning: _u2, ...restAfter } = stateAfter;
    expect(restAfter).toEqual(restBefore);
    expect(fs.readFileSync(o.sequenceState, "utf8")).toBe(sequenceBefore);
    expect(fs.readdirSync(o.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("projection_failed: the cursor is not advanced (Q13-3), the events come again next cycle", async () => {
    twoEventLoop();
    const blocker = path.join(tmp.path, "not-a-dir");
    fs.writeFileSync(blocker, "x");
    const badStateFile = path.join(blocker, "state.json");
    const result = await reconcile(
      input({ stateFile: badStateFile }),
      context(new TestClock(NOW), { persistEventBatch: true }),
    );
    const o = files();
    expect(result.exitCode).toBe(1);
    expect(HealthDocumentSchema.parse(result.document)).toMatchObject({
      reasonCodes: ["projection_failed"],
      transport: { failureCode: "projection_failed" },
    });
    const row = telemetry()[0];
    expect(row).toMatchObject({
      status: "failed",
      failureCode: "projection_failed",
      eventsIngested: 2,
      cursorOffsetAfter: 0,
    });
    expect(String(row?.["failureMessage"])).toMatch(/^error: /);
    expect(fs.existsSync(o.cursor)).toBe(false);
    expect(fs.existsSync(eventBatchEvidencePath(repo.root, LOOP))).toBe(false);
    expect(fs.readdirSync(o.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    expect(escalations().map((r) => [r["category"], r["failureCode"]])).toEqual([
      ["health_degraded", "projection_failed"],
    ]);

    const retry = await reconcile(input({ traceId: "tr-2" }), context(new TestClock(NOW)));
    expect(retry.exitCode).toBe(0);
    expect(telemetry()[1]).toMatchObject({
      status: "success",
      eventsIngested: 2,
      cursorOffsetBefore: 0,
      cursorOffsetAfter: 2,
    });
  });
});

describe("reconcile: escalations (spec 13 §7)", () => {
  it("health escalations are edge-triggered; returning to healthy writes nothing", async () => {
    const clock = new TestClock(NOW);
    for (let run = 1; run <= 5; run += 1) {
      const result = await reconcile(input({ traceId: `tf-${run}` }), context(clock));
      expect(result.exitCode).toBe(1);
      clock.advance(10);
    }
    expect(telemetry().map((row) => [row["transportFailureStreak"], row["healthStatus"]])).toEqual([
      [1, "degraded"],
      [2, "degraded"],
      [3, "degraded"],
      [4, "critical"],
      [5, "critical"],
    ]);
    expect(escalations().map((row) => [row["category"], row["traceId"]])).toEqual([
      ["health_degraded", "tf-1"],
      ["health_critical", "tf-4"],
    ]);
    // The loop appears: success, healthy, no recovery row.
    const appeared = createSimulatedRepo(repo.root, { start: "2026-02-22T12:00:30Z" });
    extraRepos.push(appeared);
    appeared.loop(LOOP).startRun().iteration({ haltAfter: "iteration_start" });
    clock.set("2026-02-22T12:01:00Z");
    const healed = await reconcile(input({ traceId: "ok-1" }), context(clock));
    expect(healed.exitCode).toBe(0);
    expect(ReconciledStateSchema.parse(healed.document).health.status).toBe("healthy");
    expect(escalations()).toHaveLength(2);
  });

  it("divergence escalations are level-triggered: one per run (Q13-8)", async () => {
    const loop = repo.loop(LOOP).startRun();
    loop.iteration({ completion: true });
    loop.requestApproval({ iteration: false });
    const clock = new TestClock("2026-02-22T12:00:30Z");
    for (let run = 1; run <= 3; run += 1) {
      const result = await reconcile(input({ traceId: `t-${run}` }), context(clock));
      expect(result.exitCode).toBe(0);
      clock.advance(5);
    }
    const rows = escalations();
    expect(rows.map((row) => [row["category"], row["traceId"]])).toEqual([
      ["divergence_detected", "t-1"],
      ["health_degraded", "t-1"],
      ["divergence_detected", "t-2"],
      ["divergence_detected", "t-3"],
    ]);
    const o = files();
    expect(rows[0]).toMatchObject({
      stateFile: o.state,
      cursorFile: o.cursor,
      divergenceFlags: { activeMismatch: false, approvalCompletionConflict: true, cursorRegression: false },
      state: {
        transition: { currentState: "awaiting_approval", confidence: "low" },
        cursor: { eventLineOffset: expect.any(Number) },
      },
    });
    for (const row of rows) EscalationRowSchema.parse(row);
    expect(rows[1]).toMatchObject({ reasonCodes: ["divergence_detected"], ingestStatus: "success" });
    expect(rows[1]).not.toHaveProperty("failureCode");
  });
});

describe("reconcile: replay (Q13-4, Q13-11)", () => {
  it("--from-start over an unchanged log is not ordering drift", async () => {
    repo.scenario("running", LOOP);
    const total = repo.loop(LOOP).readEvents().length;
    const clock = new TestClock("2026-02-22T12:01:00Z");
    await reconcile(input(), context(clock));
    const replay = await reconcile(input({ fromStart: true, traceId: "tr-2" }), context(clock));
    expect(replay.exitCode).toBe(0);
    expect(telemetry()[1]).toMatchObject({
      fromStart: true,
      cursorOffsetBefore: 0,
      cursorOffsetAfter: total,
      eventsIngested: total,
      sequenceStatus: "ok",
    });
    const state = ReconciledStateSchema.parse(replay.document);
    expect(state.sequence.events).toMatchObject({
      first: 1,
      last: total,
      previousLast: null,
      monotonicAcrossBatches: true,
    });
    expect(state.health.status).toBe("healthy");
    expect(fs.existsSync(files().escalations)).toBe(false);

    // Parity form of the quirk: the replay reports event_sequence_regression.
    const parity = await reconcile(
      input({ fromStart: true, traceId: "tr-3" }),
      context(clock, { quirks: { sequence: { resetBaselineOnReplay: false } } }),
    );
    expect(ReconciledStateSchema.parse(parity.document).sequence.violations).toEqual([
      "event_sequence_regression",
    ]);
  });

  it("a truncated log: events_unavailable until replayed; the replay reports drift", async () => {
    repo.scenario("running", LOOP);
    const clock = new TestClock("2026-02-22T12:01:00Z");
    await reconcile(input(), context(clock));
    const events = runtimePaths(repo.root, LOOP).events;
    const lines = fs.readFileSync(events, "utf8").split("\n").slice(0, 3);
    fs.writeFileSync(events, `${lines.join("\n")}\n`);

    // Q13-11: the cursor is ahead of the log.
    const stale = await reconcile(input({ traceId: "tr-2" }), context(clock));
    expect(stale.exitCode).toBe(1);
    expect(telemetry()[1]?.["failureMessage"]).toMatch(
      /cursor offset \(\d+\) exceeds available events \(3\)/,
    );

    const replay = await reconcile(input({ fromStart: true, traceId: "tr-3" }), context(clock));
    expect(replay.exitCode).toBe(0);
    const state = ReconciledStateSchema.parse(replay.document);
    expect(state.sequence).toMatchObject({
      status: "ordering_drift_detected",
      violations: ["event_sequence_regression", "snapshot_sequence_regression"],
      snapshot: { current: 3, regressed: true },
      events: { first: 1, last: 3 },
    });
    expect(state.divergence.flags.cursorRegression).toBe(true);
    expect(state.health.reasonCodes).toEqual(["divergence_detected", "ordering_drift_detected"]);
    const categories = escalations().map((row) => [row["category"], row["traceId"]]);
    expect(categories).toEqual([
      ["health_degraded", "tr-2"],
      ["divergence_detected", "tr-3"],
      ["ordering_drift_detected", "tr-3"],
      ["health_degraded", "tr-3"],
    ]);
    const ordering = escalations()[2] as JsonObject;
    expect(ordering).toMatchObject({
      reasonCode: "ordering_drift_detected",
      sequenceStateFile: files().sequenceState,
      sequenceTelemetryFile: files().telemetry.sequence,
      sequence: { status: "ordering_drift_detected", driftActive: true },
    });
    EscalationRowSchema.parse(ordering);
  });
});

describe("reconcile: snapshot digest cache (<ops>/snapshot-digest-cache.json)", () => {
  /** Runtime JSON files written "now" are too recent to cache; move their mtimes an hour back. */
  let agedMtimeS = Math.floor(Date.now() / 1000) - 3600;
  function ageRuntimeFiles() {
    const paths = runtimePaths(repo.root, LOOP);
    agedMtimeS += 1;
    for (const file of [paths.state, paths.activeRun, paths.approval, paths.runSummary, paths.heartbeat]) {
      if (fs.existsSync(file) && fs.statSync(file).mtimeMs > Date.now() - 60_000) {
        fs.utimesSync(file, agedMtimeS, agedMtimeS);
      }
    }
  }

  /** The cycle's snapshot (evidence.snapshotFile) equals a plain, uncached snapshot of the same files. */
  async function expectSnapshotAsWithoutCache(clock: TestClock, traceId: string) {
    const kept = readJson(path.join(files().dir, "snapshot.json"));
    const plain = await loopRunSnapshot({ repo: repo.root, loop: LOOP, traceId }, { clock });
    const { emittedAt: _a, ...keptRest } = kept;
    const { emittedAt: _b, ...plainRest } = plain;
    expect(JSON.stringify(keptRest)).toBe(JSON.stringify(plainRest));
  }

  it("is written under <ops>/, resumed across cycles, and gives the snapshot it would without it", async () => {
    const loop = repo.scenario("running", LOOP, { iterations: 2, heartbeat: true });
    ageRuntimeFiles();
    const clock = new TestClock(NOW);
    const cacheFile = snapshotDigestCachePath(repo.root, LOOP);
    expect(cacheFile).toBe(path.join(files().dir, "snapshot-digest-cache.json"));

    expect((await reconcile(input(), context(clock))).exitCode).toBe(0);
    await expectSnapshotAsWithoutCache(clock, "tr-1");
    const first = SnapshotDigestCacheSchema.parse(readJson(cacheFile));
    const events = runtimePaths(repo.root, LOOP).events;
    expect(first.events).toMatchObject({
      hashedBytes: fs.statSync(events).size,
      lineCount: loop.readEvents().length,
    });
    expect(first.files.runSummary).not.toBeNull();
    expect(first.files.state).not.toBeNull();

    // An idle cycle changes nothing: the file is not rewritten.
    const before = fs.statSync(cacheFile);
    await reconcile(input({ traceId: "tr-2" }), context(clock));
    expect(fs.statSync(cacheFile).ino).toBe(before.ino);

    // New events (and a replaced run-summary / rewritten state): the entry moves on.
    for (let round = 3; round <= 5; round += 1) {
      loop.iteration();
      if (round !== 4) ageRuntimeFiles();
      clock.advance(10);
      expect((await reconcile(input({ traceId: `tr-${round}` }), context(clock))).exitCode).toBe(0);
      await expectSnapshotAsWithoutCache(clock, `tr-${round}`);
    }
    const last = SnapshotDigestCacheSchema.parse(readJson(cacheFile));
    expect(last.events).toMatchObject({
      hashedBytes: fs.statSync(events).size,
      lineCount: loop.readEvents().length,
    });
    expect(last.files.runSummary?.ino).toBe(fs.statSync(runtimePaths(repo.root, LOOP).runSummary).ino);
    expect(fs.readdirSync(files().dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("a corrupt, foreign or unreadable cache file is an empty cache, never an error", async () => {
    const loop = repo.scenario("running", LOOP, { iterations: 1 });
    ageRuntimeFiles();
    const clock = new TestClock(NOW);
    const cacheFile = snapshotDigestCachePath(repo.root, LOOP);
    await reconcile(input(), context(clock));
    const valid = readJson(cacheFile);
    const corrupt = [
      "",
      "{",
      "[]",
      "null",
      JSON.stringify({ ...valid, schemaVersion: "v2" }),
      JSON.stringify({ ...valid, events: { ...(valid["events"] as JsonObject), state: "%%%" } }),
      JSON.stringify({ ...valid, extra: true }),
    ];
    for (const [index, text] of corrupt.entries()) {
      loop.appendEvent("role_start", { role: "planner" });
      fs.writeFileSync(cacheFile, text);
      clock.advance(10);
      const result = await reconcile(input({ traceId: `c-${index}` }), context(clock));
      expect(result.exitCode, text).toBe(0);
      expect(telemetry().at(-1)).toMatchObject({ status: "success", eventsIngested: 1 });
      await expectSnapshotAsWithoutCache(clock, `c-${index}`);
      expect(SnapshotDigestCacheSchema.safeParse(readJson(cacheFile)).success).toBe(true);
    }
    // A directory where the file should be: read as empty, the write fails → warning, cycle succeeds.
    fs.rmSync(cacheFile);
    fs.mkdirSync(cacheFile);
    const warnings: string[] = [];
    loop.appendEvent("role_end", { role: "planner" });
    const result = await reconcile(
      input({ traceId: "c-dir" }),
      context(clock, { warn: (message) => warnings.push(message) }),
    );
    expect(result.exitCode).toBe(0);
    expect(warnings).toEqual([
      expect.stringMatching(/^snapshot digest cache not saved \(reconcile continues\): /),
    ]);
    expect(fs.readdirSync(files().dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("events.jsonl replaced by a shorter log: the cache does not resume, the snapshot is right", async () => {
    repo.scenario("running", LOOP, { iterations: 3 });
    const clock = new TestClock(NOW);
    await reconcile(input(), context(clock));
    const events = runtimePaths(repo.root, LOOP).events;
    const lines = fs.readFileSync(events, "utf8").split("\n").slice(0, 5).join("\n");
    const temp = `${events}.new`;
    fs.writeFileSync(temp, `${lines}\n`);
    fs.renameSync(temp, events);
    // The cursor now exceeds the log: events_unavailable, but the snapshot itself is current.
    await reconcile(input({ traceId: "r-1" }), context(clock));
    const result = await reconcile(input({ traceId: "r-2", fromStart: true }), context(clock));
    expect(result.exitCode).toBe(0);
    await expectSnapshotAsWithoutCache(clock, "r-2");
    expect(
      SnapshotDigestCacheSchema.parse(readJson(snapshotDigestCachePath(repo.root, LOOP))).events,
    ).toMatchObject({
      lineCount: 5,
      ino: fs.statSync(events).ino,
    });
  });

  it("ctx.snapshotDigestCache: false reads everything in full and writes no cache file", async () => {
    twoEventLoop();
    const result = await reconcile(input(), context(new TestClock(NOW), { snapshotDigestCache: false }));
    expect(result.exitCode).toBe(0);
    expect(fs.existsSync(snapshotDigestCachePath(repo.root, LOOP))).toBe(false);
    await expectSnapshotAsWithoutCache(new TestClock(NOW), "tr-1");
  });
});

describe("reconcile: concurrency", () => {
  it("two concurrent reconciles of one loop run one after the other under the loop lock", async () => {
    repo.scenario("running", LOOP, { iterations: 3 });
    const total = repo.loop(LOOP).readEvents().length;
    const clock = new TestClock("2026-02-22T12:02:00Z");
    const [a, b] = await Promise.all([
      reconcile(input({ traceId: "a" }), context(clock)),
      reconcile(input({ traceId: "b" }), context(clock)),
    ]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const rows = telemetry();
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => row["eventsIngested"])).toEqual([total, 0]);
    expect(rows.map((row) => row["cursorOffsetBefore"])).toEqual([0, total]);
    expect(rows.every((row) => row["sequenceStatus"] === "ok")).toBe(true);
    expect(readJson(files().cursor)["eventLineOffset"]).toBe(total);
    const sequences = readJsonl(files().telemetry.sequence);
    expect(sequences.map((row) => (row["events"] as JsonObject)["previousLast"])).toEqual([null, total]);
    expect(fs.existsSync(files().lock)).toBe(false);
  });
});

describe("reconcile: profile drift and tuning (spec 13 §9)", () => {
  it("one healthy reconcile with low min confidence and streak 1 activates drift (Q18-2)", async () => {
    twoEventLoop();
    const result = await reconcile(
      input({ driftRequiredStreak: "1", driftSummaryWindow: "25" }),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_DRIFT_MIN_CONFIDENCE: "low" }) }),
    );
    const state = ReconciledStateSchema.parse(result.document);
    expect(state.drift).toMatchObject({
      status: "drift_active",
      reasonCode: "profile_drift_detected",
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      recommendationConfidence: "low",
      minimumConfidence: "low",
      requiredStreak: 1,
      summaryWindow: 25,
      mismatchStreak: 1,
      transitioned: { toActive: true, toResolved: false },
      rationale: "Observed stable healthy runs; tighten thresholds for faster detection",
      action: "review_threshold_profile",
      traceId: "tr-1",
    });
    expect(state.tuning).toMatchObject({
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      confidence: "low",
      summaryWindow: 25,
      telemetrySummary: { observed: { reconcileAttempts: 1 }, source: { window: 25 } },
    });
    const o = files();
    expect(readJson(o.profileDrift)).toEqual(
      Object.fromEntries(Object.entries(state.drift ?? {}).filter(([key]) => key !== "traceId")),
    );
    expect(escalations()).toEqual([
      {
        timestamp: NOW,
        loopId: LOOP,
        traceId: "tr-1",
        category: "profile_drift_detected",
        transport: "local",
        stateFile: o.state,
        driftStateFile: o.profileDrift,
        driftHistoryFile: o.telemetry.profileDrift,
        reasonCode: "profile_drift_detected",
        drift: {
          status: "drift_active",
          appliedProfile: "balanced",
          recommendedProfile: "strict",
          recommendationConfidence: "low",
          mismatchStreak: 1,
          requiredStreak: 1,
          action: "review_threshold_profile",
          rationale: "Observed stable healthy runs; tighten thresholds for faster detection",
        },
      },
    ]);
    // Second run: still active, not a new transition → no new escalation.
    await reconcile(
      input({ driftRequiredStreak: "1" }),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_DRIFT_MIN_CONFIDENCE: "low" }) }),
    );
    expect(escalations()).toHaveLength(1);
  });

  it("a corrupt reconcile telemetry line does not break the cycle", async () => {
    twoEventLoop();
    fs.mkdirSync(files().telemetry.dir, { recursive: true });
    fs.writeFileSync(files().telemetry.reconcile, "{broken\n");
    const result = await reconcile(input(), context(new TestClock(NOW)));
    expect(result.exitCode).toBe(0);
    expect(ReconciledStateSchema.parse(result.document).tuning?.telemetrySummary.observed).toMatchObject({
      reconcileAttempts: 1,
    });
  });
});

describe("reconcile: hooks replaced by real executables (spec 10 §4.1)", () => {
  it("OPS_MANAGER_HEALTH_SCRIPT: its document is the health of the cycle; it gets the health flags", async () => {
    twoEventLoop();
    const argvFile = path.join(tmp.path, "health-argv.json");
    const stubHealth = {
      schemaVersion: "v1",
      updatedAt: NOW,
      traceId: "tr-1",
      status: "critical",
      reasonCodes: ["stub_reason"],
      reasons: [{ code: "stub_reason", severity: "critical", metric: "stub", observed: "1", threshold: "0" }],
      metrics: {
        ingestLagSeconds: 0,
        heartbeatLagSeconds: null,
        transportFailureStreak: 0,
        lastControlStatus: null,
        sequenceStatus: "ok",
        lifecycleState: "running",
      },
      thresholds: {
        profile: "balanced",
        degradedIngestLagSeconds: 300,
        criticalIngestLagSeconds: 900,
        degradedHeartbeatLagSeconds: 120,
        criticalHeartbeatLagSeconds: 300,
        degradedTransportFailureStreak: 2,
        criticalTransportFailureStreak: 4,
      },
      transport: { mode: "local", ingestStatus: "success", failureCode: null, lastFailureCode: null },
      evidence: { lastEventAt: null, lastHeartbeatAt: null, sequenceUpdatedAt: null },
    };
    const script = writeStub(
      tmp.path,
      "health-stub",
      `require("node:fs").writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));
process.stdout.write(${JSON.stringify(JSON.stringify(stubHealth))} + "\\n");`,
    );
    const result = await reconcile(
      input(),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_HEALTH_SCRIPT: script }), cwd: tmp.path }),
    );
    expect(result.exitCode).toBe(0);
    const o = files();
    expect(readJson(o.health)).toEqual(stubHealth);
    expect(ReconciledStateSchema.parse(result.document).health).toEqual(stubHealth);
    expect(telemetry()[0]).toMatchObject({ healthStatus: "critical", healthReasonCodes: ["stub_reason"] });
    expect(escalations().map((row) => [row["category"], row["reasonCodes"]])).toEqual([
      ["health_critical", ["stub_reason"]],
    ]);
    expect(JSON.parse(fs.readFileSync(argvFile, "utf8"))).toEqual([
      "--state-file",
      o.state,
      "--heartbeat-state-file",
      o.heartbeat,
      "--sequence-state-file",
      o.sequenceState,
      "--transport-health-file",
      o.telemetry.transportHealth,
      "--intents-file",
      o.intents,
      "--trace-id",
      "tr-1",
      "--transport",
      "local",
      "--threshold-profile",
      "balanced",
      "--ingest-status",
      "success",
      "--degraded-ingest-lag-seconds",
      "300",
      "--critical-ingest-lag-seconds",
      "900",
      "--degraded-heartbeat-lag-seconds",
      "120",
      "--critical-heartbeat-lag-seconds",
      "300",
      "--degraded-transport-failure-streak",
      "2",
      "--critical-transport-failure-streak",
      "4",
      "--now",
      NOW,
    ]);
  });

  it("a failing health hook aborts the cycle (exit 1, no document, no telemetry row)", async () => {
    twoEventLoop();
    const script = writeStub(
      tmp.path,
      "health-fail",
      `process.stderr.write("error: boom\\n"); process.exit(3);`,
    );
    const attempt = reconcile(
      input(),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_HEALTH_SCRIPT: script }) }),
    );
    await expect(attempt).rejects.toBeInstanceOf(ReconcileStepError);
    await expect(
      reconcile(
        input(),
        context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_HEALTH_SCRIPT: script }) }),
      ),
    ).rejects.toThrow(/health step failed .*error: boom/);
    expect(fs.existsSync(files().telemetry.reconcile)).toBe(false);
  });

  it("OPS_MANAGER_THRESHOLD_PROFILE_SCRIPT: its values are used; its errors pass through verbatim", async () => {
    twoEventLoop();
    const argvFile = path.join(tmp.path, "profile-argv.json");
    const script = writeStub(
      tmp.path,
      "profile-stub",
      `const args = process.argv.slice(2);
require("node:fs").writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(args));
const name = args[args.indexOf("--profile") + 1];
if (args.includes("--profile") && name !== "strict") { process.stderr.write("error: unknown threshold profile: " + name + "\\n"); process.exit(1); }
process.stdout.write(JSON.stringify({ schemaVersion: "v1", sourceFile: "stub", profile: "strict",
  values: { degradedIngestLagSeconds: 120, criticalIngestLagSeconds: 300, degradedTransportFailureStreak: 1, criticalTransportFailureStreak: 2 } }) + "\\n");`,
    );
    const env = cleanEnv({ OPS_MANAGER_THRESHOLD_PROFILE_SCRIPT: script });
    await expect(
      reconcile(input({ thresholdProfile: "nope" }), context(new TestClock(NOW), { env })),
    ).rejects.toThrow(new ValidationError("unknown threshold profile: nope"));
    expect(JSON.parse(fs.readFileSync(argvFile, "utf8"))).toEqual([
      "--profiles-file",
      BUNDLED_PROFILES,
      "--profile",
      "nope",
    ]);

    const result = await reconcile(input(), context(new TestClock(NOW), { env }));
    expect(JSON.parse(fs.readFileSync(argvFile, "utf8"))).toEqual(["--profiles-file", BUNDLED_PROFILES]);
    expect(ReconciledStateSchema.parse(result.document).health.thresholds).toEqual({
      profile: "strict",
      degradedIngestLagSeconds: 120,
      criticalIngestLagSeconds: 300,
      degradedHeartbeatLagSeconds: 120,
      criticalHeartbeatLagSeconds: 300,
      degradedTransportFailureStreak: 1,
      criticalTransportFailureStreak: 2,
    });
    expect(telemetry()[0]).toMatchObject({ thresholdProfile: "strict" });
  });

  it("OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT feeds tuning and drift; a failing PROFILE_DRIFT hook is best effort (Q13-6)", async () => {
    twoEventLoop();
    const summary = {
      schemaVersion: "v1",
      generatedAt: NOW,
      source: {
        repoPath: repo.root,
        loopId: LOOP,
        reconcileTelemetryFile: "r",
        controlTelemetryFile: "c",
        window: 200,
      },
      observed: { reconcileAttempts: 120 },
      recommendedProfile: "relaxed",
      confidence: "high",
      rationale: "Observed high critical/failure rates; reduce alert noise while stabilizing",
    };
    const summaryArgv = path.join(tmp.path, "summary-argv.json");
    const summaryStub = writeStub(
      tmp.path,
      "summary-stub",
      `require("node:fs").writeFileSync(${JSON.stringify(summaryArgv)}, JSON.stringify(process.argv.slice(2)));
process.stdout.write(${JSON.stringify(JSON.stringify(summary))});`,
    );
    const result = await reconcile(
      input({ driftRequiredStreak: "1" }),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT: summaryStub }) }),
    );
    const o = files();
    expect(JSON.parse(fs.readFileSync(summaryArgv, "utf8"))).toEqual([
      "--repo",
      repo.root,
      "--loop",
      LOOP,
      "--reconcile-telemetry-file",
      o.telemetry.reconcile,
      "--control-telemetry-file",
      o.telemetry.control,
      "--window",
      "200",
    ]);
    const state = ReconciledStateSchema.parse(result.document);
    expect(state.tuning).toEqual({
      appliedProfile: "balanced",
      recommendedProfile: "relaxed",
      confidence: "high",
      rationale: summary.rationale,
      summaryWindow: 200,
      telemetrySummary: { observed: summary.observed, source: summary.source },
    });
    expect(state.drift).toMatchObject({
      status: "drift_active",
      recommendedProfile: "relaxed",
      recommendationConfidence: "high",
    });
    expect(escalations().map((row) => row["category"])).toEqual(["profile_drift_detected"]);

    // A failing profile-drift hook: the cycle still succeeds, without drift merge or escalation.
    const driftStub = writeStub(
      tmp.path,
      "drift-fail",
      `process.stderr.write("error: drift exploded\\n"); process.exit(1);`,
    );
    const warnings: string[] = [];
    const second = await reconcile(
      input({ traceId: "tr-2" }),
      context(new TestClock(NOW), {
        env: cleanEnv({ OPS_MANAGER_PROFILE_DRIFT_SCRIPT: driftStub }),
        warn: (message) => warnings.push(message),
      }),
    );
    expect(second.exitCode).toBe(0);
    expect(second.document).not.toHaveProperty("drift");
    expect(warnings.join("\n")).toMatch(/profile drift step failed.*drift exploded/s);
    expect(escalations()).toHaveLength(1);
  });

  it("OPS_MANAGER_ALERT_DISPATCH_SCRIPT: a non-zero exit appends alert_dispatch_failed; outcome unaffected", async () => {
    twoEventLoop();
    const argvFile = path.join(tmp.path, "dispatch-argv.json");
    const script = writeStub(
      tmp.path,
      "dispatch-stub",
      `require("node:fs").writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));
for (let i = 1; i <= 45; i += 1) console.log("out " + i);
process.stderr.write("error: sink down\\n");
process.exit(4);`,
    );
    const sinks = path.join(tmp.path, "sinks.json");
    const env = cleanEnv({ OPS_MANAGER_ALERT_DISPATCH_SCRIPT: script, OPS_MANAGER_ALERT_SINKS_FILE: sinks });
    const result = await reconcile(input(), context(new TestClock(NOW), { env }));
    expect(result.exitCode).toBe(0);
    const o = files();
    expect(JSON.parse(fs.readFileSync(argvFile, "utf8"))).toEqual([
      "--repo",
      repo.root,
      "--loop",
      LOOP,
      "--trace-id",
      "tr-1",
      "--escalations-file",
      o.escalations,
      "--dispatch-state-file",
      o.alertDispatchState,
      "--dispatch-telemetry-file",
      o.telemetry.alerts,
      "--alert-config-file",
      sinks,
    ]);
    const rows = readJsonl(o.telemetry.alerts);
    expect(rows).toHaveLength(1);
    const message = String(rows[0]?.["message"]);
    expect(rows[0]).toMatchObject({
      timestamp: NOW,
      loopId: LOOP,
      traceId: "tr-1",
      category: "alert_dispatch",
      status: "failed_command",
      reasonCode: "alert_dispatch_failed",
    });
    expect(message.split("\n")).toHaveLength(40);
    expect(message.endsWith("out 45\nerror: sink down")).toBe(true);

    // Alerts disabled (flag, or env false): the hook is not run.
    fs.rmSync(argvFile);
    await reconcile(input({ alertsEnabled: "false" }), context(new TestClock(NOW), { env }));
    await reconcile(
      input(),
      context(new TestClock(NOW), { env: { ...env, OPS_MANAGER_ALERTS_ENABLED: "false" } }),
    );
    expect(fs.existsSync(argvFile)).toBe(false);
    expect(readJsonl(o.telemetry.alerts)).toHaveLength(1);
  });
});

describe("reconcile: in-process alert dispatch (spec 13 §10)", () => {
  it("calls the injected dispatcher with the cycle's paths; default dispatch records nothing without rows; failures are recorded", async () => {
    twoEventLoop();
    const requests: AlertDispatchRequest[] = [];
    await reconcile(
      input(),
      context(new TestClock(NOW), {
        alertDispatch: async (request) => {
          requests.push(request);
          return { status: "completed" };
        },
      }),
    );
    const o = files();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      repoPath: repo.root,
      loopId: LOOP,
      traceId: "tr-1",
      escalationsFile: o.escalations,
      dispatchStateFile: o.alertDispatchState,
      dispatchTelemetryFile: o.telemetry.alerts,
      alertConfigFile: null,
      holdsLoopLock: true,
    });
    // Default: the in-process dispatch; no escalation rows → state `no_source`, no telemetry row.
    await reconcile(input(), context(new TestClock(NOW)));
    expect(fs.existsSync(o.telemetry.alerts)).toBe(false);
    expect(readJson(o.alertDispatchState)).toMatchObject({ status: "no_source", traceId: "tr-1" });
    // A thrown error and a failed outcome both become alert_dispatch_failed rows.
    await reconcile(
      input(),
      context(new TestClock(NOW), {
        alertDispatch: async () => {
          throw new Error("no route");
        },
      }),
    );
    await reconcile(
      input(),
      context(new TestClock(NOW), { alertDispatch: async () => ({ status: "failed", output: null }) }),
    );
    const rows = readJsonl(o.telemetry.alerts);
    expect(rows.map((row) => row["message"] ?? null)).toEqual(["error: no route", null]);
  });
});
