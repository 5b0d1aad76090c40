// `ops-manager promotion gates` end to end through runCli on real evidence files (spec 30):
// argument handling (§2, careful Q6/Q7), stdout/stderr, exit codes, artifacts.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import {
  makeTempDir,
  type PromotionEvidencePaths,
  promotionFleetStatus,
  type TempDir,
  writeHookScript,
  writePromotionEvidence,
  writePromotionFleetState,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

let temp: TempDir;
let repo: string;
let evidence: PromotionEvidencePaths;

beforeEach(() => {
  temp = makeTempDir("cli-promotion-gates-");
  repo = path.join(temp.path, "repo");
  mkdirSync(repo);
  evidence = writePromotionEvidence(repo, { now: new Date() });
});

afterEach(async () => {
  await temp.cleanup();
});

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIo(env, temp.path);
  const code = await runCli(["promotion", "gates", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe("ops-manager promotion gates", () => {
  it("prints one compact decision document, writes state and telemetry, exit 0", async () => {
    const { code, out, err } = await cli(["--repo", "repo", "--fleet-status-file", evidence.fleetStatusFile]);
    expect([code, err]).toEqual([0, ""]);
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    const document = JSON.parse(out) as { summary: { decision: string }; source: { repoPath: string } };
    expect(document.summary.decision).toBe("promote");
    expect(document.source.repoPath).toBe(repo);
    expect(readFileSync(evidence.promotionStateFile, "utf8")).toBe(out);
    expect(readFileSync(evidence.promotionTelemetryFile, "utf8")).toBe(out);
  });

  it("--pretty indents stdout only; --fail-on-hold exits 2 on hold after printing and writing", async () => {
    writeFileSync(evidence.fleetStatusFile, JSON.stringify(promotionFleetStatus({ autopauseActive: true })));
    const { code, out, err } = await cli([
      "--repo",
      repo,
      "--fleet-status-file",
      evidence.fleetStatusFile,
      "--fail-on-hold",
      "--pretty",
    ]);
    expect([code, err]).toEqual([2, ""]);
    const document = JSON.parse(out) as unknown;
    expect(out).toBe(`${JSON.stringify(document, null, 2)}\n`);
    expect(document).toMatchObject({ summary: { decision: "hold", failedGates: ["safety_suppression"] } });
    expect(readFileSync(evidence.promotionStateFile, "utf8")).toBe(`${JSON.stringify(document)}\n`);
  });

  it("--help prints usage on stdout, exit 0, writes nothing", async () => {
    const before = listing(repo);
    for (const flag of ["--help", "-h"]) {
      const { code, out, err } = await cli(["--repo", repo, flag]);
      expect([code, err]).toEqual([0, ""]);
      expect(out).toContain("ops-manager promotion gates --repo <path>");
      expect(out).toContain("--max-drill-age-hours");
    }
    expect(listing(repo)).toEqual(before);
  });

  it("unknown argument: usage on stderr (careful Q6), stdout empty, exit 1", async () => {
    const { code, out, err } = await cli(["--repo", repo, "--bogus"]);
    expect([code, out]).toEqual([1, ""]);
    expect(err).toContain("Usage: ops-manager promotion gates");
    expect(err.endsWith("error: unknown argument: --bogus\n")).toBe(true);
    expect(existsSync(evidence.promotionStateFile)).toBe(false);
  });

  it("a value flag last without value: error: <flag> requires a value (careful Q7)", async () => {
    const { code, out, err } = await cli(["--repo", repo, "--window-executions"]);
    expect([code, out]).toEqual([1, ""]);
    expect(err.endsWith("error: --window-executions requires a value\n")).toBe(true);
  });

  it("a value flag consumes the next argument verbatim; the last repeat wins", async () => {
    const { code, out } = await cli([
      "--repo",
      repo,
      "--fleet-status-file",
      evidence.fleetStatusFile,
      "--trace-id",
      "--pretty",
      "--max-manual-backlog",
      "9",
      "--max-manual-backlog",
      "3",
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ traceId: "--pretty", thresholds: { maxManualBacklog: 3 } });
  });

  it("bad input: exactly one error line, empty stdout, exit 1, nothing written", async () => {
    const cases: [string[], string][] = [
      [[], "error: --repo is required\n"],
      [["--repo", "", "--window-executions", "0"], "error: --repo is required\n"],
      [["--repo", repo, "--window-executions", "0"], "error: --window-executions must be an integer >= 1\n"],
      [
        ["--repo", repo, "--max-failure-rate", "1e-1"],
        "error: --max-failure-rate must be a number between 0 and 1\n",
      ],
      [["--repo", "missing"], `error: repo directory not found: ${path.join(temp.path, "missing")}\n`],
      [["--repo", repo, "--fleet-status-file", "x.json"], "error: fleet status file not found: x.json\n"],
    ];
    const before = listing(repo);
    for (const [args, err] of cases) {
      expect(await cli(args)).toEqual({ code: 1, out: "", err });
    }
    expect(listing(repo)).toEqual(before);
  });

  it("generated status: the producer's stderr precedes our error line", async () => {
    const hook = writeHookScript(path.join(temp.path, "status.sh"), {
      stderr: "error: fleet state file not found: /x/state.json\n",
      exitCode: 1,
    });
    const result = await cli(["--repo", repo], { OPS_MANAGER_FLEET_STATUS_SCRIPT: hook });
    expect(result).toEqual({
      code: 1,
      out: "",
      err: `error: fleet state file not found: /x/state.json\nerror: failed to read fleet status via ${hook}\n`,
    });
  });

  it("generated in-process status: promote from the fleet artifacts; without fleet state two error lines", async () => {
    const failed = await cli(["--repo", repo]);
    expect(failed).toEqual({
      code: 1,
      out: "",
      err: `error: fleet state file not found: ${fleetPaths(repo).state}\nerror: failed to read fleet status via ops-manager fleet status\n`,
    });
    writePromotionFleetState(repo);
    const { code, out, err } = await cli(["--repo", repo, "--fail-on-hold"]);
    expect([code, err]).toEqual([0, ""]);
    expect(JSON.parse(out)).toMatchObject({
      source: { fleetStatusSource: "generated", fleetStatusFile: null },
      summary: { decision: "promote" },
    });
  });
});
