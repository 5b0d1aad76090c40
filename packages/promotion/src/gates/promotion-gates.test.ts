// `promotionGates` (spec 30) over real evidence files in temp repos: the testkit writes handoff
// telemetry, drill evidence and fleet status the way the fleet commands and operators do.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths, isOpsError } from "@ops/contract";
import {
  appendJsonlRecords,
  makeTempDir,
  type PromotionEvidencePaths,
  promotionDrillEvidence,
  promotionFleetStatus,
  type TempDir,
  writeHookScript,
  writePromotionDrillEvidence,
  writePromotionEvidence,
  writePromotionFleetState,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type PromotionGatesInput, promotionGates } from "./promotion-gates.js";
import { PromotionDecisionSchema } from "./schemas.js";

const NOW = "2026-03-01T12:00:00Z";
const clock = { now: () => new Date("2026-03-01T12:00:00.750Z") };

let temp: TempDir;
let repo: string;
let evidence: PromotionEvidencePaths;
let stderrText: string;
const stderr = { write: (text: string) => (stderrText += text) };

beforeEach(() => {
  temp = makeTempDir("promotion-gates-");
  repo = path.join(temp.path, "repo");
  mkdirSync(repo);
  evidence = writePromotionEvidence(repo, { now: NOW });
  stderrText = "";
});

afterEach(async () => {
  await temp.cleanup();
});

function run(input: Partial<PromotionGatesInput> = {}, env: Record<string, string> = {}) {
  return promotionGates(
    { repo, fleetStatusFile: evidence.fleetStatusFile, traceId: "trace-1", ...input },
    { clock, env, cwd: temp.path, stderr },
  );
}

async function failure(promise: Promise<unknown>): Promise<{ message: string; exitCode: number }> {
  try {
    await promise;
  } catch (error) {
    if (isOpsError(error)) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error("expected an error");
}

function writeStatus(options: Parameters<typeof promotionFleetStatus>[0]) {
  writeFileSync(evidence.fleetStatusFile, JSON.stringify(promotionFleetStatus(options)));
}

function readLines(file: string): unknown[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);
}

