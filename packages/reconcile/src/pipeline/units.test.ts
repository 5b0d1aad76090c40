/**
 * The pure building blocks of reconcile against the spec's own examples (spec 13 §5.1, §5.2, §5.3,
 * §7, §8), field by field and byte for byte where the spec shows a compact document.
 */
import type { HealthDocument } from "@ops/health";
import { describe, expect, it } from "vitest";
import {
  divergenceEscalation,
  healthEscalation,
  healthEscalationDue,
  orderingDriftEscalation,
  previousHealthOf,
  profileDriftEscalation,
} from "./escalations.js";
import { projectHeartbeat } from "./heartbeat.js";
import {
  DivergenceEscalationSchema,
  HealthEscalationSchema,
  HeartbeatStateSchema,
  HeartbeatTelemetryRowSchema,
  OrderingDriftEscalationSchema,
  ProfileDriftEscalationSchema,
  ReconcileTelemetryRowSchema,
  SequenceStateSchema,
  SequenceTelemetryRowSchema,
  TransportHealthSchema,
} from "./schemas.js";
import { type EventSequenceSummary, EventSequenceTracker, evaluateSequence } from "./sequence.js";
import { mergeDriftState, mergeFailureState, mergeSuccessState } from "./state-merge.js";
import { alertDispatchFailureRow, reconcileTelemetryRow } from "./telemetry.js";
import { projectTransportHealth } from "./transport-health.js";
import { outputTail } from "./util.js";

const compact = (value: unknown) => JSON.stringify(value);

describe("transport health (spec 13 §5.1)", () => {
  it("reproduces the spec example (second failure after a success)", () => {
    const previous = {
      schemaVersion: "v1",
      updatedAt: "2026-02-22T12:05:00Z",
      traceId: "t-8",
      transport: "sprite_service",
      lastResult: "failed",
      failureStreak: 1,
      lastFailureCode: "service_request_failed",
      lastSuccessAt: "2026-02-22T12:00:00Z",
      lastFailureAt: "2026-02-22T12:05:00Z",
    };
    const document = projectTransportHealth(previous, {
      now: "2026-02-22T12:10:00Z",
      traceId: "t-9",
      transport: "sprite_service",
      success: false,
      failureCode: "service_request_failed",
    });
    expect(compact(document)).toBe(
      '{"schemaVersion":"v1","updatedAt":"2026-02-22T12:10:00Z","traceId":"t-9","transport":"sprite_service","lastResult":"failed","failureStreak":2,"lastFailureCode":"service_request_failed","lastSuccessAt":"2026-02-22T12:00:00Z","lastFailureAt":"2026-02-22T12:10:00Z"}',
    );
    expect(TransportHealthSchema.parse(document)).toEqual(document);
  });

  it("a success resets the streak, drops lastFailureCode and carries lastFailureAt", () => {
    const document = projectTransportHealth(
      { failureStreak: 5, lastFailureCode: "x", lastFailureAt: "2026-02-22T11:00:00Z" },
      { now: "2026-02-22T12:00:00Z", traceId: "t", transport: "local", success: true, failureCode: null },
    );
    expect(document).toEqual({
      schemaVersion: "v1",
      updatedAt: "2026-02-22T12:00:00Z",
      traceId: "t",
      transport: "local",
      lastResult: "success",
      failureStreak: 0,
      lastSuccessAt: "2026-02-22T12:00:00Z",
      lastFailureAt: "2026-02-22T11:00:00Z",
    });
  });

  it("an invalid previous streak counts as 0; the streak is shared across transports", () => {
    for (const previous of [
      {},
      { failureStreak: "3" },
      { failureStreak: 1.5 },
      { failureStreak: -2 },
      null,
    ]) {
      const document = projectTransportHealth(previous, {
        now: "2026-02-22T12:00:00Z",
        traceId: null,
        transport: "local",
        success: false,
        failureCode: "snapshot_unavailable",
      });
      expect(document.failureStreak).toBe(1);
      expect(document).not.toHaveProperty("traceId");
      expect(document).not.toHaveProperty("lastSuccessAt");
    }
    const switched = projectTransportHealth(
      { transport: "sprite_service", failureStreak: 3 },
      {
        now: "2026-02-22T12:00:00Z",
        traceId: "t",
        transport: "local",
        success: false,
        failureCode: "events_unavailable",
      },
    );
    expect(switched.failureStreak).toBe(4);
  });
});

