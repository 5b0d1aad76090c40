/**
 * Fault test: a control request through the sprite-service transport, interrupted by killing the
 * service (SIGKILL) while the runtime command runs, then retried with the same idempotency key.
 *
 * Real pieces only: the `ops-sprite-service` process spawned from source, the simulated runtime
 * (`SUPERLOOP_BIN` = testkit's superloop.mjs, every run counted in `SUPERLOOP_SIM_INVOCATION_LOG`;
 * for the kill, behind a gate script that holds the runtime command until the test opens the gate,
 * so the kill always lands before the runtime acts — no sleeps racing the scheduler), and the
 * manager side through `controlIntent` of @ops/reconcile
 * (what `ops-manager control --transport sprite_service --service-base-url … --idempotency-key K`
 * runs), recording into its own directory as a manager on another host would.
 *
 * What these tests pin down (docs/operations.md, "When the service dies during a control"):
 * - Before control runs for a new key, the service durably stores a `pending` entry for it. A crash
 *   mid-flight leaves that entry, and a retry with the same key after a restart is answered
 *   `409` ambiguous (exit 2) from it: the runtime command runs **at most once per key**, crash or not.
 * - The runtime command is a detached process group: it outlives the killed service and takes
 *   effect anyway — which is why the interrupted request's outcome is "unknown", not "failed".
 * - The manager records the interrupted request as `ambiguous` (exit 2, `control_ambiguous`), with
 *   every client attempt in the audit row, because its first attempt may have reached the service.
 * - Once the service has answered a key, the answer replays (`replayed: true`) across restarts.
 */
import fs from "node:fs";
import path from "node:path";
import { opsPaths } from "@ops/contract";
import { type ControlIntentResult, confirmIntent, controlIntent } from "@ops/reconcile";
import {
  createSimulatedRepo,
  isProcessAlive,
  makeTempDir,
  readInvocationLog,
  type SimulatedRepo,
  superloopBinPath,
  type TempDir,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type SpawnedService, spawnService as spawnServiceProcess } from "./test-spawn.js";

const TOKEN = "fault-token";
const LOOP = "demo-loop";
const KEY = "K-fault-1";

const spawned: SpawnedService[] = [];

