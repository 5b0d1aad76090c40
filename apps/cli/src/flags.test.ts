import { ValidationError } from "@ops/contract";
import { describe, expect, it } from "vitest";
import { formatFlag, parseOutputFormat, parseUnsignedInteger } from "./flags.js";

describe("parseUnsignedInteger (spec 10 §1.2: ^[0-9]+$)", () => {
  const message = "--max-events must be a non-negative integer";

  it("accepts digits only, leading zeros as decimal", () => {
    expect(parseUnsignedInteger("0", 5, message)).toBe(0);
    expect(parseUnsignedInteger("42", 5, message)).toBe(42);
    expect(parseUnsignedInteger("007", 5, message)).toBe(7);
  });

  it("uses the fallback when the flag is absent", () => {
    expect(parseUnsignedInteger(undefined, 5, message)).toBe(5);
  });

  it.each(["", "-1", "+1", "1.0", "1e3", " 1", "0x10", "one", "99999999999999999999"])(
    "rejects %j",
    (value) => {
      expect(() => parseUnsignedInteger(value, 5, message)).toThrow(new ValidationError(message));
    },
  );
});

describe("--format json|table", () => {
  it("defaults to json, accepts table, rejects anything else with the shared message", () => {
    expect(parseOutputFormat(undefined)).toBe("json");
    expect(parseOutputFormat("json")).toBe("json");
    expect(parseOutputFormat("table")).toBe("table");
    for (const bad of ["", "JSON", "yaml"]) {
      expect(() => parseOutputFormat(bad)).toThrow(new ValidationError("--format must be json or table"));
    }
  });

  it("words the help text once, naming what the table shows", () => {
    expect(formatFlag().describe).toBe(
      "Output format: json (default) or table (for a terminal; colour only on a TTY)",
    );
    expect(formatFlag("one row per candidate").describe).toBe(
      "Output format: json (default) or table (one row per candidate; colour only on a TTY)",
    );
  });
});
