// control over the sprite-service transport (spec 15 §2.2, careful Q15-1..Q15-4).
import fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { type Clock, errorMessage, opsPaths } from "@ops/contract";
import { readInvocationLog, readJsonLines, superloopBinPath } from "@ops/testkit";
import { createSpriteServiceHandler, type RunControl } from "@ops/transport-sprite";
import { afterEach, describe, expect, it } from "vitest";
import { type ControlContext, type ControlIntentInput, controlIntent } from "./control.js";
import {
  attemptDelivery,
  defaultServiceControlClient,
  interpretServiceControlResponse,
  type ServiceControlAttempt,
  type ServiceControlClient,
  type ServiceControlRequest,
  sendServiceControl,
  serviceMaxTimeSeconds,
} from "./service.js";
import { cleanupRepos, newRepo, writeScript } from "./test-helpers.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await cleanupRepos();
});

const FIXED = "2026-02-22T10:10:02Z";
const fixedClock: Clock = { now: () => new Date(FIXED) };

function stubClient(reply: {
  ok: boolean;
  status: number;
  body: string;
  error?: string | null;
  attempts?: readonly ServiceControlAttempt[];
}): {
  client: ServiceControlClient;
  requests: ServiceControlRequest[];
} {
  const requests: ServiceControlRequest[] = [];
  return {
    requests,
    client: async (request) => {
      requests.push(request);
      return {
        ok: reply.ok,
        status: reply.status,
        body: reply.body,
        error: reply.error ?? null,
        ...(reply.attempts === undefined ? {} : { attempts: reply.attempts }),
      };
    },
  };
}

/** A client attempt: an HTTP status, or (status 0) a transport failure of the given kind. */
function attempt(
  n: number,
  status: number,
  failure: ServiceControlAttempt["failure"] = null,
  error: string | null = null,
  retried = false,
): ServiceControlAttempt {
  return {
    attempt: n,
    status,
    code: String(status).padStart(3, "0"),
    error,
    failure,
    retried,
    delayMs: 0,
  };
}

function input(repo: string, extra: Partial<ControlIntentInput> = {}): ControlIntentInput {
  return {
    repo,
    loop: "demo-loop",
    intent: "approve",
    transport: "sprite_service",
    serviceBaseUrl: "http://sprite.example:8787/",
    traceId: "ts-1",
    idempotencyKey: "idem-1",
    by: "ops-user",
    ...extra,
  };
}

function artifacts(repoRoot: string) {
  const ops = opsPaths(repoRoot, "demo-loop");
  return {
    intents: readJsonLines(ops.intents) as Record<string, unknown>[],
    control: readJsonLines(ops.telemetry.control) as Record<string, unknown>[],
    invocations: readJsonLines(ops.telemetry.controlInvocations) as Record<string, unknown>[],
  };
}

describe("interpretServiceControlResponse (spec 15 §2.2 step 4)", () => {
  it("derives status, exit code, confirmation and replay from the response", () => {
    expect(interpretServiceControlResponse({ ok: true })).toMatchObject({
      status: "confirmed",
      confirmed: true,
      exitCode: 0,
      confirmExitCode: 0,
      executionStatus: "succeeded",
      confirmationStatus: "confirmed",
      confirmationAttempted: false,
      commandOutput: '{"ok":true}',
    });
    expect(interpretServiceControlResponse({ ok: false, exitCode: 2 })).toMatchObject({
      status: "ambiguous",
      confirmationStatus: "ambiguous",
      executionStatus: "succeeded",
    });
    expect(interpretServiceControlResponse({ ok: false, exitCode: -3 })).toMatchObject({
      status: "failed_command",
      exitCode: 0,
    });
    // Q15-4: an unexpected status is kept verbatim; with a confirm payload it is attempted_unknown.
    expect(
      interpretServiceControlResponse({
        ok: true,
        exitCode: 0,
        replayed: true,
        result: { status: "executed", confirm: { confirmed: false }, confirmExitCode: 4 },
      }),
    ).toMatchObject({
      status: "executed",
      confirmed: false,
      replayed: true,
      confirmExitCode: 4,
      executionStatus: "succeeded",
      confirmationStatus: "attempted_unknown",
      confirmationAttempted: true,
    });
    expect(interpretServiceControlResponse({ result: { status: "executed_unconfirmed" } })).toMatchObject({
      confirmationStatus: "skipped",
      confirmationAttempted: false,
    });
  });

  it("sizes the client limit above the service's confirmation (Q15-1)", () => {
    expect(serviceMaxTimeSeconds(30, 2)).toBeGreaterThan(30 + 60);
    expect(serviceMaxTimeSeconds(300, 5)).toBeGreaterThan(305);
    expect(serviceMaxTimeSeconds(0, 0)).toBeGreaterThan(30);
  });
});

