/**
 * Fleet reconcile (spec 21): zod schemas of the artifacts it owns — the fleet state
 * (`.superloop/ops-manager/fleet/state.json`, §6.1) and the fleet reconcile telemetry row
 * (`fleet/telemetry/reconcile.jsonl`, §6.2) — and the pure functions that decide a loop result's
 * reason code (§4.3), its excerpt (§4.5, careful Q4), the per-loop trace id (§4.4), the processing
 * order (§3.1) and the rollup (§5).
 */
import { isJsonObject, TimestampSchema } from "@ops/contract";
import { z } from "zod";

export const FLEET_STATE_SCHEMA_VERSION = "v1";

export const LoopResultStatusSchema = z.enum(["success", "failed", "skipped"]);
export type LoopResultStatus = z.infer<typeof LoopResultStatusSchema>;

export const FleetRollupStatusSchema = z.enum(["success", "partial_failure", "failed"]);
export type FleetRollupStatus = z.infer<typeof FleetRollupStatusSchema>;

const Int0 = z.number().int().min(0);

/** §4.5 — one loop's result; keys in the spec's order, null-valued keys omitted. */
export const FleetLoopResultSchema = z.object({
  timestamp: TimestampSchema,
  startedAt: TimestampSchema,
  loopId: z.string().min(1),
  transport: z.enum(["local", "sprite_service"]),
  enabled: z.boolean(),
  status: LoopResultStatusSchema,
  reasonCode: z.string().min(1).optional(),
  reconcileStatus: LoopResultStatusSchema,
  healthStatus: z.string(),
  healthReasonCodes: z.array(z.string()),
  transitionState: z.string().optional(),
  durationSeconds: Int0,
  traceId: z.string().min(1),
  outputExcerpt: z.string().min(1).max(600).optional(),
  sprite: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  files: z.object({
    stateFile: z.string(),
    healthFile: z.string(),
    cursorFile: z.string(),
    reconcileTelemetryFile: z.string(),
  }),
});
export type FleetLoopResult = z.infer<typeof FleetLoopResultSchema>;

const rollupShape = {
  fleetId: z.string(),
  traceId: z.string().min(1),
  status: FleetRollupStatusSchema,
  reasonCodes: z.array(z.string()),
  loopCount: Int0,
  successCount: Int0,
  failedCount: Int0,
  skippedCount: Int0,
  durationSeconds: Int0,
};

/** §6.1 — `fleet/state.json` (also the stdout document). */
export const FleetReconcileStateSchema = z.object({
  schemaVersion: z.literal(FLEET_STATE_SCHEMA_VERSION),
  updatedAt: TimestampSchema,
  startedAt: TimestampSchema,
  fleetId: rollupShape.fleetId,
  traceId: rollupShape.traceId,
  status: rollupShape.status,
  reasonCodes: rollupShape.reasonCodes,
  loopCount: Int0,
  successCount: Int0,
  failedCount: Int0,
  skippedCount: Int0,
  durationSeconds: Int0,
  execution: z.object({
    maxParallel: z.number().int().min(1),
    deterministicOrder: z.boolean(),
    fromStart: z.boolean(),
    maxEvents: Int0,
  }),
  results: z.array(FleetLoopResultSchema),
});
export type FleetReconcileState = z.infer<typeof FleetReconcileStateSchema>;

/** §6.2 — one line of `fleet/telemetry/reconcile.jsonl`. */
export const FleetReconcileTelemetryRowSchema = z.object({
  timestamp: TimestampSchema,
  category: z.literal("fleet_reconcile"),
  ...rollupShape,
  results: z.array(FleetLoopResultSchema),
});
export type FleetReconcileTelemetryRow = z.infer<typeof FleetReconcileTelemetryRowSchema>;

// ---------------------------------------------------------------------------------------------
// Pure functions

/** §4.4 — `<fleetTraceId>-<loopId with every char outside [A-Za-z0-9._-] replaced by "-">`. */
export function loopTraceId(fleetTraceId: string, loopId: string): string {
  return `${fleetTraceId}-${loopId.replace(/[^A-Za-z0-9._-]/gu, "-")}`;
}

/** §3.1 — processing order: registry order, or ascending `loopId` by UTF-16 code unit (stable). */
export function processingOrder<T extends { readonly loopId: string }>(
  loops: readonly T[],
  deterministic: boolean,
): T[] {
  const copy = [...loops];
  if (!deterministic) return copy;
  // Code-unit order equals code-point order for every BMP id; registry ids are ASCII (validated).
  return copy.sort((a, b) => (a.loopId < b.loopId ? -1 : a.loopId > b.loopId ? 1 : 0));
}

/**
 * §4.5 / careful Q4 — newlines become spaces, whitespace runs collapse to one space, the first 600
 * characters are kept, the trailing space is trimmed; `undefined` (field omitted) when nothing remains.
 */
