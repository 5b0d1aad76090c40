// Property, end to end through the real commands and files: for any registry settings an operator
// can write (mode, suppressions, allowlists, thresholds, safety rails, kill switch, canary, scope,
// manual pause) and any fleet results, `fleet policy` followed by `fleet handoff
// --autonomous-execute` dispatches a control only for a candidate that passes every gate, and never
// more than the caps allow. The oracle re-derives each gate from the registry document itself,
// independently of @ops/policy; a recording control stands in for the per-loop control.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { makeTempDir } from "@ops/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fleetPolicy } from "../policy/index.js";
import { fleetHandoff, type HandoffControlRequest } from "./fleet-handoff.js";

const LOOPS = ["alpha", "beta", "gamma", "delta", "echo"] as const;
const CATEGORIES = ["reconcile_failed", "health_critical", "health_degraded"] as const;
type Category = (typeof CATEGORIES)[number];
const RANK: Record<string, number> = { critical: 3, warning: 2, info: 1, high: 3, medium: 2, low: 1 };
/** Spec 22 §2 taxonomy: severity and confidence of each category. */
const TAXONOMY: Record<Category, { severity: string; confidence: string }> = {
  reconcile_failed: { severity: "critical", confidence: "high" },
  health_critical: { severity: "critical", confidence: "high" },
  health_degraded: { severity: "warning", confidence: "medium" },
};
const NOW = new Date("2026-06-01T12:00:00Z");

/** Spec 22 §6.2, restated: the canary bucket of a loop. */
function bucket(loopId: string, salt: string): number {
  let h = 17;
  for (const c of Array.from(`${loopId}|${salt}`)) h = (h * 31 + (c.codePointAt(0) as number)) % 1000003;
  return h % 100;
}

const mostly = <T>(usual: T, other: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(usual), weight: 3 }, { arbitrary: other, weight: 1 });

const settingsArb = fc.record({
  mode: mostly("guarded_auto", fc.constant("advisory")),
  suppressions: fc.dictionary(fc.constantFrom("*", ...LOOPS), fc.subarray([...CATEGORIES]), { maxKeys: 2 }),
  categories: mostly<Category[]>(["reconcile_failed", "health_critical"], fc.subarray([...CATEGORIES])),
  intents: mostly(["cancel"], fc.constant([] as string[])),
  minSeverity: fc.constantFrom("critical", "warning", "info"),
  minConfidence: fc.constantFrom("high", "medium", "low"),
  maxActionsPerRun: fc.integer({ min: 0, max: 4 }),
  maxActionsPerLoop: fc.integer({ min: 0, max: 2 }),
  killSwitch: mostly(false, fc.constant(true)),
  canaryPercent: mostly(100, fc.integer({ min: 0, max: 100 })),
  scope: mostly([] as string[], fc.subarray([...LOOPS], { minLength: 1 })),
  salt: fc.constantFrom("fleet-autonomous-rollout-v1", "cohort-x"),
  pauseManual: mostly(false, fc.constant(true)),
});
type Settings = typeof settingsArb extends fc.Arbitrary<infer T> ? T : never;

const resultsArb = fc.uniqueArray(
  fc.record({
    loopId: fc.constantFrom(...LOOPS),
    status: fc.constantFrom("success", "failed"),
    healthStatus: fc.constantFrom("healthy", "degraded", "critical"),
  }),
  { selector: (result) => result.loopId, maxLength: LOOPS.length },
);

function registry(settings: Settings) {
  return {
    schemaVersion: "v1",
    fleetId: "chain",
    loops: LOOPS.map((loopId) => ({ loopId })),
    policy: {
      mode: settings.mode,
      suppressions: settings.suppressions,
      noiseControls: { dedupeWindowSeconds: 300 },
      autonomous: {
        allow: { categories: settings.categories, intents: settings.intents },
        thresholds: { minSeverity: settings.minSeverity, minConfidence: settings.minConfidence },
        safety: {
          maxActionsPerRun: settings.maxActionsPerRun,
          maxActionsPerLoop: settings.maxActionsPerLoop,
          cooldownSeconds: 300,
          killSwitch: settings.killSwitch,
        },
        governance: {
          actor: "oncall-a",
          approvalRef: "CHG-1",
          rationale: "property",
          changedAt: "2026-05-01T00:00:00Z",
          reviewBy: "2026-09-01T00:00:00Z",
        },
        rollout: {
          canaryPercent: settings.canaryPercent,
          scope: { loopIds: settings.scope },
          selector: { salt: settings.salt },
          pause: { manual: settings.pauseManual },
        },
      },
    },
  };
}

