import { ValidationError } from "@ops/contract";
import { describe, expect, it } from "vitest";
import { parseUnsignedInteger } from "./flags.js";

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
