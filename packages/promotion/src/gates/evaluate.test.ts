// The pure gate evaluation (spec 30 §5): odd evidence values, fail-closed readings, aggregation.
import { promotionFleetStatus } from "@ops/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyHandoffRecords,
  type DrillEvidence,
  evaluatePromotionGates,
  type HandoffTelemetryEvidence,
} from "./evaluate.js";
import type { PromotionThresholds } from "./schemas.js";

const NOW = Date.parse("2026-03-01T12:00:00Z") / 1000;
const thresholds: PromotionThresholds = {
  windowExecutions: 20,
  minSampleSize: 2,
  maxAmbiguityRate: 0.2,
  maxFailureRate: 0.2,
  maxManualBacklog: 5,
  maxDrillAgeHours: 168,
};
const passingDrills: DrillEvidence = {
  state: "ok",
  drills: ["kill_switch", "sprite_service_outage", "ambiguous_retry_guard"].map((id) => ({
    id,
    status: "pass",
    completedAt: "2026-03-01T00:00:00Z",
  })),
};
const run = (requested: number, ambiguous = 0, failed = 0) => ({
  category: "fleet_handoff_execute",
  execution: {
    mode: "autonomous",
    requestedIntentCount: requested,
    ambiguousCount: ambiguous,
    failedCount: failed,
  },
});
const passingHandoff = classifyHandoffRecords([run(1), run(1)]);

function evaluate(
  fleetStatus: Record<string, unknown>,
  handoff: HandoffTelemetryEvidence = passingHandoff,
  drills: DrillEvidence = passingDrills,
  limits: PromotionThresholds = thresholds,
) {
  return evaluatePromotionGates({ fleetStatus, handoff, drills }, limits, NOW);
}

function withAutonomous(patch: Record<string, unknown>): Record<string, unknown> {
  const status = promotionFleetStatus();
  return { ...status, autonomous: { ...(status["autonomous"] as Record<string, unknown>), ...patch } };
}

describe("governance gate", () => {
  it("passes the testkit's promote-ready status", () => {
    expect(evaluate(promotionFleetStatus()).summary.decision).toBe("promote");
  });

  it("treats anything but enabled === true as not guarded_auto (fail closed)", () => {
    for (const enabled of [undefined, null, false, "true", 1]) {
      const patch = enabled === undefined ? {} : { enabled };
      const status = withAutonomous(patch);
      if (enabled === undefined) delete (status["autonomous"] as Record<string, unknown>)["enabled"];
      expect(evaluate(status).gates.governance.reasons).toEqual(["promotion_policy_mode_not_guarded_auto"]);
    }
  });

  it("stringifies, de-duplicates and sorts governance codes; maps only the three blocking ones", () => {
    const { governance } = evaluate(
      withAutonomous({
        governance: {
          posture: 7,
          blocksAutonomous: "yes",
          reasonCodes: [
            "autonomous_governance_review_due_soon",
            "autonomous_governance_review_deadline_missing",
            3,
            { a: 1 },
            "autonomous_governance_review_deadline_missing",
          ],
        },
      }),
    ).gates;
    expect(governance).toEqual({
      status: "fail",
      reasons: ["promotion_governance_posture_not_active", "promotion_governance_review_deadline_missing"],
      posture: null,
      blocksAutonomous: "yes",
      reasonCodes: [
        "3",
        "autonomous_governance_review_deadline_missing",
        "autonomous_governance_review_due_soon",
        '{"a":1}',
      ],
    });
  });

  it("treats a non-array reasonCodes as [] and a missing governance as not active (Q3)", () => {
    let { governance } = evaluate(
      withAutonomous({ governance: { posture: "active", reasonCodes: "x" } }),
    ).gates;
    expect(governance).toMatchObject({ status: "pass", reasonCodes: [], blocksAutonomous: false });
    ({ governance } = evaluate(withAutonomous({ governance: null })).gates);
    expect(governance).toMatchObject({ reasons: ["promotion_governance_posture_not_active"], posture: null });
    ({ governance } = evaluate({}).gates);
    expect(governance.reasons).toEqual([
      "promotion_policy_mode_not_guarded_auto",
      "promotion_governance_posture_not_active",
    ]);
  });
});

