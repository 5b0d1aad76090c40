/** Shared fixtures of the reconcile pipeline tests (not exported from the package). */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Clock, type JsonObject, opsPaths } from "@ops/contract";
import type { ReconcileContext } from "./context.js";

/** The monorepo root: its `config/` holds the bundled catalogs (the install root). */
export const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** process.env without any OPS_MANAGER_* variable of the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith("OPS_MANAGER_")) env[key] = value;
  return { ...env, ...extra };
}

/** A clock tests move by hand. */
export class TestClock implements Clock {
  private epochMs: number;
  constructor(start: string) {
    this.epochMs = Date.parse(start);
  }
  now(): Date {
    return new Date(this.epochMs);
  }
  set(at: string): void {
    this.epochMs = Date.parse(at);
  }
  advance(seconds: number): void {
    this.epochMs += seconds * 1000;
  }
}

/** A clock whose first reading is `first` and every later one `then` (start vs completion). */
export function twoPhaseClock(first: string, then: string): Clock {
  let calls = 0;
  return {
    now: () => {
      calls += 1;
      return new Date(calls === 1 ? first : then);
    },
  };
}

export function context(clock: Clock, extra: Partial<ReconcileContext> = {}): ReconcileContext {
  return { clock, env: cleanEnv(), installRoot: INSTALL_ROOT, ...extra };
}

export function readJson(file: string): JsonObject {
  return JSON.parse(fs.readFileSync(file, "utf8")) as JsonObject;
}

export function readJsonl(file: string): JsonObject[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as JsonObject);
}

export function ops(repo: string, loop: string) {
  return opsPaths(repo, loop);
}

/** Write an executable stub script (node, via `#!/usr/bin/env node`) and return its path. */
export function writeStub(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 });
  return file;
}