describe("heartbeat projection (spec 13 §5.2)", () => {
  const base = {
    now: "2026-02-22T12:00:00Z",
    loopId: "demo-loop",
    traceId: "t-1",
    transport: "local" as const,
    thresholds: { degradedHeartbeatLagSeconds: 120, criticalHeartbeatLagSeconds: 300 },
  };
  const heartbeat = {
    schemaVersion: "v1",
    timestamp: "2020-01-01T00:00:00Z",
    source: "runtime",
    status: "running",
    stage: "iteration",
  };

  it("reproduces the spec example heartbeat.json and its telemetry row", () => {
    // The spec example's heartbeatLagSeconds (193017600) is now − heartbeatAt for now =
    // 2026-02-12T00:00:00Z, not for its own updatedAt (2026-02-22T12:00:00Z): the example is
    // internally inconsistent. The formula (lag = now − heartbeatAt) gives 193924800 here.
    expect((Date.parse("2026-02-12T00:00:00Z") - Date.parse("2020-01-01T00:00:00Z")) / 1000).toBe(193017600);
    const result = projectHeartbeat({ ...base, heartbeat });
    expect(result.kind).toBe("projected");
    if (result.kind !== "projected") return;
    const spec = (text: string) => text.replace("193017600", "193924800");
    expect(compact(result.state)).toBe(
      spec(
        '{"schemaVersion":"v1","updatedAt":"2026-02-22T12:00:00Z","loopId":"demo-loop","traceId":"t-1","transport":"local","lastHeartbeatAt":"2020-01-01T00:00:00Z","heartbeatLagSeconds":193017600,"freshnessStatus":"critical","reasonCode":"runtime_heartbeat_stale","thresholds":{"degradedHeartbeatLagSeconds":120,"criticalHeartbeatLagSeconds":300},"heartbeat":{"schemaVersion":"v1","timestamp":"2020-01-01T00:00:00Z","source":"runtime","status":"running","stage":"iteration"}}',
      ),
    );
    expect(compact(result.telemetry)).toBe(
      spec(
        '{"timestamp":"2026-02-22T12:00:00Z","loopId":"demo-loop","traceId":"t-1","transport":"local","category":"runtime_heartbeat","status":"critical","reasonCode":"runtime_heartbeat_stale","heartbeatAt":"2020-01-01T00:00:00Z","heartbeatLagSeconds":193017600,"heartbeat":{"schemaVersion":"v1","timestamp":"2020-01-01T00:00:00Z","source":"runtime","status":"running","stage":"iteration"}}',
      ),
    );
    HeartbeatStateSchema.parse(result.state);
    HeartbeatTelemetryRowSchema.parse(result.telemetry);
  });

  it("freshness boundaries are >=; fresh has no reason code; updatedAt is the fallback", () => {
    const at = (lag: number) =>
      projectHeartbeat({
        ...base,
        heartbeat: {
          updatedAt: new Date(Date.parse(base.now) - lag * 1000).toISOString().replace(".000", ""),
        },
      });
    const statuses = [0, 119, 120, 299, 300].map((lag) => {
      const result = at(lag);
      if (result.kind !== "projected") throw new Error("expected a projection");
      return [
        result.state.freshnessStatus,
        result.state.reasonCode ?? null,
        result.state.heartbeatLagSeconds,
      ];
    });
    expect(statuses).toEqual([
      ["fresh", null, 0],
      ["fresh", null, 119],
      ["degraded", "runtime_heartbeat_stale", 120],
      ["degraded", "runtime_heartbeat_stale", 299],
      ["critical", "runtime_heartbeat_stale", 300],
    ]);
    // A heartbeat in the future has lag 0.
    const future = projectHeartbeat({ ...base, heartbeat: { timestamp: "2026-02-22T13:00:00Z" } });
    expect(future.kind === "projected" && future.state.heartbeatLagSeconds).toBe(0);
  });

  it("missing / unparseable timestamps write only a failed telemetry row; no heartbeat writes nothing", () => {
    expect(projectHeartbeat({ ...base, heartbeat: null })).toEqual({ kind: "absent" });
    expect(projectHeartbeat({ ...base, heartbeat: undefined })).toEqual({ kind: "absent" });
    const missing = projectHeartbeat({ ...base, heartbeat: { source: "runtime" } });
    expect(missing).toEqual({
      kind: "failed",
      telemetry: {
        timestamp: "2026-02-22T12:00:00Z",
        loopId: "demo-loop",
        traceId: "t-1",
        transport: "local",
        category: "runtime_heartbeat",
        status: "failed",
        reasonCode: "missing_heartbeat_timestamp",
        heartbeat: { source: "runtime" },
      },
    });
    const invalid = projectHeartbeat({ ...base, heartbeat: { timestamp: "2026-02-22T11:59:00.5Z" } });
    expect(invalid.kind === "failed" && compact(invalid.telemetry)).toBe(
      '{"timestamp":"2026-02-22T12:00:00Z","loopId":"demo-loop","traceId":"t-1","transport":"local","category":"runtime_heartbeat","status":"failed","reasonCode":"invalid_heartbeat_timestamp","heartbeatAt":"2026-02-22T11:59:00.5Z","heartbeat":{"timestamp":"2026-02-22T11:59:00.5Z"}}',
    );
  });
});

