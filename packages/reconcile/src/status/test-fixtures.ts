/**
 * Test fixtures (not exported from the package): the manager artifacts of one loop as reconcile,
 * control and alert-dispatch write them (spec 12–15, 18, 19), shaped after the spec 17 §3.1 example.
 */
import fs from "node:fs";
import path from "node:path";
import { type JsonObject, opsPaths } from "@ops/contract";

export const LOOP = "demo-loop";
export const TRACE = "tr-1";
export const NOW = "2026-02-22T12:00:10Z";

export const HEALTH: JsonObject = {
  schemaVersion: "v1",
  updatedAt: "2026-02-22T12:00:02Z",
  traceId: TRACE,
  status: "degraded",
  reasonCodes: ["runtime_heartbeat_stale"],
  reasons: [
    {
      code: "runtime_heartbeat_stale",
      severity: "degraded",
      metric: "heartbeatLagSeconds",
      observed: "193017600",
      threshold: "120",
    },
  ],
  metrics: {
    ingestLagSeconds: 8,
    heartbeatLagSeconds: 193017600,
    transportFailureStreak: 0,
    lastControlStatus: null,
    sequenceStatus: "ok",
    lifecycleState: "running",
  },
  thresholds: {
    profile: "balanced",
    degradedIngestLagSeconds: 300,
    criticalIngestLagSeconds: 900,
    degradedHeartbeatLagSeconds: 120,
    criticalHeartbeatLagSeconds: 300000000,
    degradedTransportFailureStreak: 2,
    criticalTransportFailureStreak: 4,
  },
  transport: { mode: "local", ingestStatus: "success", failureCode: null, lastFailureCode: null },
  evidence: {
    lastEventAt: "2026-02-22T12:00:00Z",
    lastHeartbeatAt: "2020-01-01T00:00:00Z",
    sequenceUpdatedAt: "2026-02-22T12:00:02Z",
  },
};

export const HEARTBEAT_STATE: JsonObject = {
  schemaVersion: "v1",
  updatedAt: "2026-02-22T12:00:02Z",
  loopId: LOOP,
  traceId: TRACE,
  transport: "local",
  lastHeartbeatAt: "2020-01-01T00:00:00Z",
  heartbeatLagSeconds: 193017600,
  freshnessStatus: "degraded",
  reasonCode: "runtime_heartbeat_stale",
  thresholds: { degradedHeartbeatLagSeconds: 120, criticalHeartbeatLagSeconds: 300000000 },
  heartbeat: {
    schemaVersion: "v1",
    timestamp: "2020-01-01T00:00:00Z",
    source: "runtime",
    status: "running",
    stage: "iteration",
  },
};

export const HEARTBEAT_ROW: JsonObject = {
  timestamp: "2026-02-22T12:00:02Z",
  loopId: LOOP,
  traceId: TRACE,
  transport: "local",
  category: "runtime_heartbeat",
  status: "degraded",
  reasonCode: "runtime_heartbeat_stale",
  heartbeatAt: "2020-01-01T00:00:00Z",
  heartbeatLagSeconds: 193017600,
  heartbeat: HEARTBEAT_STATE["heartbeat"] as JsonObject,
};

export const SEQUENCE_STATE: JsonObject = {
  schemaVersion: "v1",
  updatedAt: "2026-02-22T12:00:02Z",
  loopId: LOOP,
  traceId: TRACE,
  transport: "local",
  status: "ok",
  driftActive: false,
  violations: [],
  snapshot: { previous: null, current: 2, monotonic: true, regressed: false, missing: false },
  events: {
    ingestedCount: 2,
    previousLast: null,
    first: 1,
    last: 2,
    monotonicWithinBatch: true,
    monotonicAcrossBatches: true,
    regressed: false,
    missing: false,
  },
  transition: { previousDriftActive: false, transitionedToDrift: false, recoveredFromDrift: false },
};

export const SEQUENCE_ROW: JsonObject = {
  timestamp: "2026-02-22T12:00:02Z",
  loopId: LOOP,
  traceId: TRACE,
  transport: "local",
  category: "envelope_sequence",
  status: "ok",
  driftActive: false,
  violations: [],
  snapshot: SEQUENCE_STATE["snapshot"] as JsonObject,
  events: SEQUENCE_STATE["events"] as JsonObject,
  transition: SEQUENCE_STATE["transition"] as JsonObject,
};

