import { defaultFleetPolicy } from "@ops/testkit";
import { describe, expect, it } from "vitest";
import { evaluateFleetPolicy, type FleetPolicyEvaluationInput, resolvePolicyTraceId } from "./evaluate.js";
import { autoPauseMetrics, PolicyHistoryIndex } from "./inputs.js";
import {
  FleetPolicyStateSchema,
  GovernanceAuditEventSchema,
  PolicyHistoryRowSchema,
  PolicyTelemetryRowSchema,
} from "./schemas.js";
import { executeRecord, GOVERNANCE, guardedPolicy, NOW, PATHS, result } from "./test-fixtures.js";

function evaluate(overrides: Partial<FleetPolicyEvaluationInput> & { results?: unknown[] }) {
  const { results, ...rest } = overrides;
  const evaluation = evaluateFleetPolicy({
    policy: defaultFleetPolicy(),
    fleetState: { fleetId: "fleet-east", traceId: "fx-1", status: "partial_failure", results: results ?? [] },
    now: NOW,
    traceId: "fx-1",
    paths: PATHS,
    ...rest,
  });
  // Every artifact must satisfy its schema.
  FleetPolicyStateSchema.parse(evaluation.state);
  PolicyTelemetryRowSchema.parse(evaluation.telemetryRow);
  for (const row of evaluation.historyRows) PolicyHistoryRowSchema.parse(row);
  if (evaluation.governanceEvent !== null) GovernanceAuditEventSchema.parse(evaluation.governanceEvent);
  return evaluation;
}

const byId = (state: { candidates: { candidateId: string }[] }) => state.candidates.map((c) => c.candidateId);

function historyRow(candidateId: string, timestamp: string, extra: Record<string, unknown> = {}) {
  return { timestamp, category: "fleet_policy_candidate", candidateId, suppressed: false, ...extra };
}

describe("candidate generation (§2)", () => {
  it("emits up to three candidates per result, sorted by (loopId, category), with the taxonomy profile", () => {
    const { state } = evaluate({
      results: [
        result("gamma", "success", "degraded"),
        result("beta", "failed", "critical"),
        result("alpha", "success", "healthy"),
      ],
    });
    expect(byId(state)).toEqual(["beta:health_critical", "beta:reconcile_failed", "gamma:health_degraded"]);
    expect(state.evaluatedLoopCount).toBe(3);
    const [critical, failed, degraded] = state.candidates;
    expect(Object.keys(critical ?? {})).toEqual([
      "loopId",
      "category",
      "signal",
      "traceId",
      "candidateId",
      "severity",
      "confidence",
      "rationale",
      "taxonomyVersion",
      "recommendedIntent",
      "suppressionScope",
      "suppressed",
      "suppressionReason",
      "suppressionSource",
      "cooldown",
      "autonomous",
    ]);
    expect(critical).toMatchObject({
      signal: "health_critical",
      traceId: "fx-1-beta",
      severity: "critical",
      confidence: "high",
      rationale: "Loop health is critical",
      taxonomyVersion: "v1",
      recommendedIntent: "cancel",
      suppressionScope: null,
      suppressed: false,
      suppressionReason: null,
      suppressionSource: null,
    });
    expect(failed).toMatchObject({
      signal: "status_failed",
      rationale: "Loop reconcile failed in fleet fan-out",
    });
    expect(degraded).toMatchObject({
      severity: "warning",
      confidence: "medium",
      rationale: "Loop health is degraded",
    });
  });

  it("de-duplicates a loop listed twice (first kept) and skips results without a string loopId (careful Q6)", () => {
    const { state } = evaluate({
      results: [
        result("beta", "failed", "unknown", "first"),
        result("beta", "failed", "unknown", "second"),
        { status: "failed", healthStatus: "critical" },
        { loopId: 7, status: "failed" },
        "not-an-object",
      ],
    });
    expect(byId(state)).toEqual(["beta:reconcile_failed"]);
    expect(state.candidates[0]?.traceId).toBe("first");
    expect(state.evaluatedLoopCount).toBe(5);
    expect(state.candidateCount).toBe(1);
  });

  it("missing results: no candidates; fleetId/status defaults come from the state", () => {
    const { state } = evaluate({ fleetState: {} });
    expect(state).toMatchObject({
      fleetId: "default",
      fleetStatus: "unknown",
      evaluatedLoopCount: 0,
      candidateCount: 0,
      reasonCodes: ["no_action_required"],
    });
  });

  it("a result traceId that is not a string is null", () => {
    const { state } = evaluate({ results: [{ loopId: "a", status: "failed", healthStatus: "unknown" }] });
    expect(state.candidates[0]?.traceId).toBeNull();
  });
});

