// promotion orchestrate (spec 33) over real temp repos: the CI wrapper replaced by a small
// executable node script (OPS_MANAGER_PROMOTION_CI_SCRIPT) that writes a decision document shaped
// like spec 30/31 output; promotion apply in-process (the real one, on a registry checked by the
// real validator) or replaced by a recording script (OPS_MANAGER_PROMOTION_APPLY_SCRIPT).
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPromotionStderrError } from "../apply/errors.js";
import {
  evaluatedDecision,
  FAR_FUTURE,
  guardedRegistry,
  readJson,
  readLines,
  skippedDecision,
  storedRegistry,
  writeJson,
  writeRegistry,
} from "../apply/test-fixtures.js";
import { type PromotionOrchestrateInput, promotionOrchestrate } from "./orchestrate.js";
import { PromotionOrchestrateResultSchema } from "./schemas.js";

let temp: TempDir;
let repo: string;
let fleet: ReturnType<typeof fleetPaths>;
let calls: string;
let ciHook: string;
let applyHook: string;
let relayed: string;

const CI_SCRIPT = `#!/usr/bin/env node
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
const args = process.argv.slice(2);
appendFileSync(process.env.CALLS_FILE, JSON.stringify({ ci: args }) + "\\n");
const result = process.env.CI_RESULT;
if (result !== undefined) {
  const file = args[args.indexOf("--result-file") + 1];
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, result + "\\n");
  writeFileSync(args[args.indexOf("--summary-file") + 1], "## Ops Manager Promotion CI\\n");
}
if (process.env.CI_STDERR) process.stderr.write(process.env.CI_STDERR);
if (result !== undefined) process.stdout.write(result + "\\n");
process.exit(Number(process.env.CI_EXIT ?? "0"));
`;

const APPLY_SCRIPT = `#!/usr/bin/env node
import { appendFileSync } from "node:fs";
const args = process.argv.slice(2);
appendFileSync(process.env.CALLS_FILE, JSON.stringify({ apply: args }) + "\\n");
if (process.env.APPLY_STDERR) process.stderr.write(process.env.APPLY_STDERR);
process.stdout.write(process.env.APPLY_STDOUT ?? "{}");
process.exit(Number(process.env.APPLY_EXIT ?? "0"));
`;

function script(name: string, body: string): string {
  const file = path.join(repo, "hooks", name);
  writeJson(file, null);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    CALLS_FILE: calls,
    OPS_MANAGER_PROMOTION_CI_SCRIPT: ciHook,
    ...extra,
  };
}

function ciResult(decision: "promote" | "hold" | "skipped"): string {
  return JSON.stringify(decision === "skipped" ? skippedDecision(repo) : evaluatedDecision(repo, decision));
}

function run(input: Partial<PromotionOrchestrateInput>, extraEnv: Record<string, string> = {}) {
  return promotionOrchestrate(
    { repo, ...input },
    { env: env(extraEnv), cwd: repo, stderr: { write: (text: string) => (relayed += text) } },
  );
}

const GOVERNANCE = {
  by: "oncall-ana",
  approvalRef: "CAB-311",
  rationale: "incident rollback to manual pause",
  reviewBy: FAR_FUTURE,
};

function recordedCalls(): Array<{ ci?: string[]; apply?: string[] }> {
  return existsSync(calls) ? (readLines(calls) as Array<{ ci?: string[]; apply?: string[] }>) : [];
}

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { exitCode?: number; stderrText?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the orchestration to fail");
}

beforeEach(() => {
  temp = makeTempDir("promotion-orchestrate-");
  repo = temp.path;
  fleet = fleetPaths(repo);
  calls = path.join(repo, "calls.jsonl");
  relayed = "";
  ciHook = script("ci.mjs", CI_SCRIPT);
  applyHook = script("apply.mjs", APPLY_SCRIPT);
  writeRegistry(
    repo,
    guardedRegistry({ canaryPercent: 10, reviewBy: FAR_FUTURE }),
    Math.floor(Date.now() / 1000),
  );
});

afterEach(async () => {
  await temp.cleanup();
});

