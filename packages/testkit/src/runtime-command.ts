import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { readJsonLines } from "./fsutil.js";

/** Absolute path of the simulated runtime command (works from src/ and the built dist/). */
export function superloopBinPath(): string {
  return fileURLToPath(new URL("../bin/superloop.mjs", import.meta.url));
}

/** Environment knobs of bin/superloop.mjs (see README). Values are passed as strings. */
export interface SuperloopSimEnv {
  SUPERLOOP_SIM_INVOCATION_LOG?: string;
  SUPERLOOP_SIM_SLEEP_MS?: number;
  SUPERLOOP_SIM_EXIT_CODE?: number;
  SUPERLOOP_SIM_EXIT_AFTER_EFFECT?: boolean;
  SUPERLOOP_SIM_SKIP_EFFECT?: boolean;
  SUPERLOOP_SIM_OUTPUT_LINES?: number;
  SUPERLOOP_SIM_CRLF?: boolean;
  SUPERLOOP_SIM_NOW?: string;
  SUPERLOOP_SIM_TORN_WRITE_MS?: number;
  SUPERLOOP_SIM_KILL_GRACE_MS?: number;
}

/** Turn typed knobs into env strings (booleans → "1"; false/undefined dropped). */
export function superloopSimEnv(knobs: SuperloopSimEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(knobs) as [string, string | number | boolean | undefined][]) {
    if (value === undefined || value === false) continue;
    env[key] = value === true ? "1" : String(value);
  }
  return env;
}

export interface RunSuperloopOptions {
  env?: Record<string, string>;
  sim?: SuperloopSimEnv;
  cwd?: string;
  timeoutMs?: number;
}

export interface RunSuperloopResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run bin/superloop.mjs with `node` and capture its result (never throws on non-zero exit). */
export async function runSuperloop(
  args: readonly string[],
  options: RunSuperloopOptions = {},
): Promise<RunSuperloopResult> {
  const result = await execa(process.execPath, [superloopBinPath(), ...args], {
    reject: false,
    env: { ...options.env, ...superloopSimEnv(options.sim ?? {}) },
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    stripFinalNewline: false,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    timedOut: result.timedOut,
  };
}

export interface InvocationRecord {
  timestamp: string;
  pid: number;
  cwd: string;
  argv: string[];
}

/** Lines of SUPERLOOP_SIM_INVOCATION_LOG ([] when the file does not exist). */
export function readInvocationLog(file: string): InvocationRecord[] {
  return readJsonLines(file) as InvocationRecord[];
}
