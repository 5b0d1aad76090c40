import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HealthReasonCode, ValidationError } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  aggregateHealthReasons,
  evaluateHealth,
  type HealthInputs,
  health,
  ingestFailureReasonCode,
} from "./health.js";
import { HealthDocumentSchema, type HealthReason } from "./schemas.js";
import { BUILT_IN_HEALTH_THRESHOLDS } from "./thresholds.js";

const NOW = "2026-02-22T12:10:00Z";
const NOW_EPOCH = Date.parse(NOW) / 1000;
const at = (secondsBefore: number) =>
  new Date((NOW_EPOCH - secondsBefore) * 1000).toISOString().replace(".000Z", "Z");

function inputs(overrides: Partial<HealthInputs> = {}): HealthInputs {
  return {
    state: {},
    heartbeatState: {},
    sequenceState: {},
    transportHealth: {},
    lastIntent: null,
    traceId: null,
    transport: "local",
    thresholdProfile: null,
    ingestStatus: "success",
    failureCode: null,
    thresholds: BUILT_IN_HEALTH_THRESHOLDS,
    now: NOW,
    ...overrides,
  };
}

const running = (lastEventAt: string) => ({
  transition: { currentState: "running" },
  projection: { status: "running", lastEventAt },
});

const pairs = (doc: { reasons: readonly HealthReason[] }) =>
  doc.reasons.map((r) => `${r.code}:${r.severity}`);

