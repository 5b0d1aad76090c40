/** The common trace id precedence: `--trace-id` (non-empty) → `OPS_MANAGER_TRACE_ID` (non-empty). */
import { randomUUID } from "node:crypto";

export const TRACE_ID_ENV = "OPS_MANAGER_TRACE_ID";

/**
 * The flag when non-empty, else `OPS_MANAGER_TRACE_ID` when non-empty, else null. Commands that
 * fall back to a generated id add it themselves (see {@link resolveTraceId}).
 */
export function givenTraceId(
  flagValue: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | null {
  if (flagValue !== undefined && flagValue !== "") return flagValue;
  const fromEnv = env[TRACE_ID_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return null;
}

/** `--trace-id` (non-empty) → `OPS_MANAGER_TRACE_ID` (non-empty) → `generate()` lowercased (default a UUID). */
export function resolveTraceId(
  flagValue: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  generate: () => string = randomUUID,
): string {
  return givenTraceId(flagValue, env) ?? generate().toLowerCase();
}
