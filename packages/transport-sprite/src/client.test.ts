import type { IncomingHttpHeaders } from "node:http";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildServicePath,
  isIdempotentRequest,
  MAX_TIMER_MS,
  serviceFailureMessage,
  serviceRequest,
  serviceUrl,
  sleepLong,
} from "./client.js";
import { listenOn, type Running } from "./test-helpers.js";

type Step = { status: number; body?: string } | "hang" | "destroy";

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real HTTP server answering with `steps` in order (the last step repeats). */
async function scripted(steps: readonly Step[]): Promise<Running & { requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const running = await listenOn((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const step = steps[Math.min(requests.length - 1, steps.length - 1)] ?? { status: 200 };
      if (step === "hang") return;
      if (step === "destroy") {
        req.socket.destroy();
        return;
      }
      const text = step.body ?? JSON.stringify({ ok: step.status < 300, n: requests.length });
      res.writeHead(step.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    });
  });
  servers.push(running);
  return { ...running, requests };
}

const servers: Running[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function recorder() {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("serviceRequest: request shape (spec 16 §4)", () => {
  it("GET: Accept, both token headers, X-Trace-Id; base URL trailing / removed", async () => {
    const server = await scripted([{ status: 200, body: '{"ok":true}' }]);
    const response = await serviceRequest({
      baseUrl: `${server.url}//`,
      path: "/ops/snapshot?loopId=demo-loop",
      method: "GET",
      token: "tok",
      traceId: "trace-1",
    });
    expect(response).toMatchObject({ ok: true, status: 200, code: "200", body: '{"ok":true}', attempts: 1 });
    expect(response.url).toBe(`${server.url}/ops/snapshot?loopId=demo-loop`);
    const [request] = server.requests;
    expect(request?.url).toBe("/ops/snapshot?loopId=demo-loop");
    expect(request?.headers).toMatchObject({
      accept: "application/json",
      authorization: "Bearer tok",
      "x-ops-token": "tok",
      "x-trace-id": "trace-1",
    });
    expect(request?.headers["content-type"]).toBeUndefined();
  });

  it("no token / trace id → no such headers; POST sends the body verbatim as application/json", async () => {
    const server = await scripted([{ status: 200 }]);
    const body = '{ "loopId" : "demo-loop",\n "intent":"cancel" }';
    await serviceRequest({ baseUrl: server.url, path: "ops/control", method: "POST", body });
    const [request] = server.requests;
    expect(request).toMatchObject({ method: "POST", url: "/ops/control", body });
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers["authorization"]).toBeUndefined();
    expect(request?.headers["x-ops-token"]).toBeUndefined();
    expect(request?.headers["x-trace-id"]).toBeUndefined();
  });

  it("buildServicePath percent-encodes query values (Q13-10)", async () => {
    expect(
      buildServicePath("/ops/events", { loopId: "a b&c=d/..", cursor: 3, maxEvents: 0, skip: undefined }),
    ).toBe("/ops/events?loopId=a%20b%26c%3Dd%2F..&cursor=3&maxEvents=0");
    expect(buildServicePath("/healthz")).toBe("/healthz");
    const server = await scripted([{ status: 200 }]);
    await serviceRequest({
      baseUrl: server.url,
      path: buildServicePath("/ops/snapshot", { loopId: "x&y" }),
      method: "GET",
    });
    expect(new URLSearchParams(server.requests[0]?.url.split("?")[1]).get("loopId")).toBe("x&y");
  });

  it("rejects base URLs that are not http(s)", () => {
    expect(() => serviceUrl("ftp://host", "/x")).toThrow(
      "--base-url must be an http or https URL: ftp://host",
    );
    expect(() => serviceUrl("not a url", "/x")).toThrow("--base-url must be an http or https URL");
  });

  it("isIdempotentRequest: GET always; POST only with a non-empty idempotencyKey", () => {
    expect(isIdempotentRequest("GET", undefined)).toBe(true);
    expect(isIdempotentRequest("POST", '{"idempotencyKey":"k"}')).toBe(true);
    expect(isIdempotentRequest("POST", '{"idempotencyKey":"  "}')).toBe(false);
    expect(isIdempotentRequest("POST", '{"loopId":"x"}')).toBe(false);
    expect(isIdempotentRequest("POST", "not json")).toBe(false);
  });
});

describe("serviceRequest: retries", () => {
  it("fails N times with a transient status, then succeeds; linear backoff backoff × attempt", async () => {
    const server = await scripted([
      { status: 503 },
      { status: 429 },
      { status: 200, body: '{"ok":true,"n":3}' },
    ]);
    const { sleeps, sleep } = recorder();
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/ops/snapshot?loopId=x",
      method: "GET",
      retryAttempts: 3,
      retryBackoffSeconds: 1,
      sleep,
    });
    expect(response).toMatchObject({ ok: true, status: 200, body: '{"ok":true,"n":3}', attempts: 3 });
    expect(sleeps).toEqual([1000, 2000]);
    expect(response.history.map((attempt) => attempt.code)).toEqual(["503", "429", "200"]);
    expect(response.history.map((attempt) => [attempt.status, attempt.failure])).toEqual([
      [503, null],
      [429, null],
      [200, null],
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it("gives up after retryAttempts with the last status and body", async () => {
    const server = await scripted([
      { status: 502, body: '{"ok":false,"error":{"code":"runtime_error","message":"boom"}}' },
    ]);
    const { sleeps, sleep } = recorder();
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/ops/events?loopId=x",
      method: "GET",
      retryAttempts: 4,
      retryBackoffSeconds: 2,
      sleep,
    });
    expect(response).toMatchObject({ ok: false, status: 502, code: "502", attempts: 4 });
    expect(sleeps).toEqual([2000, 4000, 6000]);
    expect(serviceFailureMessage(response)).toBe(
      `service request failed (method=GET url=${server.url}/ops/events?loopId=x code=502): {"ok":false,"error":{"code":"runtime_error","message":"boom"}}`,
    );
  });

  it("backoff 0 never sleeps", async () => {
    const server = await scripted([{ status: 500 }, { status: 200 }]);
    const { sleeps, sleep } = recorder();
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/x",
      method: "GET",
      retryBackoffSeconds: 0,
      sleep,
    });
    expect(response.attempts).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it.each([400, 401, 403, 404, 405, 413, 422])("GET %i is not transient: one attempt", async (status) => {
    const server = await scripted([{ status }, { status: 200 }]);
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/x",
      method: "GET",
      retryBackoffSeconds: 0,
    });
    expect(response).toMatchObject({ ok: false, status, attempts: 1 });
  });

  it.each([408, 409, 425, 429, 500, 502, 503, 504])("GET %i is transient: retried", async (status) => {
    const server = await scripted([{ status }, { status: 200 }]);
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/x",
      method: "GET",
      retryBackoffSeconds: 0,
    });
    expect(response).toMatchObject({ ok: true, attempts: 2 });
  });

  it("POST: 409 (ambiguous) and 500 (failed) are final answers, never retried (Q15-2 / Q16-2)", async () => {
    for (const status of [409, 500]) {
      const server = await scripted([
        { status, body: `{"ok":false,"exitCode":${status === 409 ? 2 : 1}}` },
        { status: 200 },
      ]);
      const response = await serviceRequest({
        baseUrl: server.url,
        path: "/ops/control",
        method: "POST",
        body: '{"loopId":"x","intent":"cancel","idempotencyKey":"k"}',
        retryBackoffSeconds: 0,
      });
      expect(response).toMatchObject({ ok: false, status, attempts: 1 });
      expect(server.requests).toHaveLength(1);
    }
  });

  it("POST: 425/429/503 (not processed) are retried even without an idempotency key", async () => {
    for (const status of [425, 429, 503]) {
      const server = await scripted([{ status }, { status: 200 }]);
      const response = await serviceRequest({
        baseUrl: server.url,
        path: "/ops/control",
        method: "POST",
        body: '{"loopId":"x","intent":"cancel"}',
        retryBackoffSeconds: 0,
      });
      expect(response).toMatchObject({ ok: true, attempts: 2 });
    }
  });

  it("POST: 408/502/504 are retried only when the body carries an idempotency key", async () => {
    for (const status of [408, 502, 504]) {
      const without = await scripted([{ status }, { status: 200 }]);
      expect(
        await serviceRequest({
          baseUrl: without.url,
          path: "/ops/control",
          method: "POST",
          body: "{}",
          retryBackoffSeconds: 0,
        }),
      ).toMatchObject({ ok: false, status, attempts: 1 });
      const withKey = await scripted([{ status }, { status: 200 }]);
      expect(
        await serviceRequest({
          baseUrl: withKey.url,
          path: "/ops/control",
          method: "POST",
          body: '{"idempotencyKey":"k"}',
          retryBackoffSeconds: 0,
        }),
      ).toMatchObject({ ok: true, attempts: 2 });
    }
  });
});

