// `promotionCi` (spec 31) over real evidence: the in-process evaluator, the evaluator hook as a
// real child process, skip mode, summaries, GITHUB_STEP_SUMMARY, failure relay.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isOpsError } from "@ops/contract";
import {
  makeTempDir,
  type PromotionEvidencePaths,
  promotionFleetStatus,
  type TempDir,
  writeHookScript,
  writePromotionEvidence,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PromotionDecisionSchema } from "../gates/schemas.js";
import { parsePromotionEvaluatorArgs, promotionEvaluatorArgs } from "./evaluator.js";
import { type PromotionCiInput, promotionCi } from "./promotion-ci.js";
import { PromotionCiResultSchema } from "./schemas.js";

const clock = { now: () => new Date("2026-03-01T12:00:00Z") };
let temp: TempDir;
let repo: string;
let evidence: PromotionEvidencePaths;
let stepSummary: string;

beforeEach(() => {
  temp = makeTempDir("promotion-ci-");
  repo = path.join(temp.path, "repo");
  mkdirSync(repo);
  evidence = writePromotionEvidence(repo, { now: "2026-03-01T12:00:00Z" });
  stepSummary = path.join(temp.path, "step-summary.md");
});

afterEach(async () => {
  await temp.cleanup();
});

function ci(input: Partial<PromotionCiInput> = {}, env: Record<string, string> = {}) {
  return promotionCi(
    { repo, fleetStatusFile: evidence.fleetStatusFile, traceId: "ci-trace", ...input },
    { clock, env: { GITHUB_STEP_SUMMARY: stepSummary, ...env }, cwd: temp.path },
  );
}

const read = (file: string) => readFileSync(file, "utf8");

describe("promotion ci: evaluated (in-process evaluator)", () => {
  it("promote: result file = promotion state, summary, step summary, stdout, exit 0", async () => {
    const outcome = await ci({ failOnHold: true });
    expect(outcome).toMatchObject({ path: "evaluated", exitCode: 0, decision: "promote", stderr: "" });
    const state = read(evidence.promotionStateFile);
    expect(read(evidence.ciResultFile)).toBe(state);
    expect(PromotionDecisionSchema.parse(JSON.parse(state))).toEqual(outcome.document);
    expect(outcome.stdout).toBe(state);
    const summary = [
      "## Ops Manager Promotion CI",
      "",
      "Decision: `promote`",
      "",
      "Failed gates: none",
      "",
      "Reason codes: none",
      "",
      `Result JSON: \`${evidence.ciResultFile}\``,
      "",
      `Promotion state: \`${evidence.promotionStateFile}\``,
      "",
      `Promotion telemetry: \`${evidence.promotionTelemetryFile}\``,
      "",
    ].join("\n");
    expect(read(evidence.ciSummaryFile)).toBe(summary);
    expect(read(stepSummary)).toBe(summary);
    await ci();
    expect(read(stepSummary)).toBe(summary + summary);
    expect(read(evidence.promotionTelemetryFile).trim().split("\n")).toHaveLength(2);
  });

  it("hold with --fail-on-hold: artifacts written, exit 2; CSV lists in plain text", async () => {
    writeFileSync(evidence.fleetStatusFile, JSON.stringify(promotionFleetStatus({ manualBacklog: 9 })));
    rmSync(evidence.drillStateFile);
    const outcome = await ci({ failOnHold: true, pretty: true });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.decision).toBe("hold");
    expect(read(evidence.ciSummaryFile)).toContain(
      "Decision: `hold`\n\nFailed gates: manual_backlog, drill_recency\n\nReason codes: promotion_drill_state_missing, promotion_manual_backlog_exceeded\n",
    );
    // Pretty on stdout only; files compact.
    expect(outcome.stdout).toBe(`${JSON.stringify(outcome.document, null, 2)}\n`);
    expect(read(evidence.ciResultFile)).toBe(`${JSON.stringify(outcome.document)}\n`);
    expect(read(evidence.promotionStateFile)).toBe(read(evidence.ciResultFile));
    expect((await ci()).exitCode).toBe(0);
  });

  it("forwards thresholds and trace id; the evaluator validates them (error relayed, nothing written)", async () => {
    const ok = await ci(
      { windowExecutions: "010", maxAmbiguityRate: ".5", traceId: "" },
      { OPS_MANAGER_TRACE_ID: "env-t" },
    );
    expect(ok.document).toMatchObject({
      traceId: "env-t",
      thresholds: { windowExecutions: 10, maxAmbiguityRate: 0.5 },
    });
    writeFileSync(evidence.ciResultFile, "stale result\n");
    writeFileSync(evidence.ciSummaryFile, "stale summary\n");
    const bad = await ci({ minSampleSize: "0", maxFailureRate: "2" });
    expect(bad).toMatchObject({
      path: "evaluator_failed",
      exitCode: 1,
      stdout: "",
      stderr: "error: --min-sample-size must be an integer >= 1\n",
      document: null,
    });
    // Q7 kept: the earlier files stay as they were.
    expect(read(evidence.ciResultFile)).toBe("stale result\n");
    expect(read(evidence.ciSummaryFile)).toBe("stale summary\n");
    // Empty threshold values are not forwarded (evaluator default applies).
    expect((await ci({ windowExecutions: "" })).document).toMatchObject({
      thresholds: { windowExecutions: 20 },
    });
  });

  it("without skip mode, missing evidence holds; a missing explicit status file fails the evaluator", async () => {
    rmSync(evidence.handoffTelemetryFile);
    const held = await ci();
    expect(held.document).toMatchObject({
      summary: { decision: "hold", failedGates: ["outcome_reliability"] },
    });
    const failed = await ci({ fleetStatusFile: "absent-status.json" });
    expect(failed).toMatchObject({
      exitCode: 1,
      stderr: "error: fleet status file not found: absent-status.json\n",
    });
  });

  it("throws its own input errors (exit 1)", async () => {
    for (const [input, message] of [
      [{ repo: "" }, "--repo is required"],
      [{ repo: "nope" }, `repo directory not found: ${path.join(temp.path, "nope")}`],
    ] as const) {
      try {
        await ci(input);
        expect.unreachable();
      } catch (error) {
        expect(isOpsError(error) && [error.message, error.exitCode]).toEqual([message, 1]);
      }
    }
  });
});