describe("dry_run", () => {
  it("evaluates, previews, writes result + summary + step summary; never calls apply", async () => {
    const stepSummary = path.join(repo, "step-summary.md");
    writeFileSync(stepSummary, "earlier step\n");
    const registryBefore = readFileSync(fleet.registry, "utf8");
    const result = await run(
      {
        mode: "dry_run",
        idempotencyKey: "k-1",
        fleetStatusFile: "status.json",
        handoffTelemetryFile: "",
        windowExecutions: "30",
        maxDrillAgeHours: "72",
        skipOnMissingEvidence: true,
        failOnHold: false,
      },
      {
        CI_RESULT: ciResult("hold"),
        GITHUB_STEP_SUMMARY: stepSummary,
        OPS_MANAGER_PROMOTION_APPLY_SCRIPT: applyHook,
      },
    );
    expect(result).toEqual({
      schemaVersion: "v1",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      mode: "dry_run",
      status: "preview",
      decision: "hold",
      traceId: null,
      loopId: null,
      horizonRef: null,
      evidenceRefs: [fleet.promotionCiResult, fleet.promotionCiSummary],
      summary: { failedGates: ["manual_backlog"], reasonCodes: ["promotion_manual_backlog_exceeded"] },
      apply: { executed: false, intent: null, idempotencyKey: "k-1", record: null },
      files: {
        resultFile: fleet.promotionOrchestrateResult,
        summaryFile: fleet.promotionOrchestrateSummary,
        promotionCiResultFile: fleet.promotionCiResult,
        promotionCiSummaryFile: fleet.promotionCiSummary,
      },
    });
    expect(Object.keys(result)).toEqual(Object.keys(PromotionOrchestrateResultSchema.shape));
    expect(readFileSync(fleet.promotionOrchestrateResult, "utf8")).toBe(`${JSON.stringify(result)}\n`);
    const summary = [
      "## Ops Manager Promotion Orchestration",
      "",
      "Mode: `dry_run`",
      "",
      "Status: `preview`",
      "",
      "Promotion decision: `hold`",
      "",
      "Failed gates: manual_backlog",
      "",
      "Reason codes: promotion_manual_backlog_exceeded",
      "",
      `Result JSON: \`${fleet.promotionOrchestrateResult}\``,
      "",
      `Promotion CI result: \`${fleet.promotionCiResult}\``,
      "",
    ].join("\n");
    expect(readFileSync(fleet.promotionOrchestrateSummary, "utf8")).toBe(summary);
    expect(readFileSync(stepSummary, "utf8")).toBe(`earlier step\n${summary}`);
    // §3.1: exactly these arguments, in this order; empty values and false switches are not forwarded.
    expect(recordedCalls()).toEqual([
      {
        ci: [
          "--repo",
          repo,
          "--result-file",
          fleet.promotionCiResult,
          "--summary-file",
          fleet.promotionCiSummary,
          "--fleet-status-file",
          "status.json",
          "--window-executions",
          "30",
          "--max-drill-age-hours",
          "72",
          "--skip-on-missing-evidence",
        ],
      },
    ]);
    expect(readFileSync(fleet.registry, "utf8")).toBe(registryBefore);
  });

  it("forwards every CI flag in §3.1 order, --fail-on-hold and --trace-id last; the trace is reported", async () => {
    const result = await run(
      {
        mode: "dry_run",
        traceId: "trace 1",
        failOnHold: true,
        skipOnMissingEvidence: true,
        maxDrillAgeHours: "1",
        maxManualBacklog: "2",
        maxFailureRate: "0.3",
        maxAmbiguityRate: "0.4",
        minSampleSize: "5",
        windowExecutions: "6",
        drillStateFile: "drills file.json",
        handoffTelemetryFile: "handoff*.jsonl",
        fleetStatusFile: "status.json",
        promotionCiResultFile: "out/ci result.json",
        promotionCiSummaryFile: "out/ci summary.md",
        resultFile: "out/orchestrate.json",
        summaryFile: "out/orchestrate.md",
        evidenceRefs: ["artifact://z", "", "/abs/ref"],
      },
      { CI_RESULT: ciResult("promote") },
    );
    expect(recordedCalls()[0]?.ci).toEqual([
      "--repo",
      repo,
      "--result-file",
      "out/ci result.json",
      "--summary-file",
      "out/ci summary.md",
      "--fleet-status-file",
      "status.json",
      "--handoff-telemetry-file",
      "handoff*.jsonl",
      "--drill-state-file",
      "drills file.json",
      "--window-executions",
      "6",
      "--min-sample-size",
      "5",
      "--max-ambiguity-rate",
      "0.4",
      "--max-failure-rate",
      "0.3",
      "--max-manual-backlog",
      "2",
      "--max-drill-age-hours",
      "1",
      "--skip-on-missing-evidence",
      "--fail-on-hold",
      "--trace-id",
      "trace 1",
    ]);
    expect(result).toMatchObject({
      traceId: "trace 1",
      decision: "promote",
      // Q8 (kept): code-unit order, so absolute paths sort before refs like artifact://…
      evidenceRefs: ["/abs/ref", "artifact://z", "out/ci result.json", "out/ci summary.md"],
      files: {
        resultFile: "out/orchestrate.json",
        summaryFile: "out/orchestrate.md",
        promotionCiResultFile: "out/ci result.json",
        promotionCiSummaryFile: "out/ci summary.md",
      },
    });
    expect(readJson(path.join(repo, "out/orchestrate.json"))).toEqual(result);
    expect(existsSync(path.join(repo, "out/orchestrate.md"))).toBe(true);
  });

  it("a skipped CI result defaults failed gates to []", async () => {
    const result = await run({ mode: "dry_run" }, { CI_RESULT: ciResult("skipped") });
    expect(result).toMatchObject({
      decision: "skipped",
      summary: { failedGates: [], reasonCodes: ["promotion_ci_missing_evidence"] },
    });
    expect(readFileSync(fleet.promotionOrchestrateSummary, "utf8")).toContain(
      "Failed gates: none\n\nReason codes: promotion_ci_missing_evidence\n",
    );
  });

  it("a CI result without summary.decision is `unknown`", async () => {
    const result = await run({ mode: "dry_run" }, { CI_RESULT: JSON.stringify({ schemaVersion: "v1" }) });
    expect(result.decision).toBe("unknown");
  });
});