describe("serviceRequest: transport errors (code 000)", () => {
  it("connection refused: retried (Q16-1, careful), then fails with code 000", async () => {
    const port = await closedPort();
    const { sleeps, sleep } = recorder();
    const response = await serviceRequest({
      baseUrl: `http://127.0.0.1:${port}`,
      path: "/healthz",
      method: "GET",
      retryAttempts: 3,
      sleep,
    });
    expect(response).toMatchObject({ ok: false, status: 0, code: "000", body: "", attempts: 3 });
    expect(sleeps).toEqual([1000, 2000]);
    expect(response.transportError).toMatch(/ECONNREFUSED/);
    expect(serviceFailureMessage(response)).toMatch(
      new RegExp(
        `^service request failed \\(method=GET url=http://127\\.0\\.0\\.1:${port}/healthz code=000\\): .*ECONNREFUSED`,
      ),
    );
  });

  it("a port fetch refuses to use (Fetch standard blocked port, e.g. 9) is an invalid request: never sent, not retried", async () => {
    const response = await serviceRequest({
      baseUrl: "http://127.0.0.1:9",
      path: "/ops/control",
      method: "POST",
      body: '{"idempotencyKey":"k"}',
      retryAttempts: 3,
      retryBackoffSeconds: 0,
    });
    expect(response).toMatchObject({ ok: false, code: "000", attempts: 1, transportError: "bad port" });
    expect(response.history[0]).toMatchObject({ status: 0, failure: "invalid", retried: false });
  });

  it("connection refused is retried for POST without a key too (the request was never sent)", async () => {
    const port = await closedPort();
    const response = await serviceRequest({
      baseUrl: `http://127.0.0.1:${port}`,
      path: "/ops/control",
      method: "POST",
      body: "{}",
      retryAttempts: 2,
      retryBackoffSeconds: 0,
    });
    expect(response).toMatchObject({ code: "000", attempts: 2 });
    // Each attempt says it was never sent (what the manager needs to call it failed, not ambiguous).
    expect(response.history.map((attempt) => [attempt.status, attempt.failure])).toEqual([
      [0, "not_sent"],
      [0, "not_sent"],
    ]);
  });

  it("a hung handler times out per attempt (code 000); GET is retried", async () => {
    const server = await scripted(["hang", { status: 200, body: '{"ok":true}' }]);
    const started = Date.now();
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/ops/snapshot?loopId=x",
      method: "GET",
      timeoutSeconds: 0.3,
      retryBackoffSeconds: 0,
    });
    expect(response).toMatchObject({ ok: true, attempts: 2 });
    expect(response.history[0]).toMatchObject({
      status: 0,
      code: "000",
      transportError: "request timed out after 0.3 s",
      failure: "maybe_sent",
      retried: true,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    const always = await scripted(["hang"]);
    const failed = await serviceRequest({
      baseUrl: always.url,
      path: "/x",
      method: "GET",
      timeoutSeconds: 0.2,
      retryAttempts: 2,
      retryBackoffSeconds: 0,
    });
    expect(failed).toMatchObject({
      ok: false,
      code: "000",
      attempts: 2,
      transportError: "request timed out after 0.2 s",
    });
  });

  it("POST timeouts and dropped connections: not retried without a key, retried with one", async () => {
    for (const step of ["hang", "destroy"] as const) {
      const without = await scripted([step, { status: 200 }]);
      const once = await serviceRequest({
        baseUrl: without.url,
        path: "/ops/control",
        method: "POST",
        body: '{"loopId":"x","intent":"cancel"}',
        timeoutSeconds: 0.2,
        retryBackoffSeconds: 0,
      });
      expect(once).toMatchObject({ ok: false, code: "000", attempts: 1 });
      expect(without.requests).toHaveLength(1);

      const withKey = await scripted([step, { status: 200 }]);
      const twice = await serviceRequest({
        baseUrl: withKey.url,
        path: "/ops/control",
        method: "POST",
        body: '{"loopId":"x","intent":"cancel","idempotencyKey":"k"}',
        timeoutSeconds: 0.2,
        retryBackoffSeconds: 0,
      });
      expect(twice).toMatchObject({ ok: true, attempts: 2 });
    }
  });

  it("an explicit idempotent:false wins over the body's key", async () => {
    const server = await scripted(["destroy", { status: 200 }]);
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/ops/control",
      method: "POST",
      body: '{"idempotencyKey":"k"}',
      idempotent: false,
      retryBackoffSeconds: 0,
    });
    expect(response).toMatchObject({ ok: false, attempts: 1 });
  });

  it("credentials in the base URL are refused up front (they would end up in messages)", async () => {
    await expect(
      serviceRequest({ baseUrl: "http://user:pw@127.0.0.1:1", path: "/healthz", method: "GET" }),
    ).rejects.toThrow("--base-url must not contain credentials (use --token)");
  });
});

