// The pure fleet status projection (spec 23 §2–§3) on hand-built states shaped like the real ones.
import type { JsonObject } from "@ops/contract";
import { describe, expect, it } from "vitest";
import { type FleetStatusSources, projectFleetStatus, statusGovernancePosture } from "./project.js";
import { FLEET_STATUS_KEYS, FleetStatusDocumentSchema } from "./schemas.js";
import {
  at,
  candidate,
  execution,
  executionResult,
  fleetState,
  GOVERNANCE,
  handoffState,
  intent,
  NOW,
  NOW_EPOCH,
  PAUSE_OFF,
  policyState,
  result,
} from "./test-fixtures.js";

const FILES = {
  registryFile: "/repo/.superloop/ops-manager/fleet/registry.v1.json",
  fleetStateFile: "/repo/.superloop/ops-manager/fleet/state.json",
  policyStateFile: "/repo/.superloop/ops-manager/fleet/policy-state.json",
  fleetTelemetryFile: "/repo/.superloop/ops-manager/fleet/telemetry/reconcile.jsonl",
  handoffStateFile: "/repo/.superloop/ops-manager/fleet/handoff-state.json",
  handoffTelemetryFile: "/repo/.superloop/ops-manager/fleet/telemetry/handoff.jsonl",
};

function project(overrides: Partial<FleetStatusSources> = {}) {
  const document = projectFleetStatus({
    generatedAt: NOW,
    repoPath: "/repo",
    registryFleetId: "fleet-registry",
    fleetState: fleetState(),
    policyState: null,
    handoffState: null,
    latestTelemetry: null,
    latestHandoffTelemetry: null,
    files: FILES,
    ...overrides,
  });
  // Every document matches its schema, and survives a JSON round trip unchanged.
  expect(FleetStatusDocumentSchema.safeParse(document).success).toBe(true);
  expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  return document;
}

