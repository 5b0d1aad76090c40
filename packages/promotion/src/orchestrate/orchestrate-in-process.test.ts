// promotion orchestrate (spec 33) end to end in-process: the real CI wrapper (spec 31) running the
// real gates evaluator (spec 30) on evidence files written here (fleet status, handoff telemetry,
// drills), then the real promotion apply on a registry checked by the real fleet validator.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths, formatTimestamp } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  FAR_FUTURE,
  guardedRegistry,
  readJson,
  readLines,
  storedRegistry,
  writeJson,
  writeRegistry,
} from "../apply/test-fixtures.js";
import { type PromotionOrchestrateInput, promotionOrchestrate } from "./orchestrate.js";

let temp: TempDir;
let repo: string;
let fleet: ReturnType<typeof fleetPaths>;
let statusFile: string;

const GOVERNANCE = {
  by: "oncall-ana",
  approvalRef: "CAB-311",
  rationale: "promotion rollout mutation",
  reviewBy: FAR_FUTURE,
};

/** Evidence for the five gates: spec 23 status fields, 20 autonomous handoff runs, fresh drills. */
function writeEvidence(options: { manualBacklog?: number } = {}): void {
  writeJson(statusFile, {
    autonomous: {
      enabled: true,
      governance: { posture: "active", blocksAutonomous: false, reasonCodes: [] },
      outcomeRollup: { manual_backlog: options.manualBacklog ?? 0 },
      rollout: { autopause: { active: false } },
      safetyGateDecisions: {
        byPath: { policyGated: {}, rolloutGated: {}, governanceGated: {}, transportGated: {} },
      },
    },
  });
  const runs = Array.from({ length: 20 }, (_, index) => ({
    timestamp: formatTimestamp(Date.now() / 1000 - 3600 + index),
    category: "fleet_handoff_execute",
    fleetId: "fleet-main",
    traceId: `t-${index}`,
    execution: {
      mode: "autonomous",
      requestedIntentCount: 1,
      executedCount: 1,
      ambiguousCount: 0,
      failedCount: 0,
    },
  }));
  writeJson(fleet.telemetry.handoff, null);
  writeFileSync(fleet.telemetry.handoff, `${runs.map((run) => JSON.stringify(run)).join("\n")}\n`);
  const completedAt = formatTimestamp(Date.now() / 1000 - 7200);
  writeJson(fleet.promotionDrills, {
    schemaVersion: "v1",
    updatedAt: completedAt,
    drills: ["kill_switch", "sprite_service_outage", "ambiguous_retry_guard"].map((id) => ({
      id,
      status: "pass",
      completedAt,
    })),
  });
}

function run(input: Partial<PromotionOrchestrateInput>, env: Record<string, string> = {}) {
  return promotionOrchestrate(
    { repo, fleetStatusFile: statusFile, ...input },
    { env, cwd: repo, stderr: { write: () => undefined } },
  );
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
  temp = makeTempDir("promotion-orchestrate-e2e-");
  repo = temp.path;
  fleet = fleetPaths(repo);
  statusFile = path.join(repo, "evidence", "fleet-status.json");
  writeRegistry(
    repo,
    guardedRegistry({ canaryPercent: 10, reviewBy: FAR_FUTURE }),
    Math.floor(Date.now() / 1000),
  );
});

afterEach(async () => {
  await temp.cleanup();
});