describe("serviceRequest: header values that cannot be sent", () => {
  it("a token or trace id with control characters is refused up front, never echoed, nothing sent", async () => {
    const server = await scripted([{ status: 200 }]);
    for (const [token, traceId, what] of [
      ["top\rsecret", "t-1", "the service token"],
      ["top\u0001secret", "t-1", "the service token"],
      ["top€secret", "t-1", "the service token"],
      ["s3cret", "t-1\r\nX-Evil: 1", "the trace id"],
    ] as const) {
      const attempt = serviceRequest({
        baseUrl: server.url,
        path: "/ops/control",
        method: "POST",
        body: '{"idempotencyKey":"k"}',
        token,
        traceId,
        retryBackoffSeconds: 0,
      });
      await expect(attempt).rejects.toThrow(
        `${what} contains characters that cannot be sent in an HTTP header (control characters or characters above U+00FF)`,
      );
      await attempt.catch((error: unknown) => {
        expect(String(error)).not.toContain("secret");
      });
    }
    expect(server.requests).toEqual([]);
    // Surrounding whitespace (a token read with its newline) is stripped by fetch, as before.
    const response = await serviceRequest({
      baseUrl: server.url,
      path: "/healthz",
      method: "GET",
      token: "s3cret\n",
      traceId: " t-2 ",
    });
    expect(response.ok).toBe(true);
    expect(server.requests[0]?.headers).toMatchObject({ "x-ops-token": "s3cret", "x-trace-id": "t-2" });
  });
});

