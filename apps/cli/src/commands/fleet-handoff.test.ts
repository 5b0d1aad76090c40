// `ops-manager fleet handoff` end to end through the CLI (spec 24): plan, operator-confirmed
// execution through the real per-loop control (testkit runtime), --format table colour rules,
// repeatable filters, exit codes and the one-line errors.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createSimulatedRepo, FLEET_GOVERNANCE, type SimulatedRepo, superloopBinPath } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../io.js";
import { runCli } from "../run.js";

let repo: SimulatedRepo;

beforeEach(() => {
  repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
});

afterEach(async () => {
  await repo.cleanup();
});

const fleetDir = () => path.join(repo.root, ".superloop/ops-manager/fleet");

function writeFleet(mode = "advisory"): void {
  mkdirSync(fleetDir(), { recursive: true });
  writeFileSync(
    path.join(fleetDir(), "registry.v1.json"),
    JSON.stringify({
      schemaVersion: "v1",
      fleetId: "fleet-east",
      loops: [{ loopId: "alpha" }, { loopId: "beta" }],
      policy: {
        mode,
        autonomous: {
          governance: { ...FLEET_GOVERNANCE, reviewBy: "2099-06-01T00:00:00Z" },
        },
      },
    }),
  );
  const candidate = (loopId: string, eligible: boolean, reasons: string[]) => ({
    loopId,
    category: "health_critical",
    signal: "health_critical",
    traceId: `fx-1-${loopId}`,
    candidateId: `${loopId}:health_critical`,
    severity: "critical",
    confidence: "high",
    rationale: "Loop health is critical",
    taxonomyVersion: "v1",
    recommendedIntent: "cancel",
    suppressionScope: null,
    suppressed: false,
    suppressionReason: null,
    suppressionSource: null,
    autonomous: { mode, eligible, manualOnly: !eligible, reasons, gatingReasons: reasons },
  });
  writeFileSync(
    path.join(fleetDir(), "policy-state.json"),
    JSON.stringify({
      schemaVersion: "v1",
      fleetId: "fleet-east",
      traceId: "fx-1",
      mode,
      candidates: [
        candidate("alpha", true, []),
        candidate("beta", false, ["autonomous_rollout_paused_auto", "\u001b[31mred"]),
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
    env: {
      PATH: process.env["PATH"] ?? "",
      USER: "ops-user",
      SUPERLOOP_BIN: superloopBinPath(),
      SUPERLOOP_SIM_KILL_GRACE_MS: "300",
      ...options.env,
    },
    cwd: repo.root,
  };
  const code = await runCli(["fleet", "handoff", ...args], io);
  return { code, out, err };
}

describe("ops-manager fleet handoff", () => {
  it("plan: one compact JSON document, exit 0; the state file holds the same document", async () => {
    writeFleet();
    const { code, out, err } = await cli(["--repo", "."]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    const document = JSON.parse(out);
    expect(document.intents.map((intent: { intentId: string }) => intent.intentId)).toEqual([
      "alpha:health_critical:cancel",
      "beta:health_critical:cancel",
    ]);
    expect(JSON.parse(readFileSync(path.join(fleetDir(), "handoff-state.json"), "utf8"))).toEqual(document);
    const pretty = await cli(["--repo", ".", "--pretty"]);
    expect(pretty.out).toContain('\n  "schemaVersion": "v1"');
  });

  it("--execute --confirm runs the real control for the filtered loop; repeated --loop flags", async () => {
    writeFleet();
    const alpha = repo.loop("alpha");
    const proc = await alpha.startRunProcess({ children: 1 });
    alpha.iteration();
    const { code, out, err } = await cli([
      "--repo",
      ".",
      "--execute",
      "--confirm",
      "--loop",
      "alpha",
      "--loop",
      "alpha",
      "--by",
      "alice",
      "--note",
      "incident-7",
      "--timeout-seconds",
      "10",
      "--interval-seconds",
      "1",
    ]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(proc.isAlive()).toBe(false);
    const document = JSON.parse(out);
    expect(document.execution).toMatchObject({
      mode: "manual",
      requestedBy: "alice",
      note: "incident-7",
      requestedIntentCount: 1,
      executedCount: 1,
    });
    expect(document.execution.results[0]).toMatchObject({
      loopId: "alpha",
      status: "executed",
      controlExitCode: 0,
    });
    const unknown = await cli(["--repo", ".", "--execute", "--confirm", "--loop", "alpha", "--loop", "zeta"]);
    expect(unknown).toEqual({
      code: 1,
      out: "",
      err: "error: loop filter not found in manual execution intents: zeta\n",
    });
  }, 30000);

  it("--format table: one row per intent; colour only on a TTY and never with NO_COLOR", async () => {
    writeFleet("guarded_auto");
    const plain = await cli(["--repo", ".", "--format", "table"]);
    expect(plain.code).toBe(0);
    expect(plain.out).not.toContain("\u001b");
    const lines = plain.out.split("\n");
    const header = lines.findIndex((line) => line.startsWith("LOOP"));
    expect(lines[header]).toMatch(/^LOOP +INTENT +STATUS +AUTONOMY +GATE REASONS +EXECUTION$/);
    expect(lines[header + 1]).toMatch(
      /^alpha +alpha:health_critical:cancel +pending_operator_confirmation +eligible +- +-$/,
    );
    // The hostile reason value is sanitised (no terminal escape injection).
    expect(lines[header + 2]).toMatch(/^beta .* manual-only +autonomous_rollout_paused_auto,\?\[31mred +-$/);
    expect(plain.out).toContain("mode guarded_auto");
    const tty = await cli(["--repo", ".", "--format", "table"], { tty: true });
    expect(tty.out).toContain("\u001b[");
    expect(tty.out).not.toContain("\u001b[31mred");
    const noColor = await cli(["--repo", ".", "--format", "table"], { tty: true, env: { NO_COLOR: "1" } });
    expect(noColor.out).not.toContain("\u001b");
    expect(await cli(["--repo", ".", "--format", "yaml"])).toMatchObject({
      code: 1,
      err: "error: --format must be json or table\n",
    });
  });

  it("errors: one line on stderr, exit 1, stdout empty, nothing written", async () => {
    expect(await cli([])).toEqual({ code: 1, out: "", err: "error: --repo is required\n" });
    expect(await cli(["--repo", ".", "--execute"])).toEqual({
      code: 1,
      out: "",
      err: "error: --execute requires --confirm to enforce explicit operator confirmation\n",
    });
    expect(await cli(["--repo", ".", "--execute", "--autonomous-execute"])).toMatchObject({
      code: 1,
      err: "error: --execute and --autonomous-execute are mutually exclusive\n",
    });
    expect(await cli(["--repo", "."])).toMatchObject({
      code: 1,
      err: `error: policy state file not found: ${path.join(fleetDir(), "policy-state.json")}\n`,
    });
    expect(existsSync(fleetDir())).toBe(false);
    writeFleet();
    expect(await cli(["--repo", ".", "--autonomous-execute"])).toMatchObject({
      code: 1,
      out: "",
      err: "error: --autonomous-execute requires policy mode guarded_auto\n",
    });
    writeFileSync(
      path.join(fleetDir(), "registry.v1.json"),
      JSON.stringify({ schemaVersion: "v1", loops: [] }),
    );
    const invalid = await cli(["--repo", "."]);
    expect(invalid.code).toBe(1);
    expect(
      invalid.err.startsWith(
        `error: invalid fleet registry: ${path.join(fleetDir(), "registry.v1.json")}\n - `,
      ),
    ).toBe(true);
    expect(existsSync(path.join(fleetDir(), "handoff-state.json"))).toBe(false);
    const unknownArg = await cli(["--repo", ".", "--bogus"]);
    expect(unknownArg.code).toBe(1);
    expect(unknownArg.out).toBe("");
    expect(unknownArg.err).toContain("error: unknown argument: --bogus");
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--autonomous-execute");
  });
});
