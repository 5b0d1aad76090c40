import fs from "node:fs";
import path from "node:path";
import { OpsError, opsPaths } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StatusDocumentSchema } from "./schemas.js";
import { type LoopStatusContext, type LoopStatusInput, loopStatus } from "./status.js";
import {
  ALERT_ROW,
  CONTROL_ROW,
  DRIFT,
  HEALTH,
  HEARTBEAT_ROW,
  HEARTBEAT_STATE,
  INTENT_ROW,
  INVOCATION_ROW,
  LOOP,
  NOW,
  RECONCILE_ROWS,
  SEQUENCE_ROW,
  SEQUENCE_STATE,
  stateFile,
  TRACE,
  writeExampleArtifacts,
  writeJson,
  writeJsonl,
} from "./test-fixtures.js";

const clock = { now: () => new Date(NOW) };

let temp: TempDir;
let repo: string;
let ops: ReturnType<typeof opsPaths>;

beforeEach(() => {
  temp = makeTempDir("ops-status-");
  repo = temp.path;
  ops = opsPaths(repo, LOOP);
});

afterEach(async () => {
  await temp.cleanup();
});

function ctx(extra: Partial<LoopStatusContext> = {}): LoopStatusContext {
  return { clock, cwd: repo, env: { PATH: process.env["PATH"] }, ...extra };
}

async function status(input: Partial<LoopStatusInput> = {}, extra: Partial<LoopStatusContext> = {}) {
  const document = await loopStatus({ repo, loop: LOOP, ...input }, ctx(extra));
  // Every document parses with the published schema.
  expect(StatusDocumentSchema.parse(document)).toEqual(document);
  return document;
}

async function expectError(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OpsError);
  expect((error as OpsError).message).toBe(message);
  expect((error as OpsError).exitCode).toBe(1);
}

describe("status — spec 17 §3.1 example", () => {
  it("reproduces the example document", async () => {
    writeExampleArtifacts(repo);
    const document = await status();
    const { runtimeProcess, tuning, ...rest } = document;
    expect(rest).toEqual({
      schemaVersion: "v1",
      generatedAt: NOW,
      source: { repoPath: repo, loopId: LOOP },
      lifecycle: { state: "running", confidence: "high", runId: "run-123", iteration: 1 },
      health: HEALTH,
      cursor: { eventLineOffset: 2, eventLineCount: 2 },
      control: {
        lastIntent: null,
        lastStatus: null,
        lastRequestedBy: null,
        lastTimestamp: null,
        lastTraceId: null,
      },
      reconcile: {
        lastStatus: "success",
        lastTimestamp: "2026-02-22T12:00:03Z",
        lastTransport: "local",
        lastFailureCode: null,
        lastDurationSeconds: 3,
        lastTraceId: TRACE,
      },
      visibility: {
        heartbeat: {
          freshnessStatus: "degraded",
          reasonCode: "runtime_heartbeat_stale",
          lastHeartbeatAt: "2020-01-01T00:00:00Z",
          heartbeatLagSeconds: 193017600,
          updatedAt: "2026-02-22T12:00:02Z",
          transport: "local",
          traceId: TRACE,
        },
        sequence: {
          status: "ok",
          // Q17-1 careful form: explicit false (the example, written by the original, drops it).
          driftActive: false,
          violations: [],
          snapshotCurrent: 2,
          eventsLast: 2,
          updatedAt: "2026-02-22T12:00:02Z",
          transport: "local",
          traceId: TRACE,
        },
        trace: {
          reconcileTraceId: TRACE,
          heartbeatTraceId: TRACE,
          sequenceTraceId: TRACE,
          alertTraceId: TRACE,
          sharedTraceId: TRACE,
        },
      },
      drift: DRIFT,
      alerts: {
        dispatch: {
          status: "success",
          updatedAt: "2026-02-22T12:00:05Z",
          processedCount: 1,
          dispatchedCount: 0,
          skippedCount: 1,
          failedCount: 0,
          failureReasonCodes: [],
          escalationsLineOffset: 1,
          escalationsLineCount: 1,
          lastTraceId: TRACE,
        },
        lastDelivery: {
          timestamp: "2026-02-22T12:00:05Z",
          status: "skipped",
          reasonCode: "no_dispatchable_sinks",
          escalationCategory: "health_degraded",
          eventSeverity: "warning",
          sinkCount: 0,
          dispatchedSinkCount: 0,
          failedSinkCount: 0,
          traceId: TRACE,
          escalationTraceId: TRACE,
        },
      },
      traceLinkage: {
        controlTraceId: null,
        controlInvocationTraceId: null,
        reconcileTraceId: TRACE,
        heartbeatTraceId: TRACE,
        sequenceTraceId: TRACE,
        alertTraceId: TRACE,
        sharedTraceId: TRACE,
      },
      files: {
        stateFile: ops.state,
        cursorFile: ops.cursor,
        healthFile: ops.health,
        intentsFile: ops.intents,
        heartbeatStateFile: ops.heartbeat,
        heartbeatTelemetryFile: ops.telemetry.heartbeat,
        sequenceStateFile: ops.sequenceState,
        sequenceTelemetryFile: ops.telemetry.sequence,
        controlInvocationsFile: ops.telemetry.controlInvocations,
        driftStateFile: ops.profileDrift,
        driftHistoryFile: ops.telemetry.profileDrift,
        alertDispatchStateFile: ops.alertDispatchState,
        alertDispatchTelemetryFile: ops.telemetry.alerts,
        reconcileTelemetryFile: ops.telemetry.reconcile,
        controlTelemetryFile: ops.telemetry.control,
      },
    });
    // Tuning: the telemetry summary over the two reconcile rows (one failed → relaxed, low).
    expect(tuning).toMatchObject({
      summaryWindow: 200,
      appliedProfile: "balanced",
      recommendedProfile: "relaxed",
      confidence: "low",
      rationale: "Observed high critical/failure rates; reduce alert noise while stabilizing",
      telemetrySummary: {
        observed: { reconcileAttempts: 2, reconcileSuccessCount: 1, reconcileFailedCount: 1 },
        source: { repoPath: repo, loopId: LOOP, window: 200 },
      },
    });
    expect(Object.keys(tuning)).toEqual([
      "summaryWindow",
      "appliedProfile",
      "recommendedProfile",
      "confidence",
      "rationale",
      "telemetrySummary",
    ]);
    // Key order of the example, then the additive runtime block.
    expect(Object.keys(document)).toEqual([
      "schemaVersion",
      "generatedAt",
      "source",
      "lifecycle",
      "health",
      "cursor",
      "control",
      "reconcile",
      "visibility",
      "tuning",
      "drift",
      "alerts",
      "traceLinkage",
      "files",
      "runtimeProcess",
    ]);
    expect(runtimeProcess.status).toBe("unknown");
    expect(runtimeProcess.reason).toBe("runtime_files_not_local");
  });

  it("uses the injected clock and the resolved absolute repo path", async () => {
    writeExampleArtifacts(repo);
    const nested = path.join(repo, "sub");
    fs.mkdirSync(nested);
    const document = await loopStatus({ repo: "..", loop: LOOP }, ctx({ cwd: nested }));
    expect(document.generatedAt).toBe(NOW);
    expect(document.source.repoPath).toBe(repo);
    expect(document.files.stateFile).toBe(ops.state);
  });

  it("never writes: every file and mtime is unchanged and nothing is added", async () => {
    writeExampleArtifacts(repo);
    writeJsonl(ops.intents, [INTENT_ROW]);
    writeJsonl(ops.telemetry.control, [CONTROL_ROW]);
    writeJsonl(ops.telemetry.controlInvocations, [INVOCATION_ROW]);
    const before = snapshotTree(repo);
    await status();
    await status({ summaryWindow: "5" });
    expect(snapshotTree(repo)).toEqual(before);
  });
});

