// fleet handoff (spec 24) over real artifacts in temp repos and the REAL per-loop control path:
// the in-process controlIntent running the testkit's simulated runtime command (local transport),
// a real sprite service on 127.0.0.1 (sprite_service transport), a port nothing listens on (outage),
// and the OPS_MANAGER_CONTROL_SCRIPT hook.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fleetPaths, opsPaths, ValidationError } from "@ops/contract";
import {
  createSimulatedRepo,
  FLEET_GOVERNANCE,
  readJsonLines,
  type SimulatedRepo,
  superloopBinPath,
  writeFleetRegistry,
} from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  closedPortUrl,
  startTestService,
  type TestService,
} from "../../../reconcile/src/pipeline/service-test-helpers.js";
import { type FleetHandoffContext, type FleetHandoffInput, fleetHandoff } from "./fleet-handoff.js";
import {
  HandoffExecuteTelemetryRowSchema,
  HandoffPlanTelemetryRowSchema,
  type HandoffState,
  HandoffStateSchema,
  HandoffTelemetryRowSchema,
} from "./schemas.js";
import { formatHandoffTable } from "./table.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const BIN = superloopBinPath();

const repos: SimulatedRepo[] = [];
const services: TestService[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  for (const repo of repos.splice(0)) await repo.cleanup();
});

function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  repos.push(repo);
  return repo;
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    USER: "ops-user",
    SUPERLOOP_BIN: BIN,
    SUPERLOOP_SIM_KILL_GRACE_MS: "300",
    ...extra,
  };
}

/** Reviewed far in the future so the real-clock runs never see an expired review. */
const GOVERNANCE = { ...FLEET_GOVERNANCE, reviewBy: "2099-06-01T00:00:00Z" };

function writeRegistry(repo: SimulatedRepo, loops: unknown[], mode = "advisory"): void {
  writeFleetRegistry(repo.root, {
    schemaVersion: "v1",
    fleetId: "fleet-east",
    loops,
    policy: { mode, ...(mode === "guarded_auto" ? { autonomous: { governance: GOVERNANCE } } : {}) },
  });
}

interface CandidateSpec {
  readonly loopId: string;
  readonly category?: "reconcile_failed" | "health_critical" | "health_degraded";
  readonly eligible?: boolean;
  readonly reasons?: string[];
  readonly suppressed?: boolean;
}

const TAXONOMY = {
  reconcile_failed: ["critical", "high", "Loop reconcile failed in fleet fan-out", "status_failed"],
  health_critical: ["critical", "high", "Loop health is critical", "health_critical"],
  health_degraded: ["warning", "medium", "Loop health is degraded", "health_degraded"],
} as const;

/** A candidate exactly as spec 22 §3.2 + §6.6 lays it out (hand-built fixture). */
function policyCandidate(spec: CandidateSpec, mode: string) {
  const category = spec.category ?? "health_critical";
  const [severity, confidence, rationale, signal] = TAXONOMY[category];
  const eligible = spec.eligible ?? false;
  const reasons = spec.reasons ?? (eligible ? [] : ["policy_mode_not_guarded_auto"]);
  return {
    loopId: spec.loopId,
    category,
    signal,
    traceId: `fx-1-${spec.loopId}`,
    candidateId: `${spec.loopId}:${category}`,
    severity,
    confidence,
    rationale,
    taxonomyVersion: "v1",
    recommendedIntent: "cancel",
    suppressionScope: spec.suppressed === true ? "global" : null,
    suppressed: spec.suppressed === true,
    suppressionReason: spec.suppressed === true ? "registry_policy_suppression" : null,
    suppressionSource: spec.suppressed === true ? "policy.suppressions.*" : null,
    cooldown: {
      enabled: true,
      windowSeconds: 300,
      active: false,
      remainingSeconds: 0,
      lastUnsuppressedAt: null,
    },
    autonomous: {
      mode,
      eligible,
      manualOnly: !eligible,
      reasons,
      gatingReasons: reasons,
      recommendedIntent: "cancel",
    },
  };
}

function writePolicyState(
  repo: SimulatedRepo,
  candidates: CandidateSpec[],
  mode = "advisory",
  traceId = "fx-1",
) {
  const file = fleetPaths(repo.root).policyState;
  mkdirSync(path.dirname(file), { recursive: true });
  const built = candidates.map((spec) => policyCandidate(spec, mode));
  writeFileSync(
    file,
    JSON.stringify({
      schemaVersion: "v1",
      updatedAt: "2026-02-22T10:05:00Z",
      fleetId: "fleet-east",
      traceId,
      mode,
      fleetStatus: "partial_failure",
      candidateCount: built.length,
      unsuppressedCount: built.filter((c) => !c.suppressed).length,
      autoEligibleCount: built.filter((c) => !c.suppressed && c.autonomous.eligible).length,
      candidates: built,
      reasonCodes: ["fleet_action_required"],
    }),
  );
}

