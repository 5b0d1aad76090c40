/**
 * `promotion orchestrate` (spec 33): one entrypoint that always evaluates promotion first (the CI
 * wrapper, §3.1), then previews (`dry_run`), applies a rollout progression (`apply` → `expand` or
 * `resume`) or forces the safety rollback (`rollback`) through promotion apply (§3.2), forwarding
 * trace, idempotency and seam metadata; writes its JSON result and Markdown summary (§4, §5).
 *
 * A failed delegate ends the run with the delegate's exit status and its captured output on
 * stderr (PromotionStderrError); the orchestrator's own result and summary are then not written.
 */
import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import {
  assertWritable,
  type Clock,
  ensureDirectory,
  fleetPaths,
  formatTimestamp,
  isJsonObject,
  isRegularFile,
  type JsonObject,
  systemClock,
  ValidationError,
  writeFileAtomic,
  writeJsonAtomic,
} from "@ops/contract";
import { PromotionStderrError, withNewline } from "../apply/errors.js";
import { parseExpandStep } from "../apply/schemas.js";
import { promotionCiDecisionOf } from "../ci/schemas.js";
import { commandCwd, nonEmpty, type PromotionEvidenceFlags, repoDirectory } from "../shared/args.js";
import { runCiInProcess } from "./ci-delegate.js";
import {
  type DelegateContext,
  type DelegateOutcome,
  type DelegateRunner,
  PROMOTION_APPLY_SCRIPT_ENV,
  PROMOTION_CI_SCRIPT_ENV,
  runApplyInProcess,
  runHook,
} from "./delegates.js";
import {
  applyArguments,
  ciArguments,
  composeResult,
  GOVERNANCE_FLAGS,
  isOrchestrateApplyIntent,
  isOrchestrateMode,
  MESSAGES,
  type OrchestrateApplyIntent,
  type OrchestrateMode,
  type PromotionOrchestrateResult,
  PromotionOrchestrateResultSchema,
  renderSummary,
} from "./schemas.js";

/** Flag values as the CLI received them (spec 33 §1). */
export interface PromotionOrchestrateInput extends PromotionEvidenceFlags {
  readonly repo?: string | undefined;
  readonly mode?: string | undefined;
  readonly applyIntent?: string | undefined;
  readonly expandStep?: string | number | undefined;
  readonly skipOnMissingEvidence?: boolean | undefined;
  readonly failOnHold?: boolean | undefined;
  readonly promotionCiResultFile?: string | undefined;
  readonly promotionCiSummaryFile?: string | undefined;
  readonly resultFile?: string | undefined;
  readonly summaryFile?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly traceId?: string | undefined;
  readonly loopId?: string | undefined;
  readonly horizonRef?: string | undefined;
  /** Every `--evidence-ref` occurrence, in order (empty values are dropped). */
  readonly evidenceRefs?: readonly string[] | undefined;
  readonly by?: string | undefined;
  readonly approvalRef?: string | undefined;
  readonly rationale?: string | undefined;
  readonly reviewBy?: string | undefined;
}

export interface PromotionOrchestrateContext {
  readonly clock?: Clock;
  /** Environment (default `process.env`), passed on to both delegates. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative `--repo` and path flags resolve against (default `$PWD`). */
  readonly cwd?: string;
  /** Where successful delegates' stderr is relayed (default `process.stderr`). */
  readonly stderr?: { write(text: string): unknown };
  /** In-process CI wrapper (default: promotionCi); unused when the CI hook is set. */
  readonly runCi?: DelegateRunner;
  /** In-process promotion apply (default: promotionApply); unused when the apply hook is set. */
  readonly runApply?: DelegateRunner;
}

interface Validated {
  readonly mode: OrchestrateMode;
  readonly applyIntent: OrchestrateApplyIntent;
  readonly expandStep: number;
  readonly governance: { by: string; approvalRef: string; rationale: string; reviewBy: string } | null;
}

/** §1 validation order: --repo → --mode → --apply-intent → --expand-step → governance (apply/rollback). */
function validate(input: PromotionOrchestrateInput): Validated {
  if (!nonEmpty(input.repo)) throw new ValidationError(MESSAGES.repo);
  if (!isOrchestrateMode(input.mode)) throw new ValidationError(MESSAGES.mode);
  const applyIntent = input.applyIntent ?? "expand";
  // Q5 (kept): validated in every mode.
  if (!isOrchestrateApplyIntent(applyIntent)) throw new ValidationError(MESSAGES.applyIntent);
  const expandStep = parseExpandStep(input.expandStep);
  if (expandStep === null) throw new ValidationError(MESSAGES.expandStep);
  if (input.mode === "dry_run") return { mode: input.mode, applyIntent, expandStep, governance: null };
  for (const [key, flag] of GOVERNANCE_FLAGS) {
    if (!nonEmpty(input[key])) throw new ValidationError(`${flag} is required for mode ${input.mode}`);
  }
  return {
    mode: input.mode,
    applyIntent,
    expandStep,
    governance: {
      by: input.by as string,
      approvalRef: input.approvalRef as string,
      rationale: input.rationale as string,
      reviewBy: input.reviewBy as string,
    },
  };
}

async function runDelegate(
  name: string,
  hookEnv: string,
  inProcess: DelegateRunner,
  args: readonly string[],
  ctx: DelegateContext,
  relay: { write(text: string): unknown },
): Promise<DelegateOutcome> {
  const hook = ctx.env[hookEnv];
  const outcome = nonEmpty(hook) ? await runHook(hook, args, ctx) : await inProcess(args, ctx);
  if (outcome.exitCode !== 0) {
    const output =
      outcome.output.trim() === ""
        ? `error: ${name} exited with status ${outcome.exitCode}\n`
        : withNewline(outcome.output);
    throw new PromotionStderrError(`${name} failed with exit status ${outcome.exitCode}`, output, {
      exitCode: outcome.exitCode,
    });
  }
  // Q6 (careful): a successful delegate's warnings are relayed, not swallowed.
  if (outcome.stderr !== "") relay.write(withNewline(outcome.stderr));
  return outcome;
}