describe("promotion gates: decisions over real evidence", () => {
  it("promotes a fleet whose evidence passes every gate and writes state + telemetry", async () => {
    const { document, exitCode } = await run({ failOnHold: true });
    expect(exitCode).toBe(0);
    expect(PromotionDecisionSchema.parse(document)).toEqual(document);
    expect(document.generatedAt).toBe(NOW);
    expect(document.traceId).toBe("trace-1");
    expect(document.summary).toEqual({
      decision: "promote",
      promote: true,
      gatePassCount: 5,
      gateFailCount: 0,
      failedGates: [],
      reasonCodes: [],
    });
    expect(document.source).toEqual({
      repoPath: repo,
      fleetStatusSource: "file",
      fleetStatusFile: evidence.fleetStatusFile,
      handoffTelemetryFile: evidence.handoffTelemetryFile,
      drillStateFile: evidence.drillStateFile,
      promotionStateFile: evidence.promotionStateFile,
      promotionTelemetryFile: evidence.promotionTelemetryFile,
    });
    expect(document.thresholds).toEqual({
      windowExecutions: 20,
      minSampleSize: 20,
      maxAmbiguityRate: 0.2,
      maxFailureRate: 0.2,
      maxManualBacklog: 5,
      maxDrillAgeHours: 168,
    });
    expect(document.gates.outcomeReliability).toMatchObject({ sampleRuns: 20, attempted: 20, executed: 20 });
    expect(document.gates.drillRecency.drills).toHaveLength(3);
    // Field order of §6.
    expect(Object.keys(document)).toEqual([
      "schemaVersion",
      "generatedAt",
      "traceId",
      "source",
      "thresholds",
      "summary",
      "gates",
    ]);
    expect(Object.keys(document.gates)).toEqual([
      "governance",
      "outcomeReliability",
      "manualBacklog",
      "safetySuppression",
      "drillRecency",
    ]);
    // State file = compact document + newline; telemetry = one identical line.
    expect(readFileSync(evidence.promotionStateFile, "utf8")).toBe(`${JSON.stringify(document)}\n`);
    expect(readFileSync(evidence.promotionTelemetryFile, "utf8")).toBe(`${JSON.stringify(document)}\n`);
    expect(stderrText).toBe("");
  });

  it("holds on governance: advisory mode, expired review, due-soon posture (Q11)", async () => {
    writeStatus({ mode: "advisory" });
    let { document } = await run();
    expect(document.gates.governance.reasons).toEqual([
      "promotion_policy_mode_not_guarded_auto",
      "promotion_governance_posture_not_active",
    ]);
    expect(document.summary.failedGates).toEqual(["governance"]);

    writeStatus({
      posture: "review_expired",
      governanceReasonCodes: [
        "autonomous_governance_review_expired",
        "autonomous_governance_authority_missing",
      ],
    });
    ({ document } = await run());
    expect(document.gates.governance).toEqual({
      status: "fail",
      reasons: [
        "promotion_governance_posture_not_active",
        "promotion_governance_blocks_autonomous",
        "promotion_governance_authority_missing",
        "promotion_governance_review_expired",
      ],
      posture: "review_expired",
      blocksAutonomous: true,
      reasonCodes: ["autonomous_governance_authority_missing", "autonomous_governance_review_expired"],
    });

    writeStatus({
      posture: "review_due_soon",
      governanceReasonCodes: ["autonomous_governance_review_due_soon"],
    });
    ({ document } = await run());
    expect(document.gates.governance.reasons).toEqual([
      "promotion_governance_posture_not_active",
      "promotion_governance_blocks_autonomous",
    ]);
    expect(document.summary.decision).toBe("hold");
  });

  it("holds on outcome reliability: rates over the window, sample size, zero attempts", async () => {
    // 20 runs: the last 20 (the window) hold 5 ambiguous of 20 attempted = 0.25 > 0.2.
    writeFileSync(evidence.handoffTelemetryFile, "");
    appendJsonlRecords(
      evidence.handoffTelemetryFile,
      Array.from({ length: 20 }, (_, index) => ({
        timestamp: "2026-03-01T11:00:00Z",
        category: "fleet_handoff_execute",
        execution: {
          mode: "autonomous",
          requestedIntentCount: 1,
          executedCount: index < 5 ? 0 : 1,
          ambiguousCount: index < 5 ? 1 : 0,
          failedCount: 0,
        },
      })),
    );
    let { document } = await run();
    expect(document.gates.outcomeReliability).toEqual({
      status: "fail",
      reasons: ["promotion_autonomous_ambiguity_rate_exceeded"],
      sampleRuns: 20,
      attempted: 20,
      executed: 15,
      ambiguous: 5,
      failed: 0,
      ambiguityRate: 0.25,
      failureRate: 0,
    });
    // A rate equal to the threshold passes.
    ({ document } = await run({ maxAmbiguityRate: ".25" }));
    expect(document.gates.outcomeReliability.status).toBe("pass");
    expect(document.thresholds.maxAmbiguityRate).toBe(0.25);
    // A window of 15 drops the 5 oldest (the ambiguous ones) but is below the sample size.
    ({ document } = await run({ windowExecutions: "15", minSampleSize: "15" }));
    expect(document.gates.outcomeReliability).toMatchObject({ status: "pass", sampleRuns: 15, ambiguous: 0 });
    ({ document } = await run({ windowExecutions: "15" }));
    expect(document.gates.outcomeReliability.reasons).toEqual(["promotion_autonomous_sample_insufficient"]);
  });

  it("holds on zero attempts and on failure rate", async () => {
    writeFileSync(evidence.handoffTelemetryFile, "");
    appendJsonlRecords(
      evidence.handoffTelemetryFile,
      Array.from({ length: 20 }, () => ({
        category: "fleet_handoff_execute",
        execution: { mode: "autonomous", requestedIntentCount: 0, executedCount: null },
      })),
    );
    let { document } = await run();
    expect(document.gates.outcomeReliability.reasons).toEqual(["promotion_autonomous_attempts_zero"]);
    appendJsonlRecords(evidence.handoffTelemetryFile, [
      {
        category: "fleet_handoff_execute",
        execution: { mode: "autonomous", requestedIntentCount: 4, failedCount: 1 },
      },
      {
        category: "fleet_handoff_execute",
        execution: { mode: "autonomous", requestedIntentCount: 1, failedCount: 1 },
      },
      // Manual executions and plan records are not autonomous runs.
      {
        category: "fleet_handoff_execute",
        execution: { mode: "manual", requestedIntentCount: 9, failedCount: 9 },
      },
      { category: "fleet_handoff_plan", mode: "autonomous" },
    ]);
    ({ document } = await run());
    expect(document.gates.outcomeReliability).toMatchObject({
      reasons: ["promotion_autonomous_failure_rate_exceeded"],
      attempted: 5,
      failed: 2,
      failureRate: 0.4,
    });
  });

  it("holds on missing and invalid handoff telemetry (whole file discarded)", async () => {
    writeFileSync(
      evidence.handoffTelemetryFile,
      `${readFileSync(evidence.handoffTelemetryFile, "utf8")}{"trunc`,
    );
    let { document } = await run();
    expect(document.gates.outcomeReliability).toMatchObject({
      reasons: ["promotion_handoff_telemetry_invalid", "promotion_autonomous_sample_insufficient"],
      sampleRuns: 0,
      attempted: 0,
    });
    // Careful Q3: a line that parses but is not an object invalidates the file too.
    writeFileSync(evidence.handoffTelemetryFile, '\n  \n[1,2]\n{"category":"fleet_handoff_plan"}\n');
    ({ document } = await run());
    expect(document.gates.outcomeReliability.reasons[0]).toBe("promotion_handoff_telemetry_invalid");
    ({ document } = await run({ handoffTelemetryFile: path.join(repo, "nope.jsonl") }));
    expect(document.gates.outcomeReliability.reasons).toEqual([
      "promotion_handoff_telemetry_missing",
      "promotion_autonomous_sample_insufficient",
    ]);
    // An empty file is fine, with zero records.
    writeFileSync(evidence.handoffTelemetryFile, "");
    ({ document } = await run());
    expect(document.gates.outcomeReliability.reasons).toEqual(["promotion_autonomous_sample_insufficient"]);
  });

  it("holds on the manual backlog (exceeded, unavailable, non-number per Q4)", async () => {
    writeStatus({ manualBacklog: 6 });
    let { document } = await run();
    expect(document.gates.manualBacklog).toEqual({
      status: "fail",
      reasons: ["promotion_manual_backlog_exceeded"],
      manualBacklog: 6,
    });
    ({ document } = await run({ maxManualBacklog: "6" }));
    expect(document.gates.manualBacklog.status).toBe("pass");
    for (const value of [null, false, "9", { n: 1 }]) {
      writeStatus({ manualBacklog: value });
      ({ document } = await run());
      expect(document.gates.manualBacklog).toEqual({
        status: "fail",
        reasons: ["promotion_manual_backlog_unavailable"],
        manualBacklog: null,
      });
    }
  });

  it("holds on safety: auto-pause in either field, missing suppression paths", async () => {
    writeStatus({ autopauseActive: true });
    let { document } = await run();
    expect(document.gates.safetySuppression.reasons).toEqual(["promotion_autopause_active"]);
    writeStatus({ stateAutoPauseActive: true });
    ({ document } = await run());
    expect(document.gates.safetySuppression).toMatchObject({
      reasons: ["promotion_autopause_active"],
      autopauseActive: true,
      missingPaths: [],
    });
    writeStatus({ omitPaths: ["transportGated", "policyGated"] });
    ({ document } = await run());
    expect(document.gates.safetySuppression).toMatchObject({
      reasons: ["promotion_suppression_paths_missing"],
      missingPaths: ["policyGated", "transportGated"],
    });
    writeStatus({ autonomous: null });
    ({ document } = await run());
    expect(document.gates.safetySuppression).toMatchObject({
      missingPaths: ["policyGated", "rolloutGated", "governanceGated", "transportGated"],
      byPath: null,
    });
    expect(document.summary.failedGates).toEqual(["governance", "manual_backlog", "safety_suppression"]);
  });

  it("holds on drills: stale, not passed, missing, invalid timestamps (careful Q1/Q2)", async () => {
    writePromotionDrillEvidence(
      evidence.drillStateFile,
      promotionDrillEvidence({
        completedAt: "2026-02-22T12:00:00Z", // exactly 168 h: passes
        drills: {
          kill_switch: { completedAt: "2026-02-22T11:59:59Z" }, // one second more: stale
          sprite_service_outage: { status: "fail", completedAt: "2026-03-01T09:00:00.123Z" },
        },
      }),
    );
    let { document } = await run();
    // ambiguous_retry_guard is exactly 168 h old and passes.
    expect(document.gates.drillRecency.reasons).toEqual([
      "promotion_drill_stale_kill_switch",
      "promotion_drill_not_passed_sprite_service_outage",
      "promotion_drill_timestamp_invalid_sprite_service_outage",
    ]);
    expect(document.summary.reasonCodes).toEqual([
      "promotion_drill_not_passed_sprite_service_outage",
      "promotion_drill_stale_kill_switch",
      "promotion_drill_timestamp_invalid_sprite_service_outage",
    ]);
    // Careful Q1: an invalid timestamp on the last drill keeps the earlier drills' reasons.
    writePromotionDrillEvidence(
      evidence.drillStateFile,
      promotionDrillEvidence({
        completedAt: "2026-03-01T00:00:00Z",
        drills: {
          kill_switch: { status: "FAIL" },
          ambiguous_retry_guard: { completedAt: "2026-02-30T00:00:00Z" },
        },
      }),
    );
    ({ document } = await run());
    expect(document.gates.drillRecency.reasons).toEqual([
      "promotion_drill_not_passed_kill_switch",
      "promotion_drill_timestamp_invalid_ambiguous_retry_guard",
    ]);
    for (const completedAt of [
      undefined,
      null,
      "",
      "2026-03-01",
      "2026-03-01T00:00:00+00:00",
      " 2026-03-01T00:00:00Z",
      5,
    ]) {
      const entry: Record<string, unknown> = { id: "kill_switch", status: "pass" };
      if (completedAt !== undefined) entry["completedAt"] = completedAt;
      writePromotionDrillEvidence(
        evidence.drillStateFile,
        promotionDrillEvidence({ completedAt: NOW, drills: { kill_switch: null }, extra: [entry] }),
      );
      ({ document } = await run());
      expect(document.gates.drillRecency.reasons).toEqual(["promotion_drill_timestamp_invalid_kill_switch"]);
    }
    writePromotionDrillEvidence(
      evidence.drillStateFile,
      promotionDrillEvidence({
        drills: { sprite_service_outage: null },
        completedAt: "2026-03-02T00:00:00Z",
      }),
    );
    ({ document } = await run());
    // Future-dated completions are never stale.
    expect(document.gates.drillRecency.reasons).toEqual(["promotion_drill_missing_sprite_service_outage"]);
  });

  it("judges the first entry of a duplicated drill id and echoes extra drills verbatim (Q10)", async () => {
    const doc = promotionDrillEvidence({
      completedAt: "2026-03-01T10:00:00Z",
      extra: [
        { id: "kill_switch", status: "pass", completedAt: "2026-03-01T10:00:00Z" },
        { id: "chaos", note: 1 },
      ],
      drills: { kill_switch: { status: "skipped", ticket: "OPS-1" } },
    });
    writePromotionDrillEvidence(evidence.drillStateFile, doc);
    const { document } = await run();
    expect(document.gates.drillRecency.reasons).toEqual(["promotion_drill_not_passed_kill_switch"]);
    expect(document.gates.drillRecency.drills).toEqual(doc["drills"]);
  });

  it("holds on a missing or invalid drill file", async () => {
    writeFileSync(evidence.drillStateFile, "{not json");
    let { document } = await run();
    expect(document.gates.drillRecency).toMatchObject({
      reasons: ["promotion_drill_state_invalid"],
      drills: [],
    });
    for (const content of ["[]", '"text"', '{"drills":{"id":"kill_switch"}}', '{"drills":["kill_switch"]}']) {
      writeFileSync(evidence.drillStateFile, content);
      ({ document } = await run());
      expect(document.gates.drillRecency.reasons).toEqual(["promotion_drill_state_invalid"]);
    }
    writeFileSync(evidence.drillStateFile, '{"drills":null}');
    ({ document } = await run());
    expect(document.gates.drillRecency.reasons).toEqual([
      "promotion_drill_missing_kill_switch",
      "promotion_drill_missing_sprite_service_outage",
      "promotion_drill_missing_ambiguous_retry_guard",
    ]);
    ({ document } = await run({ drillStateFile: path.join(repo, "absent.json") }));
    expect(document.gates.drillRecency).toMatchObject({
      reasons: ["promotion_drill_state_missing"],
      drills: [],
    });
    expect(document.gates.drillRecency.requiredDrills).toEqual([
      "kill_switch",
      "sprite_service_outage",
      "ambiguous_retry_guard",
    ]);
  });
});