describe("header, fleet, health rollup, exceptions, loops, trace linkage (§2.1–§2.8)", () => {
  it("reproduces the spec's abbreviated example (§4), keys in the spec's order", () => {
    const doc = project({
      policyState: policyState(),
      latestTelemetry: {
        timestamp: "2026-03-02T10:00:08Z",
        category: "fleet_reconcile",
        status: "partial_failure",
        reasonCodes: ["fleet_partial_failure", "fleet_health_critical"],
        results: [],
      },
    });
    expect(Object.keys(doc)).toEqual([...FLEET_STATUS_KEYS]);
    expect(doc.source).toEqual({ repoPath: "/repo", fleetId: "fleet-east" });
    expect(doc.fleet).toEqual({
      status: "partial_failure",
      reasonCodes: ["fleet_health_critical", "fleet_partial_failure"],
      loopCount: 2,
      successCount: 1,
      failedCount: 1,
      skippedCount: 0,
      startedAt: "2026-03-02T10:00:05Z",
      updatedAt: "2026-03-02T10:00:08Z",
      durationSeconds: 3,
      traceId: "fx-1",
      partialFailure: true,
    });
    expect(Object.keys(doc.fleet)).toEqual([
      "status",
      "reasonCodes",
      "loopCount",
      "successCount",
      "failedCount",
      "skippedCount",
      "startedAt",
      "updatedAt",
      "durationSeconds",
      "traceId",
      "partialFailure",
    ]);
    expect(doc.healthRollup).toEqual({ healthy: 1, degraded: 0, critical: 1, unknown: 0 });
    expect(doc.exceptions).toEqual({
      reconcileFailures: ["beta"],
      criticalLoops: ["beta"],
      degradedLoops: [],
      skippedLoops: [],
    });
    expect(doc.loops[0]).toEqual({
      loopId: "alpha",
      status: "success",
      reconcileStatus: "success",
      healthStatus: "healthy",
      healthReasonCodes: [],
      transitionState: "running",
      durationSeconds: 1,
      traceId: "fx-1-alpha",
      transport: "local",
      sprite: {},
      artifacts: {
        stateFile: "/repo/.superloop/ops-manager/alpha/state.json",
        healthFile: "/repo/.superloop/ops-manager/alpha/health.json",
        cursorFile: "/repo/.superloop/ops-manager/alpha/cursor.json",
        reconcileTelemetryFile: "/repo/.superloop/ops-manager/alpha/telemetry/reconcile.jsonl",
      },
    });
    expect(Object.keys(doc.loops[1] ?? {})).toEqual([
      "loopId",
      "status",
      "reasonCode",
      "reconcileStatus",
      "healthStatus",
      "healthReasonCodes",
      "durationSeconds",
      "traceId",
      "transport",
      "sprite",
      "artifacts",
    ]);
    expect(doc.traceLinkage).toEqual({
      fleetTraceId: "fx-1",
      policyTraceId: "fx-1",
      loopTraceIds: ["fx-1-alpha", "fx-1-beta"],
      sharedTraceId: null,
    });
    expect(doc.latestTelemetry).toEqual({
      timestamp: "2026-03-02T10:00:08Z",
      status: "partial_failure",
      reasonCodes: ["fleet_health_critical", "fleet_partial_failure"],
    });
    expect(doc.handoff).toBeNull();
    expect(doc.latestHandoffTelemetry).toBeNull();
    expect(doc.files).toEqual(FILES);
  });

  it("a state without counters: counts and partial failure derived from results (Q1 careful)", () => {
    const doc = project({
      fleetState: {
        results: [
          result("a"),
          result("b", { status: "failed", healthStatus: "degraded" }),
          result("c", { status: "skipped", healthStatus: "unknown" }),
          result("d", { healthStatus: "weird" }),
          result("e", { healthStatus: null, status: null }),
        ],
      },
    });
    expect(doc.source.fleetId).toBe("fleet-registry");
    expect(doc.fleet).toMatchObject({
      status: "unknown",
      loopCount: 5,
      successCount: 2,
      failedCount: 1,
      skippedCount: 1,
      startedAt: null,
      updatedAt: null,
      durationSeconds: null,
      traceId: null,
      partialFailure: true,
    });
    expect(doc.fleet.reasonCodes).toEqual(["fleet_health_degraded", "fleet_partial_failure"]);
    // Q11: "weird" is counted nowhere; a null health is "unknown".
    expect(doc.healthRollup).toEqual({ healthy: 1, degraded: 1, critical: 0, unknown: 2 });
    expect(doc.loops[4]).toMatchObject({ status: "unknown", healthStatus: "unknown" });
  });

  it("stored counters win over derived ones; partialFailure follows the section's counts", () => {
    const doc = project({
      fleetState: fleetState({
        successCount: 0,
        reasonCodes: ["fleet_reconcile_failed", "fleet_reconcile_failed"],
      }),
    });
    expect(doc.fleet.successCount).toBe(0);
    expect(doc.fleet.partialFailure).toBe(false);
    expect(doc.fleet.reasonCodes).toEqual(["fleet_health_critical", "fleet_reconcile_failed"]);
  });

  it("critical wins over degraded in fleet.reasonCodes; sorted unique exception buckets", () => {
    const doc = project({
      fleetState: {
        status: "success",
        results: [
          result("zeta", { healthStatus: "degraded" }),
          result("alpha", { healthStatus: "critical" }),
          result("alpha", { healthStatus: "critical" }),
          result("mid", { healthStatus: "degraded" }),
        ],
      },
    });
    expect(doc.fleet.reasonCodes).toEqual(["fleet_health_critical"]);
    expect(doc.exceptions.criticalLoops).toEqual(["alpha"]);
    expect(doc.exceptions.degradedLoops).toEqual(["mid", "zeta"]);
    expect(doc.loops).toHaveLength(4);
  });

  it("loop drill-down defaults: transport local, sprite {}, artifacts null, absent fields omitted", () => {
    const doc = project({
      fleetState: {
        results: [
          { loopId: "bare" },
          "not-an-object",
          { loopId: "s", sprite: { id: "spr-1" }, transport: "sprite_service", files: { stateFile: "/x" } },
        ],
      },
    });
    expect(doc.fleet.loopCount).toBe(2);
    expect(doc.loops[0]).toEqual({
      loopId: "bare",
      status: "unknown",
      healthStatus: "unknown",
      healthReasonCodes: [],
      transport: "local",
      sprite: {},
      artifacts: { stateFile: null, healthFile: null, cursorFile: null, reconcileTelemetryFile: null },
    });
    expect(doc.loops[1]).toMatchObject({
      transport: "sprite_service",
      sprite: { id: "spr-1" },
      artifacts: { stateFile: "/x", healthFile: null },
    });
    expect(doc.traceLinkage).toEqual({
      fleetTraceId: null,
      policyTraceId: null,
      loopTraceIds: [],
      sharedTraceId: null,
    });
  });

  it("sharedTraceId only for one non-empty loop trace equal to (or without) the fleet trace (Q2)", () => {
    const one = (fleetTrace: unknown, loopTraces: unknown[]) =>
      project({
        fleetState: {
          traceId: fleetTrace,
          results: loopTraces.map((traceId, i) => result(`l${i}`, { traceId })),
        },
      }).traceLinkage.sharedTraceId;
    expect(one(null, ["t"])).toBe("t");
    expect(one("", ["t"])).toBe("t");
    expect(one("t", ["t", "t"])).toBe("t");
    expect(one("fx", ["fx-l0"])).toBeNull(); // the real per-loop id form never matches
    expect(one(null, ["a", "b"])).toBeNull();
    expect(one(null, [""])).toBeNull();
    expect(one(null, [null])).toBeNull();
  });

  it("wrong-typed values are treated as absent, and Infinity never reaches the output", () => {
    const doc = project({
      fleetState: {
        fleetId: 7,
        status: 3,
        loopCount: "5",
        durationSeconds: Number.POSITIVE_INFINITY, // what JSON.parse makes of 1e999
        reasonCodes: "x",
        results: "nope",
      },
      registryFleetId: null,
    });
    expect(doc.source.fleetId).toBe("default");
    expect(doc.fleet).toMatchObject({
      status: "unknown",
      loopCount: 0,
      durationSeconds: null,
      reasonCodes: [],
    });
  });
});