function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        out[`${full}/`] = "dir";
        walk(full);
      } else {
        const stats = fs.statSync(full);
        out[full] = `${stats.mtimeMs}:${fs.readFileSync(full, "utf8")}`;
      }
    }
  };
  walk(root);
  return out;
}

describe("status — errors (§1)", () => {
  it("--repo then --loop are required (empty = missing)", async () => {
    await expectError(loopStatus({ loop: LOOP }, ctx()), "--repo is required");
    await expectError(loopStatus({ repo: "", loop: LOOP }, ctx()), "--repo is required");
    await expectError(loopStatus({}, ctx()), "--repo is required");
    await expectError(loopStatus({ repo }, ctx()), "--loop is required");
    await expectError(loopStatus({ repo, loop: "" }, ctx()), "--loop is required");
  });

  it.each(["0", "-1", "1.5", "abc", "", " 5", "+3", "1e3"])(
    "--summary-window %j is rejected",
    async (value) => {
      writeExampleArtifacts(repo);
      await expectError(
        loopStatus({ repo, loop: LOOP, summaryWindow: value }, ctx()),
        "--summary-window must be an integer >= 1",
      );
    },
  );

  it("checks --summary-window before the repo and the artifacts", async () => {
    await expectError(
      loopStatus({ repo: "/nonexistent/repo", loop: LOOP, summaryWindow: "0" }, ctx()),
      "--summary-window must be an integer >= 1",
    );
  });

  it("accepts a valid --summary-window and passes it to the summary", async () => {
    writeExampleArtifacts(repo);
    const document = await status({ summaryWindow: "007" });
    expect(document.tuning.summaryWindow).toBe(7);
    expect(document.tuning.telemetrySummary?.source).toMatchObject({ window: 7 });
  });

  it("rejects unsafe loop ids (Q10-3 careful) and a missing repo directory", async () => {
    await expectError(
      loopStatus({ repo, loop: "../x" }, ctx()),
      `invalid loop id for --loop: "../x" may contain only letters, digits, '.', '_' and '-'`,
    );
    await expectError(
      loopStatus({ repo: path.join(repo, "missing"), loop: LOOP }, ctx()),
      `repo directory not found: ${path.join(repo, "missing")}`,
    );
  });

  it("no status artifacts: neither state file nor health file exists", async () => {
    // Other artifacts alone are not enough.
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS);
    writeJson(ops.cursor, { eventLineOffset: 1 });
    await expectError(loopStatus({ repo, loop: LOOP }, ctx()), `no status artifacts found for loop: ${LOOP}`);
    // An overridden state path counts too.
    const custom = path.join(repo, "custom-state.json");
    writeJson(custom, stateFile(repo));
    const document = await status({ stateFile: custom });
    expect(document.lifecycle.state).toBe("running");
  });

  it("either the state file or the health file is enough", async () => {
    writeJson(ops.health, HEALTH);
    expect((await status()).health).toEqual(HEALTH);
    fs.rmSync(ops.health);
    writeJson(ops.state, stateFile(repo));
    expect((await status()).lifecycle.state).toBe("running");
  });

  const invalidCases: [string, (o: ReturnType<typeof opsPaths>) => string][] = [
    ["state", (o) => o.state],
    ["cursor", (o) => o.cursor],
    ["health", (o) => o.health],
    ["heartbeat state", (o) => o.heartbeat],
    ["sequence state", (o) => o.sequenceState],
    ["drift", (o) => o.profileDrift],
    ["alert dispatch state", (o) => o.alertDispatchState],
  ];

  it.each(invalidCases)("invalid %s JSON: <path>", async (label, fileOf) => {
    writeExampleArtifacts(repo);
    const file = fileOf(ops);
    for (const content of ["{not json", "", "[1,2]", "null", '"text"']) {
      fs.writeFileSync(file, content);
      await expectError(loopStatus({ repo, loop: LOOP }, ctx()), `invalid ${label} JSON: ${file}`);
    }
  });

  it("reports the first invalid file in the §1 order", async () => {
    writeExampleArtifacts(repo);
    fs.writeFileSync(ops.alertDispatchState, "{");
    fs.writeFileSync(ops.cursor, "{");
    fs.writeFileSync(ops.heartbeat, "{");
    await expectError(loopStatus({ repo, loop: LOOP }, ctx()), `invalid cursor JSON: ${ops.cursor}`);
    fs.writeFileSync(ops.state, "{");
    await expectError(loopStatus({ repo, loop: LOOP }, ctx()), `invalid state JSON: ${ops.state}`);
  });

  it("names the overridden (absolute) path in the message", async () => {
    writeExampleArtifacts(repo);
    fs.writeFileSync(path.join(repo, "hb.json"), "nope");
    await expectError(
      loopStatus({ repo, loop: LOOP, heartbeatStateFile: "hb.json" }, ctx()),
      `invalid heartbeat state JSON: ${path.join(repo, "hb.json")}`,
    );
  });

  it("a directory where a state file belongs is invalid, not missing", async () => {
    writeExampleArtifacts(repo);
    fs.rmSync(ops.sequenceState);
    fs.mkdirSync(ops.sequenceState);
    await expectError(
      loopStatus({ repo, loop: LOOP }, ctx()),
      `invalid sequence state JSON: ${ops.sequenceState}`,
    );
  });

  it("invalid JSONL inputs are never errors", async () => {
    writeExampleArtifacts(repo);
    for (const file of [
      ops.intents,
      ops.telemetry.control,
      ops.telemetry.controlInvocations,
      ops.telemetry.heartbeat,
      ops.telemetry.sequence,
      ops.telemetry.alerts,
    ]) {
      fs.writeFileSync(file, "{garbage\n");
    }
    fs.writeFileSync(ops.telemetry.reconcile, "{garbage\n");
    const document = await status();
    expect(document.reconcile.lastStatus).toBeNull();
    expect(document.alerts?.lastDelivery).toBeUndefined();
  });
});