/** Every gate a dispatched candidate must have passed, from the registry settings alone. */
function passesEveryGate(settings: Settings, loopId: string, category: Category): boolean {
  const suppressed = (settings.suppressions[loopId] ?? settings.suppressions["*"] ?? []).includes(category);
  const { severity, confidence } = TAXONOMY[category];
  return (
    settings.mode === "guarded_auto" &&
    !suppressed &&
    settings.categories.includes(category) &&
    settings.intents.includes("cancel") &&
    (RANK[severity] ?? 0) >= (RANK[settings.minSeverity] ?? 0) &&
    (RANK[confidence] ?? 0) >= (RANK[settings.minConfidence] ?? 0) &&
    !settings.killSwitch &&
    !settings.pauseManual &&
    (settings.scope.length === 0 || settings.scope.includes(loopId)) &&
    bucket(loopId, settings.salt) < settings.canaryPercent
  );
}

describe("registry settings → fleet policy → autonomous handoff (property)", () => {
  it("dispatches only candidates that pass every gate, within the per-run and per-loop caps", async () => {
    const dir = makeTempDir("autonomy-chain-");
    let runs = 0;
    let dispatchedTotal = 0;
    try {
      await fc.assert(
        fc.asyncProperty(settingsArb, resultsArb, async (settings, results) => {
          runs += 1;
          const repo = path.join(dir.path, `r${runs}`);
          const fleet = fleetPaths(repo);
          mkdirSync(fleet.dir, { recursive: true });
          writeFileSync(fleet.registry, JSON.stringify(registry(settings)));
          writeFileSync(
            fleet.state,
            JSON.stringify({
              schemaVersion: "v1",
              fleetId: "chain",
              traceId: "chain-1",
              results: results.map((result) => ({ ...result, traceId: `chain-1-${result.loopId}` })),
            }),
          );
          const ctx = { env: { USER: "ops" }, cwd: repo, clock: { now: () => NOW } };
          await fleetPolicy({ repo }, ctx);

          const dispatched: HandoffControlRequest[] = [];
          const handoff = await fleetHandoff(
            { repo, autonomousExecute: true },
            {
              ...ctx,
              control: async (request) => {
                dispatched.push(request);
                return { exitCode: 0, stdout: JSON.stringify({ status: "confirmed", confirmed: true }) };
              },
            },
          ).then(
            (document) => ({ ok: true as const, document }),
            (error: unknown) => ({ ok: false as const, error: String(error) }),
          );
          if (settings.mode !== "guarded_auto") {
            expect(handoff).toMatchObject({ ok: false });
            expect(String(!handoff.ok && handoff.error)).toContain(
              "--autonomous-execute requires policy mode guarded_auto",
            );
          } else {
            expect(handoff.ok).toBe(true);
          }
          dispatchedTotal += dispatched.length;

          expect(dispatched.length).toBeLessThanOrEqual(settings.maxActionsPerRun);
          const perLoop = new Map<string, number>();
          for (const request of dispatched) {
            perLoop.set(request.loopId, (perLoop.get(request.loopId) ?? 0) + 1);
            const intent =
              handoff.ok === true
                ? handoff.document.intents.find((entry) => entry.idempotencyKey === request.idempotencyKey)
                : undefined;
            const category = intent?.category as Category | undefined;
            expect(category).toBeDefined();
            expect(passesEveryGate(settings, request.loopId, category as Category)).toBe(true);
          }
          for (const count of perLoop.values()) expect(count).toBeLessThanOrEqual(settings.maxActionsPerLoop);
        }),
        { numRuns: 80, seed: 20261122 },
      );
      // Not vacuous: the generated settings do let clean candidates through in some runs.
      expect(dispatchedTotal).toBeGreaterThan(0);
    } finally {
      dir.cleanup();
    }
  }, 120_000);
});
