/**
 * telemetry-summary (spec 18 §3): summarise the last W reconcile/control telemetry rows of one loop
 * and recommend a threshold profile. Pure read.
 */
import path from "node:path";
import {
  assertValidLoopId,
  compareCodePoints,
  formatTimestamp,
  opsPaths,
  systemClock,
  ValidationError,
} from "@ops/contract";
import { contextCwd, type HealthCommandContext } from "./context.js";
import type {
  Confidence,
  ReasonCodeFrequency,
  RecommendedProfile,
  TelemetrySummaryDocument,
  TelemetrySummaryObserved,
  TelemetrySummarySource,
} from "./schemas.js";
import { readWindowRecords, type TailOptions, type WindowRecords } from "./tail.js";
import {
  isKind,
  type JsonObject,
  optionalFlag,
  positiveIntegerFlag,
  requireFlag,
  resolveRepoDir,
} from "./util.js";

export const DEFAULT_SUMMARY_WINDOW = 200;

export const RECOMMENDATION_RATIONALE = {
  noTelemetry: "No telemetry window yet; keep balanced defaults",
  highFailure: "Observed high critical/failure rates; reduce alert noise while stabilizing",
  stable: "Observed stable healthy runs; tighten thresholds for faster detection",
  mixed: "Observed mixed signals; keep balanced thresholds",
} as const;

/** Element at index `floor((n − 1) × p)` of the ascending values; null when empty. */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  if (sortedAscending.length === 0) return null;
  return sortedAscending[Math.floor((sortedAscending.length - 1) * p)] ?? null;
}

/** `high` ≥ 100 attempts, `medium` ≥ 30, else `low`. */
export function summaryConfidence(attempts: number): Confidence {
  if (attempts >= 100) return "high";
  if (attempts >= 30) return "medium";
  return "low";
}

/** Counts sorted by count descending, ties by code descending (Q18-3, code point order). */
export function reasonCodeFrequency(codes: Iterable<string>): ReasonCodeFrequency[] {
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => (a.count !== b.count ? b.count - a.count : compareCodePoints(b.code, a.code)));
}

export interface Recommendation {
  readonly recommendedProfile: RecommendedProfile;
  readonly rationale: string;
}

/** Spec 18 §3 recommendation table (first match). */
export function recommendProfile(observed: {
  readonly attempts: number;
  readonly criticalRate: number;
  readonly degradedRate: number;
  readonly failedRate: number;
  readonly ambiguousCount: number;
}): Recommendation {
  if (observed.attempts === 0)
    return { recommendedProfile: "balanced", rationale: RECOMMENDATION_RATIONALE.noTelemetry };
  if (observed.criticalRate >= 0.2 || observed.failedRate >= 0.25) {
    return { recommendedProfile: "relaxed", rationale: RECOMMENDATION_RATIONALE.highFailure };
  }
  if (
    observed.criticalRate === 0 &&
    observed.degradedRate <= 0.05 &&
    observed.failedRate <= 0.02 &&
    observed.ambiguousCount === 0
  ) {
    return { recommendedProfile: "strict", rationale: RECOMMENDATION_RATIONALE.stable };
  }
  return { recommendedProfile: "balanced", rationale: RECOMMENDATION_RATIONALE.mixed };
}

export interface TelemetrySummaryResult {
  readonly observed: TelemetrySummaryObserved;
  readonly recommendedProfile: RecommendedProfile;
  readonly confidence: Confidence;
  readonly rationale: string;
}

