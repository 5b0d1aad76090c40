/**
 * Spec 13 §6: what reconcile adds to `state.json`. Pure: the caller reads and writes the file.
 */
import type { JsonObject } from "@ops/contract";
import type { HealthDocument, ProfileDriftDocument, TelemetrySummaryDocument } from "@ops/health";
import type { SequenceState, Tuning } from "./schemas.js";
import { field, isJsonObject, objectField } from "./util.js";

function mergeTrace(existing: unknown, traceId: string): JsonObject {
  return { ...(isJsonObject(existing) ? existing : {}), reconcileTraceId: traceId };
}

/**
 * Success: the project-state output plus `health` (the full document), `trace` (merged over any
 * existing `trace`) and `sequence` (the sequence-state document).
 */
export function mergeSuccessState(
  projection: JsonObject,
  health: HealthDocument,
  traceId: string,
  sequence: SequenceState,
): JsonObject {
  const merged: JsonObject = { ...projection };
  merged["health"] = health;
  merged["trace"] = mergeTrace(projection["trace"], traceId);
  merged["sequence"] = sequence;
  return merged;
}

/**
 * Failure: the existing state file (invalid → `{}`) with `health` replaced and
 * `trace.reconcileTraceId` merged; nothing else changes (lifecycle stays at the last good projection).
 */
export function mergeFailureState(existing: unknown, health: HealthDocument, traceId: string): JsonObject {
  const merged: JsonObject = isJsonObject(existing) ? { ...existing } : {};
  merged["health"] = health;
  merged["trace"] = mergeTrace(merged["trace"], traceId);
  return merged;
}

/**
 * The `tuning` section (spec 13 §6 table) from the state's own `health.thresholds.profile` and the
 * telemetry summary. A summary produced by a hook script is taken as it is (missing fields → null).
 */
export function tuningOf(state: unknown, summary: TelemetrySummaryDocument | JsonObject): Tuning {
  const applied = field(objectField(objectField(state, "health"), "thresholds"), "profile");
  const s: JsonObject = summary as JsonObject;
  const source = objectField(s, "source");
  const window = source?.["window"];
  return {
    appliedProfile: typeof applied === "string" ? applied : null,
    recommendedProfile: stringOrNull(s["recommendedProfile"]),
    confidence: stringOrNull(s["confidence"]),
    rationale: stringOrNull(s["rationale"]),
    summaryWindow: typeof window === "number" && Number.isSafeInteger(window) ? window : null,
    telemetrySummary: { observed: objectField(s, "observed"), source },
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/**
 * After profile drift: `drift` = drift document + `traceId`, and `tuning` when a telemetry summary
 * was produced.
 */
export function mergeDriftState(
  state: unknown,
  drift: ProfileDriftDocument | JsonObject,
  traceId: string,
  summary: TelemetrySummaryDocument | JsonObject | null,
): JsonObject {
  const merged: JsonObject = isJsonObject(state) ? { ...state } : {};
  merged["drift"] = { ...drift, traceId };
  if (summary !== null) merged["tuning"] = tuningOf(merged, summary);
  return merged;
}
