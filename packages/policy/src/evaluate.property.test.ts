// Property: whatever the registry autonomous settings, suppressions, fleet results, history and
// handoff telemetry, a candidate that is suppressed, manual-only by policy (category / intent not
// allowlisted, below a threshold), paused (manual or auto), kill-switched, out of scope / cohort,
// in autonomous cooldown or over a cap is never classified autonomous-eligible. The oracle below
// recomputes each condition from the inputs, independently of the implementation's gates.
import type { NormalizedFleetAutonomous, NormalizedFleetPolicy } from "@ops/contract";
import { formatTimestamp, parseTimestamp } from "@ops/contract";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AutonomyCandidateInput,
  classifyAutonomy,
  evaluateFleetPolicy,
  rolloutPause,
} from "./evaluate.js";
import { PolicyHistoryIndex } from "./inputs.js";
import { FleetPolicyStateSchema } from "./schemas.js";
import { executeRecord, NOW, PATHS } from "./test-fixtures.js";

const LOOPS = ["alpha", "beta", "gamma", "delta", "loop-é"] as const;
const CATEGORIES = ["reconcile_failed", "health_critical", "health_degraded"] as const;
const SEVERITY: Record<string, number> = { critical: 3, warning: 2, info: 1 };
const CONFIDENCE: Record<string, number> = { high: 3, medium: 2, low: 1 };

/** Independent re-statement of spec 22 §6.2. */
function oracleBucket(loopId: string, salt: string): number {
  let h = 17;
  for (const c of Array.from(`${loopId}|${salt}`)) h = (h * 31 + (c.codePointAt(0) as number)) % 1000003;
  return h % 100;
}

const subsetOf = <T>(values: readonly T[]) => fc.subarray([...values]);
/** Mostly the permissive value, so that clean candidates (and thus every rail) are reached often. */
const mostly = <T>(usual: T, other: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(usual), weight: 3 }, { arbitrary: other, weight: 1 });

