// Runtime artifact schemas (spec 10 §2, 10a §1): permissive about extra keys, strict about types.
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  ActiveRunSchema,
  ApprovalSchema,
  DecisionLineSchema,
  RunSummarySchema,
  RuntimeEventLineSchema,
  RuntimeHeartbeatSchema,
  SuperloopStateSchema,
} from "./runtime.js";

const cases: [string, z.ZodType, unknown[], unknown[]][] = [
  [
    "events.jsonl line",
    RuntimeEventLineSchema,
    [
      {
        timestamp: "2026-02-22T10:00:20Z",
        event: "role_end",
        loop_id: "demo-loop",
        run_id: "run-123",
        iteration: 2,
        role: "planner",
        status: "ok",
        data: { duration_ms: 1200 },
      },
      { timestamp: "2026-02-22T10:00:20Z", type: "legacy_name", iteration: "3", extra: true },
    ],
    [{ event: 7 }, { iteration: { n: 1 } }, { role: null }, "not an object"],
  ],
  [
    "run-summary.json",
    RunSummarySchema,
    [
      { version: 1, loop_id: "demo-loop", updated_at: "2026-02-22T10:00:01Z", entries: [] },
      { entries: [{ run_id: "r", iteration: 1, gates: null, stuck: null, completion_ok: true, extra: 1 }] },
    ],
    [{ entries: {} }, { entries: [{ completion_ok: "yes" }] }, { entries: [{ gates: { tests: 1 } }] }],
  ],
  [
    "state.json",
    SuperloopStateSchema,
    [
      {
        active: true,
        loop_index: 0,
        iteration: 2,
        current_loop_id: "demo-loop",
        updated_at: "2026-02-22T10:00:00Z",
      },
    ],
    [{ active: "yes" }, { current_loop_id: 5 }],
  ],
  [
    "active-run.json",
    ActiveRunSchema,
    [{ repo: "/srv/repo", pid: 1200, pgid: 1200, loop_id: "demo-loop", iteration: 2, stage: "loop_start" }],
    [{ pid: "1200" }, { stage: 1 }],
  ],
  [
    "approval.json",
    ApprovalSchema,
    [
      {
        status: "pending",
        loop_id: "demo-loop",
        run_id: "run-123",
        iteration: 2,
        candidate: { promise: "x" },
      },
      {
        status: "approved",
        decision: { status: "approved", by: "alice", note: null, at: "2026-02-22T10:05:00Z" },
        decided_at: "2026-02-22T10:05:00Z",
        decided_by: "alice",
        decided_note: null,
      },
    ],
    [{ status: 1 }, { decision: "approved" }, { decided_note: 3 }],
  ],
  [
    "decisions.jsonl line",
    DecisionLineSchema,
    [{ timestamp: "2026-02-22T10:05:00Z", loop_id: "demo-loop", decision: "approved", by: "alice" }],
    [
      { loop_id: "demo-loop", decision: "approved", by: "alice" },
      { timestamp: "t", loop_id: "l", decision: 1, by: "a" },
    ],
  ],
  [
    "heartbeat.v1.json",
    RuntimeHeartbeatSchema,
    [
      {
        schemaVersion: "v1",
        timestamp: "2026-02-22T11:00:04Z",
        source: "runtime",
        status: "running",
        stage: "x",
      },
    ],
    [{ timestamp: 1771758004 }, { updatedAt: false }],
  ],
];

describe.each(cases)("runtime schema: %s", (_name, schema, valid, invalid) => {
  it.each(valid.map((value) => [JSON.stringify(value), value]))("accepts %s", (_text, value) => {
    expect(schema.safeParse(value).success).toBe(true);
  });
  it.each(invalid.map((value) => [JSON.stringify(value), value]))("rejects %s", (_text, value) => {
    expect(schema.safeParse(value).success).toBe(false);
  });
});