function summaryOf(values: (number | null)[]): EventSequenceSummary {
  const tracker = new EventSequenceTracker();
  for (const value of values)
    tracker.observe({ sequence: value === null ? {} : { source: "cursor_event_line_offset", value } });
  return tracker.summary();
}

describe("sequence diagnostics (spec 13 §5.3)", () => {
  const base = {
    now: "2026-02-22T12:00:01Z",
    loopId: "demo-loop",
    traceId: "t-2",
    transport: "local" as const,
    replay: false,
  };

  it("reproduces the spec example sequence-state.json", () => {
    const result = evaluateSequence({
      ...base,
      previous: { snapshot: { current: 2 }, events: { last: 2 }, driftActive: false },
      snapshotSequence: 1,
      events: summaryOf([1]),
    });
    expect(compact(result.state)).toBe(
      compact({
        schemaVersion: "v1",
        updatedAt: "2026-02-22T12:00:01Z",
        loopId: "demo-loop",
        traceId: "t-2",
        transport: "local",
        status: "ordering_drift_detected",
        reasonCode: "ordering_drift_detected",
        driftActive: true,
        violations: ["event_sequence_regression", "snapshot_sequence_regression"],
        snapshot: { previous: 2, current: 1, monotonic: false, regressed: true, missing: false },
        events: {
          ingestedCount: 1,
          previousLast: 2,
          first: 1,
          last: 1,
          monotonicWithinBatch: true,
          monotonicAcrossBatches: false,
          regressed: true,
          missing: false,
        },
        transition: { previousDriftActive: false, transitionedToDrift: true, recoveredFromDrift: false },
      }),
    );
    expect(result.transitionedToDrift).toBe(true);
    SequenceStateSchema.parse(result.state);
    const { schemaVersion: _v, updatedAt: _u, ...rest } = result.state;
    expect(result.telemetry).toEqual({
      timestamp: "2026-02-22T12:00:01Z",
      ...rest,
      category: "envelope_sequence",
    });
    expect(Object.keys(result.telemetry)).toEqual([
      "timestamp",
      "loopId",
      "traceId",
      "transport",
      "category",
      "status",
      "reasonCode",
      "driftActive",
      "violations",
      "snapshot",
      "events",
      "transition",
    ]);
    SequenceTelemetryRowSchema.parse(result.telemetry);
  });

  it("ok state: no reason code, nested nulls kept; recovery transition", () => {
    const result = evaluateSequence({
      ...base,
      previous: { driftActive: true },
      snapshotSequence: 0,
      events: summaryOf([]),
    });
    expect(result.state).toMatchObject({
      status: "ok",
      driftActive: false,
      violations: [],
      snapshot: { previous: null, current: 0, monotonic: true, regressed: false, missing: false },
      events: { ingestedCount: 0, previousLast: null, first: null, last: null, monotonicWithinBatch: true },
      transition: { previousDriftActive: true, transitionedToDrift: false, recoveredFromDrift: true },
    });
    expect(result.state).not.toHaveProperty("reasonCode");
    expect(result.recoveredFromDrift).toBe(true);
  });

  it("within-batch non-monotonic values, missing values and a missing snapshot sequence", () => {
    const result = evaluateSequence({
      ...base,
      previous: "garbage",
      snapshotSequence: "7",
      events: summaryOf([3, 5, null, 4, 6]),
    });
    expect(result.state.violations).toEqual([
      "event_sequence_missing",
      "event_sequence_non_monotonic",
      "snapshot_sequence_missing",
    ]);
    expect(result.state.events).toEqual({
      ingestedCount: 5,
      previousLast: null,
      first: 3,
      last: 6,
      monotonicWithinBatch: false,
      monotonicAcrossBatches: true,
      regressed: true,
      missing: true,
    });
    expect(result.state.snapshot).toEqual({
      previous: null,
      current: null,
      monotonic: false,
      regressed: false,
      missing: true,
    });
    // Equal values across batches are fine.
    const equal = evaluateSequence({
      ...base,
      previous: { events: { last: 4 } },
      snapshotSequence: 4,
      events: summaryOf([4]),
    });
    expect(equal.state.status).toBe("ok");
  });

  it("Q13-4 carry-forward: an idle cycle does not disable the next across-batch check", () => {
    const first = evaluateSequence({
      ...base,
      previous: {},
      snapshotSequence: 10,
      events: summaryOf([9, 10]),
    });
    const idle = evaluateSequence({
      ...base,
      previous: first.state,
      snapshotSequence: 10,
      events: summaryOf([]),
    });
    expect(idle.state.events.last).toBeNull();
    expect(idle.state.events.previousLast).toBe(10);
    const regressed = evaluateSequence({
      ...base,
      previous: idle.state,
      snapshotSequence: 12,
      events: summaryOf([3]),
    });
    expect(regressed.state.violations).toEqual(["event_sequence_regression"]);
    // Parity: the check is silently skipped after an idle cycle.
    const parity = evaluateSequence({
      ...base,
      previous: idle.state,
      snapshotSequence: 12,
      events: summaryOf([3]),
      quirks: { carryForwardEventSequence: false },
    });
    expect(parity.state.violations).toEqual([]);
  });

  it("Q13-4 replay: --from-start over an unchanged log is not drift, over a shrunk log it is", () => {
    const previous = { snapshot: { current: 5 }, events: { last: 5 }, driftActive: false };
    const unchanged = evaluateSequence({
      ...base,
      replay: true,
      previous,
      snapshotSequence: 5,
      events: summaryOf([1, 2, 3, 4, 5]),
    });
    expect(unchanged.state.status).toBe("ok");
    expect(unchanged.state.events.previousLast).toBeNull();
    const grown = evaluateSequence({
      ...base,
      replay: true,
      previous,
      snapshotSequence: 7,
      events: summaryOf([1, 2]),
    });
    expect(grown.state.status).toBe("ok");
    const shrunk = evaluateSequence({
      ...base,
      replay: true,
      previous,
      snapshotSequence: 2,
      events: summaryOf([1, 2]),
    });
    expect(shrunk.state.violations).toEqual(["event_sequence_regression", "snapshot_sequence_regression"]);
    const parity = evaluateSequence({
      ...base,
      replay: true,
      previous,
      snapshotSequence: 5,
      events: summaryOf([1, 2, 3, 4, 5]),
      quirks: { resetBaselineOnReplay: false },
    });
    expect(parity.state.violations).toEqual(["event_sequence_regression"]);
  });
});

