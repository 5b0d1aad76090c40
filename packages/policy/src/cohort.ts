/**
 * Spec 22 §6.2 — deterministic canary cohort bucket, and code-point string ordering (§2).
 */

export const DEFAULT_SELECTOR_SALT = "fleet-autonomous-rollout-v1";
const MODULUS = 1_000_003;

/**
 * `seed = loopId + "|" + salt; h = 17; for each code point c: h = (h * 31 + c) mod 1000003;
 * bucket = h mod 100`. Exact integer arithmetic: h < 1000003 and c ≤ 0x10FFFF, so h * 31 + c stays
 * below 2^25 and doubles are exact.
 */
export function cohortBucket(loopId: string, salt: string): number {
  let h = 17;
  for (const char of `${loopId}|${salt}`) {
    h = (h * 31 + (char.codePointAt(0) ?? 0)) % MODULUS;
  }
  return h % 100;
}

/** §6.1 `rolloutCanarySelected`: ≤ 0 → false, ≥ 100 → true, else `bucket < canaryPercent`. */
export function canarySelected(bucket: number, canaryPercent: number): boolean {
  if (canaryPercent <= 0) return false;
  if (canaryPercent >= 100) return true;
  return bucket < canaryPercent;
}

/** Ascending code-point order (the spec's sort order; differs from `<` only for astral characters). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Sorted (code-point order), de-duplicated copy — every reason-code array of the fleet commands. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareCodePoints);
}
