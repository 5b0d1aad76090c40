/**
 * `promotion ci` (spec 31): resolve evidence paths, short-circuit to `skipped` when evidence is
 * missing in skip mode, otherwise run the gates evaluator (§3) and turn its outcome into the CI
 * result file, the Markdown summary (also appended to `$GITHUB_STEP_SUMMARY`), stdout and the exit
 * status.
 *
 * Library contract: the function throws an OpsError (exit 1) only for its own input errors
 * (`--repo` missing, repo directory missing). Everything from the evaluator on is returned as a
 * {@link PromotionCiOutcome} carrying exactly what the CLI prints (stdout, stderr) and its exit
 * status, so an in-process caller (orchestration, spec 33 §3.1) reproduces the command faithfully.
 */
import { appendFile } from "node:fs/promises";
import path from "node:path";
import {
  assertWritable,
  type Clock,
  ensureDirectory,
  fleetPaths,
  formatJson,
  formatTimestamp,
  isJsonObject,
  isRegularFile,
  PromotionCiReasonCode,
  PromotionDecision,
  systemClock,
  ValidationError,
  writeFileAtomic,
  writeJsonAtomic,
} from "@ops/contract";
import { withNewline } from "../apply/errors.js";
import type { FleetStatusProducer } from "../gates/evidence.js";
import { PromotionGatesMessage } from "../gates/promotion-gates.js";
import { PROMOTION_SCHEMA_VERSION } from "../gates/schemas.js";
import {
  commandCwd,
  type EffectivePath,
  effectivePath,
  nonEmpty,
  type PromotionEvidenceFlags,
  repoDirectory,
} from "../shared/args.js";
import { type EvaluatorRun, promotionEvaluatorArgs, runPromotionEvaluator } from "./evaluator.js";
import {
  type PromotionCiSkippedResult,
  PromotionCiSkippedResultSchema,
  promotionCiDecisionOf,
} from "./schemas.js";
import { renderEvaluatedSummary, renderSkippedSummary } from "./summary.js";

export const GITHUB_STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY";
export const EVALUATOR_OUTPUT_INVALID_MESSAGE = "promotion evaluator output was not valid JSON";

/** Flag values as the CLI received them (thresholds are forwarded unvalidated, §1). */
export interface PromotionCiInput extends PromotionEvidenceFlags {
  readonly repo?: string | undefined;
  readonly promotionStateFile?: string | undefined;
  readonly promotionTelemetryFile?: string | undefined;
  readonly summaryFile?: string | undefined;
  readonly resultFile?: string | undefined;
  readonly traceId?: string | undefined;
  readonly failOnHold?: boolean | undefined;
  readonly skipOnMissingEvidence?: boolean | undefined;
  readonly pretty?: boolean | undefined;
}

export interface PromotionCiContext {
  readonly clock?: Clock;
  /** Environment (default `process.env`): `OPS_MANAGER_PROMOTION_GATES_SCRIPT`, `GITHUB_STEP_SUMMARY`, and the evaluator's variables. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory for `--repo` and relative paths (default `$PWD`). */
  readonly cwd?: string;
  /** In-process fleet status producer override, handed to the in-process evaluator. */
  readonly fleetStatus?: FleetStatusProducer;
  /** Trace id generator of the in-process evaluator. */
  readonly generateTraceId?: () => string;
}

export type PromotionCiPath = "skipped" | "evaluated" | "evaluator_failed";

export interface PromotionCiOutcome {
  /** Which branch of §4 ran. */
  readonly path: PromotionCiPath;
  /** Exit status of the command: 0; 2 for hold with --fail-on-hold; the evaluator's status on failure. */
  readonly exitCode: number;
  /** `summary.decision` of the result (`"unknown"` when absent); null when the evaluator failed. */
  readonly decision: string | null;
  /** The result document (also written to the result file); null when the evaluator failed. */
  readonly document: Record<string, unknown> | null;
  /** Exactly what the command prints on stdout (`""` when the evaluator failed). */
  readonly stdout: string;
  /** Exactly what the command prints on stderr (the evaluator's relayed stderr, error lines). */
  readonly stderr: string;
  /** Effective paths (as shown in outputs). */
  readonly files: {
    readonly resultFile: string;
    readonly summaryFile: string;
    readonly promotionStateFile: string;
    readonly promotionTelemetryFile: string;
  };
  /** The evaluator's argument vector (§3); `null` when it was not run (skipped). */
  readonly evaluatorArgs: readonly string[] | null;
  /** What the evaluator produced; `null` when skipped. */
  readonly evaluator: EvaluatorRun | null;
}

