import { describe, expect, it } from "vitest";
import { deriveRunStatus, type RunStatusInputs } from "./run-status.js";

const base: RunStatusInputs = {
  loopId: "demo-loop",
  approval: null,
  summary: null,
  state: null,
  finalEvent: null,
};
const activeState = { active: true, current_loop_id: "demo-loop", iteration: 2 };
const summary = { run_id: "r", iteration: 1, completion_ok: false };

describe("deriveRunStatus (spec 12 §2, strict first match)", () => {
  it("row 1: pending approval wins over everything", () => {
    expect(
      deriveRunStatus({
        ...base,
        approval: { status: "pending" },
        summary: { completion_ok: true },
        state: activeState,
        finalEvent: { event: "loop_stop", status: "error" },
      }),
    ).toBe("awaiting_approval");
    expect(deriveRunStatus({ ...base, approval: { status: "approved" } })).toBe("unknown");
  });

  it("row 2: completion_ok must be boolean true", () => {
    expect(deriveRunStatus({ ...base, summary: { completion_ok: true }, state: activeState })).toBe(
      "complete",
    );
    expect(deriveRunStatus({ ...base, summary: { completion_ok: "true" } })).toBe("unknown");
    expect(deriveRunStatus({ ...base, summary: { completion_ok: 1 } })).toBe("unknown");
  });

  it("row 3: active state pointing at this loop", () => {
    expect(deriveRunStatus({ ...base, state: activeState, finalEvent: { event: "loop_stop" } })).toBe(
      "running",
    );
    expect(deriveRunStatus({ ...base, state: { ...activeState, current_loop_id: "other" } })).toBe("unknown");
    expect(deriveRunStatus({ ...base, state: { ...activeState, active: "true" } })).toBe("unknown");
  });

  it("row 4: stop events, by `event` else `type`", () => {
    for (const name of ["loop_stop", "rate_limit_stop", "no_progress_stop"]) {
      expect(deriveRunStatus({ ...base, finalEvent: { event: name, status: "error" } })).toBe("stopped");
      expect(deriveRunStatus({ ...base, finalEvent: { type: name } })).toBe("stopped");
    }
    // rate_limit_stop carries status rate_limited: row 4 matches before row 5.
    expect(
      deriveRunStatus({ ...base, finalEvent: { event: "rate_limit_stop", status: "rate_limited" } }),
    ).toBe("stopped");
  });

  it("row 5: error-like final status", () => {
    for (const status of ["error", "timeout", "blocked", "rate_limited"]) {
      expect(deriveRunStatus({ ...base, finalEvent: { event: "role_timeout", status } })).toBe("failed");
    }
    expect(deriveRunStatus({ ...base, finalEvent: { event: "tests_end", status: "failed" } })).toBe(
      "unknown",
    );
  });

  it("row 6: inactive or missing `active`, with a summary", () => {
    expect(deriveRunStatus({ ...base, state: { active: false }, summary })).toBe("idle");
    expect(deriveRunStatus({ ...base, state: { current_loop_id: "demo-loop" }, summary })).toBe("idle");
    // Another loop active in the same repo is neither running (row 3) nor idle (row 6).
    expect(deriveRunStatus({ ...base, state: { ...activeState, current_loop_id: "x" }, summary })).toBe(
      "unknown",
    );
    expect(deriveRunStatus({ ...base, state: { active: false } })).toBe("unknown");
  });

  it("row 7: after cancel (state deleted) it is unknown unless the last event is a stop", () => {
    expect(deriveRunStatus({ ...base, summary, finalEvent: { event: "role_start" } })).toBe("unknown");
    expect(deriveRunStatus({ ...base, summary, finalEvent: { event: "loop_stop" } })).toBe("stopped");
  });

  it("treats non-objects as absent", () => {
    expect(
      deriveRunStatus({ ...base, approval: ["pending"], summary: "x", state: 5, finalEvent: "loop_stop" }),
    ).toBe("unknown");
  });
});
