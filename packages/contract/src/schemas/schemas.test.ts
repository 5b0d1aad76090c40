import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  JSON_SCHEMA_FILES,
  type JsonSchemaFileName,
  jsonSchemaText,
  LoopRunEventSchema,
  LoopRunSnapshotSchema,
  RunSummarySchema,
  validateAgainstSchema,
} from "../index.js";

const schemaDir = fileURLToPath(new URL("../../schema/", import.meta.url));
const configDir = fileURLToPath(new URL("../../../../config/", import.meta.url));

// The example of spec 11 §2.2, completed where the spec elides fields.
function specSnapshot(): Record<string, unknown> {
  const ref = (path: string, exists: boolean) =>
    exists
      ? { path, exists, sizeBytes: 284, lineCount: 2, sha256: "9f2c".padEnd(64, "0"), mtimeEpoch: 1771754405 }
      : { path, exists, sizeBytes: 0, lineCount: 0, sha256: null, mtimeEpoch: null };
  const gates = {
    tests: "ok",
    validation: "ok",
    prerequisites: "ok",
    checklist: "ok",
    evidence: "skipped",
    approval: "none",
  };
  return {
    schemaVersion: "v1",
    envelopeType: "loop_run_snapshot",
    emittedAt: "2026-02-22T10:00:06Z",
    traceId: "trace-snapshot-1",
    source: { repoPath: "/srv/repo", loopId: "demo-loop" },
    run: {
      runId: "run-123",
      iteration: 1,
      status: "running",
      summary: {
        run_id: "run-123",
        iteration: 1,
        completion_ok: false,
        gates,
        stuck: { streak: 0, threshold: 3 },
      },
    },
    runtime: {
      superloopState: { active: true, loop_index: 0, iteration: 2, current_loop_id: "demo-loop" },
      activeRun: null,
      approval: null,
      heartbeat: null,
    },
    artifacts: {
      events: ref(".superloop/loops/demo-loop/events.jsonl", true),
      runSummary: ref(".superloop/loops/demo-loop/run-summary.json", true),
      state: ref(".superloop/state.json", true),
      activeRun: ref(".superloop/active-run.json", false),
      approval: ref(".superloop/loops/demo-loop/approval.json", false),
      heartbeat: ref(".superloop/loops/demo-loop/heartbeat.v1.json", false),
    },
    sequence: { source: "cursor_event_line_offset", value: 2 },
    cursor: { eventLineOffset: 2, eventLineCount: 2 },
    health: {
      eventCount: 2,
      lastEventAt: "2026-02-22T10:00:05Z",
      lastEventName: "iteration_start",
      lastSummaryAt: "2026-02-22T10:00:00Z",
      hasPendingApproval: false,
      gates,
      stuck: { streak: 0, threshold: 3 },
    },
  };
}

// The example of spec 11 §3.
const specEvent = {
  schemaVersion: "v1",
  envelopeType: "loop_run_event",
  emittedAt: "2026-02-22T10:00:21Z",
  traceId: "trace-events-1",
  source: { repoPath: "/srv/repo", loopId: "demo-loop" },
  sequence: { source: "cursor_event_line_offset", value: 3 },
  cursor: { eventLineOffset: 3, eventLineCount: 3 },
  run: { runId: "run-123", iteration: 2 },
  event: {
    timestamp: "2026-02-22T10:00:20Z",
    name: "role_end",
    role: "planner",
    status: "ok",
    message: null,
    payload: { duration_ms: 1200 },
    raw: { timestamp: "2026-02-22T10:00:20Z", event: "role_end", run_id: "run-123", iteration: 2, data: {} },
  },
};

