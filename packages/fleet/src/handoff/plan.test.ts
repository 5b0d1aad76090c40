// Pure parts of fleet handoff (spec 24 §3–§7): identity, mapping, retry guard, reason codes,
// target selection, results and the merge.
import type { NormalizedFleetLoop } from "@ops/contract";
import { ValidationError } from "@ops/contract";
import { describe, expect, it } from "vitest";
import {
  buildHandoffExecution,
  buildHandoffPlan,
  buildHandoffResult,
  handoffEffectiveNote,
  handoffIdempotencyKey,
  handoffReasonCodes,
  handoffRetryGuards,
  handoffSlug,
  mergeHandoffExecution,
  parseHandoffControlOutput,
  selectHandoffTargets,
  summarizeHandoff,
} from "./plan.js";
import {
  type HandoffIntent,
  type HandoffPolicyCandidate,
  type HandoffState,
  HandoffStateSchema,
} from "./schemas.js";

describe("slug / idempotency key (§3.2)", () => {
  it.each([
    ["Trace Fleet 1", "trace-fleet-1"],
    ["--loop--red--", "loop-red"],
    ["My Prefix", "my-prefix"],
    ["a.b_c", "a.b_c"],
    ["ÄBC", "bc"],
    ["x\u{1F600}y", "x-y"],
    ["---", ""],
    ["", ""],
  ])("slug(%j) = %j", (input, expected) => {
    expect(handoffSlug(input)).toBe(expected);
  });

  it("joins the slugs and drops empty ones", () => {
    expect(handoffIdempotencyKey("fleet-handoff", "fx-1", "beta", "health_critical", "cancel")).toBe(
      "fleet-handoff-fx-1-beta-health_critical-cancel",
    );
    expect(handoffIdempotencyKey("My Prefix", "Trace Fleet 1", "alpha", null, "cancel")).toBe(
      "my-prefix-trace-fleet-1-alpha-unknown-cancel",
    );
    expect(handoffIdempotencyKey("---", "", "a", "reconcile_failed", "cancel")).toBe(
      "a-reconcile_failed-cancel",
    );
  });
});

function loop(loopId: string, extra: Partial<NormalizedFleetLoop> = {}): NormalizedFleetLoop {
  return {
    loopId,
    enabled: true,
    transport: "local",
    sprite: {},
    service: { retryAttempts: 3, retryBackoffSeconds: 1 },
    metadata: {},
    ...extra,
  };
}

function candidate(loopId: string, category: string, extra: Partial<HandoffPolicyCandidate> = {}) {
  return {
    loopId,
    category,
    signal: category,
    traceId: `fx-1-${loopId}`,
    candidateId: `${loopId}:${category}`,
    severity: "critical",
    confidence: "high",
    rationale: "Loop health is critical",
    recommendedIntent: "cancel",
    suppressed: false,
    autonomous: { eligible: true, manualOnly: false, reasons: [] },
    ...extra,
  } satisfies HandoffPolicyCandidate;
}

