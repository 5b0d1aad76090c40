/**
 * reconcile over the sprite-service transport (spec 13 §4.2, §2 step 13, §5.1; spec 16 §3–§4;
 * spec 10 §4.1 `OPS_MANAGER_SERVICE_CLIENT_SCRIPT`): a REAL sprite service on 127.0.0.1 over a
 * testkit runtime repo, reconcile for a separate manager repo, real stub executables for the hook.
 * Transport parity itself is parity.test.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { type JsonObject, PollCursorSchema, runtimePaths, ValidationError } from "@ops/contract";
import { HealthDocumentSchema } from "@ops/health";
import { createSimulatedRepo, makeTempDir, type SimulatedRepo, type TempDir } from "@ops/testkit";
import { loopRunSnapshot } from "@ops/transport-local";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CURSOR_VALUES_INVALID_MESSAGE,
  EVENTS_SHAPE_INVALID_MESSAGE,
  SNAPSHOT_NOT_JSON_MESSAGE,
  SNAPSHOT_SHAPE_INVALID_MESSAGE,
} from "./ingest-service.js";
import type { ReconcileInput } from "./options.js";
import { eventBatchEvidencePath, reconcile, SERVICE_BASE_URL_REQUIRED_MESSAGE } from "./reconcile.js";
import { ReconciledStateSchema, ReconcileTelemetryRowSchema } from "./schemas.js";
import { closedPortUrl, startTestService, type TestService } from "./service-test-helpers.js";
import { cleanEnv, context, ops, readJson, readJsonl, TestClock, writeStub } from "./test-helpers.js";

const LOOP = "demo-loop";
const NOW = "2026-02-22T12:00:00Z";

let runtime: SimulatedRepo;
let manager: TempDir;
let tmp: TempDir;
let service: TestService;

beforeEach(async () => {
  runtime = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:50Z" });
  manager = makeTempDir("ops-reconcile-manager-");
  tmp = makeTempDir("ops-reconcile-service-");
  service = await startTestService(runtime.root);
});

afterEach(async () => {
  await service.close();
  await runtime.cleanup();
  await manager.cleanup();
  await tmp.cleanup();
});

function input(extra: ReconcileInput = {}): ReconcileInput {
  return {
    repo: manager.path,
    loop: LOOP,
    traceId: "ts-1",
    transport: "sprite_service",
    serviceBaseUrl: service.url,
    retryBackoffSeconds: "0",
    ...extra,
  };
}

function files() {
  return ops(manager.path, LOOP);
}

function telemetry(): JsonObject[] {
  return readJsonl(files().telemetry.reconcile);
}

/** loop_start + iteration_start: two events, lifecycle `running`. */
function twoEventLoop() {
  return runtime.loop(LOOP).startRun().iteration({ haltAfter: "iteration_start" });
}

function eventTargets(): string[] {
  return service.targets.filter((target) => target.startsWith("/ops/events"));
}