describe("apply and rollback (real in-process apply)", () => {
  it("apply + promote: expands the registry, reports the record, forwards trace and seam fields", async () => {
    const result = await run(
      {
        mode: "apply",
        ...GOVERNANCE,
        rationale: "promotion rollout mutation",
        expandStep: "15",
        idempotencyKey: "expand-1",
        traceId: "t-9",
        loopId: "alpha",
        horizonRef: "h-1",
        evidenceRefs: ["change://CAB-311"],
      },
      { CI_RESULT: ciResult("promote") },
    );
    const record = readJson(fleet.promotionApplyState) as Record<string, unknown>;
    expect(record).toMatchObject({
      traceId: "t-9",
      loopId: "alpha",
      horizonRef: "h-1",
      intent: "expand",
      decision: "promote",
      idempotencyKey: "expand-1",
      rollout: { after: { canaryPercent: 25, manualPause: false } },
      files: { promotionStateFile: fleet.promotionCiResult },
    });
    expect(result).toMatchObject({
      mode: "apply",
      status: "applied",
      decision: "promote",
      traceId: "t-9",
      loopId: "alpha",
      horizonRef: "h-1",
      apply: { executed: true, intent: "expand", idempotencyKey: "expand-1", record },
    });
    expect(result.evidenceRefs).toEqual([
      fleet.promotionApplyState,
      fleet.promotionCiResult,
      fleet.promotionCiSummary,
      "change://CAB-311",
    ]);
    expect(storedRegistry(fleet.registry).policy.autonomous.rollout.canaryPercent).toBe(25);
    expect(readFileSync(fleet.promotionOrchestrateSummary, "utf8")).toContain(
      "Reason codes: none\n\nApply intent: `expand`\n\nResult JSON: ",
    );
    expect(recordedCalls().map((call) => Object.keys(call)[0])).toEqual(["ci"]);
  });

  it("apply with decision hold or skipped fails with apply's message and exit status; nothing of ours written", async () => {
    for (const decision of ["hold", "skipped"] as const) {
      const error = await failure(run({ mode: "apply", ...GOVERNANCE }, { CI_RESULT: ciResult(decision) }));
      expect(isPromotionStderrError(error)).toBe(true);
      expect(error.exitCode).toBe(1);
      expect(error.stderrText).toBe(
        `error: intent expand requires promotion decision promote (found: ${decision})\n`,
      );
    }
    expect(existsSync(fleet.promotionOrchestrateResult)).toBe(false);
    expect(existsSync(fleet.promotionOrchestrateSummary)).toBe(false);
    expect(existsSync(fleet.promotionApplyState)).toBe(false);
  });

  it("rollback proceeds on hold: manual pause, status rolled_back, apply's own trace id reported", async () => {
    const result = await run({ mode: "rollback", ...GOVERNANCE }, { CI_RESULT: ciResult("hold") });
    expect(result).toMatchObject({
      status: "rolled_back",
      decision: "hold",
      apply: { executed: true, intent: "rollback", idempotencyKey: null },
    });
    expect(result.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.traceId).toBe((readJson(fleet.promotionApplyState) as { traceId: string }).traceId);
    expect(storedRegistry(fleet.registry).policy.autonomous.rollout.pause.manual).toBe(true);
    expect(storedRegistry(fleet.registry).policy.autonomous.governance.rationale).toBe(
      "incident rollback to manual pause",
    );
  });

  it("OPS_MANAGER_TRACE_ID reaches apply (reported in apply mode) but dry_run still reports null (Q2)", async () => {
    const applied = await run(
      { mode: "apply", applyIntent: "resume", ...GOVERNANCE },
      { CI_RESULT: ciResult("promote"), OPS_MANAGER_TRACE_ID: "env-trace" },
    );
    expect(applied.traceId).toBe("env-trace");
    const preview = await run(
      { mode: "dry_run" },
      { CI_RESULT: ciResult("promote"), OPS_MANAGER_TRACE_ID: "env-trace" },
    );
    expect(preview.traceId).toBeNull();
  });

  it("a repeated apply with the same key: CI re-evaluated, apply replays, registry untouched (§8)", async () => {
    const first = await run(
      { mode: "apply", ...GOVERNANCE, idempotencyKey: "once" },
      { CI_RESULT: ciResult("promote") },
    );
    const registryAfterFirst = readFileSync(fleet.registry, "utf8");
    const second = await run(
      { mode: "apply", ...GOVERNANCE, idempotencyKey: "once" },
      { CI_RESULT: ciResult("promote") },
    );
    expect(second.status).toBe("applied");
    expect(second.apply.record).toEqual({ ...first.apply.record, replayed: true });
    expect(readFileSync(fleet.registry, "utf8")).toBe(registryAfterFirst);
    expect(readLines(fleet.telemetry.promotionApply)).toHaveLength(1);
    expect(recordedCalls().filter((call) => call.ci !== undefined)).toHaveLength(2);
  });
});

