// `fleetStatus` over real artifacts: a testkit repo, a real registry, the real fleet reconcile
// (in-process per-loop reconcile) for state + telemetry, hand-written policy/handoff states.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Clock, fleetPaths, isOpsError, opsPaths } from "@ops/contract";
import { notConfiguredAlertDispatch } from "@ops/reconcile";
import {
  createSimulatedRepo,
  envWithoutOpsManager,
  makeTempDir,
  type SimulatedRepo,
  type TempDir,
  writeFleetRegistry,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fleetHandoff } from "../handoff/fleet-handoff.js";
import { fleetPolicy } from "../policy/fleet-policy.js";
import { fleetReconcile } from "../reconcile/fleet-reconcile.js";
import { fleetRegistry, isFleetRegistryInvalidError } from "../registry/index.js";
import { type FleetStatusContext, fleetStatus, readLastTelemetryRecord } from "./fleet-status.js";
import { FLEET_STATUS_KEYS, FleetStatusDocumentSchema } from "./schemas.js";
import {
  candidate,
  execution,
  executionResult,
  GOVERNANCE,
  handoffState,
  intent,
  policyState,
} from "./test-fixtures.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const NOW = "2026-02-22T12:00:00Z";
const clock: Clock = { now: () => new Date(NOW) };

let repo: SimulatedRepo;
let tmp: TempDir;

beforeEach(() => {
  repo = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:30Z" });
  tmp = makeTempDir("ops-fleet-status-");
});

afterEach(async () => {
  await repo.cleanup();
  await tmp.cleanup();
});

function context(extra: Partial<FleetStatusContext> = {}): FleetStatusContext {
  return { clock, env: envWithoutOpsManager(), cwd: tmp.path, ...extra };
}

function write(file: string, content: unknown): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const REGISTRY_LOOPS = [
  { loopId: "alpha", sprite: { id: "spr-1" } },
  { loopId: "ghost" },
  { loopId: "off", enabled: false },
];

function writeRegistry(extra: Record<string, unknown> = {}, loops: unknown[] = REGISTRY_LOOPS): string {
  return writeFleetRegistry(repo.root, {
    schemaVersion: "v1",
    fleetId: "fleet-east",
    loops,
    ...extra,
  });
}

/** A real fleet: alpha running, ghost without runtime artifacts (fails), off disabled (skipped). */
async function reconcileFleet(traceId = "fx-1") {
  repo.scenario("running", "alpha");
  writeRegistry();
  return fleetReconcile(
    { repo: repo.root, traceId, deterministicOrder: true },
    {
      clock,
      env: envWithoutOpsManager(),
      cwd: tmp.path,
      installRoot: INSTALL_ROOT,
      reconcileContext: { alertDispatch: notConfiguredAlertDispatch },
    },
  );
}

