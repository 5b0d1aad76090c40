/** Shared helpers for this package's tests (not exported from the package). */
import type { Clock } from "@ops/contract";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { afterEach, expect } from "vitest";

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

/**
 * A factory of simulated repos, each removed after the test that created it. Call once at module
 * level (it registers the `afterEach` cleanup).
 */
export function simulatedRepos(): () => SimulatedRepo {
  const repos: SimulatedRepo[] = [];
  afterEach(async () => {
    await Promise.all(repos.splice(0).map((repo) => repo.cleanup()));
  });
  return () => {
    const repo = createSimulatedRepo();
    repos.push(repo);
    return repo;
  };
}