describe("apply hook (OPS_MANAGER_PROMOTION_APPLY_SCRIPT)", () => {
  const RECORD = JSON.stringify({
    intent: "rollback",
    traceId: "apply-trace",
    loopId: "loop-x",
    evidenceRefs: ["artifact://from-apply", ""],
    files: { promotionStateFile: "state.json", applyStateFile: "apply-state.json" },
    replayed: true,
  });

  it("receives §3.2's vector with values containing spaces and globs as single arguments (careful Q1)", async () => {
    const result = await run(
      {
        mode: "rollback",
        ...GOVERNANCE,
        expandStep: "40",
        idempotencyKey: "key with spaces",
        traceId: "t 1",
        horizonRef: "h *",
        evidenceRefs: ["ticket CAB 311", "*.json", ""],
      },
      { CI_RESULT: ciResult("hold"), OPS_MANAGER_PROMOTION_APPLY_SCRIPT: applyHook, APPLY_STDOUT: RECORD },
    );
    expect(recordedCalls()[1]?.apply).toEqual([
      "--repo",
      repo,
      "--promotion-state-file",
      fleet.promotionCiResult,
      "--intent",
      "rollback",
      "--by",
      "oncall-ana",
      "--approval-ref",
      "CAB-311",
      "--rationale",
      "incident rollback to manual pause",
      "--review-by",
      FAR_FUTURE,
      "--idempotency-key",
      "key with spaces",
      "--trace-id",
      "t 1",
      "--horizon-ref",
      "h *",
      "--evidence-ref",
      "ticket CAB 311",
      "--evidence-ref",
      "*.json",
    ]);
    // The flags win over the record; the record fills what the flags left empty.
    expect(result).toMatchObject({
      status: "rolled_back",
      traceId: "t 1",
      loopId: "loop-x",
      horizonRef: "h *",
      apply: { executed: true, intent: "rollback", idempotencyKey: "key with spaces" },
    });
    expect(result.apply.record).toEqual(JSON.parse(RECORD));
    expect(result.evidenceRefs).toEqual([
      "*.json",
      fleet.promotionCiResult,
      fleet.promotionCiSummary,
      "apply-state.json",
      "artifact://from-apply",
      "state.json",
      "ticket CAB 311",
    ]);
  });

  it("--expand-step is forwarded only for mode apply with intent expand", async () => {
    const hookEnv = { CI_RESULT: ciResult("promote"), OPS_MANAGER_PROMOTION_APPLY_SCRIPT: applyHook };
    await run({ mode: "apply", ...GOVERNANCE, expandStep: "010" }, hookEnv);
    await run({ mode: "apply", applyIntent: "resume", ...GOVERNANCE, expandStep: "40" }, hookEnv);
    const applyCalls = recordedCalls()
      .map((call) => call.apply)
      .filter((args) => args !== undefined);
    expect(applyCalls[0]?.slice(14)).toEqual(["--expand-step", "10"]);
    expect(applyCalls[0]?.[5]).toBe("expand");
    expect(applyCalls[1]?.[5]).toBe("resume");
    expect(applyCalls[1]).not.toContain("--expand-step");
  });

  it("a failing apply: its exit status and captured output; non-JSON output on success is refused", async () => {
    const failing = await failure(
      run(
        { mode: "apply", ...GOVERNANCE },
        {
          CI_RESULT: ciResult("promote"),
          OPS_MANAGER_PROMOTION_APPLY_SCRIPT: applyHook,
          APPLY_EXIT: "3",
          APPLY_STDOUT: "",
          APPLY_STDERR: "error: mutated registry failed validation\n",
        },
      ),
    );
    expect(failing.exitCode).toBe(3);
    expect(failing.stderrText).toBe("error: mutated registry failed validation\n");
    const garbage = await failure(
      run(
        { mode: "apply", ...GOVERNANCE },
        {
          CI_RESULT: ciResult("promote"),
          OPS_MANAGER_PROMOTION_APPLY_SCRIPT: applyHook,
          APPLY_STDOUT: "applied!",
        },
      ),
    );
    expect(garbage.message).toBe("promotion apply output was not valid JSON");
    expect(garbage.exitCode).toBe(1);
    expect(existsSync(fleet.promotionOrchestrateResult)).toBe(false);
  });

  it("a successful delegate's stderr is relayed (careful Q6)", async () => {
    await run(
      { mode: "rollback", ...GOVERNANCE },
      {
        CI_RESULT: ciResult("hold"),
        CI_STDERR: "note: evaluator warning\n",
        OPS_MANAGER_PROMOTION_APPLY_SCRIPT: applyHook,
        APPLY_STDOUT: RECORD,
        APPLY_STDERR: "warning: replayed",
      },
    );
    expect(relayed).toBe("note: evaluator warning\nwarning: replayed\n");
  });
});

