/**
 * profile-drift (spec 18 §4): a stateful streak over "applied profile ≠ recommended profile with
 * enough confidence". `evaluateProfileDrift` is the pure state machine; `profileDrift` validates
 * flags, reads the previous state, writes the new state atomically and appends a history row.
 */
import path from "node:path";
import {
  appendJsonl,
  assertValidLoopId,
  assertWritable,
  formatTimestamp,
  LoopTelemetryCategory,
  opsPaths,
  ProfileDriftAction,
  ProfileDriftReasonCode,
  ProfileDriftStatus,
  readJsonFile,
  systemClock,
  ValidationError,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import { contextCwd, type HealthCommandContext } from "./context.js";
import type { Confidence, ProfileDriftDocument, ProfileDriftHistoryRow } from "./schemas.js";
import { selectThresholdProfilesFile } from "./thresholds.js";
import {
  isJsonObject,
  isKind,
  isNonNegativeInteger,
  type JsonObject,
  optionalFlag,
  positiveIntegerFlag,
  readJsonObjectFile,
  requireFlag,
  resolveRepoDir,
} from "./util.js";

export const CONFIDENCE_RANK: Readonly<Record<Confidence, number>> = Object.freeze({
  low: 1,
  medium: 2,
  high: 3,
});

export const DEFAULT_REQUIRED_STREAK = 3;
export const DEFAULT_DRIFT_SUMMARY_WINDOW = 200;

export function isConfidence(value: unknown): value is Confidence {
  return value === "low" || value === "medium" || value === "high";
}

/** Inputs of one drift evaluation (validated flag values). */
export interface ProfileDriftEvaluationInput {
  readonly loopId: string;
  /** "" = none. */
  readonly appliedProfile: string;
  /** "" = no recommendation. */
  readonly recommendedProfile: string;
  readonly recommendationConfidence: Confidence;
  readonly minimumConfidence: Confidence;
  readonly requiredStreak: number;
  /** Metadata only (Q18-5). */
  readonly summaryWindow: number;
  /** "" = none. */
  readonly rationale: string;
  /** `updatedAt`. */
  readonly now: string;
}

/** Spec 18 §4 steps 1–8. `previous` is the previous state document (`{}` when none). Pure. */
export function evaluateProfileDrift(
  previous: JsonObject,
  input: ProfileDriftEvaluationInput,
): ProfileDriftDocument {
  const previousStreak = isNonNegativeInteger(previous["mismatchStreak"]) ? previous["mismatchStreak"] : 0;
  const previousActive = previous["driftActive"] === true;
  const recommendationRank = CONFIDENCE_RANK[input.recommendationConfidence];
  const minimumRank = CONFIDENCE_RANK[input.minimumConfidence];
  const confidenceOk = recommendationRank >= minimumRank;
  const mismatch =
    input.appliedProfile.length > 0 &&
    input.recommendedProfile.length > 0 &&
    input.appliedProfile !== input.recommendedProfile;
  const eligibleMismatch = mismatch && confidenceOk;
  const mismatchStreak = eligibleMismatch ? previousStreak + 1 : 0;
  const driftActive = mismatchStreak >= input.requiredStreak;

  let status: ProfileDriftDocument["status"];
  if (input.recommendedProfile.length === 0) status = ProfileDriftStatus.NoRecommendation;
  else if (!mismatch) status = ProfileDriftStatus.Aligned;
  else if (!confidenceOk) status = ProfileDriftStatus.InsufficientConfidence;
  else if (driftActive) status = ProfileDriftStatus.DriftActive;
  else status = ProfileDriftStatus.MismatchPending;

  let action: ProfileDriftDocument["action"];
  if (driftActive) action = ProfileDriftAction.ReviewThresholdProfile;
  else if (status === ProfileDriftStatus.MismatchPending)
    action = ProfileDriftAction.MonitorAdditionalWindows;
  else if (status === ProfileDriftStatus.InsufficientConfidence) {
    action = ProfileDriftAction.CollectMoreConfidentTelemetry;
  }

  return {
    schemaVersion: "v1",
    updatedAt: input.now,
    loopId: input.loopId,
    status,
    ...(status === ProfileDriftStatus.DriftActive
      ? { reasonCode: ProfileDriftReasonCode.ProfileDriftDetected }
      : {}),
    ...(input.appliedProfile.length > 0 ? { appliedProfile: input.appliedProfile } : {}),
    ...(input.recommendedProfile.length > 0 ? { recommendedProfile: input.recommendedProfile } : {}),
    recommendationConfidence: input.recommendationConfidence,
    minimumConfidence: input.minimumConfidence,
    recommendationRank,
    minimumRank,
    requiredStreak: input.requiredStreak,
    summaryWindow: input.summaryWindow,
    mismatch,
    confidenceOk,
    eligibleMismatch,
    mismatchStreak,
    driftActive,
    transitioned: { toActive: driftActive && !previousActive, toResolved: !driftActive && previousActive },
    ...(input.rationale.length > 0 ? { rationale: input.rationale } : {}),
    ...(action !== undefined ? { action } : {}),
  };
}

/** The history row appended for one evaluation. */
export function profileDriftHistoryRow(
  drift: ProfileDriftDocument,
  timestamp: string = drift.updatedAt,
): ProfileDriftHistoryRow {
  return { timestamp, loopId: drift.loopId, category: LoopTelemetryCategory.ProfileDriftEvaluation, drift };
}

// ---------------------------------------------------------------------------------------------------
// Command: profile-drift
// ---------------------------------------------------------------------------------------------------

export interface ProfileDriftInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  readonly appliedProfile?: string | undefined;
  readonly recommendedProfile?: string | undefined;
  /** `--thresholds-file` (default env `OPS_MANAGER_THRESHOLD_PROFILES_FILE`, else the bundled catalog). */
  readonly thresholdsFile?: string | undefined;
  /** `low` | `medium` | `high` (default `low`). */
  readonly recommendationConfidence?: string | undefined;
  /** `low` | `medium` | `high` (default `medium`). */
  readonly minConfidence?: string | undefined;
  /** Integer ≥ 1 (default 3). */
  readonly requiredStreak?: string | undefined;
  /** Integer ≥ 1 (default 200; metadata only). */
  readonly summaryWindow?: string | undefined;
  readonly rationale?: string | undefined;
  /** Default `<ops>/profile-drift.json`. */
  readonly driftStateFile?: string | undefined;
  /** Default `<ops>/telemetry/profile-drift.jsonl`. */
  readonly driftHistoryFile?: string | undefined;
}

