/**
 * `promotion apply` (spec 32): the only promotion command that mutates fleet policy. Turns the
 * promotion decision into a governed rollout change of the fleet registry — `expand` (raise the
 * canary percentage, unpause), `resume` (unpause) or `rollback` (force the manual pause) — with
 * governance metadata on every run, an append-only audit line, and idempotency-key replay.
 *
 * Processing order is §2's, fail-closed, first failure wins. The registry is read, validated,
 * mutated, re-validated and rewritten under a lock next to it (careful Q6), atomically, in the
 * normalised form plus the fields the normaliser does not know (careful Q1).
 */
import { randomUUID } from "node:crypto";
import { open, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import {
  appendJsonl,
  assertWritable,
  type Clock,
  ensureDirectory,
  errorMessage,
  fleetPaths,
  formatJson,
  formatTimestamp,
  isDirectory,
  isJsonObject,
  isRegularFile,
  type JsonObject,
  type NormalizedFleetRegistry,
  NormalizedFleetRegistrySchema,
  OpsError,
  parseTimestamp,
  readJsonlLines,
  resolveTraceId,
  systemClock,
  ValidationError,
  type WithLockOptions,
  withLock,
  writeFileAtomic,
  writeJsonAtomic,
} from "@ops/contract";
import {
  FLEET_REGISTRY_SCRIPT_ENV,
  formatFleetRegistryInvalid,
  normalizeFleetRegistry,
  validateFleetRegistry,
} from "@ops/fleet";
import { execa } from "execa";
import { commandCwd, nonEmpty, repoDirectory } from "../shared/args.js";
import { hookFailureReason, PromotionStderrError, withNewline } from "./errors.js";
import {
  decisionOf,
  evidenceRefsOf,
  isPromotionApplyIntent,
  MESSAGES,
  mutateRegistryDocument,
  PROMOTION_APPLY_CATEGORY,
  PROMOTION_APPLY_SCHEMA_VERSION,
  type PromotionApplyIntent,
  type PromotionApplyRecord,
  PromotionApplyRecordSchema,
  PromotionApplyTelemetryRowSchema,
  parseExpandStep,
  type RolloutPosture,
  replayRecord,
  rolloutAfter,
  withUnknownFields,
} from "./schemas.js";

/** Rule #48 of spec 20, skipped on the pre-mutation registry of a rollback (careful Q2). */
export const REVIEW_BY_FUTURE_PROBLEM =
  "policy.autonomous.governance.reviewBy must be in the future when policy.mode is guarded_auto";

/** Flag values as the CLI received them (spec 32 §1). */
export interface PromotionApplyInput {
  readonly repo?: string | undefined;
  readonly intent?: string | undefined;
  readonly expandStep?: string | number | undefined;
  readonly by?: string | undefined;
  readonly approvalRef?: string | undefined;
  readonly rationale?: string | undefined;
  readonly reviewBy?: string | undefined;
  readonly registryFile?: string | undefined;
  readonly promotionStateFile?: string | undefined;
  readonly applyStateFile?: string | undefined;
  readonly applyTelemetryFile?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly traceId?: string | undefined;
  readonly loopId?: string | undefined;
  readonly horizonRef?: string | undefined;
  /** Every `--evidence-ref` occurrence, in order (empty values are dropped). */
  readonly evidenceRefs?: readonly string[] | undefined;
}

export interface PromotionApplyContext {
  /** "Now" (taken once per run, whole seconds); default the system clock. */
  readonly clock?: Clock;
  /** Environment (default `process.env`): `OPS_MANAGER_TRACE_ID`, `OPS_MANAGER_FLEET_REGISTRY_SCRIPT`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative `--repo` and path flags resolve against (default `$PWD`). */
  readonly cwd?: string;
  /** Where a replay-mismatch warning goes (default `process.stderr`). */
  readonly stderr?: { write(text: string): unknown };
  /** Trace id generator (default a lowercase UUID). */
  readonly generateTraceId?: () => string;
  /** Options of the registry lock (`<registry>.lock`). */
  readonly lock?: WithLockOptions;
}

interface Plan {
  readonly repo: string;
  readonly cwd: string;
  readonly intent: PromotionApplyIntent;
  readonly expandStep: number;
  readonly by: string;
  readonly approvalRef: string;
  readonly rationale: string;
  readonly reviewBy: string;
  readonly files: PromotionApplyRecord["files"];
  readonly registryPath: string;
  readonly applyStatePath: string;
  readonly applyTelemetryPath: string;
  readonly evidenceRefs: string[];
  readonly traceId: string;
  readonly idempotencyKey: string | null;
  readonly loopId: string | null;
  readonly horizonRef: string | null;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function orNull(value: string | undefined): string | null {
  return nonEmpty(value) ? value : null;
}

/** §2 steps 2–6: flags in order, repo, effective paths, evidence, trace id, output directories. */
async function plan(input: PromotionApplyInput, ctx: PromotionApplyContext): Promise<Plan> {
  if (!nonEmpty(input.repo)) throw new ValidationError(MESSAGES.repo);
  if (!isPromotionApplyIntent(input.intent)) throw new ValidationError(MESSAGES.intent);
  const expandStep = parseExpandStep(input.expandStep);
  if (expandStep === null) throw new ValidationError(MESSAGES.expandStep);
  if (!nonEmpty(input.by)) throw new ValidationError(MESSAGES.by);
  if (!nonEmpty(input.approvalRef)) throw new ValidationError(MESSAGES.approvalRef);
  if (!nonEmpty(input.rationale)) throw new ValidationError(MESSAGES.rationale);
  if (!nonEmpty(input.reviewBy)) throw new ValidationError(MESSAGES.reviewBy);

  const cwd = commandCwd(ctx);
  const repo = await repoDirectory(input.repo, cwd);
  const fleet = fleetPaths(repo);
  // An empty path flag counts as not given, as in promotion gates, ci and orchestrate.
  const files = {
    registryFile: orNull(input.registryFile) ?? fleet.registry,
    promotionStateFile: orNull(input.promotionStateFile) ?? fleet.promotionState,
    applyStateFile: orNull(input.applyStateFile) ?? fleet.promotionApplyState,
    applyTelemetryFile: orNull(input.applyTelemetryFile) ?? fleet.telemetry.promotionApply,
  };
  const env = ctx.env ?? process.env;
  const planned: Plan = {
    repo,
    cwd,
    intent: input.intent,
    expandStep,
    by: input.by,
    approvalRef: input.approvalRef,
    rationale: input.rationale,
    reviewBy: input.reviewBy,
    files,
    registryPath: path.resolve(cwd, files.registryFile),
    applyStatePath: path.resolve(cwd, files.applyStateFile),
    applyTelemetryPath: path.resolve(cwd, files.applyTelemetryFile),
    evidenceRefs: evidenceRefsOf(input.evidenceRefs ?? [], files.promotionStateFile),
    traceId: resolveTraceId(input.traceId, env, ctx.generateTraceId),
    idempotencyKey: orNull(input.idempotencyKey),
    loopId: orNull(input.loopId),
    horizonRef: orNull(input.horizonRef),
    env,
  };
  // Q5 (kept): the output directories exist before the promotion state is checked.
  await ensureDirectory(path.dirname(planned.applyStatePath));
  await ensureDirectory(path.dirname(planned.applyTelemetryPath));
  return planned;
}

/** §2 steps 7–8: the decision string of the promotion state file. */
async function readDecision(plan: Plan): Promise<string> {
  const file = plan.files.promotionStateFile;
  const resolved = path.resolve(plan.cwd, file);
  if (!(await isRegularFile(resolved))) throw new ValidationError(`promotion state file not found: ${file}`);
  let document: unknown;
  try {
    document = JSON.parse(await readFile(resolved, "utf8"));
  } catch {
    throw new ValidationError(`invalid promotion state JSON: ${file}`);
  }
  const decision = decisionOf(document);
  if (decision === null) throw new ValidationError(MESSAGES.decisionMissing);
  return decision;
}

/**
 * §4 steps 1 and 6 (careful Q4): the last telemetry record carrying the key, `null` when none.
 * A telemetry file with a line that is not a JSON object (or a matching line that is not an apply
 * record) fails closed instead of silently re-applying under a reused key.
 */
async function findPriorRecord(plan: Plan, key: string): Promise<JsonObject | null> {
  if (!(await isRegularFile(plan.applyTelemetryPath))) return null;
  const invalid = () =>
    new ValidationError(`invalid promotion apply telemetry JSONL: ${plan.files.applyTelemetryFile}`);
  let prior: JsonObject | null = null;
  const lines = readJsonlLines(plan.applyTelemetryPath);
  let next = await lines.next();
  try {
    while (next.done !== true) {
      const text = next.value.text;
      if (text.trim() !== "") {
        let record: unknown;
        try {
          record = JSON.parse(text);
        } catch {
          throw invalid();
        }
        if (!isJsonObject(record)) throw invalid();
        if (record["idempotencyKey"] === key) prior = record;
      }
      next = await lines.next();
    }
  } finally {
    if (next.done !== true) await lines.return({ byte: 0, line: 0 });
  }
  // A final line without `\n` is a torn append (appends run under the registry lock, so no writer
  // is mid-line): it may be the record of an apply that already mutated the registry, so it cannot
  // be skipped — fail closed like any other unreadable line.
  if (await hasTornTail(plan.applyTelemetryPath, next.value.byte)) throw invalid();
  if (prior !== null && !PromotionApplyTelemetryRowSchema.safeParse(prior).success) throw invalid();
  return prior;
}

/** True when `file` holds non-blank bytes after `byte` (the end of its last complete line). */
async function hasTornTail(file: string, byte: number): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size <= byte) return false;
    const tail = Buffer.alloc(size - byte);
    const { bytesRead } = await handle.read(tail, 0, tail.length, byte);
    return tail.toString("utf8", 0, bytesRead).trim() !== "";
  } finally {
    await handle.close();
  }
}