describe("CI failures stop every mode (Q3)", () => {
  it("hold with --fail-on-hold (exit 2): the wrapper's output relayed, exit 2, rollback never runs", async () => {
    writeJson(fleet.promotionOrchestrateResult, { stale: true });
    const error = await failure(
      run(
        { mode: "rollback", ...GOVERNANCE, failOnHold: true },
        {
          CI_RESULT: ciResult("hold"),
          CI_EXIT: "2",
          CI_STDERR: "",
          OPS_MANAGER_PROMOTION_APPLY_SCRIPT: applyHook,
        },
      ),
    );
    expect(error.exitCode).toBe(2);
    expect(error.stderrText).toBe(`${ciResult("hold")}\n`);
    expect(recordedCalls().map((call) => Object.keys(call)[0])).toEqual(["ci"]);
    // The orchestrator's own artifacts are not written (a stale copy stays).
    expect(readJson(fleet.promotionOrchestrateResult)).toEqual({ stale: true });
  });

  it("evaluator error (exit 1) is relayed; a hook that cannot run is exit 1 with a reason", async () => {
    const error = await failure(
      run(
        { mode: "dry_run" },
        { CI_EXIT: "1", CI_STDERR: "error: fleet status output was not valid JSON\n" },
      ),
    );
    expect(error.exitCode).toBe(1);
    expect(error.stderrText).toBe("error: fleet status output was not valid JSON\n");
    const missing = await failure(
      run({ mode: "dry_run" }, { OPS_MANAGER_PROMOTION_CI_SCRIPT: path.join(repo, "nope.sh") }),
    );
    expect(missing.exitCode).toBe(1);
    // One `error:` line naming the hook (execa's multi-line message is not relayed as is).
    expect(missing.stderrText).toBe(`error: spawn ${path.join(repo, "nope.sh")} ENOENT\n`);
  });

  it("CI result missing or not JSON after a successful wrapper", async () => {
    expect((await failure(run({ mode: "dry_run" }))).message).toBe(
      `promotion CI result file not found: ${fleet.promotionCiResult}`,
    );
    expect((await failure(run({ mode: "dry_run" }, { CI_RESULT: "{oops" }))).message).toBe(
      `invalid promotion CI result JSON: ${fleet.promotionCiResult}`,
    );
    expect((await failure(run({ mode: "dry_run" }, { CI_RESULT: "[1]" }))).message).toBe(
      `invalid promotion CI result JSON: ${fleet.promotionCiResult}`,
    );
    // A directory is not an existing file.
    rmSync(fleet.promotionCiResult, { force: true });
    mkdirSync(fleet.promotionCiResult);
    expect((await failure(run({ mode: "dry_run" }))).message).toBe(
      `promotion CI result file not found: ${fleet.promotionCiResult}`,
    );
  });
});