describe("suppression (§3)", () => {
  it("loop-level beats global for the same category; sources are literal (Q7)", () => {
    const { state } = evaluate({
      policy: {
        ...defaultFleetPolicy(),
        suppressions: { "*": ["health_degraded"], beta: ["health_degraded"] },
      },
      results: [result("alpha", "success", "degraded"), result("beta", "success", "degraded")],
    });
    expect(state.candidates.map((c) => [c.candidateId, c.suppressionScope, c.suppressionSource])).toEqual([
      ["alpha:health_degraded", "global", "policy.suppressions.*"],
      ["beta:health_degraded", "loop", "policy.suppressions.<loopId>"],
    ]);
    expect(
      state.candidates.every((c) => c.suppressed && c.suppressionReason === "registry_policy_suppression"),
    ).toBe(true);
    expect(state.reasonCodes).toEqual([
      "fleet_actions_policy_suppressed",
      "fleet_actions_suppressed",
      "no_action_required",
    ]);
    expect(state.summary.bySuppressionReason).toEqual({ registry_policy_suppression: 2 });
  });

  it("advisory cooldown: active within W of the last unsuppressed entry; suppressed entries do not extend it", () => {
    const history = [
      historyRow("beta:health_critical", "2026-03-02T09:58:00Z"), // 180 s ago, unsuppressed
      historyRow("beta:health_critical", "2026-03-02T10:00:00Z", { suppressed: true }), // ignored
      historyRow("beta:reconcile_failed", "2026-03-02T09:55:00Z"), // 360 s ago: expired
    ];
    const { state } = evaluate({ history, results: [result("beta", "failed", "critical")] });
    const [critical, failed] = state.candidates;
    expect(critical).toMatchObject({
      suppressed: true,
      suppressionScope: "cooldown",
      suppressionReason: "advisory_cooldown_active",
      suppressionSource: "policy.noiseControls.dedupeWindowSeconds",
      cooldown: {
        enabled: true,
        windowSeconds: 300,
        active: true,
        remainingSeconds: 120,
        lastUnsuppressedAt: "2026-03-02T09:58:00Z",
      },
    });
    expect(failed).toMatchObject({
      suppressed: false,
      cooldown: { active: false, remainingSeconds: 0, lastUnsuppressedAt: "2026-03-02T09:55:00Z" },
    });
    expect(state.cooldownSuppressedCount).toBe(1);
    expect(state.reasonCodes).toContain("fleet_actions_deduped");
    // Exactly at last + W the candidate surfaces again.
    const atEdge = evaluate({
      history: [historyRow("beta:reconcile_failed", "2026-03-02T09:56:00Z")],
      results: [result("beta", "failed", "healthy")],
    });
    expect(atEdge.state.candidates[0]?.suppressed).toBe(false);
  });

  it("registry suppression wins over cooldown, and the cooldown object is still computed", () => {
    const { state } = evaluate({
      policy: { ...defaultFleetPolicy(), suppressions: { "*": ["health_critical"] } },
      history: [historyRow("beta:health_critical", "2026-03-02T10:00:00Z")],
      results: [result("beta", "success", "critical")],
    });
    expect(state.candidates[0]).toMatchObject({
      suppressionScope: "global",
      cooldown: { active: true, remainingSeconds: 240 },
    });
    expect(state.cooldownSuppressedCount).toBe(0);
  });

  it("W = 0 disables the cooldown; missing `suppressed` counts as unsuppressed", () => {
    const history = [{ timestamp: "2026-03-02T10:00:30Z", candidateId: "beta:health_critical" }];
    const zero = evaluate({
      dedupeWindowSeconds: 0,
      history,
      results: [result("beta", "success", "critical")],
    });
    expect(zero.state.candidates[0]?.cooldown).toEqual({
      enabled: false,
      windowSeconds: 0,
      active: false,
      remainingSeconds: 0,
      lastUnsuppressedAt: null,
    });
    expect(zero.state.noiseControls.dedupeWindowSeconds).toBe(0);
    const dflt = evaluate({ history, results: [result("beta", "success", "critical")] });
    expect(dflt.state.candidates[0]?.cooldown).toMatchObject({ active: true, remainingSeconds: 270 });
  });

  it("Q8 kept: a future-dated entry gives remainingSeconds above the window", () => {
    const { state } = evaluate({
      history: [historyRow("beta:health_critical", "2026-03-02T10:11:00Z")],
      results: [result("beta", "success", "critical")],
    });
    expect(state.candidates[0]?.cooldown).toMatchObject({ active: true, remainingSeconds: 900 });
  });

  it("Q10 careful: non-canonical history timestamps are ignored", () => {
    const { state } = evaluate({
      history: [
        historyRow("beta:health_critical", "2026-3-2T10:0:0Z"),
        historyRow("beta:health_critical", "2026-03-02T10:00:00.000Z"),
        historyRow("beta:health_critical", "2026-03-02T10:00:00+00:00"),
      ],
      results: [result("beta", "success", "critical")],
    });
    expect(state.candidates[0]?.cooldown).toMatchObject({ active: false, lastUnsuppressedAt: null });
  });
});

