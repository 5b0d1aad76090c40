// The pure parts of promotion apply (spec 32): flag parsing, evidence list, decision, mutation
// rules, the unknown-field merge and the replay record.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decisionOf,
  evidenceRefsOf,
  mutateRegistryDocument,
  parseExpandStep,
  replayRecord,
  rolloutAfter,
  withUnknownFields,
} from "./schemas.js";

describe("parseExpandStep (careful Q7)", () => {
  it.each([
    [undefined, 25],
    ["1", 1],
    ["100", 100],
    ["010", 10],
    ["08", 8],
    ["0100", 100],
    [7, 7],
    ["0", null],
    ["101", null],
    ["", null],
    [" 5", null],
    ["5.0", null],
    ["+5", null],
    ["1e1", null],
  ])("%s → %s", (value, expected) => {
    expect(parseExpandStep(value)).toBe(expected);
  });
});

describe("evidenceRefsOf (Q9)", () => {
  it("adds the promotion state path, drops empties, de-duplicates, sorts by code unit", () => {
    expect(evidenceRefsOf(["b", "", "a", "b", "/x", undefined], "/state.json")).toEqual([
      "/state.json",
      "/x",
      "a",
      "b",
    ]);
  });
});

describe("decisionOf (Q10)", () => {
  it.each([
    [{ summary: { decision: "promote" } }, "promote"],
    [{ summary: { decision: "" } }, ""],
    [{ summary: { decision: 1 } }, "1"],
    [{ summary: { decision: true } }, "true"],
    [{ summary: { decision: { a: 1 } } }, '{"a":1}'],
    [{ summary: { decision: false } }, null],
    [{ summary: { decision: null } }, null],
    [{ summary: {} }, null],
    [{ summary: "promote" }, null],
    [[], null],
    [null, null],
  ])("%j → %j", (state, expected) => {
    expect(decisionOf(state)).toBe(expected);
  });
});

describe("rolloutAfter (§3.2)", () => {
  it("examples of the spec", () => {
    expect(rolloutAfter("expand", { canaryPercent: 10, manualPause: true }, 15)).toEqual({
      canaryPercent: 25,
      manualPause: false,
    });
    expect(rolloutAfter("expand", { canaryPercent: 95, manualPause: false }, 10).canaryPercent).toBe(100);
    expect(rolloutAfter("resume", { canaryPercent: 40, manualPause: true }, 25)).toEqual({
      canaryPercent: 40,
      manualPause: false,
    });
    expect(rolloutAfter("rollback", { canaryPercent: 40, manualPause: false }, 25)).toEqual({
      canaryPercent: 40,
      manualPause: true,
    });
  });

  it("expand never exceeds 100 and never lowers the canary", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 }), (canary, step) => {
        const after = rolloutAfter(
          "expand",
          { canaryPercent: canary, manualPause: true },
          step,
        ).canaryPercent;
        return after <= 100 && after >= canary && after === Math.min(100, canary + step);
      }),
    );
  });
});

describe("mutateRegistryDocument", () => {
  const governance = {
    actor: "a",
    approvalRef: "b",
    rationale: "c",
    changedAt: "2026-03-02T10:15:00Z",
    reviewBy: "2026-03-30T00:00:00Z",
  };

  it("creates missing containers, leaves the input alone, sets canary only for expand", () => {
    const raw = { schemaVersion: "v1", loops: [{ loopId: "a" }], policy: { mode: "guarded_auto" } };
    const resumed = mutateRegistryDocument(
      raw,
      "resume",
      { canaryPercent: 100, manualPause: false },
      governance,
    );
    expect(resumed["policy"]).toEqual({
      mode: "guarded_auto",
      autonomous: { governance, rollout: { pause: { manual: false } } },
    });
    expect(raw.policy).toEqual({ mode: "guarded_auto" });
    const expanded = mutateRegistryDocument(
      raw,
      "expand",
      { canaryPercent: 35, manualPause: false },
      governance,
    );
    expect(expanded["policy"]).toMatchObject({ autonomous: { rollout: { canaryPercent: 35 } } });
  });

  it("keeps other governance and rollout keys", () => {
    const raw = {
      policy: {
        autonomous: {
          governance: { actor: "old", ticket: "T-1" },
          rollout: { canaryPercent: 5, scope: { loopIds: ["a"] }, pause: { manual: false, note: "n" } },
        },
      },
    };
    const out = mutateRegistryDocument(raw, "rollback", { canaryPercent: 5, manualPause: true }, governance);
    expect(out["policy"]).toEqual({
      autonomous: {
        governance: {
          actor: "a",
          ticket: "T-1",
          approvalRef: "b",
          rationale: "c",
          changedAt: governance.changedAt,
          reviewBy: governance.reviewBy,
        },
        rollout: { canaryPercent: 5, scope: { loopIds: ["a"] }, pause: { manual: true, note: "n" } },
      },
    });
  });
});

describe("withUnknownFields (careful Q1)", () => {
  it("normalised keys first and winning, raw-only keys after, loops merged by index", () => {
    const raw = {
      extra: 1,
      fleetId: null,
      loops: [{ loopId: "a", note: "n", enabled: false }],
      policy: { mode: "guarded_auto", custom: { x: true } },
    };
    const normalized = {
      schemaVersion: "v1",
      fleetId: "default",
      loops: [{ loopId: "a", enabled: false, transport: "local" }],
      policy: { mode: "guarded_auto", suppressions: {} },
      loopCount: 1,
    };
    const merged = withUnknownFields(raw, normalized);
    expect(JSON.stringify(merged)).toBe(
      JSON.stringify({
        schemaVersion: "v1",
        fleetId: "default",
        loops: [{ loopId: "a", enabled: false, transport: "local", note: "n" }],
        policy: { mode: "guarded_auto", suppressions: {}, custom: { x: true } },
        loopCount: 1,
        extra: 1,
      }),
    );
  });

  it("keeps a raw key named __proto__ as an own field (found by the property below)", () => {
    const raw = JSON.parse('{"__proto__": "x", "a": 1}') as unknown;
    const merged = withUnknownFields(raw, { a: 2 }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(JSON.stringify(merged)).toBe('{"a":2,"__proto__":"x"}');
  });

  it("every normalised value survives unchanged (property)", () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.dictionary(fc.string(), json), (raw, normalized) => {
        const merged = withUnknownFields(raw, normalized) as Record<string, unknown>;
        for (const key of Object.keys(normalized)) {
          const again = withUnknownFields(raw[key], normalized[key]);
          expect(merged[key]).toEqual(again);
        }
        for (const key of Object.keys(raw))
          if (!Object.hasOwn(normalized, key)) expect(merged[key]).toEqual(raw[key]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("replayRecord (§4)", () => {
  it("fills null seam fields, keeps non-null ones, appends replayed last", () => {
    const prior = { a: 1, loopId: null, horizonRef: "h", evidenceRefs: null, replayed: false, z: 2 };
    const out = replayRecord(prior, { loopId: "L", horizonRef: "H", evidenceRefs: ["e"] });
    expect(Object.entries(out)).toEqual([
      ["a", 1],
      ["loopId", "L"],
      ["horizonRef", "h"],
      ["evidenceRefs", ["e"]],
      ["z", 2],
      ["replayed", true],
    ]);
  });
});