describe("policy section (§2.5)", () => {
  it("top five candidates by severity rank, stable; null keys omitted; defaults", () => {
    const candidates = [
      candidate("a", "health_degraded"),
      candidate("b", "health_degraded", { severity: "info" }),
      candidate("c", "health_critical"),
      candidate("d", "health_degraded"),
      candidate("e", "reconcile_failed"),
      candidate("f", "health_degraded", { severity: "bogus" }),
      candidate("g", "health_critical"),
    ];
    const doc = project({ policyState: policyState({ candidates }) });
    expect(doc.policy?.topCandidates.map((c) => c["loopId"])).toEqual(["c", "e", "g", "a", "d"]);
    expect(doc.policy?.topCandidates[0]).toEqual(candidates[2]);
    expect(Object.keys(doc.policy ?? {})).toEqual([
      "mode",
      "candidateCount",
      "unsuppressedCount",
      "suppressedCount",
      "reasonCodes",
      "topCandidates",
      "traceId",
      "updatedAt",
    ]);

    const bare = project({ policyState: {} });
    expect(bare.policy).toEqual({
      mode: "advisory",
      candidateCount: 0,
      unsuppressedCount: 0,
      suppressedCount: 0,
      reasonCodes: [],
      topCandidates: [],
    });
    expect(bare.traceLinkage.policyTraceId).toBeNull();
  });
});

