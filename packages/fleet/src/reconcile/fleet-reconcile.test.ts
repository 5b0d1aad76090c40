import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Clock, fleetPaths, opsPaths } from "@ops/contract";
import { notConfiguredAlertDispatch, type ReconcileResult } from "@ops/reconcile";
import {
  createSimulatedRepo,
  envWithoutOpsManager,
  makeTempDir,
  readJsonLines,
  type SimulatedRepo,
  type TempDir,
  writeFleetRegistry,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FleetReconcileContext, fleetReconcile, type LoopReconcileFunction } from "./fleet-reconcile.js";
import { FleetReconcileStateSchema, FleetReconcileTelemetryRowSchema } from "./schemas.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const NOW = "2026-02-22T12:00:00Z";
const clock: Clock = { now: () => new Date(NOW) };

let repo: SimulatedRepo;
let tmp: TempDir;

beforeEach(() => {
  repo = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:30Z" });
  tmp = makeTempDir("ops-fleet-reconcile-");
});

afterEach(async () => {
  await repo.cleanup();
  await tmp.cleanup();
});

function writeRegistry(loops: unknown[], fleetId = "fleet-east"): void {
  writeFleetRegistry(repo.root, { schemaVersion: "v1", fleetId, loops });
}

function context(extra: Partial<FleetReconcileContext> = {}): FleetReconcileContext {
  return {
    clock,
    env: envWithoutOpsManager(),
    cwd: tmp.path,
    installRoot: INSTALL_ROOT,
    reconcileContext: { alertDispatch: notConfiguredAlertDispatch },
    ...extra,
  };
}

/** A fake per-loop reconcile: records concurrency, resolves after `delayMs(loop)`. */
function instrumented(delayMs: (loop: string) => number) {
  const stats = { inFlight: 0, maxInFlight: 0, started: [] as string[], finished: [] as string[] };
  const fn: LoopReconcileFunction = async (input) => {
    const loop = input.loop ?? "";
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    stats.started.push(loop);
    await new Promise((resolve) => setTimeout(resolve, delayMs(loop)));
    stats.inFlight -= 1;
    stats.finished.push(loop);
    const result: ReconcileResult = {
      exitCode: 0,
      document: { health: { status: "healthy", reasonCodes: [] }, transition: { currentState: "running" } },
    };
    return result;
  };
  return { fn, stats };
}

