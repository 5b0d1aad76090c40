// `ops-manager promotion ci` end to end through runCli (spec 31): evaluated, skipped, evaluator
// failure relay, GITHUB_STEP_SUMMARY, argument handling.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  makeTempDir,
  type PromotionEvidencePaths,
  promotionFleetStatus,
  type TempDir,
  writeHookScript,
  writePromotionEvidence,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

let temp: TempDir;
let repo: string;
let evidence: PromotionEvidencePaths;

beforeEach(() => {
  temp = makeTempDir("cli-promotion-ci-");
  repo = path.join(temp.path, "repo");
  mkdirSync(repo);
  evidence = writePromotionEvidence(repo, { now: new Date() });
});

afterEach(async () => {
  await temp.cleanup();
});

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIo(env, temp.path);
  const code = await runCli(["promotion", "ci", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe("ops-manager promotion ci", () => {
  it("evaluates in-process: prints the decision, writes result + summary + step summary", async () => {
    const stepSummary = path.join(temp.path, "gh-summary.md");
    const { code, out, err } = await cli(
      ["--repo", "repo", "--fleet-status-file", evidence.fleetStatusFile],
      {
        GITHUB_STEP_SUMMARY: stepSummary,
      },
    );
    expect([code, err]).toEqual([0, ""]);
    expect(JSON.parse(out)).toMatchObject({ summary: { decision: "promote" } });
    expect(readFileSync(evidence.ciResultFile, "utf8")).toBe(out);
    expect(readFileSync(evidence.promotionStateFile, "utf8")).toBe(out);
    const summary = readFileSync(evidence.ciSummaryFile, "utf8");
    expect(summary.startsWith("## Ops Manager Promotion CI\n\nDecision: `promote`\n")).toBe(true);
    expect(readFileSync(stepSummary, "utf8")).toBe(summary);
  });

  it("--fail-on-hold: exit 2 on hold, artifacts written", async () => {
    writeFileSync(evidence.fleetStatusFile, JSON.stringify(promotionFleetStatus({ mode: "advisory" })));
    const { code, out, err } = await cli([
      "--repo",
      repo,
      "--fleet-status-file",
      evidence.fleetStatusFile,
      "--fail-on-hold",
    ]);
    expect([code, err]).toEqual([2, ""]);
    expect(JSON.parse(out)).toMatchObject({ summary: { decision: "hold", failedGates: ["governance"] } });
    expect(readFileSync(evidence.ciSummaryFile, "utf8")).toContain(
      "Failed gates: governance\n\nReason codes: promotion_governance_posture_not_active, promotion_policy_mode_not_guarded_auto\n",
    );
  });

  it("--skip-on-missing-evidence: skipped result, exit 0 even with --fail-on-hold, no promotion state", async () => {
    rmSync(evidence.drillStateFile);
    const { code, out, err } = await cli([
      "--repo",
      repo,
      "--skip-on-missing-evidence",
      "--fail-on-hold",
      "--result-file",
      "out/ci.json",
      "--summary-file",
      "out/ci.md",
      "--pretty",
    ]);
    expect([code, err]).toEqual([0, ""]);
    const document = JSON.parse(out) as unknown;
    expect(out).toBe(`${JSON.stringify(document, null, 2)}\n`);
    expect(document).toMatchObject({
      source: { repoPath: repo },
      summary: {
        decision: "skipped",
        promote: false,
        reasonCodes: ["promotion_ci_missing_evidence"],
        missingEvidencePaths: [evidence.drillStateFile],
      },
    });
    expect(readFileSync(path.join(temp.path, "out/ci.json"), "utf8")).toBe(`${JSON.stringify(document)}\n`);
    expect(readFileSync(path.join(temp.path, "out/ci.md"), "utf8")).toContain(
      `Missing evidence paths:\n- \`${evidence.drillStateFile}\`\n`,
    );
    expect(existsSync(evidence.promotionStateFile)).toBe(false);
  });

  it("relays the evaluator's error and exit status; writes no result", async () => {
    const result = await cli([
      "--repo",
      repo,
      "--fleet-status-file",
      evidence.fleetStatusFile,
      "--max-drill-age-hours",
      "0",
    ]);
    expect(result).toEqual({
      code: 1,
      out: "",
      err: "error: --max-drill-age-hours must be an integer >= 1\n",
    });
    expect(existsSync(evidence.ciResultFile)).toBe(false);
    const hook = writeHookScript(path.join(temp.path, "gates.sh"), { stdout: "garbage" });
    expect(await cli(["--repo", repo], { OPS_MANAGER_PROMOTION_GATES_SCRIPT: hook })).toEqual({
      code: 1,
      out: "",
      err: "garbage\nerror: promotion evaluator output was not valid JSON\n",
    });
  });

  it("argument errors: --repo required, unknown argument (usage on stderr), missing value", async () => {
    expect(await cli([])).toEqual({ code: 1, out: "", err: "error: --repo is required\n" });
    const unknown = await cli(["--repo", repo, "--nope"]);
    expect([unknown.code, unknown.out]).toEqual([1, ""]);
    expect(unknown.err).toContain("Usage: ops-manager promotion ci");
    expect(unknown.err.endsWith("error: unknown argument: --nope\n")).toBe(true);
    const missing = await cli(["--repo", repo, "--result-file"]);
    expect(missing.err.endsWith("error: --result-file requires a value\n")).toBe(true);
    expect(await cli(["--repo", "gone"])).toEqual({
      code: 1,
      out: "",
      err: `error: repo directory not found: ${path.join(temp.path, "gone")}\n`,
    });
  });
});
