/**
 * The artifact path layout: the one module that knows every path under `.superloop/`.
 * Relative paths (as recorded inside envelopes) use `/`; absolute ones are built with node:path.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ValidationError } from "./errors.js";

/** Loop ids must be safe as one path segment and in a URL query (spec 10 quirk Q10-3). */
export const LOOP_ID_PATTERN = /^[A-Za-z0-9._-]+$/;
export const LOOP_ID_MAX_LENGTH = 128;

export type LoopIdProblem = "empty" | "too_long" | "invalid_characters" | "dot_segment" | "reserved";

/**
 * `.superloop/ops-manager/fleet/` is the fleet's own directory, next to the per-loop ones: a loop of
 * that name would overwrite the fleet's state.json and interleave its telemetry. Compared without
 * case, for case-insensitive file systems.
 */
export const RESERVED_LOOP_ID = "fleet";

export function loopIdProblem(loopId: string): LoopIdProblem | null {
  if (loopId.length === 0) return "empty";
  if (loopId.length > LOOP_ID_MAX_LENGTH) return "too_long";
  if (loopId === "." || loopId === "..") return "dot_segment";
  if (!LOOP_ID_PATTERN.test(loopId)) return "invalid_characters";
  if (loopId.toLowerCase() === RESERVED_LOOP_ID) return "reserved";
  return null;
}

/** Why a loop id is refused, completing `loopId "<id>" …` / `invalid loop id for <flag>: "<id>" …`. */
export const LOOP_ID_PROBLEM_TEXT: Readonly<Record<LoopIdProblem, string>> = {
  empty: "must not be empty",
  too_long: `must be at most ${LOOP_ID_MAX_LENGTH} characters`,
  invalid_characters: "may contain only letters, digits, '.', '_' and '-'",
  dot_segment: "must not be '.' or '..'",
  reserved: "is reserved for the fleet's own directory",
};

export function isValidLoopId(loopId: string): boolean {
  return loopIdProblem(loopId) === null;
}

/** Throws a one-line ValidationError unless `loopId` is a safe single path segment. */
export function assertValidLoopId(loopId: string, flag = "--loop"): string {
  const problem = loopIdProblem(loopId);
  if (problem === null) return loopId;
  throw new ValidationError(
    `invalid loop id for ${flag}: ${JSON.stringify(loopId)} ${LOOP_ID_PROBLEM_TEXT[problem]}`,
  );
}

export const SUPERLOOP_DIR = ".superloop";
export const OPS_MANAGER_DIR = `${SUPERLOOP_DIR}/ops-manager`;
export const FLEET_DIR = `${OPS_MANAGER_DIR}/fleet`;

/** Runtime files of one loop, relative to the repo (what envelopes record as `artifacts.*.path`). */
export function runtimeRelativePaths(loopId: string) {
  const loopDir = `${SUPERLOOP_DIR}/loops/${loopId}`;
  return {
    loopDir,
    events: `${loopDir}/events.jsonl`,
    runSummary: `${loopDir}/run-summary.json`,
    state: `${SUPERLOOP_DIR}/state.json`,
    activeRun: `${SUPERLOOP_DIR}/active-run.json`,
    approval: `${loopDir}/approval.json`,
    heartbeat: `${loopDir}/heartbeat.v1.json`,
    decisions: `${loopDir}/decisions.jsonl`,
    standaloneCursor: `${loopDir}/ops-manager.cursor.json`,
  } as const;
}

export type RuntimeRelativePaths = ReturnType<typeof runtimeRelativePaths>;

function absolutize<T extends Record<string, string>>(repo: string, rel: T): { [K in keyof T]: string } {
  const out = {} as { [K in keyof T]: string };
  for (const key of Object.keys(rel) as (keyof T)[]) out[key] = path.join(repo, rel[key] as string);
  return out;
}

/** Absolute runtime paths of one loop in `repo` (repo must already be absolute). */
export function runtimePaths(repo: string, loopId: string) {
  return absolutize(repo, runtimeRelativePaths(loopId));
}

