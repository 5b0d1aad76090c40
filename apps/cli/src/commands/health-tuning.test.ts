// health, threshold-profile, telemetry-summary and profile-drift end to end through the CLI
// (specs 14 and 18), on real temp dirs and repos written by the simulated runtime.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { opsPaths } from "@ops/contract";
import { createSimulatedRepo, makeTempDir, type SimulatedRepo, type TempDir } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { installRoot } from "../install-root.js";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";
import { commandTree } from "./index.js";

const repos: SimulatedRepo[] = [];
const temps: TempDir[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) repo.cleanup();
  for (const temp of temps.splice(0)) await temp.cleanup();
});

function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  repos.push(repo);
  return repo;
}

/** A working directory outside the monorepo and outside any managed repo. */
function outsideDir(): string {
  const temp = makeTempDir("ops-cli-outside-");
  temps.push(temp);
  return temp.path;
}

async function cli(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const io = captureIo(env, cwd);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

function writeFile(file: string, content: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const json = (value: unknown) => `${JSON.stringify(value)}\n`;
const jsonl = (rows: unknown[]) => rows.map(json).join("");

const SPEC_FLAGS: Record<string, string[]> = {
  health: [
    "state-file",
    "heartbeat-state-file",
    "sequence-state-file",
    "transport-health-file",
    "intents-file",
    "trace-id",
    "transport",
    "threshold-profile",
    "ingest-status",
    "failure-code",
    "degraded-ingest-lag-seconds",
    "critical-ingest-lag-seconds",
    "degraded-heartbeat-lag-seconds",
    "critical-heartbeat-lag-seconds",
    "degraded-transport-failure-streak",
    "critical-transport-failure-streak",
    "now",
    "pretty",
  ],
  "threshold-profile": ["profiles-file", "profile", "list", "pretty"],
  "telemetry-summary": [
    "repo",
    "loop",
    "reconcile-telemetry-file",
    "control-telemetry-file",
    "window",
    "pretty",
  ],
  "profile-drift": [
    "repo",
    "loop",
    "applied-profile",
    "recommended-profile",
    "thresholds-file",
    "recommendation-confidence",
    "min-confidence",
    "required-streak",
    "summary-window",
    "rationale",
    "drift-state-file",
    "drift-history-file",
    "pretty",
  ],
};

describe("flags of specs 14 §1 and 18 §2–4", () => {
  it.each(Object.entries(SPEC_FLAGS))(
    "%s declares exactly the spec's flags and documents them",
    async (name, flags) => {
      const leaf = commandTree.commands.find((command) => command.name === name);
      expect(leaf?.kind).toBe("command");
      expect(leaf?.kind === "command" ? Object.keys(leaf.flags) : []).toEqual(flags);
      const { code, out, err } = await cli([name, "--help"], outsideDir());
      expect({ code, err }).toEqual({ code: 0, err: "" });
      for (const flag of flags) expect(out).toContain(`--${flag} `);
    },
  );
});

describe("ops-manager health", () => {
  it("reproduces the spec 14 §4 example document", async () => {
    const dir = outsideDir();
    writeFile(
      path.join(dir, "transport-health.json"),
      json({
        schemaVersion: "v1",
        updatedAt: "2026-02-22T12:10:00Z",
        traceId: "tf-4",
        transport: "local",
        lastResult: "failed",
        failureStreak: 4,
        lastFailureCode: "snapshot_unavailable",
        lastSuccessAt: "2026-02-22T12:00:00Z",
        lastFailureAt: "2026-02-22T12:10:00Z",
      }),
    );
    const { code, out, err } = await cli(
      [
        "health",
        "--transport-health-file",
        "transport-health.json",
        "--state-file",
        "missing-state.json",
        "--ingest-status",
        "failed",
        "--failure-code",
        "snapshot_unavailable",
        "--threshold-profile",
        "balanced",
        "--trace-id",
        "tf-4",
        "--now",
        "2026-02-22T12:10:00Z",
      ],
      dir,
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toBe(
      '{"schemaVersion":"v1","updatedAt":"2026-02-22T12:10:00Z","traceId":"tf-4","status":"critical",' +
        '"reasonCodes":["transport_unreachable"],' +
        '"reasons":[{"code":"transport_unreachable","severity":"critical","metric":"transportFailureStreak","observed":"4","threshold":"4"},' +
        '{"code":"transport_unreachable","severity":"degraded","metric":"ingestStatus","observed":"failed","threshold":"success"}],' +
        '"metrics":{"ingestLagSeconds":null,"heartbeatLagSeconds":null,"transportFailureStreak":4,"lastControlStatus":null,"sequenceStatus":null,"lifecycleState":"unknown"},' +
        '"thresholds":{"profile":"balanced","degradedIngestLagSeconds":300,"criticalIngestLagSeconds":900,"degradedHeartbeatLagSeconds":120,"criticalHeartbeatLagSeconds":300,"degradedTransportFailureStreak":2,"criticalTransportFailureStreak":4},' +
        '"transport":{"mode":"local","ingestStatus":"failed","failureCode":"snapshot_unavailable","lastFailureCode":"snapshot_unavailable"},' +
        '"evidence":{"lastEventAt":null,"lastHeartbeatAt":null,"sequenceUpdatedAt":null}}\n',
    );
  });

  it("reads a projected state, heartbeat state and intents log of a simulated repo", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const projected = await cli(["project-state", "--repo", repo.root, "--loop", "demo-loop"], repo.root);
    expect(projected.code).toBe(0);
    const state = JSON.parse(projected.out);
    const ops = opsPaths(repo.root, "demo-loop");
    writeFile(
      ops.heartbeat,
      json({
        schemaVersion: "v1",
        updatedAt: "2026-02-22T12:00:00Z",
        loopId: "demo-loop",
        traceId: "t-1",
        transport: "local",
        lastHeartbeatAt: "2020-01-01T00:00:00Z",
        heartbeatLagSeconds: 193017600,
        freshnessStatus: "critical",
        reasonCode: "runtime_heartbeat_stale",
      }),
    );
    writeFile(
      ops.intents,
      jsonl([
        { intent: "cancel", status: "confirmed" },
        { intent: "cancel", status: "ambiguous" },
      ]),
    );
    const rel = (file: string) => path.relative(repo.root, file);
    const { code, out, err } = await cli(
      [
        "health",
        "--state-file",
        rel(ops.state),
        "--heartbeat-state-file",
        rel(ops.heartbeat),
        "--sequence-state-file",
        rel(ops.sequenceState),
        "--intents-file",
        rel(ops.intents),
        "--transport",
        "sprite_service",
        "--degraded-heartbeat-lag-seconds",
        "60",
        "--pretty",
      ],
      repo.root,
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/^\{\n {2}"schemaVersion": "v1",\n/);
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({
      traceId: null,
      status: "critical",
      reasonCodes: expect.arrayContaining(["control_ambiguous", "runtime_heartbeat_stale"]),
      metrics: {
        heartbeatLagSeconds: 193017600,
        lastControlStatus: "ambiguous",
        lifecycleState: state.transition.currentState,
        transportFailureStreak: 0,
      },
      thresholds: { profile: null, degradedHeartbeatLagSeconds: 60 },
      transport: { mode: "sprite_service", ingestStatus: "success", failureCode: null },
      evidence: { lastHeartbeatAt: "2020-01-01T00:00:00Z", lastEventAt: state.projection.lastEventAt },
    });
    expect(doc.reasons).toContainEqual({
      code: "runtime_heartbeat_stale",
      severity: "critical",
      metric: "heartbeatLagSeconds",
      observed: "193017600",
      threshold: "300",
    });
  });

  it.each([
    [["--transport", "carrier-pigeon"], "--transport must be local or sprite_service"],
    [["--degraded-ingest-lag-seconds", "1.5"], "degraded-ingest-lag-seconds must be a non-negative integer"],
    [["--now", "yesterday"], "--now must be an ISO-8601 UTC timestamp"],
  ])("%j fails with the spec's message", async (args, message) => {
    const { code, out, err } = await cli(["health", ...args], outsideDir());
    expect({ code, out, err }).toEqual({ code: 1, out: "", err: `error: ${message}\n` });
  });

  it("fails on an existing but invalid state file", async () => {
    const dir = outsideDir();
    writeFile(path.join(dir, "state.json"), "{not json");
    const { code, out, err } = await cli(["health", "--state-file", "state.json"], dir);
    expect({ code, out, err }).toEqual({ code: 1, out: "", err: "error: invalid state JSON: state.json\n" });
  });
});

describe("ops-manager threshold-profile", () => {
  it("resolves a profile from the bundled catalog, from a cwd outside the repo", async () => {
    const { code, out, err } = await cli(["threshold-profile", "--profile", "strict"], outsideDir());
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(out)).toEqual({
      schemaVersion: "v1",
      sourceFile: installRoot().thresholdProfilesFile,
      profile: "strict",
      values: {
        degradedIngestLagSeconds: 120,
        criticalIngestLagSeconds: 300,
        degradedTransportFailureStreak: 1,
        criticalTransportFailureStreak: 2,
      },
      description: "Fast detection for short-feedback loops with high signal confidence",
    });
    expect(path.isAbsolute(JSON.parse(out).sourceFile)).toBe(true);
  });

  it("defaults to the catalog's defaultProfile, --pretty indents", async () => {
    const { code, out, err } = await cli(["threshold-profile", "--pretty"], outsideDir());
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/^\{\n {2}"schemaVersion": "v1",\n/);
    expect(JSON.parse(out)).toMatchObject({
      profile: "balanced",
      values: { criticalTransportFailureStreak: 4 },
    });
  });

  it("--list prints the profile names sorted, one per line", async () => {
    const { code, out, err } = await cli(["threshold-profile", "--list"], outsideDir());
    expect({ code, out, err }).toEqual({ code: 0, out: "balanced\nrelaxed\nstrict\n", err: "" });
  });

  it("takes the catalog from the env variable, echoing the path as given", async () => {
    const dir = outsideDir();
    writeFile(
      path.join(dir, "profiles.json"),
      json({
        schemaVersion: "v1",
        defaultProfile: "calm",
        profiles: {
          calm: {
            degradedIngestLagSeconds: 1000,
            criticalIngestLagSeconds: 2000,
            degradedTransportFailureStreak: 5,
            criticalTransportFailureStreak: 9,
          },
        },
      }),
    );
    const env = { OPS_MANAGER_THRESHOLD_PROFILES_FILE: "profiles.json" };
    const { code, out, err } = await cli(["threshold-profile"], dir, env);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(out)).toEqual({
      schemaVersion: "v1",
      sourceFile: "profiles.json",
      profile: "calm",
      values: {
        degradedIngestLagSeconds: 1000,
        criticalIngestLagSeconds: 2000,
        degradedTransportFailureStreak: 5,
        criticalTransportFailureStreak: 9,
      },
    });
    const listed = await cli(["threshold-profile", "--list"], dir, env);
    expect(listed).toEqual({ code: 0, out: "calm\n", err: "" });
  });

  it.each([
    [["--profile", "turbo"], "unknown threshold profile: turbo"],
    [["--profiles-file", "nope.json", "--list"], "threshold profiles file not found: nope.json"],
  ])("%j fails with the spec's message", async (args, message) => {
    const { code, out, err } = await cli(["threshold-profile", ...args], outsideDir());
    expect({ code, out, err }).toEqual({ code: 1, out: "", err: `error: ${message}\n` });
  });
});

describe("ops-manager telemetry-summary", () => {
  function writeTelemetry(repo: SimulatedRepo): ReturnType<typeof opsPaths> {
    const ops = opsPaths(repo.root, "demo-loop");
    const row = (
      status: string,
      healthStatus: string,
      healthReasonCodes: string[],
      durationSeconds: number,
    ) => ({
      timestamp: "2026-02-22T12:00:03Z",
      startedAt: "2026-02-22T12:00:00Z",
      loopId: "demo-loop",
      traceId: "tr-1",
      transport: "local",
      status,
      cursorOffsetBefore: 0,
      cursorOffsetAfter: 2,
      eventsIngested: 2,
      maxEvents: 0,
      fromStart: false,
      retryAttempts: 3,
      retryBackoffSeconds: 1,
      thresholdProfile: "balanced",
      durationSeconds,
      transportFailureStreak: 0,
      sequenceStatus: "ok",
      healthStatus,
      healthReasonCodes,
    });
    writeFile(
      ops.telemetry.reconcile,
      jsonl([
        row("success", "healthy", [], 1),
        row("success", "degraded", ["c_code", "a_code"], 3),
        row("failed", "critical", ["c_code", "b_code"], 5),
        row("success", "healthy", [], 3),
      ]),
    );
    writeFile(
      ops.telemetry.control,
      jsonl([{ status: "confirmed" }, { status: "ambiguous", reasonCode: "control_ambiguous" }]),
    );
    return ops;
  }

  it("summarises the window and recommends a profile (spec 18 §3 example)", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const ops = writeTelemetry(repo);
    const { code, out, err } = await cli(
      ["telemetry-summary", "--repo", ".", "--loop", "demo-loop"],
      repo.root,
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.trim().split("\n")).toHaveLength(1);
    const doc = JSON.parse(out);
    expect(doc.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect({ ...doc, generatedAt: "X" }).toEqual({
      schemaVersion: "v1",
      generatedAt: "X",
      source: {
        repoPath: repo.root,
        loopId: "demo-loop",
        reconcileTelemetryFile: ops.telemetry.reconcile,
        controlTelemetryFile: ops.telemetry.control,
        window: 200,
      },
      observed: {
        reconcileAttempts: 4,
        reconcileSuccessCount: 3,
        reconcileFailedCount: 1,
        health: {
          degradedCount: 1,
          criticalCount: 1,
          degradedRate: 0.25,
          criticalRate: 0.25,
          reasonCodeFrequency: [
            { code: "c_code", count: 2 },
            { code: "b_code", count: 1 },
            { code: "a_code", count: 1 },
          ],
        },
        control: { ambiguousCount: 1 },
        durationSeconds: { p50: 3, p95: 3, max: 5 },
      },
      recommendedProfile: "relaxed",
      confidence: "low",
      rationale: "Observed high critical/failure rates; reduce alert noise while stabilizing",
    });
  });

  it("honours --window and explicit files, --pretty indents", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const ops = writeTelemetry(repo);
    const { code, out, err } = await cli(
      [
        "telemetry-summary",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--window",
        "1",
        "--reconcile-telemetry-file",
        ops.telemetry.reconcile,
        "--control-telemetry-file",
        "no-control.jsonl",
        "--pretty",
      ],
      outsideDir(),
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/^\{\n {2}"schemaVersion": "v1",\n/);
    expect(JSON.parse(out)).toMatchObject({
      source: { controlTelemetryFile: "no-control.jsonl", window: 1 },
      observed: { reconcileAttempts: 1, control: { ambiguousCount: 0 } },
      recommendedProfile: "strict",
      confidence: "low",
    });
  });

  it("fails with the spec's message when the reconcile telemetry file is missing", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const { code, out, err } = await cli(
      ["telemetry-summary", "--repo", repo.root, "--loop", "demo-loop"],
      repo.root,
    );
    expect({ code, out }).toEqual({ code: 1, out: "" });
    expect(err).toBe(
      `error: reconcile telemetry file not found: ${opsPaths(repo.root, "demo-loop").telemetry.reconcile}\n`,
    );
  });

  it("validates --window", async () => {
    const repo = newRepo();
    const { code, out, err } = await cli(
      ["telemetry-summary", "--repo", repo.root, "--loop", "demo-loop", "--window", "0"],
      repo.root,
    );
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err: "error: --window must be an integer >= 1\n",
    });
  });
});

