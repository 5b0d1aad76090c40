/**
 * `fleet reconcile` (spec 21): run the per-loop reconcile of every registry loop with at most
 * `--max-parallel` in flight (p-queue, free-slot pool — Q2), collect one result per loop in
 * processing order, roll them up, overwrite `fleet/state.json` and append one telemetry line.
 *
 * The per-loop reconcile runs in-process (`reconcile` of @ops/reconcile, or `ctx.reconcile`), or
 * — when `OPS_MANAGER_RECONCILE_SCRIPT` is set — as that hook via execa with §4.2's arguments.
 * Each loop is bounded by `ctx.loopTimeoutMs`: a loop that does not finish in time is recorded as
 * `failed` / `reconcile_timeout` and never holds up the others (a hook is killed; an in-process
 * reconcile is abandoned: it is told through `ctx.signal` and its result is ignored).
 */
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import {
  appendJsonl,
  assertWritable,
  type Clock,
  ensureDirectory,
  FleetLoopReasonCode,
  fleetPaths,
  formatTimestamp,
  type JsonObject,
  type NormalizedFleetLoop,
  OpsError,
  opsPaths,
  resolveRepoPath,
  systemClock,
  ValidationError,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import { type ReconcileContext, type ReconcileInput, type ReconcileResult, reconcile } from "@ops/reconcile";
import { execa } from "execa";
import PQueue from "p-queue";
import { type FleetRegistryContext, loadFleetRegistry } from "../registry/index.js";
import {
  extractDocument,
  FLEET_STATE_SCHEMA_VERSION,
  type FleetLoopResult,
  type FleetReconcileState,
  type FleetReconcileTelemetryRow,
  interpretFailureOutput,
  interpretSuccessDocument,
  type LoopResultStatus,
  loopTraceId,
  outputExcerpt,
  processingOrder,
  rollupFleet,
} from "./schemas.js";

export const RECONCILE_SCRIPT_ENV = "OPS_MANAGER_RECONCILE_SCRIPT";
export const MAX_PARALLEL_MESSAGE = "--max-parallel must be an integer >= 1";
export const MAX_EVENTS_MESSAGE = "--max-events must be a non-negative integer";
export const NO_RESULTS_MESSAGE = "fleet reconcile produced no loop results";
/** Default per-loop time limit (10 minutes). */
export const DEFAULT_LOOP_TIMEOUT_MS = 10 * 60 * 1000;

/** Flag values as the CLI received them. */
export interface FleetReconcileInput {
  readonly repo?: string | undefined;
  readonly registryFile?: string | undefined;
  readonly fleetStateFile?: string | undefined;
  readonly fleetTelemetryFile?: string | undefined;
  /** `^[0-9]+$`, >= 1, base 10 (careful Q7); default 2. */
  readonly maxParallel?: string | number | undefined;
  readonly deterministicOrder?: boolean | undefined;
  /** `^[0-9]+$`; forwarded to every loop when given (including 0). */
  readonly maxEvents?: string | number | undefined;
  readonly fromStart?: boolean | undefined;
  readonly traceId?: string | undefined;
}

/** The per-loop reconcile (in-process); `ctx.signal` aborts when the loop's time is up. */
export type LoopReconcileFunction = (
  input: ReconcileInput,
  ctx: ReconcileContext & { readonly signal: AbortSignal },
) => Promise<ReconcileResult>;

/** Progress of the fan-out (the CLI prints it on a terminal only). */
export type FleetReconcileProgress =
  | { readonly kind: "start"; readonly loopId: string; readonly index: number; readonly total: number }
  | {
      readonly kind: "done";
      readonly loopId: string;
      readonly index: number;
      readonly total: number;
      readonly status: LoopResultStatus;
      readonly reasonCode?: string;
    };

export interface FleetReconcileContext extends FleetRegistryContext {
  readonly clock?: Clock;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Install root for the per-loop reconcile (bundled catalogs). */
  readonly installRoot?: string;
  /** Per-loop reconcile (default `reconcile` of @ops/reconcile); ignored when the hook is set. */
  readonly reconcile?: LoopReconcileFunction;
  /** Extra context for the in-process per-loop reconcile (alert dispatch, lock options, …). */
  readonly reconcileContext?: Omit<ReconcileContext, "clock" | "env" | "cwd" | "installRoot">;
  /** Per-loop time limit (default DEFAULT_LOOP_TIMEOUT_MS). */
  readonly loopTimeoutMs?: number;
  /** Fleet trace id generator (default a lowercase UUID). */
  readonly generateTraceId?: () => string;
  readonly onProgress?: (event: FleetReconcileProgress) => void;
}

function parseCount(value: string | number | undefined, min: number, message: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  // Careful Q7: base 10 everywhere (`010` is 10).
  if (!/^[0-9]+$/u.test(text)) throw new ValidationError(message);
  const parsed = Number.parseInt(text, 10);
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new ValidationError(message);
  return parsed;
}

async function isDirectory(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isDirectory();
  } catch {
    return false;
  }
}