describe("evaluateHealth: reason-code catalogue (spec 14 §3, §5)", () => {
  it("healthy with no inputs at all", () => {
    const doc = evaluateHealth(inputs());
    expect(doc.status).toBe("healthy");
    expect(doc.reasonCodes).toEqual([]);
    expect(doc.reasons).toEqual([]);
    expect(doc.metrics).toEqual({
      ingestLagSeconds: null,
      heartbeatLagSeconds: null,
      transportFailureStreak: 0,
      lastControlStatus: null,
      sequenceStatus: null,
      lifecycleState: "unknown",
    });
    expect(HealthDocumentSchema.parse(doc)).toEqual(doc);
  });

  it("divergence_detected", () => {
    const doc = evaluateHealth(inputs({ state: { divergence: { any: true } } }));
    expect(doc.status).toBe("degraded");
    expect(doc.reasons).toEqual([
      {
        code: "divergence_detected",
        severity: "degraded",
        metric: "divergence.any",
        observed: "true",
        threshold: "false",
      },
    ]);
  });

  it("divergence.any must be literally true", () => {
    expect(evaluateHealth(inputs({ state: { divergence: { any: "true" } } })).status).toBe("healthy");
  });

  it("control_ambiguous and control_failed_command from the last intent", () => {
    expect(evaluateHealth(inputs({ lastIntent: { status: "ambiguous" } })).reasons).toEqual([
      {
        code: "control_ambiguous",
        severity: "degraded",
        metric: "control.status",
        observed: "ambiguous",
        threshold: "confirmed",
      },
    ]);
    expect(evaluateHealth(inputs({ lastIntent: { status: "failed_command" } })).reasons).toEqual([
      {
        code: "control_failed_command",
        severity: "degraded",
        metric: "control.status",
        observed: "failed_command",
        threshold: "confirmed",
      },
    ]);
    const confirmed = evaluateHealth(inputs({ lastIntent: { status: "confirmed" } }));
    expect(confirmed.status).toBe("healthy");
    expect(confirmed.metrics.lastControlStatus).toBe("confirmed");
  });

  it("ingest_stale: >= boundaries for degraded and critical", () => {
    const lag = (seconds: number) => evaluateHealth(inputs({ state: running(at(seconds)) }));
    expect(lag(299).reasons).toEqual([]);
    expect(lag(299).metrics.ingestLagSeconds).toBe(299);
    expect(lag(300).reasons).toEqual([
      {
        code: "ingest_stale",
        severity: "degraded",
        metric: "ingestLagSeconds",
        observed: "300",
        threshold: "300",
      },
    ]);
    expect(lag(899).reasons[0]).toMatchObject({ severity: "degraded", observed: "899", threshold: "300" });
    expect(lag(900).reasons).toEqual([
      {
        code: "ingest_stale",
        severity: "critical",
        metric: "ingestLagSeconds",
        observed: "900",
        threshold: "900",
      },
    ]);
    expect(lag(900).status).toBe("critical");
  });

  it("ingest lag is clamped at 0 for events in the future and skipped when unparseable", () => {
    expect(evaluateHealth(inputs({ state: running("2026-02-22T13:00:00Z") })).metrics.ingestLagSeconds).toBe(
      0,
    );
    for (const bad of [
      "2026-02-22T12:00:00.5Z",
      "2026-02-22T12:00:00+00:00",
      "2026-02-22T12:00:00",
      "1969-12-31T23:59:59Z",
    ]) {
      const doc = evaluateHealth(inputs({ state: running(bad) }));
      expect(doc.metrics.ingestLagSeconds).toBeNull();
      expect(doc.reasons).toEqual([]);
      expect(doc.evidence.lastEventAt).toBe(bad);
    }
  });

  it("runtime_heartbeat_stale: computed lag with >= boundaries", () => {
    const hb = (seconds: number) =>
      evaluateHealth(inputs({ heartbeatState: { lastHeartbeatAt: at(seconds) } }));
    expect(hb(119).reasons).toEqual([]);
    expect(hb(120).reasons).toEqual([
      {
        code: "runtime_heartbeat_stale",
        severity: "degraded",
        metric: "heartbeatLagSeconds",
        observed: "120",
        threshold: "120",
      },
    ]);
    expect(hb(300).reasons).toEqual([
      {
        code: "runtime_heartbeat_stale",
        severity: "critical",
        metric: "heartbeatLagSeconds",
        observed: "300",
        threshold: "300",
      },
    ]);
  });

  it("heartbeat falls back to heartbeat.timestamp; invalid timestamps give a null lag", () => {
    const fallback = evaluateHealth(inputs({ heartbeatState: { heartbeat: { timestamp: at(150) } } }));
    expect(fallback.evidence.lastHeartbeatAt).toBe(at(150));
    expect(fallback.metrics.heartbeatLagSeconds).toBe(150);
    const invalid = evaluateHealth(inputs({ heartbeatState: { lastHeartbeatAt: "yesterday" } }));
    expect(invalid.metrics.heartbeatLagSeconds).toBeNull();
    expect(invalid.reasons).toEqual([]);
  });

  it("Q14-3: a stored non-negative integer heartbeatLagSeconds is used verbatim (not recomputed)", () => {
    const doc = evaluateHealth(
      inputs({ heartbeatState: { lastHeartbeatAt: at(10_000), heartbeatLagSeconds: 5 } }),
    );
    expect(doc.metrics.heartbeatLagSeconds).toBe(5);
    expect(doc.status).toBe("healthy");
    // Non-integer or negative stored lags are ignored and the lag is recomputed.
    for (const stored of [5.5, -1, "5", null]) {
      const recomputed = evaluateHealth(
        inputs({ heartbeatState: { lastHeartbeatAt: at(10_000), heartbeatLagSeconds: stored } }),
      );
      expect(recomputed.metrics.heartbeatLagSeconds).toBe(10_000);
    }
  });

  it("transport_unreachable from the failure streak, including threshold 0 (always)", () => {
    const streak = (failureStreak: unknown) => evaluateHealth(inputs({ transportHealth: { failureStreak } }));
    expect(streak(1).reasons).toEqual([]);
    expect(streak(2).reasons).toEqual([
      {
        code: "transport_unreachable",
        severity: "degraded",
        metric: "transportFailureStreak",
        observed: "2",
        threshold: "2",
      },
    ]);
    expect(streak(4).reasons[0]).toMatchObject({ severity: "critical", observed: "4", threshold: "4" });
    expect(streak("4").metrics.transportFailureStreak).toBe(0);
    expect(streak(2.5).metrics.transportFailureStreak).toBe(0);
    const zero = evaluateHealth(
      inputs({ thresholds: { ...BUILT_IN_HEALTH_THRESHOLDS, degradedTransportFailureStreak: 0 } }),
    );
    expect(zero.reasons).toEqual([
      {
        code: "transport_unreachable",
        severity: "degraded",
        metric: "transportFailureStreak",
        observed: "0",
        threshold: "0",
      },
    ]);
  });

  it("ordering_drift_detected from the sequence state (defaults and custom values)", () => {
    expect(evaluateHealth(inputs({ sequenceState: { driftActive: true } })).reasons).toEqual([
      {
        code: "ordering_drift_detected",
        severity: "degraded",
        metric: "sequence.status",
        observed: "ordering_drift_detected",
        threshold: "ok",
      },
    ]);
    const custom = evaluateHealth(
      inputs({
        sequenceState: {
          driftActive: true,
          status: "weird_status",
          reasonCode: "custom_code",
          updatedAt: NOW,
        },
      }),
    );
    expect(custom.reasons).toEqual([
      {
        code: "custom_code",
        severity: "degraded",
        metric: "sequence.status",
        observed: "weird_status",
        threshold: "ok",
      },
    ]);
    expect(custom.metrics.sequenceStatus).toBe("weird_status");
    expect(custom.evidence.sequenceUpdatedAt).toBe(NOW);
    expect(evaluateHealth(inputs({ sequenceState: { driftActive: "true", status: "ok" } })).status).toBe(
      "healthy",
    );
  });

  it.each([
    ["snapshot_unavailable", "transport_unreachable"],
    ["events_unavailable", "transport_unreachable"],
    ["service_request_failed", "transport_unreachable"],
    ["service_response_invalid", "invalid_transport_payload"],
    ["projection_failed", "projection_failed"],
    [null, "reconcile_failed"],
    ["something_new", "something_new"],
  ])("failed ingest with failure code %s → %s (Q14-6 verbatim)", (failureCode, code) => {
    const doc = evaluateHealth(inputs({ ingestStatus: "failed", failureCode }));
    expect(doc.status).toBe("degraded");
    expect(doc.reasonCodes).toEqual([code]);
    expect(doc.reasons).toEqual([
      { code, severity: "degraded", metric: "ingestStatus", observed: "failed", threshold: "success" },
    ]);
    expect(doc.transport.failureCode).toBe(failureCode);
    expect(ingestFailureReasonCode(failureCode)).toBe(code);
  });

  it("a failure code on a successful ingest adds nothing", () => {
    expect(evaluateHealth(inputs({ failureCode: "snapshot_unavailable" })).status).toBe("healthy");
  });

  it("every health reason code of the catalogue is produced by some input", () => {
    const produced = new Set<string>();
    const all = [
      inputs({ state: { divergence: { any: true } } }),
      inputs({ lastIntent: { status: "ambiguous" } }),
      inputs({ lastIntent: { status: "failed_command" } }),
      inputs({ state: running(at(1000)) }),
      inputs({ heartbeatState: { heartbeatLagSeconds: 1000 } }),
      inputs({ transportHealth: { failureStreak: 9 } }),
      inputs({ ingestStatus: "failed", failureCode: "service_response_invalid" }),
      inputs({ ingestStatus: "failed", failureCode: "projection_failed" }),
      inputs({ ingestStatus: "failed", failureCode: null }),
      inputs({ sequenceState: { driftActive: true } }),
    ];
    for (const item of all) for (const code of evaluateHealth(item).reasonCodes) produced.add(code);
    expect([...produced].sort()).toEqual(Object.values(HealthReasonCode).sort());
  });
});