describe("contract envelopes", () => {
  it("accepts the spec examples with zod and with the generated JSON Schema", () => {
    expect(LoopRunSnapshotSchema.safeParse(specSnapshot()).success).toBe(true);
    expect(LoopRunEventSchema.safeParse(specEvent).success).toBe(true);
    expect(validateAgainstSchema("ops-manager.contract.schema.json", specSnapshot())).toEqual({ ok: true });
    expect(validateAgainstSchema("ops-manager.contract.schema.json", specEvent)).toEqual({ ok: true });
  });

  it("accepts the seven-key gates the real runtime writes (spec 10a §4.2)", () => {
    const snapshot = specSnapshot();
    const health = snapshot["health"] as Record<string, unknown>;
    health["gates"] = { ...(health["gates"] as object), lifecycle: "ok" };
    expect(validateAgainstSchema("ops-manager.contract.schema.json", snapshot)).toEqual({ ok: true });
  });

  it("rejects extra keys in closed objects but not in pass-through payloads", () => {
    const snapshot = specSnapshot();
    (snapshot["source"] as Record<string, unknown>)["extra"] = 1;
    expect(LoopRunSnapshotSchema.safeParse(snapshot).success).toBe(false);
    expect(validateAgainstSchema("ops-manager.contract.schema.json", snapshot).ok).toBe(false);

    const passThrough = specSnapshot();
    (passThrough["runtime"] as Record<string, Record<string, unknown>>)["superloopState"]!["anything"] = [1];
    expect(validateAgainstSchema("ops-manager.contract.schema.json", passThrough)).toEqual({ ok: true });
  });

  it("rejects a fractional emittedAt, an empty runId and a negative sequence", () => {
    expect(LoopRunEventSchema.safeParse({ ...specEvent, emittedAt: "2026-02-22T10:00:21.5Z" }).success).toBe(
      false,
    );
    expect(LoopRunEventSchema.safeParse({ ...specEvent, run: { runId: "", iteration: 0 } }).success).toBe(
      false,
    );
    const negative = { ...specEvent, sequence: { source: "cursor_event_line_offset", value: -1 } };
    expect(validateAgainstSchema("ops-manager.contract.schema.json", negative).ok).toBe(false);
  });

  it("parses a real runtime run-summary with extra fields", () => {
    const summary = {
      version: 1,
      loop_id: "demo-loop",
      updated_at: "2026-02-22T10:00:01Z",
      entries: [
        {
          run_id: "2026-02-22T10:00:00Z",
          iteration: 1,
          gates: {
            tests: "ok",
            validation: "ok",
            prerequisites: "ok",
            checklist: "ok",
            evidence: "skipped",
            lifecycle: "ok",
            approval: "none",
          },
          promise: { expected: "DONE", text: null, matched: false },
          tests_mode: "every",
          delegation: { enabled: false },
          artifacts: { plan: { path: "plan.md", exists: true } },
          stuck: { streak: 0, threshold: 3 },
          completion_ok: false,
        },
      ],
    };
    expect(RunSummarySchema.safeParse(summary).success).toBe(true);
  });
});

describe("generated JSON Schema files", () => {
  it.each(Object.keys(JSON_SCHEMA_FILES) as JsonSchemaFileName[])(
    "schema/%s is up to date (run `generate:schemas` after changing a zod schema)",
    (fileName) => {
      expect(readFileSync(`${schemaDir}${fileName}`, "utf8")).toBe(jsonSchemaText(fileName));
    },
  );
});

describe("operator-edited catalogs", () => {
  it("reports every problem of an invalid alert sink catalog at once", () => {
    const result = validateAgainstSchema("ops-manager-alert-sinks.config.schema.json", {
      schemaVersion: "v2",
      defaultMinSeverity: "loud",
      sinks: { hook: { enabled: true, type: "webhook", urlEnv: "lower-case", timeoutSeconds: 2.5 } },
      routing: { defaultSinks: [], categorySeverity: {}, extra: true },
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.join("\n");
    expect(errors).toContain("/schemaVersion");
    expect(errors).toContain("/defaultMinSeverity");
    expect(errors).toContain("/sinks/hook/urlEnv");
    expect(errors).toContain("/sinks/hook/timeoutSeconds");
    expect(errors).toContain("/routing must NOT have additional properties: extra");
  });

  it.each([
    ["ops-manager-threshold-profiles.v1.json", "ops-manager-threshold-profiles.config.schema.json"],
    ["ops-manager-alert-sinks.v1.json", "ops-manager-alert-sinks.config.schema.json"],
  ] as const)("bundled config/%s validates", (catalog, schema) => {
    let text: string;
    try {
      text = readFileSync(`${configDir}${catalog}`, "utf8");
    } catch {
      return expect.fail(`bundled catalog config/${catalog} is missing`);
    }
    expect(validateAgainstSchema(schema, JSON.parse(text))).toEqual({ ok: true });
  });
});