interface LoopPlan {
  readonly repo: string;
  readonly traceId: string;
  readonly maxEvents: number | undefined;
  readonly fromStart: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
}

interface LoopOutcome {
  readonly status: LoopResultStatus;
  readonly reasonCode?: string;
  readonly healthStatus: string;
  readonly healthReasonCodes: string[];
  readonly transitionState?: string;
  readonly output: string | null;
}

function serviceBaseUrl(loop: NormalizedFleetLoop): string | null {
  const value = loop.service.baseUrl;
  return typeof value === "string" && value !== "" ? value : null;
}

function serviceToken(loop: NormalizedFleetLoop, env: LoopPlan["env"]): string | undefined {
  const name = loop.service.tokenEnv;
  if (name === undefined) return undefined;
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** §4.1 pre-checks (first match wins). */
function preCheck(loop: NormalizedFleetLoop, env: LoopPlan["env"]): LoopOutcome | null {
  const base = { healthStatus: "unknown", healthReasonCodes: [], output: null };
  if (!loop.enabled) return { ...base, status: "skipped", reasonCode: "loop_disabled" };
  if (loop.transport === "sprite_service" && serviceBaseUrl(loop) === null) {
    return { ...base, status: "failed", reasonCode: "missing_service_base_url" };
  }
  // Q3: kept for every transport (operators rely on it as a config smell).
  if (loop.service.tokenEnv !== undefined && serviceToken(loop, env) === undefined) {
    return { ...base, status: "failed", reasonCode: "missing_service_token_env" };
  }
  return null;
}

/** §4.2 — the hook's arguments, in the spec's order. */
export function reconcileHookArgs(loop: NormalizedFleetLoop, plan: LoopPlan, traceId: string): string[] {
  const args = [
    "--repo",
    plan.repo,
    "--loop",
    loop.loopId,
    "--transport",
    loop.transport,
    "--trace-id",
    traceId,
  ];
  if (plan.maxEvents !== undefined) args.push("--max-events", String(plan.maxEvents));
  if (plan.fromStart) args.push("--from-start");
  if (loop.transport === "sprite_service") {
    args.push(
      "--service-base-url",
      serviceBaseUrl(loop) ?? "",
      "--retry-attempts",
      JSON.stringify(loop.service.retryAttempts),
      "--retry-backoff-seconds",
      JSON.stringify(loop.service.retryBackoffSeconds),
    );
    const token = serviceToken(loop, plan.env);
    if (token !== undefined) args.push("--service-token", token);
  }
  return args;
}

function reconcileInputOf(loop: NormalizedFleetLoop, plan: LoopPlan, traceId: string): ReconcileInput {
  const sprite = loop.transport === "sprite_service";
  const token = sprite ? serviceToken(loop, plan.env) : undefined;
  return {
    repo: plan.repo,
    loop: loop.loopId,
    transport: loop.transport,
    traceId,
    ...(plan.maxEvents === undefined ? {} : { maxEvents: plan.maxEvents }),
    ...(plan.fromStart ? { fromStart: true } : {}),
    ...(sprite
      ? {
          serviceBaseUrl: serviceBaseUrl(loop) ?? "",
          retryAttempts: loop.service.retryAttempts,
          retryBackoffSeconds: loop.service.retryBackoffSeconds,
          ...(token === undefined ? {} : { serviceToken: token }),
        }
      : {}),
  };
}

class LoopTimeoutError extends Error {}

function timeoutMessage(ms: number): string {
  return `per-loop reconcile timed out after ${ms / 1000}s`;
}

/** Run `work` with a deadline; on expiry the signal aborts and a LoopTimeoutError rejects. */
async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new LoopTimeoutError(timeoutMessage(ms)));
      reject(new LoopTimeoutError(timeoutMessage(ms)));
    }, ms);
  });
  const running = work(controller.signal);
  // An abandoned in-process reconcile may still settle later: never an unhandled rejection.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function interpret(exitOk: boolean, output: string): LoopOutcome {
  if (exitOk) {
    // Careful Q5/Q9: whole output, else the last non-empty line; one document only.
    return { status: "success", ...interpretSuccessDocument(extractDocument(output)), output };
  }
  return { status: "failed", ...interpretFailureOutput(output), output };
}