describe("control --transport sprite_service (stub client)", () => {
  it("sends the body, records the service's answer and the POST command", async () => {
    const repo = newRepo();
    const response = {
      ok: true,
      exitCode: 0,
      result: {
        status: "confirmed",
        confirmed: true,
        confirmExitCode: 0,
        confirm: { intent: "approve", confirmed: true, reason: "approval_observed" },
      },
      replayed: true,
      traceId: "ts-0",
    };
    const stub = stubClient({ ok: true, status: 200, body: JSON.stringify(response) });
    const result = await controlIntent(
      input(repo.root, {
        note: "lgtm",
        timeoutSeconds: "5",
        intervalSeconds: "1",
        retryAttempts: "4",
        retryBackoffSeconds: "0",
        serviceToken: "tok",
      }),
      {
        clock: fixedClock,
        env: {},
        serviceControlClient: stub.client,
      },
    );
    expect(stub.requests).toEqual([
      {
        baseUrl: "http://sprite.example:8787/",
        token: "tok",
        traceId: "ts-1",
        body: {
          loopId: "demo-loop",
          intent: "approve",
          by: "ops-user",
          note: "lgtm",
          traceId: "ts-1",
          idempotencyKey: "idem-1",
          noConfirm: false,
          timeoutSeconds: 5,
          intervalSeconds: 1,
        },
        retryAttempts: 4,
        retryBackoffSeconds: 0,
        maxTimeSeconds: serviceMaxTimeSeconds(5, 1),
      },
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.intent).toEqual({
      timestamp: FIXED,
      loopId: "demo-loop",
      intent: "approve",
      traceId: "ts-1",
      requestedBy: "ops-user",
      note: "lgtm",
      transport: "sprite_service",
      status: "confirmed",
      command: "POST http://sprite.example:8787/ops/control",
      idempotencyKey: "idem-1",
      exitCode: 0,
      confirmExitCode: 0,
      confirmed: true,
      commandOutput: JSON.stringify(response),
      confirm: response.result.confirm,
    });
    expect(artifacts(repo.root).invocations[0]).toMatchObject({
      transport: "sprite_service",
      request: {
        doConfirm: true,
        timeoutSeconds: 5,
        intervalSeconds: 1,
        retryAttempts: 4,
        retryBackoffSeconds: 0,
      },
      execution: {
        status: "succeeded",
        exitCode: 0,
        command: "POST http://sprite.example:8787/ops/control",
        replayed: true,
      },
      confirmation: { attempted: true, status: "confirmed", exitCode: 0 },
    });
  });

  it("--no-confirm, token from OPS_MANAGER_SERVICE_TOKEN, generated key in both transports", async () => {
    const repo = newRepo();
    const stub = stubClient({
      ok: true,
      status: 200,
      body: '{"ok":true,"exitCode":0,"result":{"status":"executed_unconfirmed","confirmed":false}}',
    });
    const result = await controlIntent(input(repo.root, { noConfirm: true, idempotencyKey: undefined }), {
      clock: fixedClock,
      pid: 77,
      env: { OPS_MANAGER_SERVICE_TOKEN: "env-token" },
      serviceControlClient: stub.client,
    });
    expect(stub.requests[0]).toMatchObject({
      token: "env-token",
      body: { noConfirm: true, idempotencyKey: "approve-1771755002-77" },
    });
    expect(result.exitCode).toBe(0);
    expect(result.intent).toMatchObject({
      status: "executed_unconfirmed",
      confirmed: false,
      idempotencyKey: "approve-1771755002-77",
    });
    expect(result.intent).not.toHaveProperty("confirm");
  });

  it("a 409 carrying the service's control response is recorded ambiguous (exit 2), not failed", async () => {
    const repo = newRepo();
    const body = {
      ok: false,
      exitCode: 2,
      result: {
        status: "ambiguous",
        confirmed: false,
        confirmExitCode: 1,
        confirm: { confirmed: false, reason: "timeout" },
      },
      replayed: false,
    };
    const stub = stubClient({
      ok: false,
      status: 409,
      body: JSON.stringify(body),
      error: "service request failed (code=409)",
    });
    const stderr: string[] = [];
    const result = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: stub.client,
      stderr: (text) => stderr.push(text),
    });
    expect(result.exitCode).toBe(2);
    expect(result.intent).toMatchObject({
      status: "ambiguous",
      exitCode: 2,
      confirmExitCode: 1,
      commandOutput: JSON.stringify(body),
    });
    expect(stderr).toEqual([]);
    expect(artifacts(repo.root).control[0]).toMatchObject({ reasonCode: "control_ambiguous" });
  });

  it("client failure: failed_command, exit 1, the error body kept (Q15-3) and passed through on stderr", async () => {
    const repo = newRepo();
    const errorBody = '{"ok":false,"error":{"code":"unauthorized","message":"missing or invalid token"}}';
    const message = `service request failed (method=POST url=http://sprite.example:8787/ops/control code=401): ${errorBody}`;
    const stub = stubClient({ ok: false, status: 401, body: errorBody, error: message });
    const stderr: string[] = [];
    const result = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: stub.client,
      stderr: (text) => stderr.push(text),
    });
    expect(result.exitCode).toBe(1);
    expect(result.intent).toMatchObject({
      status: "failed_command",
      exitCode: 1,
      confirmExitCode: 0,
      confirmed: false,
      commandOutput: errorBody,
    });
    expect(stderr).toEqual([`error: ${message}\n`]);
    expect(artifacts(repo.root).invocations[0]).toMatchObject({
      execution: { status: "failed_command", exitCode: 1, output: errorBody, replayed: false },
      confirmation: { attempted: false, status: "not_attempted", exitCode: 0 },
      outcome: { status: "failed_command", reasonCode: "control_failed_command" },
    });
    // No body at all (connection refused): the client's error text; a throwing client too.
    const refused = stubClient({
      ok: false,
      status: 0,
      body: "",
      error: "service request failed (code=000): connect ECONNREFUSED",
      attempts: [attempt(1, 0, "not_sent", "connect ECONNREFUSED")],
    });
    const second = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: refused.client,
    });
    expect(second.intent.commandOutput).toBe("service request failed (code=000): connect ECONNREFUSED");
    const thrown = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: async () => {
        throw new Error("boom");
      },
    });
    expect(thrown.intent).toMatchObject({ status: "failed_command", commandOutput: "boom" });
  });

  it("an idempotency_conflict 409 (error envelope) is a client failure", async () => {
    const repo = newRepo();
    const stub = stubClient({
      ok: false,
      status: 409,
      body: '{"ok":false,"error":{"code":"idempotency_conflict","message":"x"}}',
      error: "conflict",
    });
    const result = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: stub.client,
    });
    expect(result.exitCode).toBe(1);
    expect(result.intent.status).toBe("failed_command");
  });
});