describe("timers beyond Node's 24.8-day limit (2^31 − 1 ms)", () => {
  function overflowWarnings(): { warnings: string[]; stop: () => void } {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.name);
    process.on("warning", onWarning);
    return { warnings, stop: () => process.off("warning", onWarning) };
  }

  it("a huge per-attempt limit does not time the request out at once (nor warn)", async () => {
    const watch = overflowWarnings();
    try {
      const server = await listenOn((_req, res) => {
        setTimeout(() => res.end('{"ok":true}'), 100);
      });
      servers.push(server);
      const response = await serviceRequest({
        baseUrl: server.url,
        path: "/healthz",
        method: "GET",
        timeoutSeconds: 3_000_000,
        retryAttempts: 1,
      });
      expect(response).toMatchObject({ ok: true, body: '{"ok":true}', attempts: 1 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(watch.warnings).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it("sleepLong waits (no 1 ms overflow, no warning) for a delay beyond the limit", async () => {
    const watch = overflowWarnings();
    try {
      const abort = new AbortController();
      let settled = false;
      const sleeping = sleepLong(MAX_TIMER_MS + 1_000, abort.signal).then(
        () => (settled = true),
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled).toBe(false);
      expect(watch.warnings).toEqual([]);
      abort.abort();
      expect(await sleeping).toMatchObject({ name: "AbortError" });
      await sleepLong(0);
    } finally {
      watch.stop();
    }
  });
});
