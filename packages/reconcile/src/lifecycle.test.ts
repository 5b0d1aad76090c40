import type { JsonObject } from "@ops/contract";
import { describe, expect, it } from "vitest";
import { ACTIVE_PHASE_EVENT_NAMES, type ProjectLifecycleInput, projectLifecycle } from "./lifecycle.js";
import { LifecycleProjectionSchema, LoopStateFileSchema } from "./schemas.js";

const NOW = "2026-02-22T10:05:01Z";
const LOOP = "demo-loop";

const GATES = {
  tests: "ok",
  validation: "ok",
  prerequisites: "ok",
  checklist: "ok",
  evidence: "ok",
  approval: "pending",
};

/** A snapshot envelope like spec 12 §3.5's example; `patch` replaces top-level sections. */
function snapshot(patch: JsonObject = {}): JsonObject {
  return {
    schemaVersion: "v1",
    envelopeType: "loop_run_snapshot",
    emittedAt: "2026-02-22T10:05:00Z",
    traceId: null,
    source: { repoPath: "/elsewhere/repo", loopId: LOOP },
    run: {
      runId: "run-999",
      iteration: 5,
      status: "awaiting_approval",
      summary: { run_id: "run-999", iteration: 5, completion_ok: true },
    },
    runtime: {
      superloopState: { active: true, current_loop_id: LOOP },
      activeRun: null,
      approval: { status: "pending" },
      heartbeat: null,
    },
    cursor: { eventLineOffset: 40, eventLineCount: 40 },
    health: {
      eventCount: 40,
      lastEventAt: "2026-02-22T10:05:00Z",
      lastEventName: "approval_wait",
      lastSummaryAt: "2026-02-22T10:04:00Z",
      hasPendingApproval: true,
      gates: GATES,
      stuck: { streak: 0, threshold: 3 },
    },
    ...patch,
  };
}

function eventEnvelope(name: string, line = 41): JsonObject {
  return {
    schemaVersion: "v1",
    envelopeType: "loop_run_event",
    emittedAt: NOW,
    traceId: null,
    source: { repoPath: "/srv/repo", loopId: LOOP },
    sequence: { source: "cursor_event_line_offset", value: line },
    cursor: { eventLineOffset: line, eventLineCount: line },
    run: { runId: "run-999", iteration: 5 },
    event: {
      timestamp: "2026-02-22T10:05:00Z",
      name,
      role: null,
      status: null,
      message: null,
      payload: null,
      raw: { event: name },
    },
  };
}

function project(patch: Partial<ProjectLifecycleInput> = {}) {
  const document = projectLifecycle({
    snapshot: snapshot(),
    events: { count: 0, last: null },
    previous: {},
    repoPath: "/srv/repo",
    loopId: LOOP,
    snapshotFile: "/srv/repo/.superloop/ops-manager/demo-loop/snapshot.json",
    eventsFile: null,
    now: NOW,
    ...patch,
  });
  // Every document the projection produces is a valid state.json.
  LifecycleProjectionSchema.parse(document);
  return document;
}

/** A snapshot that is not in conflict: running, no approval, no completion. */
function calmSnapshot(patch: JsonObject = {}): JsonObject {
  const base = snapshot();
  return {
    ...base,
    run: { runId: "run-1", iteration: 2, status: "running", summary: { completion_ok: false } },
    runtime: { superloopState: { active: true, current_loop_id: LOOP }, activeRun: null, approval: null },
    ...patch,
  };
}

describe("projectLifecycle: the spec 12 §3.5 example", () => {
  it("reproduces the example document field by field", () => {
    const document = project({ previous: { transition: { currentState: "running" } } });
    expect(document).toEqual({
      schemaVersion: "v1",
      generatedAt: "2026-02-22T10:05:01Z",
      source: { repoPath: "/srv/repo", loopId: "demo-loop" },
      run: { runId: "run-999", iteration: 5 },
      transition: {
        previousState: "running",
        triggeringSignal: "snapshot_status:awaiting_approval",
        currentState: "awaiting_approval",
        confidence: "low",
      },
      projection: {
        status: "awaiting_approval",
        hasPendingApproval: true,
        completionOk: true,
        gates: GATES,
        stuck: { streak: 0, threshold: 3 },
        active: true,
        lastEventName: "approval_wait",
        lastEventAt: "2026-02-22T10:05:00Z",
      },
      cursor: { eventLineOffset: 40, eventLineCount: 40 },
      divergence: {
        any: true,
        flags: { activeMismatch: false, approvalCompletionConflict: true, cursorRegression: false },
      },
      evidence: {
        snapshotFile: "/srv/repo/.superloop/ops-manager/demo-loop/snapshot.json",
        eventsFile: null,
        snapshotEnvelope: {
          runStatus: "awaiting_approval",
          lastEventName: "approval_wait",
          hasPendingApproval: true,
        },
        lastEventEnvelope: null,
      },
    });
    // Key order follows the spec table (the file is compared by humans and diff tools).
    expect(Object.keys(document)).toEqual([
      "schemaVersion",
      "generatedAt",
      "source",
      "run",
      "transition",
      "projection",
      "cursor",
      "divergence",
      "evidence",
    ]);
  });

  it("formats a Date `now` as a whole-second UTC timestamp", () => {
    expect(project({ now: new Date("2026-02-22T10:05:01.987Z") }).generatedAt).toBe("2026-02-22T10:05:01Z");
  });
});