describe("reconcile --transport sprite_service: success (spec 13 §4.2)", () => {
  it("ingests through the service, writes the §4.2 cursor after projection, labels every artifact", async () => {
    const loop = twoEventLoop();
    const result = await reconcile(input(), context(new TestClock(NOW)));
    expect(result.exitCode).toBe(0);
    const state = ReconciledStateSchema.parse(result.document);
    expect(state.transition).toMatchObject({
      currentState: "running",
      triggeringSignal: "event:iteration_start",
    });
    expect(state.source).toEqual({ repoPath: manager.path, loopId: LOOP });
    expect(state.evidence.snapshotFile).toBe(path.join(files().dir, "snapshot.json"));
    expect(readJson(path.join(files().dir, "snapshot.json"))).toMatchObject({
      traceId: "ts-1",
      source: { repoPath: runtime.root, loopId: LOOP },
    });

    // §4.2 step 6: the local cursor file, indented, exactly the seven fields.
    const cursorText = fs.readFileSync(files().cursor, "utf8");
    expect(cursorText.startsWith('{\n  "schemaVersion": "v1",')).toBe(true);
    expect(PollCursorSchema.parse(JSON.parse(cursorText))).toEqual({
      schemaVersion: "v1",
      repoPath: manager.path,
      loopId: LOOP,
      eventsFile: ".superloop/loops/demo-loop/events.jsonl",
      eventLineOffset: 2,
      eventLineCount: 2,
      updatedAt: NOW,
    });
    expect(fs.existsSync(path.join(files().dir, "snapshot-digest-cache.json"))).toBe(false);

    // Requests: snapshot, then events from the cursor with maxEvents always sent (Q13-10 encoded).
    expect(service.targets).toEqual([
      "/ops/snapshot?loopId=demo-loop",
      "/ops/events?loopId=demo-loop&cursor=0&maxEvents=0",
    ]);
    expect(service.requests.map((entry) => [entry.path, entry.status, entry.traceId])).toEqual([
      ["/ops/snapshot", 200, "ts-1"],
      ["/ops/events", 200, "ts-1"],
    ]);

    // The transport label in every artifact that carries one.
    const o = files();
    expect(readJson(o.telemetry.transportHealth)).toMatchObject({
      transport: "sprite_service",
      lastResult: "success",
      failureStreak: 0,
    });
    expect(readJson(o.health)).toMatchObject({
      transport: { mode: "sprite_service", ingestStatus: "success" },
    });
    expect(readJson(o.sequenceState)).toMatchObject({ transport: "sprite_service", status: "ok" });
    expect(state.health.transport.mode).toBe("sprite_service");
    expect(telemetry().map((row) => row["transport"])).toEqual(["sprite_service"]);
    expect(readJsonl(o.telemetry.sequence).map((row) => row["transport"])).toEqual(["sprite_service"]);

    // Next cycles continue from the cursor; --max-events is forwarded.
    loop.iteration();
    const clock = new TestClock("2026-02-22T12:00:10Z");
    const sliced = await reconcile(input({ traceId: "ts-2", maxEvents: "3" }), context(clock));
    expect(sliced.exitCode).toBe(0);
    expect(eventTargets()[1]).toBe("/ops/events?loopId=demo-loop&cursor=2&maxEvents=3");
    expect(telemetry()[1]).toMatchObject({ cursorOffsetBefore: 2, cursorOffsetAfter: 5, eventsIngested: 3 });
    await reconcile(input({ traceId: "ts-3" }), context(clock));
    expect(eventTargets()[2]).toBe("/ops/events?loopId=demo-loop&cursor=5&maxEvents=0");
    const total = runtime.loop(LOOP).readEvents().length;
    expect(readJson(o.cursor)).toMatchObject({ eventLineOffset: total, eventLineCount: total });
  });

  it("ctx.persistEventBatch keeps the service batch as <ops>/events-batch.ndjson", async () => {
    twoEventLoop();
    const result = await reconcile(input(), context(new TestClock(NOW), { persistEventBatch: true }));
    expect(result.exitCode).toBe(0);
    const evidence = eventBatchEvidencePath(manager.path, LOOP);
    expect(ReconciledStateSchema.parse(result.document).evidence.eventsFile).toBe(evidence);
    const lines = fs.readFileSync(evidence, "utf8").trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { event: { name: string } }).event.name)).toEqual([
      "loop_start",
      "iteration_start",
    ]);
  });
});

describe("reconcile --transport sprite_service: validation (spec 13 §2 step 13)", () => {
  it("--service-base-url is required: after steps 1–12, before any telemetry", async () => {
    const run = (extra: ReconcileInput) =>
      reconcile(input({ serviceBaseUrl: undefined, ...extra }), context(new TestClock(NOW)));
    await expect(run({})).rejects.toBeInstanceOf(ValidationError);
    await expect(run({})).rejects.toThrow(SERVICE_BASE_URL_REQUIRED_MESSAGE);
    expect(SERVICE_BASE_URL_REQUIRED_MESSAGE).toBe(
      "--service-base-url is required when --transport sprite_service",
    );
    await expect(run({ serviceBaseUrl: "" })).rejects.toThrow(SERVICE_BASE_URL_REQUIRED_MESSAGE);
    // Steps 7 and 12 come first.
    await expect(run({ transport: "sprite" })).rejects.toThrow("--transport must be local or sprite_service");
    await expect(run({ criticalTransportFailureStreak: "1" })).rejects.toThrow(
      "critical transport failure threshold must be >= degraded threshold",
    );
    // Step 8 created <ops>/; nothing was written into it; the service was not asked.
    expect(fs.readdirSync(files().dir)).toEqual([]);
    expect(service.targets).toEqual([]);
  });
});