describe("status — lifecycle, health, cursor (falsy coalescing)", () => {
  it("lifecycle.state: transition.currentState ?? projection.status ?? unknown", async () => {
    writeJson(ops.state, { transition: { currentState: "stopped" }, projection: { status: "idle" } });
    expect((await status()).lifecycle).toEqual({
      state: "stopped",
      confidence: null,
      runId: null,
      iteration: null,
    });
    writeJson(ops.state, { transition: { currentState: null }, projection: { status: "idle" } });
    expect((await status()).lifecycle.state).toBe("idle");
    // false is coalesced away like null.
    writeJson(ops.state, { transition: { currentState: false }, projection: { status: "complete" } });
    expect((await status()).lifecycle.state).toBe("complete");
    // "" is not falsy (jq `//` keeps it).
    writeJson(ops.state, { transition: { currentState: "" }, projection: { status: "complete" } });
    expect((await status()).lifecycle.state).toBe("");
    writeJson(ops.state, {});
    expect((await status()).lifecycle.state).toBe("unknown");
  });

  it("lifecycle fields of the wrong type count as absent", async () => {
    writeJson(ops.state, {
      transition: { currentState: 7, confidence: 3 },
      projection: { status: "idle" },
      run: { runId: 5, iteration: "2" },
    });
    expect((await status()).lifecycle).toEqual({
      state: "idle",
      confidence: null,
      runId: null,
      iteration: null,
    });
  });

  it("lifecycle.iteration 0 is kept (0 is not falsy)", async () => {
    writeJson(ops.state, { run: { runId: "r", iteration: 0 } });
    expect((await status()).lifecycle).toMatchObject({ runId: "r", iteration: 0 });
  });

  it("health: S.health when present, else the health file, else {}", async () => {
    const stale = { ...HEALTH, status: "critical" };
    writeJson(ops.state, { ...stateFile(repo), health: HEALTH });
    writeJson(ops.health, stale);
    expect((await status()).health).toEqual(HEALTH);
    writeJson(ops.state, { ...stateFile(repo), health: null });
    expect((await status()).health).toEqual(stale);
    writeJson(ops.state, { ...stateFile(repo), health: false });
    expect((await status()).health).toEqual(stale);
    fs.rmSync(ops.health);
    expect((await status()).health).toEqual({});
  });

  it("Q17-7: health (state's embedded copy) can be fresher than lifecycle", async () => {
    writeJson(ops.state, {
      ...stateFile(repo),
      health: { ...HEALTH, status: "critical", reasonCodes: ["transport_unreachable"] },
    });
    const document = await status();
    expect(document.lifecycle.state).toBe("running");
    expect(document.health["status"]).toBe("critical");
  });

  it("cursor: C ?? S.cursor ?? 0, keeping 0 and skipping false", async () => {
    writeJson(ops.state, { cursor: { eventLineOffset: 5, eventLineCount: 9 } });
    expect((await status()).cursor).toEqual({ eventLineOffset: 5, eventLineCount: 9 });
    writeJson(ops.cursor, { eventLineOffset: 0, eventLineCount: false }, 2);
    expect((await status()).cursor).toEqual({ eventLineOffset: 0, eventLineCount: 9 });
    writeJson(ops.state, {});
    expect((await status()).cursor).toEqual({ eventLineOffset: 0, eventLineCount: 0 });
    fs.rmSync(ops.cursor);
    expect((await status()).cursor).toEqual({ eventLineOffset: 0, eventLineCount: 0 });
  });

  it("tuning.appliedProfile: S.health.thresholds.profile ?? H.thresholds.profile (not the merged health)", async () => {
    writeJson(ops.state, { health: { thresholds: { profile: "strict" } } });
    writeJson(ops.health, { thresholds: { profile: "relaxed" } });
    expect((await status()).tuning.appliedProfile).toBe("strict");
    writeJson(ops.state, { health: { thresholds: { profile: null } } });
    const document = await status();
    expect(document.tuning.appliedProfile).toBe("relaxed");
    expect(document.health).toEqual({ thresholds: { profile: null } });
    fs.rmSync(ops.health);
    expect((await status()).tuning.appliedProfile).toBeNull();
  });
});

