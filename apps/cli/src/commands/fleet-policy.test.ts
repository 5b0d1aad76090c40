// `ops-manager fleet policy` through the CLI (spec 22): one JSON document on stdout, the artifacts,
// `--format table` (colour only on a TTY, never with NO_COLOR), exit codes and error lines.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { FLEET_GOVERNANCE, makeTempDir, type TempDir, writeFleetRegistry } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../io.js";
import { runCli } from "../run.js";

let tmp: TempDir;
let fleet: ReturnType<typeof fleetPaths>;

beforeEach(() => {
  tmp = makeTempDir("ops-cli-fleet-policy-");
  fleet = fleetPaths(tmp.path);
  mkdirSync(fleet.dir, { recursive: true });
});

afterEach(async () => {
  await tmp.cleanup();
});

function writeRegistry(policy: Record<string, unknown> = {}): void {
  writeFleetRegistry(tmp.path, {
    schemaVersion: "v1",
    fleetId: "fleet-east",
    loops: [{ loopId: "alpha" }, { loopId: "beta" }, { loopId: "gamma" }],
    policy,
  });
}

function writeFleetState(): void {
  writeFileSync(
    fleet.state,
    JSON.stringify({
      schemaVersion: "v1",
      fleetId: "fleet-east",
      traceId: "fx-1",
      status: "partial_failure",
      results: [
        { loopId: "beta", status: "failed", healthStatus: "critical", traceId: "fx-1-beta" },
        { loopId: "alpha", status: "success", healthStatus: "healthy", traceId: "fx-1-alpha" },
        { loopId: "gamma", status: "success", healthStatus: "degraded", traceId: "fx-1-gamma" },
      ],
    }),
  );
}

async function cli(args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text), isTTY: options.tty === true },
    stderr: { write: (text: string) => (err += text) },
    env: { ...options.env },
    cwd: tmp.path,
  };
  const code = await runCli(["fleet", "policy", ...args], io);
  return { code, out, err };
}

describe("ops-manager fleet policy", () => {
  it("prints the policy state (compact, one line) and writes the artifacts", async () => {
    writeRegistry({
      mode: "guarded_auto",
      suppressions: { "*": ["health_degraded"] },
      autonomous: {
        governance: { ...FLEET_GOVERNANCE, reviewBy: "2999-06-01T00:00:00Z" },
      },
    });
    writeFleetState();
    const { code, out, err } = await cli(["--repo", "."]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    const state = JSON.parse(out);
    expect(state).toMatchObject({
      fleetId: "fleet-east",
      traceId: "fx-1",
      mode: "guarded_auto",
      candidateCount: 3,
    });
    expect(state.candidates.map((c: { candidateId: string }) => c.candidateId)).toEqual([
      "beta:health_critical",
      "beta:reconcile_failed",
      "gamma:health_degraded",
    ]);
    expect(state.autoEligibleCount).toBe(1);
    expect(JSON.parse(readFileSync(fleet.policyState, "utf8"))).toEqual(state);
    expect(readFileSync(fleet.telemetry.policyHistory, "utf8").trim().split("\n")).toHaveLength(3);
    expect(readFileSync(fleet.telemetry.policy, "utf8").trim().split("\n")).toHaveLength(1);
    expect(readFileSync(fleet.telemetry.policyGovernance, "utf8")).toContain("autonomous_policy_initialized");

    const pretty = await cli(["--repo", ".", "--pretty", "--dedupe-window-seconds", "0"]);
    expect(pretty.code).toBe(0);
    expect(pretty.out.startsWith('{\n  "schemaVersion": "v1",')).toBe(true);
  });

  it("--format table: one row per candidate; colour only on a TTY and never with NO_COLOR", async () => {
    writeRegistry({ suppressions: { gamma: ["health_degraded"] } });
    writeFleetState();
    const plain = await cli(["--repo", ".", "--format", "table"]);
    expect(plain.code).toBe(0);
    expect(plain.out).not.toContain("\u001b");
    const lines = plain.out.trimEnd().split("\n");
    const header = lines.findIndex((line) => line.startsWith("LOOP"));
    expect(lines[header]).toMatch(/^LOOP\s+CATEGORY\s+SEVERITY\s+SUPPRESSED\s+AUTONOMY\s+REASONS$/);
    const rows = lines.slice(header + 1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(
      /^beta\s+health_critical\s+critical\s+no\s+manual-only\s+policy_mode_not_guarded_auto$/,
    );
    expect(rows[2]).toMatch(
      /^gamma\s+health_degraded\s+warning\s+loop \(policy\.suppressions\.<loopId>\)\s+manual-only\s+candidate_suppressed,/,
    );
    expect(lines[0]).toContain("mode advisory");

    const tty = await cli(["--repo", ".", "--format", "table", "--dedupe-window-seconds", "0"], {
      tty: true,
    });
    expect(tty.out).toContain("\u001b[");
    const noColor = await cli(["--repo", ".", "--format", "table", "--dedupe-window-seconds", "0"], {
      tty: true,
      env: { NO_COLOR: "1" },
    });
    expect(noColor.out).not.toContain("\u001b");

    const bad = await cli(["--repo", ".", "--format", "yaml"]);
    expect(bad).toMatchObject({ code: 1, out: "" });
    expect(bad.err).toContain("error: --format must be json or table");
  });

  it("errors: one error line, exit 1, no JSON; registry problems as the §3.1 block", async () => {
    const missingRepo = await cli([]);
    expect(missingRepo).toMatchObject({ code: 1, out: "" });
    expect(missingRepo.err).toContain("error: --repo is required");

    const noState = await cli(["--repo", "."]);
    expect(noState).toEqual({ code: 1, out: "", err: `error: fleet state file not found: ${fleet.state}\n` });

    writeFleetState();
    writeFileSync(fleet.registry, JSON.stringify({ schemaVersion: "v1", loops: [{ loopId: "" }] }));
    const invalid = await cli(["--repo", "."]);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toBe(
      `error: invalid fleet registry: ${fleet.registry}\n - loops[0]: loopId must be a non-empty string\n`,
    );

    writeRegistry();
    const dedupe = await cli(["--repo", ".", "--dedupe-window-seconds", "abc"]);
    expect(dedupe).toEqual({
      code: 1,
      out: "",
      err: "error: --dedupe-window-seconds must be a non-negative integer\n",
    });
    expect(existsSync(fleet.policyState)).toBe(false);

    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--dedupe-window-seconds");
  });

  it("explicit relative paths resolve against the working directory and are echoed verbatim", async () => {
    writeRegistry();
    writeFleetState();
    mkdirSync(path.join(tmp.path, "alt"), { recursive: true });
    const { code, out } = await cli([
      "--repo",
      ".",
      "--policy-state-file",
      "alt/policy.json",
      "--policy-history-file",
      "alt/history.jsonl",
      "--trace-id",
      "manual-1",
    ]);
    expect(code).toBe(0);
    const state = JSON.parse(out);
    expect(state.traceId).toBe("manual-1");
    expect(state.noiseControls.policyHistoryFile).toBe("alt/history.jsonl");
    expect(existsSync(path.join(tmp.path, "alt/policy.json"))).toBe(true);
    expect(existsSync(path.join(tmp.path, "alt/history.jsonl"))).toBe(true);
  });
});