function confidenceFlag(value: string | undefined, flag: string, fallback: Confidence): Confidence {
  if (value === undefined) return fallback;
  if (!isConfidence(value)) throw new ValidationError(`${flag} must be one of: low, medium, high`);
  return value;
}

/**
 * profile-drift's catalog rule (Q18-6: only `profiles` must be an object): the profile names, or
 * `invalid threshold profiles file: <path>` when the file is missing, not JSON or has no
 * `profiles` object.
 */
export async function loadDriftProfileNames(file: string, cwd: string): Promise<ReadonlySet<string>> {
  const invalid = () => new ValidationError(`invalid threshold profiles file: ${file}`);
  const absolute = path.resolve(cwd, file);
  if (!(await isKind(absolute, "file"))) throw invalid();
  let parsed: unknown;
  try {
    const result = await readJsonFile(absolute, { retries: 0 });
    if (result.kind !== "ok") throw invalid();
    parsed = result.value;
  } catch {
    throw invalid();
  }
  const profiles = isJsonObject(parsed) ? parsed["profiles"] : undefined;
  if (!isJsonObject(profiles)) throw invalid();
  return new Set(Object.keys(profiles));
}

/**
 * `profile-drift`. Validation in the spec's order, then (holding a lock on the state file) read the
 * previous state, evaluate, write the state atomically (compact) and append one history row.
 */
export async function profileDrift(
  input: ProfileDriftInput,
  ctx: HealthCommandContext = {},
): Promise<ProfileDriftDocument> {
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  const requiredStreak = positiveIntegerFlag(
    input.requiredStreak,
    "--required-streak",
    DEFAULT_REQUIRED_STREAK,
  );
  const summaryWindow = positiveIntegerFlag(
    input.summaryWindow,
    "--summary-window",
    DEFAULT_DRIFT_SUMMARY_WINDOW,
  );
  const recommendationConfidence = confidenceFlag(
    input.recommendationConfidence,
    "--recommendation-confidence",
    "low",
  );
  const minimumConfidence = confidenceFlag(input.minConfidence, "--min-confidence", "medium");
  assertValidLoopId(loop, "--loop");
  const cwd = contextCwd(ctx);
  const repoPath = await resolveRepoDir(repo, cwd);

  const thresholdsFile = selectThresholdProfilesFile(input.thresholdsFile, ctx);
  const profileNames = await loadDriftProfileNames(thresholdsFile, cwd);
  const appliedProfile = input.appliedProfile ?? "";
  const recommendedProfile = input.recommendedProfile ?? "";
  if (appliedProfile.length > 0 && !profileNames.has(appliedProfile)) {
    throw new ValidationError(`unknown applied profile: ${appliedProfile}`);
  }
  if (recommendedProfile.length > 0 && !profileNames.has(recommendedProfile)) {
    throw new ValidationError(`unknown recommended profile: ${recommendedProfile}`);
  }

  const ops = opsPaths(repoPath, loop);
  const stateFileGiven = optionalFlag(input.driftStateFile);
  const historyFileGiven = optionalFlag(input.driftHistoryFile);
  const stateFile = path.resolve(cwd, stateFileGiven ?? ops.profileDrift);
  const historyFile = path.resolve(cwd, historyFileGiven ?? ops.telemetry.profileDrift);
  const stateLabel = stateFileGiven ?? stateFile;
  // Appending history rows to the state file would corrupt the state.
  if (historyFile === stateFile) {
    throw new ValidationError(`--drift-history-file must not be --drift-state-file: ${historyFile}`);
  }

  const readPrevious = async (): Promise<JsonObject> => {
    const previous = await readJsonObjectFile(stateFile);
    if (previous.kind === "invalid") throw new ValidationError(`invalid drift state JSON: ${stateLabel}`);
    return previous.kind === "ok" ? previous.value : {};
  };
  // Fail before anything (even the lock directory) is created when the state is already invalid.
  await readPrevious();

  const evaluate = async (): Promise<ProfileDriftDocument> => {
    const previous = await readPrevious();
    const now = formatTimestamp((ctx.clock ?? systemClock).now());
    const drift = evaluateProfileDrift(previous, {
      loopId: loop,
      appliedProfile,
      recommendedProfile,
      recommendationConfidence,
      minimumConfidence,
      requiredStreak,
      summaryWindow,
      rationale: input.rationale ?? "",
      now,
    });
    // The streak must not advance when the history row cannot be recorded.
    await assertWritable([historyFile]);
    await writeJsonAtomic(stateFile, drift);
    await appendJsonl(historyFile, profileDriftHistoryRow(drift, now));
    return drift;
  };
  // The lock guards this read-modify-write only; it is not the loop lock reconcile holds.
  return withLock(
    `${stateFile}.lock`,
    evaluate,
    ctx.lockTimeoutMs === undefined ? {} : { timeoutMs: ctx.lockTimeoutMs },
  );
}