describe("intent mapping (§3.1, §3.3)", () => {
  it("maps unsuppressed candidates, sorted, with identity, autonomy, transport and service", () => {
    const plan = buildHandoffPlan({
      policy: {
        traceId: "fx-1",
        candidates: [
          candidate("beta", "health_critical", { autonomous: { eligible: false, reasons: ["x"] } }),
          candidate("alpha", "reconcile_failed", {
            recommendedIntent: null,
            candidateId: null,
            traceId: null,
          }),
          candidate("alpha", "health_critical"),
          candidate("gamma", "health_degraded", { suppressed: true }),
          candidate("delta", "weird", { recommendedIntent: null }),
        ],
      },
      loops: [
        loop("alpha", { metadata: { team: "a" } }),
        loop("beta", {
          transport: "sprite_service",
          service: {
            baseUrl: "http://127.0.0.1:1",
            tokenEnv: "BETA",
            retryAttempts: 2,
            retryBackoffSeconds: 0,
          },
        }),
      ],
      previous: null,
      traceId: "fx-1",
      idempotencyPrefix: "fleet-handoff",
    });
    expect(plan.candidateCount).toBe(5);
    expect(plan.unsuppressedCandidateCount).toBe(4);
    expect(plan.intents.map((intent) => intent.intentId)).toEqual([
      "alpha:health_critical:cancel",
      "alpha:reconcile_failed:cancel",
      "beta:health_critical:cancel",
    ]);
    const [first, second, third] = plan.intents as [HandoffIntent, HandoffIntent, HandoffIntent];
    expect(Object.keys(first)).toEqual([
      "intentId",
      "candidateId",
      "loopId",
      "category",
      "severity",
      "confidence",
      "rationale",
      "signal",
      "intent",
      "recommendedIntent",
      "status",
      "requiresOperatorConfirmation",
      "fleetTraceId",
      "policyTraceId",
      "candidateTraceId",
      "autonomous",
      "idempotencyKey",
      "transport",
      "service",
      "metadata",
    ]);
    expect(first).toMatchObject({
      status: "pending_operator_confirmation",
      autonomous: { eligible: true, manualOnly: false, reasons: [] },
      idempotencyKey: "fleet-handoff-fx-1-alpha-health_critical-cancel",
      transport: "local",
      service: { retryAttempts: 3, retryBackoffSeconds: 1 },
      metadata: { team: "a" },
    });
    // Category fallback: no recommendedIntent key, candidateId derived, no candidateTraceId.
    expect(second.recommendedIntent).toBeUndefined();
    expect(second.candidateTraceId).toBeUndefined();
    expect(second.candidateId).toBe("alpha:reconcile_failed");
    expect(third).toMatchObject({
      transport: "sprite_service",
      service: { baseUrl: "http://127.0.0.1:1", tokenEnv: "BETA", retryAttempts: 2, retryBackoffSeconds: 0 },
      autonomous: { eligible: false, manualOnly: true, reasons: ["x"] },
    });
    const summary = summarizeHandoff(plan.intents, plan);
    expect(summary).toEqual({
      candidateCount: 5,
      unsuppressedCandidateCount: 4,
      intentCount: 3,
      autoEligibleIntentCount: 2,
      manualOnlyIntentCount: 1,
      pendingConfirmationCount: 3,
      executedCount: 0,
      ambiguousCount: 0,
      failedCount: 0,
    });
    expect(handoffReasonCodes(summary, plan.intents)).toEqual([
      "fleet_handoff_action_required",
      "fleet_handoff_auto_eligible_intents",
      "fleet_handoff_confirmation_pending",
      "fleet_handoff_partial_mapping",
    ]);
  });

  it("no unsuppressed mappable candidate → no_action + unmapped", () => {
    const plan = buildHandoffPlan({
      policy: { candidates: [candidate("a", "other", { recommendedIntent: null })] },
      loops: [],
      previous: null,
      traceId: "t",
      idempotencyPrefix: "p",
    });
    const summary = summarizeHandoff(plan.intents, plan);
    expect(handoffReasonCodes(summary, plan.intents)).toEqual([
      "fleet_handoff_no_action",
      "fleet_handoff_partial_mapping",
      "fleet_handoff_unmapped_candidates",
    ]);
  });
});

