import fs from "node:fs";
import { opsPaths, withLock } from "@ops/contract";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ControlRunArgs, ControlRunResult } from "./control.js";
import type { AccessLogEntry } from "./handler.js";
import { deferred, fixedClock, type Running, rawRequest, serveHandler } from "./test-helpers.js";

const clock = fixedClock("2026-02-22T11:00:06Z");

/** A counting stand-in for control: prints an intent-entry line like `ops-manager control`. */
function countingControl(options: { exitCode?: number; delayMs?: number; stderr?: string } = {}) {
  const calls: ControlRunArgs[] = [];
  let running = 0;
  let maxRunning = 0;
  const run = async (args: ControlRunArgs): Promise<ControlRunResult> => {
    calls.push(args);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    try {
      if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const exitCode = options.exitCode ?? 0;
      const status = exitCode === 0 ? "confirmed" : exitCode === 2 ? "ambiguous" : "failed_command";
      const entry = {
        timestamp: "2026-02-22T11:00:06Z",
        loopId: args.loop,
        intent: args.intent,
        traceId: args.traceId ?? "generated-trace",
        requestedBy: args.by,
        transport: "local",
        status,
        idempotencyKey: `${args.intent}-1771755751-${calls.length}`,
        exitCode: exitCode === 2 ? 0 : exitCode,
        confirmed: exitCode === 0,
      };
      return {
        exitCode,
        stdout: `progress line\n${JSON.stringify(entry)}\n`,
        stderr: options.stderr ?? "",
      };
    } finally {
      running -= 1;
    }
  };
  return { run, calls, maxRunning: () => maxRunning };
}

let repo: SimulatedRepo;
let service: Running | undefined;
beforeEach(() => {
  repo = createSimulatedRepo();
  repo.scenario("running", "demo-loop");
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  await repo.cleanup();
});