describe("promotion ci: output paths that are directories", () => {
  it("fail before the evaluator runs: no promotion state, telemetry, result or summary written", async () => {
    const outDir = path.join(temp.path, "out-dir");
    mkdirSync(outDir);
    const cases: [Partial<PromotionCiInput>, Record<string, string>][] = [
      [{ resultFile: outDir }, {}],
      [{ summaryFile: outDir }, {}],
      [{ skipOnMissingEvidence: true, drillStateFile: "absent.json", summaryFile: outDir }, {}],
      [{}, { GITHUB_STEP_SUMMARY: outDir }],
    ];
    for (const [input, env] of cases) {
      try {
        await ci(input, env);
        expect.unreachable();
      } catch (error) {
        expect(isOpsError(error) && [error.message, error.exitCode]).toEqual([
          `cannot write ${outDir} (EISDIR)`,
          1,
        ]);
      }
    }
    for (const file of [
      evidence.promotionStateFile,
      evidence.promotionTelemetryFile,
      evidence.ciResultFile,
      evidence.ciSummaryFile,
    ]) {
      expect(existsSync(file)).toBe(false);
    }
  });
});

describe("promotion ci: skip mode", () => {
  it("skips when evidence is missing: result, summary, step summary; no promotion state; exit 0", async () => {
    rmSync(evidence.handoffTelemetryFile);
    rmSync(evidence.drillStateFile);
    const outcome = await ci({
      skipOnMissingEvidence: true,
      failOnHold: true,
      fleetStatusFile: "status file.json",
    });
    const document = {
      schemaVersion: "v1",
      generatedAt: "2026-03-01T12:00:00Z",
      source: { repoPath: repo },
      summary: {
        decision: "skipped",
        promote: false,
        reasonCodes: ["promotion_ci_missing_evidence"],
        missingEvidencePaths: ["status file.json", evidence.handoffTelemetryFile, evidence.drillStateFile],
      },
    };
    expect(outcome).toMatchObject({
      path: "skipped",
      exitCode: 0,
      decision: "skipped",
      document,
      evaluatorArgs: null,
    });
    expect(PromotionCiResultSchema.parse(document)).toEqual(document);
    expect(read(evidence.ciResultFile)).toBe(`${JSON.stringify(document)}\n`);
    expect(outcome.stdout).toBe(`${JSON.stringify(document)}\n`);
    const summary = [
      "## Ops Manager Promotion CI",
      "",
      "Decision: `skipped`",
      "",
      "Reason codes: `promotion_ci_missing_evidence`",
      "",
      "Missing evidence paths:",
      "- `status file.json`",
      `- \`${evidence.handoffTelemetryFile}\``,
      `- \`${evidence.drillStateFile}\``,
      "",
    ].join("\n");
    expect(read(evidence.ciSummaryFile)).toBe(summary);
    expect(read(stepSummary)).toBe(summary);
    expect(existsSync(evidence.promotionStateFile)).toBe(false);
    expect(existsSync(evidence.promotionTelemetryFile)).toBe(false);
  });

  it("checks 'existing regular file' (a directory is missing) and evaluates when nothing is missing", async () => {
    const outcome = await ci({ skipOnMissingEvidence: true, drillStateFile: "repo" });
    expect(outcome.document).toMatchObject({ summary: { missingEvidencePaths: ["repo"] } });
    expect((await ci({ skipOnMissingEvidence: true })).decision).toBe("promote");
  });

  it("creates the parent directories of custom result/summary paths and echoes relative paths verbatim", async () => {
    const outcome = await ci({
      resultFile: "ci out/result.json",
      summaryFile: "ci out/md/summary.md",
      promotionStateFile: "state/p.json",
      promotionTelemetryFile: "state/p.jsonl",
    });
    expect(outcome.files).toEqual({
      resultFile: "ci out/result.json",
      summaryFile: "ci out/md/summary.md",
      promotionStateFile: "state/p.json",
      promotionTelemetryFile: "state/p.jsonl",
    });
    const summary = read(path.join(temp.path, "ci out/md/summary.md"));
    expect(summary).toContain("Result JSON: `ci out/result.json`\n\nPromotion state: `state/p.json`\n\n");
    expect(summary).toContain("Promotion telemetry: `state/p.jsonl`\n");
    expect(read(path.join(temp.path, "ci out/result.json"))).toBe(read(path.join(temp.path, "state/p.json")));
    expect(outcome.document).toMatchObject({ source: { promotionStateFile: "state/p.json" } });
  });
});