describe("retry guard (§3.4, sticky — careful Q3)", () => {
  it("guards ambiguous/failed, carries a previous guard, clears on a manual execution", () => {
    const guards = handoffRetryGuards({
      intents: [
        { intentId: "a:c:cancel", status: "execution_ambiguous" },
        { intentId: "b:c:cancel", status: "execution_failed", execution: { mode: "manual" } },
        {
          intentId: "c:c:cancel",
          status: "pending_operator_confirmation",
          autonomous: { reasons: ["autonomous_retry_guard_failed", "other"] },
        },
        {
          intentId: "d:c:cancel",
          status: "executed",
          execution: { mode: "manual" },
          autonomous: { reasons: ["autonomous_retry_guard_ambiguous"] },
        },
        { intentId: "e:c:cancel", status: "executed", execution: { mode: "autonomous" } },
      ],
    });
    expect(Object.fromEntries(guards)).toEqual({
      "a:c:cancel": ["autonomous_retry_guard_ambiguous"],
      "b:c:cancel": ["autonomous_retry_guard_failed"],
      "c:c:cancel": ["autonomous_retry_guard_failed"],
    });
  });

  it("a guarded intent is manual-only with sorted unique reasons and the retry_guarded code", () => {
    const plan = buildHandoffPlan({
      policy: {
        candidates: [candidate("a", "health_critical", { autonomous: { eligible: true, reasons: ["z"] } })],
      },
      loops: [],
      previous: { intents: [{ intentId: "a:health_critical:cancel", status: "execution_ambiguous" }] },
      traceId: "t",
      idempotencyPrefix: "p",
    });
    expect(plan.intents[0]?.autonomous).toEqual({
      eligible: false,
      manualOnly: true,
      reasons: ["autonomous_retry_guard_ambiguous", "z"],
    });
    const summary = summarizeHandoff(plan.intents, plan);
    expect(handoffReasonCodes(summary, plan.intents)).toContain("fleet_handoff_retry_guarded");
  });
});

function planState(intents: HandoffIntent[]): HandoffState {
  const counts = { candidateCount: intents.length, unsuppressedCandidateCount: intents.length };
  const summary = summarizeHandoff(intents, counts);
  return HandoffStateSchema.parse({
    schemaVersion: "v1",
    generatedAt: "2026-03-02T10:06:00Z",
    updatedAt: "2026-03-02T10:06:00Z",
    fleetId: "f",
    traceId: "fx-1",
    policyTraceId: "fx-1",
    mode: "guarded_auto",
    source: { registryFile: "r", policyStateFile: "p" },
    control: { idempotencyPrefix: "fleet-handoff", requiresOperatorConfirmation: true },
    intents,
    summary,
    reasonCodes: handoffReasonCodes(summary, intents),
  });
}

