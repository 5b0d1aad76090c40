import { describe, expect, it } from "vitest";
import { formatJson, formatJsonLines, formatLines, tableLines } from "./output.js";

describe("output", () => {
  it("prints compact JSON by default and 2-space JSON with pretty, newline-terminated", () => {
    const value = { a: 1, b: [true, null], c: { d: "x" } };
    expect(formatJson(value)).toBe('{"a":1,"b":[true,null],"c":{"d":"x"}}\n');
    expect(formatJson(value, { pretty: false })).toBe('{"a":1,"b":[true,null],"c":{"d":"x"}}\n');
    expect(formatJson(value, { pretty: true })).toBe(
      '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ],\n  "c": {\n    "d": "x"\n  }\n}\n',
    );
  });

  it("refuses values that are not JSON", () => {
    expect(() => formatJson(undefined)).toThrow(TypeError);
  });

  it("prints NDJSON and plain lines", () => {
    expect(formatJsonLines([{ a: 1 }, { b: 2 }])).toBe('{"a":1}\n{"b":2}\n');
    expect(formatJsonLines([])).toBe("");
    expect(formatLines(["balanced", "relaxed", "strict"])).toBe("balanced\nrelaxed\nstrict\n");
  });

  it("splits a rendered table into lines without doubling its trailing newline", () => {
    expect(tableLines("a\nb\n")).toEqual(["a", "b"]);
    expect(tableLines("a\nb")).toEqual(["a", "b"]);
    expect(formatLines(tableLines("a\nb\n"))).toBe("a\nb\n");
  });
});
