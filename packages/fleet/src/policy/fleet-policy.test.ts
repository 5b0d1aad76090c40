// `fleet policy` over real artifacts: testkit loops, a real `fleetReconcile` producing the fleet
// state, then policy runs reading/writing real files (error order §1.1, write order §9.1, replay
// §10, the kill-switch drill, auto-pause from a real handoff telemetry file read from its tail).
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Clock, fleetPaths, ValidationError } from "@ops/contract";
import {
  FleetPolicyStateSchema,
  GovernanceAuditEventSchema,
  PolicyHistoryRowSchema,
  PolicyTelemetryRowSchema,
} from "@ops/policy";
import { notConfiguredAlertDispatch } from "@ops/reconcile";
import {
  createSimulatedRepo,
  defaultFleetPolicy,
  FLEET_GOVERNANCE,
  makeTempDir,
  type SimulatedRepo,
  type TempDir,
  writeFleetRegistry,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fleetReconcile } from "../reconcile/index.js";
import { FleetRegistryInvalidError } from "../registry/index.js";
import { type FleetPolicyContext, fleetPolicy } from "./fleet-policy.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
let now = new Date("2026-03-02T10:01:00Z");
const clock: Clock = { now: () => now };

let repo: SimulatedRepo;
let tmp: TempDir;
let fleet: ReturnType<typeof fleetPaths>;

beforeEach(() => {
  now = new Date("2026-03-02T10:01:00Z");
  repo = createSimulatedRepo(undefined, { start: "2026-03-02T09:00:00Z" });
  tmp = makeTempDir("ops-fleet-policy-");
  fleet = fleetPaths(repo.root);
});

afterEach(async () => {
  await repo.cleanup();
  await tmp.cleanup();
});

function writeRegistry(policy: Record<string, unknown> = {}, loops = ["alpha", "beta", "gamma"]): void {
  writeFleetRegistry(repo.root, {
    schemaVersion: "v1",
    fleetId: "fleet-east",
    loops: loops.map((loopId) => ({ loopId })),
    policy,
  });
}

function guarded(autonomous: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    mode: "guarded_auto",
    noiseControls: { dedupeWindowSeconds: 0 },
    autonomous: { governance: FLEET_GOVERNANCE, ...autonomous },
    ...extra,
  };
}

function context(extra: Partial<FleetPolicyContext> = {}): FleetPolicyContext {
  return { clock, env: {}, cwd: tmp.path, generateTraceId: () => "GEN-TRACE", ...extra };
}

/** Real loops + real fleet reconcile: alpha healthy, beta critical, gamma fails (no artifacts). */
async function reconcileFleet(policy: Record<string, unknown> = {}) {
  repo.scenario("complete", "alpha");
  repo.scenario("staleHeartbeat", "beta");
  writeRegistry(policy);
  return fleetReconcile(
    { repo: repo.root, traceId: "fx-1", deterministicOrder: true },
    {
      clock,
      env: {},
      cwd: tmp.path,
      installRoot: INSTALL_ROOT,
      reconcileContext: { alertDispatch: notConfiguredAlertDispatch },
    },
  );
}