describe("fleet reconcile with the real in-process per-loop reconcile", () => {
  it("reconciles every loop, records failures and pre-checks, writes state + telemetry (§2, §4–§6)", async () => {
    repo.scenario("running", "alpha");
    repo.scenario("complete", "beta");
    writeRegistry([
      { loopId: "beta", metadata: { team: "b" } },
      { loopId: "ghost" },
      { loopId: "alpha", sprite: { id: "spr-1" } },
      { loopId: "off", enabled: false },
      { loopId: "tok", service: { tokenEnv: "TOK_UNSET" } },
    ]);
    const state = await fleetReconcile({ repo: repo.root, traceId: "fx-1", maxParallel: "3" }, context());

    expect(FleetReconcileStateSchema.parse(state)).toEqual(state);
    expect(state.results.map((r) => r.loopId)).toEqual(["beta", "ghost", "alpha", "off", "tok"]);
    const [beta, ghost, alpha, off, tok] = state.results;
    expect(beta).toMatchObject({ status: "success", reconcileStatus: "success", traceId: "fx-1-beta" });
    expect(beta?.metadata).toEqual({ team: "b" });
    expect(beta?.outputExcerpt).toBeUndefined();
    expect(alpha).toMatchObject({ status: "success", sprite: { id: "spr-1" } });
    // Both loops share the repo-level state.json (inactive after beta completed): lifecycle `idle`.
    expect(alpha?.transitionState).toBe("idle");
    // Local loop without runtime artifacts: the per-loop health names transport_unreachable (§7).
    expect(ghost).toMatchObject({
      status: "failed",
      reconcileStatus: "failed",
      reasonCode: "transport_unreachable",
    });
    expect(ghost?.healthReasonCodes).toContain("transport_unreachable");
    expect(ghost?.outputExcerpt?.startsWith("{")).toBe(true);
    expect(off).toMatchObject({ status: "skipped", reasonCode: "loop_disabled", healthStatus: "unknown" });
    expect(off?.outputExcerpt).toBeUndefined();
    expect(tok).toMatchObject({ status: "failed", reasonCode: "missing_service_token_env" });
    expect(state).toMatchObject({
      fleetId: "fleet-east",
      traceId: "fx-1",
      status: "partial_failure",
      loopCount: 5,
      successCount: 2,
      failedCount: 2,
      skippedCount: 1,
      execution: { maxParallel: 3, deterministicOrder: false, fromStart: false, maxEvents: 0 },
    });
    expect(state.reasonCodes).toContain("fleet_partial_failure");
    expect(state.reasonCodes).toContain("fleet_loop_skipped");

    // Drill-down pointers, and the per-loop artifacts really exist for reconciled loops.
    const alphaOps = opsPaths(repo.root, "alpha");
    expect(alpha?.files).toEqual({
      stateFile: alphaOps.state,
      healthFile: alphaOps.health,
      cursorFile: alphaOps.cursor,
      reconcileTelemetryFile: alphaOps.telemetry.reconcile,
    });
    expect(existsSync(alphaOps.state)).toBe(true);
    expect(JSON.parse(readFileSync(alphaOps.state, "utf8")).run?.traceId ?? "fx-1-alpha").toBe("fx-1-alpha");
    expect(readJsonLines(alphaOps.telemetry.reconcile)).toHaveLength(1);
    expect(existsSync(opsPaths(repo.root, "off").state)).toBe(false);

    const fleet = fleetPaths(repo.root);
    expect(JSON.parse(readFileSync(fleet.state, "utf8"))).toEqual(state);
    const rows = readJsonLines(fleet.telemetry.reconcile);
    expect(rows).toHaveLength(1);
    const row = FleetReconcileTelemetryRowSchema.parse(rows[0]);
    expect(row).toMatchObject({
      category: "fleet_reconcile",
      timestamp: state.updatedAt,
      results: state.results,
    });
    expect(Object.keys(rows[0] as object)).not.toContain("execution");

    // A re-run overwrites state.json and appends exactly one more line (§8).
    await fleetReconcile({ repo: repo.root, traceId: "fx-2" }, context());
    expect(readJsonLines(fleet.telemetry.reconcile)).toHaveLength(2);
    expect(JSON.parse(readFileSync(fleet.state, "utf8")).traceId).toBe("fx-2");
    // Nothing else in the fleet directory is touched (the lock file aside).
    expect(
      readdirSync(fleet.dir)
        .filter((name) => name !== ".lock")
        .sort(),
    ).toEqual(["registry.v1.json", "state.json", "telemetry"]);
  });
});

describe("bounded fan-out (§3.2)", () => {
  const loops = ["l1", "l2", "l3", "l4", "l5", "l6"];

  it("never has more than --max-parallel loops in flight", async () => {
    writeRegistry(loops.map((loopId) => ({ loopId })));
    for (const [limit, expected] of [
      ["2", 2],
      ["1", 1],
      ["010", 6],
    ] as const) {
      const { fn, stats } = instrumented(() => 40);
      const state = await fleetReconcile({ repo: repo.root, maxParallel: limit }, context({ reconcile: fn }));
      expect(stats.maxInFlight).toBe(expected);
      expect(state.execution.maxParallel).toBe(Number.parseInt(limit, 10));
      expect(state.status).toBe("success");
    }
  });

  it("defaults to 2 and returns results in processing order, not completion order", async () => {
    writeRegistry(loops.map((loopId) => ({ loopId })));
    const { fn, stats } = instrumented((loop) => (loop === "l1" ? 150 : 10));
    const state = await fleetReconcile({ repo: repo.root }, context({ reconcile: fn }));
    expect(stats.maxInFlight).toBe(2);
    expect(stats.finished[0]).not.toBe("l1");
    expect(state.results.map((r) => r.loopId)).toEqual(loops);
  });

  it("--deterministic-order sorts by loopId regardless of registry order (§3.1, §8)", async () => {
    writeRegistry([{ loopId: "loopA" }, { loopId: "loop-a" }, { loopId: "loop-1" }, { loopId: "Zed" }]);
    const { fn, stats } = instrumented(() => 5);
    const state = await fleetReconcile(
      { repo: repo.root, deterministicOrder: true, maxParallel: "1", traceId: "t" },
      context({ reconcile: fn }),
    );
    expect(state.results.map((r) => r.loopId)).toEqual(["Zed", "loop-1", "loop-a", "loopA"]);
    expect(stats.started).toEqual(["Zed", "loop-1", "loop-a", "loopA"]);
    expect(state.execution.deterministicOrder).toBe(true);
  });

  it("an in-process loop that hangs times out as failed and does not stop the others", async () => {
    writeRegistry([{ loopId: "hang" }, { loopId: "ok1" }, { loopId: "ok2" }]);
    const fn: LoopReconcileFunction = (input) =>
      input.loop === "hang"
        ? new Promise<never>(() => undefined)
        : Promise.resolve({ exitCode: 0, document: { health: { status: "healthy", reasonCodes: [] } } });
    const state = await fleetReconcile(
      { repo: repo.root, maxParallel: "1" },
      context({ reconcile: fn, loopTimeoutMs: 200 }),
    );
    expect(state.results.map((r) => r.status)).toEqual(["failed", "success", "success"]);
    expect(state.results[0]).toMatchObject({
      reasonCode: "reconcile_timeout",
      outputExcerpt: "per-loop reconcile timed out after 0.2s",
    });
    expect(state.status).toBe("partial_failure");
  });
});