describe("autonomy classification (§6)", () => {
  it("advisory: every candidate is manual-only with policy_mode_not_guarded_auto; no guarded reason codes", () => {
    const { state } = evaluate({ results: [result("alpha", "failed", "critical")] });
    for (const candidate of state.candidates) {
      expect(candidate.autonomous).toMatchObject({
        mode: "advisory",
        eligible: false,
        manualOnly: true,
        reasons: ["policy_mode_not_guarded_auto"],
      });
      expect(candidate.autonomous.safety.killSwitchActive).toBe(false);
    }
    expect(state.autonomous.enabled).toBe(false);
    expect(state.reasonCodes).toEqual(["fleet_action_required"]);
  });

  it("guarded_auto with default caps: exactly one eligible — the first clean candidate in order", () => {
    const { state } = evaluate({
      policy: guardedPolicy(),
      results: [result("beta", "failed", "critical"), result("alpha", "failed", "degraded")],
    });
    const summary = state.candidates.map((c) => [c.candidateId, c.autonomous.eligible, c.autonomous.reasons]);
    expect(summary).toEqual([
      [
        "alpha:health_degraded",
        false,
        ["category_not_allowlisted", "confidence_below_threshold", "severity_below_threshold"],
      ],
      ["alpha:reconcile_failed", true, []],
      ["beta:health_critical", false, ["autonomous_max_actions_per_run_exceeded"]],
      ["beta:reconcile_failed", false, ["autonomous_max_actions_per_run_exceeded"]],
    ]);
    const blocked = state.candidates[2]?.autonomous;
    expect(blocked?.gatingReasons).toEqual([]);
    expect(blocked?.safety).toMatchObject({
      runCapBlocked: true,
      loopCapBlocked: false,
      killSwitchActive: false,
    });
    expect(state.autoEligibleCount).toBe(1);
    expect(state.manualOnlyCount).toBe(3);
    expect(state.reasonCodes).toEqual([
      "fleet_action_required",
      "fleet_auto_candidates_eligible",
      "fleet_auto_candidates_safety_blocked",
    ]);
    expect(state.summary.byAutonomyReason).toEqual({
      autonomous_max_actions_per_run_exceeded: 2,
      category_not_allowlisted: 1,
      confidence_below_threshold: 1,
      severity_below_threshold: 1,
    });
  });

  it("loop cap: health_critical is taken before reconcile_failed within one loop", () => {
    const { state } = evaluate({
      policy: guardedPolicy({ autonomous: { safety: { maxActionsPerRun: 5 } } }),
      results: [result("beta", "failed", "critical"), result("alpha", "failed", "healthy")],
    });
    expect(state.candidates.map((c) => [c.candidateId, c.autonomous.reasons])).toEqual([
      ["alpha:reconcile_failed", []],
      ["beta:health_critical", []],
      ["beta:reconcile_failed", ["autonomous_max_actions_per_loop_exceeded"]],
    ]);
    expect(state.candidates[2]?.autonomous.safety.loopCapBlocked).toBe(true);
  });

  it("maxActionsPerRun 0 blocks everything with the run-cap reason; suppressed candidates use no slot", () => {
    const zero = evaluate({
      policy: guardedPolicy({ autonomous: { safety: { maxActionsPerRun: 0 } } }),
      results: [result("alpha", "failed", "healthy")],
    });
    expect(zero.state.candidates[0]?.autonomous.reasons).toEqual(["autonomous_max_actions_per_run_exceeded"]);
    const suppressed = evaluate({
      policy: guardedPolicy({ suppressions: { alpha: ["reconcile_failed"] } }),
      results: [result("alpha", "failed", "healthy"), result("beta", "failed", "healthy")],
    });
    expect(suppressed.state.candidates.map((c) => [c.candidateId, c.autonomous.reasons])).toEqual([
      ["alpha:reconcile_failed", ["candidate_suppressed"]],
      ["beta:reconcile_failed", []],
    ]);
  });

  it("kill switch: recorded only for clean candidates (Q3), killSwitchActive on all in guarded_auto", () => {
    const { state } = evaluate({
      policy: guardedPolicy({ autonomous: { safety: { killSwitch: true } } }),
      results: [result("alpha", "failed", "degraded"), result("beta", "success", "critical")],
    });
    expect(state.candidates.map((c) => [c.candidateId, c.autonomous.reasons])).toEqual([
      [
        "alpha:health_degraded",
        ["category_not_allowlisted", "confidence_below_threshold", "severity_below_threshold"],
      ],
      ["alpha:reconcile_failed", ["autonomous_kill_switch_enabled"]],
      ["beta:health_critical", ["autonomous_kill_switch_enabled"]],
    ]);
    expect(state.candidates.every((c) => c.autonomous.safety.killSwitchActive)).toBe(true);
    expect(state.autoEligibleCount).toBe(0);
    expect(state.reasonCodes).toEqual([
      "fleet_action_required",
      "fleet_auto_candidates_blocked",
      "fleet_auto_kill_switch_enabled",
    ]);
    // Q3: when every candidate is already gated, the kill switch is invisible in the reasons.
    const hidden = evaluate({
      policy: guardedPolicy({
        autonomous: { safety: { killSwitch: true }, rollout: { pause: { manual: true } } },
      }),
      results: [result("alpha", "failed", "healthy")],
    });
    expect(hidden.state.candidates[0]?.autonomous.reasons).toEqual(["autonomous_rollout_paused_manual"]);
    expect(hidden.state.reasonCodes).not.toContain("fleet_auto_kill_switch_enabled");
    expect(hidden.state.candidates[0]?.autonomous.safety.killSwitchActive).toBe(true);
  });

  it("autonomous cooldown keys on the last eligible classification", () => {
    const history = [
      historyRow("alpha:reconcile_failed", "2026-03-02T10:00:00Z", { autonomousEligible: true }),
      historyRow("beta:reconcile_failed", "2026-03-02T09:50:00Z", { autonomousEligible: true }),
    ];
    const { state } = evaluate({
      policy: guardedPolicy({ autonomous: { safety: { maxActionsPerRun: 5 } } }),
      history,
      results: [result("alpha", "failed", "healthy"), result("beta", "failed", "healthy")],
    });
    expect(state.candidates[0]?.autonomous).toMatchObject({
      eligible: false,
      reasons: ["autonomous_cooldown_active"],
      safety: { cooldown: { active: true, remainingSeconds: 240, lastEligibleAt: "2026-03-02T10:00:00Z" } },
    });
    expect(state.candidates[1]?.autonomous).toMatchObject({
      eligible: true,
      safety: { cooldown: { active: false, remainingSeconds: 0, lastEligibleAt: "2026-03-02T09:50:00Z" } },
    });
    expect(state.reasonCodes).toContain("fleet_auto_candidates_safety_blocked");
  });

  it("canary 50 uses the spec buckets; candidate buckets are counted over all candidates", () => {
    const { state } = evaluate({
      policy: guardedPolicy({
        autonomous: { rollout: { canaryPercent: 50 }, safety: { maxActionsPerRun: 9 } },
      }),
      results: ["alpha", "beta", "gamma", "delta"].map((id) => result(id, "failed", "healthy")),
    });
    expect(
      state.candidates.map((c) => [
        c.loopId,
        c.autonomous.rollout.selector.bucket,
        c.autonomous.rollout.selector.inCohort,
      ]),
    ).toEqual([
      ["alpha", 44, true],
      ["beta", 61, false],
      ["delta", 41, true],
      ["gamma", 92, false],
    ]);
    expect(state.candidates[1]?.autonomous.reasons).toEqual(["autonomous_rollout_canary_excluded"]);
    expect(state.autonomous.rollout.candidateBuckets).toEqual({
      inScopeCount: 4,
      inCohortCount: 2,
      outOfCohortCount: 2,
    });
    expect(state.reasonCodes).toContain("fleet_auto_candidates_rollout_gated");
  });

  it("scope excludes loops not listed (scope reason, not canary); salt changes buckets", () => {
    const { state } = evaluate({
      policy: guardedPolicy({
        autonomous: {
          rollout: { scope: { loopIds: ["beta"] }, selector: { salt: "cohort-x" }, canaryPercent: 50 },
        },
      }),
      results: [result("alpha", "failed", "healthy"), result("beta", "failed", "healthy")],
    });
    expect(
      state.candidates.map((c) => [c.loopId, c.autonomous.rollout.selector, c.autonomous.reasons]),
    ).toEqual([
      [
        "alpha",
        { salt: "cohort-x", bucket: 57, inScope: false, canarySelected: false, inCohort: false },
        ["autonomous_rollout_scope_excluded"],
      ],
      ["beta", { salt: "cohort-x", bucket: 16, inScope: true, canarySelected: true, inCohort: true }, []],
    ]);
    expect(state.autonomous.rollout).toMatchObject({
      canaryPercent: 50,
      scopeLoopIds: ["beta"],
      selectorSalt: "cohort-x",
      candidateBuckets: { inScopeCount: 1, inCohortCount: 1, outOfCohortCount: 0 },
    });
  });

  it("rollout reasons show in advisory mode too", () => {
    const policy = defaultFleetPolicy();
    const { state } = evaluate({
      policy: {
        ...policy,
        autonomous: { ...policy.autonomous, rollout: { ...policy.autonomous.rollout, canaryPercent: 0 } },
      },
      results: [result("alpha", "failed", "healthy")],
    });
    expect(state.candidates[0]?.autonomous.reasons).toEqual([
      "autonomous_rollout_canary_excluded",
      "policy_mode_not_guarded_auto",
    ]);
    expect(state.reasonCodes).not.toContain("fleet_auto_candidates_rollout_gated");
  });
});

