import { compareCodePoints, sortedUnique } from "@ops/contract";
import { describe, expect, it } from "vitest";
import { canarySelected, cohortBucket } from "./cohort.js";

describe("cohortBucket (spec 22 §6.2)", () => {
  it.each([
    // The spec's worked values.
    ["alpha", "fleet-autonomous-rollout-v1", 44],
    ["beta", "fleet-autonomous-rollout-v1", 61],
    ["gamma", "fleet-autonomous-rollout-v1", 92],
    ["delta", "fleet-autonomous-rollout-v1", 41],
    ["alpha", "cohort-x", 57],
    ["beta", "cohort-x", 16],
    // Computed by hand from the formula:
    // "|" = 124: 17*31+124 = 651 → 51.
    ["", "", 51],
    // "é|s": 17*31+233 = 760; 760*31+124 = 23684; 23684*31+115 = 734319 → 19.
    ["é", "s", 19],
    // "😀|x" (one code point 128512, not two UTF-16 units): 17*31+128512 = 129039;
    // 129039*31+124 = 4000333 mod 1000003 = 321; 321*31+120 = 10071 → 71.
    ["😀", "x", 71],
  ])("bucket(%j, %j) = %i", (loopId, salt, bucket) => {
    expect(cohortBucket(loopId, salt)).toBe(bucket);
  });

  it("cohort membership at canaryPercent 50 matches the spec table", () => {
    const salt = "fleet-autonomous-rollout-v1";
    expect(
      ["alpha", "beta", "gamma", "delta"].map((id) => canarySelected(cohortBucket(id, salt), 50)),
    ).toEqual([true, false, false, true]);
  });

  it("canarySelected: <= 0 never, >= 100 always, else bucket < percent", () => {
    expect(canarySelected(0, 0)).toBe(false);
    expect(canarySelected(0, -5)).toBe(false);
    expect(canarySelected(99, 100)).toBe(true);
    expect(canarySelected(44, 44)).toBe(false);
    expect(canarySelected(44, 45)).toBe(true);
  });
});

describe("code-point ordering", () => {
  it("orders astral characters after BMP ones (unlike UTF-16 `<`)", () => {
    const astral = "😀"; // U+1F600, UTF-16 starts with 0xD83D
    const bmp = "\uFF01"; // U+FF01 > 0xD83D as a code unit, < U+1F600 as a code point
    expect(astral < bmp).toBe(true);
    expect(compareCodePoints(astral, bmp)).toBe(1);
    expect(compareCodePoints("health_critical", "health_degraded")).toBe(-1);
    expect(compareCodePoints("ab", "abc")).toBe(-1);
    expect(compareCodePoints("abc", "abc")).toBe(0);
  });

  it("sortedUnique sorts and de-duplicates", () => {
    expect(sortedUnique(["b", "a", "b", "c", "a"])).toEqual(["a", "b", "c"]);
  });
});