describe("governance posture (§3.2)", () => {
  const governanceOf = (governance: JsonObject, mode = "guarded_auto") =>
    statusGovernancePosture(policyState({ mode, governance }), NOW_EPOCH);

  it("active: every field echoed under its status name", () => {
    expect(governanceOf(GOVERNANCE)).toEqual({
      changedBy: "oncall-a",
      changedAt: "2026-03-01T00:00:00Z",
      approvalRef: "CHG-42",
      why: "dogfood",
      until: "2026-06-01T00:00:00Z",
      reviewWindowDays: 92,
      authorityContextPresent: true,
      posture: "active",
      reasonCodes: [],
      blocksAutonomous: false,
    });
  });

  it("not_required outside guarded_auto, whatever the governance says", () => {
    const governance = governanceOf({ reviewBy: at(NOW_EPOCH - 10) }, "advisory");
    expect(governance).toMatchObject({ posture: "not_required", reasonCodes: [], blocksAutonomous: false });
  });

  it("expired: deadline at or before now", () => {
    for (const reviewBy of [at(NOW_EPOCH), at(NOW_EPOCH - 86_400)]) {
      expect(governanceOf({ ...GOVERNANCE, reviewBy })).toMatchObject({
        posture: "review_expired",
        reasonCodes: ["autonomous_governance_review_expired"],
        blocksAutonomous: true,
      });
    }
  });

  it("due soon within 7 days (inclusive), active one second later (Q4: due soon blocks)", () => {
    expect(governanceOf({ ...GOVERNANCE, reviewBy: at(NOW_EPOCH + 1) })).toMatchObject({
      posture: "review_due_soon",
      reasonCodes: ["autonomous_governance_review_due_soon"],
      blocksAutonomous: true,
    });
    expect(governanceOf({ ...GOVERNANCE, reviewBy: at(NOW_EPOCH + 604_800) }).posture).toBe(
      "review_due_soon",
    );
    expect(governanceOf({ ...GOVERNANCE, reviewBy: at(NOW_EPOCH + 604_801) }).posture).toBe("active");
  });

  it("missing deadline; authority derived from the five fields when the key is absent", () => {
    const { reviewBy: _, authorityContextPresent: __, ...rest } = GOVERNANCE;
    expect(governanceOf(rest)).toMatchObject({
      authorityContextPresent: false,
      posture: "authority_missing",
      reasonCodes: [
        "autonomous_governance_authority_missing",
        "autonomous_governance_review_deadline_missing",
      ],
      blocksAutonomous: true,
    });
    // The stored flag wins over the fields.
    expect(governanceOf({ ...rest, authorityContextPresent: true })).toMatchObject({
      posture: "review_deadline_missing",
      reasonCodes: ["autonomous_governance_review_deadline_missing"],
    });
    expect(governanceOf({ ...GOVERNANCE, authorityContextPresent: false }).posture).toBe("authority_missing");
    expect(governanceOf({ ...GOVERNANCE, authorityContextPresent: "yes" }).authorityContextPresent).toBe(
      false,
    );
    // A null flag is absent: the five fields decide.
    expect(governanceOf({ ...GOVERNANCE, authorityContextPresent: null }).authorityContextPresent).toBe(true);
    // No governance at all in guarded_auto.
    expect(statusGovernancePosture({ mode: "guarded_auto" }, NOW_EPOCH)).toEqual({
      authorityContextPresent: false,
      posture: "authority_missing",
      reasonCodes: [
        "autonomous_governance_authority_missing",
        "autonomous_governance_review_deadline_missing",
      ],
      blocksAutonomous: true,
    });
  });

  it("Q7 careful: an unparseable reviewBy is a missing deadline, never active", () => {
    for (const reviewBy of ["2026-06-01", "2026-06-01T00:00:00.000Z", "2026-06-01T00:00:00+00:00", "soon"]) {
      const governance = governanceOf({ ...GOVERNANCE, reviewBy });
      expect(governance).toMatchObject({
        until: reviewBy,
        posture: "review_deadline_missing",
        reasonCodes: ["autonomous_governance_review_deadline_missing"],
        blocksAutonomous: true,
      });
    }
  });
});

