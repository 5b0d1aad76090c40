import { describe, expect, it } from "vitest";
import { compareCodePoints, sortedUnique } from "./sort.js";

describe("compareCodePoints", () => {
  it("orders by code point, not by UTF-16 code unit", () => {
    // U+FF5E (a BMP character) is below U+1F600 as a code point, but above its surrogate pair
    // (0xD83D …) as code units: a plain sort gets this backwards.
    const astral = "\u{1F600}";
    const bmpHigh = "\uFF5E";
    expect([astral, bmpHigh].sort()).toEqual([astral, bmpHigh]);
    expect([astral, bmpHigh].sort(compareCodePoints)).toEqual([bmpHigh, astral]);
  });

  it("is a total order on ordinary strings: prefixes first, equal strings equal", () => {
    expect(compareCodePoints("abc", "abc")).toBe(0);
    expect(compareCodePoints("ab", "abc")).toBeLessThan(0);
    expect(compareCodePoints("b", "abc")).toBeGreaterThan(0);
    expect(["fleet_partial_failure", "fleet_health_critical", "Z"].sort(compareCodePoints)).toEqual([
      "Z",
      "fleet_health_critical",
      "fleet_partial_failure",
    ]);
  });
});

describe("sortedUnique", () => {
  it("de-duplicates and sorts", () => {
    expect(sortedUnique(["b", "a", "b", "c", "a"])).toEqual(["a", "b", "c"]);
    expect(sortedUnique([])).toEqual([]);
  });
});