export const DRIFT: JsonObject = {
  schemaVersion: "v1",
  updatedAt: "2026-02-22T12:00:04Z",
  loopId: LOOP,
  status: "insufficient_confidence",
  appliedProfile: "balanced",
  recommendedProfile: "relaxed",
  recommendationConfidence: "low",
  minimumConfidence: "medium",
  recommendationRank: 1,
  minimumRank: 2,
  requiredStreak: 3,
  summaryWindow: 200,
  mismatch: true,
  confidenceOk: false,
  eligibleMismatch: false,
  mismatchStreak: 0,
  driftActive: false,
  transitioned: { toActive: false, toResolved: false },
  rationale: "Observed high critical/failure rates; reduce alert noise while stabilizing",
  action: "collect_more_confident_telemetry",
};

export function stateFile(repo: string): JsonObject {
  return {
    schemaVersion: "v1",
    generatedAt: "2026-02-22T12:00:02Z",
    source: { repoPath: repo, loopId: LOOP },
    run: { runId: "run-123", iteration: 1 },
    transition: {
      previousState: "running",
      triggeringSignal: "event:role_start",
      currentState: "running",
      confidence: "high",
    },
    projection: {
      status: "running",
      hasPendingApproval: false,
      completionOk: false,
      gates: null,
      stuck: null,
      active: true,
      lastEventName: "role_start",
      lastEventAt: "2026-02-22T12:00:00Z",
    },
    cursor: { eventLineOffset: 2, eventLineCount: 2 },
    divergence: {
      any: false,
      flags: { activeMismatch: false, approvalCompletionConflict: false, cursorRegression: false },
    },
    evidence: {
      snapshotFile: path.join(opsPaths(repo, LOOP).dir, "snapshot.json"),
      eventsFile: null,
      snapshotEnvelope: { runStatus: "running", lastEventName: "role_start", hasPendingApproval: false },
      lastEventEnvelope: null,
    },
    health: HEALTH,
    trace: { reconcileTraceId: TRACE },
    sequence: SEQUENCE_STATE,
    drift: { ...DRIFT, traceId: TRACE },
    tuning: {
      appliedProfile: "balanced",
      recommendedProfile: "relaxed",
      confidence: "low",
      rationale: "Observed high critical/failure rates; reduce alert noise while stabilizing",
      summaryWindow: 200,
    },
  };
}

export function cursorFile(repo: string): JsonObject {
  return {
    schemaVersion: "v1",
    repoPath: repo,
    loopId: LOOP,
    eventsFile: `.superloop/loops/${LOOP}/events.jsonl`,
    eventLineOffset: 2,
    eventLineCount: 2,
    updatedAt: "2026-02-22T12:00:01Z",
  };
}

/** An earlier failed cycle, then the successful one of the §3.1 example (last line). */
export const RECONCILE_ROWS: JsonObject[] = [
  {
    timestamp: "2026-02-22T11:59:00Z",
    startedAt: "2026-02-22T11:58:59Z",
    loopId: LOOP,
    traceId: "tr-0",
    transport: "local",
    status: "failed",
    failureCode: "snapshot_unavailable",
    failureMessage: "loop directory not found",
    cursorOffsetBefore: 0,
    cursorOffsetAfter: 0,
    eventsIngested: 0,
    maxEvents: 0,
    fromStart: false,
    retryAttempts: 3,
    retryBackoffSeconds: 1,
    thresholdProfile: "balanced",
    durationSeconds: 1,
    transportFailureStreak: 1,
    sequenceStatus: "skipped_ingest_failed",
    healthStatus: "degraded",
    healthReasonCodes: ["transport_unreachable"],
  },
  {
    timestamp: "2026-02-22T12:00:03Z",
    startedAt: "2026-02-22T12:00:00Z",
    loopId: LOOP,
    traceId: TRACE,
    transport: "local",
    status: "success",
    cursorOffsetBefore: 0,
    cursorOffsetAfter: 2,
    eventsIngested: 2,
    maxEvents: 0,
    fromStart: false,
    retryAttempts: 3,
    retryBackoffSeconds: 1,
    thresholdProfile: "balanced",
    durationSeconds: 3,
    transportFailureStreak: 0,
    sequenceStatus: "ok",
    healthStatus: "degraded",
    healthReasonCodes: ["runtime_heartbeat_stale"],
  },
];

export function alertDispatchState(repo: string): JsonObject {
  const ops = opsPaths(repo, LOOP);
  return {
    schemaVersion: "v1",
    updatedAt: "2026-02-22T12:00:05Z",
    loopId: LOOP,
    traceId: TRACE,
    escalationsFile: ops.escalations,
    dispatchTelemetryFile: ops.telemetry.alerts,
    status: "success",
    processedCount: 1,
    dispatchedCount: 0,
    skippedCount: 1,
    failedCount: 0,
    failureReasonCodes: [],
    escalationsLineOffset: 1,
    escalationsLineCount: 1,
  };
}