describe("OPS_MANAGER_RECONCILE_SCRIPT hook (§4.2)", () => {
  function writeHook(): { hook: string; argsDir: string } {
    const argsDir = path.join(tmp.path, "args");
    mkdirSync(argsDir);
    const hook = path.join(tmp.path, "reconcile-hook.mjs");
    writeFileSync(
      hook,
      `#!/usr/bin/env node
import { writeFileSync } from "node:fs";
const args = process.argv.slice(2);
const loop = args[args.indexOf("--loop") + 1];
writeFileSync(${JSON.stringify(argsDir)} + "/" + loop + ".json", JSON.stringify(args));
if (loop === "slow") await new Promise((r) => setTimeout(r, 60000));
if (loop === "bad") {
  process.stderr.write("warming up\\n");
  console.log(JSON.stringify({ status: "critical", reasonCodes: ["reconcile_failed"], transport: { failureCode: "service_request_failed" } }));
  process.exit(3);
}
if (loop === "noisy") { console.log("progress: 1/1"); }
console.log(JSON.stringify({ health: { status: loop === "noisy" ? "degraded" : "healthy", reasonCodes: [] }, transition: { currentState: "complete" } }));
`,
    );
    chmodSync(hook, 0o755);
    return { hook, argsDir };
  }

  it("runs the hook per loop with the spec's arguments; a hung and a failing loop do not stop others", async () => {
    const { hook, argsDir } = writeHook();
    writeRegistry([
      { loopId: "slow" },
      { loopId: "bad" },
      {
        loopId: "remote",
        transport: "sprite_service",
        service: { baseUrl: "http://127.0.0.1:9/", tokenEnv: "SVC_TOKEN", retryBackoffSeconds: 0.5 },
      },
      { loopId: "noisy" },
    ]);
    const started = Date.now();
    const state = await fleetReconcile(
      { repo: repo.root, traceId: "fx-1", maxEvents: "0", fromStart: true, maxParallel: "2" },
      context({
        env: envWithoutOpsManager({ OPS_MANAGER_RECONCILE_SCRIPT: hook, SVC_TOKEN: "s3cret" }),
        loopTimeoutMs: 1500,
      }),
    );
    expect(Date.now() - started).toBeLessThan(20000);
    const [slow, bad, remote, noisy] = state.results;
    expect(slow).toMatchObject({ status: "failed", reasonCode: "reconcile_timeout" });
    expect(bad).toMatchObject({
      status: "failed",
      reasonCode: "reconcile_failed",
      healthStatus: "critical",
      healthReasonCodes: ["reconcile_failed"],
    });
    expect(bad?.outputExcerpt?.startsWith("warming up {")).toBe(true);
    expect(remote).toMatchObject({ status: "success", healthStatus: "healthy", transitionState: "complete" });
    // Careful Q5: extra text before the document on success still yields the health.
    expect(noisy).toMatchObject({ status: "success", healthStatus: "degraded" });
    expect(state.reasonCodes).toEqual(["fleet_health_critical", "fleet_partial_failure"]);
    expect(state.execution).toEqual({
      maxParallel: 2,
      deterministicOrder: false,
      fromStart: true,
      maxEvents: 0,
    });

    const args = (loop: string) => JSON.parse(readFileSync(path.join(argsDir, `${loop}.json`), "utf8"));
    expect(args("noisy")).toEqual([
      "--repo",
      repo.root,
      "--loop",
      "noisy",
      "--transport",
      "local",
      "--trace-id",
      "fx-1-noisy",
      "--max-events",
      "0",
      "--from-start",
    ]);
    expect(args("remote")).toEqual([
      "--repo",
      repo.root,
      "--loop",
      "remote",
      "--transport",
      "sprite_service",
      "--trace-id",
      "fx-1-remote",
      "--max-events",
      "0",
      "--from-start",
      "--service-base-url",
      "http://127.0.0.1:9/",
      "--retry-attempts",
      "3",
      "--retry-backoff-seconds",
      "0.5",
      "--service-token",
      "s3cret",
    ]);
  }, 30000);
});