describe("ops-manager profile-drift", () => {
  const args = (repo: SimulatedRepo) => [
    "profile-drift",
    "--repo",
    repo.root,
    "--loop",
    "demo-loop",
    "--applied-profile",
    "balanced",
    "--recommended-profile",
    "strict",
    "--recommendation-confidence",
    "high",
    "--required-streak",
    "2",
    "--summary-window",
    "25",
    "--rationale",
    "Observed stable healthy runs; tighten thresholds for faster detection",
  ];

  it("is stateful: mismatch_pending, then drift_active, then active without a transition", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const ops = opsPaths(repo.root, "demo-loop");
    const cwd = outsideDir();

    const first = await cli(args(repo), cwd);
    expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: "" });
    const firstDoc = JSON.parse(first.out);
    expect(firstDoc).toMatchObject({
      schemaVersion: "v1",
      loopId: "demo-loop",
      status: "mismatch_pending",
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      recommendationConfidence: "high",
      minimumConfidence: "medium",
      recommendationRank: 3,
      minimumRank: 2,
      requiredStreak: 2,
      summaryWindow: 25,
      mismatch: true,
      confidenceOk: true,
      eligibleMismatch: true,
      mismatchStreak: 1,
      driftActive: false,
      transitioned: { toActive: false, toResolved: false },
      action: "monitor_additional_windows",
    });
    expect(firstDoc).not.toHaveProperty("reasonCode");

    const second = await cli(args(repo), cwd);
    expect({ code: second.code, err: second.err }).toEqual({ code: 0, err: "" });
    const secondDoc = JSON.parse(second.out);
    expect(secondDoc).toMatchObject({
      status: "drift_active",
      reasonCode: "profile_drift_detected",
      mismatchStreak: 2,
      driftActive: true,
      transitioned: { toActive: true, toResolved: false },
      action: "review_threshold_profile",
    });
    expect(JSON.parse(readFileSync(ops.profileDrift, "utf8"))).toEqual(secondDoc);

    const third = await cli([...args(repo), "--pretty"], cwd);
    expect(third.err).toBe("");
    expect(third.out).toMatch(/^\{\n {2}"schemaVersion": "v1",\n/);
    expect(JSON.parse(third.out)).toMatchObject({
      status: "drift_active",
      mismatchStreak: 3,
      transitioned: { toActive: false, toResolved: false },
    });

    const history = readFileSync(ops.telemetry.profileDrift, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(history.map((row) => [row.category, row.loopId, row.drift.status])).toEqual([
      ["profile_drift_evaluation", "demo-loop", "mismatch_pending"],
      ["profile_drift_evaluation", "demo-loop", "drift_active"],
      ["profile_drift_evaluation", "demo-loop", "drift_active"],
    ]);
  });

  it("writes to the given state and history files", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const { code, out, err } = await cli(
      [
        ...args(repo),
        "--drift-state-file",
        "drift.json",
        "--drift-history-file",
        "drift.jsonl",
        "--min-confidence",
        "low",
      ],
      repo.root,
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(readFileSync(path.join(repo.root, "drift.json"), "utf8"))).toEqual(JSON.parse(out));
    expect(readFileSync(path.join(repo.root, "drift.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
  });

  it.each([
    [
      ["--recommendation-confidence", "sure"],
      "--recommendation-confidence must be one of: low, medium, high",
    ],
    [["--applied-profile", "turbo"], "unknown applied profile: turbo"],
    [["--required-streak", "0"], "--required-streak must be an integer >= 1"],
  ])("%j fails with the spec's message", async (extra, message) => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const { code, out, err } = await cli([...args(repo), ...extra], repo.root);
    expect({ code, out, err }).toEqual({ code: 1, out: "", err: `error: ${message}\n` });
  });

  it("reports a missing --thresholds-file", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const { code, out, err } = await cli([...args(repo), "--thresholds-file", "nope.json"], repo.root);
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err: "error: invalid threshold profiles file: nope.json\n",
    });
  });
});