const degradedHealth: HealthDocument = {
  schemaVersion: "v1",
  updatedAt: "2026-02-22T12:00:00Z",
  traceId: "tf-1",
  status: "degraded",
  reasonCodes: ["transport_unreachable"],
  reasons: [
    {
      code: "transport_unreachable",
      severity: "degraded",
      metric: "ingestStatus",
      observed: "failed",
      threshold: "success",
    },
  ],
  metrics: {
    ingestLagSeconds: null,
    heartbeatLagSeconds: null,
    transportFailureStreak: 1,
    lastControlStatus: null,
    sequenceStatus: null,
    lifecycleState: "unknown",
  },
  thresholds: {
    profile: "balanced",
    degradedIngestLagSeconds: 300,
    criticalIngestLagSeconds: 900,
    degradedHeartbeatLagSeconds: 120,
    criticalHeartbeatLagSeconds: 300,
    degradedTransportFailureStreak: 2,
    criticalTransportFailureStreak: 4,
  },
  transport: {
    mode: "local",
    ingestStatus: "failed",
    failureCode: "snapshot_unavailable",
    lastFailureCode: "snapshot_unavailable",
  },
  evidence: { lastEventAt: null, lastHeartbeatAt: null, sequenceUpdatedAt: null },
};

describe("escalations (spec 13 §7)", () => {
  const ops = "/srv/repo/.superloop/ops-manager/demo-loop";
  const frame = (traceId: string) => ({
    timestamp: "2026-02-22T12:00:00Z",
    loopId: "demo-loop",
    traceId,
    transport: "local" as const,
  });

  it("health_degraded reproduces the spec example", () => {
    const row = healthEscalation(
      frame("tf-1"),
      degradedHealth,
      { ingestStatus: "failed", failureCode: "snapshot_unavailable" },
      { stateFile: `${ops}/state.json`, cursorFile: `${ops}/cursor.json`, healthFile: `${ops}/health.json` },
    );
    expect(compact(row)).toBe(
      `{"timestamp":"2026-02-22T12:00:00Z","loopId":"demo-loop","traceId":"tf-1","category":"health_degraded","transport":"local","ingestStatus":"failed","failureCode":"snapshot_unavailable","stateFile":"${ops}/state.json","cursorFile":"${ops}/cursor.json","healthFile":"${ops}/health.json","healthStatus":"degraded","reasonCodes":["transport_unreachable"],"reasons":[{"code":"transport_unreachable","severity":"degraded","metric":"ingestStatus","observed":"failed","threshold":"success"}]}`,
    );
    HealthEscalationSchema.parse(row);
    const success = healthEscalation(
      frame("t"),
      { ...degradedHealth, status: "critical" },
      { ingestStatus: "success", failureCode: null },
      { stateFile: "s", cursorFile: "c", healthFile: "h" },
    );
    expect(success.category).toBe("health_critical");
    expect(success).not.toHaveProperty("failureCode");
  });

  it("health escalations are edge-triggered on (status, ordered reasonCodes)", () => {
    const previous = previousHealthOf({ status: "degraded", reasonCodes: ["transport_unreachable"] });
    expect(healthEscalationDue(degradedHealth, previous)).toBe(false);
    expect(
      healthEscalationDue({ status: "critical", reasonCodes: ["transport_unreachable"] }, previous),
    ).toBe(true);
    expect(
      healthEscalationDue({ status: "degraded", reasonCodes: ["a", "transport_unreachable"] }, previous),
    ).toBe(true);
    expect(healthEscalationDue({ status: "healthy", reasonCodes: [] }, previous)).toBe(false);
    // Missing / invalid previous health → healthy / [] (per field).
    expect(previousHealthOf(undefined)).toEqual({ status: "healthy", reasonCodes: [] });
    expect(previousHealthOf({ status: 3, reasonCodes: "x" })).toEqual({ status: "healthy", reasonCodes: [] });
    expect(healthEscalationDue(degradedHealth, previousHealthOf({}))).toBe(true);
    // Order matters (exact ordered arrays).
    expect(
      healthEscalationDue(
        { status: "degraded", reasonCodes: ["b", "a"] },
        { status: "degraded", reasonCodes: ["a", "b"] },
      ),
    ).toBe(true);
  });

  it("divergence_detected reproduces the spec example shape", () => {
    const state = {
      transition: {
        previousState: "running",
        triggeringSignal: "event:role_start",
        currentState: "running",
        confidence: "low",
      },
      projection: { status: "running" },
      cursor: { eventLineOffset: 3, eventLineCount: 3 },
      divergence: {
        any: true,
        flags: { activeMismatch: true, approvalCompletionConflict: false, cursorRegression: false },
      },
    };
    const row = divergenceEscalation(frame("t-3"), state, {
      stateFile: `${ops}/state.json`,
      cursorFile: `${ops}/cursor.json`,
    });
    expect(row).toEqual({
      timestamp: "2026-02-22T12:00:00Z",
      loopId: "demo-loop",
      traceId: "t-3",
      category: "divergence_detected",
      transport: "local",
      stateFile: `${ops}/state.json`,
      cursorFile: `${ops}/cursor.json`,
      divergenceFlags: { activeMismatch: true, approvalCompletionConflict: false, cursorRegression: false },
      state: { transition: state.transition, projection: state.projection, cursor: state.cursor },
    });
    expect(Object.keys(row).slice(0, 5)).toEqual(["timestamp", "loopId", "traceId", "category", "transport"]);
    DivergenceEscalationSchema.parse(row);
  });

  it("ordering_drift_detected and profile_drift_detected rows", () => {
    const sequence = evaluateSequence({
      now: "2026-02-22T12:00:01Z",
      loopId: "demo-loop",
      traceId: "t-2",
      transport: "local",
      replay: false,
      previous: { snapshot: { current: 2 }, events: { last: 2 } },
      snapshotSequence: 1,
      events: summaryOf([1]),
    }).state;
    const ordering = orderingDriftEscalation(frame("t-2"), sequence, {
      stateFile: "s",
      sequenceStateFile: "q",
      sequenceTelemetryFile: "qt",
    });
    expect(Object.keys(ordering)).toEqual([
      "timestamp",
      "loopId",
      "traceId",
      "category",
      "transport",
      "reasonCode",
      "stateFile",
      "sequenceStateFile",
      "sequenceTelemetryFile",
      "sequence",
    ]);
    expect(ordering.sequence).toEqual({
      status: sequence.status,
      driftActive: true,
      violations: sequence.violations,
      snapshot: sequence.snapshot,
      events: sequence.events,
    });
    OrderingDriftEscalationSchema.parse(ordering);

    const drift = profileDriftEscalation(
      frame("t-4"),
      {
        status: "drift_active",
        reasonCode: "profile_drift_detected",
        recommendedProfile: "strict",
        recommendationConfidence: "low",
        mismatchStreak: 1,
        requiredStreak: 1,
        action: "review_threshold_profile",
      },
      { stateFile: "s", driftStateFile: "d", driftHistoryFile: "h" },
    );
    expect(drift).toEqual({
      ...frame("t-4"),
      category: "profile_drift_detected",
      stateFile: "s",
      driftStateFile: "d",
      driftHistoryFile: "h",
      reasonCode: "profile_drift_detected",
      drift: {
        status: "drift_active",
        appliedProfile: null,
        recommendedProfile: "strict",
        recommendationConfidence: "low",
        mismatchStreak: 1,
        requiredStreak: 1,
        action: "review_threshold_profile",
        rationale: null,
      },
    });
    ProfileDriftEscalationSchema.parse(drift);
  });
});