describe("aggregation (spec 14 §3.1, Q14-4)", () => {
  it("streak 4 on a failed ingest keeps both severities, sorted by code:severity", () => {
    const doc = evaluateHealth(
      inputs({
        transportHealth: { failureStreak: 4 },
        ingestStatus: "failed",
        failureCode: "snapshot_unavailable",
      }),
    );
    expect(doc.status).toBe("critical");
    expect(doc.reasonCodes).toEqual(["transport_unreachable"]);
    expect(doc.reasons.map((r) => [r.code, r.severity, r.metric])).toEqual([
      ["transport_unreachable", "critical", "transportFailureStreak"],
      ["transport_unreachable", "degraded", "ingestStatus"],
    ]);
  });

  it("streak 2 on a failed ingest keeps only the first-added (streak) degraded reason", () => {
    const doc = evaluateHealth(
      inputs({
        transportHealth: { failureStreak: 2 },
        ingestStatus: "failed",
        failureCode: "events_unavailable",
      }),
    );
    expect(doc.reasons).toEqual([
      {
        code: "transport_unreachable",
        severity: "degraded",
        metric: "transportFailureStreak",
        observed: "2",
        threshold: "2",
      },
    ]);
  });

  it("sorts reasons by code:severity and reasonCodes ascending, status by highest severity", () => {
    const doc = evaluateHealth(
      inputs({
        state: { ...running(at(1000)), divergence: { any: true } },
        lastIntent: { status: "ambiguous" },
        heartbeatState: { heartbeatLagSeconds: 130 },
        sequenceState: { driftActive: true },
        ingestStatus: "failed",
        failureCode: "projection_failed",
      }),
    );
    expect(pairs(doc)).toEqual([
      "control_ambiguous:degraded",
      "divergence_detected:degraded",
      "ingest_stale:critical",
      "ordering_drift_detected:degraded",
      "projection_failed:degraded",
      "runtime_heartbeat_stale:degraded",
    ]);
    expect(doc.reasonCodes).toEqual([
      "control_ambiguous",
      "divergence_detected",
      "ingest_stale",
      "ordering_drift_detected",
      "projection_failed",
      "runtime_heartbeat_stale",
    ]);
    expect(doc.status).toBe("critical");
  });

  it("sorting is by code point, and `:` sorts before letters", () => {
    const result = aggregateHealthReasons([
      { code: "a_b", severity: "degraded" },
      { code: "a", severity: "degraded" },
      { code: "a", severity: "critical" },
      { code: "a", severity: "degraded", metric: "second" },
    ]);
    expect(result.reasons).toEqual([
      { code: "a", severity: "critical" },
      { code: "a", severity: "degraded" },
      { code: "a_b", severity: "degraded" },
    ]);
    expect(result.reasonCodes).toEqual(["a", "a_b"]);
  });
});