describe("targets, results, merge (§6–§7)", () => {
  const plan = buildHandoffPlan({
    policy: {
      candidates: [
        candidate("alpha", "health_critical"),
        candidate("beta", "health_critical", {
          autonomous: { eligible: false, reasons: ["autonomous_kill_switch_enabled"] },
        }),
      ],
    },
    loops: [],
    previous: null,
    traceId: "fx-1",
    idempotencyPrefix: "fleet-handoff",
  });

  it("pools and filters; unknown filter values are rejected, all listed (careful Q1)", () => {
    expect(selectHandoffTargets(plan.intents, "manual", [], []).map((i) => i.loopId)).toEqual([
      "alpha",
      "beta",
    ]);
    expect(selectHandoffTargets(plan.intents, "autonomous", [], []).map((i) => i.loopId)).toEqual(["alpha"]);
    expect(selectHandoffTargets(plan.intents, "manual", ["beta"], []).map((i) => i.loopId)).toEqual(["beta"]);
    const error = (() => {
      try {
        selectHandoffTargets(plan.intents, "autonomous", ["beta", "zeta", "alpha", "zeta"], []);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe("loop filter not found in autonomous execution intents: beta,zeta");
    expect(() =>
      selectHandoffTargets(plan.intents, "manual", [], ["alpha:health_critical:cancel", "nope"]),
    ).toThrow("intent filter not found in manual execution intents: nope");
    // Loops are checked before intent ids.
    expect(() => selectHandoffTargets(plan.intents, "manual", ["x"], ["y"])).toThrow(/^loop filter/);
    // Both filters intersect.
    expect(selectHandoffTargets(plan.intents, "manual", ["alpha"], ["beta:health_critical:cancel"])).toEqual(
      [],
    );
  });

  it("effective note", () => {
    expect(handoffEffectiveNote(null, "manual", "a:b:cancel")).toBe("fleet_handoff:manual:a:b:cancel");
    expect(handoffEffectiveNote("incident-9", "autonomous", "a:b:cancel")).toBe(
      "incident-9 | fleet_handoff:autonomous:a:b:cancel",
    );
  });

  it("results map exit codes, merge recomputes summary and reason codes, booleans kept (careful Q4)", () => {
    const [alpha, beta] = plan.intents as [HandoffIntent, HandoffIntent];
    const facts = (intent: HandoffIntent) => ({
      mode: "manual" as const,
      traceId: "fx-1",
      idempotencyKey: intent.idempotencyKey,
      requestedBy: "alice",
      executedAt: "2026-03-02T10:06:02Z",
    });
    const ok = buildHandoffResult(alpha, facts(alpha), {
      kind: "control",
      exitCode: 0,
      control: { status: "confirmed", confirmed: true },
    });
    const amb = buildHandoffResult(beta, facts(beta), {
      kind: "control",
      exitCode: 2,
      control: { status: "ambiguous", confirmed: false },
    });
    expect(ok).toMatchObject({ status: "executed", reasonCode: "control_confirmed", controlExitCode: 0 });
    expect(amb).toMatchObject({
      status: "ambiguous",
      reasonCode: "control_ambiguous",
      autonomousEligible: false,
    });
    expect(
      buildHandoffResult(beta, facts(beta), { kind: "control", exitCode: 7, control: null }),
    ).not.toHaveProperty("control");
    expect(
      buildHandoffResult(beta, facts(beta), { kind: "precheck", reasonCode: "missing_service_base_url" }),
    ).toMatchObject({
      status: "failed",
      controlExitCode: 1,
    });
    const execution = buildHandoffExecution(
      {
        mode: "manual",
        requestedBy: "alice",
        requestedAt: "2026-03-02T10:06:01Z",
        completedAt: "2026-03-02T10:06:04Z",
        note: null,
      },
      [ok, amb],
    );
    expect(execution).toMatchObject({
      note: null,
      requestedIntentCount: 2,
      executedCount: 1,
      ambiguousCount: 1,
    });
    const merged = HandoffStateSchema.parse(mergeHandoffExecution(planState(plan.intents), execution));
    expect(merged.updatedAt).toBe("2026-03-02T10:06:04Z");
    expect(merged.intents[1]?.execution).toEqual({
      mode: "manual",
      executedAt: "2026-03-02T10:06:02Z",
      requestedBy: "alice",
      status: "ambiguous",
      reasonCode: "control_ambiguous",
      traceId: "fx-1",
      idempotencyKey: beta.idempotencyKey,
      autonomousEligible: false,
      controlExitCode: 2,
      controlStatus: "ambiguous",
      confirmed: false,
    });
    expect(merged.summary).toMatchObject({
      executedCount: 1,
      ambiguousCount: 1,
      pendingConfirmationCount: 0,
    });
    expect(merged.reasonCodes).toEqual([
      "fleet_handoff_action_required",
      "fleet_handoff_auto_eligible_intents",
      "fleet_handoff_executed",
      "fleet_handoff_execution_ambiguous",
    ]);
    expect(Object.keys(merged).at(-1)).toBe("execution");
  });

  it("control output: whole JSON, else the last JSON line of stdout (careful Q9)", () => {
    expect(parseHandoffControlOutput('{"status":"confirmed"}')).toEqual({ status: "confirmed" });
    expect(parseHandoffControlOutput('warning: x\n{"status":"ambiguous"}\n')).toEqual({
      status: "ambiguous",
    });
    expect(parseHandoffControlOutput('{"a":1}\n{"b":2}\nnot json')).toEqual({ b: 2 });
    expect(parseHandoffControlOutput("error: boom")).toBeNull();
    expect(parseHandoffControlOutput("[1]")).toBeNull();
  });
});
