/**
 * Small coercions shared by the snapshot and the event mapping. They reproduce what the original
 * shell/jq implementation produced for well-formed runtime data, and decide (in one place) what
 * happens with data the runtime does not write but a damaged file might contain.
 */
import { isJsonObject } from "@ops/contract";

export { isJsonObject };

/** The value when it is a non-empty string, else null. */
export function nonEmptyString(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/**
 * Event name: `event`, else `type` (spec 10 §2.1). Only non-empty strings count as names; an empty
 * or non-string `event` falls back to `type` (the jq original fell back only on null/false, and
 * then failed on an empty name anyway).
 */
export function eventNameOf(event: unknown): string | null {
  if (!isJsonObject(event)) return null;
  return nonEmptyString(event["event"]) ?? nonEmptyString(event["type"]);
}

/**
 * Iteration as a contract integer (spec 11 §2.1/§3): numbers and numeric strings are converted,
 * anything non-numeric (booleans, objects, empty or non-numeric strings) becomes 0. The contract
 * needs a non-negative integer, so fractions are truncated and negatives become 0.
 */
export function toIteration(value: unknown): number {
  let numeric: number;
  if (typeof value === "number") numeric = value;
  else if (typeof value === "string" && value.trim().length > 0) numeric = Number(value);
  else return 0;
  if (!Number.isFinite(numeric) || numeric <= 0) return 0;
  const whole = Math.trunc(numeric);
  return Number.isSafeInteger(whole) ? whole : 0;
}

/**
 * A free-text event field (`role`, `status`, `message`) as `string | null` (spec 11 §3):
 * absent, null, false and "" → null (jq's `// empty`); strings verbatim; numbers and `true` as their
 * JSON text; objects and arrays as compact JSON text (Q11-6, kept).
 */
export function textField(value: unknown): string | null {
  if (value === undefined || value === null || value === false || value === "") return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || value === true) return String(value);
  return JSON.stringify(value) ?? null;
}