describe("control --transport sprite_service against a real sprite-service handler", () => {
  async function startService(repoRoot: string, ctx: ControlContext): Promise<string> {
    const runControl: RunControl = async (args) => {
      try {
        const result = await controlIntent(
          {
            repo: args.repo,
            loop: args.loop,
            intent: args.intent,
            by: args.by,
            ...(args.note === null ? {} : { note: args.note }),
            ...(args.traceId === null ? {} : { traceId: args.traceId }),
            ...(args.timeoutSeconds === null ? {} : { timeoutSeconds: args.timeoutSeconds }),
            ...(args.intervalSeconds === null ? {} : { intervalSeconds: args.intervalSeconds }),
            noConfirm: args.noConfirm,
          },
          ctx,
        );
        return { exitCode: result.exitCode, stdout: `${JSON.stringify(result.intent)}\n`, stderr: "" };
      } catch (error) {
        return { exitCode: 1, stdout: "", stderr: `error: ${errorMessage(error)}\n` };
      }
    };
    const server = createServer(createSpriteServiceHandler({ repo: repoRoot, runControl, env: {} }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("shared repo: service-side local record then manager-side record; the same key replays", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const log = `${repo.root}/invocations.jsonl`;
    const serviceEnv = {
      ...process.env,
      SUPERLOOP_BIN: superloopBinPath(),
      SUPERLOOP_SIM_INVOCATION_LOG: log,
    };
    const baseUrl = await startService(repo.root, { env: serviceEnv, generateTraceId: () => "svc-trace" });
    const request = input(repo.root, {
      serviceBaseUrl: `${baseUrl}/`,
      timeoutSeconds: "2",
      intervalSeconds: "1",
    });
    const first = await controlIntent(request, { env: {} });
    expect(first.exitCode).toBe(0);
    expect(first.intent).toMatchObject({
      transport: "sprite_service",
      status: "confirmed",
      confirmed: true,
      command: `POST ${baseUrl}/ops/control`,
    });
    let written = artifacts(repo.root);
    expect(written.intents.map((row) => row["transport"])).toEqual(["local", "sprite_service"]);
    expect(written.intents[0]).toMatchObject({
      traceId: "ts-1",
      status: "confirmed",
      requestedBy: "ops-user",
    });
    expect(written.invocations[1]).toMatchObject({ execution: { replayed: false } });

    const second = await controlIntent({ ...request, traceId: "ts-2" }, { env: {} });
    expect(second.exitCode).toBe(0);
    expect(readInvocationLog(log)).toHaveLength(1);
    written = artifacts(repo.root);
    expect(written.intents.map((row) => row["transport"])).toEqual([
      "local",
      "sprite_service",
      "sprite_service",
    ]);
    expect(written.invocations[2]).toMatchObject({ traceId: "ts-2", execution: { replayed: true } });
  });

  it("a non-confirming approve ends ambiguous (exit 2) after one request, not a client timeout (Q15-1/Q15-2)", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const log = `${repo.root}/invocations.jsonl`;
    const serviceEnv = {
      ...process.env,
      SUPERLOOP_BIN: superloopBinPath(),
      SUPERLOOP_SIM_INVOCATION_LOG: log,
      SUPERLOOP_SIM_SKIP_EFFECT: "1",
    };
    const baseUrl = await startService(repo.root, { env: serviceEnv });
    const result = await controlIntent(
      input(repo.root, {
        serviceBaseUrl: baseUrl,
        timeoutSeconds: "1",
        intervalSeconds: "1",
        retryBackoffSeconds: "0",
      }),
      { env: {} },
    );
    expect(result.exitCode).toBe(2);
    expect(result.intent).toMatchObject({ status: "ambiguous", exitCode: 2, confirmExitCode: 1 });
    expect(readInvocationLog(log)).toHaveLength(1);
    expect(artifacts(repo.root).invocations[1]).toMatchObject({
      execution: { status: "succeeded", replayed: false },
      confirmation: { attempted: true, status: "ambiguous", exitCode: 1 },
    });
  });
});

describe("a failed service request: ambiguous when it may have reached the service", () => {
  const TIMEOUT = "request timed out after 122 s";
  const RESET = "other side closed";
  const REFUSED = "connect ECONNREFUSED 127.0.0.1:8787";
  const errorEnvelope = (code: string) => JSON.stringify({ ok: false, error: { code, message: code } });

  it.each<[string, number, string, readonly ServiceControlAttempt[], "ambiguous" | "failed_command"]>([
    ["timeout", 0, "", [attempt(1, 0, "maybe_sent", TIMEOUT)], "ambiguous"],
    ["dropped connection", 0, "", [attempt(1, 0, "maybe_sent", RESET)], "ambiguous"],
    ["aborted", 0, "", [attempt(1, 0, "aborted", "request aborted")], "ambiguous"],
    ["500 internal_error", 500, errorEnvelope("internal_error"), [attempt(1, 500)], "ambiguous"],
    ["502", 502, "<html>bad gateway</html>", [attempt(1, 502)], "ambiguous"],
    ["503", 503, errorEnvelope("idempotency_store_unavailable"), [attempt(1, 503)], "ambiguous"],
    ["504", 504, "", [attempt(1, 504)], "ambiguous"],
    ["408", 408, "", [attempt(1, 408)], "ambiguous"],
    [
      "timeout, then refused (the first attempt may have been sent)",
      0,
      "",
      [
        attempt(1, 0, "maybe_sent", TIMEOUT, true),
        attempt(2, 0, "not_sent", REFUSED, true),
        attempt(3, 0, "not_sent", REFUSED),
      ],
      "ambiguous",
    ],
    ["refused, then 502", 502, "", [attempt(1, 0, "not_sent", REFUSED, true), attempt(2, 502)], "ambiguous"],
    [
      "refused on every attempt",
      0,
      "",
      [
        attempt(1, 0, "not_sent", REFUSED, true),
        attempt(2, 0, "not_sent", REFUSED, true),
        attempt(3, 0, "not_sent", REFUSED),
      ],
      "failed_command",
    ],
    [
      "ENOTFOUND",
      0,
      "",
      [attempt(1, 0, "not_sent", "getaddrinfo ENOTFOUND sprite.example")],
      "failed_command",
    ],
    [
      "EHOSTUNREACH",
      0,
      "",
      [attempt(1, 0, "not_sent", "connect EHOSTUNREACH 10.0.0.9:8787")],
      "failed_command",
    ],
    ["invalid request", 0, "", [attempt(1, 0, "invalid", "invalid header value")], "failed_command"],
    ["400", 400, errorEnvelope("invalid_request"), [attempt(1, 400)], "failed_command"],
    ["401", 401, errorEnvelope("unauthorized"), [attempt(1, 401)], "failed_command"],
    ["404", 404, errorEnvelope("not_found"), [attempt(1, 404)], "failed_command"],
    [
      "409 idempotency_conflict",
      409,
      errorEnvelope("idempotency_conflict"),
      [attempt(1, 409)],
      "failed_command",
    ],
    ["413", 413, errorEnvelope("payload_too_large"), [attempt(1, 413)], "failed_command"],
    [
      "503 retried into a 401",
      401,
      errorEnvelope("unauthorized"),
      [attempt(1, 503, null, null, true), attempt(2, 401)],
      "ambiguous",
    ],
  ])("%s → %s", async (_name, status, body, attempts, expected) => {
    const repo = newRepo();
    const last = attempts[attempts.length - 1];
    const error = `service request failed (method=POST url=http://sprite.example:8787/ops/control code=${last?.code}): ${body || last?.error}`;
    const stub = stubClient({ ok: false, status, body, error, attempts });
    const stderr: string[] = [];
    const result = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: stub.client,
      stderr: (text) => stderr.push(text),
    });
    expect(stderr).toEqual([`error: ${error}\n`]);
    const written = artifacts(repo.root);
    const audited = attempts.map((a) => ({
      attempt: a.attempt,
      status: a.status,
      code: a.code,
      ...(a.error === null ? {} : { error: a.error }),
      ...(a.failure === null ? {} : { failure: a.failure }),
      delivery: attemptDelivery(a),
      retried: a.retried,
      delayMs: 0,
    }));
    if (expected === "ambiguous") {
      expect(result.exitCode).toBe(2);
      expect(result.intent).toMatchObject({ status: "ambiguous", exitCode: 2, confirmed: false });
      expect(written.control[0]).toMatchObject({ status: "ambiguous", reasonCode: "control_ambiguous" });
      expect(written.invocations[0]).toMatchObject({
        execution: { status: "unknown", exitCode: 2, replayed: false, attempts: audited },
        confirmation: { attempted: false, status: "not_attempted" },
        outcome: { status: "ambiguous", reasonCode: "control_ambiguous" },
      });
      const output = String(result.intent.commandOutput).split("\n");
      expect(output[0]).toBe(
        "outcome unknown: POST http://sprite.example:8787/ops/control failed after it may have reached the service, so the runtime command may have run",
      );
      expect(output.slice(1, 1 + attempts.length)).toEqual(
        attempts.map(
          (a) =>
            `attempt ${a.attempt}: code=${a.code} (${attemptDelivery(a) === "maybe_delivered" ? "may have been delivered" : "not delivered"})${a.error === null ? "" : `: ${a.error}`}`,
        ),
      );
      if (body !== "") expect(result.intent.commandOutput).toContain(`last response body:\n${body}`);
      expect(output[output.length - 1]).toMatch(/^check the loop before retrying/);
    } else {
      expect(result.exitCode).toBe(1);
      expect(result.intent).toMatchObject({
        status: "failed_command",
        exitCode: 1,
        commandOutput: body === "" ? error : body,
      });
      expect(written.control[0]).toMatchObject({ reasonCode: "control_failed_command" });
      expect(written.invocations[0]).toMatchObject({
        execution: { status: "failed_command", exitCode: 1, attempts: audited },
        confirmation: { attempted: false, status: "not_attempted" },
      });
    }
  });

  it("without per-attempt facts, a reply without a response is ambiguous; a 4xx is failed_command", async () => {
    const repo = newRepo();
    const none = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: stubClient({ ok: false, status: 0, body: "", error: "code=000" }).client,
    });
    expect(none).toMatchObject({ exitCode: 2, intent: { status: "ambiguous" } });
    expect(artifacts(repo.root).invocations[0]?.["execution"]).not.toHaveProperty("attempts");
    expect(none.intent.commandOutput).toContain("(no per-attempt facts) code=000");
    const denied = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: stubClient({ ok: false, status: 401, body: "", error: "code=401" }).client,
    });
    expect(denied).toMatchObject({ exitCode: 1, intent: { status: "failed_command" } });
  });

  it("a successful request records its attempts too (503 retried into a 200)", async () => {
    const repo = newRepo();
    const stub = stubClient({
      ok: true,
      status: 200,
      body: '{"ok":true,"exitCode":0,"result":{"status":"confirmed","confirmed":true}}',
      attempts: [attempt(1, 503, null, null, true), attempt(2, 200)],
    });
    const result = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: {},
      serviceControlClient: stub.client,
    });
    expect(result.exitCode).toBe(0);
    expect(artifacts(repo.root).invocations[0]).toMatchObject({
      execution: {
        status: "succeeded",
        attempts: [
          { attempt: 1, status: 503, code: "503", delivery: "maybe_delivered", retried: true },
          { attempt: 2, status: 200, code: "200", delivery: "answered", retried: false },
        ],
      },
    });
  });
});

