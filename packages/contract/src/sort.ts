/**
 * The sort order of the fleet commands' arrays (spec 20 §1: "ascending by code-point (byte)
 * order"): Unicode code points, which is also the byte order of UTF-8. It differs from a plain
 * `<` comparison (UTF-16 code units) only for characters outside the Basic Multilingual Plane.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) {
      // Everything before `index` is equal, so both strings are at the same code point boundary.
      const cx = a.codePointAt(index) ?? x;
      const cy = b.codePointAt(index) ?? y;
      return cx < cy ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** A sorted (code-point order), de-duplicated copy: every reason-code array of the fleet commands. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareCodePoints);
}