describe("in-process CI wrapper + evaluator + apply", () => {
  it("dry_run: the evaluator promotes on real evidence; nothing is mutated", async () => {
    writeEvidence();
    const registryBefore = readFileSync(fleet.registry, "utf8");
    const result = await run({ mode: "dry_run", traceId: "tr-1" });
    expect(result).toMatchObject({ status: "preview", decision: "promote", traceId: "tr-1" });
    const ciResult = readJson(fleet.promotionCiResult) as { traceId: string; summary: { decision: string } };
    expect(ciResult.summary.decision).toBe("promote");
    expect(ciResult.traceId).toBe("tr-1");
    // The evaluator wrote its default promotion state and telemetry (never forwarded paths, §3.1).
    expect(readJson(fleet.promotionState)).toEqual(ciResult);
    expect(readLines(fleet.telemetry.promotion)).toHaveLength(1);
    expect(readFileSync(fleet.promotionCiSummary, "utf8")).toContain("Decision: `promote`");
    expect(readFileSync(fleet.registry, "utf8")).toBe(registryBefore);
  });

  it("empty path flags count as not given, as in the CI wrapper: the defaults are written and read", async () => {
    writeEvidence();
    const result = await run({
      mode: "dry_run",
      resultFile: "",
      summaryFile: "",
      promotionCiResultFile: "",
      promotionCiSummaryFile: "",
    });
    expect(result).toMatchObject({
      status: "preview",
      decision: "promote",
      files: {
        resultFile: fleet.promotionOrchestrateResult,
        summaryFile: fleet.promotionOrchestrateSummary,
        promotionCiResultFile: fleet.promotionCiResult,
        promotionCiSummaryFile: fleet.promotionCiSummary,
      },
    });
    expect(readJson(fleet.promotionOrchestrateResult)).toEqual(result);
  });

  it("apply: the fresh decision gates the mutation; apply reads the CI result as its promotion state", async () => {
    writeEvidence();
    const stepSummary = path.join(repo, "step-summary.md");
    const result = await run(
      { mode: "apply", ...GOVERNANCE, expandStep: "30", traceId: "tr-2" },
      { GITHUB_STEP_SUMMARY: stepSummary },
    );
    // The CI wrapper appends its summary, then orchestration appends its own.
    expect(readFileSync(stepSummary, "utf8")).toBe(
      readFileSync(fleet.promotionCiSummary, "utf8") +
        readFileSync(fleet.promotionOrchestrateSummary, "utf8"),
    );
    expect(result).toMatchObject({
      status: "applied",
      decision: "promote",
      traceId: "tr-2",
      apply: { executed: true, intent: "expand" },
    });
    expect(result.apply.record).toMatchObject({
      traceId: "tr-2",
      decision: "promote",
      files: { promotionStateFile: fleet.promotionCiResult },
      rollout: { after: { canaryPercent: 40, manualPause: false } },
    });
    expect(storedRegistry(fleet.registry).policy.autonomous.rollout.canaryPercent).toBe(40);
  });

  it("a hold (manual backlog) refuses apply but lets rollback through; --fail-on-hold stops both with exit 2", async () => {
    writeEvidence({ manualBacklog: 9 });
    const refused = await failure(run({ mode: "apply", ...GOVERNANCE }));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderrText).toBe(
      "error: intent expand requires promotion decision promote (found: hold)\n",
    );

    const rolledBack = await run({ mode: "rollback", ...GOVERNANCE });
    expect(rolledBack).toMatchObject({
      status: "rolled_back",
      decision: "hold",
      summary: { failedGates: ["manual_backlog"], reasonCodes: ["promotion_manual_backlog_exceeded"] },
    });

    const registryBefore = readFileSync(fleet.registry, "utf8");
    const enforced = await failure(run({ mode: "rollback", ...GOVERNANCE, failOnHold: true }));
    expect(enforced.exitCode).toBe(2);
    // The wrapper's stdout (the hold document) is what gets relayed.
    expect(JSON.parse(enforced.stderrText ?? "")).toMatchObject({ summary: { decision: "hold" } });
    expect(readFileSync(fleet.registry, "utf8")).toBe(registryBefore);
  });

  it("missing evidence in skip mode: skipped; apply refused, rollback allowed", async () => {
    const skipped = await run({ mode: "dry_run", skipOnMissingEvidence: true });
    expect(skipped).toMatchObject({
      decision: "skipped",
      summary: { failedGates: [], reasonCodes: ["promotion_ci_missing_evidence"] },
    });
    expect(existsSync(fleet.promotionState)).toBe(false);
    const refused = await failure(run({ mode: "apply", ...GOVERNANCE, skipOnMissingEvidence: true }));
    expect(refused.stderrText).toBe(
      "error: intent expand requires promotion decision promote (found: skipped)\n",
    );
    const rolledBack = await run({ mode: "rollback", ...GOVERNANCE, skipOnMissingEvidence: true });
    expect(rolledBack.status).toBe("rolled_back");
  });

  it("a CI input error (bad threshold) is relayed with the evaluator's exit status", async () => {
    writeEvidence();
    const error = await failure(run({ mode: "dry_run", windowExecutions: "0" }));
    expect(error.exitCode).toBe(1);
    expect(error.stderrText).toBe("error: --window-executions must be an integer >= 1\n");
    expect(existsSync(fleet.promotionOrchestrateResult)).toBe(false);
  });
});
