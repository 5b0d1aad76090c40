import { describe, expect, it } from "vitest";
import {
  classifyFailureText,
  extractDocument,
  failureDocumentReasonCode,
  interpretFailureOutput,
  interpretSuccessDocument,
  loopTraceId,
  outputExcerpt,
  processingOrder,
  rollupFleet,
} from "./schemas.js";

describe("loopTraceId (§4.4)", () => {
  it("replaces every char outside [A-Za-z0-9._-] by one dash, no collapsing", () => {
    expect(loopTraceId("fx-1", "beta 2!")).toBe("fx-1-beta-2-");
    expect(loopTraceId("fx-1", "a  b")).toBe("fx-1-a--b");
    expect(loopTraceId("t", "ok.id_9-x")).toBe("t-ok.id_9-x");
  });
});

describe("processingOrder (§3.1)", () => {
  const loops = ["loopA", "loop-a", "loop 2", "loop-1"].map((loopId) => ({ loopId }));
  it("keeps registry order by default", () => {
    expect(processingOrder(loops, false).map((l) => l.loopId)).toEqual([
      "loopA",
      "loop-a",
      "loop 2",
      "loop-1",
    ]);
  });
  it("sorts by code point with --deterministic-order", () => {
    expect(processingOrder(loops, true).map((l) => l.loopId)).toEqual([
      "loop 2",
      "loop-1",
      "loop-a",
      "loopA",
    ]);
  });
});

describe("outputExcerpt (§4.5, careful Q4)", () => {
  it("collapses whitespace, trims the trailing space, truncates to 600", () => {
    expect(outputExcerpt('{"a":1}\n')).toBe('{"a":1}');
    expect(outputExcerpt("a\n\n  b\tc\n")).toBe("a b c");
    expect(outputExcerpt("x".repeat(700))).toHaveLength(600);
  });
  it("is omitted when nothing was captured", () => {
    expect(outputExcerpt(null)).toBeUndefined();
    expect(outputExcerpt(" \n ")).toBeUndefined();
  });
});

describe("extractDocument (§4.3 step 1, careful Q5/Q9)", () => {
  it("takes the whole output, else the last non-empty line, else null", () => {
    expect(extractDocument('{"status":"ok"}')).toEqual({ status: "ok" });
    expect(extractDocument('noise\n{"status":"x"}\n\n')).toEqual({ status: "x" });
    expect(extractDocument('{"a":1}\n{"b":2}\n')).toEqual({ b: 2 });
    expect(extractDocument("nothing here")).toBeNull();
    expect(extractDocument("[1,2]")).toBeNull();
  });
});

describe("success interpretation (§4.3)", () => {
  it("reads health and transition, with fallbacks", () => {
    expect(
      interpretSuccessDocument({
        health: { status: "degraded", reasonCodes: ["ingest_stale"] },
        transition: { currentState: "running" },
      }),
    ).toEqual({ healthStatus: "degraded", healthReasonCodes: ["ingest_stale"], transitionState: "running" });
    expect(interpretSuccessDocument(null)).toEqual({ healthStatus: "unknown", healthReasonCodes: [] });
  });
});

describe("failure reason-code precedence (§4.3)", () => {
  const doc = (reasonCodes: string[], failureCode?: string) => ({
    status: "critical",
    reasonCodes,
    ...(failureCode === undefined ? {} : { transport: { failureCode } }),
  });
  it("follows the priority table, first match wins", () => {
    expect(failureDocumentReasonCode(doc(["reconcile_failed", "transport_unreachable"]))).toBe(
      "transport_unreachable",
    );
    expect(failureDocumentReasonCode(doc(["reconcile_failed", "invalid_transport_payload"]))).toBe(
      "invalid_transport_payload",
    );
    expect(failureDocumentReasonCode(doc(["reconcile_failed", "projection_failed"]))).toBe(
      "projection_failed",
    );
    expect(failureDocumentReasonCode(doc(["reconcile_failed"], "events_unavailable"))).toBe(
      "reconcile_failed",
    );
    expect(failureDocumentReasonCode(doc([], "snapshot_unavailable"))).toBe("transport_unreachable");
    expect(failureDocumentReasonCode(doc([], "events_unavailable"))).toBe("transport_unreachable");
    expect(failureDocumentReasonCode(doc([], "service_request_failed"))).toBe("transport_unreachable");
    expect(failureDocumentReasonCode(doc([], "service_response_invalid"))).toBe("invalid_transport_payload");
    expect(failureDocumentReasonCode(doc([], "lock_busy"))).toBe("lock_busy");
    expect(failureDocumentReasonCode(doc(["other"]))).toBeNull();
  });
  it("classifies raw text case-insensitively", () => {
    expect(classifyFailureText("Missing Required Artifact: x")).toBe("missing_runtime_artifacts");
    expect(classifyFailureText("read events artifact failed; connection refused")).toBe(
      "missing_runtime_artifacts",
    );
    expect(classifyFailureText("ECONNREFUSED: Connection Refused")).toBe("transport_unreachable");
    expect(classifyFailureText("Invalid snapshot: not JSON")).toBe("invalid_transport_payload");
    expect(classifyFailureText("json was invalid")).toBe("reconcile_failed");
    expect(classifyFailureText("invalid payload")).toBe("invalid_transport_payload");
    expect(classifyFailureText("boom")).toBe("reconcile_failed");
  });
  it("falls through to text classification, keeping the document's health", () => {
    expect(
      interpretFailureOutput('missing required artifact\n{"status":"degraded","reasonCodes":["x"]}'),
    ).toEqual({
      healthStatus: "degraded",
      healthReasonCodes: ["x"],
      reasonCode: "missing_runtime_artifacts",
    });
    expect(interpretFailureOutput("connection refused")).toEqual({
      healthStatus: "unknown",
      healthReasonCodes: [],
      reasonCode: "transport_unreachable",
    });
  });
});

describe("rollupFleet (§5)", () => {
  const r = (status: "success" | "failed" | "skipped", healthStatus = "healthy") => ({
    status,
    healthStatus,
  });
  it("partial failure, critical beats degraded", () => {
    expect(rollupFleet([r("success", "degraded"), r("failed", "critical")])).toEqual({
      status: "partial_failure",
      reasonCodes: ["fleet_health_critical", "fleet_partial_failure"],
      loopCount: 2,
      successCount: 1,
      failedCount: 1,
      skippedCount: 0,
    });
  });
  it("all failed, degraded, skipped", () => {
    const rollup = rollupFleet([r("failed", "degraded"), r("skipped", "unknown")]);
    expect(rollup.status).toBe("failed");
    expect(rollup.reasonCodes).toEqual([
      "fleet_health_degraded",
      "fleet_loop_skipped",
      "fleet_reconcile_failed",
    ]);
  });
  it("success with no codes; all-skipped is success", () => {
    expect(rollupFleet([r("success")]).reasonCodes).toEqual([]);
    expect(rollupFleet([r("skipped", "unknown")]).status).toBe("success");
  });
});
