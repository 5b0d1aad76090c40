// Property (spec 24 §6, §10): for arbitrary policy candidates (suppressed, manual-only, paused,
// kill-switched, over-cap, ineligible, retry-guarded …) and arbitrary flag combinations,
// `--autonomous-execute` never dispatches a control for an intent that is not autonomous-eligible,
// and nothing is dispatched without `--execute --confirm` or autonomous eligibility. A recording
// control function counts every dispatch; the files are real (one temp repo per property run).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { makeTempDir } from "@ops/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FleetHandoffInput, fleetHandoff, type HandoffControlRequest } from "./fleet-handoff.js";

const LOOPS = ["alpha", "beta", "gamma", "delta"] as const;
const CATEGORIES = ["reconcile_failed", "health_critical", "health_degraded", null] as const;
const GATING = [
  "candidate_suppressed",
  "policy_mode_not_guarded_auto",
  "autonomous_rollout_paused_manual",
  "autonomous_rollout_paused_auto",
  "autonomous_kill_switch_enabled",
  "autonomous_max_actions_per_run_exceeded",
  "autonomous_max_actions_per_loop_exceeded",
  "autonomous_cooldown_active",
  "autonomous_rollout_canary_excluded",
  "category_not_allowlisted",
] as const;
const STATUSES = [
  "pending_operator_confirmation",
  "executed",
  "execution_ambiguous",
  "execution_failed",
] as const;

const candidateArb = fc.record({
  loopId: fc.constantFrom(...LOOPS),
  category: fc.constantFrom(...CATEGORIES),
  recommendedIntent: fc.constantFrom("cancel", null),
  suppressed: fc.constantFrom(true, false, undefined, "true"),
  autonomous: fc.option(
    fc.record({
      eligible: fc.constantFrom(true, false, undefined, "true", 1),
      manualOnly: fc.constantFrom(true, false, undefined),
      reasons: fc.subarray([...GATING]),
    }),
    { nil: undefined },
  ),
});
type Candidate = typeof candidateArb extends fc.Arbitrary<infer T> ? T : never;

const previousArb = fc.array(
  fc.record({
    loopId: fc.constantFrom(...LOOPS),
    category: fc.constantFrom(...CATEGORIES),
    status: fc.constantFrom(...STATUSES),
    mode: fc.constantFrom("manual", "autonomous"),
    guarded: fc.constantFrom<string[]>(
      [],
      ["autonomous_retry_guard_ambiguous"],
      ["autonomous_retry_guard_failed"],
    ),
  }),
  { maxLength: 5 },
);

const flagsArb = fc.constantFrom<Partial<FleetHandoffInput>>(
  {},
  { execute: true },
  { execute: true, confirm: true, by: "alice" },
  { execute: true, confirm: true },
  { confirm: true },
  { autonomousExecute: true, by: "ops-manager" },
  { autonomousExecute: true, confirm: true },
  { autonomousExecute: true, execute: true, confirm: true },
);

function intentIdOf(loopId: string, category: string | null): string {
  return `${loopId}:${category ?? "unknown"}:cancel`;
}

/** The model: an intent exists for this candidate. */
function mapped(candidate: Candidate): boolean {
  return (
    candidate.suppressed !== true && (candidate.recommendedIntent !== null || candidate.category !== null)
  );
}