describe("promotion gates: --fail-on-hold, artifacts, repeated runs", () => {
  it("returns exit 2 for hold with --fail-on-hold, after writing both artifacts", async () => {
    writeStatus({ manualBacklog: 9 });
    const { document, exitCode } = await run({ failOnHold: true });
    expect(exitCode).toBe(2);
    expect(JSON.parse(readFileSync(evidence.promotionStateFile, "utf8"))).toEqual(document);
    expect(readLines(evidence.promotionTelemetryFile)).toEqual([document]);
    expect((await run()).exitCode).toBe(0);
  });

  it("overwrites the state and appends one telemetry line per run, new trace id unless pinned", async () => {
    const first = await run({ traceId: undefined });
    const second = await run({ traceId: undefined });
    expect(first.document.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.document.traceId).not.toBe(first.document.traceId);
    expect(readLines(evidence.promotionTelemetryFile)).toEqual([first.document, second.document]);
    expect(JSON.parse(readFileSync(evidence.promotionStateFile, "utf8"))).toEqual(second.document);
    // Deterministic in decision for identical evidence and instant.
    expect(second.document.gates).toEqual(first.document.gates);
  });

  it("resolves the trace id: flag, then OPS_MANAGER_TRACE_ID, then a UUID (empty values skipped)", async () => {
    expect((await run({ traceId: "" }, { OPS_MANAGER_TRACE_ID: "env-trace" })).document.traceId).toBe(
      "env-trace",
    );
    expect((await run({ traceId: "flag" }, { OPS_MANAGER_TRACE_ID: "env-trace" })).document.traceId).toBe(
      "flag",
    );
    expect((await run({ traceId: "" }, { OPS_MANAGER_TRACE_ID: "" })).document.traceId).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });

  it("uses relative explicit paths against the working directory and echoes them verbatim", async () => {
    mkdirSync(path.join(temp.path, "out"));
    writeFileSync(path.join(temp.path, "status.json"), readFileSync(evidence.fleetStatusFile));
    const { document } = await run({
      fleetStatusFile: "status.json",
      handoffTelemetryFile: path.relative(temp.path, evidence.handoffTelemetryFile),
      drillStateFile: "./repo/.superloop/ops-manager/fleet/drills/promotion.v1.json",
      promotionStateFile: "out/state.json",
      promotionTelemetryFile: "out/telemetry/promotion.jsonl",
    });
    expect(document.summary.decision).toBe("promote");
    expect(document.source).toEqual({
      repoPath: repo,
      fleetStatusSource: "file",
      fleetStatusFile: "status.json",
      handoffTelemetryFile: "repo/.superloop/ops-manager/fleet/telemetry/handoff.jsonl",
      drillStateFile: "./repo/.superloop/ops-manager/fleet/drills/promotion.v1.json",
      promotionStateFile: "out/state.json",
      promotionTelemetryFile: "out/telemetry/promotion.jsonl",
    });
    expect(existsSync(path.join(temp.path, "out/state.json"))).toBe(true);
    expect(existsSync(path.join(temp.path, "out/telemetry/promotion.jsonl"))).toBe(true);
    expect(existsSync(evidence.promotionStateFile)).toBe(false);
  });

  it("an unusable output path (a directory, a path below a file) fails before either artifact is written", async () => {
    await run();
    const stateBefore = readFileSync(evidence.promotionStateFile, "utf8");
    const outDir = path.join(temp.path, "out-dir");
    mkdirSync(outDir);
    for (const input of [{ promotionTelemetryFile: outDir }, { promotionStateFile: outDir }]) {
      expect(await failure(run({ ...input, traceId: "trace-2" }))).toEqual({
        message: `cannot write ${outDir} (EISDIR)`,
        exitCode: 1,
      });
    }
    // A telemetry path below a regular file cannot be created: also refused before the state write.
    const underFile = path.join(evidence.fleetStatusFile, "promotion.jsonl");
    expect(await failure(run({ promotionTelemetryFile: underFile, traceId: "trace-3" }))).toEqual({
      message: `cannot create directory ${evidence.fleetStatusFile} (ENOTDIR)`,
      exitCode: 1,
    });
    // The latest decision was not replaced by one whose history line could not be appended.
    expect(readFileSync(evidence.promotionStateFile, "utf8")).toBe(stateBefore);
    expect(readLines(evidence.promotionTelemetryFile)).toHaveLength(1);
  });

  it("keeps the logical repo path (symlinks not resolved)", async () => {
    symlinkSync(repo, path.join(temp.path, "link"));
    const { document } = await run({ repo: "link" });
    expect(document.source.repoPath).toBe(path.join(temp.path, "link"));
    expect(document.source.promotionStateFile).toBe(
      path.join(temp.path, "link/.superloop/ops-manager/fleet/promotion-state.json"),
    );
  });
});