describe("Q14-2: ingest staleness and lifecycle", () => {
  it("keeps ingest_stale for running loops", () => {
    expect(evaluateHealth(inputs({ state: running(at(5000)) })).reasonCodes).toEqual(["ingest_stale"]);
  });

  it("careful: suppresses ingest_stale for terminal lifecycle states (lag still reported)", () => {
    for (const currentState of ["complete", "stopped", "idle"]) {
      const doc = evaluateHealth(
        inputs({ state: { transition: { currentState }, projection: { lastEventAt: at(5000) } } }),
      );
      expect(doc.reasonCodes).toEqual([]);
      expect(doc.metrics.ingestLagSeconds).toBe(5000);
      expect(doc.metrics.lifecycleState).toBe(currentState);
    }
    // failed / awaiting_approval / unknown keep aging.
    for (const status of ["failed", "awaiting_approval"]) {
      const doc = evaluateHealth(inputs({ state: { projection: { status, lastEventAt: at(5000) } } }));
      expect(doc.reasonCodes).toEqual(["ingest_stale"]);
    }
  });

  it("legacy behaviour on request", () => {
    const doc = evaluateHealth(
      inputs({ state: { transition: { currentState: "complete" }, projection: { lastEventAt: at(5000) } } }),
      { suppressIngestStaleWhenTerminal: false },
    );
    expect(doc.reasonCodes).toEqual(["ingest_stale"]);
  });

  it("lifecycle: transition.currentState, else projection.status, else unknown", () => {
    expect(evaluateHealth(inputs({ state: { projection: { status: "idle" } } })).metrics.lifecycleState).toBe(
      "idle",
    );
    expect(
      evaluateHealth(
        inputs({ state: { transition: { currentState: "running" }, projection: { status: "idle" } } }),
      ).metrics.lifecycleState,
    ).toBe("running");
  });
});

// ---------------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------------