describe("outcome reliability gate", () => {
  it("classifies records: non-object record → invalid; non-object execution → not a run (Q3)", () => {
    expect(classifyHandoffRecords([run(1), "x"])).toEqual({ state: "invalid" });
    expect(
      classifyHandoffRecords([{ category: "fleet_handoff_execute", execution: "autonomous" }, run(2)]),
    ).toEqual({
      state: "ok",
      runs: [run(2)],
    });
  });

  it("fails closed on autonomous runs with counts that are not non-negative integers", () => {
    for (const bad of ["3", -1, 1.5, true, {}]) {
      const record = {
        category: "fleet_handoff_execute",
        execution: { mode: "autonomous", failedCount: bad },
      };
      expect(classifyHandoffRecords([record])).toEqual({ state: "invalid" });
    }
    // Non-autonomous records are not read, so their counts do not matter.
    expect(
      classifyHandoffRecords([
        { category: "fleet_handoff_execute", execution: { mode: "manual", failedCount: "x" } },
      ]),
    ).toEqual({ state: "ok", runs: [] });
  });

  it("sums the last windowExecutions runs; plain float rates", () => {
    const handoff = classifyHandoffRecords([run(10, 10, 10), run(3, 1, 0), run(3, 0, 1)]);
    const { outcomeReliability } = evaluate(promotionFleetStatus(), handoff, passingDrills, {
      ...thresholds,
      windowExecutions: 2,
      maxAmbiguityRate: 0.3,
      maxFailureRate: 0.3,
    }).gates;
    expect(outcomeReliability).toEqual({
      status: "pass",
      reasons: [],
      sampleRuns: 2,
      attempted: 6,
      executed: 0,
      ambiguous: 1,
      failed: 1,
      ambiguityRate: 1 / 6,
      failureRate: 1 / 6,
    });
  });

  it("can never pass when the window is below the sample size (Q5)", () => {
    const handoff = classifyHandoffRecords([run(1), run(1), run(1)]);
    const { outcomeReliability } = evaluate(promotionFleetStatus(), handoff, passingDrills, {
      ...thresholds,
      windowExecutions: 1,
    }).gates;
    expect(outcomeReliability.reasons).toEqual(["promotion_autonomous_sample_insufficient"]);
  });

  it("reports rate violations even below the sample size", () => {
    const handoff = classifyHandoffRecords([run(2, 2, 2)]);
    expect(evaluate(promotionFleetStatus(), handoff).gates.outcomeReliability.reasons).toEqual([
      "promotion_autonomous_sample_insufficient",
      "promotion_autonomous_ambiguity_rate_exceeded",
      "promotion_autonomous_failure_rate_exceeded",
    ]);
  });
});

describe("safety suppression gate", () => {
  it("counts a present key with a null value, and treats a non-object byPath as absent", () => {
    const byPath = { policyGated: null, rolloutGated: 0, governanceGated: {}, transportGated: [] };
    let { safetySuppression } = evaluate(withAutonomous({ safetyGateDecisions: { byPath } })).gates;
    expect(safetySuppression).toEqual({
      status: "pass",
      reasons: [],
      autopauseActive: false,
      missingPaths: [],
      byPath,
    });
    ({ safetySuppression } = evaluate(withAutonomous({ safetyGateDecisions: { byPath: [] } })).gates);
    expect(safetySuppression).toMatchObject({
      byPath: null,
      reasons: ["promotion_suppression_paths_missing"],
    });
  });

  it("sees auto-pause only for an explicit true in either field", () => {
    const rollout = (autopause: unknown, state: unknown) => withAutonomous({ rollout: { autopause, state } });
    expect(
      evaluate(rollout({ active: "true" }, { autoPauseActive: 1 })).gates.safetySuppression.autopauseActive,
    ).toBe(false);
    expect(
      evaluate(rollout({ active: false }, { autoPauseActive: true })).gates.safetySuppression.autopauseActive,
    ).toBe(true);
    expect(evaluate(rollout(null, null)).gates.safetySuppression.autopauseActive).toBe(false);
  });
});

describe("aggregation", () => {
  it("lists failed gates in gate order and reason codes sorted by code unit", () => {
    const status = withAutonomous({ enabled: false, outcomeRollup: { manual_backlog: 6 } });
    const { summary } = evaluate(status, { state: "missing" }, { state: "invalid" });
    expect(summary).toEqual({
      decision: "hold",
      promote: false,
      gatePassCount: 1,
      gateFailCount: 4,
      failedGates: ["governance", "outcome_reliability", "manual_backlog", "drill_recency"],
      reasonCodes: [
        "promotion_autonomous_sample_insufficient",
        "promotion_drill_state_invalid",
        "promotion_handoff_telemetry_missing",
        "promotion_manual_backlog_exceeded",
        "promotion_policy_mode_not_guarded_auto",
      ],
    });
  });

  it("always has 5 gates, sorted unique reason codes, and promote iff no gate failed (property)", () => {
    const anyValue = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.string(),
    );
    fc.assert(
      fc.property(
        fc.record({
          enabled: anyValue,
          governance: fc.record({
            posture: fc.constantFrom("active", "review_expired", null),
            blocksAutonomous: anyValue,
          }),
          outcomeRollup: fc.record({ manual_backlog: fc.oneof(anyValue, fc.nat(10)) }),
          rollout: fc.record({ autopause: fc.record({ active: anyValue }) }),
        }),
        fc.array(fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)), { maxLength: 25 }),
        (autonomous, runs) => {
          const handoff = classifyHandoffRecords(runs.map(([r, a, f]) => run(r, a, f)));
          const { summary, gates } = evaluate({ autonomous }, handoff);
          expect(summary.gatePassCount + summary.gateFailCount).toBe(5);
          expect(summary.reasonCodes).toEqual([...new Set(summary.reasonCodes)].sort());
          expect(summary.promote).toBe(summary.failedGates.length === 0);
          const all = Object.values(gates).flatMap((gate) => gate.reasons);
          expect(new Set(all)).toEqual(new Set(summary.reasonCodes));
        },
      ),
      { numRuns: 200 },
    );
  });
});
