import fs from "node:fs";
import { type LoopRunEvent, opsPaths } from "@ops/contract";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { loopRunSnapshot, readEventBatch } from "@ops/transport-local";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AccessLogEntry } from "./handler.js";
import { fixedClock, type Running, rawRequest, serveHandler } from "./test-helpers.js";

const clock = fixedClock("2026-02-22T11:00:06Z");
const TOKEN = "s3cret-token";
const auth = { "x-ops-token": TOKEN };
const unusedControl = async () => ({ exitCode: 1, stdout: "", stderr: "unused" });

let repo: SimulatedRepo;
let service: Running;
const logs: AccessLogEntry[] = [];

beforeAll(async () => {
  repo = createSimulatedRepo();
  repo.scenario("running", "demo-loop");
  repo.scenario("awaitingApproval", "other-loop");
  service = await serveHandler({
    repo: repo.root,
    token: TOKEN,
    runControl: unusedControl,
    clock,
    log: (entry) => logs.push(entry),
  });
});
afterAll(async () => {
  await service.close();
  await repo.cleanup();
});
afterEach(() => {
  logs.length = 0;
});

async function get(path: string, headers: Record<string, string> = auth) {
  const response = await fetch(`${service.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as unknown };
}

function error(code: string, message: string) {
  return { ok: false, error: { code, message } };
}

describe("common HTTP behaviour (spec 16 §2)", () => {
  it("GET /healthz → 200 {ok:true}: compact JSON, Content-Type, Content-Length", async () => {
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expect(response.text).toBe('{"ok":true}');
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("content-length")).toBe("11");
    expect((await get("/healthz?probe=1")).status).toBe(200);
  });

  it("authentication is checked first, for every path (Q16-6): 401 unauthorized", async () => {
    const unauthorized = error("unauthorized", "missing or invalid token");
    for (const [path, headers] of [
      ["/healthz", {}],
      ["/nope", {}],
      ["/ops/snapshot?loopId=../x", {}],
      ["/healthz", { authorization: "Bearer wrong" }],
      ["/healthz", { authorization: `Basic ${TOKEN}` }],
      ["/healthz", { authorization: `Bearer ${TOKEN}x` }],
      ["/healthz", { authorization: `Bearer ${TOKEN.slice(0, 3)}` }],
      ["/healthz", { "x-ops-token": TOKEN.toUpperCase() }],
      ["/healthz", { "x-ops-token": "" }],
    ] as const) {
      const response = await get(path, headers);
      expect([path, response.status, response.json]).toEqual([path, 401, unauthorized]);
    }
    const post = await fetch(`${service.url}/ops/control`, { method: "POST", body: "{" });
    expect([post.status, await post.json()]).toEqual([401, unauthorized]);
  });

  it("accepts Authorization: Bearer (scheme in any case, value trimmed) or X-Ops-Token (exact)", async () => {
    for (const headers of [
      { authorization: `Bearer ${TOKEN}` },
      { authorization: `bEaReR    ${TOKEN}   ` },
      { "x-ops-token": TOKEN },
      { authorization: "Bearer wrong", "x-ops-token": TOKEN },
    ]) {
      expect((await get("/healthz", headers)).status).toBe(200);
    }
  });

  it("unknown path → 404 not_found (GET and POST)", async () => {
    const notFound = error("not_found", "endpoint not found");
    expect(await get("/ops/nothing")).toMatchObject({ status: 404, json: notFound });
    expect(await get("/")).toMatchObject({ status: 404, json: notFound });
    const post = await fetch(`${service.url}/ops/other`, { method: "POST", headers: auth, body: "{}" });
    expect([post.status, await post.json()]).toEqual([404, notFound]);
    const dotted = await rawRequest(service.url, { path: "/ops/../healthz", headers: auth });
    expect([dotted.status, dotted.json]).toEqual([404, notFound]);
  });

  it("known path, other method → 405 method_not_allowed with Allow", async () => {
    const cases: [string, string, string][] = [
      ["POST", "/healthz", "GET"],
      ["GET", "/ops/control", "POST"],
      ["PUT", "/ops/snapshot?loopId=demo-loop", "GET"],
      ["DELETE", "/ops/events", "GET"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await rawRequest(`${service.url}${path}`, { method, headers: auth, body: "{}" });
      expect([method, path, response.status, response.json]).toEqual([
        method,
        path,
        405,
        error("method_not_allowed", "method not allowed"),
      ]);
      expect(response.headers["allow"]).toBe(allow);
    }
  });

  it("writes one access-log entry per request, without the token", async () => {
    await get("/healthz", { authorization: `Bearer ${TOKEN}`, "x-trace-id": "t-log" });
    await get("/ops/snapshot?loopId=demo-loop", { ...auth, "x-trace-id": "t-log-2" });
    await get("/ops/snapshot?loopId=a%2Fb");
    await get("/healthz", { "x-ops-token": "wrong-token" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logs.map((entry) => [entry.method, entry.path, entry.status, entry.errorCode ?? null])).toEqual([
      ["GET", "/healthz", 200, null],
      ["GET", "/ops/snapshot", 200, null],
      ["GET", "/ops/snapshot", 400, "invalid_request"],
      ["GET", "/healthz", 401, "unauthorized"],
    ]);
    expect(logs[1]).toMatchObject({ loopId: "demo-loop", traceId: "t-log-2", remoteAddress: "127.0.0.1" });
    expect(logs[0]?.timestamp).toBe("2026-02-22T11:00:06Z");
    const text = logs.map((entry) => JSON.stringify(entry)).join("\n");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("wrong-token");
  });
});

describe("loop id validation (Q10-3)", () => {
  const bad = ["../x", "..", ".", "a/b", "a b", "x&y", "a".repeat(129), "%2e%2e"];
  it.each(bad)("snapshot and events reject %j with 400 invalid_request", async (loopId) => {
    for (const route of ["/ops/snapshot", "/ops/events"]) {
      const response = await get(`${route}?loopId=${encodeURIComponent(loopId)}`);
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ ok: false, error: { code: "invalid_request" } });
      expect((response.json as { error: { message: string } }).error.message).toMatch(
        /^invalid loop id for loopId: /,
      );
    }
  });

  it("a 128-character id is accepted as an id (and then missing on disk → 502)", async () => {
    const response = await get(`/ops/snapshot?loopId=${"a".repeat(128)}`);
    expect(response.status).toBe(502);
  });

  it("missing or empty loopId → 400 loopId is required", async () => {
    for (const route of ["/ops/snapshot", "/ops/events"]) {
      for (const query of ["", "?loopId=", "?loopId=%20%20", "?other=1"]) {
        expect(await get(`${route}${query}`)).toMatchObject({
          status: 400,
          json: error("invalid_request", "loopId is required"),
        });
      }
    }
  });
});

describe("GET /ops/snapshot (spec 16 §3.2)", () => {
  it("is the loop-run-snapshot envelope of the same repo (no wrapper)", async () => {
    const local = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" }, { clock });
    const response = await get("/ops/snapshot?loopId=demo-loop");
    expect(response.status).toBe(200);
    expect(response.json).toEqual(local);
    expect(response.text).toBe(JSON.stringify(local));
    expect((response.json as { traceId: unknown }).traceId).toBeNull();
    const other = await get("/ops/snapshot?loopId=other-loop&loopId=demo-loop");
    expect(other.json).toEqual(await loopRunSnapshot({ repo: repo.root, loop: "other-loop" }, { clock }));
  });

  it("echoes a trimmed X-Trace-Id as traceId", async () => {
    const response = await get("/ops/snapshot?loopId=demo-loop", {
      ...auth,
      "x-trace-id": "  trace-snap-1 ",
    });
    const local = await loopRunSnapshot(
      { repo: repo.root, loop: "demo-loop", traceId: "trace-snap-1" },
      { clock },
    );
    expect(response.json).toEqual(local);
    expect((response.json as { traceId: unknown }).traceId).toBe("trace-snap-1");
  });

  it("adapter failure → 502 runtime_error with the adapter's stderr line", async () => {
    const response = await get("/ops/snapshot?loopId=no-such-loop");
    expect(response.status).toBe(502);
    expect(response.json).toEqual(
      error(
        "runtime_error",
        `error: required artifact root missing: ${repo.root}/.superloop/loops/no-such-loop`,
      ),
    );
  });
});

interface EventsBody {
  ok: boolean;
  schemaVersion: string;
  traceId?: string;
  source: { repoPath: string; loopId: string };
  events: LoopRunEvent[];
  cursor: { eventLineOffset: number; eventLineCount: number; updatedAt: string };
}

async function localEvents(start: number, maxEvents = 0, traceId?: string): Promise<LoopRunEvent[]> {
  const events: LoopRunEvent[] = [];
  const all: LoopRunEvent[] = [];
  await readEventBatch(
    { repo: repo.root, loop: "demo-loop", fromStart: true, ...(traceId === undefined ? {} : { traceId }) },
    { emit: (envelope) => void all.push(envelope) },
    { clock },
  );
  for (const envelope of all) {
    if (envelope.cursor.eventLineOffset <= start) continue;
    if (maxEvents > 0 && events.length >= maxEvents) break;
    events.push(envelope);
  }
  return events;
}

describe("GET /ops/events (spec 16 §3.3)", () => {
  const total = () => fs.readFileSync(repo.loop("demo-loop").paths.events, "utf8").split("\n").length - 1;

  it("cursor=0 (default) returns every event, equal to poll-events for the same repo", async () => {
    const response = await get("/ops/events?loopId=demo-loop");
    const body = response.json as EventsBody;
    expect(response.status).toBe(200);
    expect(Object.keys(body)).toEqual(["ok", "schemaVersion", "source", "events", "cursor"]);
    expect(body.ok).toBe(true);
    expect(body.schemaVersion).toBe("v1");
    expect(body.source).toEqual({ repoPath: repo.root, loopId: "demo-loop" });
    expect(body.events).toEqual(await localEvents(0));
    expect(body.events).toHaveLength(total());
    expect(body.events[0]?.traceId).toBeNull();
    expect(body.cursor).toEqual({
      eventLineOffset: total(),
      eventLineCount: total(),
      updatedAt: "2026-02-22T11:00:06Z",
    });
    expect((await get("/ops/events?loopId=demo-loop&cursor=0&maxEvents=0")).json).toEqual(body);
  });

  it("cursor and maxEvents: resume after the cursor, stop after maxEvents", async () => {
    const response = await get("/ops/events?loopId=demo-loop&cursor=5&maxEvents=3");
    const body = response.json as EventsBody;
    expect(body.events).toEqual(await localEvents(5, 3));
    expect(body.events.map((event) => event.sequence.value)).toEqual([6, 7, 8]);
    expect(body.cursor).toMatchObject({ eventLineOffset: 8, eventLineCount: total() });

    const atEnd = (await get(`/ops/events?loopId=demo-loop&cursor=${total()}`)).json as EventsBody;
    expect(atEnd.events).toEqual([]);
    expect(atEnd.cursor).toMatchObject({ eventLineOffset: total(), eventLineCount: total() });

    const one = (await get("/ops/events?loopId=demo-loop&maxEvents=1")).json as EventsBody;
    expect(one.events.map((event) => event.sequence.value)).toEqual([1]);
    expect(one.cursor.eventLineOffset).toBe(1);
  });

  it("repeated requests are pure: no cursor file is written in the repo", async () => {
    await get("/ops/events?loopId=demo-loop&cursor=3");
    expect(fs.existsSync(repo.loop("demo-loop").paths.standaloneCursor)).toBe(false);
    expect(fs.existsSync(opsPaths(repo.root, "demo-loop").cursor)).toBe(false);
  });

  it("a trace header sets traceId on the body and on every event", async () => {
    const body = (
      await get("/ops/events?loopId=demo-loop&cursor=28", { ...auth, "x-trace-id": "trace-ev-1" })
    ).json as EventsBody;
    expect(Object.keys(body)).toEqual(["ok", "schemaVersion", "traceId", "source", "events", "cursor"]);
    expect(body.traceId).toBe("trace-ev-1");
    expect(body.events).toEqual(await localEvents(28, 0, "trace-ev-1"));
    expect(body.events.every((event) => event.traceId === "trace-ev-1")).toBe(true);
  });

  it("integer checks: 400 invalid_request; only the first occurrence counts", async () => {
    for (const [query, message] of [
      ["cursor=abc", "query parameter 'cursor' must be an integer"],
      ["cursor=1.5", "query parameter 'cursor' must be an integer"],
      ["maxEvents=x1", "query parameter 'maxEvents' must be an integer"],
      ["cursor=-1", "query parameter 'cursor' must be >= 0"],
      ["maxEvents=-3", "query parameter 'maxEvents' must be >= 0"],
      ["cursor=abc&cursor=1", "query parameter 'cursor' must be an integer"],
    ] as const) {
      expect(await get(`/ops/events?loopId=demo-loop&${query}`)).toMatchObject({
        status: 400,
        json: error("invalid_request", message),
      });
    }
    const first = (await get("/ops/events?loopId=demo-loop&cursor=29&cursor=abc")).json as EventsBody;
    expect(first.events.map((event) => event.sequence.value)).toEqual([30]);
  });

  it("poll failure → 502 runtime_error (cursor beyond the log, missing loop)", async () => {
    expect(await get("/ops/events?loopId=demo-loop&cursor=999")).toMatchObject({
      status: 502,
      json: error(
        "runtime_error",
        `error: cursor offset (999) exceeds available events (${total()}); reset cursor or use --from-start`,
      ),
    });
    expect(await get("/ops/events?loopId=no-such-loop")).toMatchObject({
      status: 502,
      json: error(
        "runtime_error",
        `error: required artifact root missing: ${repo.root}/.superloop/loops/no-such-loop`,
      ),
    });
  });

  it("a bad event line → 502 with the poller's message", async () => {
    const broken = createSimulatedRepo();
    try {
      broken.scenario("running", "demo-loop").appendRawLine("not json");
      const local = await serveHandler({ repo: broken.root, runControl: unusedControl, clock });
      try {
        const response = await fetch(`${local.url}/ops/events?loopId=demo-loop`);
        const lines = fs.readFileSync(broken.loop("demo-loop").paths.events, "utf8").split("\n").length - 1;
        expect([response.status, await response.json()]).toEqual([
          502,
          error(
            "runtime_error",
            `error: invalid JSON event at line ${lines} in ${broken.loop("demo-loop").paths.events}`,
          ),
        ]);
      } finally {
        await local.close();
      }
    } finally {
      await broken.cleanup();
    }
  });
});
