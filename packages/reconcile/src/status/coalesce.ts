/**
 * The value rules of spec 17 §2: `a ?? b` means "use `a` unless it is null/absent **or false**"
 * (jq's `//`). `0` and `""` are kept (unlike JavaScript's `||`).
 *
 * Each picker also narrows to the type the artifact's writer produces: a candidate of another type
 * (e.g. a string where a number belongs) is skipped like an absent one, so corrupt artifacts cannot
 * put wrongly typed values into the status document.
 */
import { isJsonObject, type JsonObject } from "@ops/contract";

export { isJsonObject };

/** jq path access: `value.a.b…`; undefined as soon as a step is not an object or lacks the key. */
export function get(value: unknown, ...keys: readonly string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    if (!isJsonObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** jq-falsy: absent, null or false. */
export function isFalsy(value: unknown): boolean {
  return value === undefined || value === null || value === false;
}

/** First candidate that is not falsy and satisfies `accept`; null when none does. */
function pick<T>(candidates: readonly unknown[], accept: (value: unknown) => value is T): T | null {
  for (const candidate of candidates) {
    if (!isFalsy(candidate) && accept(candidate)) return candidate;
  }
  return null;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** `a ?? b ?? …` over strings. */
export function firstString(...candidates: readonly unknown[]): string | null {
  return pick(candidates, isString);
}

/** `a ?? b ?? …` over numbers. */
export function firstNumber(...candidates: readonly unknown[]): number | null {
  return pick(candidates, isNumber);
}

/** `a ?? b ?? …` over string arrays (an empty array is kept: it is not falsy). */
export function firstStringArray(...candidates: readonly unknown[]): string[] | null {
  const found = pick(candidates, isStringArray);
  return found === null ? null : [...found];
}

/** `a ?? b ?? …` over JSON objects. */
export function firstObject(...candidates: readonly unknown[]): JsonObject | null {
  return pick(candidates, isJsonObject);
}

/**
 * A boolean under falsy coalescing (Q17-1): `true` when the coalesced value is `true` (a `false`
 * candidate falls through to the next one, as the spec says). The spec then drops the key; the
 * careful, additive form used here reports an explicit `false` when some candidate was a boolean
 * `false` and none was `true`, and null (key omitted) when no candidate was a boolean.
 */
export function coalescedFlag(...candidates: readonly unknown[]): boolean | null {
  if (candidates.some((candidate) => candidate === true)) return true;
  if (candidates.some((candidate) => candidate === false)) return false;
  return null;
}

/** Remove null-valued keys ("nulls omitted"). */
export function omitNulls<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], null> } {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== null && item !== undefined) out[key] = item;
  return out as { [K in keyof T]?: Exclude<T[K], null> };
}