function readJsonl(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("fleet policy over a real fleet reconcile", () => {
  it("advisory run: candidates from the real fleet state, artifacts written in order, replay dedupes", async () => {
    const fleetState = await reconcileFleet();
    const expected = fleetState.results.flatMap((r) => [
      ...(r.healthStatus === "critical" ? [`${r.loopId}:health_critical`] : []),
      ...(r.healthStatus === "degraded" ? [`${r.loopId}:health_degraded`] : []),
      ...(r.status === "failed" ? [`${r.loopId}:reconcile_failed`] : []),
    ]);
    expect(expected).toContain("gamma:reconcile_failed");
    expect(expected.length).toBeGreaterThanOrEqual(2);

    const state = await fleetPolicy({ repo: repo.root }, context());
    expect(FleetPolicyStateSchema.parse(state)).toEqual(state);
    expect(state.candidates.map((c) => c.candidateId)).toEqual([...expected].sort());
    expect(state).toMatchObject({
      fleetId: "fleet-east",
      traceId: "fx-1", // inherited from the fleet state (§1)
      mode: "advisory",
      fleetStatus: fleetState.status,
      evaluatedLoopCount: 3,
      source: { fleetStateFile: fleet.state, registryFile: fleet.registry },
      noiseControls: {
        dedupeWindowSeconds: 300,
        policyHistoryFile: fleet.telemetry.policyHistory,
        handoffTelemetryFile: fleet.telemetry.handoff,
      },
      autonomous: { enabled: false, governanceAuditFile: fleet.telemetry.policyGovernance },
      unsuppressedCount: expected.length,
      reasonCodes: ["fleet_action_required"],
    });
    const gamma = state.candidates.find((c) => c.candidateId === "gamma:reconcile_failed");
    expect(gamma?.traceId).toBe("fx-1-gamma");

    // §9.1: state file = stdout document; one governance event; one history line per candidate; one telemetry line.
    expect(JSON.parse(readFileSync(fleet.policyState, "utf8"))).toEqual(state);
    const governance = readJsonl(fleet.telemetry.policyGovernance);
    expect(governance).toHaveLength(1);
    expect(GovernanceAuditEventSchema.parse(governance[0])).toMatchObject({
      eventType: "autonomous_policy_initialized",
      source: {
        registryFile: fleet.registry,
        policyStateFile: fleet.policyState,
        governanceAuditFile: fleet.telemetry.policyGovernance,
      },
    });
    const history = readJsonl(fleet.telemetry.policyHistory);
    expect(history.map((row) => PolicyHistoryRowSchema.parse(row).candidateId)).toEqual(
      state.candidates.map((c) => c.candidateId),
    );
    const telemetry = readJsonl(fleet.telemetry.policy);
    expect(telemetry).toHaveLength(1);
    expect(PolicyTelemetryRowSchema.parse(telemetry[0]).summary.candidateCount).toBe(state.candidateCount);

    // §10: an immediate re-run sees run 1's history — every candidate deduped; no governance line.
    now = new Date("2026-03-02T10:02:00Z");
    const rerun = await fleetPolicy({ repo: repo.root, traceId: "fx-2" }, context());
    expect(rerun.candidates.every((c) => c.suppressionReason === "advisory_cooldown_active")).toBe(true);
    expect(rerun.candidates.every((c) => c.cooldown.remainingSeconds === 240)).toBe(true);
    expect(rerun.reasonCodes).toEqual([
      "fleet_actions_deduped",
      "fleet_actions_suppressed",
      "no_action_required",
    ]);
    expect(readJsonl(fleet.telemetry.policyGovernance)).toHaveLength(1);
    expect(readJsonl(fleet.telemetry.policyHistory)).toHaveLength(2 * state.candidateCount);
    expect(readJsonl(fleet.telemetry.policy)).toHaveLength(2);
    // --dedupe-window-seconds 0 overrides the registry: surfaced again.
    const noDedupe = await fleetPolicy({ repo: repo.root, dedupeWindowSeconds: "0" }, context());
    expect(noDedupe.unsuppressedCount).toBe(state.candidateCount);
    expect(noDedupe.noiseControls.dedupeWindowSeconds).toBe(0);
  });

  it("kill-switch drill: eligible → kill switch halts autonomy (audited) → released", async () => {
    await reconcileFleet(guarded());
    const first = await fleetPolicy({ repo: repo.root }, context());
    expect(first.mode).toBe("guarded_auto");
    expect(first.autoEligibleCount).toBe(1);
    expect(first.reasonCodes).toContain("fleet_auto_candidates_eligible");

    // Operator flips the kill switch in the registry (cooldown off so only the switch matters).
    writeRegistry(guarded({ safety: { killSwitch: true, cooldownSeconds: 0 } }));
    now = new Date("2026-03-02T10:03:00Z");
    const killed = await fleetPolicy({ repo: repo.root }, context());
    expect(killed.autoEligibleCount).toBe(0);
    expect(killed.manualOnlyCount).toBe(killed.unsuppressedCount);
    expect(killed.reasonCodes).toEqual(
      expect.arrayContaining(["fleet_auto_candidates_blocked", "fleet_auto_kill_switch_enabled"]),
    );
    expect(killed.reasonCodes).not.toContain("fleet_auto_candidates_eligible");
    expect(killed.candidates.every((c) => c.autonomous.safety.killSwitchActive)).toBe(true);
    expect(killed.summary.byAutonomyReason["autonomous_kill_switch_enabled"]).toBeGreaterThan(0);
    // Pause/suppression untouched: every candidate still goes to the manual handoff.
    expect(killed.unsuppressedCount).toBe(first.unsuppressedCount);

    const events = readJsonl(fleet.telemetry.policyGovernance);
    expect(events.map((e) => e["eventType"])).toEqual([
      "autonomous_policy_initialized",
      "autonomous_policy_mutated",
    ]);
    expect(events[1]).toMatchObject({
      previousControls: { safety: { killSwitch: false } },
      controls: { safety: { killSwitch: true } },
    });

    // Same registry again: the audit log does not grow.
    now = new Date("2026-03-02T10:04:00Z");
    await fleetPolicy({ repo: repo.root }, context());
    expect(readJsonl(fleet.telemetry.policyGovernance)).toHaveLength(2);

    // Release: eligibility returns (cooldown 0), and the release is audited too.
    writeRegistry(guarded({ safety: { killSwitch: false, cooldownSeconds: 0 } }));
    now = new Date("2026-03-02T10:05:00Z");
    const released = await fleetPolicy({ repo: repo.root }, context());
    expect(released.autoEligibleCount).toBe(1);
    expect(readJsonl(fleet.telemetry.policyGovernance).map((e) => e["eventType"])).toEqual([
      "autonomous_policy_initialized",
      "autonomous_policy_mutated",
      "autonomous_policy_mutated",
    ]);

    // Back to advisory: mode toggle wins over mutation.
    writeRegistry({ mode: "advisory" });
    now = new Date("2026-03-02T10:06:00Z");
    await fleetPolicy({ repo: repo.root }, context());
    expect(readJsonl(fleet.telemetry.policyGovernance).at(-1)).toMatchObject({
      eventType: "autonomous_mode_toggled",
      mode: "advisory",
      previousMode: "guarded_auto",
    });
  });

  it("auto-pause from the handoff telemetry tail; explicit paths are echoed verbatim", async () => {
    await reconcileFleet(guarded());
    const handoff = path.join(tmp.path, "handoff.jsonl");
    // Garbage far before the window is never read: only the tail is (§5.1 needs the last N executes).
    let text = "this line is not JSON\n";
    for (let i = 0; i < 40; i += 1) {
      const at = `2026-03-02T09:${String(i).padStart(2, "0")}:00Z`;
      text += `${JSON.stringify({ timestamp: at, category: "fleet_handoff_plan", summary: {} })}\n`;
      const failed = i >= 37 ? 1 : 0;
      text += `${JSON.stringify({
        timestamp: at,
        category: "fleet_handoff_execute",
        execution: {
          mode: "autonomous",
          requestedIntentCount: 1,
          executedIntentCount: 1,
          executedCount: 1 - failed,
          ambiguousCount: 0,
          failedCount: failed,
        },
      })}\n`;
    }
    writeFileSync(handoff, text);
    const state = await fleetPolicy(
      { repo: repo.root, handoffTelemetryFile: "handoff.jsonl", policyStateFile: "out/policy.json" },
      context({ handoffTailLines: 4 }),
    );
    expect(state.autonomous.rollout.pause).toMatchObject({
      active: true,
      reasons: ["autonomous_rollout_paused_auto"],
      auto: {
        active: true,
        reasons: ["autonomous_autopause_failure_spike"],
        metrics: {
          windowExecutionCount: 5,
          attemptedCount: 5,
          executedCount: 2,
          failedCount: 3,
          failureRate: 0.6,
        },
      },
    });
    expect(state.autoEligibleCount).toBe(0);
    expect(state.reasonCodes).toContain("fleet_auto_candidates_paused");
    expect(state.noiseControls.handoffTelemetryFile).toBe("handoff.jsonl");
    expect(JSON.parse(readFileSync(path.join(tmp.path, "out/policy.json"), "utf8"))).toEqual(state);
    const history = readJsonl(fleet.telemetry.policyHistory);
    expect(history.every((row) => row["autonomousAutoPauseActive"] === true)).toBe(true);

    // A bad line inside the window is fatal.
    appendFileSync(handoff, "{broken\n");
    await expect(
      fleetPolicy({ repo: repo.root, handoffTelemetryFile: "handoff.jsonl" }, context()),
    ).rejects.toThrow("invalid handoff telemetry JSONL: handoff.jsonl");
  });
});

describe("fleet policy errors (§1.1): exact messages, nothing written", () => {
  async function rejects(input: Parameters<typeof fleetPolicy>[0], message: string, ctx = context()) {
    await expect(fleetPolicy(input, ctx)).rejects.toThrow(new ValidationError(message));
  }

  it("arguments, repo, fleet state file before the registry", async () => {
    await rejects({}, "--repo is required");
    await rejects(
      { repo: path.join(tmp.path, "nope") },
      `repo directory not found: ${path.join(tmp.path, "nope")}`,
    );
    // No registry either: the fleet state is checked first.
    await rejects({ repo: repo.root }, `fleet state file not found: ${fleet.state}`);
    await rejects(
      { repo: repo.root, fleetStateFile: "missing.json" },
      "fleet state file not found: missing.json",
    );
  });

  it("registry errors next, then the fleet state JSON (careful Q9: empty file)", async () => {
    mkdirSync(fleet.dir, { recursive: true });
    writeFileSync(fleet.state, "");
    await rejects({ repo: repo.root }, `fleet registry file not found: ${fleet.registry}`);
    writeFileSync(fleet.registry, JSON.stringify({ schemaVersion: "v2", loops: [] }));
    await expect(fleetPolicy({ repo: repo.root }, context())).rejects.toBeInstanceOf(
      FleetRegistryInvalidError,
    );
    writeRegistry();
    await rejects({ repo: repo.root }, `invalid fleet state JSON: ${fleet.state}`);
    writeFileSync(fleet.state, "[1,2]");
    await rejects({ repo: repo.root }, `invalid fleet state JSON: ${fleet.state}`);
    // Invalid dedupe flag only after the state parsed.
    writeFileSync(fleet.state, JSON.stringify({ results: [] }));
    await rejects(
      { repo: repo.root, dedupeWindowSeconds: "" },
      "--dedupe-window-seconds must be a non-negative integer",
    );
    await rejects(
      { repo: repo.root, dedupeWindowSeconds: "-1" },
      "--dedupe-window-seconds must be a non-negative integer",
    );
    await rejects(
      { repo: repo.root, dedupeWindowSeconds: "1.5" },
      "--dedupe-window-seconds must be a non-negative integer",
    );
    expect(existsSync(fleet.policyState)).toBe(false);
    expect(existsSync(fleet.telemetry.policyHistory)).toBe(false);
  });

  it("invalid previous state / history / handoff telemetry never damage existing artifacts", async () => {
    writeRegistry();
    writeFileSync(
      fleet.state,
      JSON.stringify({ traceId: "fx-1", results: [{ loopId: "alpha", status: "failed" }] }),
    );
    mkdirSync(path.dirname(fleet.telemetry.policyHistory), { recursive: true });

    writeFileSync(fleet.policyState, "{not json");
    await rejects({ repo: repo.root }, `invalid existing policy state JSON: ${fleet.policyState}`);
    expect(readFileSync(fleet.policyState, "utf8")).toBe("{not json");
    expect(existsSync(fleet.telemetry.policyHistory)).toBe(false);

    await fleetPolicy({ repo: repo.root, policyStateFile: "fresh.json" }, context());
    const historyBefore = readFileSync(fleet.telemetry.policyHistory, "utf8");
    appendFileSync(fleet.telemetry.policyHistory, "\n   \n"); // blank lines are fine
    await fleetPolicy({ repo: repo.root, policyStateFile: "fresh.json" }, context());
    appendFileSync(fleet.telemetry.policyHistory, "[1]\n");
    const historyBad = readFileSync(fleet.telemetry.policyHistory, "utf8");
    await rejects(
      { repo: repo.root, policyStateFile: "fresh.json" },
      `invalid policy history JSONL: ${fleet.telemetry.policyHistory}`,
    );
    expect(readFileSync(fleet.telemetry.policyHistory, "utf8")).toBe(historyBad);
    expect(historyBad.startsWith(historyBefore)).toBe(true);

    writeFileSync(fleet.telemetry.policyHistory, "");
    writeFileSync(fleet.telemetry.handoff, '{"category":"fleet_handoff_plan"}\nnot-json\n');
    const policyBefore = readFileSync(path.join(tmp.path, "fresh.json"), "utf8");
    await rejects(
      { repo: repo.root, policyStateFile: "fresh.json" },
      `invalid handoff telemetry JSONL: ${fleet.telemetry.handoff}`,
    );
    expect(readFileSync(path.join(tmp.path, "fresh.json"), "utf8")).toBe(policyBefore);
    expect(readFileSync(fleet.telemetry.policyHistory, "utf8")).toBe("");
  });

  it("a torn last line (no trailing newline) in the history or handoff telemetry fails the run at once", async () => {
    writeRegistry();
    writeFileSync(
      fleet.state,
      JSON.stringify({ traceId: "fx-1", results: [{ loopId: "alpha", status: "failed" }] }),
    );
    await fleetPolicy({ repo: repo.root, dedupeWindowSeconds: "0" }, context());
    const policyBefore = readFileSync(fleet.policyState, "utf8");

    // A crash mid-append leaves a fragment; appending after it would turn it into a complete bad
    // line, so the run must reject it now rather than write and fail every later run.
    appendFileSync(fleet.telemetry.policyHistory, '{"timestamp":"2026-03-02T10:00:00Z","candidateId":"al');
    const historyTorn = readFileSync(fleet.telemetry.policyHistory, "utf8");
    await rejects({ repo: repo.root }, `invalid policy history JSONL: ${fleet.telemetry.policyHistory}`);
    expect(readFileSync(fleet.telemetry.policyHistory, "utf8")).toBe(historyTorn);
    expect(readFileSync(fleet.policyState, "utf8")).toBe(policyBefore);

    // A complete record that merely lacks its newline is a valid line: it counts (advisory cooldown).
    const lines = historyTorn.split("\n");
    const last = lines.at(-2) ?? "";
    writeFileSync(fleet.telemetry.policyHistory, `${lines.slice(0, -2).join("\n")}\n${last}`);
    now = new Date("2026-03-02T10:02:00Z");
    const state = await fleetPolicy({ repo: repo.root, dedupeWindowSeconds: "300" }, context());
    expect(state.candidates.map((c) => c.suppressionReason)).toEqual(["advisory_cooldown_active"]);
    expect(readJsonl(fleet.telemetry.policyHistory).length).toBe(2);

    writeFileSync(
      fleet.telemetry.handoff,
      '{"category":"fleet_handoff_plan"}\n{"category":"fleet_handoff_exe',
    );
    await rejects({ repo: repo.root }, `invalid handoff telemetry JSONL: ${fleet.telemetry.handoff}`);
    writeFileSync(
      fleet.telemetry.handoff,
      '{"category":"fleet_handoff_plan"}\n{"category":"fleet_handoff_plan"}',
    );
    await fleetPolicy({ repo: repo.root }, context());
  });

  it("an input or output path that is a directory is one line naming the file; nothing is written", async () => {
    writeRegistry();
    writeFileSync(
      fleet.state,
      JSON.stringify({ traceId: "fx-1", results: [{ loopId: "alpha", status: "failed" }] }),
    );
    mkdirSync(path.join(tmp.path, "dir"));
    for (const [input, message] of [
      [{ policyStateFile: "dir" }, "cannot write dir (EISDIR)"],
      [{ policyHistoryFile: "dir" }, "cannot write dir (EISDIR)"],
      [{ governanceAuditFile: "dir" }, "cannot write dir (EISDIR)"],
      [{ policyTelemetryFile: "dir" }, "cannot write dir (EISDIR)"],
      [{ handoffTelemetryFile: "dir" }, "cannot read dir (EISDIR)"],
    ] as const) {
      const error = await fleetPolicy({ repo: repo.root, ...input }, context()).catch((e: unknown) => e);
      expect(error, JSON.stringify(input)).toBeInstanceOf(Error);
      expect((error as Error).message, JSON.stringify(input)).toBe(message);
    }
    expect(existsSync(fleet.policyState)).toBe(false);
    expect(existsSync(fleet.telemetry.policyHistory)).toBe(false);
    expect(existsSync(fleet.telemetry.policyGovernance)).toBe(false);
    expect(existsSync(fleet.telemetry.policy)).toBe(false);
  });

  it("trace id: flag → fleet state → env → generated (lowercase); results without loopId are skipped (Q6)", async () => {
    writeRegistry();
    mkdirSync(fleet.dir, { recursive: true });
    writeFileSync(
      fleet.state,
      JSON.stringify({ results: [{ status: "failed" }, { loopId: "alpha", status: "failed" }] }),
    );
    const generated = await fleetPolicy({ repo: repo.root }, context());
    expect(generated.traceId).toBe("gen-trace");
    expect(generated.evaluatedLoopCount).toBe(2);
    expect(generated.candidateCount).toBe(1);
    const fromEnv = await fleetPolicy(
      { repo: repo.root },
      context({ env: { OPS_MANAGER_TRACE_ID: "env-1" } }),
    );
    expect(fromEnv.traceId).toBe("env-1");
    writeFileSync(fleet.state, JSON.stringify({ traceId: "state-1", results: [] }));
    const fromState = await fleetPolicy(
      { repo: repo.root },
      context({ env: { OPS_MANAGER_TRACE_ID: "env-1" } }),
    );
    expect(fromState.traceId).toBe("state-1");
    const fromFlag = await fleetPolicy({ repo: repo.root, traceId: "flag-1" }, context());
    expect(fromFlag.traceId).toBe("flag-1");
  });

  it("OPS_MANAGER_FLEET_REGISTRY_SCRIPT: its output is the registry; a non-zero exit aborts with that status", async () => {
    writeRegistry({ mode: "advisory" });
    writeFileSync(fleet.state, JSON.stringify({ results: [{ loopId: "alpha", status: "failed" }] }));
    const hook = path.join(tmp.path, "registry-hook.sh");
    const normalized = path.join(tmp.path, "normalized.json");
    // The hook serves a normalised guarded_auto registry (killSwitch on) instead of the file.
    const defaults = defaultFleetPolicy();
    writeFileSync(
      normalized,
      JSON.stringify({
        schemaVersion: "v1",
        sourceFile: "hook",
        fleetId: "from-hook",
        loops: [],
        loopCount: 0,
        policy: {
          ...defaults,
          mode: "guarded_auto",
          noiseControls: { dedupeWindowSeconds: 0 },
          autonomous: {
            ...defaults.autonomous,
            enabled: true,
            allow: { categories: ["reconcile_failed"], intents: ["cancel"] },
            safety: { maxActionsPerRun: 1, maxActionsPerLoop: 1, cooldownSeconds: 0, killSwitch: true },
          },
        },
      }),
    );
    writeFileSync(
      hook,
      `#!/bin/sh\nif [ -n "$FAIL" ]; then echo boom >&2; exit 3; fi\ncat '${normalized}'\n`,
    );
    chmodSync(hook, 0o755);
    const env = { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: hook };
    const state = await fleetPolicy({ repo: repo.root }, context({ env }));
    expect(state.mode).toBe("guarded_auto");
    expect(state.candidates[0]?.autonomous.reasons).toEqual(["autonomous_kill_switch_enabled"]);
    expect(state.autonomous.governance.authorityContextPresent).toBe(false);
    let stderr = "";
    await expect(
      fleetPolicy(
        { repo: repo.root },
        context({ env: { ...env, FAIL: "1" }, stderr: { write: (t: string) => (stderr += t) } }),
      ),
    ).rejects.toMatchObject({ exitCode: 3 });
    expect(stderr).toBe("boom\n");
  });
});