describe("status — control and reconcile", () => {
  it("control comes from the last intent; lastTraceId falls back to control telemetry", async () => {
    writeJson(ops.state, stateFile(repo));
    writeJsonl(ops.intents, [{ ...INTENT_ROW, intent: "approve", traceId: "old" }, INTENT_ROW]);
    writeJsonl(ops.telemetry.control, [CONTROL_ROW]);
    expect((await status()).control).toEqual({
      lastIntent: "cancel",
      lastStatus: "confirmed",
      lastRequestedBy: "alice",
      lastTimestamp: "2026-02-22T10:10:02Z",
      lastTraceId: "trace-control-local-1",
    });
    const { traceId: _dropped, ...withoutTrace } = INTENT_ROW;
    writeJsonl(ops.intents, [withoutTrace]);
    const document = await status();
    expect(document.control.lastTraceId).toBe("t-2");
    expect(document.visibility.trace.controlTraceId).toBe("t-2");
    expect(document.traceLinkage.controlTraceId).toBe("t-2");
    fs.rmSync(ops.intents);
    expect((await status()).control).toEqual({
      lastIntent: null,
      lastStatus: null,
      lastRequestedBy: null,
      lastTimestamp: null,
      lastTraceId: "t-2",
    });
  });

  it("reconcile comes from the last reconcile telemetry row (failure code kept)", async () => {
    writeJson(ops.state, stateFile(repo));
    writeJsonl(ops.telemetry.reconcile, [RECONCILE_ROWS[1], RECONCILE_ROWS[0]]);
    expect((await status()).reconcile).toEqual({
      lastStatus: "failed",
      lastTimestamp: "2026-02-22T11:59:00Z",
      lastTransport: "local",
      lastFailureCode: "snapshot_unavailable",
      lastDurationSeconds: 1,
      lastTraceId: "tr-0",
    });
  });

  it("reconcile fields are null without reconcile telemetry, and tuning has no summary", async () => {
    writeJson(ops.state, stateFile(repo));
    const document = await status();
    expect(document.reconcile).toEqual({
      lastStatus: null,
      lastTimestamp: null,
      lastTransport: null,
      lastFailureCode: null,
      lastDurationSeconds: null,
      lastTraceId: null,
    });
    expect(document.tuning).toEqual({
      summaryWindow: 200,
      appliedProfile: "balanced",
      recommendedProfile: null,
      confidence: null,
      rationale: null,
      telemetrySummary: null,
    });
  });

  it("reconcile durationSeconds 0 is kept", async () => {
    writeJson(ops.state, stateFile(repo));
    writeJsonl(ops.telemetry.reconcile, [{ ...RECONCILE_ROWS[1], durationSeconds: 0 }]);
    expect((await status()).reconcile.lastDurationSeconds).toBe(0);
  });
});