describe("a failed service request through the real client (@ops/transport-sprite serviceRequest)", () => {
  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function request(baseUrl: string, maxTimeSeconds = 30): ServiceControlRequest {
    return {
      baseUrl,
      token: "",
      traceId: "ts-1",
      body: {
        loopId: "demo-loop",
        intent: "cancel",
        by: "ops-user",
        traceId: "ts-1",
        idempotencyKey: "idem-real",
        noConfirm: false,
        timeoutSeconds: 30,
        intervalSeconds: 2,
      },
      retryAttempts: 3,
      retryBackoffSeconds: 0,
      maxTimeSeconds,
    };
  }

  it("connection refused on every attempt → failed_command (nothing reached the service)", async () => {
    const url = await listen(() => {});
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const outcome = await sendServiceControl(defaultServiceControlClient, request(url));
    expect(outcome).toMatchObject({
      status: "failed_command",
      exitCode: 1,
      executionStatus: "failed_command",
    });
    expect(outcome.attempts).toHaveLength(3);
    expect(outcome.attempts?.every((a) => a.failure === "not_sent" && a.delivery === "not_delivered")).toBe(
      true,
    );
    expect(outcome.attempts?.[0]?.error).toMatch(/ECONNREFUSED/);
  });

  it("the service drops the connection → ambiguous; every (retried) attempt is recorded", async () => {
    let received = 0;
    const url = await listen((req) => {
      received += 1;
      req.socket.destroy();
    });
    const outcome = await sendServiceControl(defaultServiceControlClient, request(url));
    expect(received).toBe(3);
    expect(outcome).toMatchObject({ status: "ambiguous", exitCode: 2, executionStatus: "unknown" });
    expect(outcome.attempts?.map((a) => [a.code, a.failure, a.delivery, a.retried])).toEqual([
      ["000", "maybe_sent", "maybe_delivered", true],
      ["000", "maybe_sent", "maybe_delivered", true],
      ["000", "maybe_sent", "maybe_delivered", false],
    ]);
  });

  it("a multi-line error body is passed through as one `error:` line, as service-client prints it", async () => {
    const url = await listen((_req, res) => {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("proxy error\nupstream unavailable\n");
    });
    const stderr: string[] = [];
    const repo = newRepo();
    const result = await controlIntent(input(repo.root, { serviceBaseUrl: url, retryBackoffSeconds: "0" }), {
      clock: fixedClock,
      env: {},
      stderr: (text) => stderr.push(text),
    });
    expect(result.intent).toMatchObject({ status: "ambiguous", exitCode: 2 });
    expect(stderr).toEqual([
      `error: service request failed (method=POST url=${url}/ops/control code=500): proxy error upstream unavailable\n`,
    ]);
    // The body itself stays line by line in the record.
    expect(String(result.intent.commandOutput)).toContain(
      "last response body:\nproxy error\nupstream unavailable",
    );
  });

  it("credentials in --service-base-url never reach the recorded command (the client refuses to send)", async () => {
    const repo = newRepo();
    const result = await controlIntent(
      input(repo.root, { serviceBaseUrl: "http://ops:hunter2@127.0.0.1:9/" }),
      { clock: fixedClock, env: {} },
    );
    expect(result.intent).toMatchObject({
      status: "failed_command",
      command: "POST http://127.0.0.1:9/ops/control",
      commandOutput: "--base-url must not contain credentials (use --token)",
    });
    for (const file of Object.values(artifacts(repo.root))) {
      expect(JSON.stringify(file)).not.toContain("hunter2");
    }
  });

  it("a per-attempt timeout → ambiguous", async () => {
    const url = await listen(() => {
      // never answers
    });
    const outcome = await sendServiceControl(defaultServiceControlClient, {
      ...request(url, 0.2),
      retryAttempts: 1,
    });
    expect(outcome).toMatchObject({ status: "ambiguous", exitCode: 2 });
    expect(outcome.attempts?.[0]).toMatchObject({ code: "000", failure: "maybe_sent" });
    expect(outcome.commandOutput).toMatch(
      /attempt 1: code=000 \(may have been delivered\): request timed out/,
    );
    for (const server of servers) server.closeAllConnections();
  });

  it.each([
    [502, "ambiguous"],
    [504, "ambiguous"],
    [401, "failed_command"],
    [404, "failed_command"],
  ])("HTTP %i without a control response → %s", async (status, expected) => {
    const url = await listen((_req, res) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end('{"ok":false,"error":{"code":"x","message":"y"}}');
    });
    const outcome = await sendServiceControl(defaultServiceControlClient, request(url));
    expect(outcome.status).toBe(expected);
    expect(outcome.exitCode).toBe(expected === "ambiguous" ? 2 : 1);
  });
});