describe("pause and auto-pause (§5)", () => {
  it("reproduces the spec's failure-spike example and pauses every candidate", () => {
    const telemetry = [
      { timestamp: "2026-03-02T09:00:00Z", category: "fleet_handoff_plan", summary: {} },
      executeRecord("2026-03-02T09:10:00Z", { requested: 1, executedIntents: 1, executed: 1 }),
      executeRecord("2026-03-02T09:20:00Z", { requested: 5, executedIntents: 5, failed: 5 }, "manual"),
      executeRecord("2026-03-02T09:30:00Z", { requested: 2, executedIntents: 2, failed: 2 }),
      executeRecord("2026-03-02T09:40:00Z", { requested: 1, executedIntents: 1, executed: 1 }),
    ];
    const { state } = evaluate({
      policy: guardedPolicy(),
      handoffTelemetry: telemetry,
      results: [result("alpha", "failed", "healthy")],
    });
    expect(state.autonomous.rollout.pause).toEqual({
      active: true,
      reasons: ["autonomous_rollout_paused_auto"],
      manual: false,
      auto: {
        enabled: true,
        active: true,
        reasons: ["autonomous_autopause_failure_spike"],
        lookbackExecutions: 5,
        minSampleSize: 3,
        ambiguityRateThreshold: 0.4,
        failureRateThreshold: 0.4,
        metrics: {
          windowExecutionCount: 3,
          attemptedCount: 4,
          executedCount: 2,
          ambiguousCount: 0,
          failedCount: 2,
          ambiguityRate: 0,
          failureRate: 0.5,
        },
      },
    });
    expect(state.candidates[0]?.autonomous.reasons).toEqual([
      "autonomous_autopause_failure_spike",
      "autonomous_rollout_paused_auto",
    ]);
    expect(state.reasonCodes).toEqual([
      "fleet_action_required",
      "fleet_auto_candidates_autopause_triggered",
      "fleet_auto_candidates_blocked",
      "fleet_auto_candidates_paused",
    ]);
    // Pause never suppresses.
    expect(state.candidates[0]?.suppressed).toBe(false);
  });

  it("window = last lookbackExecutions after a stable timestamp sort (missing first); Q4 prefers executedIntentCount", () => {
    const rows = [
      executeRecord("2026-03-02T09:30:00Z", { requested: 3, executedIntents: 0, ambiguous: 3 }),
      executeRecord(undefined, { requested: 9, failed: 9 }),
      executeRecord("2026-03-02T09:10:00Z", { requested: 3, ambiguous: 1 }),
    ];
    expect(autoPauseMetrics(rows, 2)).toEqual({
      windowExecutionCount: 2,
      attemptedCount: 3,
      executedCount: 0,
      ambiguousCount: 4,
      failedCount: 0,
      ambiguityRate: 4 / 3,
      failureRate: 0,
    });
    expect(
      autoPauseMetrics([executeRecord("2026-03-02T09:30:00Z", { requested: 3, ambiguous: 1 })], 5)
        .ambiguityRate,
    ).toBe(0.3333333333333333);
  });

  it("thresholds are inclusive; below minSampleSize nothing fires; Q2 careful: disabled never fires", () => {
    const rows = [
      executeRecord("2026-03-02T09:10:00Z", { requested: 2, executedIntents: 2, ambiguous: 1 }),
      executeRecord("2026-03-02T09:20:00Z", { requested: 3, executedIntents: 3, ambiguous: 1 }),
    ];
    const inclusive = evaluate({
      policy: guardedPolicy({ autonomous: { rollout: { autoPause: { ambiguityRateThreshold: 0.4 } } } }),
      handoffTelemetry: rows,
    });
    expect(inclusive.state.autonomous.rollout.pause.auto.reasons).toEqual([
      "autonomous_autopause_ambiguous_spike",
    ]);
    const small = evaluate({
      policy: guardedPolicy({ autonomous: { rollout: { autoPause: { minSampleSize: 6 } } } }),
      handoffTelemetry: rows,
    });
    expect(small.state.autonomous.rollout.pause.auto.active).toBe(false);
    const disabled = evaluate({
      policy: guardedPolicy({ autonomous: { rollout: { autoPause: { enabled: false } } } }),
      handoffTelemetry: rows,
    });
    expect(disabled.state.autonomous.rollout.pause.auto).toMatchObject({
      enabled: false,
      active: false,
      reasons: [],
      metrics: { windowExecutionCount: 2, attemptedCount: 5, ambiguousCount: 2 },
    });
  });

  it("Q1 careful: the real posture is reported with zero candidates", () => {
    const { state } = evaluate({
      policy: guardedPolicy({ autonomous: { rollout: { pause: { manual: true } } } }),
      handoffTelemetry: [
        executeRecord("2026-03-02T09:10:00Z", { requested: 3, executedIntents: 3, failed: 3 }),
      ],
    });
    expect(state.candidateCount).toBe(0);
    expect(state.autonomous.rollout.pause).toMatchObject({
      active: true,
      reasons: ["autonomous_rollout_paused_auto", "autonomous_rollout_paused_manual"],
      manual: true,
      auto: { active: true, reasons: ["autonomous_autopause_failure_spike"], metrics: { failedCount: 3 } },
    });
    expect(state.reasonCodes).toEqual(["fleet_auto_candidates_autopause_triggered", "no_action_required"]);
  });
});

