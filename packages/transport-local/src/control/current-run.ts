/**
 * "Is this loop the repository's current run?" — the check in front of `cancel` (spec 10a §3–4.3).
 *
 * The runtime is one run per repository and its `cancel --repo R` kills whatever process group
 * `active-run.json` registers, whichever loop the operator meant. So before running it, control
 * compares the loop the intent names with the repo's current run:
 *
 * 1. `active-run.json` present → its `loop_id` (this is the group `cancel` would kill);
 * 2. else `state.json` present → its `current_loop_id` (even with `active: false`: `cancel` deletes
 *    that file, which belongs to the loop it names);
 * 3. neither file → no current run (`cancel` has nothing to kill; it is allowed).
 *
 * Both files are written in place by the runtime, so they are read with the store's torn-read
 * retries (10a §4.1). A file that stays unreadable, or that does not name a loop, means the target
 * cannot be known, and the cancel is refused as well: refusing costs a retry, guessing could kill a
 * stranger's run.
 */
import { type JsonReadResult, OpsError, readJsonFile, runtimePaths } from "@ops/contract";
import { isJsonObject, nonEmptyString } from "../values.js";

export type CurrentRun =
  /** Neither runtime file exists. */
  | { readonly kind: "none" }
  | {
      readonly kind: "loop";
      readonly loopId: string;
      /** Which file named it. */
      readonly source: "active-run.json" | "state.json";
      /** `active-run.json` pid, when that file named the loop. */
      readonly pid: number | null;
      /** `state.json` `active` (null when absent or not a boolean). */
      readonly active: boolean | null;
    }
  /** A file exists but cannot be read as a runtime document, or names no loop. */
  | { readonly kind: "unknown"; readonly file: string; readonly problem: string };

export interface CurrentRunOptions {
  readonly tornReadRetries?: number;
  readonly tornReadDelayMs?: number;
}

/** The repository's current run, as far as `cancel` is concerned (see the module comment). */
export async function readCurrentRun(repoPath: string, options: CurrentRunOptions = {}): Promise<CurrentRun> {
  // Any loop id gives the repo-level paths; state.json and active-run.json are per repository.
  const paths = runtimePaths(repoPath, "_");
  const readOptions = {
    ...(options.tornReadRetries === undefined ? {} : { retries: options.tornReadRetries }),
    ...(options.tornReadDelayMs === undefined ? {} : { retryDelayMs: options.tornReadDelayMs }),
  };
  const [activeRun, state] = await Promise.all([
    readRuntimeJson(paths.activeRun, readOptions),
    readRuntimeJson(paths.state, readOptions),
  ]);
  const stateActive =
    state.kind === "ok" && isJsonObject(state.value) && typeof state.value["active"] === "boolean"
      ? (state.value["active"] as boolean)
      : null;

  if (activeRun.kind !== "missing") {
    if (activeRun.kind === "invalid" || !isJsonObject(activeRun.value)) {
      return { kind: "unknown", file: paths.activeRun, problem: "is not a valid JSON object" };
    }
    const loopId = nonEmptyString(activeRun.value["loop_id"]);
    if (loopId === null) return { kind: "unknown", file: paths.activeRun, problem: "names no loop_id" };
    const pid = activeRun.value["pid"];
    return {
      kind: "loop",
      loopId,
      source: "active-run.json",
      pid: typeof pid === "number" && Number.isSafeInteger(pid) ? pid : null,
      active: stateActive,
    };
  }
  if (state.kind === "missing") return { kind: "none" };
  if (state.kind === "invalid" || !isJsonObject(state.value)) {
    return { kind: "unknown", file: paths.state, problem: "is not a valid JSON object" };
  }
  const loopId = nonEmptyString(state.value["current_loop_id"]);
  if (loopId === null) {
    // state.json without a loop and without an active flag set: nothing runs, nothing to protect.
    if (stateActive !== true) return { kind: "none" };
    return { kind: "unknown", file: paths.state, problem: "is active but names no current_loop_id" };
  }
  return { kind: "loop", loopId, source: "state.json", pid: null, active: stateActive };
}

async function readRuntimeJson(
  file: string,
  options: { retries?: number; retryDelayMs?: number },
): Promise<JsonReadResult> {
  try {
    return await readJsonFile(file, options);
  } catch (error) {
    // Unreadable (permissions, a directory): treat like invalid content.
    return { kind: "invalid", error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** Reason code carried by the refusal error (not written anywhere; nothing is recorded). */
export const CANCEL_TARGET_REFUSED_REASON = "control_cancel_target_mismatch";

export type CancelTargetCheck =
  | { readonly ok: true; readonly current: CurrentRun }
  | { readonly ok: false; readonly current: CurrentRun; readonly message: string };

/** Decide whether `cancel` for `loopId` may run, with the one-line refusal message when not. */
export async function checkCancelTarget(
  repoPath: string,
  loopId: string,
  options: CurrentRunOptions = {},
): Promise<CancelTargetCheck> {
  const current = await readCurrentRun(repoPath, options);
  if (current.kind === "none") return { ok: true, current };
  if (current.kind === "loop" && current.loopId === loopId) return { ok: true, current };
  if (current.kind === "loop") {
    const where =
      current.source === "active-run.json"
        ? `active-run.json${current.pid === null ? "" : `, pid ${current.pid}`}`
        : `state.json, active: ${current.active === null ? "unknown" : String(current.active)}`;
    return {
      ok: false,
      current,
      message: `cancel refused: the repository's current run is loop '${current.loopId}' (${where}), not '${loopId}'; the runtime cancel would stop that run, so nothing was executed`,
    };
  }
  return {
    ok: false,
    current,
    message: `cancel refused: cannot tell which loop the repository's current run is (${current.file} ${current.problem}); nothing was executed`,
  };
}

/** `checkCancelTarget`, throwing an OpsError (exit 1) with the refusal message. */
export async function assertCancelTarget(
  repoPath: string,
  loopId: string,
  options: CurrentRunOptions = {},
): Promise<CurrentRun> {
  const check = await checkCancelTarget(repoPath, loopId, options);
  if (!check.ok) {
    throw new OpsError(check.message, {
      exitCode: 1,
      kind: "validation",
      reasonCode: CANCEL_TARGET_REFUSED_REASON,
    });
  }
  return check.current;
}