async function start(
  run: (args: ControlRunArgs) => Promise<ControlRunResult>,
  extra: { maxBodyBytes?: number; env?: Record<string, string> } = {},
) {
  service = await serveHandler({
    repo: repo.root,
    runControl: run,
    clock,
    env: extra.env ?? { USER: "svc-user" },
    ...(extra.maxBodyBytes === undefined ? {} : { maxBodyBytes: extra.maxBodyBytes }),
  });
  return service;
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${service?.url}/ops/control`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

function error(code: string, message: string) {
  return { ok: false, error: { code, message } };
}

function storeFile(loop = "demo-loop"): string {
  return opsPaths(repo.root, loop).serviceIdempotency;
}

describe("POST /ops/control: validation (spec 16 §3.4)", () => {
  it.each([
    ["", 400, error("invalid_request", "loopId is required")],
    ["   ", 400, error("invalid_request", "loopId is required")],
    ["{", 400, error("invalid_json", "request body must be valid JSON")],
    ["[1,2]", 400, error("invalid_request", "request body must be an object")],
    ['"text"', 400, error("invalid_request", "request body must be an object")],
    ["null", 400, error("invalid_request", "request body must be an object")],
    ['{"intent":"cancel"}', 400, error("invalid_request", "loopId is required")],
    ['{"loopId":"  ","intent":"cancel"}', 400, error("invalid_request", "loopId is required")],
    ['{"loopId":"demo-loop"}', 400, error("invalid_request", "intent must be cancel, approve, or reject")],
    [
      '{"loopId":"demo-loop","intent":"restart"}',
      400,
      error("invalid_request", "intent must be cancel, approve, or reject"),
    ],
    [
      '{"loopId":"demo-loop","intent":"CANCEL"}',
      400,
      error("invalid_request", "intent must be cancel, approve, or reject"),
    ],
    ['{"loopId":5,"intent":"cancel"}', 400, error("invalid_request", "loopId must be a string")],
    [
      '{"loopId":"demo-loop","intent":"cancel","noConfirm":"false"}',
      400,
      error("invalid_request", "noConfirm must be a boolean"),
    ],
    [
      '{"loopId":"demo-loop","intent":"cancel","noConfirm":1}',
      400,
      error("invalid_request", "noConfirm must be a boolean"),
    ],
    [
      '{"loopId":"demo-loop","intent":"cancel","timeoutSeconds":-1}',
      400,
      error("invalid_request", "timeoutSeconds must be a non-negative integer"),
    ],
    [
      `{"loopId":"demo-loop","intent":"cancel","idempotencyKey":"${"k".repeat(257)}"}`,
      400,
      error("invalid_request", "idempotencyKey must be at most 256 characters"),
    ],
  ])("body %j → %i", async (body, status, expected) => {
    const control = countingControl();
    await start(control.run);
    expect(await post(body)).toMatchObject({ status, json: expected });
    expect(control.calls).toHaveLength(0);
  });

  it.each(["../x", "a/b", "..", "a".repeat(129)])(
    "loopId %j → 400 before any path is touched",
    async (loopId) => {
      const control = countingControl();
      await start(control.run);
      const response = await post({ loopId, intent: "cancel", idempotencyKey: "k1" });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ ok: false, error: { code: "invalid_request" } });
      expect(String((response.json["error"] as { message: string }).message)).toMatch(
        /^invalid loop id for loopId: /,
      );
      expect(control.calls).toHaveLength(0);
      expect(fs.existsSync(`${repo.root}/.superloop/ops-manager`)).toBe(false);
    },
  );

  it("bodies over the limit → 413 (declared length, and streamed without a length)", async () => {
    const control = countingControl();
    const { url } = await start(control.run, { maxBodyBytes: 1024 });
    const big = JSON.stringify({ loopId: "demo-loop", intent: "cancel", note: "x".repeat(2000) });
    const tooLarge = error("payload_too_large", "request body exceeds 1024 bytes");
    expect(await post(big)).toMatchObject({ status: 413, json: tooLarge });
    const streamed = await rawRequest(`${url}/ops/control`, {
      method: "POST",
      chunks: [big.slice(0, 600), big.slice(600, 1200), big.slice(1200)],
    });
    expect([streamed.status, streamed.json]).toEqual([413, tooLarge]);
    // Exactly at the limit is fine.
    const fits = JSON.stringify({ loopId: "demo-loop", intent: "cancel", note: "" }).padEnd(1024, " ");
    expect((await post(fits)).status).toBe(200);
    expect(control.calls).toHaveLength(1);
  });
});

describe("POST /ops/control: execution", () => {
  it("runs control with the resolved fields and answers the response object", async () => {
    const control = countingControl({ stderr: "warn 1\n\n  \nwarn 2\n" });
    await start(control.run);
    const response = await post(
      {
        loopId: " demo-loop ",
        intent: " approve ",
        by: " alice ",
        note: " looks good ",
        noConfirm: true,
        traceId: " tr-1 ",
      },
      { "x-trace-id": "ignored-header-trace" },
    );
    expect(response.status).toBe(200);
    expect(control.calls).toHaveLength(1);
    const call = control.calls[0];
    expect(call).toMatchObject({
      repo: repo.root,
      loop: "demo-loop",
      intent: "approve",
      by: "alice",
      note: "looks good",
      noConfirm: true,
      traceId: "tr-1",
      timeoutSeconds: null,
      intervalSeconds: null,
    });
    expect(call?.argv).toEqual([
      "--repo",
      repo.root,
      "--loop",
      "demo-loop",
      "--intent",
      "approve",
      "--by",
      "alice",
      "--note",
      "looks good",
      "--no-confirm",
      "--trace-id",
      "tr-1",
    ]);
    expect(Object.keys(response.json)).toEqual(["ok", "exitCode", "result", "stderr", "replayed", "traceId"]);
    expect(response.json).toMatchObject({
      ok: true,
      exitCode: 0,
      stderr: "warn 1\nwarn 2",
      replayed: false,
      traceId: "tr-1",
      result: { intent: "approve", status: "confirmed", traceId: "tr-1", requestedBy: "alice" },
    });
    // Without a key nothing is stored.
    expect(fs.existsSync(storeFile())).toBe(false);
  });

  it("defaults: by ← env USER ← ops-service; trace id ← X-Trace-Id ← result.traceId; key ← X-Idempotency-Key", async () => {
    const control = countingControl();
    await start(control.run, { env: {} });
    const first = await post({ loopId: "demo-loop", intent: "cancel" });
    expect(control.calls[0]).toMatchObject({
      by: "ops-service",
      note: null,
      noConfirm: false,
      traceId: null,
    });
    expect(control.calls[0]?.argv).toEqual([
      "--repo",
      repo.root,
      "--loop",
      "demo-loop",
      "--intent",
      "cancel",
      "--by",
      "ops-service",
    ]);
    expect(first.json["traceId"]).toBe("generated-trace");
    expect(Object.keys(first.json)).toEqual(["ok", "exitCode", "result", "replayed", "traceId"]);

    const second = await post(
      { loopId: "demo-loop", intent: "cancel", timeoutSeconds: 45, intervalSeconds: 1 },
      { "x-trace-id": " hdr-trace ", "x-idempotency-key": " hdr-key " },
    );
    expect(control.calls[1]).toMatchObject({ traceId: "hdr-trace", timeoutSeconds: 45, intervalSeconds: 1 });
    expect(control.calls[1]?.argv.slice(-6)).toEqual([
      "--trace-id",
      "hdr-trace",
      "--timeout-seconds",
      "45",
      "--interval-seconds",
      "1",
    ]);
    expect(second.json["traceId"]).toBe("hdr-trace");
    const stored = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(["hdr-key"]);
  });

  it("USER from the environment is the default actor", async () => {
    const control = countingControl();
    await start(control.run);
    await post({ loopId: "demo-loop", intent: "cancel" });
    expect(control.calls[0]?.by).toBe("svc-user");
  });

  it.each([
    [0, 200],
    [2, 409],
    [1, 500],
    [3, 500],
  ])("control exit %i → HTTP %i with the same response object", async (exitCode, status) => {
    const control = countingControl({ exitCode, stderr: "error: something\n" });
    await start(control.run);
    const response = await post({ loopId: "demo-loop", intent: "reject", idempotencyKey: `k-${exitCode}` });
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ ok: exitCode === 0, exitCode, replayed: false });
  });

  it("a throwing runControl is a failed control run (500), not a crash", async () => {
    await start(async () => {
      throw new Error("lock timed out\nsecond line");
    });
    const response = await post({ loopId: "demo-loop", intent: "cancel" });
    expect(response.status).toBe(500);
    expect(response.json).toEqual({
      ok: false,
      exitCode: 1,
      stderr: "error: lock timed out second line",
      replayed: false,
    });
  });

  it("keeps only the last 40 non-blank stderr lines and the last JSON-object stdout line", async () => {
    const stderr = Array.from({ length: 50 }, (_, i) => `line ${i + 1}\n\n`).join("");
    await start(async () => ({ exitCode: 0, stdout: '{"a":1}\n{"b":2}\n[3]\nplain\n', stderr }));
    const response = await post({ loopId: "demo-loop", intent: "cancel" });
    expect(response.json["result"]).toEqual({ b: 2 });
    const lines = String(response.json["stderr"]).split("\n");
    expect(lines).toHaveLength(40);
    expect(lines[0]).toBe("line 11");
    expect(lines[39]).toBe("line 50");
  });
});

describe("POST /ops/control: idempotency (spec 16 §3.4 steps 1 and 4, Q16-3, Q16-4)", () => {
  it("a repeated key replays the stored response with replayed:true; the runtime is not touched", async () => {
    const control = countingControl();
    await start(control.run);
    const body = { loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-1", traceId: "ts-1" };
    const first = await post(body);
    expect(first.status).toBe(200);
    const second = await post(body);
    expect(second.status).toBe(200);
    expect(control.calls).toHaveLength(1);
    expect(second.json).toEqual({ ...first.json, replayed: true });
    expect(Object.keys(second.json)).toEqual(Object.keys(first.json));

    const stored = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    expect(stored["idem-1"]).toEqual({ ...first.json, request: { loopId: "demo-loop", intent: "cancel" } });
    // Different trace id on replay: the stored one wins (it has one).
    const third = await post({ ...body, traceId: "other" });
    expect(third.json["traceId"]).toBe("ts-1");
  });

  it("replays stored failures with 200, and adds the request trace id when the stored object has none", async () => {
    await start(async () => ({ exitCode: 1, stdout: "", stderr: "error: runtime failed\n" }));
    const first = await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-f" });
    expect(first.status).toBe(500);
    expect(first.json).toEqual({ ok: false, exitCode: 1, stderr: "error: runtime failed", replayed: false });
    const replay = await post(
      { loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-f" },
      { "x-trace-id": "late" },
    );
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual({
      ok: false,
      exitCode: 1,
      stderr: "error: runtime failed",
      replayed: true,
      traceId: "late",
    });
  });

  it("a reused key with another intent → 409 idempotency_conflict, nothing runs", async () => {
    const control = countingControl();
    await start(control.run);
    await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-c" });
    const response = await post({ loopId: "demo-loop", intent: "approve", idempotencyKey: "idem-c" });
    expect(response.status).toBe(409);
    expect(response.json).toEqual(
      error(
        "idempotency_conflict",
        'idempotency key "idem-c" was already used for a different request (loopId=demo-loop, intent=cancel)',
      ),
    );
    expect(control.calls).toHaveLength(1);
  });

  it("entries written by the original (no request fingerprint) still replay, and conflict on result.intent", async () => {
    const control = countingControl();
    await start(control.run);
    const legacy = {
      ok: true,
      exitCode: 0,
      result: { loopId: "demo-loop", intent: "cancel", traceId: "old" },
      replayed: false,
      traceId: "old",
    };
    fs.mkdirSync(opsPaths(repo.root, "demo-loop").dir, { recursive: true });
    fs.writeFileSync(storeFile(), `{"idem-1":${JSON.stringify(legacy)},"__proto__":{"x":1}}`);
    expect((await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-1" })).json).toEqual({
      ...legacy,
      replayed: true,
    });
    expect((await post({ loopId: "demo-loop", intent: "reject", idempotencyKey: "idem-1" })).status).toBe(
      409,
    );
    // `__proto__` is an ordinary key.
    const proto = await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "__proto__" });
    expect(proto.json).toEqual({ x: 1, replayed: true });
    await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "constructor" });
    expect(control.calls).toHaveLength(1);
    expect(Object.keys(JSON.parse(fs.readFileSync(storeFile(), "utf8")) as object)).toEqual([
      "idem-1",
      "__proto__",
      "constructor",
    ]);
  });

  it("an invalid or non-object store reads as {} and is rewritten", async () => {
    const control = countingControl();
    await start(control.run);
    fs.mkdirSync(opsPaths(repo.root, "demo-loop").dir, { recursive: true });
    for (const content of ["{broken", "[1,2]", '{"idem-x": "not an object"}']) {
      fs.writeFileSync(storeFile(), content);
      const response = await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-x" });
      expect(response.json["replayed"]).toBe(false);
      const stored = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as Record<string, unknown>;
      expect(Object.keys(stored)).toEqual(["idem-x"]);
      fs.rmSync(storeFile());
    }
    expect(control.calls).toHaveLength(3);
  });

  it("20 concurrent requests with one key: exactly one execution, identical answers", async () => {
    const control = countingControl({ delayMs: 150 });
    await start(control.run);
    const body = { loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-burst", traceId: "burst" };
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(body)));
    expect(control.calls).toHaveLength(1);
    const first = responses[0];
    for (const response of responses) {
      expect(response.status).toBe(first?.status);
      expect(response.text).toBe(first?.text);
    }
    expect(first?.json).toMatchObject({ ok: true, replayed: false, traceId: "burst" });
    // Afterwards it is an ordinary replay.
    expect((await post(body)).json).toEqual({ ...first?.json, replayed: true });
    expect(control.calls).toHaveLength(1);
  });

  it("a concurrent request with the same key but another intent gets the conflict", async () => {
    const gate = deferred();
    const started = deferred();
    const calls: ControlRunArgs[] = [];
    await start(async (args) => {
      calls.push(args);
      started.resolve();
      await gate.promise;
      return { exitCode: 0, stdout: "{}\n", stderr: "" };
    });
    const cancel = post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-race" });
    await started.promise;
    const approve = post({ loopId: "demo-loop", intent: "approve", idempotencyKey: "idem-race" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    gate.resolve();
    expect((await cancel).status).toBe(200);
    expect((await approve).json).toMatchObject({ error: { code: "idempotency_conflict" } });
    expect(calls).toHaveLength(1);
  });

  it("concurrent requests with different keys for one loop run one at a time and all are stored (Q16-4)", async () => {
    const control = countingControl({ delayMs: 20 });
    await start(control.run);
    const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    const responses = await Promise.all(
      keys.map((key) => post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: key })),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(control.calls).toHaveLength(8);
    expect(control.maxRunning()).toBe(1);
    const stored = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(keys);
    // Same key on another loop is a different entry (stores are per loop).
    repo.scenario("running", "loop-b");
    const other = await post({ loopId: "loop-b", intent: "cancel", idempotencyKey: "key-0" });
    expect(other.json["replayed"]).toBe(false);
    expect(control.calls).toHaveLength(9);
    expect(Object.keys(JSON.parse(fs.readFileSync(storeFile("loop-b"), "utf8")) as object)).toEqual([
      "key-0",
    ]);
  });

  it("two services on one repo (two processes' worth of state) never lose each other's entries", async () => {
    const control = countingControl({ delayMs: 5 });
    const first = await start(control.run);
    const second = await serveHandler({ repo: repo.root, runControl: control.run, clock });
    try {
      const send = (url: string, key: string) =>
        fetch(`${url}/ops/control`, {
          method: "POST",
          body: JSON.stringify({ loopId: "demo-loop", intent: "cancel", idempotencyKey: key }),
        }).then((response) => response.status);
      const keys = Array.from({ length: 24 }, (_, i) => `multi-${i}`);
      const statuses = await Promise.all(
        keys.map((key, i) => send(i % 2 === 0 ? first.url : second.url, key)),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      const stored = JSON.parse(fs.readFileSync(storeFile(), "utf8")) as Record<string, unknown>;
      expect(Object.keys(stored).sort()).toEqual([...keys].sort());
    } finally {
      await second.close();
    }
  });

  it("drain() waits for an in-flight control run and its store write", async () => {
    const gate = deferred();
    const started = deferred();
    const running = await serveHandler({
      repo: repo.root,
      clock,
      runControl: async () => {
        started.resolve();
        await gate.promise;
        return { exitCode: 0, stdout: '{"status":"confirmed"}\n', stderr: "" };
      },
    });
    service = running;
    const pending = post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-drain" });
    await started.promise;
    expect(running.handler.inFlight).toBe(1);
    let drained = false;
    const drain = running.handler.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    gate.resolve();
    await drain;
    expect(running.handler.inFlight).toBe(0);
    expect(Object.keys(JSON.parse(fs.readFileSync(storeFile(), "utf8")) as object)).toEqual(["idem-drain"]);
    expect((await pending).status).toBe(200);
  });
});

describe("POST /ops/control: access log", () => {
  it("a client that gives up while control runs still gets its access-log line (clientClosed)", async () => {
    const gate = deferred();
    const started = deferred();
    const log: AccessLogEntry[] = [];
    const running = await serveHandler({
      repo: repo.root,
      clock,
      env: {},
      log: (entry) => log.push(entry),
      runControl: async () => {
        started.resolve();
        await gate.promise;
        return { exitCode: 0, stdout: '{"status":"confirmed"}\n', stderr: "" };
      },
    });
    service = running;
    const abort = new AbortController();
    const abandoned = fetch(`${running.url}/ops/control`, {
      method: "POST",
      body: JSON.stringify({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-gone" }),
      signal: abort.signal,
    }).catch((error: unknown) => error);
    await started.promise;
    abort.abort();
    await abandoned;
    gate.resolve();
    await running.handler.drain();
    expect(log).toEqual([
      expect.objectContaining({
        method: "POST",
        path: "/ops/control",
        status: 200,
        loopId: "demo-loop",
        clientClosed: true,
      }),
    ]);
    // The run finished and its answer was stored: a retry replays it.
    const replay = await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-gone" });
    expect(replay.json).toMatchObject({ ok: true, replayed: true });
    await running.handler.drain();
    expect(log).toHaveLength(2);
    expect(log[1]).toMatchObject({ status: 200, replayed: true });
    expect(log[1]).not.toHaveProperty("clientClosed");
  });
});

describe("POST /ops/control: pending entries (crash safety)", () => {
  const pendingEntry = (extra: Record<string, unknown> = {}) => ({
    status: "pending",
    request: { loopId: "demo-loop", intent: "cancel" },
    startedAt: "2026-02-22T10:59:00Z",
    pid: 4242,
    by: "alice",
    traceId: "trace-crashed",
    ...extra,
  });

  function readStoreJson(loop = "demo-loop"): Record<string, Record<string, unknown>> {
    return JSON.parse(fs.readFileSync(storeFile(loop), "utf8")) as Record<string, Record<string, unknown>>;
  }

  function seedStore(content: Record<string, unknown>): void {
    fs.mkdirSync(opsPaths(repo.root, "demo-loop").dir, { recursive: true });
    fs.writeFileSync(storeFile(), JSON.stringify(content));
  }

  it("a pending entry (request fingerprint, startedAt, pid) is stored before control runs, then replaced by the answer", async () => {
    const seen: unknown[] = [];
    await start(async (args) => {
      seen.push(readStoreJson()["idem-p"]);
      return {
        exitCode: 0,
        stdout: `${JSON.stringify({ status: "confirmed", intent: args.intent })}\n`,
        stderr: "",
      };
    });
    const response = await post(
      { loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-p", by: "alice" },
      { "x-trace-id": "tp-1" },
    );
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      {
        status: "pending",
        request: { loopId: "demo-loop", intent: "cancel" },
        startedAt: "2026-02-22T11:00:06Z",
        pid: process.pid,
        by: "alice",
        traceId: "tp-1",
      },
    ]);
    // The spec's shape for a completed entry (plus the fingerprint): no trace of the pending one.
    expect(readStoreJson()).toEqual({
      "idem-p": { ...response.json, request: { loopId: "demo-loop", intent: "cancel" } },
    });
  });

  it("a pending entry left by a killed service answers 409 ambiguous (exit 2) and never runs control", async () => {
    const control = countingControl();
    const log: AccessLogEntry[] = [];
    service = await serveHandler({
      repo: repo.root,
      runControl: control.run,
      clock,
      env: {},
      log: (entry) => log.push(entry),
    });
    seedStore({ "idem-crashed": pendingEntry(), other: { ok: true, exitCode: 0, replayed: false } });
    const body = {
      loopId: "demo-loop",
      intent: "cancel",
      idempotencyKey: "idem-crashed",
      traceId: "retry-1",
    };
    const first = await post(body);
    expect(first.status).toBe(409);
    expect(Object.keys(first.json)).toEqual(["ok", "exitCode", "result", "stderr", "replayed", "traceId"]);
    expect(first.json).toEqual({
      ok: false,
      exitCode: 2,
      result: {
        loopId: "demo-loop",
        intent: "cancel",
        status: "ambiguous",
        reason: "idempotency_key_pending",
        idempotencyKey: "idem-crashed",
        pendingSince: "2026-02-22T10:59:00Z",
        confirmed: false,
        traceId: "trace-crashed",
      },
      stderr:
        'error: idempotency key "idem-crashed" is pending: an earlier request with it started control at 2026-02-22T10:59:00Z by service pid 4242 and has no recorded answer (the service was stopped during it, or could not record the answer), so the runtime command may have run; control is not run again and the outcome is unknown. Check the loop (ops-manager confirm-intent / status), then use a new idempotency key.',
      replayed: true,
      traceId: "retry-1",
    });
    // Again, and concurrently: always the same answer; nothing runs; the entry stays pending.
    const again = await Promise.all([post(body), post(body), post(body)]);
    expect(again.map((response) => response.status)).toEqual([409, 409, 409]);
    expect(again.every((response) => response.text === first.text)).toBe(true);
    // Without a trace id of its own, the answer carries the pending request's.
    expect((await post({ ...body, traceId: undefined })).json["traceId"]).toBe("trace-crashed");
    expect(control.calls).toHaveLength(0);
    expect(readStoreJson()["idem-crashed"]).toEqual(pendingEntry());
    expect(log[0]).toMatchObject({ status: 409, replayed: true, idempotencyPending: true });
    expect(log[0]).not.toHaveProperty("errorCode");
    // Another intent with the pending key is a conflict, as for answered keys.
    const other = await post({ ...body, intent: "approve" });
    expect(other).toMatchObject({ status: 409, json: { error: { code: "idempotency_conflict" } } });
    // A new key runs normally.
    expect((await post({ ...body, idempotencyKey: "idem-new" })).status).toBe(200);
    expect(control.calls).toHaveLength(1);
  });

  it("a pending entry without startedAt/pid (hand-edited) still answers ambiguous", async () => {
    const control = countingControl();
    await start(control.run);
    seedStore({ k: { status: "pending" } });
    const response = await post({ loopId: "demo-loop", intent: "reject", idempotencyKey: "k" });
    expect(response.status).toBe(409);
    expect(response.json["result"]).toEqual({
      loopId: "demo-loop",
      intent: "reject",
      status: "ambiguous",
      reason: "idempotency_key_pending",
      idempotencyKey: "k",
      confirmed: false,
    });
    expect(String(response.json["stderr"])).toContain("started control and has no recorded answer");
    expect(control.calls).toHaveLength(0);
  });

  it("concurrent requests with one key in one process: one execution, the same answer — never the pending one", async () => {
    const gate = deferred();
    const started = deferred();
    const control = countingControl();
    const first = await serveHandler({
      repo: repo.root,
      clock,
      env: { USER: "svc-user" },
      runControl: async (args) => {
        started.resolve();
        await gate.promise;
        return control.run(args);
      },
    });
    service = first;
    // A second handler in the same process (another server on the same repo) shares the run too.
    const second = await serveHandler({ repo: repo.root, runControl: control.run, clock, env: {} });
    try {
      const body = { loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-c1", traceId: "c1" };
      const early = Array.from({ length: 5 }, () => post(body));
      await started.promise;
      // The pending entry is on disk while control runs…
      expect(readStoreJson()["idem-c1"]).toMatchObject({ status: "pending" });
      // …and requests arriving now (on either handler) join the run instead of answering ambiguous.
      const late = [
        ...Array.from({ length: 5 }, () => post(body)),
        fetch(`${second.url}/ops/control`, { method: "POST", body: JSON.stringify(body) }).then(
          async (response) => ({ status: response.status, text: await response.text() }),
        ),
      ];
      // Every request is being handled before the run is released (then a moment to read the
      // small bodies and join the run).
      for (let i = 0; first.handler.inFlight < 10 || second.handler.inFlight < 1; i += 1) {
        if (i > 2_000) throw new Error("the late requests never arrived");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      gate.resolve();
      const responses = await Promise.all([...early, ...late]);
      expect(control.calls).toHaveLength(1);
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(response.text).toBe(responses[0]?.text);
      }
      expect(JSON.parse(responses[0]?.text ?? "{}")).toMatchObject({ ok: true, replayed: false });
      expect(readStoreJson()["idem-c1"]).toMatchObject({ ok: true, request: { intent: "cancel" } });
    } finally {
      await second.close();
    }
  });

  it("a key claimed by another process while the request queued is not run (claim re-checks under the lock)", async () => {
    const gate = deferred();
    const started = deferred();
    const calls: string[] = [];
    await start(async (args) => {
      calls.push(args.intent);
      started.resolve();
      if (calls.length === 1) await gate.promise;
      return { exitCode: 0, stdout: "{}\n", stderr: "" };
    });
    // Request A (key a) runs; request B (key b) waits behind it (one control per loop).
    const a = post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "a" });
    await started.promise;
    const b = post({ loopId: "demo-loop", intent: "approve", idempotencyKey: "b" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Meanwhile another service process claims b (and dies).
    const store = readStoreJson();
    store["b"] = { ...pendingEntry(), request: { loopId: "demo-loop", intent: "approve" } };
    fs.writeFileSync(storeFile(), JSON.stringify(store));
    gate.resolve();
    expect((await a).status).toBe(200);
    const answer = await b;
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ exitCode: 2, result: { status: "ambiguous" } });
    expect(calls).toEqual(["cancel"]);
    expect(Object.keys(readStoreJson()).sort()).toEqual(["a", "b"]);
  });

  it("if the key cannot be claimed, control does not run: 503 idempotency_store_unavailable", async () => {
    const control = countingControl();
    const log: AccessLogEntry[] = [];
    service = await serveHandler({
      repo: repo.root,
      runControl: control.run,
      clock,
      env: {},
      lockOptions: { timeoutMs: 200 },
      log: (entry) => log.push(entry),
    });
    const held = deferred();
    const locked = deferred();
    const holding = withLock(opsPaths(repo.root, "demo-loop").lock, () => {
      locked.resolve();
      return held.promise;
    });
    await locked.promise;
    const response = await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-locked" });
    held.resolve();
    await holding;
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ ok: false, error: { code: "idempotency_store_unavailable" } });
    expect(String((response.json["error"] as { message: string }).message)).toMatch(
      /^cannot record idempotency key "idem-locked" before running control \(timed out after 200 ms .*\); nothing was run$/,
    );
    expect(control.calls).toHaveLength(0);
    expect(fs.existsSync(storeFile())).toBe(false);
    expect(log[0]).toMatchObject({ status: 503, errorCode: "idempotency_store_unavailable" });
    expect(log[0]?.storeError).toMatch(/timed out/);
    // Once the store is available the key runs (it was never claimed).
    expect(
      (await post({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-locked" })).status,
    ).toBe(200);
    expect(control.calls).toHaveLength(1);
  });

  it("if the answer cannot be stored, the key stays pending: the caller gets the answer, a retry gets ambiguous", async () => {
    const control = countingControl();
    const lock = opsPaths(repo.root, "demo-loop").lock;
    let holding: Promise<unknown> = Promise.resolve();
    const release = deferred();
    const log: AccessLogEntry[] = [];
    service = await serveHandler({
      repo: repo.root,
      clock,
      env: {},
      lockOptions: { timeoutMs: 200 },
      log: (entry) => log.push(entry),
      runControl: async (args) => {
        // Something else holds the loop lock from now until after the final write gave up.
        const taken = deferred();
        holding = withLock(lock, () => {
          taken.resolve();
          return release.promise;
        });
        await taken.promise;
        return control.run(args);
      },
    });
    const body = { loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-unstored" };
    const first = await post(body);
    release.resolve();
    await holding;
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ ok: true, replayed: false });
    expect(log[0]?.storeError).toMatch(/timed out/);
    expect(readStoreJson()["idem-unstored"]).toMatchObject({ status: "pending" });
    const retry = await post(body);
    expect(retry.status).toBe(409);
    expect(retry.json).toMatchObject({ exitCode: 2, result: { reason: "idempotency_key_pending" } });
    expect(control.calls).toHaveLength(1);
  });
});