describe("the service's answer for a pending key (an earlier run that was never answered)", () => {
  it("is recorded ambiguous (exit 2), replayed, execution unknown; the runtime does not run", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const log = `${repo.root}/invocations.jsonl`;
    const ops = opsPaths(repo.root, "demo-loop");
    fs.mkdirSync(ops.dir, { recursive: true });
    fs.writeFileSync(
      ops.serviceIdempotency,
      JSON.stringify({
        "idem-1": {
          status: "pending",
          request: { loopId: "demo-loop", intent: "approve" },
          startedAt: "2026-02-22T10:09:00Z",
          pid: 4242,
        },
      }),
    );
    let ran = 0;
    const server = createServer(
      createSpriteServiceHandler({
        repo: repo.root,
        env: {},
        runControl: async () => {
          ran += 1;
          return { exitCode: 0, stdout: "{}\n", stderr: "" };
        },
      }),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const result = await controlIntent(input(repo.root, { serviceBaseUrl: baseUrl }), {
      env: { SUPERLOOP_BIN: superloopBinPath(), SUPERLOOP_SIM_INVOCATION_LOG: log },
    });
    expect(ran).toBe(0);
    expect(readInvocationLog(log)).toHaveLength(0);
    expect(result.exitCode).toBe(2);
    expect(result.intent).toMatchObject({ status: "ambiguous", exitCode: 2, confirmed: false });
    expect(result.intent.commandOutput).toContain('"reason":"idempotency_key_pending"');
    expect(artifacts(repo.root).invocations[0]).toMatchObject({
      execution: {
        status: "unknown",
        exitCode: 2,
        replayed: true,
        attempts: [{ attempt: 1, status: 409, code: "409", delivery: "answered", retried: false }],
      },
      confirmation: { attempted: false, status: "not_attempted" },
      outcome: { status: "ambiguous", reasonCode: "control_ambiguous" },
    });
  });
});