describe("reconcile --transport sprite_service: failures (spec 13 §4.2, Q13-2, Q13-3, Q13-11)", () => {
  it("Q13-2: a 200 snapshot that is not JSON, or not an envelope, is service_response_invalid", async () => {
    twoEventLoop();
    const cases: [string, string][] = [
      ["<html>oops</html>", SNAPSHOT_NOT_JSON_MESSAGE],
      ["", SNAPSHOT_NOT_JSON_MESSAGE],
      ['{"ok":true}', SNAPSHOT_SHAPE_INVALID_MESSAGE],
      ["[]", SNAPSHOT_SHAPE_INVALID_MESSAGE],
      ['{"schemaVersion":"v1","envelopeType":"loop_run_event"}', SNAPSHOT_SHAPE_INVALID_MESSAGE],
    ];
    let cycle = 0;
    for (const [body, message] of cases) {
      cycle += 1;
      service.intercept = (target) => (target.startsWith("/ops/snapshot") ? { status: 200, body } : null);
      const result = await reconcile(input({ traceId: `ts-${cycle}` }), context(new TestClock(NOW)));
      expect(result.exitCode, body).toBe(1);
      // The payload reason; from the degraded streak (2) on, also transport_unreachable.
      expect(HealthDocumentSchema.parse(result.document)).toMatchObject({
        reasonCodes:
          cycle === 1
            ? ["invalid_transport_payload"]
            : ["invalid_transport_payload", "transport_unreachable"],
        transport: { mode: "sprite_service", failureCode: "service_response_invalid" },
      });
      expect(telemetry()[cycle - 1]).toMatchObject({
        status: "failed",
        failureCode: "service_response_invalid",
        failureMessage: message,
        eventsIngested: 0,
        transportFailureStreak: cycle,
        sequenceStatus: "skipped_ingest_failed",
      });
    }
    // The events were never requested; nothing was projected.
    expect(eventTargets()).toEqual([]);
    expect(fs.existsSync(files().state)).toBe(false);
    expect(fs.existsSync(files().cursor)).toBe(false);
    for (const row of telemetry()) ReconcileTelemetryRowSchema.parse(row);
  });

  it("bad /ops/events shapes and cursor values are service_response_invalid (steps 4–5)", async () => {
    twoEventLoop();
    const envelope = {
      ok: true,
      schemaVersion: "v1",
      events: [],
      cursor: { eventLineOffset: 0, eventLineCount: 2 },
    };
    const cases: [unknown, string][] = [
      [{ ...envelope, ok: false }, EVENTS_SHAPE_INVALID_MESSAGE],
      [{ ...envelope, ok: "true" }, EVENTS_SHAPE_INVALID_MESSAGE],
      [{ ...envelope, events: {} }, EVENTS_SHAPE_INVALID_MESSAGE],
      [{ ...envelope, cursor: 2 }, EVENTS_SHAPE_INVALID_MESSAGE],
      [{ ok: true, events: [] }, EVENTS_SHAPE_INVALID_MESSAGE],
      ["not json", EVENTS_SHAPE_INVALID_MESSAGE],
      [[], EVENTS_SHAPE_INVALID_MESSAGE],
      [{ ...envelope, cursor: { eventLineOffset: -1 } }, CURSOR_VALUES_INVALID_MESSAGE],
      [{ ...envelope, cursor: { eventLineOffset: 1.5 } }, CURSOR_VALUES_INVALID_MESSAGE],
      [{ ...envelope, cursor: { eventLineOffset: 2, eventLineCount: "two" } }, CURSOR_VALUES_INVALID_MESSAGE],
    ];
    for (const [index, [body, message]] of cases.entries()) {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      service.intercept = (target) => (target.startsWith("/ops/events") ? { status: 200, body: text } : null);
      const result = await reconcile(input({ traceId: `ts-${index}` }), context(new TestClock(NOW)));
      expect(result.exitCode, text).toBe(1);
      expect(telemetry()[index], text).toMatchObject({
        failureCode: "service_response_invalid",
        failureMessage: message,
        eventsIngested: 0,
      });
    }
    expect(fs.existsSync(files().cursor)).toBe(false);
    expect(fs.existsSync(files().state)).toBe(false);

    // Missing values are 0, digit strings are accepted (the cursor file gets numbers).
    service.intercept = (target) =>
      target.startsWith("/ops/events")
        ? { status: 200, body: JSON.stringify({ ok: true, events: [], cursor: { eventLineOffset: "0" } }) }
        : null;
    const accepted = await reconcile(input({ traceId: "ts-ok" }), context(new TestClock(NOW)));
    expect(accepted.exitCode).toBe(0);
    expect(readJson(files().cursor)).toMatchObject({ eventLineOffset: 0, eventLineCount: 0 });
  });

  it("envelopes of another loop are projection_failed (the local guard); the cursor stays (Q13-3)", async () => {
    twoEventLoop();
    const other = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:50Z" });
    try {
      other.loop("other-loop").startRun();
      const foreign = await loopRunSnapshot({ repo: other.root, loop: "other-loop" });
      service.intercept = (target) =>
        target.startsWith("/ops/snapshot") ? { status: 200, body: JSON.stringify(foreign) } : null;
      const first = await reconcile(input(), context(new TestClock(NOW)));
      expect(first.exitCode).toBe(1);
      expect(telemetry()[0]).toMatchObject({
        failureCode: "projection_failed",
        failureMessage: "error: snapshot envelope is invalid or loop id mismatch",
        eventsIngested: 2,
        cursorOffsetAfter: 0,
      });
      expect(readJson(files().health)).toMatchObject({ reasonCodes: ["projection_failed"] });
    } finally {
      await other.cleanup();
    }

    // An event element that is not an envelope of this loop.
    service.intercept = (target) =>
      target.startsWith("/ops/events")
        ? {
            status: 200,
            body: JSON.stringify({
              ok: true,
              events: [{ envelopeType: "loop_run_event" }],
              cursor: { eventLineOffset: 1 },
            }),
          }
        : null;
    const second = await reconcile(input({ traceId: "ts-2" }), context(new TestClock(NOW)));
    expect(second.exitCode).toBe(1);
    expect(telemetry()[1]).toMatchObject({
      failureCode: "projection_failed",
      failureMessage: "error: event envelope is invalid or loop id mismatch",
      eventsIngested: 1,
      transportFailureStreak: 2,
    });
    expect(fs.existsSync(files().cursor)).toBe(false);

    // The service behaves again: the same events are requested from the same cursor and projected.
    service.intercept = null;
    const third = await reconcile(input({ traceId: "ts-3" }), context(new TestClock(NOW)));
    expect(third.exitCode).toBe(0);
    expect(eventTargets()).toEqual([
      "/ops/events?loopId=demo-loop&cursor=0&maxEvents=0",
      "/ops/events?loopId=demo-loop&cursor=0&maxEvents=0",
      "/ops/events?loopId=demo-loop&cursor=0&maxEvents=0",
    ]);
    expect(telemetry()[2]).toMatchObject({ status: "success", eventsIngested: 2, cursorOffsetAfter: 2 });
  });

  it("Q13-3: a projection that fails (unwritable state file) does not advance the cursor", async () => {
    twoEventLoop();
    const blocker = path.join(tmp.path, "not-a-dir");
    fs.writeFileSync(blocker, "x");
    const failed = await reconcile(
      input({ stateFile: path.join(blocker, "state.json") }),
      context(new TestClock(NOW), { persistEventBatch: true }),
    );
    expect(failed.exitCode).toBe(1);
    expect(telemetry()[0]).toMatchObject({
      failureCode: "projection_failed",
      eventsIngested: 2,
      cursorOffsetAfter: 0,
    });
    expect(fs.existsSync(files().cursor)).toBe(false);
    expect(fs.existsSync(eventBatchEvidencePath(manager.path, LOOP))).toBe(false);
    expect(fs.readdirSync(files().dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);

    const retry = await reconcile(input({ traceId: "ts-2" }), context(new TestClock(NOW)));
    expect(retry.exitCode).toBe(0);
    expect(telemetry()[1]).toMatchObject({ cursorOffsetBefore: 0, cursorOffsetAfter: 2, eventsIngested: 2 });
  });

  it("Q13-11: a truncated log is a retried 502 → service_request_failed until a --from-start replay", async () => {
    runtime.scenario("running", LOOP);
    const clock = new TestClock("2026-02-22T12:01:00Z");
    expect((await reconcile(input(), context(clock))).exitCode).toBe(0);
    const events = runtimePaths(runtime.root, LOOP).events;
    const lines = fs.readFileSync(events, "utf8").split("\n").slice(0, 3);
    fs.writeFileSync(events, `${lines.join("\n")}\n`);

    const stale = await reconcile(input({ traceId: "ts-2", retryAttempts: "2" }), context(clock));
    expect(stale.exitCode).toBe(1);
    expect(stale.document).toMatchObject({
      reasonCodes: ["transport_unreachable"],
      transport: { failureCode: "service_request_failed" },
    });
    const message = String(telemetry()[1]?.["failureMessage"]);
    expect(message).toMatch(
      /^error: service request failed \(method=GET url=http:\/\/127\.0\.0\.1:\d+\/ops\/events\?loopId=demo-loop&cursor=\d+&maxEvents=0 code=502\): /,
    );
    expect(message).toMatch(/cursor offset \(\d+\) exceeds available events \(3\)/);
    // 502 is transient: two attempts.
    expect(
      service.requests.filter((entry) => entry.path === "/ops/events").map((entry) => entry.status),
    ).toEqual([200, 502, 502]);

    const replay = await reconcile(input({ traceId: "ts-3", fromStart: true }), context(clock));
    expect(replay.exitCode).toBe(0);
    expect(eventTargets().at(-1)).toBe("/ops/events?loopId=demo-loop&cursor=0&maxEvents=0");
    expect(ReconciledStateSchema.parse(replay.document).sequence).toMatchObject({
      status: "ordering_drift_detected",
      violations: ["event_sequence_regression", "snapshot_sequence_regression"],
    });
  });
});

describe("reconcile --transport sprite_service: the service client (spec 16 §4, §5)", () => {
  it("service down: refused connections are retried with linear backoff, one streak step per cycle", async () => {
    twoEventLoop();
    const down = await closedPortUrl();
    const sleeps: number[] = [];
    const ctx = context(new TestClock(NOW), {
      serviceSleep: async (ms: number) => {
        sleeps.push(ms);
      },
    });
    const first = await reconcile(input({ serviceBaseUrl: `${down}/`, retryBackoffSeconds: "2" }), ctx);
    expect(first.exitCode).toBe(1);
    expect(sleeps).toEqual([2000, 4000]);
    expect(telemetry()[0]).toMatchObject({
      failureCode: "service_request_failed",
      retryAttempts: 3,
      retryBackoffSeconds: 2,
      transportFailureStreak: 1,
    });
    expect(String(telemetry()[0]?.["failureMessage"])).toContain(
      `url=${down}/ops/snapshot?loopId=demo-loop code=000): `,
    );
    const second = await reconcile(input({ serviceBaseUrl: down, retryAttempts: "1", traceId: "ts-2" }), ctx);
    expect(second.exitCode).toBe(1);
    expect(sleeps).toHaveLength(2);
    expect(readJson(files().telemetry.transportHealth)).toMatchObject({
      failureStreak: 2,
      lastFailureCode: "service_request_failed",
    });
  });

  it("a base URL the client refuses is service_request_failed with the client's message", async () => {
    twoEventLoop();
    const result = await reconcile(
      input({ serviceBaseUrl: "ftp://sprite.example" }),
      context(new TestClock(NOW)),
    );
    expect(result.exitCode).toBe(1);
    expect(telemetry()[0]).toMatchObject({
      failureCode: "service_request_failed",
      failureMessage: "error: --base-url must be an http or https URL: ftp://sprite.example",
    });
  });

  it("the token goes as Bearer + X-Ops-Token (flag, else OPS_MANAGER_SERVICE_TOKEN); 401 is not retried", async () => {
    await service.close();
    service = await startTestService(runtime.root, { token: "s3cret" });
    twoEventLoop();
    const denied = await reconcile(input(), context(new TestClock(NOW)));
    expect(denied.exitCode).toBe(1);
    expect(String(telemetry()[0]?.["failureMessage"])).toMatch(
      /code=401\): \{"ok":false,"error":\{"code":"unauthorized","message":"missing or invalid token"\}\}$/,
    );
    expect(service.requests.map((entry) => entry.status)).toEqual([401]);

    expect((await reconcile(input({ serviceToken: "s3cret" }), context(new TestClock(NOW)))).exitCode).toBe(
      0,
    );
    const fromEnv = await reconcile(
      input({ traceId: "ts-3" }),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_SERVICE_TOKEN: "s3cret" }) }),
    );
    expect(fromEnv.exitCode).toBe(0);
    // The flag wins over the environment.
    const wrong = await reconcile(
      input({ traceId: "ts-4", serviceToken: "nope" }),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_SERVICE_TOKEN: "s3cret" }) }),
    );
    expect(wrong.exitCode).toBe(1);
  });

  it("§5.1: the failure streak is shared across transports; the label is this run's transport", async () => {
    twoEventLoop();
    const down = await closedPortUrl();
    const clock = new TestClock(NOW);
    await reconcile(input({ serviceBaseUrl: down }), context(clock));
    expect(readJson(files().telemetry.transportHealth)).toMatchObject({
      transport: "sprite_service",
      failureStreak: 1,
    });
    // The manager repo has no runtime files: the local transport fails too — the streak goes on.
    clock.advance(10);
    const local = await reconcile(input({ transport: "local", traceId: "tl-2" }), context(clock));
    expect(local.exitCode).toBe(1);
    expect(readJson(files().telemetry.transportHealth)).toEqual({
      schemaVersion: "v1",
      updatedAt: "2026-02-22T12:00:10Z",
      traceId: "tl-2",
      transport: "local",
      lastResult: "failed",
      failureStreak: 2,
      lastFailureCode: "snapshot_unavailable",
      lastFailureAt: "2026-02-22T12:00:10Z",
    });
    expect(local.document).toMatchObject({ status: "degraded", reasonCodes: ["transport_unreachable"] });
    clock.advance(10);
    const back = await reconcile(input({ traceId: "ts-3" }), context(clock));
    expect(back.exitCode).toBe(0);
    expect(readJson(files().telemetry.transportHealth)).toEqual({
      schemaVersion: "v1",
      updatedAt: "2026-02-22T12:00:20Z",
      traceId: "ts-3",
      transport: "sprite_service",
      lastResult: "success",
      failureStreak: 0,
      lastSuccessAt: "2026-02-22T12:00:20Z",
      lastFailureAt: "2026-02-22T12:00:10Z",
    });
    expect(telemetry().map((row) => [row["transport"], row["transportFailureStreak"]])).toEqual([
      ["sprite_service", 1],
      ["local", 2],
      ["sprite_service", 0],
    ]);
  });
});