describe("reconcile telemetry (spec 13 §8)", () => {
  it("reproduces the spec example row", () => {
    const row = reconcileTelemetryRow({
      timestamp: "2026-02-22T12:00:03Z",
      startedAt: "2026-02-22T12:00:00Z",
      loopId: "demo-loop",
      traceId: "tr-1",
      transport: "local",
      status: "success",
      failureCode: null,
      failureMessage: null,
      cursorOffsetBefore: 0,
      cursorOffsetAfter: 2,
      eventsIngested: 2,
      maxEvents: 0,
      fromStart: false,
      retryAttempts: 3,
      retryBackoffSeconds: 1,
      thresholdProfile: "balanced",
      transportFailureStreak: 0,
      sequenceStatus: "ok",
      sequenceReasonCode: null,
      healthStatus: "healthy",
      healthReasonCodes: [],
    });
    expect(compact(row)).toBe(
      '{"timestamp":"2026-02-22T12:00:03Z","startedAt":"2026-02-22T12:00:00Z","loopId":"demo-loop","traceId":"tr-1","transport":"local","status":"success","cursorOffsetBefore":0,"cursorOffsetAfter":2,"eventsIngested":2,"maxEvents":0,"fromStart":false,"retryAttempts":3,"retryBackoffSeconds":1,"thresholdProfile":"balanced","durationSeconds":3,"transportFailureStreak":0,"sequenceStatus":"ok","healthStatus":"healthy","healthReasonCodes":[]}',
    );
    ReconcileTelemetryRowSchema.parse(row);
  });

  it("failure fields appear in order; a clock going backwards gives duration 0", () => {
    const row = reconcileTelemetryRow({
      timestamp: "2026-02-22T11:59:59Z",
      startedAt: "2026-02-22T12:00:00Z",
      loopId: "l",
      traceId: "t",
      transport: "local",
      status: "failed",
      failureCode: "events_unavailable",
      failureMessage: "error: boom",
      cursorOffsetBefore: 4,
      cursorOffsetAfter: 4,
      eventsIngested: 0,
      maxEvents: 5,
      fromStart: true,
      retryAttempts: 1,
      retryBackoffSeconds: 0,
      thresholdProfile: "",
      transportFailureStreak: 1,
      sequenceStatus: "skipped_ingest_failed",
      sequenceReasonCode: null,
      healthStatus: "degraded",
      healthReasonCodes: ["transport_unreachable"],
    });
    expect(Object.keys(row).slice(5, 8)).toEqual(["status", "failureCode", "failureMessage"]);
    expect(row.durationSeconds).toBe(0);
    expect(row).not.toHaveProperty("thresholdProfile");
  });

  it("alert-dispatch failure row (spec 13 §10)", () => {
    expect(
      alertDispatchFailureRow({
        timestamp: "2026-02-22T12:00:00Z",
        loopId: "l",
        traceId: "t",
        message: "boom",
      }),
    ).toEqual({
      timestamp: "2026-02-22T12:00:00Z",
      loopId: "l",
      traceId: "t",
      category: "alert_dispatch",
      status: "failed_command",
      reasonCode: "alert_dispatch_failed",
      message: "boom",
    });
    expect(
      alertDispatchFailureRow({
        timestamp: "2026-02-22T12:00:00Z",
        loopId: "l",
        traceId: "t",
        message: null,
      }),
    ).not.toHaveProperty("message");
  });

  it("outputTail keeps the last 40 lines", () => {
    const text = `${Array.from({ length: 45 }, (_, i) => `line ${i + 1}`).join("\n")}\n\n`;
    const tail = outputTail(text);
    expect(tail?.split("\n")).toHaveLength(40);
    expect(tail?.startsWith("line 6\n")).toBe(true);
    expect(tail?.endsWith("line 45")).toBe(true);
    expect(outputTail("")).toBeNull();
    expect(outputTail("a\r\nb\r\n")).toBe("a\nb");
  });
});