interface RegistryView {
  /** The operator's document (mutated to keep unknown fields); `null` if only the hook could read it. */
  readonly raw: JsonObject | null;
  readonly normalized: NormalizedFleetRegistry;
}

class RegistryStepError extends Error {
  constructor(readonly validatorStderr: string) {
    super("registry step failed");
  }
}

async function readRegistryDocument(plan: Plan): Promise<JsonObject> {
  const file = plan.files.registryFile;
  let text: string;
  try {
    if (!(await isRegularFile(plan.registryPath))) throw new Error("not a file");
    text = await readFile(plan.registryPath, "utf8");
  } catch {
    throw new RegistryStepError(`error: fleet registry file not found: ${file}\n`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new RegistryStepError(`error: invalid fleet registry JSON: ${file}\n`);
  }
  if (!isJsonObject(document)) throw new RegistryStepError(`error: invalid fleet registry JSON: ${file}\n`);
  return document;
}

/** The built-in validator (spec 20) on a document; `skipReviewByFuture` for careful Q2. */
function validateInProcess(
  document: JsonObject,
  plan: Plan,
  nowEpoch: number,
  skipReviewByFuture: boolean,
): NormalizedFleetRegistry {
  const problems = validateFleetRegistry(document, nowEpoch).filter(
    (problem) => !(skipReviewByFuture && problem === REVIEW_BY_FUTURE_PROBLEM),
  );
  if (problems.length > 0) {
    throw new RegistryStepError(
      formatFleetRegistryInvalid({ message: `invalid fleet registry: ${plan.files.registryFile}`, problems }),
    );
  }
  return normalizeFleetRegistry(document, plan.files.registryFile);
}

/** `OPS_MANAGER_FLEET_REGISTRY_SCRIPT <hook> --repo <abs repo> --registry-file <path>` (§1). */
async function validateWithHook(
  hook: string,
  plan: Plan,
  registryFile: string,
): Promise<NormalizedFleetRegistry> {
  const result = await execa(hook, ["--repo", plan.repo, "--registry-file", registryFile], {
    reject: false,
    cwd: plan.cwd,
    env: { ...plan.env } as NodeJS.ProcessEnv,
    extendEnv: false,
    stdin: "ignore",
  });
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  if (result.exitCode !== 0) {
    const why = result.exitCode === undefined ? `error: ${hookFailureReason(result)}` : "";
    throw new RegistryStepError(withNewline(stderr) + withNewline(why));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof result.stdout === "string" ? result.stdout : "");
  } catch {
    parsed = undefined;
  }
  const normalized = NormalizedFleetRegistrySchema.safeParse(parsed);
  if (!normalized.success || !isJsonObject(parsed)) {
    throw new RegistryStepError(`${withNewline(stderr)}error: invalid fleet registry JSON: ${hook} output\n`);
  }
  // Keep the hook's key order and any extra keys it prints (the schema would strip them).
  return parsed as NormalizedFleetRegistry;
}