describe("status — last line only (§1, Q17-6)", () => {
  beforeEach(() => writeJson(ops.state, stateFile(repo)));

  it("reads the last line even with many lines", async () => {
    const rows = Array.from({ length: 5000 }, (_, index) => ({
      ...RECONCILE_ROWS[1],
      traceId: `tr-${index}`,
    }));
    writeJsonl(ops.telemetry.reconcile, rows);
    expect((await status()).reconcile.lastTraceId).toBe("tr-4999");
  });

  it("a blank last line hides the latest valid record (no fallback)", async () => {
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, "\n");
    expect((await status()).reconcile.lastStatus).toBeNull();
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, "\n\n\n");
    expect((await status()).reconcile.lastStatus).toBeNull();
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, "   \n");
    expect((await status()).reconcile.lastStatus).toBeNull();
  });

  it("a garbled or non-object last line counts as absent", async () => {
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, '{"status":"success",\n');
    expect((await status()).reconcile.lastStatus).toBeNull();
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, "[1,2]\n");
    expect((await status()).reconcile.lastStatus).toBeNull();
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, "42\n");
    expect((await status()).reconcile.lastStatus).toBeNull();
  });

  it("an unterminated trailing fragment is not yet written (Q10-1): the last complete line counts", async () => {
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, '{"status":"fai');
    expect((await status()).reconcile.lastStatus).toBe("success");
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, JSON.stringify({ ...RECONCILE_ROWS[0] }));
    expect((await status()).reconcile.lastStatus).toBe("success");
    // ... but a blank complete line before the fragment still hides the record.
    writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS, '\n{"status":"fai');
    expect((await status()).reconcile.lastStatus).toBeNull();
  });

  it("a file with only blank lines or no newline at all is absent", async () => {
    writeJsonl(ops.telemetry.reconcile, [], "\n\n");
    expect((await status()).reconcile.lastStatus).toBeNull();
    writeJsonl(ops.telemetry.reconcile, [], JSON.stringify(RECONCILE_ROWS[1]));
    expect((await status()).reconcile.lastStatus).toBeNull();
    writeJsonl(ops.telemetry.reconcile, [], "");
    expect((await status()).reconcile.lastStatus).toBeNull();
  });

  it("applies to every JSONL input", async () => {
    writeJsonl(ops.intents, [INTENT_ROW], "\n");
    writeJsonl(ops.telemetry.control, [CONTROL_ROW], "oops\n");
    writeJsonl(ops.telemetry.controlInvocations, [INVOCATION_ROW], "\n");
    writeJsonl(ops.telemetry.heartbeat, [HEARTBEAT_ROW], "\n");
    writeJsonl(ops.telemetry.sequence, [SEQUENCE_ROW], "{\n");
    writeJsonl(ops.telemetry.alerts, [ALERT_ROW], "\n");
    const document = await status();
    expect(document.control.lastIntent).toBeNull();
    expect(document.control.lastTraceId).toBeNull();
    expect(document.visibility).toEqual({ trace: {} });
    expect(document.alerts).toBeUndefined();
  });
});

describe("status — visibility.heartbeat (§4.1)", () => {
  beforeEach(() => writeJson(ops.state, stateFile(repo)));

  it("is omitted when neither heartbeat state nor telemetry exists (10a §4.6)", async () => {
    const document = await status();
    expect(document.visibility.heartbeat).toBeUndefined();
    expect(document.visibility).toEqual({ trace: {} });
  });

  it("falls back to the telemetry row field by field", async () => {
    writeJsonl(ops.telemetry.heartbeat, [HEARTBEAT_ROW]);
    // No freshnessStatus fallback to telemetry exists in the spec: omitted.
    expect((await status()).visibility.heartbeat).toEqual({
      reasonCode: "runtime_heartbeat_stale",
      lastHeartbeatAt: "2020-01-01T00:00:00Z",
      heartbeatLagSeconds: 193017600,
      updatedAt: "2026-02-22T12:00:02Z",
      transport: "local",
      traceId: TRACE,
    });
  });

  it("prefers the state file, omitting nulls; lag 0 is kept", async () => {
    writeJson(ops.heartbeat, {
      ...HEARTBEAT_STATE,
      freshnessStatus: "fresh",
      heartbeatLagSeconds: 0,
      reasonCode: undefined,
      traceId: undefined,
    });
    writeJsonl(ops.telemetry.heartbeat, [{ ...HEARTBEAT_ROW, traceId: "tel", reasonCode: "from-telemetry" }]);
    expect((await status()).visibility.heartbeat).toEqual({
      freshnessStatus: "fresh",
      reasonCode: "from-telemetry",
      lastHeartbeatAt: "2020-01-01T00:00:00Z",
      heartbeatLagSeconds: 0,
      updatedAt: "2026-02-22T12:00:02Z",
      transport: "local",
      traceId: "tel",
    });
  });

  it("an empty heartbeat state object still yields an (empty) heartbeat surface", async () => {
    writeJson(ops.heartbeat, {});
    expect((await status()).visibility.heartbeat).toEqual({});
  });

  it("honours the dead H.details fallbacks (Q17-3) when a health file carries them", async () => {
    writeJson(ops.health, {
      ...HEALTH,
      details: {
        heartbeatFreshnessStatus: "critical",
        lastHeartbeatAt: "2026-01-01T00:00:00Z",
        heartbeatLagSeconds: 5,
      },
    });
    writeJsonl(ops.telemetry.heartbeat, [HEARTBEAT_ROW]);
    expect((await status()).visibility.heartbeat).toMatchObject({
      freshnessStatus: "critical",
      lastHeartbeatAt: "2026-01-01T00:00:00Z",
      heartbeatLagSeconds: 5,
    });
  });
});