/** The summary of one window of records (spec 18 §3 algorithm). Pure. */
export function summarizeTelemetry(
  reconcileRecords: readonly JsonObject[],
  controlRecords: readonly JsonObject[],
): TelemetrySummaryResult {
  const attempts = reconcileRecords.length;
  let successCount = 0;
  let failedCount = 0;
  let degradedCount = 0;
  let criticalCount = 0;
  const codes: string[] = [];
  const durations: number[] = [];
  for (const record of reconcileRecords) {
    if (record["status"] === "success") successCount += 1;
    else if (record["status"] === "failed") failedCount += 1;
    if (record["healthStatus"] === "degraded") degradedCount += 1;
    else if (record["healthStatus"] === "critical") criticalCount += 1;
    const reasonCodes = record["healthReasonCodes"];
    if (Array.isArray(reasonCodes)) {
      for (const code of reasonCodes) if (typeof code === "string") codes.push(code);
    }
    const duration = record["durationSeconds"];
    if (typeof duration === "number" && Number.isFinite(duration)) durations.push(duration);
  }
  let ambiguousCount = 0;
  for (const record of controlRecords) {
    if (record["status"] === "ambiguous" || record["reasonCode"] === "control_ambiguous") ambiguousCount += 1;
  }
  const rate = (count: number) => (attempts === 0 ? 0 : count / attempts);
  durations.sort((a, b) => a - b);
  const degradedRate = rate(degradedCount);
  const criticalRate = rate(criticalCount);
  const recommendation = recommendProfile({
    attempts,
    criticalRate,
    degradedRate,
    failedRate: rate(failedCount),
    ambiguousCount,
  });
  return {
    observed: {
      reconcileAttempts: attempts,
      reconcileSuccessCount: successCount,
      reconcileFailedCount: failedCount,
      health: {
        degradedCount,
        criticalCount,
        degradedRate,
        criticalRate,
        reasonCodeFrequency: reasonCodeFrequency(codes),
      },
      control: { ambiguousCount },
      durationSeconds: {
        p50: percentile(durations, 0.5),
        p95: percentile(durations, 0.95),
        max: durations.length === 0 ? null : (durations[durations.length - 1] ?? null),
      },
    },
    recommendedProfile: recommendation.recommendedProfile,
    confidence: summaryConfidence(attempts),
    rationale: recommendation.rationale,
  };
}

// ---------------------------------------------------------------------------------------------------
// Command: telemetry-summary
// ---------------------------------------------------------------------------------------------------

export interface TelemetrySummaryInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  /** `--reconcile-telemetry-file` (default `<ops>/telemetry/reconcile.jsonl`). */
  readonly reconcileTelemetryFile?: string | undefined;
  /** `--control-telemetry-file` (default `<ops>/telemetry/control.jsonl`; missing = empty). */
  readonly controlTelemetryFile?: string | undefined;
  /** `--window` (integer ≥ 1, default 200). */
  readonly window?: string | undefined;
}

export interface TelemetrySummaryOptions extends TailOptions {}

/**
 * `telemetry-summary`. Errors in order: `--repo is required`, `--loop is required`,
 * `--window must be an integer >= 1`, loop id (Q10-3), repo directory,
 * `reconcile telemetry file not found: <path>`. Unparseable lines in the window are skipped
 * (Q18-4 careful; reported through `ctx.warn`).
 */
export async function telemetrySummary(
  input: TelemetrySummaryInput,
  ctx: HealthCommandContext = {},
  options: TelemetrySummaryOptions = {},
): Promise<TelemetrySummaryDocument> {
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  const window = positiveIntegerFlag(input.window, "--window", DEFAULT_SUMMARY_WINDOW);
  assertValidLoopId(loop, "--loop");
  const cwd = contextCwd(ctx);
  const repoPath = await resolveRepoDir(repo, cwd);
  const ops = opsPaths(repoPath, loop);
  const reconcileFile = optionalFlag(input.reconcileTelemetryFile) ?? ops.telemetry.reconcile;
  const controlFile = optionalFlag(input.controlTelemetryFile) ?? ops.telemetry.control;
  const reconcileAbsolute = path.resolve(cwd, reconcileFile);
  if (!(await isKind(reconcileAbsolute, "file"))) {
    throw new ValidationError(`reconcile telemetry file not found: ${reconcileFile}`);
  }
  const reconcile = await readWindowRecords(reconcileAbsolute, window, options);
  // A missing (or non-file) control telemetry path is an empty window.
  const controlAbsolute = path.resolve(cwd, controlFile);
  const control: WindowRecords = (await isKind(controlAbsolute, "file"))
    ? await readWindowRecords(controlAbsolute, window, options)
    : { records: [], skipped: 0 };
  if (ctx.warn !== undefined) {
    if (reconcile.skipped > 0)
      ctx.warn(`skipped ${reconcile.skipped} unparseable line(s) in ${reconcileFile}`);
    if (control.skipped > 0) ctx.warn(`skipped ${control.skipped} unparseable line(s) in ${controlFile}`);
  }
  const summary = summarizeTelemetry(reconcile.records, control.records);
  const source: TelemetrySummarySource = {
    repoPath,
    loopId: loop,
    reconcileTelemetryFile: reconcileFile,
    controlTelemetryFile: controlFile,
    window,
  };
  return {
    schemaVersion: "v1",
    generatedAt: formatTimestamp((ctx.clock ?? systemClock).now()),
    source,
    observed: summary.observed,
    recommendedProfile: summary.recommendedProfile,
    confidence: summary.confidence,
    rationale: summary.rationale,
  };
}
