/** Shared helpers for this package's tests (not exported from the package). */
import type { Clock } from "@ops/contract";
import { expect } from "vitest";

export function fixedClock(at: string): Clock {
  return { now: () => new Date(at) };
}

/** Assert that `promise` rejects with an instance of `type` whose message is exactly `message`. */
export async function expectRejection(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: string | RegExp,
): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected a rejection").toBeInstanceOf(type);
  const error = caught as Error;
  if (typeof message === "string") expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  expect(error.message).not.toContain("\n");
  expect((error as Error & { exitCode?: number }).exitCode).toBe(1);
  return error;
}