describe("policy state document (§7)", () => {
  it("has the spec's field order, taxonomy, governance and suppression state", () => {
    const policy = guardedPolicy({ suppressions: { "*": ["health_degraded"] } });
    const { state } = evaluate({ policy, traceId: "fx-9", results: [result("alpha", "failed", "degraded")] });
    expect(Object.keys(state)).toEqual([
      "schemaVersion",
      "updatedAt",
      "fleetId",
      "traceId",
      "mode",
      "fleetStatus",
      "source",
      "taxonomy",
      "noiseControls",
      "autonomous",
      "evaluatedLoopCount",
      "candidateCount",
      "unsuppressedCount",
      "suppressedCount",
      "cooldownSuppressedCount",
      "autoEligibleCount",
      "manualOnlyCount",
      "candidates",
      "summary",
      "suppressionState",
      "reasonCodes",
    ]);
    expect(state).toMatchObject({
      schemaVersion: "v1",
      updatedAt: "2026-03-02T10:01:00Z",
      fleetId: "fleet-east",
      traceId: "fx-9",
      mode: "guarded_auto",
      fleetStatus: "partial_failure",
      source: { fleetStateFile: PATHS.fleetStateFile, registryFile: PATHS.registryFile },
      taxonomy: {
        version: "v1",
        categories: [
          { category: "reconcile_failed", severity: "critical", confidence: "high" },
          { category: "health_critical", severity: "critical", confidence: "high" },
          { category: "health_degraded", severity: "warning", confidence: "medium" },
        ],
      },
      noiseControls: {
        dedupeWindowSeconds: 0,
        policyHistoryFile: PATHS.policyHistoryFile,
        handoffTelemetryFile: PATHS.handoffTelemetryFile,
      },
      suppressionState: {
        suppressions: { "*": ["health_degraded"] },
        precedence: ["loop", "global", "cooldown"],
        allowedCategories: ["reconcile_failed", "health_critical", "health_degraded"],
      },
    });
    expect(Object.keys(state.autonomous)).toEqual([
      "enabled",
      "governanceAuditFile",
      "governance",
      "controls",
      "rollout",
    ]);
    expect(state.autonomous.controls).toEqual(policy.autonomous);
    expect(state.autonomous.governance).toEqual({
      ...GOVERNANCE,
      requiredForGuardedAuto: true,
      authorityContextPresent: true,
    });
    expect(state.summary).toEqual({
      bySeverity: { critical: 1, warning: 1, info: 0 },
      byConfidence: { high: 1, medium: 1, low: 0 },
      byCategory: { health_degraded: 1, reconcile_failed: 1 },
      bySuppressionReason: { registry_policy_suppression: 1 },
      byAutonomy: { eligible: 1, manualOnly: 0 },
      byAutonomyReason: {},
    });
  });

  it("governance: advisory without metadata is present; guarded_auto without all five is not", () => {
    expect(evaluate({}).state.autonomous.governance).toEqual({
      requiredForGuardedAuto: true,
      authorityContextPresent: true,
    });
    const policy = guardedPolicy();
    const partial = { ...policy, autonomous: { ...policy.autonomous, governance: { actor: "oncall-a" } } };
    expect(evaluate({ policy: partial }).state.autonomous.governance).toEqual({
      actor: "oncall-a",
      requiredForGuardedAuto: true,
      authorityContextPresent: false,
    });
  });
});