describe("state merge (spec 13 §6)", () => {
  it("success adds health, trace (merged) and sequence in this order", () => {
    const merged = mergeSuccessState(
      { schemaVersion: "v1", trace: { other: 1 } },
      degradedHealth,
      "t-1",
      {} as never,
    );
    expect(Object.keys(merged)).toEqual(["schemaVersion", "trace", "health", "sequence"]);
    expect(merged["trace"]).toEqual({ other: 1, reconcileTraceId: "t-1" });
  });

  it("failure replaces health and merges the trace id only", () => {
    const merged = mergeFailureState(
      {
        transition: { currentState: "running" },
        health: { status: "healthy" },
        trace: { reconcileTraceId: "old", x: 1 },
      },
      degradedHealth,
      "t-2",
    );
    expect(merged).toEqual({
      transition: { currentState: "running" },
      health: degradedHealth,
      trace: { reconcileTraceId: "t-2", x: 1 },
    });
    expect(mergeFailureState("not an object", degradedHealth, "t")).toEqual({
      health: degradedHealth,
      trace: { reconcileTraceId: "t" },
    });
  });

  it("drift merge adds drift (+traceId) and tuning from the summary", () => {
    const summary = {
      schemaVersion: "v1",
      generatedAt: "2026-02-22T12:00:00Z",
      source: {
        repoPath: "/r",
        loopId: "l",
        reconcileTelemetryFile: "a",
        controlTelemetryFile: "b",
        window: 25,
      },
      observed: { reconcileAttempts: 1 },
      recommendedProfile: "strict",
      confidence: "low",
      rationale: "why",
    };
    const merged = mergeDriftState({ health: degradedHealth }, { status: "aligned" }, "t-3", summary);
    expect(merged["drift"]).toEqual({ status: "aligned", traceId: "t-3" });
    expect(merged["tuning"]).toEqual({
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      confidence: "low",
      rationale: "why",
      summaryWindow: 25,
      telemetrySummary: { observed: summary.observed, source: summary.source },
    });
    expect(mergeDriftState({}, { status: "aligned" }, "t", null)).not.toHaveProperty("tuning");
  });
});