describe("own validation (§1 order), before anything runs", () => {
  it.each<[string, Partial<PromotionOrchestrateInput>, string]>([
    ["repo", { repo: "", mode: "bogus" }, "--repo is required"],
    ["mode absent", { mode: undefined, applyIntent: "x" }, "--mode must be one of dry_run, apply, rollback"],
    ["mode", { mode: "apply_now" }, "--mode must be one of dry_run, apply, rollback"],
    [
      "apply-intent in dry_run (Q5)",
      { mode: "dry_run", applyIntent: "rollback" },
      "--apply-intent must be one of expand, resume",
    ],
    [
      "expand-step in rollback (Q5)",
      { mode: "rollback", expandStep: "0", by: "" },
      "--expand-step must be an integer between 1 and 100",
    ],
    ["by", { mode: "apply", ...GOVERNANCE, by: "" }, "--by is required for mode apply"],
    [
      "approval-ref",
      { mode: "rollback", ...GOVERNANCE, approvalRef: undefined },
      "--approval-ref is required for mode rollback",
    ],
    [
      "rationale",
      { mode: "rollback", ...GOVERNANCE, rationale: "", reviewBy: "" },
      "--rationale is required for mode rollback",
    ],
    [
      "review-by",
      { mode: "apply", ...GOVERNANCE, reviewBy: "", repo: "/nope" },
      "--review-by is required for mode apply",
    ],
    [
      "repo dir",
      { mode: "dry_run", repo: "/nonexistent/repo" },
      "repo directory not found: /nonexistent/repo",
    ],
  ])("%s", async (_name, overrides, message) => {
    const error = await failure(run({ ...overrides }, { CI_RESULT: ciResult("promote") }));
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(1);
    expect(recordedCalls()).toEqual([]);
  });

  it("an output path that is a directory fails before CI and apply run: the registry is untouched", async () => {
    const registryBefore = readFileSync(fleet.registry, "utf8");
    const outDir = path.join(repo, "out-dir");
    mkdirSync(outDir);
    for (const overrides of [
      { resultFile: outDir },
      { summaryFile: outDir },
    ] satisfies Partial<PromotionOrchestrateInput>[]) {
      const error = await failure(
        run({ mode: "apply", ...GOVERNANCE, ...overrides }, { CI_RESULT: ciResult("promote") }),
      );
      expect(error.message).toBe(`cannot write ${outDir} (EISDIR)`);
      expect(error.exitCode).toBe(1);
    }
    const stepError = await failure(
      run(
        { mode: "rollback", ...GOVERNANCE },
        { CI_RESULT: ciResult("promote"), GITHUB_STEP_SUMMARY: outDir },
      ),
    );
    expect(stepError.message).toBe(`cannot write ${outDir} (EISDIR)`);
    expect(recordedCalls()).toEqual([]);
    expect(readFileSync(fleet.registry, "utf8")).toBe(registryBefore);
    expect(existsSync(fleet.promotionApplyState)).toBe(false);
    expect(existsSync(fleet.telemetry.promotionApply)).toBe(false);
  });

  it("dry_run needs no governance", async () => {
    await expect(run({ mode: "dry_run" }, { CI_RESULT: ciResult("promote") })).resolves.toMatchObject({
      status: "preview",
    });
  });
});