/** The evaluator's stdout as one JSON object, or null (careful Q2/Q3: stdout only, must be an object). */
function parseEvaluatorDocument(stdout: string): Record<string, unknown> | null {
  if (stdout.trim() === "") return null;
  try {
    const value: unknown = JSON.parse(stdout);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

async function appendStepSummary(
  env: PromotionCiContext["env"],
  cwd: string,
  content: string,
): Promise<void> {
  const target = env?.[GITHUB_STEP_SUMMARY_ENV];
  if (target === undefined || target === "") return;
  await appendFile(path.resolve(cwd, target), content);
}

export async function promotionCi(
  input: PromotionCiInput,
  ctx: PromotionCiContext = {},
): Promise<PromotionCiOutcome> {
  // §2 step 1 (argument errors are the CLI's): --repo, then the repo directory.
  if (!nonEmpty(input.repo)) throw new ValidationError(PromotionGatesMessage.RepoRequired);
  const env = ctx.env ?? process.env;
  const cwd = commandCwd(ctx);
  const repo = await repoDirectory(input.repo, cwd);

  // Step 2: effective paths (flag as given, or the absolute default; empty = not given).
  const defaults = fleetPaths(repo);
  const fleetStatus: EffectivePath | undefined = nonEmpty(input.fleetStatusFile)
    ? effectivePath(input.fleetStatusFile, "", cwd)
    : undefined;
  const handoff = effectivePath(input.handoffTelemetryFile, defaults.telemetry.handoff, cwd);
  const drills = effectivePath(input.drillStateFile, defaults.promotionDrills, cwd);
  const promotionState = effectivePath(input.promotionStateFile, defaults.promotionState, cwd);
  const promotionTelemetry = effectivePath(input.promotionTelemetryFile, defaults.telemetry.promotion, cwd);
  const summaryFile = effectivePath(input.summaryFile, defaults.promotionCiSummary, cwd);
  const resultFile = effectivePath(input.resultFile, defaults.promotionCiResult, cwd);
  const files = {
    resultFile: resultFile.shown,
    summaryFile: summaryFile.shown,
    promotionStateFile: promotionState.shown,
    promotionTelemetryFile: promotionTelemetry.shown,
  };

  // Step 3: parent directories of the wrapper's outputs, even if a later step fails.
  await ensureDirectory(path.dirname(summaryFile.file));
  await ensureDirectory(path.dirname(resultFile.file));
  // Beyond §2 (careful): an output path that is a directory fails here, before the evaluator
  // writes the promotion state and telemetry of a run whose result could not be recorded.
  const stepSummary = env[GITHUB_STEP_SUMMARY_ENV];
  await assertWritable([
    resultFile.file,
    summaryFile.file,
    ...(nonEmpty(stepSummary) ? [path.resolve(cwd, stepSummary)] : []),
  ]);

  // Step 4: missing evidence, in order; entries are the effective path strings.
  const missing: string[] = [];
  for (const candidate of [fleetStatus, handoff, drills]) {
    if (candidate !== undefined && !(await isRegularFile(candidate.file))) missing.push(candidate.shown);
  }

  // Step 5: skipped.
  if (input.skipOnMissingEvidence === true && missing.length > 0) {
    const document: PromotionCiSkippedResult = PromotionCiSkippedResultSchema.parse({
      schemaVersion: PROMOTION_SCHEMA_VERSION,
      generatedAt: formatTimestamp((ctx.clock ?? systemClock).now()),
      source: { repoPath: repo },
      summary: {
        decision: PromotionDecision.Skipped,
        promote: false,
        reasonCodes: [PromotionCiReasonCode.PromotionCiMissingEvidence],
        missingEvidencePaths: missing,
      },
    });
    const summary = renderSkippedSummary(missing);
    await writeJsonAtomic(resultFile.file, document);
    await writeFileAtomic(summaryFile.file, summary);
    await appendStepSummary(env, cwd, summary);
    return {
      path: "skipped",
      exitCode: 0,
      decision: PromotionDecision.Skipped,
      document,
      stdout: formatJson(document, { pretty: input.pretty === true }),
      stderr: "",
      files,
      evaluatorArgs: null,
      evaluator: null,
    };
  }

  // Step 6: the evaluator (§3).
  const evaluatorArgs = promotionEvaluatorArgs({
    repo,
    handoffTelemetryFile: handoff.shown,
    drillStateFile: drills.shown,
    promotionStateFile: promotionState.shown,
    promotionTelemetryFile: promotionTelemetry.shown,
    fleetStatusFile: fleetStatus?.shown,
    windowExecutions: input.windowExecutions,
    minSampleSize: input.minSampleSize,
    maxAmbiguityRate: input.maxAmbiguityRate,
    maxFailureRate: input.maxFailureRate,
    maxManualBacklog: input.maxManualBacklog,
    maxDrillAgeHours: input.maxDrillAgeHours,
    traceId: input.traceId,
    pretty: input.pretty,
    failOnHold: input.failOnHold,
  });
  const evaluator = await runPromotionEvaluator(evaluatorArgs, {
    clock: ctx.clock,
    env,
    cwd,
    fleetStatus: ctx.fleetStatus,
    generateTraceId: ctx.generateTraceId,
  });
  const document = parseEvaluatorDocument(evaluator.stdout);

  if (document === null) {
    // §4.3: relay the evaluator's output on stderr, write nothing, exit with its status —
    // careful Q2/Q3: a zero exit without a JSON object is a failure too (exit 1).
    let stderr = withNewline(evaluator.stderr);
    if (evaluator.stdout.trim() !== "") stderr += withNewline(evaluator.stdout);
    let exitCode = evaluator.exitCode;
    if (exitCode === 0) {
      stderr += `error: ${EVALUATOR_OUTPUT_INVALID_MESSAGE}\n`;
      exitCode = 1;
    }
    return {
      path: "evaluator_failed",
      exitCode,
      decision: null,
      document: null,
      stdout: "",
      stderr,
      files,
      evaluatorArgs,
      evaluator,
    };
  }

  // §4.2: result file, summary, step summary, stdout, the evaluator's exit status.
  const decision = promotionCiDecisionOf(document);
  const summary = renderEvaluatedSummary({
    decision: decision.decision,
    failedGates: decision.failedGates,
    reasonCodes: decision.reasonCodes,
    resultFile: resultFile.shown,
    promotionStateFile: promotionState.shown,
    promotionTelemetryFile: promotionTelemetry.shown,
  });
  await writeJsonAtomic(resultFile.file, document);
  await writeFileAtomic(summaryFile.file, summary);
  await appendStepSummary(env, cwd, summary);
  return {
    path: "evaluated",
    exitCode: evaluator.exitCode,
    decision: decision.decision,
    document,
    stdout: formatJson(document, { pretty: input.pretty === true }),
    stderr: withNewline(evaluator.stderr),
    files,
    evaluatorArgs,
    evaluator,
  };
}