/** Every file under `dir` with its size and mtime: proves a run wrote nothing. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort().map((entry) => {
    const info = statSync(path.join(dir, entry));
    return `${entry} ${info.size} ${info.mtimeMs}`;
  });
}

async function failure(promise: Promise<unknown>): Promise<{ message: string; exitCode: number }> {
  try {
    await promise;
  } catch (error) {
    if (!isOpsError(error)) throw error;
    return { message: error.message, exitCode: error.exitCode };
  }
  throw new Error("expected fleetStatus to fail");
}

describe("fleet status over a real reconciled fleet", () => {
  it("joins the real fleet state and telemetry; policy/handoff sections null; writes nothing", async () => {
    const state = await reconcileFleet();
    const fleet = fleetPaths(repo.root);
    const before = listing(repo.root);
    const doc = await fleetStatus({ repo: repo.root }, context());
    expect(listing(repo.root)).toEqual(before);

    expect(FleetStatusDocumentSchema.parse(doc)).toEqual(doc);
    expect(Object.keys(doc)).toEqual([...FLEET_STATUS_KEYS]);
    expect(doc.generatedAt).toBe(NOW);
    expect(doc.source).toEqual({ repoPath: repo.root, fleetId: "fleet-east" });
    expect(doc.fleet).toEqual({
      status: state.status,
      reasonCodes: state.reasonCodes,
      loopCount: 3,
      successCount: 1,
      failedCount: 1,
      skippedCount: 1,
      startedAt: state.startedAt,
      updatedAt: state.updatedAt,
      durationSeconds: state.durationSeconds,
      traceId: "fx-1",
      partialFailure: true,
    });
    expect(doc.fleet.reasonCodes).toContain("fleet_partial_failure");
    expect(doc.fleet.reasonCodes).toContain("fleet_loop_skipped");
    expect(doc.exceptions.reconcileFailures).toEqual(["ghost"]);
    expect(doc.exceptions.skippedLoops).toEqual(["off"]);
    const rollup = doc.healthRollup;
    expect(rollup.healthy + rollup.degraded + rollup.critical + rollup.unknown).toBe(3);

    expect(doc.loops.map((loop) => loop.loopId)).toEqual(["alpha", "ghost", "off"]);
    const [alpha, ghost, off] = doc.loops;
    expect(alpha).toMatchObject({
      status: "success",
      traceId: "fx-1-alpha",
      transport: "local",
      sprite: { id: "spr-1" },
    });
    expect(alpha?.transitionState).toBe(state.results[0]?.transitionState);
    expect(ghost).toMatchObject({ status: "failed", reasonCode: "transport_unreachable" });
    expect(off).toMatchObject({ status: "skipped", reasonCode: "loop_disabled", healthStatus: "unknown" });
    // Drill-down pointers lead to the loop's real artifacts.
    const alphaOps = opsPaths(repo.root, "alpha");
    expect(alpha?.artifacts).toEqual({
      stateFile: alphaOps.state,
      healthFile: alphaOps.health,
      cursorFile: alphaOps.cursor,
      reconcileTelemetryFile: alphaOps.telemetry.reconcile,
    });
    expect(existsSync(alphaOps.state)).toBe(true);
    expect(existsSync(alphaOps.telemetry.reconcile)).toBe(true);

    expect(doc.traceLinkage).toEqual({
      fleetTraceId: "fx-1",
      policyTraceId: null,
      loopTraceIds: ["fx-1-alpha", "fx-1-ghost", "fx-1-off"],
      sharedTraceId: null,
    });
    expect(doc.latestTelemetry).toEqual({
      timestamp: state.updatedAt,
      status: state.status,
      reasonCodes: state.reasonCodes,
    });
    expect(doc.policy).toBeNull();
    expect(doc.handoff).toBeNull();
    expect(doc.autonomous).toBeNull();
    expect(doc.latestHandoffTelemetry).toBeNull();
    expect(doc.files).toEqual({
      registryFile: fleet.registry,
      fleetStateFile: fleet.state,
      policyStateFile: fleet.policyState,
      fleetTelemetryFile: fleet.telemetry.reconcile,
      handoffStateFile: fleet.handoffState,
      handoffTelemetryFile: fleet.telemetry.handoff,
    });
  });

  it("the latest telemetry is the newest run's line", async () => {
    await reconcileFleet("fx-1");
    const second = await reconcileFleet("fx-2");
    const doc = await fleetStatus({ repo: repo.root }, context());
    expect(doc.fleet.traceId).toBe("fx-2");
    expect(doc.latestTelemetry?.timestamp).toBe(second.updatedAt);
    expect(readFileSync(fleetPaths(repo.root).telemetry.reconcile, "utf8").trim().split("\n")).toHaveLength(
      2,
    );
  });

  it("adds policy, handoff, autonomy and handoff telemetry sections from the fleet's state files", async () => {
    await reconcileFleet();
    const fleet = fleetPaths(repo.root);
    const P = policyState({
      candidates: [
        candidate("ghost", "reconcile_failed", { eligible: true }),
        candidate("off", "health_critical", { reasons: ["autonomous_rollout_canary_excluded"] }),
      ],
      governance: { ...GOVERNANCE, reviewBy: "2026-02-25T00:00:00Z" },
    });
    write(fleet.policyState, P);
    const intents = [
      intent("ghost", "reconcile_failed", {
        eligible: true,
        status: "execution_failed",
        transport: "sprite_service",
      }),
      intent("off", "health_critical", { reasons: ["autonomous_rollout_canary_excluded"] }),
    ];
    const X = execution("autonomous", [
      executionResult("ghost:reconcile_failed:cancel", "failed", "missing_service_base_url"),
    ]);
    const H = handoffState(intents, X);
    write(fleet.handoffState, H);
    const plan = {
      timestamp: "2026-02-22T11:59:58Z",
      category: "fleet_handoff_plan",
      traceId: "fx-h",
      mode: "guarded_auto",
      summary: { summary: H["summary"], reasonCodes: [] },
    };
    const exec = {
      timestamp: "2026-02-22T11:59:59Z",
      category: "fleet_handoff_execute",
      traceId: "fx-h",
      execution: X,
      summary: { summary: H["summary"], reasonCodes: ["fleet_handoff_execution_failed"] },
    };
    write(fleet.telemetry.handoff, `${JSON.stringify(plan)}\n${JSON.stringify(exec)}\n`);

    const doc = await fleetStatus({ repo: repo.root }, context());
    expect(FleetStatusDocumentSchema.parse(doc)).toEqual(doc);
    expect(doc.policy).toMatchObject({ mode: "guarded_auto", candidateCount: 2, unsuppressedCount: 2 });
    expect(doc.traceLinkage.policyTraceId).toBe("fx-1");
    expect(doc.handoff?.execution.byReasonCode).toEqual({ missing_service_base_url: 1 });
    const autonomous = doc.autonomous;
    // Review deadline 2.5 days after "now": due soon, which blocks (Q4).
    expect(autonomous?.governance).toMatchObject({ posture: "review_due_soon", blocksAutonomous: true });
    expect(autonomous?.safetyGateDecisions.byPath).toEqual({
      policyGated: { blockedCount: 0, byReason: {} },
      rolloutGated: { blockedCount: 1, byReason: { autonomous_rollout_canary_excluded: 1 } },
      governanceGated: { blockedCount: 2, reasonCodes: ["autonomous_governance_review_due_soon"] },
      transportGated: { blockedCount: 1, byReason: { missing_service_base_url: 1 } },
    });
    expect(autonomous?.outcomeRollup).toEqual({
      attempted: 1,
      executed: 0,
      ambiguous: 0,
      failed: 1,
      manual_backlog: 1,
    });
    expect(doc.latestHandoffTelemetry).toMatchObject({
      category: "fleet_handoff_execute",
      reasonCodes: ["fleet_handoff_execution_failed"],
      autonomousOutcomeRollup: { attempted: 1, executed: 0, ambiguous: 0, failed: 1, manual_backlog: 1 },
    });
  });

  it("with the real fleet policy and a plan-only fleet handoff run", async () => {
    repo.scenario("running", "alpha");
    writeRegistry({
      policy: {
        mode: "guarded_auto",
        autonomous: {
          allow: { categories: ["reconcile_failed"], intents: ["cancel"] },
          governance: { ...GOVERNANCE, changedAt: "2026-02-01T00:00:00Z", reviewBy: "2026-04-01T00:00:00Z" },
        },
      },
    });
    const ctx = { clock, env: envWithoutOpsManager(), cwd: tmp.path };
    await fleetReconcile(
      { repo: repo.root, traceId: "fx-1" },
      { ...ctx, installRoot: INSTALL_ROOT, reconcileContext: { alertDispatch: notConfiguredAlertDispatch } },
    );
    const P = await fleetPolicy({ repo: repo.root, traceId: "fx-1" }, ctx);
    const H = await fleetHandoff({ repo: repo.root, traceId: "fx-1" }, ctx);
    const doc = await fleetStatus({ repo: repo.root }, context());
    expect(FleetStatusDocumentSchema.parse(doc)).toEqual(doc);
    expect(doc.policy).toMatchObject({
      mode: "guarded_auto",
      candidateCount: P.candidateCount,
      unsuppressedCount: P.unsuppressedCount,
      reasonCodes: P.reasonCodes,
      traceId: "fx-1",
    });
    const rank = (severity: unknown) => (severity === "critical" ? 0 : severity === "warning" ? 1 : 2);
    const ranked = [...P.candidates].sort((a, b) => rank(a.severity) - rank(b.severity));
    expect(doc.policy?.topCandidates).toEqual(JSON.parse(JSON.stringify(ranked.slice(0, 5))));
    expect(doc.policy?.topCandidates[0]?.["severity"]).toBe("critical");
    expect(doc.policy?.candidateCount).toBeGreaterThan(0);
    expect(doc.handoff?.summary.intentCount).toBe(H.intents.length);
    expect(doc.handoff?.reasonCodes).toEqual(H.reasonCodes);
    expect(doc.autonomous).toMatchObject({
      mode: "guarded_auto",
      enabled: true,
      eligibleCandidateCount: P.autoEligibleCount,
      governance: { posture: "active", blocksAutonomous: false, changedBy: "oncall-a" },
    });
    // A plan-only run: nothing attempted; the backlog is the pending manual-only intents.
    expect(doc.autonomous?.outcomeRollup).toMatchObject({
      attempted: 0,
      executed: 0,
      ambiguous: 0,
      failed: 0,
    });
    expect(doc.latestHandoffTelemetry).toMatchObject({ category: "fleet_handoff_plan", execution: {} });
    expect(doc.traceLinkage.policyTraceId).toBe("fx-1");
  });

  it("explicit paths: relative to the working directory, echoed verbatim", async () => {
    await reconcileFleet();
    const fleet = fleetPaths(repo.root);
    write(path.join(tmp.path, "in", "state.json"), readFileSync(fleet.state, "utf8"));
    write(path.join(tmp.path, "in", "registry.json"), readFileSync(fleet.registry, "utf8"));
    write(
      path.join(tmp.path, "in", "reconcile.jsonl"),
      `${JSON.stringify({ timestamp: NOW, status: "success" })}\n`,
    );
    const input = {
      repo: path.relative(tmp.path, repo.root),
      registryFile: "in/registry.json",
      fleetStateFile: "in/state.json",
      policyStateFile: "in/none.json",
      fleetTelemetryFile: "in/reconcile.jsonl",
      handoffStateFile: "in/none2.json",
      handoffTelemetryFile: "in/none.jsonl",
    };
    const doc = await fleetStatus(input, context());
    expect(doc.source.repoPath).toBe(repo.root);
    expect(doc.files).toEqual({
      registryFile: "in/registry.json",
      fleetStateFile: "in/state.json",
      policyStateFile: "in/none.json",
      fleetTelemetryFile: "in/reconcile.jsonl",
      handoffStateFile: "in/none2.json",
      handoffTelemetryFile: "in/none.jsonl",
    });
    expect(doc.latestTelemetry).toEqual({ timestamp: NOW, status: "success", reasonCodes: [] });
    expect(doc.policy).toBeNull();
  });
});

describe("errors, in §1.1's order", () => {
  it("--repo missing / not a directory", async () => {
    expect(await failure(fleetStatus({}, context()))).toEqual({ message: "--repo is required", exitCode: 1 });
    expect(await failure(fleetStatus({ repo: "" }, context()))).toEqual({
      message: "--repo is required",
      exitCode: 1,
    });
    const file = write(path.join(tmp.path, "plain"), "x");
    expect(await failure(fleetStatus({ repo: file }, context()))).toEqual({
      message: `repo directory not found: ${file}`,
      exitCode: 1,
    });
  });

  it("fleet state missing comes before an invalid registry; registry before invalid state JSON", async () => {
    const fleet = fleetPaths(repo.root);
    write(fleet.registry, "{not json");
    write(fleet.policyState, "{bad");
    expect(await failure(fleetStatus({ repo: repo.root }, context()))).toEqual({
      message: `fleet state file not found: ${fleet.state}`,
      exitCode: 1,
    });
    // A directory is not a fleet state file either.
    mkdirSync(fleet.state, { recursive: true });
    expect((await failure(fleetStatus({ repo: repo.root }, context()))).message).toBe(
      `fleet state file not found: ${fleet.state}`,
    );
    const other = write(path.join(tmp.path, "state.json"), "{torn");
    expect(await failure(fleetStatus({ repo: repo.root, fleetStateFile: "state.json" }, context()))).toEqual({
      message: `invalid fleet registry JSON: ${fleet.registry}`,
      exitCode: 1,
    });
    writeRegistry();
    expect(await failure(fleetStatus({ repo: repo.root, fleetStateFile: "state.json" }, context()))).toEqual({
      message: "invalid fleet state JSON: state.json",
      exitCode: 1,
    });
    // A parseable non-object is invalid too.
    write(other, "[1,2]");
    expect(
      (await failure(fleetStatus({ repo: repo.root, fleetStateFile: "state.json" }, context()))).message,
    ).toBe("invalid fleet state JSON: state.json");
    write(other, "{}");
    write(fleet.handoffState, "");
    expect(await failure(fleetStatus({ repo: repo.root, fleetStateFile: "state.json" }, context()))).toEqual({
      message: `invalid policy state JSON: ${fleet.policyState}`,
      exitCode: 1,
    });
    write(fleet.policyState, "{}");
    expect(await failure(fleetStatus({ repo: repo.root, fleetStateFile: "state.json" }, context()))).toEqual({
      message: `invalid handoff state JSON: ${fleet.handoffState}`,
      exitCode: 1,
    });
    write(fleet.handoffState, "{}");
    const doc = await fleetStatus({ repo: repo.root, fleetStateFile: "state.json" }, context());
    expect(doc.fleet).toMatchObject({ status: "unknown", loopCount: 0, partialFailure: false });
    expect(doc.policy).not.toBeNull();
    expect(doc.handoff).not.toBeNull();
  });

  it("a guarded_auto registry whose review deadline has passed fails at the registry step (20 #48)", async () => {
    const fleet = fleetPaths(repo.root);
    write(fleet.state, "{broken");
    writeRegistry({
      policy: {
        mode: "guarded_auto",
        autonomous: { governance: { ...GOVERNANCE, reviewBy: "2026-02-22T12:00:00Z" } },
      },
    });
    let caught: unknown;
    try {
      await fleetStatus({ repo: repo.root }, context());
    } catch (error) {
      caught = error;
    }
    expect(isFleetRegistryInvalidError(caught)).toBe(true);
    const problems = (caught as { problems: string[] }).problems;
    expect(problems.some((problem) => problem.includes("reviewBy"))).toBe(true);
  });

  it("the registry hook replaces the load; its exit status is the error's exit code", async () => {
    const fleet = fleetPaths(repo.root);
    write(fleet.state, { fleetId: null, results: [] });
    const hook = write(path.join(tmp.path, "hook.sh"), "#!/bin/sh\necho 'hook broke' >&2\nexit 3\n");
    chmodSync(hook, 0o755);
    const stderr: string[] = [];
    const ctx = context({
      env: envWithoutOpsManager({ OPS_MANAGER_FLEET_REGISTRY_SCRIPT: hook }),
      stderr: { write: (t: string) => stderr.push(t) },
    });
    expect((await failure(fleetStatus({ repo: repo.root }, ctx))).exitCode).toBe(3);
    expect(stderr.join("")).toContain("hook broke");

    // A working hook: its stdout (a normalised registry) is used, its fleetId the fallback.
    writeRegistry({ fleetId: "from-hook" });
    const normalized = write(
      path.join(tmp.path, "normalized.json"),
      await fleetRegistry({ repo: repo.root }, { cwd: tmp.path, clock }),
    );
    const ok = write(path.join(tmp.path, "ok.sh"), `#!/bin/sh\ncat '${normalized}'\n`);
    chmodSync(ok, 0o755);
    rmSync(fleet.registry); // the hook, not the file, is read
    const doc = await fleetStatus(
      { repo: repo.root },
      context({ env: envWithoutOpsManager({ OPS_MANAGER_FLEET_REGISTRY_SCRIPT: ok }) }),
    );
    expect(doc.source.fleetId).toBe("from-hook");
  });
});

describe("telemetry: only the last line, never fatal", () => {
  it("missing, empty, blank last line, torn or non-object last line → null", async () => {
    const file = path.join(tmp.path, "t.jsonl");
    expect(await readLastTelemetryRecord(file)).toBeNull();
    write(file, "");
    expect(await readLastTelemetryRecord(file)).toBeNull();
    write(file, `${JSON.stringify({ status: "success" })}\n\n`);
    expect(await readLastTelemetryRecord(file)).toBeNull();
    write(file, `${JSON.stringify({ status: "success" })}\n   \n`);
    expect(await readLastTelemetryRecord(file)).toBeNull();
    write(file, `${JSON.stringify({ status: "success" })}\n{"status":"fail`);
    expect(await readLastTelemetryRecord(file)).toBeNull();
    write(file, `${JSON.stringify({ status: "success" })}\n[1]\n`);
    expect(await readLastTelemetryRecord(file)).toBeNull();
    mkdirSync(path.join(tmp.path, "dir.jsonl"));
    expect(await readLastTelemetryRecord(path.join(tmp.path, "dir.jsonl"))).toBeNull();
  });

  it("only the last line counts: earlier garbage is ignored; an unterminated complete line is read", async () => {
    const file = path.join(tmp.path, "t.jsonl");
    const filler = `${"x".repeat(200)}\n`.repeat(2000); // ~400 KB of non-JSON before the last line
    write(file, `${filler}${JSON.stringify({ status: "success", reasonCodes: ["b", "a"] })}\n`);
    expect(await readLastTelemetryRecord(file)).toEqual({ status: "success", reasonCodes: ["b", "a"] });
    write(file, `${filler}${JSON.stringify({ status: "late" })}`);
    expect(await readLastTelemetryRecord(file)).toEqual({ status: "late" });
  });

  it("a torn telemetry line leaves the section null and the command succeeds", async () => {
    const state = await reconcileFleet();
    const fleet = fleetPaths(repo.root);
    writeFileSync(
      fleet.telemetry.reconcile,
      `${readFileSync(fleet.telemetry.reconcile, "utf8")}{"timestamp":"2026-`,
    );
    write(fleet.telemetry.handoff, "not json\n");
    const doc = await fleetStatus({ repo: repo.root }, context());
    expect(doc.latestTelemetry).toBeNull();
    expect(doc.latestHandoffTelemetry).toBeNull();
    expect(doc.fleet.traceId).toBe(state.traceId);
  });
});