describe("status — visibility.sequence (§4.2, Q17-1)", () => {
  beforeEach(() => writeJson(ops.state, stateFile(repo)));

  it("is omitted when neither sequence state nor telemetry exists", async () => {
    expect((await status()).visibility.sequence).toBeUndefined();
  });

  it("driftActive true is reported; false falls back to the telemetry value", async () => {
    const drifted = {
      ...SEQUENCE_STATE,
      status: "ordering_drift_detected",
      reasonCode: "ordering_drift_detected",
      driftActive: true,
      violations: ["event_sequence_regression"],
    };
    writeJson(ops.sequenceState, drifted);
    expect((await status()).visibility.sequence).toMatchObject({
      status: "ordering_drift_detected",
      reasonCode: "ordering_drift_detected",
      driftActive: true,
      violations: ["event_sequence_regression"],
    });
    // Q false, Qt true → true (falsy coalescing falls through to telemetry).
    writeJson(ops.sequenceState, { ...SEQUENCE_STATE, driftActive: false });
    writeJsonl(ops.telemetry.sequence, [{ ...SEQUENCE_ROW, driftActive: true }]);
    expect((await status()).visibility.sequence?.driftActive).toBe(true);
  });

  it("false everywhere → explicit false (careful, additive); no boolean anywhere → key absent", async () => {
    writeJson(ops.sequenceState, { ...SEQUENCE_STATE, driftActive: false });
    writeJsonl(ops.telemetry.sequence, [{ ...SEQUENCE_ROW, driftActive: false }]);
    expect((await status()).visibility.sequence?.driftActive).toBe(false);
    const { driftActive: _a, ...noFlag } = SEQUENCE_STATE;
    const { driftActive: _b, ...noFlagRow } = SEQUENCE_ROW;
    writeJson(ops.sequenceState, noFlag);
    writeJsonl(ops.telemetry.sequence, [noFlagRow]);
    expect(Object.hasOwn((await status()).visibility.sequence ?? {}, "driftActive")).toBe(false);
  });

  it("falls back to the telemetry row; an empty violations array is kept", async () => {
    writeJsonl(ops.telemetry.sequence, [
      { ...SEQUENCE_ROW, timestamp: "2026-02-22T12:00:09Z", traceId: "seq" },
    ]);
    expect((await status()).visibility.sequence).toEqual({
      status: "ok",
      driftActive: false,
      violations: [],
      snapshotCurrent: 2,
      eventsLast: 2,
      updatedAt: "2026-02-22T12:00:09Z",
      transport: "local",
      traceId: "seq",
    });
  });

  it("snapshot.current / events.last of 0 are kept; null ones fall back or are omitted", async () => {
    writeJson(ops.sequenceState, {
      ...SEQUENCE_STATE,
      snapshot: { current: 0 },
      events: { last: null },
    });
    writeJsonl(ops.telemetry.sequence, [{ ...SEQUENCE_ROW, events: { last: null } }]);
    const sequence = (await status()).visibility.sequence;
    expect(sequence?.snapshotCurrent).toBe(0);
    expect(sequence && Object.hasOwn(sequence, "eventsLast")).toBe(false);
  });
});

describe("status — visibility.invocationAudit (§4.3)", () => {
  beforeEach(() => writeJson(ops.state, stateFile(repo)));

  it("projects the last control-invocations row; replayed false is explicit (careful)", async () => {
    writeJsonl(ops.telemetry.controlInvocations, [INVOCATION_ROW]);
    expect((await status()).visibility.invocationAudit).toEqual({
      timestamp: "2026-02-22T10:42:15Z",
      intent: "reject",
      transport: "local",
      idempotencyKey: "reject-1771756935-22409",
      executionStatus: "succeeded",
      confirmationStatus: "skipped",
      outcomeStatus: "executed_unconfirmed",
      replayed: false,
      traceId: "tc-4",
    });
  });

  it("replayed true is reported; a row without execution omits it", async () => {
    writeJsonl(ops.telemetry.controlInvocations, [
      { ...INVOCATION_ROW, transport: "sprite_service", execution: { status: "succeeded", replayed: true } },
    ]);
    expect((await status()).visibility.invocationAudit).toMatchObject({
      replayed: true,
      transport: "sprite_service",
    });
    writeJsonl(ops.telemetry.controlInvocations, [{ timestamp: "2026-02-22T10:42:15Z", intent: "cancel" }]);
    expect((await status()).visibility.invocationAudit).toEqual({
      timestamp: "2026-02-22T10:42:15Z",
      intent: "cancel",
    });
  });

  it("is omitted without control-invocations telemetry", async () => {
    expect((await status()).visibility.invocationAudit).toBeUndefined();
  });
});