describe("safetyGateDecisions (§3.3)", () => {
  it("the spec's worked example: auto-pause failure spike, one canary-excluded, one category-blocked", () => {
    const pauseAuto = ["autonomous_autopause_failure_spike", "autonomous_rollout_paused_auto"];
    const candidates = [
      candidate("a", "health_critical", { reasons: [...pauseAuto] }),
      candidate("b", "health_critical", {
        reasons: [...pauseAuto, "autonomous_rollout_canary_excluded"].sort(),
      }),
      candidate("c", "health_degraded", { reasons: [...pauseAuto, "category_not_allowlisted"].sort() }),
    ];
    const doc = project({ policyState: policyState({ candidates }) });
    const gates = doc.autonomous?.safetyGateDecisions;
    expect(gates?.byReason).toEqual({
      autonomous_autopause_failure_spike: 3,
      autonomous_rollout_paused_auto: 3,
      autonomous_rollout_canary_excluded: 1,
      category_not_allowlisted: 1,
    });
    expect(gates?.byPath.rolloutGated).toEqual({
      blockedCount: 7,
      byReason: {
        autonomous_rollout_canary_excluded: 1,
        autonomous_rollout_paused_auto: 3,
        autonomous_autopause_failure_spike: 3,
      },
    });
    // The example's key order (the spec's reason list order).
    expect(Object.keys(gates?.byPath.rolloutGated.byReason ?? {})).toEqual([
      "autonomous_rollout_canary_excluded",
      "autonomous_rollout_paused_auto",
      "autonomous_autopause_failure_spike",
    ]);
    expect(gates?.byPath.policyGated).toEqual({ blockedCount: 1, byReason: { category_not_allowlisted: 1 } });
    expect(gates?.byPath.governanceGated).toEqual({ blockedCount: 0, reasonCodes: [] });
    expect(gates?.byPath.transportGated).toEqual({ blockedCount: 0, byReason: {} });
    expect(gates?.blockedCount).toBe(7);
    expect(gates?.suppressionReasonCodes).toEqual([
      "autonomous_suppression_policy_gated",
      "autonomous_suppression_rollout_gated",
    ]);
    expect(gates?.killSwitchActive).toBe(false);
  });

  it("§4 example: a run cap counts as policy-gated and in blockedCount", () => {
    const gates = project({ policyState: policyState() }).autonomous?.safetyGateDecisions;
    expect(gates).toEqual({
      byReason: { autonomous_max_actions_per_run_exceeded: 1 },
      byPath: {
        policyGated: { blockedCount: 1, byReason: { autonomous_max_actions_per_run_exceeded: 1 } },
        rolloutGated: { blockedCount: 0, byReason: {} },
        governanceGated: { blockedCount: 0, reasonCodes: [] },
        transportGated: { blockedCount: 0, byReason: {} },
      },
      suppressionReasonCodes: ["autonomous_suppression_policy_gated"],
      blockedCount: 1,
      killSwitchActive: false,
    });
    expect(Object.keys(gates ?? {})).toEqual([
      "byReason",
      "byPath",
      "suppressionReasonCodes",
      "blockedCount",
      "killSwitchActive",
    ]);
  });

  it("governance-gated counts every unsuppressed candidate when governance blocks; kill switch", () => {
    const doc = project({
      policyState: policyState({
        governance: { ...GOVERNANCE, reviewBy: at(NOW_EPOCH + 3600) },
        killSwitch: true,
        byAutonomyReason: { autonomous_kill_switch_enabled: 2, odd: 4, bad: "x" as unknown as number },
      }),
    });
    const gates = doc.autonomous?.safetyGateDecisions;
    expect(gates?.byReason).toEqual({ autonomous_kill_switch_enabled: 2, odd: 4 });
    expect(gates?.byPath.governanceGated).toEqual({
      blockedCount: 2,
      reasonCodes: ["autonomous_governance_review_due_soon"],
    });
    expect(gates?.blockedCount).toBe(2);
    expect(gates?.killSwitchActive).toBe(true);
    expect(gates?.suppressionReasonCodes).toEqual([
      "autonomous_suppression_governance_gated",
      "autonomous_suppression_policy_gated",
    ]);
  });

  it("transport-gated: failed/ambiguous results of sprite_service intents, by reason code", () => {
    const intents = [
      intent("s1", "health_critical", {
        transport: "sprite_service",
        eligible: true,
        status: "execution_failed",
      }),
      intent("s2", "health_critical", {
        transport: "sprite_service",
        eligible: true,
        status: "execution_ambiguous",
      }),
      intent("s3", "health_critical", { transport: "sprite_service", eligible: true, status: "executed" }),
      intent("l1", "health_critical", { eligible: true, status: "execution_failed" }),
    ];
    const results = [
      executionResult("s1:health_critical:cancel", "failed", "missing_service_base_url"),
      executionResult("s2:health_critical:cancel", "ambiguous"),
      executionResult("s3:health_critical:cancel", "executed", "control_confirmed"),
      executionResult("l1:health_critical:cancel", "failed", "control_failed_command"),
      executionResult("unknown:x:cancel", "failed", "control_failed_command"), // unknown intent → local
    ];
    const doc = project({ handoffState: handoffState(intents, execution("autonomous", results)) });
    const gates = doc.autonomous?.safetyGateDecisions;
    expect(gates?.byPath.transportGated).toEqual({
      blockedCount: 2,
      byReason: { missing_service_base_url: 1, transport_execution_blocked: 1 },
    });
    expect(gates?.suppressionReasonCodes).toEqual(["autonomous_suppression_transport_gated"]);
    // No policy state: nothing policy-derived, four byPath keys still present.
    expect(gates?.byReason).toEqual({});
    expect(Object.keys(gates?.byPath ?? {})).toEqual([
      "policyGated",
      "rolloutGated",
      "governanceGated",
      "transportGated",
    ]);
    // Q9: a plan-only handoff state (no execution) resets transport gating.
    const plan = project({ handoffState: handoffState(intents) });
    expect(plan.autonomous?.safetyGateDecisions.byPath.transportGated).toEqual({
      blockedCount: 0,
      byReason: {},
    });
  });
});