describe("promotion gates: validation (first failure wins, nothing written)", () => {
  const cases: [Partial<PromotionGatesInput>, string][] = [
    [{ repo: "" }, "--repo is required"],
    [{ repo: undefined, windowExecutions: "0" }, "--repo is required"],
    [{ windowExecutions: "0", minSampleSize: "x" }, "--window-executions must be an integer >= 1"],
    [{ windowExecutions: "" }, "--window-executions must be an integer >= 1"],
    [{ windowExecutions: "-1" }, "--window-executions must be an integer >= 1"],
    [{ minSampleSize: "1.5", maxAmbiguityRate: "2" }, "--min-sample-size must be an integer >= 1"],
    [
      { maxAmbiguityRate: "1.01", maxFailureRate: "x" },
      "--max-ambiguity-rate must be a number between 0 and 1",
    ],
    [{ maxAmbiguityRate: "1e-1" }, "--max-ambiguity-rate must be a number between 0 and 1"],
    [{ maxAmbiguityRate: "0." }, "--max-ambiguity-rate must be a number between 0 and 1"],
    [{ maxAmbiguityRate: "-0.1" }, "--max-ambiguity-rate must be a number between 0 and 1"],
    [
      { maxFailureRate: " 0.1", maxManualBacklog: "-1" },
      "--max-failure-rate must be a number between 0 and 1",
    ],
    [{ maxManualBacklog: "-1", maxDrillAgeHours: "0" }, "--max-manual-backlog must be an integer >= 0"],
    [{ maxDrillAgeHours: "0", repo: "missing-dir" }, "--max-drill-age-hours must be an integer >= 1"],
    [{ maxDrillAgeHours: "0x10" }, "--max-drill-age-hours must be an integer >= 1"],
  ];
  it.each(cases)("%j → %s", async (input, message) => {
    expect(await failure(run(input))).toEqual({ message, exitCode: 1 });
    expect(existsSync(fleetPaths(repo).dir + "/promotion-state.json")).toBe(false);
    expect(existsSync(evidence.promotionTelemetryFile)).toBe(false);
  });

  it("reports a missing repo directory after the thresholds", async () => {
    expect(await failure(run({ repo: "missing-dir" }))).toEqual({
      message: `repo directory not found: ${path.join(temp.path, "missing-dir")}`,
      exitCode: 1,
    });
    writeFileSync(path.join(temp.path, "file"), "x");
    expect((await failure(run({ repo: "file" }))).message).toBe(
      `repo directory not found: ${path.join(temp.path, "file")}`,
    );
  });

  it("accepts valid edge values: leading zeros base 10 (Q8), rates 0, 1, 1.0, .5", async () => {
    const { document } = await run({
      windowExecutions: "010",
      minSampleSize: "08",
      maxAmbiguityRate: "1.0",
      maxFailureRate: "0",
      maxManualBacklog: "0",
      maxDrillAgeHours: "0168",
    });
    expect(document.thresholds).toEqual({
      windowExecutions: 10,
      minSampleSize: 8,
      maxAmbiguityRate: 1,
      maxFailureRate: 0,
      maxManualBacklog: 0,
      maxDrillAgeHours: 168,
    });
    expect((await run({ maxFailureRate: ".5" })).document.thresholds.maxFailureRate).toBe(0.5);
  });

  it("fails on a fleet status file that is missing, a directory, not JSON or not an object (Q3)", async () => {
    expect(await failure(run({ fleetStatusFile: "nope.json" }))).toEqual({
      message: "fleet status file not found: nope.json",
      exitCode: 1,
    });
    expect((await failure(run({ fleetStatusFile: "repo" }))).message).toBe(
      "fleet status file not found: repo",
    );
    for (const content of ["{oops", "[]", "42", ""]) {
      writeFileSync(path.join(temp.path, "bad.json"), content);
      expect((await failure(run({ fleetStatusFile: "bad.json" }))).message).toBe(
        "invalid fleet status JSON: bad.json",
      );
    }
    expect(existsSync(evidence.promotionStateFile)).toBe(false);
    expect(existsSync(evidence.promotionTelemetryFile)).toBe(false);
  });
});