function ctx(repo: SimulatedRepo, env: Record<string, string | undefined> = baseEnv()): FleetHandoffContext {
  return { env, cwd: repo.root, installRoot: INSTALL_ROOT, generateTraceId: () => "GEN-trace" };
}

async function run(
  repo: SimulatedRepo,
  input: Partial<FleetHandoffInput> = {},
  context?: FleetHandoffContext,
) {
  const document = await fleetHandoff({ repo: repo.root, ...input }, context ?? ctx(repo));
  const onDisk = JSON.parse(readFileSync(fleetPaths(repo.root).handoffState, "utf8")) as HandoffState;
  expect(onDisk).toEqual(document);
  HandoffStateSchema.parse(onDisk);
  return document;
}

function telemetry(repo: SimulatedRepo) {
  const file = fleetPaths(repo.root).telemetry.handoff;
  if (!existsSync(file)) return [];
  return (readJsonLines(file) as unknown[]).map((row) => HandoffTelemetryRowSchema.parse(row));
}

function controlRows(repo: SimulatedRepo, loopId: string) {
  const ops = opsPaths(repo.root, loopId);
  const read = (file: string) => (existsSync(file) ? (readJsonLines(file) as Record<string, unknown>[]) : []);
  return {
    intents: read(ops.intents),
    control: read(ops.telemetry.control),
    invocations: read(ops.telemetry.controlInvocations),
  };
}

describe("plan only (§3, §4, §8.1)", () => {
  it("maps unsuppressed candidates to pending intents, appends one plan record, writes the state", async () => {
    const repo = newRepo();
    writeRegistry(repo, [
      { loopId: "alpha", metadata: { team: "a" } },
      {
        loopId: "beta",
        transport: "sprite_service",
        service: { baseUrl: "http://127.0.0.1:9", tokenEnv: "T" },
      },
    ]);
    writePolicyState(repo, [
      { loopId: "beta", category: "reconcile_failed" },
      { loopId: "alpha" },
      { loopId: "gamma", category: "health_degraded", suppressed: true },
    ]);
    const document = await run(repo, { execute: false, loop: ["ignored"], by: "x", note: "ignored" });
    expect(Object.keys(document)).toEqual([
      "schemaVersion",
      "generatedAt",
      "updatedAt",
      "fleetId",
      "traceId",
      "policyTraceId",
      "mode",
      "source",
      "control",
      "intents",
      "summary",
      "reasonCodes",
    ]);
    expect(document).toMatchObject({
      fleetId: "fleet-east",
      traceId: "fx-1",
      policyTraceId: "fx-1",
      mode: "advisory",
      source: {
        registryFile: fleetPaths(repo.root).registry,
        policyStateFile: fleetPaths(repo.root).policyState,
      },
      control: { idempotencyPrefix: "fleet-handoff", requiresOperatorConfirmation: true },
      summary: {
        candidateCount: 3,
        unsuppressedCandidateCount: 2,
        intentCount: 2,
        autoEligibleIntentCount: 0,
        manualOnlyIntentCount: 2,
        pendingConfirmationCount: 2,
      },
      reasonCodes: ["fleet_handoff_action_required", "fleet_handoff_confirmation_pending"],
    });
    expect(document.updatedAt).toBe(document.generatedAt);
    expect(
      document.intents.map((intent) => [intent.intentId, intent.idempotencyKey, intent.transport]),
    ).toEqual([
      ["alpha:health_critical:cancel", "fleet-handoff-fx-1-alpha-health_critical-cancel", "local"],
      ["beta:reconcile_failed:cancel", "fleet-handoff-fx-1-beta-reconcile_failed-cancel", "sprite_service"],
    ]);
    expect(document.intents[0]).toMatchObject({ metadata: { team: "a" }, candidateTraceId: "fx-1-alpha" });
    expect(document.intents[1]?.service).toEqual({
      baseUrl: "http://127.0.0.1:9",
      tokenEnv: "T",
      retryAttempts: 3,
      retryBackoffSeconds: 1,
    });
    const rows = telemetry(repo);
    expect(rows).toHaveLength(1);
    expect(HandoffPlanTelemetryRowSchema.parse(rows[0])).toEqual({
      timestamp: document.generatedAt,
      category: "fleet_handoff_plan",
      fleetId: "fleet-east",
      traceId: "fx-1",
      mode: "advisory",
      summary: { summary: document.summary, reasonCodes: document.reasonCodes, policyTraceId: "fx-1" },
    });
    expect(existsSync(opsPaths(repo.root, "alpha").dir)).toBe(false);
  });

  it("trace id precedence: --trace-id → policy traceId → OPS_MANAGER_TRACE_ID → generated", async () => {
    const repo = newRepo();
    writeRegistry(repo, [{ loopId: "alpha" }]);
    writePolicyState(repo, [{ loopId: "alpha" }], "advisory", "pol-1");
    expect((await run(repo, { traceId: "Flag Trace" })).intents[0]?.idempotencyKey).toBe(
      "fleet-handoff-flag-trace-alpha-health_critical-cancel",
    );
    const env = baseEnv({ OPS_MANAGER_TRACE_ID: "env-1" });
    expect((await run(repo, {}, ctx(repo, env))).traceId).toBe("pol-1");
    writePolicyState(repo, [{ loopId: "alpha" }], "advisory", "");
    const fromEnv = await run(repo, {}, ctx(repo, env));
    expect([fromEnv.traceId, fromEnv.policyTraceId]).toEqual(["env-1", "env-1"]);
    expect((await run(repo)).traceId).toBe("gen-trace");
  });
});