/** Manager artifacts of one loop: `<repo>/.superloop/ops-manager/<loop>/…` (spec 10 §3). */
export function opsPaths(repo: string, loopId: string) {
  const dir = path.join(repo, OPS_MANAGER_DIR, loopId);
  const telemetry = path.join(dir, "telemetry");
  return {
    dir,
    state: path.join(dir, "state.json"),
    cursor: path.join(dir, "cursor.json"),
    health: path.join(dir, "health.json"),
    heartbeat: path.join(dir, "heartbeat.json"),
    sequenceState: path.join(dir, "sequence-state.json"),
    intents: path.join(dir, "intents.jsonl"),
    escalations: path.join(dir, "escalations.jsonl"),
    profileDrift: path.join(dir, "profile-drift.json"),
    alertDispatchState: path.join(dir, "alert-dispatch-state.json"),
    serviceIdempotency: path.join(dir, "service-idempotency.json"),
    lock: path.join(dir, ".lock"),
    telemetry: {
      dir: telemetry,
      reconcile: path.join(telemetry, "reconcile.jsonl"),
      control: path.join(telemetry, "control.jsonl"),
      controlInvocations: path.join(telemetry, "control-invocations.jsonl"),
      heartbeat: path.join(telemetry, "heartbeat.jsonl"),
      sequence: path.join(telemetry, "sequence.jsonl"),
      profileDrift: path.join(telemetry, "profile-drift.jsonl"),
      alerts: path.join(telemetry, "alerts.jsonl"),
      transportHealth: path.join(telemetry, "transport-health.json"),
    },
  } as const;
}

export type OpsPaths = ReturnType<typeof opsPaths>;

/** Fleet-level artifacts: `<repo>/.superloop/ops-manager/fleet/…` (specs 20–34). */
export function fleetPaths(repo: string) {
  const dir = path.join(repo, FLEET_DIR);
  const telemetry = path.join(dir, "telemetry");
  return {
    dir,
    registry: path.join(dir, "registry.v1.json"),
    state: path.join(dir, "state.json"),
    policyState: path.join(dir, "policy-state.json"),
    handoffState: path.join(dir, "handoff-state.json"),
    promotionState: path.join(dir, "promotion-state.json"),
    promotionCiResult: path.join(dir, "promotion-ci-result.json"),
    promotionCiSummary: path.join(dir, "promotion-ci-summary.md"),
    promotionApplyState: path.join(dir, "promotion-apply-state.json"),
    promotionOrchestrateResult: path.join(dir, "promotion-orchestrate-result.json"),
    promotionOrchestrateSummary: path.join(dir, "promotion-orchestrate-summary.md"),
    promotionDrills: path.join(dir, "drills", "promotion.v1.json"),
    lock: path.join(dir, ".lock"),
    telemetry: {
      dir: telemetry,
      reconcile: path.join(telemetry, "reconcile.jsonl"),
      policy: path.join(telemetry, "policy.jsonl"),
      policyHistory: path.join(telemetry, "policy-history.jsonl"),
      policyGovernance: path.join(telemetry, "policy-governance.jsonl"),
      handoff: path.join(telemetry, "handoff.jsonl"),
      promotion: path.join(telemetry, "promotion.jsonl"),
      promotionApply: path.join(telemetry, "promotion-apply.jsonl"),
    },
  } as const;
}

export type FleetPaths = ReturnType<typeof fleetPaths>;

/**
 * Resolve `--repo` the way the spec says (spec 10 §1.2): logical absolute path, `cd`+`pwd`
 * semantics, symlinks not resolved.
 */
export function resolveRepoPath(repo: string, cwd: string = process.env["PWD"] ?? process.cwd()): string {
  return path.resolve(cwd, repo);
}

/** Bundled catalogs, relative to the ops-manager install root (spec 00, spec 10 §1.1). */
export const THRESHOLD_PROFILES_CATALOG = "config/ops-manager-threshold-profiles.v1.json";
export const ALERT_SINKS_CATALOG = "config/ops-manager-alert-sinks.v1.json";

export interface InstallRoot {
  /** Absolute install root directory (the monorepo root in this repository). */
  readonly root: string;
  /** Absolute path of the bundled threshold-profile catalog. */
  readonly thresholdProfilesFile: string;
  /** Absolute path of the bundled alert-sink config. */
  readonly alertSinksFile: string;
}

/**
 * The install root at or above `start`: the nearest directory whose `config/` holds the bundled
 * threshold-profile catalog, or null. Apps search from their own module file, so the result is the
 * same from sources, from a build and from any working directory.
 */
export function findInstallRoot(start: string): InstallRoot | null {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, THRESHOLD_PROFILES_CATALOG))) {
      return {
        root: dir,
        thresholdProfilesFile: path.join(dir, THRESHOLD_PROFILES_CATALOG),
        alertSinksFile: path.join(dir, ALERT_SINKS_CATALOG),
      };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