describe("health command", () => {
  let temp: TempDir;
  let dir: string;
  const clock = { now: () => new Date("2026-02-22T12:00:00Z") };
  beforeEach(() => {
    temp = makeTempDir("ops-health-");
    dir = temp.path;
  });
  afterEach(() => temp.cleanup());

  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };

  it("reproduces the spec 14 §4 example exactly", async () => {
    const transportHealth = write(
      "transport-health.json",
      JSON.stringify({
        schemaVersion: "v1",
        updatedAt: "2026-02-22T12:10:00Z",
        traceId: "tf-4",
        transport: "local",
        lastResult: "failed",
        failureStreak: 4,
        lastFailureCode: "snapshot_unavailable",
        lastFailureAt: "2026-02-22T12:10:00Z",
      }),
    );
    const doc = await health(
      {
        stateFile: path.join(dir, "missing-state.json"),
        heartbeatStateFile: path.join(dir, "missing-heartbeat.json"),
        sequenceStateFile: path.join(dir, "missing-sequence.json"),
        transportHealthFile: transportHealth,
        intentsFile: path.join(dir, "missing-intents.jsonl"),
        traceId: "tf-4",
        transport: "local",
        thresholdProfile: "balanced",
        ingestStatus: "failed",
        failureCode: "snapshot_unavailable",
        now: "2026-02-22T12:10:00Z",
      },
      { clock, cwd: dir },
    );
    const expected =
      '{"schemaVersion":"v1","updatedAt":"2026-02-22T12:10:00Z","traceId":"tf-4","status":"critical",' +
      '"reasonCodes":["transport_unreachable"],' +
      '"reasons":[{"code":"transport_unreachable","severity":"critical","metric":"transportFailureStreak","observed":"4","threshold":"4"},' +
      '{"code":"transport_unreachable","severity":"degraded","metric":"ingestStatus","observed":"failed","threshold":"success"}],' +
      '"metrics":{"ingestLagSeconds":null,"heartbeatLagSeconds":null,"transportFailureStreak":4,"lastControlStatus":null,"sequenceStatus":null,"lifecycleState":"unknown"},' +
      '"thresholds":{"profile":"balanced","degradedIngestLagSeconds":300,"criticalIngestLagSeconds":900,"degradedHeartbeatLagSeconds":120,"criticalHeartbeatLagSeconds":300,"degradedTransportFailureStreak":2,"criticalTransportFailureStreak":4},' +
      '"transport":{"mode":"local","ingestStatus":"failed","failureCode":"snapshot_unavailable","lastFailureCode":"snapshot_unavailable"},' +
      '"evidence":{"lastEventAt":null,"lastHeartbeatAt":null,"sequenceUpdatedAt":null}}';
    expect(JSON.stringify(doc)).toBe(expected);
  });

  it("defaults: no flags → healthy, updatedAt = clock, traceId/profile/failureCode null", async () => {
    const doc = await health({}, { clock, cwd: dir });
    expect(doc.updatedAt).toBe("2026-02-22T12:00:00Z");
    expect(doc.traceId).toBeNull();
    expect(doc.thresholds.profile).toBeNull();
    expect(doc.transport).toEqual({
      mode: "local",
      ingestStatus: "success",
      failureCode: null,
      lastFailureCode: null,
    });
    expect(doc.status).toBe("healthy");
    const empty = await health({ traceId: "", thresholdProfile: "", failureCode: "" }, { clock, cwd: dir });
    expect(empty.traceId).toBeNull();
    expect(empty.thresholds.profile).toBeNull();
    expect(empty.transport.failureCode).toBeNull();
  });

  it("reads all four JSON inputs and the intents log (relative paths against cwd)", async () => {
    write("state.json", JSON.stringify({ ...running("2026-02-22T11:50:00Z"), divergence: { any: false } }));
    write("heartbeat.json", JSON.stringify({ lastHeartbeatAt: "2026-02-22T11:58:00Z" }));
    write(
      "sequence-state.json",
      JSON.stringify({ status: "ok", driftActive: false, updatedAt: "2026-02-22T11:59:59Z" }),
    );
    write("transport-health.json", JSON.stringify({ failureStreak: 0 }));
    write("intents.jsonl", `${JSON.stringify({ status: "ambiguous" })}\n`);
    const doc = await health(
      {
        stateFile: "state.json",
        heartbeatStateFile: "heartbeat.json",
        sequenceStateFile: "sequence-state.json",
        transportHealthFile: "transport-health.json",
        intentsFile: "intents.jsonl",
        transport: "sprite_service",
      },
      { clock, cwd: dir },
    );
    expect(doc.metrics).toEqual({
      ingestLagSeconds: 600,
      heartbeatLagSeconds: 120,
      transportFailureStreak: 0,
      lastControlStatus: "ambiguous",
      sequenceStatus: "ok",
      lifecycleState: "running",
    });
    expect(pairs(doc)).toEqual([
      "control_ambiguous:degraded",
      "ingest_stale:degraded",
      "runtime_heartbeat_stale:degraded",
    ]);
    expect(doc.transport.mode).toBe("sprite_service");
    expect(doc.evidence).toEqual({
      lastEventAt: "2026-02-22T11:50:00Z",
      lastHeartbeatAt: "2026-02-22T11:58:00Z",
      sequenceUpdatedAt: "2026-02-22T11:59:59Z",
    });
  });

  it("Q14-5: only the newest intent line counts; a later success clears the control reason", async () => {
    const file = write("intents.jsonl", `${JSON.stringify({ status: "ambiguous" })}\n`);
    expect((await health({ intentsFile: file }, { clock })).reasonCodes).toEqual(["control_ambiguous"]);
    write(
      "intents.jsonl",
      `${JSON.stringify({ status: "ambiguous" })}\n${JSON.stringify({ status: "confirmed" })}\n`,
    );
    expect((await health({ intentsFile: file }, { clock })).reasonCodes).toEqual([]);
  });

  it("a blank, invalid or non-object last intent line is no status (not an error)", async () => {
    const file = path.join(dir, "intents.jsonl");
    for (const tail of ["\n", "{not json\n", "[1,2]\n", "42\n"]) {
      writeFileSync(file, `${JSON.stringify({ status: "ambiguous" })}\n${tail}`);
      const doc = await health({ intentsFile: file }, { clock });
      expect(doc.metrics.lastControlStatus).toBeNull();
      expect(doc.status).toBe("healthy");
    }
    // A directory where the intents log should be is also "no status".
    mkdirSync(path.join(dir, "intents-dir"));
    expect((await health({ intentsFile: path.join(dir, "intents-dir") }, { clock })).status).toBe("healthy");
  });

  it("an unterminated last intent line is not yet written (Q10-1), complete or not", async () => {
    const file = write("intents.jsonl", `${JSON.stringify({ status: "ambiguous" })}\n{"status":"fail`);
    expect((await health({ intentsFile: file }, { clock })).metrics.lastControlStatus).toBe("ambiguous");
    writeFileSync(file, `${JSON.stringify({ status: "ambiguous" })}\n{"status":"failed_command"}`);
    expect((await health({ intentsFile: file }, { clock })).metrics.lastControlStatus).toBe("ambiguous");
    writeFileSync(file, `${JSON.stringify({ status: "ambiguous" })}\n{"status":"failed_command"}\n`);
    expect((await health({ intentsFile: file }, { clock })).metrics.lastControlStatus).toBe("failed_command");
  });

  describe("errors, in the spec's order", () => {
    const cases: [string, Record<string, string>, string][] = [
      ["transport", { transport: "http" }, "--transport must be local or sprite_service"],
      ["empty transport", { transport: "" }, "--transport must be local or sprite_service"],
      ["ingest status", { ingestStatus: "ok" }, "--ingest-status must be success or failed"],
      [
        "degraded ingest",
        { degradedIngestLagSeconds: "-1" },
        "degraded-ingest-lag-seconds must be a non-negative integer",
      ],
      [
        "critical ingest",
        { criticalIngestLagSeconds: "1.5" },
        "critical-ingest-lag-seconds must be a non-negative integer",
      ],
      [
        "degraded heartbeat",
        { degradedHeartbeatLagSeconds: "x" },
        "degraded-heartbeat-lag-seconds must be a non-negative integer",
      ],
      [
        "critical heartbeat",
        { criticalHeartbeatLagSeconds: "" },
        "critical-heartbeat-lag-seconds must be a non-negative integer",
      ],
      [
        "degraded streak",
        { degradedTransportFailureStreak: "+2" },
        "degraded-transport-failure-streak must be a non-negative integer",
      ],
      [
        "critical streak",
        { criticalTransportFailureStreak: "4 " },
        "critical-transport-failure-streak must be a non-negative integer",
      ],
      [
        "ingest invariant",
        { degradedIngestLagSeconds: "901" },
        "critical ingest lag threshold must be >= degraded threshold",
      ],
      [
        "heartbeat invariant",
        { criticalHeartbeatLagSeconds: "119" },
        "critical heartbeat lag threshold must be >= degraded threshold",
      ],
      [
        "streak invariant",
        { criticalTransportFailureStreak: "1" },
        "critical transport failure threshold must be >= degraded threshold",
      ],
      ["now fraction", { now: "2026-02-22T12:00:00.000Z" }, "--now must be an ISO-8601 UTC timestamp"],
      ["now offset", { now: "2026-02-22T12:00:00+00:00" }, "--now must be an ISO-8601 UTC timestamp"],
      ["now no Z", { now: "2026-02-22T12:00:00" }, "--now must be an ISO-8601 UTC timestamp"],
      ["now empty", { now: "" }, "--now must be an ISO-8601 UTC timestamp"],
      ["now pre-1970", { now: "1969-12-31T23:59:59Z" }, "--now must be an ISO-8601 UTC timestamp"],
      ["now bad date", { now: "2026-02-30T12:00:00Z" }, "--now must be an ISO-8601 UTC timestamp"],
    ];
    it.each(cases)("%s", async (_name, flags, message) => {
      const error = await health(flags, { clock, cwd: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toBe(message);
      expect((error as ValidationError).exitCode).toBe(1);
    });

    it("order: transport before ingest status before integers before invariants before --now", async () => {
      const all = {
        transport: "x",
        ingestStatus: "x",
        degradedIngestLagSeconds: "x",
        criticalTransportFailureStreak: "0",
        now: "x",
      };
      await expect(health(all, { clock })).rejects.toThrow("--transport must be local or sprite_service");
      await expect(health({ ...all, transport: "local" }, { clock })).rejects.toThrow(
        "--ingest-status must be",
      );
      await expect(health({ ...all, transport: "local", ingestStatus: "failed" }, { clock })).rejects.toThrow(
        "degraded-ingest-lag-seconds must be a non-negative integer",
      );
      await expect(
        health(
          { ...all, transport: "local", ingestStatus: "failed", degradedIngestLagSeconds: "0" },
          { clock },
        ),
      ).rejects.toThrow("critical transport failure threshold must be >= degraded threshold");
      await expect(
        health(
          {
            ...all,
            transport: "local",
            ingestStatus: "failed",
            degradedIngestLagSeconds: "0",
            criticalTransportFailureStreak: "4",
          },
          { clock },
        ),
      ).rejects.toThrow("--now must be an ISO-8601 UTC timestamp");
    });

    it("existing but invalid JSON inputs, in order state → heartbeat → sequence → transport", async () => {
      const bad = write("bad.json", "{oops");
      const array = write("array.json", "[1]");
      const empty = write("empty.json", "");
      await expect(
        health(
          { stateFile: bad, heartbeatStateFile: bad, sequenceStateFile: bad, transportHealthFile: bad },
          { clock },
        ),
      ).rejects.toThrow(`invalid state JSON: ${bad}`);
      await expect(
        health({ heartbeatStateFile: array, sequenceStateFile: bad, transportHealthFile: bad }, { clock }),
      ).rejects.toThrow(`invalid heartbeat state JSON: ${array}`);
      await expect(health({ sequenceStateFile: empty, transportHealthFile: bad }, { clock })).rejects.toThrow(
        `invalid sequence state JSON: ${empty}`,
      );
      await expect(health({ transportHealthFile: "bad.json" }, { clock, cwd: dir })).rejects.toThrow(
        "invalid transport health JSON: bad.json",
      );
    });

    it("--now is checked before any file is read", async () => {
      const bad = write("bad.json", "{oops");
      await expect(health({ stateFile: bad, now: "nope" }, { clock })).rejects.toThrow("--now must be");
    });
  });

  it("explicit thresholds flow into the document; 0 is accepted", async () => {
    const doc = await health(
      {
        degradedIngestLagSeconds: "0",
        criticalIngestLagSeconds: "0",
        degradedHeartbeatLagSeconds: "007",
        criticalHeartbeatLagSeconds: "8",
        degradedTransportFailureStreak: "0",
        criticalTransportFailureStreak: "0",
      },
      { clock },
    );
    expect(doc.thresholds).toEqual({
      profile: null,
      degradedIngestLagSeconds: 0,
      criticalIngestLagSeconds: 0,
      degradedHeartbeatLagSeconds: 7,
      criticalHeartbeatLagSeconds: 8,
      degradedTransportFailureStreak: 0,
      criticalTransportFailureStreak: 0,
    });
    // Streak 0 >= critical 0: "always" triggers.
    expect(pairs(doc)).toEqual(["transport_unreachable:critical"]);
  });
});