describe("projectLifecycle: §3.1 inputs and defaults", () => {
  it("an empty snapshot yields the documented defaults", () => {
    const document = project({ snapshot: { schemaVersion: "v1", envelopeType: "loop_run_snapshot" } });
    expect(document.run).toEqual({ runId: "unknown", iteration: 0 });
    expect(document.transition.currentState).toBe("unknown");
    expect(document.transition.triggeringSignal).toBe("snapshot_status:unknown");
    expect(document.projection).toEqual({
      status: "unknown",
      hasPendingApproval: false,
      completionOk: false,
      gates: null,
      stuck: null,
      active: null,
      lastEventName: null,
      lastEventAt: null,
    });
    expect(document.cursor).toEqual({ eventLineOffset: 0, eventLineCount: 0 });
    expect(document.evidence.snapshotEnvelope).toEqual({
      runStatus: "unknown",
      lastEventName: null,
      hasPendingApproval: false,
    });
  });

  it("copies run.status without re-evaluating the lifecycle table", () => {
    // The runtime state says running, but project-state trusts the snapshot's status.
    const document = project({
      snapshot: calmSnapshot({ run: { runId: "r", iteration: 1, status: "stopped" } }),
    });
    expect(document.transition.currentState).toBe("stopped");
    expect(document.projection.status).toBe("stopped");
  });

  it("an unrecognised run.status projects as unknown; the evidence keeps the verbatim value", () => {
    const document = project({
      snapshot: calmSnapshot({ run: { runId: "r", iteration: 1, status: "paused" } }),
    });
    expect(document.transition.currentState).toBe("unknown");
    expect(document.evidence.snapshotEnvelope.runStatus).toBe("paused");
  });

  it("iteration: integers and digit strings are taken, anything else is 0", () => {
    const withIteration = (iteration: unknown) =>
      project({ snapshot: calmSnapshot({ run: { runId: "r", iteration, status: "running" } }) }).run
        .iteration;
    expect(withIteration(7)).toBe(7);
    expect(withIteration("12")).toBe(12);
    expect(withIteration(-1)).toBe(0);
    expect(withIteration(1.5)).toBe(0);
    expect(withIteration("x")).toBe(0);
    expect(withIteration(null)).toBe(0);
  });

  it("previous state: currentState and cursor carried over; anything unusable counts as {}", () => {
    expect(project({ previous: {} }).transition.previousState).toBe("none");
    expect(project({ previous: null }).transition.previousState).toBe("none");
    expect(project({ previous: "garbage" }).transition.previousState).toBe("none");
    expect(project({ previous: [1, 2] }).transition.previousState).toBe("none");
    expect(project({ previous: { transition: { currentState: "" } } }).transition.previousState).toBe("none");
    expect(project({ previous: { transition: { currentState: "idle" } } }).transition.previousState).toBe(
      "idle",
    );
  });

  it("gates/stuck pass through verbatim (including the runtime's lifecycle gate), non-objects become null", () => {
    const gates = { ...GATES, lifecycle: "ok" };
    const withHealth = (health: JsonObject) => project({ snapshot: calmSnapshot({ health }) }).projection;
    expect(withHealth({ gates, stuck: { streak: 1, threshold: 3 } })).toMatchObject({
      gates,
      stuck: { streak: 1, threshold: 3 },
    });
    expect(withHealth({ gates: "ok", stuck: [] })).toMatchObject({ gates: null, stuck: null });
  });
});