describe("control --transport sprite_service with OPS_MANAGER_SERVICE_CLIENT_SCRIPT (spec 10 §4.1)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A stub service-client script: records its arguments and the body file, then runs `tail`. */
  function stubHook(tail: string): { script: string; argsFile: string; bodyCopy: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-service-hook-"));
    dirs.push(dir);
    const argsFile = path.join(dir, "args.txt");
    const bodyCopy = path.join(dir, "body.json");
    const script = writeScript(
      dir,
      "service-client.sh",
      [
        `: > '${argsFile}'`,
        `for a in "$@"; do printf '%s\\n' "$a" >> '${argsFile}'; done`,
        'while [ $# -gt 0 ]; do if [ "$1" = "--body-file" ]; then cp "$2" ' +
          `'${bodyCopy}'; fi; shift; done`,
        tail,
      ].join("\n"),
    );
    return { script, argsFile, bodyCopy };
  }

  it("exit 0: the POST goes through the hook with the service-client flags; stdout is the answer", async () => {
    const repo = newRepo();
    const response = {
      ok: true,
      exitCode: 0,
      result: { status: "confirmed", confirmed: true },
      replayed: false,
    };
    const hook = stubHook(`printf '%s\\n' '${JSON.stringify(response)}'`);
    const result = await controlIntent(input(repo.root, { serviceToken: "tok", retryBackoffSeconds: "0" }), {
      clock: fixedClock,
      env: { OPS_MANAGER_SERVICE_CLIENT_SCRIPT: hook.script },
    });
    expect(fs.readFileSync(hook.argsFile, "utf8").split("\n").slice(0, -1)).toEqual([
      "--method",
      "POST",
      "--base-url",
      "http://sprite.example:8787/",
      "--path",
      "/ops/control",
      "--token",
      "tok",
      "--trace-id",
      "ts-1",
      "--body-file",
      expect.stringMatching(/body\.json$/),
      "--retry-attempts",
      "3",
      "--retry-backoff-seconds",
      "0",
      "--max-time-seconds",
      String(serviceMaxTimeSeconds(30, 2)),
    ]);
    expect(JSON.parse(fs.readFileSync(hook.bodyCopy, "utf8"))).toEqual({
      loopId: "demo-loop",
      intent: "approve",
      by: "ops-user",
      traceId: "ts-1",
      idempotencyKey: "idem-1",
      noConfirm: false,
      timeoutSeconds: 30,
      intervalSeconds: 2,
    });
    // The temporary body file is removed after the call.
    const bodyArg = fs.readFileSync(hook.argsFile, "utf8").split("\n")[11] ?? "";
    expect(fs.existsSync(bodyArg)).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(result.intent).toMatchObject({
      status: "confirmed",
      command: "POST http://sprite.example:8787/ops/control",
      commandOutput: JSON.stringify(response),
      confirmed: true,
    });
  });

  it("an injected client wins over the hook", async () => {
    const repo = newRepo();
    const hook = stubHook("exit 1");
    const stub = stubClient({ ok: true, status: 200, body: JSON.stringify({ ok: true, exitCode: 0 }) });
    const result = await controlIntent(input(repo.root), {
      clock: fixedClock,
      env: { OPS_MANAGER_SERVICE_CLIENT_SCRIPT: hook.script },
      serviceControlClient: stub.client,
    });
    expect(stub.requests).toHaveLength(1);
    expect(fs.existsSync(hook.argsFile)).toBe(false);
    expect(result.exitCode).toBe(0);
  });

  it("non-zero: ambiguous (may have run) unless the script reports a 4xx refusal", async () => {
    const repo = newRepo();
    const fail = (code: string) =>
      stubHook(
        `echo "error: service request failed (method=POST url=http://sprite.example:8787/ops/control code=${code}): boom" >&2\nexit 1`,
      ).script;
    const stderr: string[] = [];
    const outcomes: Record<string, unknown>[] = [];
    for (const [script, expected] of [
      [fail("000"), { exitCode: 2, status: "ambiguous" }],
      [fail("503"), { exitCode: 2, status: "ambiguous" }],
      [fail("409"), { exitCode: 2, status: "ambiguous" }],
      [fail("408"), { exitCode: 2, status: "ambiguous" }],
      [stubHook("exit 3").script, { exitCode: 2, status: "ambiguous" }],
      [fail("401"), { exitCode: 1, status: "failed_command" }],
      [fail("400"), { exitCode: 1, status: "failed_command" }],
    ] as const) {
      const result = await controlIntent(input(repo.root), {
        clock: fixedClock,
        env: { OPS_MANAGER_SERVICE_CLIENT_SCRIPT: script },
        stderr: (text) => stderr.push(text),
      });
      expect({ exitCode: result.exitCode, status: result.intent.status }).toEqual(expected);
      outcomes.push(artifacts(repo.root).invocations.at(-1) ?? {});
    }
    expect(outcomes[0]).toMatchObject({ execution: { status: "unknown" } });
    expect(outcomes[0]?.["execution"]).not.toHaveProperty("attempts");
    expect(outcomes[5]).toMatchObject({ execution: { status: "failed_command" } });
    expect(stderr[0]).toBe(
      "error: service request failed (method=POST url=http://sprite.example:8787/ops/control code=000): boom\n",
    );
    expect(stderr[4]).toBe("error: service client script failed (exit 3)\n");
  });
});
