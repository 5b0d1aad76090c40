/**
 * Runtime process visibility (spec 10a §4.5): is the process of this loop's run alive?
 *
 * Read-only and advisory: it changes neither lifecycle nor health (staleness still degrades health
 * through the ingest-lag thresholds). Both runtime files are written in place by the runtime, so they
 * are read with the store's torn-read retries (10a §4.1).
 */
import { readFileSync } from "node:fs";
import { type JsonObject, readJsonFile, runtimePaths } from "@ops/contract";
import { firstNumber, firstString, get, isJsonObject } from "./coalesce.js";
import { pathExists } from "./read.js";
import type { RuntimeProcessReason, RuntimeProcessStatus, StatusRuntimeProcess } from "./schemas.js";

export type ProcessProbe = (pid: number) => boolean;

/**
 * Alive = signal 0 can be delivered (EPERM means it exists under another user) and, where /proc is
 * available, the process is not a zombie. A pid can be reused after the run died; the check cannot
 * tell, which is why `registeredAt` is reported next to it.
 */
export function isRuntimeProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid < 1) return false; // 0 / negatives would address groups
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    return stat.slice(close + 2, close + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS) or it vanished between the calls: trust kill(0)
  }
}

type RuntimeFile = { kind: "missing" } | { kind: "ok"; value: JsonObject } | { kind: "invalid" };

async function readRuntimeFile(file: string): Promise<RuntimeFile> {
  try {
    const result = await readJsonFile(file);
    if (result.kind === "missing") return { kind: "missing" };
    if (result.kind === "ok" && isJsonObject(result.value)) return { kind: "ok", value: result.value };
    return { kind: "invalid" };
  } catch {
    return { kind: "invalid" };
  }
}

function positiveInteger(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1 ? value : null;
}

/** The `runtimeProcess` block of the status document for `loopId` in `repoPath`. */
export async function runtimeProcessStatus(
  repoPath: string,
  loopId: string,
  probe: ProcessProbe = isRuntimeProcessAlive,
): Promise<StatusRuntimeProcess> {
  const paths = runtimePaths(repoPath, loopId);
  const [activeRun, runtimeState] = await Promise.all([
    readRuntimeFile(paths.activeRun),
    readRuntimeFile(paths.state),
  ]);
  const run = activeRun.kind === "ok" ? activeRun.value : null;
  const state = runtimeState.kind === "ok" ? runtimeState.value : null;
  const registeredLoopId = firstString(get(run, "loop_id"));
  const runtimeActive = typeof get(state, "active") === "boolean" ? (get(state, "active") as boolean) : null;
  const runtimeLoopId = firstString(get(state, "current_loop_id"));

  let status: RuntimeProcessStatus;
  let reason: RuntimeProcessReason | null = null;
  const registersThisLoop = run !== null && (registeredLoopId === null || registeredLoopId === loopId);
  if (activeRun.kind === "invalid") {
    status = "unknown";
    reason = "active_run_unreadable";
  } else if (registersThisLoop) {
    const pid = positiveInteger(get(run, "pid"));
    if (pid === null) {
      status = "unknown";
      reason = "active_run_pid_invalid";
    } else {
      status = probe(pid) ? "alive" : "dead";
    }
  } else if (runtimeState.kind === "invalid") {
    status = "unknown";
    reason = "runtime_state_unreadable";
  } else if (runtimeActive === true && (runtimeLoopId === null || runtimeLoopId === loopId)) {
    status = "absent";
  } else if (activeRun.kind === "missing" && state === null && !(await pathExists(paths.loopDir))) {
    // Nothing of the runtime on this host (e.g. the run lives behind sprite_service elsewhere).
    status = "unknown";
    reason = "runtime_files_not_local";
  } else {
    status = "not_running";
  }

  return {
    status,
    ...(reason === null ? {} : { reason }),
    pid: firstNumber(get(run, "pid")),
    pgid: firstNumber(get(run, "pgid")),
    registeredLoopId,
    stage: firstString(get(run, "stage")),
    registeredAt: firstString(get(run, "updated_at")),
    runtimeActive,
    runtimeLoopId,
    activeRunFile: paths.activeRun,
    runtimeStateFile: paths.state,
  };
}
