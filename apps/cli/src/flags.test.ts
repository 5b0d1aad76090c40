import { ValidationError } from "@ops/contract";
import { describe, expect, it } from "vitest";
import { formatFlag, parseOutputFormat } from "./flags.js";

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
