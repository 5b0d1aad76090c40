import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as catalog from "./reason-codes.js";
import {
  AutonomyReasonCode,
  HealthReasonCode,
  PromotionDrillId,
  PromotionDrillReasonPrefix,
  PromotionGateReasonCode,
  promotionDrillReasonCode,
  REQUIRED_PROMOTION_DRILL_IDS,
} from "./reason-codes.js";

const specDir = fileURLToPath(new URL("../../../../shared/spec/", import.meta.url));
const specAvailable = existsSync(specDir);

/** Spec files 10–34 (10a included); 39 (future controller and bridge) is out of scope. */
function readSpecText(): string {
  return readdirSync(specDir)
    .filter((name) => /^[1-3]\d[a-z]?-.*\.md$/.test(name) && !name.startsWith("39-"))
    .sort()
    .map((name) => readFileSync(`${specDir}${name}`, "utf8"))
    .join("\n");
}

const specText = specAvailable ? readSpecText() : "";

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True when `value` occurs in the spec as a whole token (not as part of a longer identifier). */
function appearsInSpec(value: string): boolean {
  const before = /^[A-Za-z0-9_]/.test(value) ? "(?<![A-Za-z0-9_])" : "";
  const after = /[A-Za-z0-9_]$/.test(value) ? "(?![A-Za-z0-9_])" : "";
  return new RegExp(`${before}${escapeRegExp(value)}${after}`).test(specText);
}

/**
 * Values the implementation writes that spec files 10–34 do not spell out: additions beyond the
 * spec as values, each documented where it is emitted. Keep this list explicit; every entry must be
 * a catalog value (checked below). (`dropped` occurs in spec prose as a plain word, never as an
 * alert status; it is listed so the exemption does not depend on that prose.)
 */
const ADDITIONS_BEYOND_SPEC: ReadonlySet<string> = new Set([
  // Spec 19 alert-dispatch redelivery (careful Q19-4, packages/health/src/alerts/README.md):
  "redelivery_exhausted", // AlertReasonCode: pending redelivery abandoned after the max runs
  "redelivery_sink_removed", // AlertReasonCode: owed sink removed/disabled, dropped
  "redelivery_source_changed", // AlertReasonCode: escalation line gone or changed, abandoned
  "abandoned", // AlertDeliveryStatus: redelivery given up
  "dropped", // AlertDeliveryStatus: every owed sink removed/disabled
  // Spec 21 fleet reconcile per-loop time limit (packages/fleet/src/reconcile/README.md):
  "reconcile_timeout", // FleetLoopReasonCode: per-loop reconcile exceeded its time limit
]);

/** `keys` is null for ordered lists (arrays), the constant names for catalog objects. */
type Group = {
  readonly name: string;
  readonly keys: readonly string[] | null;
  readonly values: readonly string[];
};

function isStringRecord(value: unknown): value is Readonly<Record<string, string>> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === "string")
  );
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}

/** Every exported catalog object and ordered list of the module. */
const groups: Group[] = Object.entries(catalog).flatMap(([name, exported]): Group[] => {
  if (isStringRecord(exported))
    return [{ name, keys: Object.keys(exported), values: Object.values(exported) }];
  if (isStringArray(exported)) return [{ name, keys: null, values: exported }];
  return [];
});

describe("reason-code catalogs", () => {
  it("exports the catalogs as non-empty groups", () => {
    expect(groups.length).toBeGreaterThan(80);
    for (const group of groups) expect(group.values.length, group.name).toBeGreaterThan(0);
  });

  it.each(groups)("$name has unique values", ({ values }) => {
    expect(new Set(values).size).toBe(values.length);
  });

  it.each(groups.filter((group) => group.keys !== null))(
    "$name keys are PascalCase constant names",
    ({ keys }) => {
      for (const key of keys ?? []) expect(key).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    },
  );

  it.skipIf(!specAvailable).each(groups)(
    "$name values all appear verbatim in spec files 10–34",
    ({ values }) => {
      const missing = values.filter((value) => !appearsInSpec(value) && !ADDITIONS_BEYOND_SPEC.has(value));
      expect(missing).toEqual([]);
    },
  );

  it.each([...ADDITIONS_BEYOND_SPEC])("addition beyond the spec %s is a catalog value", (value) => {
    expect(groups.some((group) => group.values.includes(value))).toBe(true);
  });

  it.skipIf(!specAvailable)("the token matcher rejects strings that are not in the spec", () => {
    expect(appearsInSpec("ingest_stale")).toBe(true);
    expect(appearsInSpec("ingest_stal")).toBe(false);
    expect(appearsInSpec("definitely_not_a_reason_code")).toBe(false);
  });
});

describe("composed catalogs", () => {
  it("health reason codes match the spec 14 §5 catalogue (profile drift and heartbeat-timestamp codes excluded)", () => {
    expect(Object.values(HealthReasonCode).sort()).toEqual([
      "control_ambiguous",
      "control_failed_command",
      "divergence_detected",
      "ingest_stale",
      "invalid_transport_payload",
      "ordering_drift_detected",
      "projection_failed",
      "reconcile_failed",
      "runtime_heartbeat_stale",
      "transport_unreachable",
    ]);
  });

  it("autonomy reasons are the 17 policy codes of spec 20 §8", () => {
    expect(Object.values(AutonomyReasonCode)).toHaveLength(17);
  });

  it("promotion gate reasons are the 18 fixed codes of spec 30 §5.7", () => {
    expect(Object.values(PromotionGateReasonCode)).toHaveLength(18);
  });
});

describe("per-drill promotion reason codes (spec 30 §5.5)", () => {
  const codes = REQUIRED_PROMOTION_DRILL_IDS.flatMap((drillId) =>
    Object.values(PromotionDrillReasonPrefix).map((prefix) => promotionDrillReasonCode(prefix, drillId)),
  );

  it("builds 12 unique codes in emission order", () => {
    expect(codes).toHaveLength(12);
    expect(new Set(codes).size).toBe(12);
    expect(codes.slice(0, 4)).toEqual([
      "promotion_drill_missing_kill_switch",
      "promotion_drill_not_passed_kill_switch",
      "promotion_drill_timestamp_invalid_kill_switch",
      "promotion_drill_stale_kill_switch",
    ]);
  });

  it("lists every drill id exactly once in the required order", () => {
    expect([...REQUIRED_PROMOTION_DRILL_IDS].sort()).toEqual(Object.values(PromotionDrillId).sort());
  });

  it.skipIf(!specAvailable)("the codes the spec spells out appear verbatim", () => {
    for (const drillId of REQUIRED_PROMOTION_DRILL_IDS) {
      expect(appearsInSpec(promotionDrillReasonCode(PromotionDrillReasonPrefix.Missing, drillId))).toBe(true);
    }
    expect(appearsInSpec(promotionDrillReasonCode(PromotionDrillReasonPrefix.Stale, "kill_switch"))).toBe(
      true,
    );
  });
});