describe("projectLifecycle: §3.2 triggering signal and Q12-5", () => {
  it("event:<last batch event> when the batch had events, otherwise snapshot_status:<state>", () => {
    const withEvents = project({
      snapshot: calmSnapshot(),
      events: { count: 3, last: eventEnvelope("role_end") },
    });
    expect(withEvents.transition.triggeringSignal).toBe("event:role_end");
    expect(withEvents.evidence.lastEventEnvelope).toEqual(eventEnvelope("role_end"));
    expect(project({ snapshot: calmSnapshot() }).transition.triggeringSignal).toBe("snapshot_status:running");
  });

  it("accepts the batch as an array of envelopes (last one wins)", () => {
    const document = project({
      snapshot: calmSnapshot(),
      events: [eventEnvelope("iteration_start", 1), eventEnvelope("role_start", 2)],
    });
    expect(document.transition.triggeringSignal).toBe("event:role_start");
    expect(document.evidence.lastEventEnvelope).toEqual(eventEnvelope("role_start", 2));
    expect(project({ snapshot: calmSnapshot(), events: [] }).transition.confidence).toBe("medium");
  });

  it("Q12-5: triggeringSignal uses the batch, projection.lastEventName the final line of the log", () => {
    const document = project({
      snapshot: calmSnapshot(),
      events: { count: 1, last: eventEnvelope("role_start") },
    });
    expect(document.transition.triggeringSignal).toBe("event:role_start");
    expect(document.projection.lastEventName).toBe("approval_wait");
    expect(document.evidence.snapshotEnvelope.lastEventName).toBe("approval_wait");
  });
});

describe("projectLifecycle: §3.3 divergence flags and §3.4 confidence", () => {
  const inactive = (superloopState: unknown) =>
    calmSnapshot({
      run: { runId: "r", iteration: 2, status: "idle", summary: { completion_ok: false } },
      runtime: { superloopState, activeRun: null, approval: null },
    });

  it("activeMismatch: explicit active:false plus an active-phase batch event", () => {
    for (const name of ACTIVE_PHASE_EVENT_NAMES) {
      const document = project({
        snapshot: inactive({ active: false }),
        events: { count: 1, last: eventEnvelope(name) },
      });
      expect(document.divergence.flags.activeMismatch).toBe(true);
      expect(document.divergence.any).toBe(true);
      expect(document.transition.confidence).toBe("low");
    }
    // Not an active-phase event, or no batch at all: no mismatch.
    for (const events of [
      { count: 1, last: eventEnvelope("gates_evaluated") },
      { count: 0, last: null },
    ]) {
      expect(project({ snapshot: inactive({ active: false }), events }).divergence.flags.activeMismatch).toBe(
        false,
      );
    }
    // Active runtime: no mismatch.
    expect(
      project({ snapshot: calmSnapshot(), events: { count: 1, last: eventEnvelope("role_start") } })
        .divergence.flags.activeMismatch,
    ).toBe(false);
  });

  it("Q12-1 careful (default): a missing runtime state or a missing `active` is not a mismatch", () => {
    const events = { count: 1, last: eventEnvelope("role_start") };
    expect(project({ snapshot: inactive(null), events }).divergence.flags.activeMismatch).toBe(false);
    expect(
      project({ snapshot: inactive({ current_loop_id: LOOP }), events }).divergence.flags.activeMismatch,
    ).toBe(false);
    expect(project({ snapshot: inactive({ active: "false" }), events }).divergence.flags.activeMismatch).toBe(
      false,
    );
  });

  it("Q12-1 parity (opt-in): anything but active:true counts as inactive", () => {
    const events = { count: 1, last: eventEnvelope("role_start") };
    const quirks = { activeMismatchRequiresExplicitFalse: false };
    expect(project({ snapshot: inactive(null), events, quirks }).divergence.flags.activeMismatch).toBe(true);
    expect(project({ snapshot: inactive({}), events, quirks }).divergence.flags.activeMismatch).toBe(true);
    expect(project({ snapshot: calmSnapshot(), events, quirks }).divergence.flags.activeMismatch).toBe(false);
  });

  it("approvalCompletionConflict: pending approval and completion_ok true", () => {
    const withRun = (approval: unknown, completion: unknown) =>
      project({
        snapshot: calmSnapshot({
          run: {
            runId: "r",
            iteration: 1,
            status: "awaiting_approval",
            summary: { completion_ok: completion },
          },
          runtime: { superloopState: null, activeRun: null, approval },
        }),
      });
    expect(withRun({ status: "pending" }, true).divergence.flags.approvalCompletionConflict).toBe(true);
    expect(withRun({ status: "approved" }, true).divergence.flags.approvalCompletionConflict).toBe(false);
    expect(withRun({ status: "pending" }, false).divergence.flags.approvalCompletionConflict).toBe(false);
    expect(withRun(null, true).divergence.flags.approvalCompletionConflict).toBe(false);
  });

  it('Q12-6 careful: only true / "true" are completion; other values are false instead of aborting', () => {
    const completionOk = (value: unknown) =>
      project({
        snapshot: calmSnapshot({
          run: { runId: "r", iteration: 1, status: "running", summary: { completion_ok: value } },
        }),
      }).projection.completionOk;
    expect(completionOk(true)).toBe(true);
    expect(completionOk("true")).toBe(true);
    for (const value of ["yes", "false", false, 1, null, undefined, {}, []])
      expect(completionOk(value)).toBe(false);
    expect(
      project({
        snapshot: calmSnapshot({ run: { runId: "r", iteration: 1, status: "running", summary: null } }),
      }).projection.completionOk,
    ).toBe(false);
  });

  it("cursorRegression: previous snapshot offset greater than the current one", () => {
    const at = (offset: unknown, previousOffset: unknown) =>
      project({
        snapshot: calmSnapshot({ cursor: { eventLineOffset: offset, eventLineCount: offset } }),
        previous: { cursor: { eventLineOffset: previousOffset } },
      }).divergence.flags.cursorRegression;
    expect(at(10, 12)).toBe(true);
    expect(at(0, 1)).toBe(true);
    expect(at(10, 10)).toBe(false);
    expect(at(12, 10)).toBe(false);
    // Not both non-negative integers: no verdict.
    expect(at(10, "12")).toBe(false);
    expect(at(10, 12.5)).toBe(false);
    expect(at(-1, 12)).toBe(false);
    expect(at(10, null)).toBe(false);
    expect(project({ snapshot: calmSnapshot(), previous: {} }).divergence.flags.cursorRegression).toBe(false);
  });

  it("confidence: low on divergence, medium without events, high with events", () => {
    expect(project({ snapshot: calmSnapshot() }).transition.confidence).toBe("medium");
    expect(
      project({ snapshot: calmSnapshot(), events: { count: 2, last: eventEnvelope("role_end") } }).transition
        .confidence,
    ).toBe("high");
    expect(
      project({
        snapshot: calmSnapshot(),
        events: { count: 2, last: eventEnvelope("role_end") },
        previous: { cursor: { eventLineOffset: 99 } },
      }).transition.confidence,
    ).toBe("low");
    const calm = project({ snapshot: calmSnapshot() });
    expect(calm.divergence).toEqual({
      any: false,
      flags: { activeMismatch: false, approvalCompletionConflict: false, cursorRegression: false },
    });
  });
});

