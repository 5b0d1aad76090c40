import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "@ops/contract";
import { createSimulatedRepo, type SimulatedRepo, withTempDir } from "@ops/testkit";
import { loopRunSnapshot } from "@ops/transport-local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServicePath, serviceRequest } from "./client.js";
import { ServiceRequestError, serviceClient } from "./service-client.js";
import { fixedClock, listenOn, type Running, serveHandler } from "./test-helpers.js";

const clock = fixedClock("2026-02-22T11:00:06Z");

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("serviceClient: validation in the spec's order (16 §4)", () => {
  const base = { method: "GET", baseUrl: "http://127.0.0.1:1", path: "/healthz" };
  it.each([
    [{}, "--method is required"],
    [{ method: "" }, "--method is required"],
    [{ method: "PUT" }, "--method must be GET or POST"],
    [{ method: "GET" }, "--base-url is required"],
    [{ method: "GET", baseUrl: "http://x" }, "--path is required"],
    [{ ...base, retryAttempts: "0" }, "--retry-attempts must be an integer >= 1"],
    [{ ...base, retryAttempts: "two" }, "--retry-attempts must be an integer >= 1"],
    [{ ...base, retryAttempts: "-1" }, "--retry-attempts must be an integer >= 1"],
    [{ ...base, retryBackoffSeconds: "-1" }, "timeout/backoff values must be non-negative integers"],
    [{ ...base, connectTimeoutSeconds: "1.5" }, "timeout/backoff values must be non-negative integers"],
    [{ ...base, maxTimeSeconds: "x" }, "timeout/backoff values must be non-negative integers"],
    [{ ...base, method: "POST" }, "--body-file is required for POST"],
    [{ ...base, method: "POST", bodyFile: "no/such/file.json" }, "body file not found: no/such/file.json"],
    [{ ...base, baseUrl: "localhost:8787" }, "--base-url must be an http or https URL: localhost:8787"],
  ])("%j → %s", async (input, message) => {
    const error = await rejection(serviceClient(input, { cwd: "/" }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe(message);
    expect((error as ValidationError).exitCode).toBe(1);
  });
});

describe("serviceClient against a scripted server", () => {
  let server: Running & { bodies: string[] };
  let fail = 0;
  beforeAll(async () => {
    const bodies: string[] = [];
    const running = await listenOn((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        bodies.push(body);
        if (fail > 0) {
          fail -= 1;
          res.writeHead(503, { "content-type": "application/json" });
          res.end("line 1\nline 2\n");
          return;
        }
        res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "application/json" });
        res.end(
          req.url === "/missing"
            ? '{"ok":false,"error":{"code":"not_found","message":"endpoint not found"}}'
            : '{"ok":true}',
        );
      });
    });
    server = { ...running, bodies };
  });
  afterAll(() => server.close());

  it("returns the raw body of a 2xx response; lower-case method accepted", async () => {
    const result = await serviceClient({ method: "get", baseUrl: `${server.url}/`, path: "/healthz" });
    expect(result).toMatchObject({
      body: '{"ok":true}',
      status: 200,
      attempts: 1,
      url: `${server.url}/healthz`,
    });
  });

  it("POST reads --body-file (relative to cwd) and sends it verbatim", async () => {
    await withTempDir(async (dir) => {
      const content = '{"loopId":"demo-loop",  "intent":"cancel"}\n';
      fs.writeFileSync(path.join(dir, "body.json"), content);
      await serviceClient(
        { method: "POST", baseUrl: server.url, path: "/ops/control", bodyFile: "body.json" },
        { cwd: dir },
      );
      expect(server.bodies.at(-1)).toBe(content);
    });
  });

  it("failure: ServiceRequestError (exit 1) with the spec's message and the last 40 body lines", async () => {
    fail = 5;
    const sleeps: number[] = [];
    const error = await rejection(
      serviceClient(
        { method: "GET", baseUrl: server.url, path: "/healthz", retryAttempts: "2" },
        { sleep: async (ms) => void sleeps.push(ms) },
      ),
    );
    fail = 0;
    expect(error).toBeInstanceOf(ServiceRequestError);
    expect(error.message).toBe(
      `service request failed (method=GET url=${server.url}/healthz code=503): line 1\nline 2`,
    );
    expect((error as ServiceRequestError).exitCode).toBe(1);
    expect((error as ServiceRequestError).response.attempts).toBe(2);
    expect(sleeps).toEqual([1000]);

    const notFound = await rejection(serviceClient({ method: "GET", baseUrl: server.url, path: "/missing" }));
    expect(notFound.message).toBe(
      `service request failed (method=GET url=${server.url}/missing code=404): {"ok":false,"error":{"code":"not_found","message":"endpoint not found"}}`,
    );
  });
});

describe("the client against the real service handler", () => {
  let repo: SimulatedRepo;
  let service: Running;
  let executions = 0;
  beforeAll(async () => {
    repo = createSimulatedRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    service = await serveHandler({
      repo: repo.root,
      token: "tok",
      clock,
      runControl: async (args) => {
        executions += 1;
        return {
          exitCode: 0,
          stdout: `${JSON.stringify({ intent: args.intent, status: "confirmed" })}\n`,
          stderr: "",
        };
      },
    });
  });
  afterAll(async () => {
    await service.close();
    await repo.cleanup();
  });

  it("GET /ops/snapshot through the client is the local envelope", async () => {
    const response = await serviceRequest({
      baseUrl: service.url,
      path: buildServicePath("/ops/snapshot", { loopId: "demo-loop" }),
      method: "GET",
      token: "tok",
      traceId: "trace-c",
    });
    expect(response.ok).toBe(true);
    expect(JSON.parse(response.body)).toEqual(
      await loopRunSnapshot({ repo: repo.root, loop: "demo-loop", traceId: "trace-c" }, { clock }),
    );
  });

  it("a wrong token is a 401 and is not retried", async () => {
    const response = await serviceRequest({
      baseUrl: service.url,
      path: "/healthz",
      method: "GET",
      token: "bad",
    });
    expect(response).toMatchObject({ ok: false, status: 401, attempts: 1 });
  });

  it("control through the client: executed once, then replayed", async () => {
    const body = JSON.stringify({ loopId: "demo-loop", intent: "approve", idempotencyKey: "client-1" });
    const send = () =>
      serviceRequest({ baseUrl: service.url, path: "/ops/control", method: "POST", token: "tok", body });
    const first = await send();
    const second = await send();
    expect(JSON.parse(first.body)).toMatchObject({ ok: true, replayed: false });
    expect(JSON.parse(second.body)).toMatchObject({ ok: true, replayed: true });
    expect(executions).toBe(1);
  });
});