describe("governance audit event (§8)", () => {
  const policy = guardedPolicy();

  it("initialised without a previous state (previous* keys absent), also in advisory", () => {
    const { governanceEvent } = evaluate({});
    expect(governanceEvent).toEqual({
      timestamp: "2026-03-02T10:01:00Z",
      category: "fleet_policy_governance",
      eventType: "autonomous_policy_initialized",
      fleetId: "fleet-east",
      traceId: "fx-1",
      mode: "advisory",
      governance: { requiredForGuardedAuto: true, authorityContextPresent: true },
      controls: defaultFleetPolicy().autonomous,
      source: {
        registryFile: PATHS.registryFile,
        policyStateFile: PATHS.policyStateFile,
        governanceAuditFile: PATHS.governanceAuditFile,
      },
    });
  });

  it("identical snapshot (key order irrelevant) → no event; mode change → toggled; control change → mutated", () => {
    const first = evaluate({ policy }).state;
    const reordered = JSON.parse(JSON.stringify(first, (_key, value) => value));
    reordered.autonomous.controls = Object.fromEntries(Object.entries(first.autonomous.controls).reverse());
    expect(evaluate({ policy, previousPolicyState: reordered }).governanceEvent).toBeNull();

    const advisoryState = evaluate({}).state;
    const toggled = evaluate({ policy, previousPolicyState: advisoryState }).governanceEvent;
    expect(toggled).toMatchObject({
      eventType: "autonomous_mode_toggled",
      mode: "guarded_auto",
      previousMode: "advisory",
      previousControls: defaultFleetPolicy().autonomous,
    });
    expect(Object.keys(toggled ?? {})).toEqual([
      "timestamp",
      "category",
      "eventType",
      "fleetId",
      "traceId",
      "mode",
      "previousMode",
      "governance",
      "previousGovernance",
      "controls",
      "previousControls",
      "source",
    ]);

    const killed = guardedPolicy({ autonomous: { safety: { killSwitch: true } } });
    expect(evaluate({ policy: killed, previousPolicyState: first }).governanceEvent).toMatchObject({
      eventType: "autonomous_policy_mutated",
      previousMode: "guarded_auto",
    });
  });

  it("changes outside the snapshot (suppressions, dedupe window, loops) append nothing", () => {
    const first = evaluate({ policy }).state;
    const changed = guardedPolicy({ suppressions: { "*": ["health_degraded"] }, dedupeWindowSeconds: 60 });
    expect(
      evaluate({
        policy: changed,
        previousPolicyState: first,
        results: [result("zeta", "failed", "critical")],
      }).governanceEvent,
    ).toBeNull();
  });

  it("a previous state without mode/autonomous snapshots as advisory/{}/{}", () => {
    const event = evaluate({ previousPolicyState: {} }).governanceEvent;
    expect(event).toMatchObject({
      eventType: "autonomous_policy_mutated",
      previousMode: "advisory",
      previousGovernance: {},
      previousControls: {},
    });
  });
});