describe("promotion gates: generated fleet status through OPS_MANAGER_FLEET_STATUS_SCRIPT", () => {
  it("runs the hook with exactly --repo <absolute repo> and uses its stdout", async () => {
    const argsFile = path.join(temp.path, "args.txt");
    const script = writeHookScript(path.join(temp.path, "bin/status.sh"), {
      argsFile,
      catFile: evidence.fleetStatusFile,
      stderr: "status: note\n",
    });
    const { document } = await run(
      { fleetStatusFile: undefined, repo: "repo" },
      { OPS_MANAGER_FLEET_STATUS_SCRIPT: script },
    );
    expect(readFileSync(argsFile, "utf8")).toBe(`--repo\n${repo}\n`);
    expect(document.source).toMatchObject({ fleetStatusSource: "generated", fleetStatusFile: null });
    expect(document.summary.decision).toBe("promote");
    expect(stderrText).toBe("status: note\n");
  });

  it("an empty --fleet-status-file counts as not given (generated)", async () => {
    const script = writeHookScript(path.join(temp.path, "status.sh"), { catFile: evidence.fleetStatusFile });
    const { document } = await run({ fleetStatusFile: "" }, { OPS_MANAGER_FLEET_STATUS_SCRIPT: script });
    expect(document.source.fleetStatusSource).toBe("generated");
  });

  it("fails when the hook exits non-zero (its stderr first) or prints no JSON object", async () => {
    const failing = writeHookScript(path.join(temp.path, "fail.sh"), {
      stderr: "error: fleet state file not found: x\n",
      exitCode: 3,
    });
    expect(
      await failure(run({ fleetStatusFile: undefined }, { OPS_MANAGER_FLEET_STATUS_SCRIPT: failing })),
    ).toEqual({
      message: `failed to read fleet status via ${failing}`,
      exitCode: 1,
    });
    expect(stderrText).toBe("error: fleet state file not found: x\n");
    for (const stdout of ["not json", "[1]", ""]) {
      const bad = writeHookScript(path.join(temp.path, "bad.sh"), { stdout });
      expect(
        await failure(run({ fleetStatusFile: undefined }, { OPS_MANAGER_FLEET_STATUS_SCRIPT: bad })),
      ).toEqual({
        message: "fleet status output was not valid JSON",
        exitCode: 1,
      });
    }
    const absent = path.join(temp.path, "no-such-script");
    expect(
      (await failure(run({ fleetStatusFile: undefined }, { OPS_MANAGER_FLEET_STATUS_SCRIPT: absent })))
        .message,
    ).toBe(`failed to read fleet status via ${absent}`);
    expect(existsSync(evidence.promotionStateFile)).toBe(false);
  });

  it("uses an injected in-process producer with only the repo, and reports its failure", async () => {
    const seen: unknown[] = [];
    const status = promotionFleetStatus({ generatedAt: NOW });
    const { document } = await promotionGates(
      { repo, traceId: "t" },
      {
        clock,
        env: {},
        cwd: temp.path,
        stderr,
        fleetStatus: async (input) => {
          seen.push(input);
          return status;
        },
      },
    );
    expect(seen).toEqual([{ repo }]);
    expect(document.summary.decision).toBe("promote");
    const error = await failure(
      promotionGates(
        { repo },
        {
          clock,
          env: {},
          cwd: temp.path,
          stderr,
          fleetStatus: async () => {
            throw new Error("fleet state file not found: /x/state.json");
          },
        },
      ),
    );
    expect(error).toEqual({
      message: "failed to read fleet status via ops-manager fleet status",
      exitCode: 1,
    });
    expect(stderrText).toBe("error: fleet state file not found: /x/state.json\n");
  });
});

