/**
 * Promotion arrays (reason codes, evidence refs) are sorted by plain string comparison, i.e. UTF-16
 * code unit (spec 30 §5.6 "plain string", spec 33 Q8) — unlike the fleet commands' code-point
 * order (`sortedUnique` of @ops/contract, spec 20 §1).
 */
export function sortedUniqueCodeUnits(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