async function runHookLoop(
  hook: string,
  loop: NormalizedFleetLoop,
  plan: LoopPlan,
  traceId: string,
  cwd: string,
) {
  const result = await withDeadline(plan.timeoutMs, (signal) =>
    execa(hook, reconcileHookArgs(loop, plan, traceId), {
      all: true,
      reject: false,
      cwd,
      env: { ...plan.env } as NodeJS.ProcessEnv,
      extendEnv: false,
      stdin: "ignore",
      cancelSignal: signal,
      forceKillAfterDelay: 2000,
    }),
  );
  const output = typeof result.all === "string" ? result.all : "";
  if (result.failed && result.exitCode === undefined) {
    // Not run at all (ENOENT, EACCES …): a failure of this loop only.
    return interpret(false, `${output}\n${result.shortMessage}`);
  }
  return interpret(result.exitCode === 0, output);
}

async function runInProcessLoop(
  loop: NormalizedFleetLoop,
  plan: LoopPlan,
  traceId: string,
  ctx: FleetReconcileContext,
): Promise<LoopOutcome> {
  const fn: LoopReconcileFunction = ctx.reconcile ?? ((input, loopCtx) => reconcile(input, loopCtx));
  let result: ReconcileResult;
  try {
    result = await withDeadline(plan.timeoutMs, (signal) =>
      fn(reconcileInputOf(loop, plan, traceId), {
        ...ctx.reconcileContext,
        env: plan.env,
        ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
        ...(ctx.cwd === undefined ? {} : { cwd: ctx.cwd }),
        ...(ctx.installRoot === undefined ? {} : { installRoot: ctx.installRoot }),
        signal,
      }),
    );
  } catch (error) {
    if (error instanceof LoopTimeoutError) throw error;
    // An aborted cycle (validation, lock timeout, I/O): what the CLI would have printed.
    const message = error instanceof Error ? error.message : String(error);
    return interpret(false, `error: ${message}`);
  }
  return interpret(result.exitCode === 0, JSON.stringify(result.document));
}

