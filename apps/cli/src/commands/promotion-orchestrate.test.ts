// `ops-manager promotion orchestrate` through the CLI (spec 33): the CI wrapper replaced by a small
// executable (OPS_MANAGER_PROMOTION_CI_SCRIPT) writing a decision document, the real in-process
// apply on a real temp registry; stdout, stderr and exit codes.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { validateFleetRegistry } from "@ops/fleet";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

let temp: TempDir;
let fleet: ReturnType<typeof fleetPaths>;
let ciHook: string;

const CI_SCRIPT = `#!/usr/bin/env node
import { writeFileSync } from "node:fs";
const args = process.argv.slice(2);
const result = JSON.stringify({ schemaVersion: "v1", summary: { decision: process.env.DECISION, failedGates: [], reasonCodes: [] } });
writeFileSync(args[args.indexOf("--result-file") + 1], result + "\\n");
writeFileSync(args[args.indexOf("--summary-file") + 1], "## Ops Manager Promotion CI\\n");
process.stdout.write(result + "\\n");
process.exit(args.includes("--fail-on-hold") && process.env.DECISION === "hold" ? 2 : 0);
`;

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value)}\n`);
}

beforeEach(() => {
  temp = makeTempDir("cli-promotion-orchestrate-");
  fleet = fleetPaths(temp.path);
  const registry = {
    schemaVersion: "v1",
    loops: [{ loopId: "alpha" }],
    policy: {
      mode: "guarded_auto",
      autonomous: {
        governance: {
          actor: "a",
          approvalRef: "CHG-1",
          rationale: "dogfood",
          changedAt: "2026-01-01T00:00:00Z",
          reviewBy: "2099-01-01T00:00:00Z",
        },
        rollout: { canaryPercent: 50 },
      },
    },
  };
  expect(validateFleetRegistry(registry, Math.floor(Date.now() / 1000))).toEqual([]);
  writeJson(fleet.registry, registry);
  ciHook = path.join(temp.path, "ci-hook.mjs");
  writeFileSync(ciHook, CI_SCRIPT);
  chmodSync(ciHook, 0o755);
});

afterEach(async () => {
  await temp.cleanup();
});

async function cli(args: readonly string[], decision: string) {
  const io = captureIo(
    { PATH: process.env["PATH"], OPS_MANAGER_PROMOTION_CI_SCRIPT: ciHook, DECISION: decision },
    temp.path,
  );
  const code = await runCli(["promotion", "orchestrate", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const GOVERNANCE = [
  "--by",
  "oncall-ana",
  "--approval-ref",
  "INC-7",
  "--rationale",
  "incident rollback to manual pause",
  "--review-by",
  "2099-01-01T00:00:00Z",
];

describe("ops-manager promotion orchestrate", () => {
  it("rollback on hold with a multi-word rationale: one JSON document, exit 0, registry paused", async () => {
    const { code, out, err } = await cli(["--repo", ".", "--mode", "rollback", ...GOVERNANCE], "hold");
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const result = JSON.parse(out);
    expect(out.split("\n")).toHaveLength(2);
    expect(result).toMatchObject({
      mode: "rollback",
      status: "rolled_back",
      decision: "hold",
      apply: { executed: true, intent: "rollback" },
    });
    expect(result.apply.record.governance.rationale).toBe("incident rollback to manual pause");
    expect(readFileSync(fleet.promotionOrchestrateResult, "utf8")).toBe(out);
    const registry = JSON.parse(readFileSync(fleet.registry, "utf8"));
    expect(registry.policy.autonomous.rollout).toMatchObject({ canaryPercent: 50, pause: { manual: true } });
  });

  it("--pretty output; dry_run needs no governance", async () => {
    const { code, out } = await cli(["--repo", temp.path, "--mode", "dry_run", "--pretty"], "promote");
    expect(code).toBe(0);
    expect(out).toContain('\n  "status": "preview",\n');
    expect(readFileSync(fleet.promotionOrchestrateResult, "utf8").split("\n")).toHaveLength(2);
  });

  it("hold with --fail-on-hold: exit 2, the wrapper's output on stderr, stdout empty", async () => {
    const { code, out, err } = await cli(
      ["--repo", ".", "--mode", "rollback", "--fail-on-hold", ...GOVERNANCE],
      "hold",
    );
    expect({ code, out }).toEqual({ code: 2, out: "" });
    expect(JSON.parse(err)).toMatchObject({ summary: { decision: "hold" } });
  });

  it("apply on hold: apply's error line and exit 1", async () => {
    const { code, out, err } = await cli(["--repo", ".", "--mode", "apply", ...GOVERNANCE], "hold");
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err: "error: intent expand requires promotion decision promote (found: hold)\n",
    });
  });

  it("own validation: governance required per mode, unknown mode", async () => {
    expect(await cli(["--repo", ".", "--mode", "apply", "--by", "x"], "promote")).toEqual({
      code: 1,
      out: "",
      err: "error: --approval-ref is required for mode apply\n",
    });
    expect((await cli(["--repo", ".", "--mode", "preview"], "promote")).err).toBe(
      "error: --mode must be one of dry_run, apply, rollback\n",
    );
  });

  it("--help lists every flag of spec 33 §1", async () => {
    const { code, out } = await cli(["--help"], "promote");
    expect(code).toBe(0);
    for (const flag of [
      "--apply-intent",
      "--promotion-ci-result-file",
      "--skip-on-missing-evidence",
      "--fail-on-hold",
      "--evidence-ref",
      "--review-by",
    ]) {
      expect(out).toContain(flag);
    }
  });
});