/** §2 step 12: load and validate the current registry. */
async function loadRegistry(plan: Plan, nowEpoch: number): Promise<RegistryView> {
  const hook = plan.env[FLEET_REGISTRY_SCRIPT_ENV];
  if (nonEmpty(hook)) {
    const normalized = await validateWithHook(hook, plan, plan.files.registryFile);
    const raw = await readRegistryDocument(plan).catch(() => null);
    return { raw, normalized };
  }
  const raw = await readRegistryDocument(plan);
  return { raw, normalized: validateInProcess(raw, plan, nowEpoch, plan.intent === "rollback") };
}

/** §2 step 15: validate the mutated document (with a hook: through a temporary file next to the registry). */
async function validateMutated(
  document: JsonObject,
  plan: Plan,
  nowEpoch: number,
): Promise<NormalizedFleetRegistry> {
  const hook = plan.env[FLEET_REGISTRY_SCRIPT_ENV];
  if (!nonEmpty(hook)) return validateInProcess(document, plan, nowEpoch, false);
  const temp = path.join(
    path.dirname(plan.registryPath),
    `.${path.basename(plan.registryPath)}.${process.pid}.${randomUUID()}.apply-check.json`,
  );
  try {
    await writeFileAtomic(temp, formatJson(document));
    const normalized = await validateWithHook(hook, plan, temp);
    return { ...normalized, sourceFile: plan.files.registryFile };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

function posture(registry: NormalizedFleetRegistry): RolloutPosture {
  const rollout = registry.policy.autonomous.rollout;
  return { canaryPercent: rollout.canaryPercent, manualPause: rollout.pause.manual };
}

/** §2 steps 12–17 (the fresh mutation), returning the apply record. */
async function applyFresh(plan: Plan, decision: string, now: Date): Promise<PromotionApplyRecord> {
  const nowEpoch = Math.floor(now.getTime() / 1000);
  const changedAt = formatTimestamp(now);
  let current: RegistryView;
  try {
    current = await loadRegistry(plan, nowEpoch);
  } catch (error) {
    if (error instanceof RegistryStepError) {
      throw new PromotionStderrError(
        MESSAGES.registry,
        `${error.validatorStderr}error: ${MESSAGES.registry}\n`,
      );
    }
    throw error;
  }
  if (current.normalized.policy.mode !== "guarded_auto") throw new ValidationError(MESSAGES.mode);

  const before = posture(current.normalized);
  const target = rolloutAfter(plan.intent, before, plan.expandStep);
  const governance = {
    actor: plan.by,
    approvalRef: plan.approvalRef,
    rationale: plan.rationale,
    changedAt,
    reviewBy: plan.reviewBy,
  };
  // Beyond §2 (careful): the registry must never change without its audit record, so the apply
  // state and telemetry paths are checked before the mutation, not discovered broken after it.
  await assertAuditWritable([
    [plan.applyStatePath, plan.files.applyStateFile],
    [plan.applyTelemetryPath, plan.files.applyTelemetryFile],
  ]);
  const base = current.raw ?? (structuredClone(current.normalized) as unknown as JsonObject);
  const mutated = mutateRegistryDocument(base, plan.intent, target, governance);
  let normalizedAfter: NormalizedFleetRegistry;
  try {
    normalizedAfter = await validateMutated(mutated, plan, nowEpoch);
  } catch (error) {
    if (error instanceof RegistryStepError) {
      throw new PromotionStderrError(
        MESSAGES.mutated,
        `${error.validatorStderr}error: ${MESSAGES.mutated}\n`,
      );
    }
    throw error;
  }
  // §3.3 with careful Q1: normalised (sourceFile = the real registry path) + unknown fields kept.
  await writeJsonAtomic(plan.registryPath, withUnknownFields(mutated, normalizedAfter));

  const after = posture(normalizedAfter);
  const record: PromotionApplyRecord = {
    schemaVersion: PROMOTION_APPLY_SCHEMA_VERSION,
    timestamp: changedAt,
    category: PROMOTION_APPLY_CATEGORY,
    fleetId: normalizedAfter.fleetId,
    traceId: plan.traceId,
    loopId: plan.loopId,
    horizonRef: plan.horizonRef,
    evidenceRefs: plan.evidenceRefs,
    idempotencyKey: plan.idempotencyKey,
    status: "applied",
    intent: plan.intent,
    decision,
    governance,
    rollout: {
      before,
      after,
      changed: {
        canaryPercent: before.canaryPercent !== after.canaryPercent,
        manualPause: before.manualPause !== after.manualPause,
      },
    },
    files: plan.files,
    reasonCodes: [],
  };
  PromotionApplyTelemetryRowSchema.parse(record);
  await writeJsonAtomic(plan.applyStatePath, record);
  await appendJsonl(plan.applyTelemetryPath, record);
  return record;
}

/**
 * The apply record's destinations can be written (`assertWritable`: directories created as the
 * writes would, not a directory, writable). Fails with one line before anything is mutated.
 */
async function assertAuditWritable(files: readonly (readonly [string, string])[]): Promise<void> {
  for (const [file, shown] of files) {
    try {
      await assertWritable([{ file, shown }]);
    } catch {
      throw new ValidationError(`cannot write promotion apply record: ${shown}`);
    }
  }
}

/** §4: the replay of `prior` — written to the apply state file only. */
async function replay(
  plan: Plan,
  prior: JsonObject,
  ctx: PromotionApplyContext,
): Promise<PromotionApplyRecord> {
  const record = replayRecord(prior, {
    loopId: plan.loopId,
    horizonRef: plan.horizonRef,
    evidenceRefs: plan.evidenceRefs,
  });
  if (typeof prior["intent"] === "string" && prior["intent"] !== plan.intent) {
    // Q3 (kept, with the optional warning): the prior record is returned whatever the current intent.
    (ctx.stderr ?? process.stderr).write(
      `warning: idempotency key ${JSON.stringify(plan.idempotencyKey)} replays an earlier ${prior["intent"]} apply; --intent ${plan.intent} was not applied\n`,
    );
  }
  const checked = PromotionApplyRecordSchema.safeParse(record);
  if (!checked.success) {
    throw new ValidationError(`invalid promotion apply telemetry JSONL: ${plan.files.applyTelemetryFile}`);
  }
  await writeJsonAtomic(plan.applyStatePath, record);
  // The record as it was stored (key order and unknown keys kept), typed by the schema check above.
  return record as PromotionApplyRecord;
}

/**
 * Hold the registry lock (`<registry>.lock`) around replay lookup, registry mutation and the audit
 * writes (careful Q6). When the registry's directory does not exist there is nothing to protect
 * (the registry step will fail, a replay only rewrites the apply state file): no lock is taken, so
 * a wrong `--registry-file` never creates directories.
 */
async function underRegistryLock<T>(
  plan: Plan,
  ctx: PromotionApplyContext,
  fn: () => Promise<T>,
): Promise<T> {
  if (!(await isDirectory(path.dirname(plan.registryPath)))) return fn();
  return withLock(`${plan.registryPath}.lock`, fn, ctx.lock);
}

/**
 * The `promotion apply` command (spec 32): returns the record it printed — a fresh apply record, or
 * on idempotency replay the prior record with `replayed: true`. Failures throw: `ValidationError`
 * with §1/§2's message (exit 1), or `PromotionStderrError` for registry failures, whose
 * `stderrText` holds the validator's lines followed by the `error:` line.
 */
export async function promotionApply(
  input: PromotionApplyInput,
  ctx: PromotionApplyContext = {},
): Promise<PromotionApplyRecord> {
  const planned = await plan(input, ctx);
  const decision = await readDecision(planned);
  if ((planned.intent === "expand" || planned.intent === "resume") && decision !== "promote") {
    throw new ValidationError(
      `intent ${planned.intent} requires promotion decision promote (found: ${decision})`,
    );
  }
  // "Now" is taken once (spec 30 §2): the review-by check, changedAt and the validator agree.
  const now = new Date(Math.floor((ctx.clock ?? systemClock).now().getTime() / 1000) * 1000);
  const reviewBy = parseTimestamp(planned.reviewBy);
  if (reviewBy === null) throw new ValidationError(MESSAGES.reviewByFormat);
  if (reviewBy <= now.getTime() / 1000) throw new ValidationError(MESSAGES.reviewByFuture);

  try {
    return await underRegistryLock(planned, ctx, async () => {
      const key = planned.idempotencyKey;
      if (key !== null) {
        const prior = await findPriorRecord(planned, key);
        if (prior !== null) return replay(planned, prior, ctx);
      }
      return applyFresh(planned, decision, now);
    });
  } catch (error) {
    if (error instanceof OpsError) throw error;
    throw new OpsError(errorMessage(error), { kind: "io", cause: error });
  }
}