describe("validation and error order (§1.2, §9)", () => {
  it.each<[Partial<FleetHandoffInput>, string]>([
    [{ repo: "" }, "--repo is required"],
    [{ idempotencyPrefix: "" }, "--idempotency-prefix must be non-empty"],
    [{ timeoutSeconds: "-1", idempotencyPrefix: "" }, "--idempotency-prefix must be non-empty"],
    [{ timeoutSeconds: "1.5" }, "timeout and interval must be non-negative integers"],
    [{ intervalSeconds: "" }, "timeout and interval must be non-negative integers"],
    [
      { execute: true, autonomousExecute: true, confirm: true },
      "--execute and --autonomous-execute are mutually exclusive",
    ],
    [{ confirm: true }, "--confirm can only be used with --execute"],
    [{ confirm: true, autonomousExecute: true }, "--confirm can only be used with --execute"],
    [{ execute: true }, "--execute requires --confirm to enforce explicit operator confirmation"],
    [{ loop: ["alpha", ""] }, "--loop requires a non-empty value"],
    [{ intentId: [""], loop: ["x"] }, "--intent-id requires a non-empty value"],
    [{ repo: "no-such-dir" }, "repo directory not found: <root>/no-such-dir"],
    [{ policyStateFile: "missing.json" }, "policy state file not found: missing.json"],
  ])("%j → %s (nothing written)", async (input, message) => {
    const repo = newRepo();
    const error = await fleetHandoff({ repo: repo.root, ...input }, ctx(repo)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(message.replace("<root>", repo.root));
    expect(existsSync(fleetPaths(repo.root).dir)).toBe(false);
  });

  it("registry, policy JSON, previous state, mode, guarded_auto gates — in that order, nothing appended", async () => {
    const repo = newRepo();
    const fleet = fleetPaths(repo.root);
    const attempt = async (input: Partial<FleetHandoffInput> = {}) =>
      (
        (await fleetHandoff({ repo: repo.root, ...input }, ctx(repo)).catch(
          (caught: unknown) => caught,
        )) as Error
      ).message;
    mkdirSync(fleet.dir, { recursive: true });
    writeFileSync(fleet.policyState, "{not json");
    expect(await attempt()).toBe(`fleet registry file not found: ${fleet.registry}`);
    writeRegistry(repo, [{ loopId: "alpha" }]);
    expect(await attempt()).toBe(`invalid policy state JSON: ${fleet.policyState}`);
    writeFileSync(fleet.policyState, "");
    expect(await attempt()).toBe(`invalid policy state JSON: ${fleet.policyState}`);
    writeFileSync(fleet.policyState, JSON.stringify({ mode: "yolo", candidates: [] }));
    writeFileSync(fleet.handoffState, "[1,");
    expect(await attempt()).toBe(`invalid existing handoff state JSON: ${fleet.handoffState}`);
    writeFileSync(fleet.handoffState, JSON.stringify({ intents: [{ intentId: 5 }] }));
    expect(await attempt()).toBe(`invalid existing handoff state JSON: ${fleet.handoffState}`);
    writeFileSync(fleet.handoffState, JSON.stringify({ intents: [] }));
    expect(await attempt()).toBe("unsupported policy mode: yolo");
    writePolicyState(repo, [{ loopId: "alpha" }], "advisory");
    expect(await attempt({ autonomousExecute: true })).toBe(
      "--autonomous-execute requires policy mode guarded_auto",
    );
    // Careful Q8: a guarded_auto policy state is not enough while the registry says advisory.
    writePolicyState(repo, [{ loopId: "alpha", eligible: true }], "guarded_auto");
    expect(await attempt({ autonomousExecute: true })).toBe(
      "--autonomous-execute requires policy mode guarded_auto",
    );
    expect(telemetry(repo)).toEqual([]);
    expect(readFileSync(fleet.handoffState, "utf8")).toBe(JSON.stringify({ intents: [] }));
  });

  it("filter errors (#18) append nothing and leave the previous state untouched (careful Q1, Q5)", async () => {
    const repo = newRepo();
    writeRegistry(repo, [{ loopId: "alpha" }, { loopId: "beta" }], "guarded_auto");
    writePolicyState(
      repo,
      [
        { loopId: "alpha", eligible: true },
        { loopId: "beta", reasons: ["x"] },
      ],
      "guarded_auto",
    );
    await run(repo);
    const before = readFileSync(fleetPaths(repo.root).handoffState, "utf8");
    const attempt = async (input: Partial<FleetHandoffInput>) =>
      (
        (await fleetHandoff({ repo: repo.root, ...input }, ctx(repo)).catch(
          (caught: unknown) => caught,
        )) as Error
      ).message;
    // beta is pending but not eligible: not in the autonomous pool (legacy silently ignored it).
    expect(await attempt({ autonomousExecute: true, loop: ["beta", "zeta"] })).toBe(
      "loop filter not found in autonomous execution intents: beta,zeta",
    );
    expect(
      await attempt({ execute: true, confirm: true, intentId: ["alpha:health_critical:cancel", "nope"] }),
    ).toBe("intent filter not found in manual execution intents: nope");
    expect(telemetry(repo)).toHaveLength(1);
    expect(readFileSync(fleetPaths(repo.root).handoffState, "utf8")).toBe(before);
  });
});

describe("manual execution through the real control (local transport)", () => {
  it("--execute --confirm cancels the loop's run, confirmed; trace and key reach the control records", async () => {
    const repo = newRepo();
    const alpha = repo.loop("alpha");
    const proc = await alpha.startRunProcess({ children: 1 });
    alpha.iteration();
    writeRegistry(repo, [{ loopId: "alpha" }, { loopId: "beta" }]);
    writePolicyState(repo, [{ loopId: "alpha" }, { loopId: "beta", category: "reconcile_failed" }]);
    const document = await run(repo, {
      execute: true,
      confirm: true,
      intentId: ["alpha:health_critical:cancel"],
      by: "alice",
      note: "incident-7",
      timeoutSeconds: "10",
      intervalSeconds: "1",
    });
    expect(proc.isAlive()).toBe(false);
    const key = "fleet-handoff-fx-1-alpha-health_critical-cancel";
    expect(document.execution).toMatchObject({
      mode: "manual",
      requestedBy: "alice",
      note: "incident-7",
      requestedIntentCount: 1,
      executedIntentCount: 1,
      executedCount: 1,
      ambiguousCount: 0,
      failedCount: 0,
    });
    expect(document.execution?.results[0]).toMatchObject({
      intentId: "alpha:health_critical:cancel",
      traceId: "fx-1",
      idempotencyKey: key,
      requestedBy: "alice",
      status: "executed",
      reasonCode: "control_confirmed",
      executionMode: "manual",
      autonomousEligible: false,
      controlExitCode: 0,
      control: {
        loopId: "alpha",
        status: "confirmed",
        confirmed: true,
        traceId: "fx-1",
        idempotencyKey: key,
      },
    });
    const [alphaIntent, betaIntent] = document.intents;
    expect(alphaIntent).toMatchObject({
      status: "executed",
      execution: {
        mode: "manual",
        status: "executed",
        reasonCode: "control_confirmed",
        autonomousEligible: false,
        controlStatus: "confirmed",
        confirmed: true,
      },
    });
    expect(betaIntent).not.toHaveProperty("execution");
    expect(betaIntent?.status).toBe("pending_operator_confirmation");
    expect(document.reasonCodes).toEqual([
      "fleet_handoff_action_required",
      "fleet_handoff_confirmation_pending",
      "fleet_handoff_executed",
    ]);
    expect(document.updatedAt).toBe(document.execution?.completedAt);
    const records = controlRows(repo, "alpha");
    expect(records.intents).toHaveLength(1);
    expect(records.intents[0]).toMatchObject({
      traceId: "fx-1",
      idempotencyKey: key,
      requestedBy: "alice",
      note: "incident-7 | fleet_handoff:manual:alpha:health_critical:cancel",
      transport: "local",
      status: "confirmed",
    });
    expect(records.control[0]).toMatchObject({ traceId: "fx-1", idempotencyKey: key });
    expect(records.invocations[0]).toMatchObject({ traceId: "fx-1", idempotencyKey: key });
    expect(controlRows(repo, "beta").intents).toEqual([]);
    const rows = telemetry(repo);
    expect(rows.map((row) => row.category)).toEqual(["fleet_handoff_plan", "fleet_handoff_execute"]);
    const execute = HandoffExecuteTelemetryRowSchema.parse(rows[1]);
    expect(execute).toEqual({
      timestamp: document.execution?.completedAt,
      category: "fleet_handoff_execute",
      fleetId: "fleet-east",
      traceId: "fx-1",
      execution: document.execution,
      summary: { summary: document.summary, reasonCodes: document.reasonCodes },
    });
  });

  it("without --note the execution note is null (Q2) and --by defaults to $USER", async () => {
    const repo = newRepo();
    writeRegistry(repo, [{ loopId: "alpha" }]);
    writePolicyState(repo, [{ loopId: "alpha" }]);
    // No run registered: cancel has nothing to stop and confirms at once.
    const document = await run(repo, { execute: true, confirm: true, noRuntimeConfirm: true });
    expect(document.execution).toMatchObject({ note: null, requestedBy: "ops-user", executedCount: 1 });
    expect(document.execution?.results[0]?.control).toMatchObject({
      status: "executed_unconfirmed",
      confirmed: false,
    });
    expect(document.intents[0]?.execution).toMatchObject({
      controlStatus: "executed_unconfirmed",
      confirmed: false,
    });
    expect(controlRows(repo, "alpha").intents[0]).toMatchObject({
      note: "fleet_handoff:manual:alpha:health_critical:cancel",
    });
  });
});

describe("autonomous execution (guarded_auto) through the real control", () => {
  it("dispatches only autonomous-eligible intents; manual-only ones stay pending and untouched", async () => {
    const repo = newRepo();
    const alpha = repo.loop("alpha");
    const proc = await alpha.startRunProcess({ children: 1 });
    alpha.iteration();
    writeRegistry(repo, [{ loopId: "alpha" }, { loopId: "beta" }, { loopId: "gamma" }], "guarded_auto");
    writePolicyState(
      repo,
      [
        { loopId: "alpha", eligible: true },
        { loopId: "beta", reasons: ["autonomous_max_actions_per_run_exceeded"] },
        { loopId: "gamma", reasons: ["autonomous_kill_switch_enabled"] },
        { loopId: "delta", eligible: true, suppressed: true },
      ],
      "guarded_auto",
    );
    const document = await run(repo, {
      autonomousExecute: true,
      by: "ops-manager",
      note: "incident-9: guarded_auto_dispatch",
      timeoutSeconds: "10",
      intervalSeconds: "1",
    });
    expect(proc.isAlive()).toBe(false);
    expect(document.execution).toMatchObject({
      mode: "autonomous",
      requestedIntentCount: 1,
      executedCount: 1,
    });
    expect(document.execution?.results.map((result) => result.intentId)).toEqual([
      "alpha:health_critical:cancel",
    ]);
    expect(document.intents.map((intent) => [intent.loopId, intent.status])).toEqual([
      ["alpha", "executed"],
      ["beta", "pending_operator_confirmation"],
      ["gamma", "pending_operator_confirmation"],
    ]);
    expect(controlRows(repo, "alpha").intents[0]).toMatchObject({
      note: "incident-9: guarded_auto_dispatch | fleet_handoff:autonomous:alpha:health_critical:cancel",
    });
    for (const loopId of ["beta", "gamma", "delta"])
      expect(existsSync(opsPaths(repo.root, loopId).dir)).toBe(false);
  });

  it("zero eligible intents: the execution block is still recorded with zero counts", async () => {
    const repo = newRepo();
    writeRegistry(repo, [{ loopId: "alpha" }], "guarded_auto");
    writePolicyState(
      repo,
      [{ loopId: "alpha", reasons: ["autonomous_rollout_paused_auto"] }],
      "guarded_auto",
    );
    const document = await run(repo, { autonomousExecute: true });
    expect(document.execution).toMatchObject({
      requestedIntentCount: 0,
      executedIntentCount: 0,
      results: [],
    });
    expect(telemetry(repo).map((row) => row.category)).toEqual([
      "fleet_handoff_plan",
      "fleet_handoff_execute",
    ]);
  });
});

describe("ambiguous outcome → retry guard until an operator executes (§3.4, careful Q3)", () => {
  it("guards across runs (sticky), survives a replayed manual retry, clears after a confirmed manual execute", async () => {
    const repo = newRepo();
    const alpha = repo.loop("alpha");
    const proc = await alpha.startRunProcess({ children: 1 });
    alpha.iteration();
    writeRegistry(repo, [{ loopId: "alpha" }], "guarded_auto");
    writePolicyState(repo, [{ loopId: "alpha", eligible: true }], "guarded_auto");
    const auto = { autonomousExecute: true, by: "ops-manager", timeoutSeconds: "0", intervalSeconds: "1" };

    // 1. The runtime prints success but does nothing: confirmation times out → ambiguous.
    const skip = ctx(repo, baseEnv({ SUPERLOOP_SIM_SKIP_EFFECT: "1" }));
    const first = await run(repo, auto, skip);
    expect(first.execution?.results[0]).toMatchObject({
      status: "ambiguous",
      reasonCode: "control_ambiguous",
      controlExitCode: 2,
      control: { status: "ambiguous", confirmed: false },
    });
    expect(first.intents[0]?.status).toBe("execution_ambiguous");
    expect(first.reasonCodes).toContain("fleet_handoff_execution_ambiguous");
    expect(proc.isAlive()).toBe(true);

    // 2. and 3. Autonomous re-runs dispatch nothing (the guard outlives the guarded run itself).
    for (let index = 0; index < 2; index += 1) {
      const guarded = await run(repo, auto);
      expect(guarded.execution).toMatchObject({ requestedIntentCount: 0, executedCount: 0 });
      expect(guarded.intents[0]).toMatchObject({
        status: "pending_operator_confirmation",
        autonomous: { eligible: false, manualOnly: true, reasons: ["autonomous_retry_guard_ambiguous"] },
      });
      expect(guarded.reasonCodes).toEqual([
        "fleet_handoff_action_required",
        "fleet_handoff_confirmation_pending",
        "fleet_handoff_retry_guarded",
      ]);
    }
    // A plan-only run keeps it too.
    expect((await run(repo)).intents[0]?.autonomous.reasons).toEqual(["autonomous_retry_guard_ambiguous"]);
    await expect(run(repo, { ...auto, intentId: ["alpha:health_critical:cancel"] })).rejects.toThrow(
      "intent filter not found in autonomous execution intents: alpha:health_critical:cancel",
    );
    expect(controlRows(repo, "alpha").intents).toHaveLength(1);

    // 4. Manual retry with the same trace: same key → the control replays the stored ambiguous outcome.
    const manual = { execute: true, confirm: true, by: "alice", timeoutSeconds: "10", intervalSeconds: "1" };
    const replayed = await run(repo, manual);
    expect(replayed.execution?.results[0]).toMatchObject({ status: "ambiguous", controlExitCode: 2 });
    expect(controlRows(repo, "alpha").invocations.at(-1)).toMatchObject({ execution: { replayed: true } });
    expect(proc.isAlive()).toBe(true);
    expect((await run(repo)).intents[0]?.autonomous.reasons).toEqual(["autonomous_retry_guard_ambiguous"]);

    // 5. Operator executes under a new trace (new key): the cancel really runs and is confirmed.
    const confirmed = await run(repo, { ...manual, traceId: "fx-2" });
    expect(confirmed.execution?.results[0]).toMatchObject({
      status: "executed",
      reasonCode: "control_confirmed",
    });
    expect(proc.isAlive()).toBe(false);

    // 6. The guard is gone: the intent is autonomous-eligible again.
    const cleared = await run(repo);
    expect(cleared.intents[0]?.autonomous).toEqual({ eligible: true, manualOnly: false, reasons: [] });
    expect(cleared.reasonCodes).not.toContain("fleet_handoff_retry_guarded");
  });
});

describe("sprite_service transport through a real sprite service", () => {
  it("executes through the service; an outage fails with control_failed_command and is retry-guarded", async () => {
    const repo = newRepo();
    const spriteRepo = newRepo();
    const beta = spriteRepo.loop("beta");
    const proc = await beta.startRunProcess({ children: 1 });
    beta.iteration();
    const service = await startTestService(spriteRepo.root, {
      token: "s3cret",
      env: baseEnv(),
    });
    services.push(service);
    const down = await closedPortUrl();
    writeRegistry(
      repo,
      [
        {
          loopId: "beta",
          transport: "sprite_service",
          service: { baseUrl: service.url, tokenEnv: "BETA_TOKEN", retryAttempts: 2, retryBackoffSeconds: 0 },
        },
        {
          loopId: "gamma",
          transport: "sprite_service",
          service: { baseUrl: down, retryAttempts: 1, retryBackoffSeconds: 0 },
        },
      ],
      "guarded_auto",
    );
    writePolicyState(
      repo,
      [
        { loopId: "beta", eligible: true },
        { loopId: "gamma", category: "reconcile_failed", eligible: true },
      ],
      "guarded_auto",
    );
    const env = baseEnv({ BETA_TOKEN: "s3cret" });
    const document = await run(
      repo,
      { autonomousExecute: true, by: "ops-manager", timeoutSeconds: "10", intervalSeconds: "1" },
      ctx(repo, env),
    );
    expect(proc.isAlive()).toBe(false);
    const [betaResult, gammaResult] = document.execution?.results ?? [];
    expect(betaResult).toMatchObject({
      loopId: "beta",
      status: "executed",
      reasonCode: "control_confirmed",
      control: { transport: "sprite_service", status: "confirmed", traceId: "fx-1" },
    });
    expect(gammaResult).toMatchObject({
      loopId: "gamma",
      status: "failed",
      reasonCode: "control_failed_command",
      controlExitCode: 1,
      control: { transport: "sprite_service", status: "failed_command", confirmed: false },
    });
    expect(service.requests.some((entry) => entry.traceId === "fx-1")).toBe(true);
    expect(controlRows(repo, "beta").control[0]).toMatchObject({
      transport: "sprite_service",
      traceId: "fx-1",
      idempotencyKey: "fleet-handoff-fx-1-beta-health_critical-cancel",
    });
    expect(controlRows(repo, "gamma").control[0]).toMatchObject({
      status: "failed_command",
      reasonCode: "control_failed_command",
    });
    expect(document.reasonCodes).toEqual([
      "fleet_handoff_action_required",
      "fleet_handoff_auto_eligible_intents",
      "fleet_handoff_executed",
      "fleet_handoff_execution_failed",
    ]);
    const next = await run(repo, { autonomousExecute: true }, ctx(repo, env));
    expect(next.execution?.results.map((result) => result.loopId)).toEqual(["beta"]);
    expect(next.intents.find((intent) => intent.loopId === "gamma")?.autonomous.reasons).toEqual([
      "autonomous_retry_guard_failed",
    ]);
  });
});

describe("sprite_service: ambiguous outcome through the service", () => {
  it("a control the service cannot confirm is ambiguous (exit 2) and retry-guarded", async () => {
    const repo = newRepo();
    const spriteRepo = newRepo();
    const beta = spriteRepo.loop("beta");
    const proc = await beta.startRunProcess({ children: 1 });
    beta.iteration();
    // The runtime on the sprite host reports success but does nothing: confirmation times out.
    const service = await startTestService(spriteRepo.root, {
      env: baseEnv({ SUPERLOOP_SIM_SKIP_EFFECT: "1" }),
    });
    services.push(service);
    writeRegistry(
      repo,
      [
        {
          loopId: "beta",
          transport: "sprite_service",
          service: { baseUrl: service.url, retryBackoffSeconds: 0 },
        },
      ],
      "guarded_auto",
    );
    writePolicyState(repo, [{ loopId: "beta", eligible: true }], "guarded_auto");
    const document = await run(repo, { autonomousExecute: true, timeoutSeconds: "0", intervalSeconds: "1" });
    expect(proc.isAlive()).toBe(true);
    expect(document.execution?.results[0]).toMatchObject({
      status: "ambiguous",
      reasonCode: "control_ambiguous",
      controlExitCode: 2,
      control: { transport: "sprite_service", status: "ambiguous", confirmed: false },
    });
    const next = await run(repo, { autonomousExecute: true });
    expect(next.execution?.requestedIntentCount).toBe(0);
    expect(next.intents[0]?.autonomous.reasons).toEqual(["autonomous_retry_guard_ambiguous"]);
  });
});

describe("OPS_MANAGER_CONTROL_SCRIPT hook (§6.3)", () => {
  it("runs the hook with the exact arguments; exit 2 → ambiguous; stderr noise does not hide the JSON (Q9)", async () => {
    const repo = newRepo();
    const argsFile = path.join(repo.root, "hook-args.jsonl");
    const hook = path.join(repo.root, "control-hook.mjs");
    writeFileSync(
      hook,
      `#!/usr/bin/env node
import { appendFileSync } from "node:fs";
appendFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)) + "\\n");
process.stderr.write("warning: flaky sprite\\n");
process.stdout.write("starting\\n" + JSON.stringify({ status: "ambiguous", confirmed: false }) + "\\n");
process.exit(2);
`,
      { mode: 0o755 },
    );
    writeRegistry(repo, [
      { loopId: "alpha" },
      {
        loopId: "beta",
        transport: "sprite_service",
        service: {
          baseUrl: "http://svc:1",
          tokenEnv: "BETA_TOKEN",
          retryAttempts: 2,
          retryBackoffSeconds: 0,
        },
      },
      {
        loopId: "gamma",
        transport: "sprite_service",
        service: { baseUrl: "http://svc:2", tokenEnv: "UNSET_TOKEN" },
      },
    ]);
    writePolicyState(repo, [{ loopId: "alpha" }, { loopId: "beta" }, { loopId: "gamma" }]);
    const env = baseEnv({ OPS_MANAGER_CONTROL_SCRIPT: hook, BETA_TOKEN: "tok-b" });
    const document = await run(
      repo,
      {
        execute: true,
        confirm: true,
        by: "alice",
        note: "n",
        noRuntimeConfirm: true,
        timeoutSeconds: "7",
        intervalSeconds: "3",
      },
      ctx(repo, env),
    );
    const calls = (readJsonLines(argsFile) as string[][]).map((args) => args);
    const common = (loopId: string, transport: string) => [
      "--repo",
      repo.root,
      "--loop",
      loopId,
      "--intent",
      "cancel",
      "--transport",
      transport,
      "--trace-id",
      "fx-1",
      "--idempotency-key",
      `fleet-handoff-fx-1-${loopId}-health_critical-cancel`,
      "--by",
      "alice",
      "--note",
      `n | fleet_handoff:manual:${loopId}:health_critical:cancel`,
      "--timeout-seconds",
      "7",
      "--interval-seconds",
      "3",
      "--no-confirm",
    ];
    expect(calls).toEqual([
      common("alpha", "local"),
      [
        ...common("beta", "sprite_service"),
        "--service-base-url",
        "http://svc:1",
        "--retry-attempts",
        "2",
        "--retry-backoff-seconds",
        "0",
        "--service-token",
        "tok-b",
      ],
      // Q7: a declared but unset token variable just omits --service-token.
      [
        ...common("gamma", "sprite_service"),
        "--service-base-url",
        "http://svc:2",
        "--retry-attempts",
        "3",
        "--retry-backoff-seconds",
        "1",
      ],
    ]);
    expect(document.execution?.results.map((result) => [result.status, result.control])).toEqual([
      ["ambiguous", { status: "ambiguous", confirmed: false }],
      ["ambiguous", { status: "ambiguous", confirmed: false }],
      ["ambiguous", { status: "ambiguous", confirmed: false }],
    ]);
    expect(document.summary.ambiguousCount).toBe(3);
  });

  it("a hook that cannot run fails the target (exit 1), never the run", async () => {
    const repo = newRepo();
    writeRegistry(repo, [{ loopId: "alpha" }]);
    writePolicyState(repo, [{ loopId: "alpha" }]);
    const env = baseEnv({ OPS_MANAGER_CONTROL_SCRIPT: path.join(repo.root, "missing-hook") });
    const document = await run(repo, { execute: true, confirm: true }, ctx(repo, env));
    expect(document.execution?.results[0]).toMatchObject({ status: "failed", controlExitCode: 1 });
    expect(document.execution?.results[0]).not.toHaveProperty("control");
    expect(document.execution?.results[0]?.controlError).toMatch(/missing-hook/);
  });
});

describe("a control that fails without its JSON document (beyond §6.4)", () => {
  it("keeps the control's error line as controlError: a refused cancel says why", async () => {
    const repo = newRepo();
    repo.scenario("stopped", "alpha");
    const delta = repo.loop("delta");
    const proc = await delta.startRunProcess();
    delta.iteration();
    writeRegistry(repo, [{ loopId: "alpha" }, { loopId: "delta" }]);
    writePolicyState(repo, [{ loopId: "alpha" }]);
    const document = await run(repo, {
      execute: true,
      confirm: true,
      intentId: ["alpha:health_critical:cancel"],
      timeoutSeconds: "1",
      intervalSeconds: "1",
    });
    const [result] = document.execution?.results ?? [];
    expect(result).toMatchObject({
      status: "failed",
      reasonCode: "control_failed_command",
      controlExitCode: 1,
    });
    expect(result).not.toHaveProperty("control");
    expect(result?.controlError).toMatch(
      /^error: cancel refused: the repository's current run is loop 'delta'/,
    );
    expect(proc.isAlive()).toBe(true);
    expect(readFileSync(fleetPaths(repo.root).telemetry.handoff, "utf8")).toContain("cancel refused");
    const intent = document.intents.find((entry) => entry.intentId === "alpha:health_critical:cancel");
    expect(intent?.execution?.controlError).toBe(result?.controlError);
    // The operator's table shows the reason next to the outcome.
    expect(formatHandoffTable(document, { color: false })).toContain(
      "failed (control_failed_command, exit 1) error: cancel refused",
    );
  });
});
