import { describe, expect, it } from "vitest";
import { givenTraceId, resolveTraceId, TRACE_ID_ENV } from "./trace-id.js";

describe("trace id precedence", () => {
  it("prefers a non-empty flag, then a non-empty env value", () => {
    expect(givenTraceId("flag-1", { [TRACE_ID_ENV]: "env-1" })).toBe("flag-1");
    expect(givenTraceId("", { [TRACE_ID_ENV]: "env-1" })).toBe("env-1");
    expect(givenTraceId(undefined, { [TRACE_ID_ENV]: "env-1" })).toBe("env-1");
    expect(givenTraceId(undefined, { [TRACE_ID_ENV]: "" })).toBeNull();
    expect(givenTraceId(undefined, {})).toBeNull();
  });

  it("keeps given values verbatim and lowercases only a generated id", () => {
    expect(resolveTraceId("Flag-A", {}, () => "UNUSED")).toBe("Flag-A");
    expect(resolveTraceId(undefined, { [TRACE_ID_ENV]: "Env-A" }, () => "UNUSED")).toBe("Env-A");
    expect(resolveTraceId("", { [TRACE_ID_ENV]: "" }, () => "GEN-ID")).toBe("gen-id");
    expect(resolveTraceId(undefined, {})).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u,
    );
  });
});