export const ALERT_ROW: JsonObject = {
  timestamp: "2026-02-22T12:00:05Z",
  loopId: LOOP,
  traceId: TRACE,
  category: "alert_dispatch",
  status: "skipped",
  reasonCode: "no_dispatchable_sinks",
  escalationTraceId: TRACE,
  escalationCategory: "health_degraded",
  escalationTimestamp: "2026-02-22T12:00:03Z",
  eventSeverity: "warning",
  escalation: { category: "health_degraded", loopId: LOOP, traceId: TRACE },
  route: { category: "health_degraded", shouldDispatch: true, sinks: [] },
  sinkCount: 0,
  dispatchedSinkCount: 0,
  failedSinkCount: 0,
};

export const INTENT_ROW: JsonObject = {
  timestamp: "2026-02-22T10:10:02Z",
  loopId: LOOP,
  intent: "cancel",
  traceId: "trace-control-local-1",
  requestedBy: "alice",
  note: "hi",
  transport: "local",
  status: "confirmed",
  command: "/opt/sl/superloop.sh cancel --repo /srv/repo",
  idempotencyKey: "cancel-1771755000-4242",
  exitCode: 0,
  confirmExitCode: 0,
  confirmed: true,
  commandOutput: "Cancelled loop state.",
};

export const CONTROL_ROW: JsonObject = {
  timestamp: "2026-02-22T10:11:03Z",
  startedAt: "2026-02-22T10:10:33Z",
  loopId: LOOP,
  intent: "approve",
  traceId: "t-2",
  transport: "local",
  status: "ambiguous",
  reasonCode: "control_ambiguous",
  idempotencyKey: "approve-1771755033-77",
  requestedBy: "ops-user",
  exitCode: 0,
  confirmExitCode: 1,
  confirmed: false,
  durationSeconds: 30,
  retryAttempts: 3,
  retryBackoffSeconds: 1,
};

export const INVOCATION_ROW: JsonObject = {
  schemaVersion: "v1",
  timestamp: "2026-02-22T10:42:15Z",
  startedAt: "2026-02-22T10:42:15Z",
  loopId: LOOP,
  intent: "reject",
  traceId: "tc-4",
  transport: "local",
  requestedBy: "ops-user",
  note: "nope",
  idempotencyKey: "reject-1771756935-22409",
  request: {
    doConfirm: false,
    timeoutSeconds: 30,
    intervalSeconds: 2,
    retryAttempts: 3,
    retryBackoffSeconds: 1,
  },
  execution: {
    status: "succeeded",
    exitCode: 0,
    command:
      "/opt/sl/superloop.sh approve --repo /srv/repo --loop demo-loop --by ops-user --reject --note nope",
    output: "Recorded approval decision (rejected) for loop 'demo-loop'.",
    replayed: false,
  },
  confirmation: { attempted: false, status: "skipped", exitCode: 0 },
  outcome: { status: "executed_unconfirmed", confirmed: false, durationSeconds: 0 },
};

export function writeJson(file: string, value: unknown, indent?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, indent)}\n`);
}

export function writeJsonl(file: string, rows: readonly unknown[], trailer = ""): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join("") + trailer);
}

/** Write every artifact of the §3.1 example world into `repo`. */
export function writeExampleArtifacts(repo: string): ReturnType<typeof opsPaths> {
  const ops = opsPaths(repo, LOOP);
  writeJson(ops.state, stateFile(repo));
  writeJson(ops.cursor, cursorFile(repo), 2);
  writeJson(ops.health, HEALTH);
  writeJson(ops.heartbeat, HEARTBEAT_STATE);
  writeJsonl(ops.telemetry.heartbeat, [HEARTBEAT_ROW]);
  writeJson(ops.sequenceState, SEQUENCE_STATE);
  writeJsonl(ops.telemetry.sequence, [SEQUENCE_ROW]);
  writeJsonl(ops.telemetry.reconcile, RECONCILE_ROWS);
  writeJson(ops.profileDrift, DRIFT);
  writeJsonl(ops.telemetry.profileDrift, [
    { timestamp: "2026-02-22T12:00:04Z", loopId: LOOP, category: "profile_drift_evaluation", drift: DRIFT },
  ]);
  writeJson(ops.alertDispatchState, alertDispatchState(repo));
  writeJsonl(ops.telemetry.alerts, [ALERT_ROW]);
  return ops;
}