export function outputExcerpt(output: string | null | undefined): string | undefined {
  if (output === null || output === undefined) return undefined;
  const collapsed = output.replace(/\s+/gu, " ").slice(0, 600).trimEnd();
  return collapsed === "" ? undefined : collapsed;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return isJsonObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * §4.3 step 1 (and careful Q5/Q9 on success too): the whole output as one JSON object, else its
 * last non-empty line, else null. Only one document is ever used (never a merge of several).
 */
export function extractDocument(output: string): Record<string, unknown> | null {
  const whole = parseObject(output);
  if (whole !== null) return whole;
  const lines = output.split(/\r?\n/u).filter((line) => line.trim() !== "");
  const last = lines.at(-1);
  return last === undefined ? null : parseObject(last);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function nonEmptyStringOr(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}

/** §4.3 success table: health status / reason codes / transition state of the projection state. */
export function interpretSuccessDocument(document: Record<string, unknown> | null): {
  healthStatus: string;
  healthReasonCodes: string[];
  transitionState?: string;
} {
  const health = isJsonObject(document?.["health"]) ? document["health"] : {};
  const transition = isJsonObject(document?.["transition"]) ? document["transition"] : {};
  const currentState = transition["currentState"];
  return {
    healthStatus: nonEmptyStringOr(health["status"], "unknown"),
    healthReasonCodes: stringArray(health["reasonCodes"]),
    ...(typeof currentState === "string" && currentState !== "" ? { transitionState: currentState } : {}),
  };
}

const REASON_CODE_PRIORITY = [
  "transport_unreachable",
  "invalid_transport_payload",
  "projection_failed",
  "reconcile_failed",
] as const;

/** §4.3 step 2 — reason code of a failure document, or null (fall through to text classification). */
export function failureDocumentReasonCode(document: Record<string, unknown>): string | null {
  const codes = stringArray(document["reasonCodes"]);
  for (const code of REASON_CODE_PRIORITY) if (codes.includes(code)) return code;
  const transport = isJsonObject(document["transport"]) ? document["transport"] : {};
  const failureCode = transport["failureCode"];
  if (typeof failureCode !== "string" || failureCode === "") return null;
  if (["snapshot_unavailable", "events_unavailable", "service_request_failed"].includes(failureCode)) {
    return "transport_unreachable";
  }
  if (failureCode === "service_response_invalid") return "invalid_transport_payload";
  return failureCode;
}

/** §4.3 step 3 — classify raw output text (case-insensitive, first match wins). */
export function classifyFailureText(output: string): string {
  const text = output.toLowerCase();
  if (text.includes("missing required artifact") || text.includes("events artifact")) {
    return "missing_runtime_artifacts";
  }
  if (
    text.includes("service request failed") ||
    text.includes("transport_unreachable") ||
    text.includes("connection refused")
  ) {
    return "transport_unreachable";
  }
  if (/invalid[\s\S]*json/u.test(text) || text.includes("invalid payload"))
    return "invalid_transport_payload";
  return "reconcile_failed";
}

/** §4.3 failure: health fields and reason code of a failed per-loop reconcile's output. */
export function interpretFailureOutput(output: string): {
  healthStatus: string;
  healthReasonCodes: string[];
  reasonCode: string;
} {
  const document = extractDocument(output);
  if (document === null) {
    return { healthStatus: "unknown", healthReasonCodes: [], reasonCode: classifyFailureText(output) };
  }
  return {
    healthStatus: nonEmptyStringOr(document["status"], "unknown"),
    healthReasonCodes: stringArray(document["reasonCodes"]),
    reasonCode: failureDocumentReasonCode(document) ?? classifyFailureText(output),
  };
}

export interface FleetRollup {
  readonly status: FleetRollupStatus;
  readonly reasonCodes: string[];
  readonly loopCount: number;
  readonly successCount: number;
  readonly failedCount: number;
  readonly skippedCount: number;
}

/** §5 — counts, fleet status and (de-duplicated, sorted) fleet reason codes. */
export function rollupFleet(
  results: readonly { readonly status: LoopResultStatus; readonly healthStatus: string }[],
): FleetRollup {
  const count = (status: LoopResultStatus) => results.filter((result) => result.status === status).length;
  const successCount = count("success");
  const failedCount = count("failed");
  const skippedCount = count("skipped");
  const status: FleetRollupStatus =
    failedCount > 0 ? (successCount > 0 ? "partial_failure" : "failed") : "success";
  const codes = new Set<string>();
  if (status === "partial_failure") codes.add("fleet_partial_failure");
  if (status === "failed") codes.add("fleet_reconcile_failed");
  if (results.some((result) => result.healthStatus === "critical")) codes.add("fleet_health_critical");
  else if (results.some((result) => result.healthStatus === "degraded")) codes.add("fleet_health_degraded");
  if (skippedCount > 0) codes.add("fleet_loop_skipped");
  return {
    status,
    reasonCodes: [...codes].sort(),
    loopCount: results.length,
    successCount,
    failedCount,
    skippedCount,
  };
}