/** §2 step 4: the CI result document. */
async function readCiResult(file: string, cwd: string): Promise<JsonObject> {
  const resolved = path.resolve(cwd, file);
  let text: string;
  try {
    if (!(await isRegularFile(resolved))) throw new Error("not a file");
    text = await readFile(resolved, "utf8");
  } catch {
    throw new ValidationError(`promotion CI result file not found: ${file}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ValidationError(`invalid promotion CI result JSON: ${file}`);
  }
  // Careful: a JSON value that is not an object carries no summary at all.
  if (!isJsonObject(document)) throw new ValidationError(`invalid promotion CI result JSON: ${file}`);
  return document;
}

/** §2 step 7: the apply output must be one JSON object (the record, possibly a replay). */
function parseApplyRecord(stdout: string): JsonObject {
  let record: unknown;
  try {
    record = JSON.parse(stdout);
  } catch {
    throw new ValidationError(MESSAGES.applyOutput);
  }
  if (!isJsonObject(record)) throw new ValidationError(MESSAGES.applyOutput);
  return record;
}

/**
 * The `promotion orchestrate` command (spec 33): returns the result it wrote and prints. Own
 * validation errors throw ValidationError (exit 1); a failed delegate throws PromotionStderrError
 * carrying the delegate's exit status and captured output.
 */
export async function promotionOrchestrate(
  input: PromotionOrchestrateInput,
  ctx: PromotionOrchestrateContext = {},
): Promise<PromotionOrchestrateResult> {
  const valid = validate(input);
  const cwd = commandCwd(ctx);
  const repo = await repoDirectory(input.repo as string, cwd);
  const fleet = fleetPaths(repo);
  // An empty path flag counts as not given, as in the CI wrapper (which would otherwise write its
  // default result while this reads "").
  const orDefault = (value: string | undefined, fallback: string) => (nonEmpty(value) ? value : fallback);
  const files = {
    resultFile: orDefault(input.resultFile, fleet.promotionOrchestrateResult),
    summaryFile: orDefault(input.summaryFile, fleet.promotionOrchestrateSummary),
    promotionCiResultFile: orDefault(input.promotionCiResultFile, fleet.promotionCiResult),
    promotionCiSummaryFile: orDefault(input.promotionCiSummaryFile, fleet.promotionCiSummary),
  };
  const evidenceRefs = (input.evidenceRefs ?? []).filter(nonEmpty);
  const resultPath = path.resolve(cwd, files.resultFile);
  const summaryPath = path.resolve(cwd, files.summaryFile);
  await ensureDirectory(path.dirname(resultPath));
  await ensureDirectory(path.dirname(summaryPath));

  const env = ctx.env ?? process.env;
  // Beyond §2 (careful): the outputs are checked before the delegates run, so a result path that
  // is a directory never lets apply mutate the registry and then fail without a result.
  const stepSummary = env["GITHUB_STEP_SUMMARY"];
  await assertWritable([
    resultPath,
    summaryPath,
    ...(nonEmpty(stepSummary) ? [path.resolve(cwd, stepSummary)] : []),
  ]);
  const delegateCtx: DelegateContext = { env, cwd, clock: ctx.clock };
  const relay = ctx.stderr ?? process.stderr;

  // §2 step 3 — evaluate, in every mode (Q3: a failed evaluation or an enforced hold stops rollback too).
  await runDelegate(
    "promotion CI wrapper",
    PROMOTION_CI_SCRIPT_ENV,
    ctx.runCi ?? runCiInProcess,
    ciArguments(repo, files.promotionCiResultFile, files.promotionCiSummaryFile, input),
    delegateCtx,
    relay,
  );
  // §2 steps 4–5 — the decision comes from the result file, never from the wrapper's stdout.
  const ci = promotionCiDecisionOf(await readCiResult(files.promotionCiResultFile, cwd));

  // §2 steps 6–7.
  let record: JsonObject | null = null;
  if (valid.governance !== null) {
    const intent = valid.mode === "rollback" ? "rollback" : valid.applyIntent;
    const outcome = await runDelegate(
      "promotion apply",
      PROMOTION_APPLY_SCRIPT_ENV,
      ctx.runApply ?? runApplyInProcess,
      applyArguments(repo, files.promotionCiResultFile, {
        intent,
        ...valid.governance,
        expandStep: valid.mode === "apply" && intent === "expand" ? valid.expandStep : undefined,
        idempotencyKey: input.idempotencyKey,
        traceId: input.traceId,
        loopId: input.loopId,
        horizonRef: input.horizonRef,
        evidenceRefs,
      }),
      delegateCtx,
      relay,
    );
    record = parseApplyRecord(outcome.stdout);
  }

  // §2 step 8.
  const result = composeResult({
    timestamp: formatTimestamp((ctx.clock ?? systemClock).now()),
    mode: valid.mode,
    ci,
    traceId: input.traceId,
    loopId: input.loopId,
    horizonRef: input.horizonRef,
    idempotencyKey: input.idempotencyKey,
    evidenceRefs,
    record,
    files,
  });
  // Checked against the artifact's schema before anything is written (the record stays verbatim).
  PromotionOrchestrateResultSchema.parse(result);
  const summary = renderSummary(result);
  await writeJsonAtomic(resultPath, result);
  await writeFileAtomic(summaryPath, summary);
  if (nonEmpty(stepSummary)) await appendFile(path.resolve(cwd, stepSummary), summary);
  return result;
}