describe("promotion ci: evaluator hook (OPS_MANAGER_PROMOTION_GATES_SCRIPT)", () => {
  const hookDocument = {
    schemaVersion: "v1",
    summary: {
      decision: "hold",
      failedGates: ["drill_recency"],
      reasonCodes: ["promotion_drill_stale_kill_switch"],
    },
  };

  it("passes the §3 argument vector intact (spaces, globs) and relays stdout/stderr/exit", async () => {
    const argsFile = path.join(temp.path, "args.txt");
    const hook = writeHookScript(path.join(temp.path, "gates.sh"), {
      argsFile,
      stdout: JSON.stringify(hookDocument),
      stderr: "warning: from hook\n",
      exitCode: 2,
    });
    const outcome = await ci(
      {
        fleetStatusFile: "my status*.json",
        handoffTelemetryFile: "h ?.jsonl",
        windowExecutions: "5",
        minSampleSize: "4",
        maxAmbiguityRate: "0.1",
        maxFailureRate: "0.2",
        maxManualBacklog: "3",
        maxDrillAgeHours: "24",
        traceId: "t x",
        pretty: true,
        failOnHold: true,
        summaryFile: "s.md",
      },
      { OPS_MANAGER_PROMOTION_GATES_SCRIPT: hook },
    );
    expect(read(argsFile).split("\n").slice(0, -1)).toEqual([
      "--repo",
      repo,
      "--handoff-telemetry-file",
      "h ?.jsonl",
      "--drill-state-file",
      evidence.drillStateFile,
      "--promotion-state-file",
      evidence.promotionStateFile,
      "--promotion-telemetry-file",
      evidence.promotionTelemetryFile,
      "--fleet-status-file",
      "my status*.json",
      "--window-executions",
      "5",
      "--min-sample-size",
      "4",
      "--max-ambiguity-rate",
      "0.1",
      "--max-failure-rate",
      "0.2",
      "--max-manual-backlog",
      "3",
      "--max-drill-age-hours",
      "24",
      "--trace-id",
      "t x",
      "--pretty",
      "--fail-on-hold",
    ]);
    expect(outcome).toMatchObject({
      path: "evaluated",
      exitCode: 2,
      decision: "hold",
      stderr: "warning: from hook\n",
    });
    expect(read(evidence.ciResultFile)).toBe(`${JSON.stringify(hookDocument)}\n`);
    expect(read(path.join(temp.path, "s.md"))).toContain(
      "Failed gates: drill_recency\n\nReason codes: promotion_drill_stale_kill_switch\n",
    );
  });

  it("defaults decision to unknown and lists to none for a sparse document", async () => {
    const hook = writeHookScript(path.join(temp.path, "gates.sh"), { stdout: '{"a":1}' });
    const outcome = await ci({}, { OPS_MANAGER_PROMOTION_GATES_SCRIPT: hook });
    expect(outcome).toMatchObject({ exitCode: 0, decision: "unknown" });
    expect(read(evidence.ciSummaryFile)).toContain(
      "Decision: `unknown`\n\nFailed gates: none\n\nReason codes: none\n",
    );
  });

  it("treats non-JSON, empty or non-object stdout as evaluator failure (careful Q2/Q3)", async () => {
    writeFileSync(evidence.ciResultFile, "before\n");
    const cases: [Parameters<typeof writeHookScript>[1], number, string][] = [
      [
        { stderr: "error: --window-executions must be an integer >= 1\n", exitCode: 1 },
        1,
        "error: --window-executions must be an integer >= 1\n",
      ],
      [{ stdout: "half {", exitCode: 3 }, 3, "half {\n"],
      [{ stdout: "" }, 1, `error: promotion evaluator output was not valid JSON\n`],
      [
        { stdout: "[1,2]", stderr: "noise" },
        1,
        "noise\n[1,2]\nerror: promotion evaluator output was not valid JSON\n",
      ],
    ];
    for (const [options, exitCode, stderr] of cases) {
      const hook = writeHookScript(path.join(temp.path, "gates.sh"), options);
      const outcome = await ci({}, { OPS_MANAGER_PROMOTION_GATES_SCRIPT: hook });
      expect(outcome).toMatchObject({
        path: "evaluator_failed",
        exitCode,
        stderr,
        stdout: "",
        document: null,
      });
    }
    expect(read(evidence.ciResultFile)).toBe("before\n");
    expect(existsSync(evidence.ciSummaryFile)).toBe(false);
    expect(existsSync(stepSummary)).toBe(false);
  });

  it("stderr noise from a successful evaluator is relayed, not parsed (careful Q2)", async () => {
    const hook = writeHookScript(path.join(temp.path, "gates.sh"), {
      stdout: `${JSON.stringify(hookDocument)}\n`,
      stderr: "some noise",
    });
    const outcome = await ci({}, { OPS_MANAGER_PROMOTION_GATES_SCRIPT: hook });
    expect(outcome).toMatchObject({
      path: "evaluated",
      exitCode: 0,
      stderr: "some noise\n",
      decision: "hold",
    });
  });

  it("reports an evaluator that cannot be started", async () => {
    const outcome = await ci({}, { OPS_MANAGER_PROMOTION_GATES_SCRIPT: path.join(temp.path, "missing.sh") });
    expect(outcome.exitCode).toBe(1);
    // One `error:` line (execa's multi-line short message folded), as apply and orchestrate print it.
    expect(outcome.stderr).toMatch(/^error: [^\n]*missing\.sh[^\n]*\n$/);
  });
});

describe("promotion ci: evaluator argument vector", () => {
  it("the in-process evaluator parses back exactly what the vector says", () => {
    const args = promotionEvaluatorArgs({
      repo: "/r",
      handoffTelemetryFile: "h",
      drillStateFile: "d",
      promotionStateFile: "s",
      promotionTelemetryFile: "t",
      fleetStatusFile: "--weird",
      maxDrillAgeHours: "",
      traceId: "x",
      failOnHold: true,
      pretty: true,
    });
    expect(args).toEqual([
      "--repo",
      "/r",
      "--handoff-telemetry-file",
      "h",
      "--drill-state-file",
      "d",
      "--promotion-state-file",
      "s",
      "--promotion-telemetry-file",
      "t",
      "--fleet-status-file",
      "--weird",
      "--trace-id",
      "x",
      "--pretty",
      "--fail-on-hold",
    ]);
    expect(parsePromotionEvaluatorArgs(args)).toEqual({
      input: {
        repo: "/r",
        handoffTelemetryFile: "h",
        drillStateFile: "d",
        promotionStateFile: "s",
        promotionTelemetryFile: "t",
        fleetStatusFile: "--weird",
        traceId: "x",
        failOnHold: true,
      },
      pretty: true,
    });
  });
});