describe("validation (§1.2)", () => {
  it("checks flags in the spec's order and writes nothing", async () => {
    const run = (input: Parameters<typeof fleetReconcile>[0]) => fleetReconcile(input, context());
    await expect(run({ maxParallel: "0" })).rejects.toThrow("--repo is required");
    await expect(run({ repo: repo.root, maxParallel: "0", maxEvents: "x" })).rejects.toThrow(
      "--max-parallel must be an integer >= 1",
    );
    await expect(run({ repo: repo.root, maxParallel: "-1" })).rejects.toThrow(
      "--max-parallel must be an integer >= 1",
    );
    await expect(run({ repo: repo.root, maxEvents: "-1" })).rejects.toThrow(
      "--max-events must be a non-negative integer",
    );
    await expect(run({ repo: path.join(tmp.path, "nope") })).rejects.toThrow("repo directory not found");
    await expect(run({ repo: repo.root })).rejects.toThrow("fleet registry file not found");
    expect(existsSync(fleetPaths(repo.root).state)).toBe(false);
    expect(existsSync(fleetPaths(repo.root).telemetry.reconcile)).toBe(false);
  });

  it("an output path that is a directory fails before any loop runs; state.json is left alone", async () => {
    writeRegistry([{ loopId: "a" }]);
    const { fn, stats } = instrumented(() => 0);
    const first = await fleetReconcile({ repo: repo.root, traceId: "t1" }, context({ reconcile: fn }));
    const stateBefore = readFileSync(fleetPaths(repo.root).state, "utf8");
    mkdirSync(path.join(tmp.path, "dir"));
    for (const input of [{ fleetStateFile: "dir" }, { fleetTelemetryFile: "dir" }]) {
      await expect(
        fleetReconcile({ repo: repo.root, traceId: "t2", ...input }, context({ reconcile: fn })),
      ).rejects.toThrow("cannot write dir (EISDIR)");
    }
    expect(stats.started).toEqual(["a"]);
    expect(readFileSync(fleetPaths(repo.root).state, "utf8")).toBe(stateBefore);
    expect(first.traceId).toBe("t1");
  });

  it("uses OPS_MANAGER_TRACE_ID, else a generated lowercase id (§1.1)", async () => {
    writeRegistry([{ loopId: "a.b" }]);
    const { fn } = instrumented(() => 0);
    const fromEnv = await fleetReconcile(
      { repo: repo.root, traceId: "" },
      context({ reconcile: fn, env: envWithoutOpsManager({ OPS_MANAGER_TRACE_ID: "env-1" }) }),
    );
    expect(fromEnv.results[0]?.traceId).toBe("env-1-a.b");
    const generated = await fleetReconcile(
      { repo: repo.root },
      context({ reconcile: fn, generateTraceId: () => "ABC-1" }),
    );
    expect(generated.traceId).toBe("abc-1");
  });
});
