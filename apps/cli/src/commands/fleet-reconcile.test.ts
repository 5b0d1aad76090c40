// `ops-manager fleet reconcile` end to end through the CLI (spec 21): a mixed local +
// sprite_service fleet against a real sprite-service request handler on 127.0.0.1, progress on a
// terminal only, exit codes.
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createSimulatedRepo, type SimulatedRepo, writeFleetRegistry } from "@ops/testkit";
import { createSpriteServiceHandler } from "@ops/transport-sprite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../io.js";
import { runCli } from "../run.js";

const TOKEN = "fleet-s3cret";
let fleetRepo: SimulatedRepo;
let spriteRepo: SimulatedRepo;
let server: Server;
let baseUrl: string;
let closedUrl: string;

function listen(target: Server): Promise<number> {
  return new Promise((resolve) =>
    target.listen(0, "127.0.0.1", () => resolve((target.address() as AddressInfo).port)),
  );
}

beforeEach(async () => {
  // One runtime repo per place a loop runs: the fleet repo hosts the local loop (and the
  // manager's artifacts of every loop); the sprite host's repo is served over HTTP.
  fleetRepo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  spriteRepo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  server = createServer(
    createSpriteServiceHandler({
      repo: spriteRepo.root,
      token: TOKEN,
      env: {},
      runControl: async () => ({ exitCode: 1, stdout: "", stderr: "error: not used here\n" }),
    }),
  );
  baseUrl = `http://127.0.0.1:${await listen(server)}`;
  const closed = createServer();
  const port = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  closedUrl = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fleetRepo.cleanup();
  await spriteRepo.cleanup();
});

async function cli(args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text), isTTY: options.tty === true },
    env: { OPS_MANAGER_ALERTS_ENABLED: "false", ...options.env },
    cwd: fleetRepo.root,
  };
  const code = await runCli(["fleet", "reconcile", ...args], io);
  return { code, out, err };
}

function mixedFleet() {
  fleetRepo.scenario("running", "alpha");
  spriteRepo.scenario("running", "beta");
  writeFleetRegistry(fleetRepo.root, {
    schemaVersion: "v1",
    fleetId: "fleet-east",
    loops: [
      {
        loopId: "gamma",
        transport: "sprite_service",
        service: { baseUrl: closedUrl, retryAttempts: 1, retryBackoffSeconds: 0 },
      },
      {
        loopId: "beta",
        transport: "sprite_service",
        sprite: { id: "spr-17", serviceBaseUrl: baseUrl },
        service: { baseUrl, tokenEnv: "FLEET_TOKEN", retryAttempts: 2, retryBackoffSeconds: 0 },
      },
      { loopId: "alpha" },
    ],
  });
}

describe("ops-manager fleet reconcile", () => {
  it("mixed local + sprite_service fleet: one JSON document on stdout, exit 0 on partial failure", async () => {
    mixedFleet();
    const { code, out, err } = await cli(["--repo", ".", "--deterministic-order", "--trace-id", "fx-1"], {
      env: { FLEET_TOKEN: TOKEN },
    });
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const state = JSON.parse(out);
    expect(out.trim().split("\n")).toHaveLength(1);
    expect(state).toMatchObject({
      fleetId: "fleet-east",
      traceId: "fx-1",
      status: "partial_failure",
      loopCount: 3,
      successCount: 2,
      failedCount: 1,
      execution: { maxParallel: 2, deterministicOrder: true, fromStart: false, maxEvents: 0 },
    });
    const byId = state.results.map((r: { loopId: string }) => r.loopId);
    expect(byId).toEqual(["alpha", "beta", "gamma"]);
    const [alpha, beta, gamma] = state.results;
    expect(alpha).toMatchObject({ transport: "local", status: "success", transitionState: "running" });
    expect(beta).toMatchObject({
      transport: "sprite_service",
      status: "success",
      transitionState: "running",
      traceId: "fx-1-beta",
      sprite: { id: "spr-17", serviceBaseUrl: baseUrl },
    });
    expect(gamma).toMatchObject({
      transport: "sprite_service",
      status: "failed",
      reasonCode: "transport_unreachable",
      healthReasonCodes: ["transport_unreachable"],
    });
    // The manager's artifacts of the sprite loop are written locally, in the fleet repo.
    const betaState = JSON.parse(readFileSync(beta.files.stateFile, "utf8"));
    expect(betaState.transition.currentState).toBe("running");
    const fleetState = path.join(fleetRepo.root, ".superloop/ops-manager/fleet/state.json");
    expect(JSON.parse(readFileSync(fleetState, "utf8"))).toEqual(state);
  }, 30000);

  it("a wrong service token fails that loop only", async () => {
    mixedFleet();
    const { code, out } = await cli(["--repo", fleetRepo.root, "--max-parallel", "1"], {
      env: { FLEET_TOKEN: "wrong" },
    });
    expect(code).toBe(0);
    const state = JSON.parse(out);
    expect(state.results.map((r: { status: string }) => r.status)).toEqual(["failed", "failed", "success"]);
    expect(state.status).toBe("partial_failure");
  }, 30000);

  it("prints progress on stderr only when stderr is a terminal", async () => {
    mixedFleet();
    const { code, out, err } = await cli(["--repo", ".", "--max-parallel", "1", "--pretty"], {
      tty: true,
      env: { FLEET_TOKEN: TOKEN },
    });
    expect(code).toBe(0);
    expect(JSON.parse(out).loopCount).toBe(3);
    expect(out).toContain('\n  "schemaVersion": "v1"');
    expect(err.split("\n").filter((line) => line !== "")).toEqual([
      "[1/3] gamma: reconciling",
      "[1/3] gamma: failed (transport_unreachable)",
      "[2/3] beta: reconciling",
      "[2/3] beta: success",
      "[3/3] alpha: reconciling",
      "[3/3] alpha: success",
    ]);
  }, 30000);

  it("exit codes: validation errors exit 1 and write nothing", async () => {
    const fleetState = path.join(fleetRepo.root, ".superloop/ops-manager/fleet/state.json");
    expect(await cli([])).toMatchObject({ code: 1, out: "", err: "error: --repo is required\n" });
    expect(await cli(["--repo", ".", "--max-parallel", "0"])).toMatchObject({
      code: 1,
      err: "error: --max-parallel must be an integer >= 1\n",
    });
    expect(await cli(["--repo", ".", "--max-events", "x"])).toMatchObject({
      code: 1,
      err: "error: --max-events must be a non-negative integer\n",
    });
    const file = writeFleetRegistry(fleetRepo.root, { schemaVersion: "v1", loops: [] });
    const invalid = await cli(["--repo", "."]);
    expect(invalid.code).toBe(1);
    expect(invalid.out).toBe("");
    expect(invalid.err.startsWith(`error: invalid fleet registry: ${file}\n - `)).toBe(true);
    expect(existsSync(fleetState)).toBe(false);
  });
});