describe("promotion gates: generated fleet status in-process (fleetStatus of @ops/fleet)", () => {
  it("projects status from the fleet artifacts with its defaults and promotes", async () => {
    writePromotionFleetState(repo);
    const { document } = await run({ fleetStatusFile: undefined });
    expect(document.source).toMatchObject({ fleetStatusSource: "generated", fleetStatusFile: null });
    expect(document.gates.governance).toEqual({
      status: "pass",
      reasons: [],
      posture: "active",
      blocksAutonomous: false,
      reasonCodes: [],
    });
    expect(document.gates.safetySuppression.missingPaths).toEqual([]);
    expect(document.summary.decision).toBe("promote");
    expect(stderrText).toBe("");
  });

  it("holds on what the projection derives: manual backlog, auto-pause, advisory mode", async () => {
    writePromotionFleetState(repo, { manualOnlyCount: 7, autoPauseActive: true });
    let { document } = await run({ fleetStatusFile: undefined });
    expect(document.summary.failedGates).toEqual(["manual_backlog", "safety_suppression"]);
    expect(document.gates.manualBacklog.manualBacklog).toBe(7);
    writePromotionFleetState(repo, { mode: "advisory" });
    ({ document } = await run({ fleetStatusFile: undefined }));
    expect(document.gates.governance).toMatchObject({
      reasons: ["promotion_policy_mode_not_guarded_auto", "promotion_governance_posture_not_active"],
      posture: "not_required",
    });
  });

  it("a repo without fleet state: the producer's error line, then ours; nothing written", async () => {
    const error = await failure(run({ fleetStatusFile: undefined }));
    expect(error).toEqual({
      message: "failed to read fleet status via ops-manager fleet status",
      exitCode: 1,
    });
    expect(stderrText).toBe(`error: fleet state file not found: ${fleetPaths(repo).state}\n`);
    expect(existsSync(evidence.promotionStateFile)).toBe(false);
  });

  it("ignores overrides given to the gates: status always reads the default fleet artifacts", async () => {
    writePromotionFleetState(repo, { withPolicyState: false });
    const { document } = await run({ fleetStatusFile: undefined, handoffTelemetryFile: "elsewhere.jsonl" });
    // Without policy and handoff state the projection's `autonomous` is null; the handoff override
    // only affects our reliability gate (file missing).
    expect(document.summary.failedGates).toEqual([
      "governance",
      "outcome_reliability",
      "manual_backlog",
      "safety_suppression",
    ]);
    expect(document.gates.outcomeReliability.reasons[0]).toBe("promotion_handoff_telemetry_missing");
  });
});