describe("projectLifecycle: Q12-2 projection.active", () => {
  const withState = (superloopState: unknown) =>
    calmSnapshot({ runtime: { superloopState, activeRun: null, approval: null } });

  it("parity (default): true stays true, false and absent become null", () => {
    expect(project({ snapshot: withState({ active: true }) }).projection.active).toBe(true);
    expect(project({ snapshot: withState({ active: false }) }).projection.active).toBeNull();
    expect(project({ snapshot: withState(null) }).projection.active).toBeNull();
  });

  it("careful (opt-in): the real boolean, null only without runtime state", () => {
    const quirks = { activeFalseAsNull: false };
    expect(project({ snapshot: withState({ active: true }), quirks }).projection.active).toBe(true);
    expect(project({ snapshot: withState({ active: false }), quirks }).projection.active).toBe(false);
    expect(project({ snapshot: withState(null), quirks }).projection.active).toBeNull();
    expect(project({ snapshot: withState({}), quirks }).projection.active).toBeNull();
  });
});

describe("state.json schema", () => {
  it("admits the sections reconcile merges in, and nothing else at the top level", () => {
    const document = project();
    const merged = {
      ...document,
      health: { status: "healthy", reasonCodes: [] },
      trace: { reconcileTraceId: "t-1" },
      sequence: { status: "ok" },
      drift: { status: "stable", traceId: "t-1" },
      tuning: { appliedProfile: "balanced" },
    };
    expect(LoopStateFileSchema.safeParse(merged).success).toBe(true);
    expect(LoopStateFileSchema.safeParse(document).success).toBe(true);
    expect(LoopStateFileSchema.safeParse({ ...document, extra: 1 }).success).toBe(false);
    expect(LifecycleProjectionSchema.safeParse(merged).success).toBe(false);
  });

  it("is closed where the spec table is exhaustive", () => {
    const document = project();
    expect(
      LifecycleProjectionSchema.safeParse({
        ...document,
        projection: { ...document.projection, extra: true },
      }).success,
    ).toBe(false);
    expect(
      LifecycleProjectionSchema.safeParse({
        ...document,
        transition: { ...document.transition, confidence: "none" },
      }).success,
    ).toBe(false);
    expect(
      LifecycleProjectionSchema.safeParse({ ...document, generatedAt: "2026-02-22T10:05:01.5Z" }).success,
    ).toBe(false);
  });
});