describe("autonomous dispatch safety (property)", () => {
  it("never dispatches an ineligible intent, nor anything without --execute --confirm or eligibility", async () => {
    const dir = makeTempDir("handoff-prop-");
    let runIndex = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(candidateArb, {
            maxLength: 8,
            selector: (candidate) => `${candidate.loopId}|${candidate.category}`,
          }),
          previousArb,
          fc.constantFrom("advisory", "guarded_auto"),
          fc.constantFrom("advisory", "guarded_auto"),
          flagsArb,
          async (candidates, previous, policyMode, registryMode, flags) => {
            runIndex += 1;
            const repo = path.join(dir.path, `r${runIndex}`);
            const fleet = fleetPaths(repo);
            mkdirSync(fleet.dir, { recursive: true });
            writeFileSync(
              fleet.registry,
              JSON.stringify({
                schemaVersion: "v1",
                loops: LOOPS.map((loopId) => ({ loopId })),
                policy: {
                  mode: registryMode,
                  autonomous: {
                    governance: {
                      actor: "a",
                      approvalRef: "b",
                      rationale: "c",
                      changedAt: "2026-01-01T00:00:00Z",
                      reviewBy: "2099-01-01T00:00:00Z",
                    },
                  },
                },
              }),
            );
            writeFileSync(
              fleet.policyState,
              JSON.stringify({
                schemaVersion: "v1",
                traceId: "fx-1",
                mode: policyMode,
                candidates: candidates.map((candidate) => ({
                  ...candidate,
                  candidateId: `${candidate.loopId}:${candidate.category ?? "unknown"}`,
                })),
              }),
            );
            writeFileSync(
              fleet.handoffState,
              JSON.stringify({
                intents: previous.map((entry) => ({
                  intentId: intentIdOf(entry.loopId, entry.category),
                  status: entry.status,
                  autonomous: { reasons: entry.guarded },
                  ...(entry.status === "pending_operator_confirmation"
                    ? {}
                    : { execution: { mode: entry.mode } }),
                })),
              }),
            );
            const dispatched: HandoffControlRequest[] = [];
            const outcome = await fleetHandoff(
              { repo, ...flags },
              {
                env: { USER: "env-user" },
                cwd: repo,
                control: async (request) => {
                  dispatched.push(request);
                  const exitCode = [0, 1, 2][dispatched.length % 3] as number;
                  return { exitCode, stdout: JSON.stringify({ status: "x", confirmed: exitCode === 0 }) };
                },
              },
            ).then(
              (document) => ({ ok: true as const, document }),
              (error: unknown) => ({ ok: false as const, error }),
            );

            const manual =
              flags.execute === true && flags.confirm === true && flags.autonomousExecute !== true;
            const autonomous =
              flags.autonomousExecute === true &&
              flags.execute !== true &&
              flags.confirm !== true &&
              policyMode === "guarded_auto" &&
              registryMode === "guarded_auto";
            if (!manual && !autonomous) {
              // Plan only, or rejected flags / mode: nothing is ever dispatched.
              expect(dispatched).toEqual([]);
              if (outcome.ok) expect(outcome.document.execution).toBeUndefined();
              return;
            }
            expect(outcome.ok).toBe(true);
            const intents = candidates.filter(mapped);
            if (manual) {
              expect(dispatched.map((request) => request.by)).toEqual(
                intents.map(() => flags.by ?? "env-user"),
              );
              expect(dispatched).toHaveLength(intents.length);
              return;
            }
            // Autonomous: exactly the eligible, unguarded intents.
            const guardedIds = new Set<string>();
            const cleared = new Set<string>();
            for (const entry of previous) {
              const id = intentIdOf(entry.loopId, entry.category);
              if (entry.status === "execution_ambiguous" || entry.status === "execution_failed") {
                guardedIds.add(id);
                cleared.delete(id);
              } else if (entry.status === "executed" && entry.mode === "manual") {
                guardedIds.delete(id);
                cleared.add(id);
              } else if (entry.guarded.length > 0) {
                guardedIds.add(id);
              }
            }
            const eligibleIds = intents
              .filter((candidate) => candidate.autonomous?.eligible === true)
              .map((candidate) => intentIdOf(candidate.loopId, candidate.category))
              .filter((id) => !guardedIds.has(id))
              .sort();
            const dispatchedIds = dispatched
              .map((request) => {
                const candidate = candidates.find(
                  (c) =>
                    request.idempotencyKey ===
                    `fleet-handoff-fx-1-${c.loopId}-${c.category ?? "unknown"}-cancel`,
                );
                expect(candidate).toBeDefined();
                // Never a suppressed or ineligible candidate.
                expect(candidate?.suppressed).not.toBe(true);
                expect(candidate?.autonomous?.eligible).toBe(true);
                return intentIdOf(request.loopId, candidate?.category ?? null);
              })
              .sort();
            expect(dispatchedIds).toEqual(eligibleIds);
            if (outcome.ok) {
              for (const result of outcome.document.execution?.results ?? []) {
                expect(result.autonomousEligible).toBe(true);
              }
            }
          },
        ),
        { numRuns: 120 },
      );
    } finally {
      await dir.cleanup();
    }
  }, 120_000);
});
