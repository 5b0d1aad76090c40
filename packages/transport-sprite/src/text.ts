/** Small text helpers shared by the handlers and the client (spec 16 "last 40 lines" rules). */
import { isJsonObject } from "@ops/contract";

/** How many lines of a stderr / response body the spec keeps ("last 40 lines"). */
export const TAIL_LINES = 40;

function splitLines(text: string): string[] {
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The last `count` lines of `text` (a trailing newline does not make an extra empty line). */
export function lastLines(text: string, count = TAIL_LINES): string {
  return splitLines(text).slice(-count).join("\n");
}

/** The last `count` non-blank lines of `text` (spec 16 §3.2/§3.4: adapter and control stderr). */
export function lastNonBlankLines(text: string, count = TAIL_LINES): string {
  return splitLines(text)
    .filter((line) => line.trim().length > 0)
    .slice(-count)
    .join("\n");
}

/** The last line of `text` that parses as a JSON object (spec 16 §3.4 `result`), or null. */
export function lastJsonObjectLine(text: string): Record<string, unknown> | null {
  const lines = splitLines(text);
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = (lines[index] ?? "").trim();
    if (!line.startsWith("{")) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (isJsonObject(parsed)) return parsed;
    } catch {
      // not JSON: keep looking upwards
    }
  }
  return null;
}

/** A copy of `value` without the top-level keys whose value is null or undefined. */
export function omitNullish<T extends Record<string, unknown>>(value: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== null && entry !== undefined) out[key] = entry;
  }
  return out as Partial<T>;
}
