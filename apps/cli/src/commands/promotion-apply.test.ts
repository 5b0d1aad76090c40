// `ops-manager promotion apply` through the CLI (spec 32): stdout, stderr and exit codes over a
// real temp repo (registry checked by the real validator, decision documents shaped like spec 30).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { validateFleetRegistry } from "@ops/fleet";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

let temp: TempDir;
let fleet: ReturnType<typeof fleetPaths>;

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value)}\n`);
}

function registry(mode = "guarded_auto") {
  return {
    schemaVersion: "v1",
    fleetId: "fleet-main",
    loops: [{ loopId: "alpha", enabled: false }],
    policy: {
      mode,
      autonomous: {
        governance: {
          actor: "a",
          approvalRef: "CHG-1",
          rationale: "dogfood",
          changedAt: "2026-01-01T00:00:00Z",
          reviewBy: "2099-01-01T00:00:00Z",
        },
        rollout: { canaryPercent: 10 },
      },
    },
  };
}

beforeEach(() => {
  temp = makeTempDir("cli-promotion-apply-");
  fleet = fleetPaths(temp.path);
  const document = registry();
  expect(validateFleetRegistry(document, Math.floor(Date.now() / 1000))).toEqual([]);
  writeJson(fleet.registry, document);
  writeJson(fleet.promotionState, { schemaVersion: "v1", summary: { decision: "promote", failedGates: [] } });
});

afterEach(async () => {
  await temp.cleanup();
});

const GOVERNANCE = [
  "--by",
  "oncall-ana",
  "--approval-ref",
  "CAB-311",
  "--rationale",
  "guarded rollout expansion",
  "--review-by",
  "2099-01-01T00:00:00Z",
];

async function cli(args: readonly string[], env: Record<string, string> = {}) {
  const io = captureIo(env, temp.path);
  const code = await runCli(["promotion", "apply", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe("ops-manager promotion apply", () => {
  it("expand: one compact JSON line on stdout, nothing on stderr, exit 0; repeated --evidence-ref collected", async () => {
    const { code, out, err } = await cli([
      "--repo",
      ".",
      "--intent",
      "expand",
      "--expand-step",
      "15",
      ...GOVERNANCE,
      "--evidence-ref",
      "change://CAB-311",
      "--evidence-ref",
      "",
      "--evidence-ref",
      "artifact://run-1",
      "--trace-id",
      "t-1",
    ]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.endsWith("}\n") && out.split("\n")).toHaveLength(2);
    const record = JSON.parse(out);
    expect(record).toMatchObject({
      traceId: "t-1",
      intent: "expand",
      decision: "promote",
      evidenceRefs: [fleet.promotionState, "artifact://run-1", "change://CAB-311"],
      governance: { rationale: "guarded rollout expansion" },
      rollout: { after: { canaryPercent: 25, manualPause: false } },
    });
    expect(readFileSync(fleet.promotionApplyState, "utf8")).toBe(out);
    expect(readFileSync(fleet.telemetry.promotionApply, "utf8")).toBe(out);
  });

  it("--pretty indents stdout only", async () => {
    const { code, out } = await cli(["--repo", temp.path, "--intent", "resume", ...GOVERNANCE, "--pretty"]);
    expect(code).toBe(0);
    expect(out).toContain('\n  "schemaVersion": "v1",\n');
    expect(readFileSync(fleet.promotionApplyState, "utf8").split("\n")).toHaveLength(2);
  });

  it("decision gate: one error line, exit 1, stdout empty", async () => {
    writeJson(fleet.promotionState, { summary: { decision: "hold" } });
    const { code, out, err } = await cli(["--repo", ".", "--intent", "expand", ...GOVERNANCE]);
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err: "error: intent expand requires promotion decision promote (found: hold)\n",
    });
  });

  it("missing --intent and bad --expand-step use the spec's messages", async () => {
    expect(await cli(["--repo", ".", ...GOVERNANCE])).toEqual({
      code: 1,
      out: "",
      err: "error: --intent must be one of expand, resume, rollback\n",
    });
    expect(
      (await cli(["--repo", ".", "--intent", "rollback", "--expand-step", "08x", ...GOVERNANCE])).err,
    ).toBe("error: --expand-step must be an integer between 1 and 100\n");
  });

  it("an invalid registry prints the validator's block, then the apply error", async () => {
    writeJson(fleet.registry, { ...registry(), loops: [] });
    const { code, out, err } = await cli(["--repo", ".", "--intent", "expand", ...GOVERNANCE]);
    expect({ code, out }).toEqual({ code: 1, out: "" });
    expect(err).toBe(
      `error: invalid fleet registry: ${fleet.registry}\n - loops must include at least one loop entry\nerror: failed to read/validate fleet registry\n`,
    );
  });

  it("advisory mode is refused", async () => {
    writeJson(fleet.registry, registry("advisory"));
    expect((await cli(["--repo", ".", "--intent", "rollback", ...GOVERNANCE])).err).toBe(
      "error: promotion apply requires policy.mode guarded_auto\n",
    );
  });

  it("unknown argument: usage on stderr, then the error line; stdout stays empty", async () => {
    const { code, out, err } = await cli(["--repo", ".", "--intent", "rollback", "rollback", ...GOVERNANCE]);
    expect({ code, out }).toEqual({ code: 1, out: "" });
    expect(err).toContain("Usage: ops-manager promotion apply --repo <path> --intent");
    expect(err.endsWith("error: unknown argument: rollback\n")).toBe(true);
  });

  it("a value flag without a value is refused", async () => {
    const { code, err } = await cli([
      "--repo",
      ".",
      "--intent",
      "rollback",
      ...GOVERNANCE,
      "--idempotency-key",
    ]);
    expect(code).toBe(1);
    expect(err.endsWith("error: --idempotency-key requires a value\n")).toBe(true);
  });

  it("--help prints usage on stdout, exit 0, writes nothing", async () => {
    const { code, out, err } = await cli(["--help"]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toContain("--evidence-ref");
    expect(out).toContain("--apply-telemetry-file");
  });
});
