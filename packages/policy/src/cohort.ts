/**
 * Spec 22 §6.2 — deterministic canary cohort bucket.
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