describe("status — trace linkage (§4.4, §6, Q17-4)", () => {
  beforeEach(() => writeJson(ops.state, stateFile(repo)));

  it("visibility.trace: shared = the single distinct id; the invocation trace does not participate", async () => {
    writeJsonl(ops.telemetry.reconcile, [RECONCILE_ROWS[1]]);
    writeJsonl(ops.telemetry.heartbeat, [HEARTBEAT_ROW]);
    writeJsonl(ops.telemetry.controlInvocations, [INVOCATION_ROW]);
    const document = await status();
    expect(document.visibility.trace).toEqual({
      controlInvocationTraceId: "tc-4",
      reconcileTraceId: TRACE,
      heartbeatTraceId: TRACE,
      sharedTraceId: TRACE,
    });
    // §6: no alert trace → no legacy shared trace.
    expect(document.traceLinkage).toEqual({
      controlTraceId: null,
      controlInvocationTraceId: "tc-4",
      reconcileTraceId: TRACE,
      heartbeatTraceId: TRACE,
      sequenceTraceId: null,
      alertTraceId: null,
      sharedTraceId: null,
    });
  });

  it("two distinct ids: no visibility shared trace; legacy rule ignores heartbeat/sequence", async () => {
    writeJsonl(ops.telemetry.reconcile, [RECONCILE_ROWS[1]]);
    writeJsonl(ops.telemetry.alerts, [ALERT_ROW]);
    writeJsonl(ops.telemetry.sequence, [{ ...SEQUENCE_ROW, traceId: "other" }]);
    const document = await status();
    expect(document.visibility.trace.sharedTraceId).toBeUndefined();
    expect(document.traceLinkage.sharedTraceId).toBe(TRACE);
  });

  it("legacy rule: a different control trace breaks it; an equal one keeps it", async () => {
    writeJsonl(ops.telemetry.reconcile, [RECONCILE_ROWS[1]]);
    writeJsonl(ops.telemetry.alerts, [ALERT_ROW]);
    writeJsonl(ops.intents, [INTENT_ROW]);
    let document = await status();
    expect(document.traceLinkage.sharedTraceId).toBeNull();
    expect(document.visibility.trace.sharedTraceId).toBeUndefined();
    writeJsonl(ops.intents, [{ ...INTENT_ROW, traceId: TRACE }]);
    document = await status();
    expect(document.traceLinkage.sharedTraceId).toBe(TRACE);
    expect(document.visibility.trace.sharedTraceId).toBe(TRACE);
  });

  it("alertTraceId = At.traceId ?? A.traceId", async () => {
    writeJson(ops.alertDispatchState, { status: "no_new_escalations", traceId: "dispatch" });
    expect((await status()).visibility.trace.alertTraceId).toBe("dispatch");
    writeJsonl(ops.telemetry.alerts, [{ ...ALERT_ROW, traceId: "row" }]);
    expect((await status()).visibility.trace.alertTraceId).toBe("row");
  });

  it("visibility is always present, at least {trace: {}} (Q17-2)", async () => {
    const document = await status();
    expect(document.visibility).toEqual({ trace: {} });
    expect(Object.values(document.traceLinkage).every((value) => value === null)).toBe(true);
  });
});

describe("status — drift and alerts (§3, §5, Q17-5)", () => {
  beforeEach(() => writeJson(ops.state, stateFile(repo)));

  it("drift: the drift file verbatim, else state.json.drift, else omitted", async () => {
    writeJson(ops.profileDrift, DRIFT);
    expect((await status()).drift).toEqual(DRIFT);
    fs.rmSync(ops.profileDrift);
    expect((await status()).drift).toEqual({ ...DRIFT, traceId: TRACE });
    writeJson(ops.state, { ...stateFile(repo), drift: undefined });
    const document = await status();
    expect(document.drift).toBeUndefined();
    expect(Object.hasOwn(document, "drift")).toBe(false);
  });

  it("alerts omitted when both the dispatch state and alert telemetry are absent", async () => {
    const document = await status();
    expect(Object.hasOwn(document, "alerts")).toBe(false);
  });

  it("dispatch only, with defaults for missing counters", async () => {
    writeJson(ops.alertDispatchState, {});
    expect((await status()).alerts).toEqual({
      dispatch: {
        processedCount: 0,
        dispatchedCount: 0,
        skippedCount: 0,
        failedCount: 0,
        failureReasonCodes: [],
        escalationsLineOffset: 0,
        escalationsLineCount: 0,
      },
    });
    writeJson(ops.alertDispatchState, {
      status: "partial",
      traceId: null,
      processedCount: 3,
      dispatchedCount: 1,
      failedCount: false,
      failureReasonCodes: ["http_error"],
    });
    expect((await status()).alerts?.dispatch).toEqual({
      status: "partial",
      processedCount: 3,
      dispatchedCount: 1,
      skippedCount: 0,
      failedCount: 0,
      failureReasonCodes: ["http_error"],
      escalationsLineOffset: 0,
      escalationsLineCount: 0,
    });
  });

  it("lastDelivery only (e.g. the reconcile hook failure row), nulls omitted", async () => {
    writeJsonl(ops.telemetry.alerts, [
      {
        timestamp: "2026-02-22T12:00:06Z",
        loopId: LOOP,
        traceId: TRACE,
        category: "alert_dispatch",
        status: "failed_command",
        reasonCode: "alert_dispatch_failed",
        message: "boom",
      },
    ]);
    expect((await status()).alerts).toEqual({
      lastDelivery: {
        timestamp: "2026-02-22T12:00:06Z",
        status: "failed_command",
        reasonCode: "alert_dispatch_failed",
        traceId: TRACE,
      },
    });
  });
});