describe("rollout (§3.4)", () => {
  it("echoes the pause posture; autopause.enabled false stays false (Q6 careful)", () => {
    const pause = {
      active: true,
      reasons: ["autonomous_rollout_paused_auto", "autonomous_rollout_paused_manual"],
      manual: true,
      auto: {
        ...PAUSE_OFF.auto,
        enabled: false,
        active: true,
        reasons: ["autonomous_autopause_failure_spike"],
      },
    };
    const rollout = project({ policyState: policyState({ pause }) }).autonomous?.rollout;
    const autopause = {
      enabled: false,
      active: true,
      reasons: ["autonomous_autopause_failure_spike"],
      lookbackExecutions: 5,
      minSampleSize: 3,
      ambiguityRateThreshold: 0.4,
      failureRateThreshold: 0.4,
      metrics: PAUSE_OFF.auto.metrics,
    };
    expect(rollout).toEqual({
      canaryPercent: 100,
      scopeLoopIds: [],
      selectorSalt: "fleet-autonomous-rollout-v1",
      candidateBuckets: { inScopeCount: 2, inCohortCount: 2, outOfCohortCount: 0 },
      state: {
        active: true,
        manualPauseActive: true,
        autoPauseActive: true,
        reasonCodes: ["autonomous_rollout_paused_auto", "autonomous_rollout_paused_manual"],
      },
      autopause,
      pause: { active: true, reasons: pause.reasons, manual: true, auto: autopause },
    });
    expect(Object.keys(rollout ?? {})).toEqual([
      "canaryPercent",
      "scopeLoopIds",
      "selectorSalt",
      "candidateBuckets",
      "state",
      "autopause",
      "pause",
    ]);
  });

  it("defaults: enabled true when absent, thresholds written as null, null top-level keys omitted", () => {
    const rollout = project({ policyState: policyState({ rollout: {} }) }).autonomous?.rollout;
    const autopause = {
      enabled: true,
      active: false,
      reasons: [],
      lookbackExecutions: null,
      minSampleSize: null,
      ambiguityRateThreshold: null,
      failureRateThreshold: null,
      metrics: {},
    };
    expect(rollout).toEqual({
      scopeLoopIds: [],
      candidateBuckets: { inScopeCount: 0, inCohortCount: 0, outOfCohortCount: 0 },
      state: { active: false, manualPauseActive: false, autoPauseActive: false, reasonCodes: [] },
      autopause,
      pause: { active: false, reasons: [], manual: false, auto: autopause },
    });
  });
});