function spawnService(repo: string, env: NodeJS.ProcessEnv): SpawnedService {
  const service = spawnServiceProcess(["--repo", repo, "--port", "0", "--token", TOKEN], env, repo);
  spawned.push(service);
  return service;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function readJsonl(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function readStore(file: string): Record<string, unknown> {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
}

let repo: SimulatedRepo;
let manager: TempDir;
let invocationLog: string;
let serviceEnv: NodeJS.ProcessEnv;
/** The gated runtime command (see `gatedRuntime`): written when it started, opened by the test. */
let gate: { readonly bin: string; readonly started: string; readonly open: string };

/**
 * A `SUPERLOOP_BIN` that records its pid in `started`, waits until the file `open` exists, then
 * execs the simulated runtime (same pid, same process group). The test decides when the runtime
 * command acts, instead of a sleep racing the kill.
 */
function gatedRuntime(dir: string): typeof gate {
  const bin = path.join(dir, "gated-superloop.sh");
  const started = path.join(dir, "runtime-started");
  const open = path.join(dir, "runtime-gate-open");
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  fs.writeFileSync(
    bin,
    [
      "#!/bin/sh",
      `echo $$ > ${quote(started)}`,
      `while [ ! -e ${quote(open)} ]; do sleep 0.02; done`,
      `exec ${quote(process.execPath)} ${quote(superloopBinPath())} "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return { bin, started, open };
}

function gatedRuntimePid(): number {
  return fs.existsSync(gate.started) ? Number(fs.readFileSync(gate.started, "utf8").trim()) : 0;
}

beforeEach(() => {
  repo = createSimulatedRepo();
  repo.scenario("awaitingApproval", LOOP);
  manager = makeTempDir("ops-fault-manager-");
  invocationLog = path.join(manager.path, "runtime-invocations.jsonl");
  gate = gatedRuntime(manager.path);
  serviceEnv = {
    ...process.env,
    SUPERLOOP_BIN: superloopBinPath(),
    SUPERLOOP_SIM_INVOCATION_LOG: invocationLog,
  };
  delete serviceEnv["OPS_MANAGER_CONFIRM_SCRIPT"];
  delete serviceEnv["OPS_MANAGER_SERVICE_TOKEN"];
});

afterEach(async () => {
  for (const service of spawned.splice(0)) {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill("SIGKILL");
    await service.exited;
  }
  // A runtime command that outlived its service must not outlive the test (gated or not).
  for (const pid of [gatedRuntimePid(), ...readInvocationLog(invocationLog).map((run) => run.pid)]) {
    if (pid > 1 && isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  }
  await repo.cleanup();
  manager.cleanup();
});

/** `ops-manager control --transport sprite_service … --idempotency-key K` on the manager side. */
function managerControl(url: string, traceId: string): Promise<ControlIntentResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, USER: "ops-user" };
  delete env["OPS_MANAGER_SERVICE_TOKEN"];
  delete env["OPS_MANAGER_TRACE_ID"];
  return controlIntent(
    {
      repo: manager.path,
      loop: LOOP,
      intent: "reject",
      transport: "sprite_service",
      serviceBaseUrl: url,
      serviceToken: TOKEN,
      idempotencyKey: KEY,
      traceId,
      note: "fault test",
      timeoutSeconds: "5",
      intervalSeconds: "1",
      retryAttempts: "3",
      retryBackoffSeconds: "0",
    },
    { env, cwd: manager.path },
  );
}

describe("control through the sprite service, service killed mid-flight", () => {
  // Deterministic: the runtime command is held at a gate until the service is dead, so the kill
  // always lands while control is running and before the runtime acts.
  it("records ambiguous; the runtime command still takes effect; a same-key retry after restart answers ambiguous from the pending entry and runs nothing", {
    timeout: 60_000,
  }, async () => {
    const ops = opsPaths(repo.root, LOOP);
    const managerOps = opsPaths(manager.path, LOOP);

    // 1. The first attempt: the service is killed while the runtime command waits at its gate.
    const first = spawnService(repo.root, { ...serviceEnv, SUPERLOOP_BIN: gate.bin });
    const firstUrl = await first.url;
    const pending = managerControl(firstUrl, "trace-fault-1");
    await waitFor("the runtime command to start", () => gatedRuntimePid() > 1);
    first.child.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    const interrupted = await pending;
    // The kill landed before the runtime command acted.
    expect(readInvocationLog(invocationLog)).toEqual([]);
    expect(repo.loop(LOOP).readApproval()).toMatchObject({ status: "pending" });

    // What the manager records: the request may have reached the service, so the outcome is unknown.
    expect(interrupted.exitCode).toBe(2);
    expect(interrupted.intent).toMatchObject({
      transport: "sprite_service",
      status: "ambiguous",
      idempotencyKey: KEY,
      exitCode: 2,
      confirmed: false,
      command: `POST ${firstUrl}/ops/control`,
    });
    const output = String(interrupted.intent.commandOutput).split("\n");
    expect(output[0]).toBe(
      `outcome unknown: POST ${firstUrl}/ops/control failed after it may have reached the service, so the runtime command may have run`,
    );
    // The first attempt was cut off by the kill; the retries found the port closed.
    expect(output[1]).toMatch(/^attempt 1: code=000 \(may have been delivered\): /);
    expect(output[2]).toMatch(/^attempt 2: code=000 \(not delivered\): .*ECONNREFUSED/);
    expect(output[3]).toMatch(/^attempt 3: code=000 \(not delivered\): .*ECONNREFUSED/);
    const [audit] = readJsonl(managerOps.telemetry.controlInvocations);
    expect(audit).toMatchObject({
      execution: {
        status: "unknown",
        exitCode: 2,
        replayed: false,
        attempts: [
          {
            attempt: 1,
            status: 0,
            code: "000",
            failure: "maybe_sent",
            delivery: "maybe_delivered",
            retried: true,
          },
          {
            attempt: 2,
            status: 0,
            code: "000",
            failure: "not_sent",
            delivery: "not_delivered",
            retried: true,
          },
          {
            attempt: 3,
            status: 0,
            code: "000",
            failure: "not_sent",
            delivery: "not_delivered",
            retried: false,
          },
        ],
      },
      confirmation: { attempted: false, status: "not_attempted" },
      outcome: { status: "ambiguous", reasonCode: "control_ambiguous" },
    });
    expect(readJsonl(managerOps.telemetry.control)).toMatchObject([
      { status: "ambiguous", reasonCode: "control_ambiguous", idempotencyKey: KEY, exitCode: 2 },
    ]);

    // On the service side, the pending entry says what is known: K started control and was never
    // answered. No service-side intent record (control never finished); the killed service's control
    // lock is left behind.
    expect(readStore(ops.serviceIdempotency)).toEqual({
      [KEY]: {
        status: "pending",
        request: { loopId: LOOP, intent: "reject" },
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        pid: first.child.pid,
        by: "ops-user",
        traceId: "trace-fault-1",
      },
    });
    expect(readJsonl(ops.intents)).toEqual([]);
    const controlLock = path.join(ops.dir, ".control.lock");
    expect(fs.existsSync(controlLock)).toBe(true);

    // …and the runtime command was a detached process group: it outlives the service and acts.
    expect(isProcessAlive(gatedRuntimePid())).toBe(true);
    fs.writeFileSync(gate.open, "");
    await waitFor("the orphaned runtime command to run", () => readInvocationLog(invocationLog).length === 1);
    const [run] = readInvocationLog(invocationLog);
    expect(run?.pid).toBe(gatedRuntimePid());
    expect(run?.argv).toEqual(
      expect.arrayContaining(["approve", "--loop", LOOP, "--reject", "--by", "ops-user"]),
    );
    await waitFor("the orphaned runtime command to finish", () => !isProcessAlive(run?.pid ?? 0));
    expect(repo.loop(LOOP).readApproval()).toMatchObject({ status: "rejected" });
    expect(repo.loop(LOOP).readDecisions()).toHaveLength(1);

    // 2. Restart, retry with the same key: answered from the pending entry — 409, ambiguous, exit 2 —
    //    and control is not run again.
    const second = spawnService(repo.root, serviceEnv);
    const secondUrl = await second.url;
    const retry = await managerControl(secondUrl, "trace-fault-2");
    expect(retry.exitCode).toBe(2);
    expect(retry.intent).toMatchObject({ status: "ambiguous", exitCode: 2, idempotencyKey: KEY });
    const answer = JSON.parse(String(retry.intent.commandOutput)) as Record<string, unknown>;
    expect(answer).toMatchObject({
      ok: false,
      exitCode: 2,
      result: {
        loopId: LOOP,
        intent: "reject",
        status: "ambiguous",
        reason: "idempotency_key_pending",
        idempotencyKey: KEY,
        traceId: "trace-fault-1",
      },
      replayed: true,
      traceId: "trace-fault-2",
    });
    expect(String(answer["stderr"])).toContain(`by service pid ${first.child.pid}`);
    expect(readJsonl(managerOps.telemetry.controlInvocations)[1]).toMatchObject({
      traceId: "trace-fault-2",
      execution: {
        status: "unknown",
        exitCode: 2,
        replayed: true,
        attempts: [{ attempt: 1, status: 409, code: "409", delivery: "answered", retried: false }],
      },
      outcome: { status: "ambiguous", reasonCode: "control_ambiguous" },
    });
    // Exactly ONE runtime invocation in total; nothing ran on the service side (no intent record,
    // and the dead service's control lock was never even taken over); the entry is still pending.
    expect(readInvocationLog(invocationLog)).toHaveLength(1);
    expect(readJsonl(ops.intents)).toEqual([]);
    expect(fs.existsSync(controlLock)).toBe(true);
    expect(readStore(ops.serviceIdempotency)[KEY]).toMatchObject({ status: "pending" });
    expect(repo.loop(LOOP).readDecisions()).toHaveLength(1);

    // 3. And again: pending keys never expire on their own.
    const third = await managerControl(secondUrl, "trace-fault-3");
    expect(third).toMatchObject({ exitCode: 2, intent: { status: "ambiguous" } });
    expect(readInvocationLog(invocationLog)).toHaveLength(1);

    // 4. The runbook: confirm the state on the sprite host — the rejection took effect, so there is
    //    nothing to retry (otherwise: a new key).
    const confirmed = await confirmIntent(
      { repo: repo.root, loop: LOOP, intent: "reject", timeoutSeconds: 0 },
      { env: {} },
    );
    expect(confirmed).toMatchObject({
      exitCode: 0,
      document: { confirmed: true, reason: "rejection_observed" },
    });
  });

  it("once the service has answered a key, a retry with it never runs the runtime command again, even after a crash and restart", async () => {
    const ops = opsPaths(repo.root, LOOP);
    const first = spawnService(repo.root, serviceEnv);
    const answered = await managerControl(await first.url, "trace-answered-1");
    expect(answered.exitCode).toBe(0);
    expect(answered.intent).toMatchObject({
      transport: "sprite_service",
      status: "confirmed",
      confirmed: true,
    });
    expect(readInvocationLog(invocationLog)).toHaveLength(1);
    // The answer replaced the pending entry (atomically, fsynced) before the response was sent: the
    // spec's stored shape (the response object) plus the request fingerprint.
    const store = readStore(ops.serviceIdempotency);
    expect(Object.keys(store)).toEqual([KEY]);
    expect(store[KEY]).toMatchObject({ ok: true, exitCode: 0, replayed: false, request: { loopId: LOOP } });
    expect(store[KEY]).not.toHaveProperty("status");

    first.child.kill("SIGKILL");
    await first.exited;
    const second = spawnService(repo.root, serviceEnv);
    const replay = await managerControl(await second.url, "trace-answered-2");
    expect(replay.exitCode).toBe(0);
    expect(replay.intent).toMatchObject({ status: "confirmed", confirmed: true });
    expect(readJsonl(opsPaths(manager.path, LOOP).telemetry.controlInvocations)[1]).toMatchObject({
      execution: { status: "succeeded", replayed: true, attempts: [{ code: "200", delivery: "answered" }] },
    });
    expect(readInvocationLog(invocationLog)).toHaveLength(1);
    expect(readJsonl(ops.intents)).toHaveLength(1);
  }, 60_000);
});