describe("history and telemetry rows (§9)", () => {
  it("history row matches the spec example (booleans always written, careful Q2)", () => {
    const { historyRows } = evaluate({
      policy: guardedPolicy(),
      results: [result("beta", "success", "critical", "fx-1-beta")],
    });
    expect(JSON.stringify(historyRows[0])).toBe(
      '{"timestamp":"2026-03-02T10:01:00Z","category":"fleet_policy_candidate","fleetId":"fleet-east","traceId":"fx-1","mode":"guarded_auto","candidateId":"beta:health_critical","loopId":"beta","candidateCategory":"health_critical","severity":"critical","confidence":"high","recommendedIntent":"cancel","suppressed":false,"autonomousEligible":true,"autonomousManualOnly":false,"autonomousReasons":[],"autonomousRolloutInScope":true,"autonomousRolloutInCohort":true,"autonomousRolloutBucket":61,"autonomousRolloutPauseActive":false,"autonomousRolloutPauseReasons":[],"autonomousAutoPauseActive":false,"autonomousAutoPauseReasons":[]}',
    );
  });

  it("suppressed rows carry reason, scope, source (in that order); false booleans written", () => {
    const { historyRows } = evaluate({
      policy: { ...defaultFleetPolicy(), suppressions: { beta: ["health_critical"] } },
      results: [result("beta", "success", "critical")],
    });
    const row = historyRows[0] ?? {};
    expect(Object.keys(row).slice(10, 15)).toEqual([
      "recommendedIntent",
      "suppressed",
      "suppressionReason",
      "suppressionScope",
      "suppressionSource",
    ]);
    expect(row).toMatchObject({
      suppressed: true,
      autonomousEligible: false,
      autonomousManualOnly: true,
      autonomousRolloutPauseActive: false,
      autonomousAutoPauseActive: false,
    });
  });

  it("telemetry row summarises the run", () => {
    const { telemetryRow, state } = evaluate({ results: [result("alpha", "failed", "healthy")] });
    expect(telemetryRow).toEqual({
      timestamp: "2026-03-02T10:01:00Z",
      category: "fleet_policy",
      fleetId: "fleet-east",
      traceId: "fx-1",
      mode: "advisory",
      summary: {
        candidateCount: 1,
        unsuppressedCount: 1,
        suppressedCount: 0,
        cooldownSuppressedCount: 0,
        autoEligibleCount: 0,
        manualOnlyCount: 1,
        reasonCodes: ["fleet_action_required"],
        summary: state.summary,
        noiseControls: state.noiseControls,
        autonomous: state.autonomous,
      },
    });
  });

  it("re-run with the previous run's history: surfaced candidates are deduped, eligible ones cooled down", () => {
    const policy = guardedPolicy({ dedupeWindowSeconds: 0 });
    const results = [result("alpha", "failed", "healthy")];
    const run1 = evaluate({ policy, results });
    expect(run1.state.autoEligibleCount).toBe(1);
    const run2 = evaluate({ policy, results, history: run1.historyRows, now: NOW + 10 });
    expect(run2.state.candidates[0]?.autonomous.reasons).toEqual(["autonomous_cooldown_active"]);
    const withDedupe = evaluate({
      policy: { ...policy, noiseControls: { dedupeWindowSeconds: 300 } },
      results,
      history: run1.historyRows,
      now: NOW + 10,
    });
    expect(withDedupe.state.candidates[0]?.autonomous.reasons).toEqual(["candidate_suppressed"]);
  });

  it("the history index ignores non-objects and rows without candidateId/timestamp", () => {
    const index = PolicyHistoryIndex.from([
      null,
      3,
      { candidateId: "a:b" },
      { timestamp: "2026-03-02T10:00:00Z" },
    ]);
    expect(index.rowCount).toBe(4);
    expect(index.lastUnsuppressedAt("a:b")).toBeNull();
  });
});

describe("trace id precedence (§1)", () => {
  const gen = () => "3F2A9C1E-6B0D-4D7E-9A51-0C2F8E7B1D44";
  it("flag → fleet state → env → generated (lowercase)", () => {
    expect(resolvePolicyTraceId("flag", { traceId: "state" }, "env", gen)).toBe("flag");
    expect(resolvePolicyTraceId("", { traceId: "state" }, "env", gen)).toBe("state");
    expect(resolvePolicyTraceId(undefined, { traceId: "" }, "env", gen)).toBe("env");
    expect(resolvePolicyTraceId(undefined, {}, "", gen)).toBe("3f2a9c1e-6b0d-4d7e-9a51-0c2f8e7b1d44");
  });
});
