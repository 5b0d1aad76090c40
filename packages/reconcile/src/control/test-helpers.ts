/** Shared helpers of the control tests (not exported from the package). */
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Clock } from "@ops/contract";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";

export const repos: SimulatedRepo[] = [];

export function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  repos.push(repo);
  return repo;
}

export async function cleanupRepos(): Promise<void> {
  for (const repo of repos.splice(0)) await repo.cleanup();
}

/** A clock that only moves when `sleep` is called (deterministic confirmation loops). */
export function manualTime(start = "2026-02-22T10:10:00Z"): {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
} {
  let now = new Date(start).getTime();
  const sleeps: number[] = [];
  return {
    clock: { now: () => new Date(now) },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

/** Write an executable POSIX shell script and return its path. */
export function writeScript(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
