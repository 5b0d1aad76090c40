import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTimestamp, lagSeconds, nowTimestamp, parseTimestamp } from "./time.js";

describe("strict timestamps (spec 10 §1.4)", () => {
  it("parses the whole-second Z form to epoch seconds", () => {
    expect(parseTimestamp("2026-02-22T10:00:00Z")).toBe(Date.UTC(2026, 1, 22, 10) / 1000);
    expect(parseTimestamp("1970-01-01T00:00:00Z")).toBe(0);
  });

  it.each([
    "2026-02-22T10:00:00.5Z",
    "2026-02-22T10:00:00+00:00",
    "2026-02-22T10:00:00",
    "2026-02-22 10:00:00Z",
    "2026-02-30T10:00:00Z",
    "2026-13-01T10:00:00Z",
    "2026-02-22T24:00:00Z",
    "1969-12-31T23:59:59Z",
    "",
  ])("treats %j as unparseable", (value) => {
    expect(parseTimestamp(value)).toBeNull();
  });

  it("treats non-strings as unparseable without throwing", () => {
    for (const value of [null, undefined, 0, {}, []]) expect(parseTimestamp(value)).toBeNull();
  });

  it("formats dates and epoch seconds without fractions", () => {
    expect(formatTimestamp(new Date("2026-02-22T10:00:05.999Z"))).toBe("2026-02-22T10:00:05Z");
    expect(formatTimestamp(1771754405)).toBe("2026-02-22T10:00:05Z");
    expect(nowTimestamp({ now: () => new Date("2026-02-22T10:00:00.123Z") })).toBe("2026-02-22T10:00:00Z");
  });

  it("round-trips every instant it formats", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (epoch) => {
        expect(parseTimestamp(formatTimestamp(epoch))).toBe(epoch);
      }),
    );
  });

  it("clamps lags at zero", () => {
    expect(lagSeconds(100, 40)).toBe(60);
    expect(lagSeconds(40, 100)).toBe(0);
  });
});