describe("status — paths (§1, §7)", () => {
  it("flag paths resolve against cwd; drift history is only reported", async () => {
    writeExampleArtifacts(repo);
    const custom = path.join(repo, "custom");
    writeJson(path.join(custom, "hb.json"), { ...HEARTBEAT_STATE, traceId: "custom-hb" });
    const document = await status({
      heartbeatStateFile: "custom/hb.json",
      driftHistoryFile: "custom/does-not-exist.jsonl",
      intentsFile: "",
    });
    expect(document.visibility.heartbeat?.traceId).toBe("custom-hb");
    expect(document.files.heartbeatStateFile).toBe(path.join(custom, "hb.json"));
    expect(document.files.driftHistoryFile).toBe(path.join(custom, "does-not-exist.jsonl"));
    expect(document.files.intentsFile).toBe(ops.intents);
    for (const file of Object.values(document.files)) expect(path.isAbsolute(file)).toBe(true);
  });
});

describe("status — telemetry summary T (§2)", () => {
  function writeHook(body: string): string {
    const script = path.join(repo, "summary-hook.sh");
    fs.writeFileSync(script, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return script;
  }

  it("runs the OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT hook with the same args (no shell)", async () => {
    writeExampleArtifacts(repo);
    const argsFile = path.join(repo, "hook-args.txt");
    const script = writeHook(
      `printf '%s\\n' "$@" > '${argsFile}'\n` +
        `echo '{"schemaVersion":"v1","observed":{"reconcileAttempts":99},"source":{"window":9},"recommendedProfile":"strict","confidence":"high","rationale":"from hook"}'`,
    );
    const document = await status(
      { summaryWindow: "9" },
      { env: { PATH: process.env["PATH"], OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT: script } },
    );
    expect(fs.readFileSync(argsFile, "utf8").trim().split("\n")).toEqual([
      "--repo",
      repo,
      "--loop",
      LOOP,
      "--window",
      "9",
    ]);
    expect(document.tuning).toEqual({
      summaryWindow: 9,
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      confidence: "high",
      rationale: "from hook",
      telemetrySummary: { observed: { reconcileAttempts: 99 }, source: { window: 9 } },
    });
  });

  it.each([
    ["non-zero exit", `echo '{"recommendedProfile":"strict"}'; exit 3`],
    ["non-JSON stdout", "echo not-json"],
    ["empty stdout", "true"],
  ])("a failing hook (%s) means no summary", async (_name, body) => {
    writeExampleArtifacts(repo);
    const document = await status(
      {},
      { env: { PATH: process.env["PATH"], OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT: writeHook(body) } },
    );
    expect(document.tuning).toMatchObject({
      recommendedProfile: null,
      confidence: null,
      telemetrySummary: null,
    });
  });

  it("a hook that does not exist means no summary; a hanging hook times out", async () => {
    writeExampleArtifacts(repo);
    let document = await status(
      {},
      { env: { OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT: path.join(repo, "missing-hook") } },
    );
    expect(document.tuning.telemetrySummary).toBeNull();
    document = await status(
      {},
      {
        env: { PATH: process.env["PATH"], OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT: writeHook("sleep 5") },
        summaryHookTimeoutMs: 200,
      },
    );
    expect(document.tuning.telemetrySummary).toBeNull();
  });

  it("the hook is not run when the reconcile telemetry file does not exist", async () => {
    writeJson(ops.state, stateFile(repo));
    const marker = path.join(repo, "ran");
    const script = writeHook(`touch '${marker}'; echo '{}'`);
    const document = await status(
      {},
      { env: { PATH: process.env["PATH"], OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT: script } },
    );
    expect(fs.existsSync(marker)).toBe(false);
    expect(document.tuning.telemetrySummary).toBeNull();
  });

  it("in-process summary honours the window", async () => {
    writeExampleArtifacts(repo);
    const document = await status({ summaryWindow: "1" });
    // Only the last (successful, degraded) row is in the window: mixed signals → balanced.
    expect(document.tuning).toMatchObject({
      recommendedProfile: "balanced",
      confidence: "low",
      telemetrySummary: {
        observed: { reconcileAttempts: 1, reconcileFailedCount: 0 },
        source: { window: 1 },
      },
    });
  });
});