const autonomousArb: fc.Arbitrary<NormalizedFleetAutonomous> = fc.record({
  enabled: fc.boolean(),
  allow: fc.record({
    categories: mostly([...CATEGORIES], subsetOf(CATEGORIES)),
    intents: mostly(["cancel" as const], subsetOf(["cancel"] as const)),
  }),
  thresholds: fc.record({
    minSeverity: fc.constantFrom("critical", "warning", "info"),
    minConfidence: fc.constantFrom("high", "medium", "low"),
  }),
  safety: fc.record({
    maxActionsPerRun: fc.integer({ min: 0, max: 4 }),
    maxActionsPerLoop: fc.integer({ min: 0, max: 3 }),
    cooldownSeconds: fc.integer({ min: 0, max: 900 }),
    killSwitch: fc.boolean(),
  }),
  governance: fc.constant({}),
  rollout: fc.record({
    canaryPercent: mostly(100, fc.integer({ min: 0, max: 100 })),
    scope: fc.record({ loopIds: mostly([] as string[], subsetOf(LOOPS)) }),
    selector: fc.record({ salt: fc.constantFrom("fleet-autonomous-rollout-v1", "cohort-x", "s") }),
    pause: fc.record({ manual: mostly(false, fc.boolean()) }),
    autoPause: fc.record({
      enabled: mostly(false, fc.boolean()),
      lookbackExecutions: fc.integer({ min: 1, max: 6 }),
      minSampleSize: fc.integer({ min: 1, max: 6 }),
      ambiguityRateThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
      failureRateThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  }),
});

const policyArb: fc.Arbitrary<NormalizedFleetPolicy> = fc.record({
  mode: fc.constantFrom("advisory", "guarded_auto"),
  suppressions: fc.dictionary(fc.constantFrom("*", ...LOOPS), subsetOf(CATEGORIES), { maxKeys: 3 }),
  noiseControls: fc.record({ dedupeWindowSeconds: fc.integer({ min: 0, max: 900 }) }),
  autonomous: autonomousArb,
});

const resultArb = fc.record({
  loopId: fc.constantFrom(...LOOPS),
  status: fc.constantFrom("success", "failed", "skipped"),
  healthStatus: fc.constantFrom("healthy", "degraded", "critical", "unknown"),
});

const offsetArb = fc.integer({ min: -1200, max: 120 });
const historyArb = fc.array(
  fc.record({
    offset: offsetArb,
    loopId: fc.constantFrom(...LOOPS),
    category: fc.constantFrom(...CATEGORIES),
    suppressed: fc.option(fc.boolean(), { nil: undefined }),
    autonomousEligible: fc.option(fc.boolean(), { nil: undefined }),
  }),
  { maxLength: 12 },
);
const telemetryArb = fc.array(
  fc.record({
    offset: offsetArb,
    requested: fc.integer({ min: 0, max: 4 }),
    ambiguous: fc.integer({ min: 0, max: 4 }),
    failed: fc.integer({ min: 0, max: 4 }),
    mode: fc.constantFrom("autonomous", "manual"),
  }),
  { maxLength: 8 },
);

function lastEligible(history: readonly Record<string, unknown>[], candidateId: string): number | null {
  let last: number | null = null;
  for (const row of history) {
    const at = parseTimestamp(row["timestamp"]);
    if (row["candidateId"] === candidateId && row["autonomousEligible"] === true && at !== null) {
      last = last === null ? at : Math.max(last, at);
    }
  }
  return last;
}

describe("autonomy eligibility is never granted past a gate or rail (property)", () => {
  it("evaluateFleetPolicy: blocked candidates are never eligible; caps always hold", () => {
    let eligibleSeen = 0;
    fc.assert(
      fc.property(
        policyArb,
        fc.array(resultArb, { maxLength: 8 }),
        historyArb,
        telemetryArb,
        (policy, results, historySpec, telemetrySpec) => {
          const history = historySpec.map((h) => ({
            timestamp: formatTimestamp(NOW + h.offset),
            category: "fleet_policy_candidate",
            candidateId: `${h.loopId}:${h.category}`,
            ...(h.suppressed === undefined ? {} : { suppressed: h.suppressed }),
            ...(h.autonomousEligible === undefined ? {} : { autonomousEligible: h.autonomousEligible }),
          }));
          const telemetry = telemetrySpec.map((t) =>
            executeRecord(
              formatTimestamp(NOW + t.offset),
              {
                requested: t.requested,
                executedIntents: t.requested,
                ambiguous: t.ambiguous,
                failed: t.failed,
              },
              t.mode,
            ),
          );
          const { state } = evaluateFleetPolicy({
            policy,
            fleetState: { results },
            history,
            handoffTelemetry: telemetry,
            now: NOW,
            traceId: "prop",
            paths: PATHS,
          });
          FleetPolicyStateSchema.parse(state);
          const a = policy.autonomous;
          const pause = rolloutPause(a, telemetry);
          const eligibleByLoop = new Map<string, number>();
          let eligibleTotal = 0;
          for (const candidate of state.candidates) {
            const auto = candidate.autonomous;
            expect(auto.eligible).toBe(auto.reasons.length === 0);
            expect(auto.manualOnly).toBe(!auto.eligible);
            if (!auto.eligible) continue;
            eligibleSeen += 1;
            eligibleTotal += 1;
            eligibleByLoop.set(candidate.loopId, (eligibleByLoop.get(candidate.loopId) ?? 0) + 1);
            const suppressedByRegistry =
              (policy.suppressions[candidate.loopId] ?? []).includes(candidate.category) ||
              (policy.suppressions["*"] ?? []).includes(candidate.category);
            const bucket = oracleBucket(candidate.loopId, a.rollout.selector.salt);
            const inScope =
              a.rollout.scope.loopIds.length === 0 || a.rollout.scope.loopIds.includes(candidate.loopId);
            const canary =
              a.rollout.canaryPercent >= 100 ||
              (a.rollout.canaryPercent > 0 && bucket < a.rollout.canaryPercent);
            const last = lastEligible(history, candidate.candidateId);
            const inCooldown =
              a.safety.cooldownSeconds > 0 && last !== null && NOW - last < a.safety.cooldownSeconds;
            expect(policy.mode).toBe("guarded_auto");
            expect(candidate.suppressed).toBe(false);
            expect(suppressedByRegistry).toBe(false);
            expect(a.allow.categories).toContain(candidate.category);
            expect(a.allow.intents).toContain(candidate.recommendedIntent);
            expect(SEVERITY[candidate.severity]).toBeGreaterThanOrEqual(
              SEVERITY[a.thresholds.minSeverity] ?? 0,
            );
            expect(CONFIDENCE[candidate.confidence]).toBeGreaterThanOrEqual(
              CONFIDENCE[a.thresholds.minConfidence] ?? 0,
            );
            expect(a.rollout.pause.manual).toBe(false);
            expect(pause.auto.active).toBe(false);
            expect(a.safety.killSwitch).toBe(false);
            expect(inScope && canary).toBe(true);
            expect(inCooldown).toBe(false);
          }
          expect(eligibleTotal).toBeLessThanOrEqual(a.safety.maxActionsPerRun);
          for (const count of eligibleByLoop.values())
            expect(count).toBeLessThanOrEqual(a.safety.maxActionsPerLoop);
          expect(state.autoEligibleCount).toBe(eligibleTotal);
        },
      ),
      { numRuns: 400 },
    );
    // Not vacuous: the generators do reach eligible candidates.
    expect(eligibleSeen).toBeGreaterThan(0);
  });

  it("classifyAutonomy: arbitrary candidate profiles (unknown severities, null intents) obey the same gates", () => {
    const candidateArb = fc.record({
      loopId: fc.constantFrom(...LOOPS),
      category: fc.constantFrom(...CATEGORIES, "other"),
      severity: fc.constantFrom("critical", "warning", "info", "bogus"),
      confidence: fc.constantFrom("high", "medium", "low", ""),
      recommendedIntent: fc.constantFrom("cancel", "approve", null),
      suppressed: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.constantFrom("advisory" as const, "guarded_auto" as const),
        autonomousArb,
        fc.uniqueArray(candidateArb, { selector: (c) => `${c.loopId}:${c.category}`, maxLength: 10 }),
        historyArb,
        telemetryArb,
        (mode, autonomous, raw, historySpec, telemetrySpec) => {
          const candidates: AutonomyCandidateInput[] = raw.map((c) => ({
            ...c,
            candidateId: `${c.loopId}:${c.category}`,
          }));
          const history = historySpec.map((h) => ({
            timestamp: formatTimestamp(NOW + h.offset),
            candidateId: `${h.loopId}:${h.category}`,
            autonomousEligible: h.autonomousEligible,
          }));
          const telemetry = telemetrySpec.map((t) =>
            executeRecord(
              formatTimestamp(NOW + t.offset),
              {
                requested: t.requested,
                executedIntents: t.requested,
                ambiguous: t.ambiguous,
                failed: t.failed,
              },
              t.mode,
            ),
          );
          const pause = rolloutPause(autonomous, telemetry);
          const out = classifyAutonomy(candidates, {
            mode,
            autonomous,
            pause,
            history: PolicyHistoryIndex.from(history),
            now: NOW,
          });
          let total = 0;
          out.forEach((auto, i) => {
            const c = candidates[i] as AutonomyCandidateInput;
            if (!auto.eligible) return;
            total += 1;
            const last = lastEligible(history, c.candidateId);
            expect(mode).toBe("guarded_auto");
            expect(c.suppressed).toBe(false);
            expect((autonomous.allow.categories as string[]).includes(c.category)).toBe(true);
            expect(
              c.recommendedIntent !== null &&
                (autonomous.allow.intents as string[]).includes(c.recommendedIntent),
            ).toBe(true);
            expect(SEVERITY[c.severity] ?? 0).toBeGreaterThanOrEqual(
              SEVERITY[autonomous.thresholds.minSeverity] ?? 0,
            );
            expect(CONFIDENCE[c.confidence] ?? 0).toBeGreaterThanOrEqual(
              CONFIDENCE[autonomous.thresholds.minConfidence] ?? 0,
            );
            expect(autonomous.rollout.pause.manual || autonomous.safety.killSwitch || pause.auto.active).toBe(
              false,
            );
            expect(auto.rollout.selector.inCohort).toBe(true);
            expect(
              autonomous.safety.cooldownSeconds > 0 &&
                last !== null &&
                NOW - last < autonomous.safety.cooldownSeconds,
            ).toBe(false);
          });
          expect(total).toBeLessThanOrEqual(autonomous.safety.maxActionsPerRun);
        },
      ),
      { numRuns: 400 },
    );
  });
});