describe("reconcile: OPS_MANAGER_SERVICE_CLIENT_SCRIPT (spec 10 §4.1)", () => {
  /** A service-client stand-in: logs its argv, performs the GET itself, honours the CLI contract. */
  const FORWARDING_CLIENT = `
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_LOG, JSON.stringify(args) + "\\n");
const flag = (name) => { const i = args.indexOf(name); return i === -1 ? undefined : args[i + 1]; };
(async () => {
  const headers = { Accept: "application/json" };
  if (flag("--token")) { headers.Authorization = "Bearer " + flag("--token"); headers["X-Ops-Token"] = flag("--token"); }
  if (flag("--trace-id")) headers["X-Trace-Id"] = flag("--trace-id");
  const url = flag("--base-url").replace(/\\/+$/, "") + flag("--path");
  const response = await fetch(url, { headers });
  const body = await response.text();
  if (response.ok) { process.stdout.write(body + "\\n"); return; }
  process.stderr.write("error: service request failed (method=GET url=" + url + " code=" + response.status + "): " + body + "\\n");
  process.exit(1);
})();`;

  it("is called with the service-client arguments instead of the in-process client", async () => {
    twoEventLoop();
    const log = path.join(tmp.path, "client.jsonl");
    const script = writeStub(tmp.path, "service-client", FORWARDING_CLIENT);
    const env = cleanEnv({ OPS_MANAGER_SERVICE_CLIENT_SCRIPT: script, STUB_LOG: log });
    const result = await reconcile(
      input({ serviceToken: "tok", retryAttempts: "5", retryBackoffSeconds: "2", maxEvents: "1" }),
      context(new TestClock(NOW), { env }),
    );
    expect(result.exitCode).toBe(0);
    const common = [
      "--token",
      "tok",
      "--trace-id",
      "ts-1",
      "--retry-attempts",
      "5",
      "--retry-backoff-seconds",
      "2",
    ];
    expect(readJsonl(log) as unknown).toEqual([
      ["--method", "GET", "--base-url", service.url, "--path", "/ops/snapshot?loopId=demo-loop", ...common],
      [
        "--method",
        "GET",
        "--base-url",
        service.url,
        "--path",
        "/ops/events?loopId=demo-loop&cursor=0&maxEvents=1",
        ...common,
      ],
    ]);
    expect(readJson(files().cursor)).toMatchObject({ eventLineOffset: 1, eventLineCount: 2 });
    expect(telemetry()[0]).toMatchObject({
      status: "success",
      eventsIngested: 1,
      transport: "sprite_service",
    });
    // Without a token, no --token argument.
    await reconcile(input({ traceId: "ts-2" }), context(new TestClock(NOW), { env }));
    expect((readJsonl(log)[2] as unknown as string[]).includes("--token")).toBe(false);
  });

  it("a failing client: service_request_failed with its last 40 output lines; non-JSON stdout is Q13-2", async () => {
    twoEventLoop();
    const failing = writeStub(
      tmp.path,
      "failing-client",
      `for (let i = 1; i <= 45; i += 1) console.log("out " + i);
process.stderr.write("error: service request failed (method=GET url=x code=503): down\\n");
process.exit(1);`,
    );
    const result = await reconcile(
      input(),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_SERVICE_CLIENT_SCRIPT: failing }) }),
    );
    expect(result.exitCode).toBe(1);
    const message = String(telemetry()[0]?.["failureMessage"]);
    expect(message.split("\n")).toHaveLength(40);
    expect(message.split("\n")[0]).toBe("out 7");
    expect(message.endsWith("error: service request failed (method=GET url=x code=503): down")).toBe(true);
    expect(telemetry()[0]).toMatchObject({ failureCode: "service_request_failed" });

    const garbage = writeStub(tmp.path, "garbage-client", `console.log("not json");`);
    const invalid = await reconcile(
      input({ traceId: "ts-2" }),
      context(new TestClock(NOW), { env: cleanEnv({ OPS_MANAGER_SERVICE_CLIENT_SCRIPT: garbage }) }),
    );
    expect(invalid.exitCode).toBe(1);
    expect(telemetry()[1]).toMatchObject({
      failureCode: "service_response_invalid",
      failureMessage: SNAPSHOT_NOT_JSON_MESSAGE,
      transportFailureStreak: 2,
    });

    const missing = await reconcile(
      input({ traceId: "ts-3" }),
      context(new TestClock(NOW), {
        env: cleanEnv({ OPS_MANAGER_SERVICE_CLIENT_SCRIPT: path.join(tmp.path, "no-such-client") }),
      }),
    );
    expect(missing.exitCode).toBe(1);
    expect(telemetry()[2]).toMatchObject({ failureCode: "service_request_failed" });
    expect(String(telemetry()[2]?.["failureMessage"])).toContain("no-such-client");
    // The service itself was never asked.
    expect(service.targets).toEqual([]);
  });
});