async function runLoop(
  loop: NormalizedFleetLoop,
  plan: LoopPlan,
  ctx: FleetReconcileContext,
  clock: Clock,
): Promise<FleetLoopResult> {
  const started = clock.now();
  const traceId = loopTraceId(plan.traceId, loop.loopId);
  let outcome = preCheck(loop, plan.env);
  if (outcome === null) {
    const hook = plan.env[RECONCILE_SCRIPT_ENV];
    const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
    try {
      outcome =
        hook !== undefined && hook !== ""
          ? await runHookLoop(hook, loop, plan, traceId, cwd)
          : await runInProcessLoop(loop, plan, traceId, ctx);
    } catch (error) {
      // One loop's failure never cancels the others (§3.2): anything unexpected fails this loop.
      outcome =
        error instanceof LoopTimeoutError
          ? {
              status: "failed",
              reasonCode: FleetLoopReasonCode.ReconcileTimeout,
              healthStatus: "unknown",
              healthReasonCodes: [],
              output: error.message,
            }
          : interpret(false, `error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const finished = clock.now();
  const files = opsPaths(plan.repo, loop.loopId);
  const excerpt = outcome.status === "success" ? undefined : outputExcerpt(outcome.output);
  return {
    timestamp: formatTimestamp(finished),
    startedAt: formatTimestamp(started),
    loopId: loop.loopId,
    transport: loop.transport,
    enabled: loop.enabled,
    status: outcome.status,
    ...(outcome.reasonCode === undefined ? {} : { reasonCode: outcome.reasonCode }),
    reconcileStatus: outcome.status,
    healthStatus: outcome.healthStatus,
    healthReasonCodes: outcome.healthReasonCodes,
    ...(outcome.transitionState === undefined ? {} : { transitionState: outcome.transitionState }),
    durationSeconds: Math.max(
      0,
      Math.floor(finished.getTime() / 1000) - Math.floor(started.getTime() / 1000),
    ),
    traceId,
    ...(excerpt === undefined ? {} : { outputExcerpt: excerpt }),
    sprite: stripUndefined(loop.sprite),
    metadata: loop.metadata,
    files: {
      stateFile: files.state,
      healthFile: files.health,
      cursorFile: files.cursor,
      reconcileTelemetryFile: files.telemetry.reconcile,
    },
  };
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined && item !== null));
}

function fleetTraceId(input: FleetReconcileInput, ctx: FleetReconcileContext): string {
  if (input.traceId !== undefined && input.traceId !== "") return input.traceId;
  const fromEnv = (ctx.env ?? process.env)["OPS_MANAGER_TRACE_ID"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return (ctx.generateTraceId ?? randomUUID)().toLowerCase();
}

/** The `fleet reconcile` command: returns the fleet state document it wrote and prints. */
export async function fleetReconcile(
  input: FleetReconcileInput,
  ctx: FleetReconcileContext = {},
): Promise<FleetReconcileState> {
  // §1.2, in order.
  if (input.repo === undefined || input.repo === "") throw new ValidationError("--repo is required");
  const maxParallel = parseCount(input.maxParallel, 1, MAX_PARALLEL_MESSAGE) ?? 2;
  const maxEvents = parseCount(input.maxEvents, 0, MAX_EVENTS_MESSAGE);
  const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
  const repo = resolveRepoPath(input.repo, cwd);
  if (!(await isDirectory(repo))) throw new ValidationError(`repo directory not found: ${repo}`);
  const fleet = fleetPaths(repo);
  const stateFile = path.resolve(cwd, input.fleetStateFile ?? fleet.state);
  const telemetryFile = path.resolve(cwd, input.fleetTelemetryFile ?? fleet.telemetry.reconcile);
  // Q6 (harmless, kept): the output directories exist before the registry is loaded.
  await ensureDirectory(path.dirname(stateFile));
  await ensureDirectory(path.dirname(telemetryFile));
  const registry = await loadFleetRegistry({ repo, registryFile: input.registryFile }, { ...ctx, cwd });
  // An output path that is a directory would only fail at the very end — after every loop was
  // reconciled, and (for the telemetry file) after state.json was already overwritten.
  await assertWritable([
    { file: stateFile, shown: input.fleetStateFile ?? fleet.state },
    { file: telemetryFile, shown: input.fleetTelemetryFile ?? fleet.telemetry.reconcile },
  ]);
  const deterministicOrder = input.deterministicOrder === true;
  const loops = processingOrder(registry.loops, deterministicOrder);
  if (loops.length === 0) throw new OpsError(NO_RESULTS_MESSAGE);

  const clock = ctx.clock ?? systemClock;
  const env = ctx.env ?? process.env;
  const plan: LoopPlan = {
    repo,
    traceId: fleetTraceId(input, ctx),
    maxEvents,
    fromStart: input.fromStart === true,
    env,
    timeoutMs: ctx.loopTimeoutMs ?? DEFAULT_LOOP_TIMEOUT_MS,
  };
  const started = clock.now();
  const queue = new PQueue({ concurrency: maxParallel });
  const total = loops.length;
  // Results are slotted by processing index (never completion order); nothing else per loop is kept.
  const results = await Promise.all(
    loops.map((loop, index) =>
      queue.add(
        async () => {
          ctx.onProgress?.({ kind: "start", loopId: loop.loopId, index, total });
          const result = await runLoop(loop, plan, ctx, clock);
          ctx.onProgress?.({
            kind: "done",
            loopId: loop.loopId,
            index,
            total,
            status: result.status,
            ...(result.reasonCode === undefined ? {} : { reasonCode: result.reasonCode }),
          });
          return result;
        },
        { throwOnTimeout: true },
      ),
    ),
  );
  const rollup = rollupFleet(results);
  const finished = clock.now();
  const updatedAt = formatTimestamp(finished);
  const durationSeconds = Math.max(
    0,
    Math.floor(finished.getTime() / 1000) - Math.floor(started.getTime() / 1000),
  );
  const state: FleetReconcileState = {
    schemaVersion: FLEET_STATE_SCHEMA_VERSION,
    updatedAt,
    startedAt: formatTimestamp(started),
    fleetId: registry.fleetId,
    traceId: plan.traceId,
    status: rollup.status,
    reasonCodes: rollup.reasonCodes,
    loopCount: rollup.loopCount,
    successCount: rollup.successCount,
    failedCount: rollup.failedCount,
    skippedCount: rollup.skippedCount,
    durationSeconds,
    execution: { maxParallel, deterministicOrder, fromStart: plan.fromStart, maxEvents: maxEvents ?? 0 },
    results,
  };
  const row: FleetReconcileTelemetryRow = {
    timestamp: updatedAt,
    category: "fleet_reconcile",
    fleetId: state.fleetId,
    traceId: state.traceId,
    status: state.status,
    reasonCodes: state.reasonCodes,
    loopCount: state.loopCount,
    successCount: state.successCount,
    failedCount: state.failedCount,
    skippedCount: state.skippedCount,
    durationSeconds,
    results,
  };
  await ensureDirectory(fleet.dir);
  await withLock(fleet.lock, async () => {
    await writeJsonAtomic(stateFile, state);
    await appendJsonl(telemetryFile, row as unknown as JsonObject);
  });
  return state;
}