describe("handoff, autonomous and latest handoff telemetry (§2.6, §2.10, §3, §3.1, §3.5)", () => {
  const intents = [
    intent("alpha", "health_critical", { eligible: true, status: "executed", reasons: [] }),
    intent("beta", "health_critical", { eligible: true, status: "execution_ambiguous" }),
    intent("gamma", "health_critical", { reasons: ["autonomous_rollout_canary_excluded"] }),
    intent("delta", "reconcile_failed", {
      reasons: ["autonomous_retry_guard_failed", "autonomous_rollout_canary_excluded"],
    }),
    intent("eps", "health_degraded", { status: "execution_failed", reasons: ["category_not_allowlisted"] }),
  ];
  const results = [
    executionResult("alpha:health_critical:cancel", "executed", "control_confirmed"),
    executionResult("beta:health_critical:cancel", "ambiguous", "control_ambiguous"),
  ];

  it("an autonomous execution: rollups, byReasonCode, byAutonomyReason, pending manual-only", () => {
    const H = handoffState(intents, execution("autonomous", results));
    const doc = project({ policyState: policyState(), handoffState: H });
    const rollup = { attempted: 2, executed: 1, ambiguous: 1, failed: 0, manual_backlog: 2 };
    expect(doc.handoff).toEqual({
      mode: "guarded_auto",
      reasonCodes: ["fleet_handoff_action_required"],
      summary: {
        intentCount: 5,
        autoEligibleIntentCount: 2,
        manualOnlyIntentCount: 3,
        pendingConfirmationCount: 2,
        executedCount: 1,
        ambiguousCount: 1,
        failedCount: 1,
        autonomousOutcomeRollup: rollup,
      },
      execution: {
        mode: "autonomous",
        requestedBy: "ops-manager",
        requestedAt: "2026-03-02T10:06:00Z",
        completedAt: "2026-03-02T10:06:04Z",
        requestedIntentCount: 2,
        executedIntentCount: 2,
        executedCount: 1,
        ambiguousCount: 1,
        failedCount: 0,
        byReasonCode: { control_confirmed: 1, control_ambiguous: 1 },
      },
      byAutonomyReason: {
        autonomous_rollout_canary_excluded: 2,
        autonomous_retry_guard_failed: 1,
        category_not_allowlisted: 1,
      },
      pendingManualOnlyCount: 2,
      traceId: "fx-2",
      updatedAt: "2026-03-02T10:06:04Z",
    });
    const autonomous = doc.autonomous;
    expect(Object.keys(autonomous ?? {})).toEqual([
      "mode",
      "enabled",
      "policyReasonCodes",
      "handoffReasonCodes",
      "eligibleCandidateCount",
      "manualOnlyCandidateCount",
      "outcomeRollup",
      "governance",
      "safetyGateDecisions",
      "rollout",
      "handoff",
    ]);
    expect(autonomous).toMatchObject({
      mode: "guarded_auto",
      enabled: true,
      handoffReasonCodes: ["fleet_handoff_action_required"],
      eligibleCandidateCount: 1,
      manualOnlyCandidateCount: 1,
      outcomeRollup: rollup,
    });
    expect(autonomous?.handoff).toEqual({
      autoEligibleIntentCount: 2,
      manualOnlyIntentCount: 3,
      pendingManualOnlyCount: 2,
      executionMode: "autonomous",
      executedCount: 1,
      ambiguousCount: 1,
      failedCount: 0,
      outcomeRollup: rollup,
      outcomeReasonCodes: { control_confirmed: 1, control_ambiguous: 1 },
    });
  });

  it("a manual execution counts nothing as autonomous; a plan-only state has an empty execution", () => {
    const manual = project({ handoffState: handoffState(intents, execution("manual", results)) });
    expect(manual.autonomous?.outcomeRollup).toEqual({
      attempted: 0,
      executed: 0,
      ambiguous: 0,
      failed: 0,
      manual_backlog: 2,
    });
    const { summary: _, ...noSummary } = handoffState(intents);
    const plan = project({ handoffState: { ...noSummary, mode: null } });
    expect(plan.handoff?.execution).toEqual({
      requestedIntentCount: 0,
      executedIntentCount: 0,
      executedCount: 0,
      ambiguousCount: 0,
      failedCount: 0,
      byReasonCode: {},
    });
    expect(plan.handoff?.summary.intentCount).toBe(5);
    expect(plan.handoff?.summary.executedCount).toBe(0);
    expect(plan.handoff).not.toHaveProperty("mode");
    // Without policy state: mode from H (here absent → advisory); no governance / rollout.
    expect(plan.autonomous).toMatchObject({ mode: "advisory", enabled: false, eligibleCandidateCount: 0 });
    expect(plan.autonomous).not.toHaveProperty("governance");
    expect(plan.autonomous).not.toHaveProperty("rollout");
    expect(plan.autonomous?.handoff).not.toHaveProperty("executionMode");
  });

  it("manual_backlog falls back to P.manualOnlyCount without handoff state; autonomous null without both", () => {
    const withPolicy = project({ policyState: policyState() });
    expect(withPolicy.autonomous?.outcomeRollup.manual_backlog).toBe(1);
    expect(withPolicy.autonomous).not.toHaveProperty("handoff");
    expect(withPolicy.autonomous?.governance?.posture).toBe("active");
    expect(project().autonomous).toBeNull();
  });

  it("latest handoff telemetry: execute record, plan record, Q8 manual_backlog fallback", () => {
    const H = handoffState(intents, execution("autonomous", results));
    const executeRecord = {
      timestamp: "2026-03-02T10:06:04Z",
      category: "fleet_handoff_execute",
      fleetId: "fleet-east",
      traceId: "fx-2",
      execution: execution("autonomous", results),
      summary: {
        summary: H["summary"],
        reasonCodes: ["fleet_handoff_executed", "fleet_handoff_action_required"],
      },
    };
    const doc = project({ handoffState: H, latestHandoffTelemetry: executeRecord });
    expect(doc.latestHandoffTelemetry).toEqual({
      timestamp: "2026-03-02T10:06:04Z",
      category: "fleet_handoff_execute",
      traceId: "fx-2",
      execution: {
        mode: "autonomous",
        requestedIntentCount: 2,
        executedCount: 1,
        ambiguousCount: 1,
        failedCount: 0,
      },
      summary: {
        intentCount: 5,
        autoEligibleIntentCount: 2,
        manualOnlyIntentCount: 3,
        pendingConfirmationCount: 2,
        executedCount: 1,
        ambiguousCount: 1,
        failedCount: 1,
      },
      // Q8: telemetry has no pendingManualOnlyCount → the current state's backlog.
      autonomousOutcomeRollup: { attempted: 2, executed: 1, ambiguous: 1, failed: 0, manual_backlog: 2 },
      reasonCodes: ["fleet_handoff_action_required", "fleet_handoff_executed"],
    });
    const planRecord = {
      timestamp: "2026-03-02T10:06:00Z",
      category: "fleet_handoff_plan",
      fleetId: "fleet-east",
      traceId: "fx-3",
      mode: "guarded_auto",
      summary: {
        summary: { ...(H["summary"] as JsonObject), pendingManualOnlyCount: 9 },
        reasonCodes: [],
        policyTraceId: "fx-1",
      },
    };
    const plan = project({ latestHandoffTelemetry: planRecord });
    expect(plan.latestHandoffTelemetry?.execution).toEqual({});
    expect(plan.latestHandoffTelemetry?.autonomousOutcomeRollup).toEqual({
      attempted: 0,
      executed: 0,
      ambiguous: 0,
      failed: 0,
      manual_backlog: 9,
    });
    const empty = project({ latestHandoffTelemetry: {} });
    expect(empty.latestHandoffTelemetry).toEqual({
      execution: {},
      summary: {},
      autonomousOutcomeRollup: { attempted: 0, executed: 0, ambiguous: 0, failed: 0, manual_backlog: 0 },
      reasonCodes: [],
    });
  });
});
