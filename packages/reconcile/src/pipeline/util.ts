/** Small helpers shared by the reconcile pipeline steps. */
import { errorMessage, type JsonObject, readJsonFile } from "@ops/contract";
import { isJsonObject } from "@ops/transport-local";

export { isJsonObject };

/** Spec 13 §3–§10: "last 40 lines" of a step's output. */
export const OUTPUT_TAIL_LINES = 40;

/** `value[key]` when `value` is a JSON object, else undefined. */
export function field(value: unknown, key: string): unknown {
  return isJsonObject(value) ? value[key] : undefined;
}

export function objectField(value: unknown, key: string): JsonObject | null {
  const child = field(value, key);
  return isJsonObject(child) ? child : null;
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

export function nonNegativeIntegerOrNull(value: unknown): number | null {
  return isNonNegativeInteger(value) ? value : null;
}

export function nonEmptyString(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/**
 * The last `maxLines` lines of a step's output (trailing newlines dropped, `\r` removed), or null
 * when there is no output at all ("omit-if-null").
 */
export function outputTail(text: string | null | undefined, maxLines = OUTPUT_TAIL_LINES): string | null {
  if (text === null || text === undefined) return null;
  const lines = text.replace(/\r/g, "").split("\n");
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) return null;
  return lines.slice(-maxLines).join("\n");
}

/**
 * What an in-process step "printed to stderr" when it failed: the CLI's one `error: <message>` line
 * (spec 10 §1.2), so `failureMessage` reads the same whether the step ran in-process or as a command.
 */
export function stepErrorOutput(error: unknown): string {
  return `error: ${errorMessage(error)}`;
}

/** Remove keys whose value is null, undefined or "" ("omit-if-null", spec 10 §1.3). */
export function omitEmpty<T extends Record<string, unknown>>(record: T, keys: readonly (keyof T)[]): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (keys.includes(key as keyof T) && (value === null || value === undefined || value === "")) continue;
    out[key] = value;
  }
  return out as T;
}

/**
 * A manager-owned JSON object file for reading a previous value: missing, unreadable, invalid JSON
 * or not an object → `{}` (spec 13: "invalid → {}").
 */
export async function readObjectOrEmpty(file: string): Promise<JsonObject> {
  try {
    const result = await readJsonFile(file, { retries: 0 });
    return result.kind === "ok" && isJsonObject(result.value) ? result.value : {};
  } catch {
    return {};
  }
}
