/**
 * control (spec 15 §2): turn an operator intent into exactly one runtime command (local transport)
 * or one `POST /ops/control` (sprite-service transport), optionally confirm it, and record the
 * outcome in three append-only logs (records.ts). Resolves to the intent entry and the exit code
 * (0 confirmed / executed_unconfirmed, 2 ambiguous, 1 otherwise); validation failures, a refused
 * cancel, an idempotency-key conflict and lock timeouts reject with an OpsError (exit 1, nothing
 * written).
 *
 * Locks: the local transport runs under a per-loop **control lock** (`<ops>/.control.lock`) from
 * the idempotency lookup to the last append, so controls of one loop run one at a time and a
 * duplicate key executes once (Q16-4, idempotency.ts). The loop lock (`<ops>/.lock`, shared with
 * reconcile) is taken only around the three appends — never across the runtime command or the
 * confirmation wait — so reconcile keeps running meanwhile. The sprite-service transport takes no
 * control lock: with a shared repo the service runs its own local control for the same loop
 * (spec 15 §5), which would otherwise wait for us.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import {
  assertValidLoopId,
  type Clock,
  DEFAULT_LOCK_TIMEOUT_MS,
  ensureDirectory,
  givenTraceId,
  nowEpochSeconds,
  OpsError,
  type OpsPaths,
  opsPaths,
  systemClock,
  ValidationError,
  type WithLockOptions,
  withLock,
} from "@ops/contract";
import { resolveRepoDir } from "@ops/health";
import {
  assertCancelTarget,
  DEFAULT_RUNTIME_KILL_GRACE_MS,
  DEFAULT_RUNTIME_TIMEOUT_MS,
  runRuntimeCommand,
  runtimeControlArgv,
} from "@ops/transport-local";
import { MAX_TIMER_MS } from "@ops/transport-sprite";
import { hookScript, parseHookObject, runHook } from "../pipeline/hooks.js";
import {
  type ConfirmContext,
  contextCwd,
  DEFAULT_CONFIRM_INTERVAL_SECONDS,
  DEFAULT_CONFIRM_TIMEOUT_SECONDS,
  parseUnsigned,
  requireFlag,
  requireIntent,
  runConfirmation,
  TIMEOUT_INTERVAL_MESSAGE,
} from "./confirm.js";
import { findRecordedLocalIntent, replayOutcome } from "./idempotency.js";
import {
  appendControlRecords,
  buildControlRecords,
  type ControlOutcome,
  type ControlRequestFacts,
  controlExitCode,
} from "./records.js";
import type { ControlIntentName, ControlTransport, IntentEntry } from "./schemas.js";
import {
  defaultServiceControlClient,
  hookServiceControlClient,
  type ServiceControlClient,
  sendServiceControl,
  serviceControlCommand,
  serviceMaxTimeSeconds,
} from "./service.js";

export const CONFIRM_SCRIPT_ENV = "OPS_MANAGER_CONFIRM_SCRIPT";
export const SUPERLOOP_BIN_ENV = "SUPERLOOP_BIN";
export const SERVICE_BASE_URL_MESSAGE = "--service-base-url is required when --transport sprite_service";
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_RETRY_BACKOFF_SECONDS = 1;

/** Flag values as the CLI received them (`undefined` = absent; integers may also be numbers). */
export interface ControlIntentInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  /** `cancel` | `approve` | `reject`. */
  readonly intent?: string | undefined;
  /** `local` (default) | `sprite_service`. */
  readonly transport?: string | undefined;
  readonly serviceBaseUrl?: string | undefined;
  /** Fallback `OPS_MANAGER_SERVICE_TOKEN`, else "". */
  readonly serviceToken?: string | undefined;
  /** Default `<intent>-<epochSeconds>-<pid>`. A given key enables the local replay (idempotency.ts). */
  readonly idempotencyKey?: string | undefined;
  /** Fallback `OPS_MANAGER_TRACE_ID`, else a new UUID. */
  readonly traceId?: string | undefined;
  /** Integer >= 1 (default 3). */
  readonly retryAttempts?: string | number | undefined;
  /** Integer >= 0 (default 1). */
  readonly retryBackoffSeconds?: string | number | undefined;
  /** Default `$USER`, else `unknown`. */
  readonly by?: string | undefined;
  readonly note?: string | undefined;
  /** Integer >= 0 (default 30). */
  readonly timeoutSeconds?: string | number | undefined;
  /** Integer >= 0 (default 2). */
  readonly intervalSeconds?: string | number | undefined;
  readonly noConfirm?: boolean | undefined;
}

export interface ControlContext {
  /** Source of "now" (timestamps, durations, the generated key); default the system clock. */
  readonly clock?: Clock;
  /** Environment (default `process.env`): env fallbacks, hooks, and the runtime command's env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative `--repo` resolves against; the runtime command and hooks run here. */
  readonly cwd?: string;
  /** Install root: `SUPERLOOP_BIN` defaults to `<installRoot>/superloop.sh`. Read only when needed. */
  readonly installRoot?: string;
  /** Process id in the generated idempotency key (default `process.pid`). */
  readonly pid?: number;
  /** Trace id generator (default UUID v4). */
  readonly generateTraceId?: () => string;
  /** Loop lock options for the appends. */
  readonly lock?: WithLockOptions;
  /** Control lock options (default: wait as long as one whole control can take). */
  readonly controlLock?: WithLockOptions;
  /**
   * Serialise local controls of one loop with the control lock (default true). A caller that
   * already serialises per loop *with this same lock path* must pass false (withLock is not re-entrant).
   */
  readonly serializeControl?: boolean;
  /** Runtime command time limit (default 60 s; then its process group is killed, exit 124). */
  readonly runtimeTimeoutMs?: number;
  readonly runtimeKillGraceMs?: number;
  /** Time limit of an `OPS_MANAGER_CONFIRM_SCRIPT` (default: confirmation timeout + interval + 60 s). */
  readonly confirmHookTimeoutMs?: number;
  /** The in-process confirmation's knobs (sleep, torn reads, liveness probe). */
  readonly confirm?: Pick<ConfirmContext, "sleep" | "tornReadRetries" | "tornReadDelayMs" | "processAlive">;
  /**
   * Sprite-service client. Default: the `OPS_MANAGER_SERVICE_CLIENT_SCRIPT` hook when set (spec 10
   * §4.1), else @ops/transport-sprite's `serviceRequest`. An injected client wins over the hook.
   */
  readonly serviceControlClient?: ServiceControlClient;
  /** Where service client errors are passed through (spec 15 §2.4); default: dropped. */
  readonly stderr?: (text: string) => void;
}

export interface ControlIntentResult {
  /** Spec 15 §2.4. */
  readonly exitCode: 0 | 1 | 2;
  /** The intents.jsonl entry (also what the CLI prints). */
  readonly intent: IntentEntry;
}

/** Everything validated and resolved. */
export interface ControlOptions {
  readonly repoPath: string;
  readonly loopId: string;
  readonly intent: ControlIntentName;
  readonly transport: ControlTransport;
  readonly serviceBaseUrl: string | null;
  readonly serviceToken: string;
  readonly idempotencyKey: string;
  /** The key came from the caller (not generated). */
  readonly idempotencyKeyGiven: boolean;
  readonly traceId: string;
  readonly retryAttempts: number;
  readonly retryBackoffSeconds: number;
  readonly by: string;
  readonly note: string;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  readonly doConfirm: boolean;
  readonly ops: OpsPaths;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

function given(value: string | undefined): string | null {
  return value === undefined || value.length === 0 ? null : value;
}

/** The per-loop control lock (see the module comment). */
export function controlLockPath(repoPath: string, loopId: string): string {
  return path.join(opsPaths(repoPath, loopId).dir, ".control.lock");
}

/** Validation in the order of spec 15 §2, then resolution of defaults and env fallbacks. */
export async function resolveControlOptions(
  input: ControlIntentInput,
  ctx: ControlContext = {},
): Promise<ControlOptions> {
  const env = ctx.env ?? process.env;
  const cwd = contextCwd(ctx);
  const clock = ctx.clock ?? systemClock;
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  const intent = requireIntent(input.intent);
  const transport = input.transport ?? "local";
  if (transport !== "local" && transport !== "sprite_service") {
    throw new ValidationError("--transport must be local or sprite_service");
  }
  const timeoutSeconds = parseUnsigned(input.timeoutSeconds, DEFAULT_CONFIRM_TIMEOUT_SECONDS);
  const intervalSeconds = parseUnsigned(input.intervalSeconds, DEFAULT_CONFIRM_INTERVAL_SECONDS);
  if (timeoutSeconds === null || intervalSeconds === null)
    throw new ValidationError(TIMEOUT_INTERVAL_MESSAGE);
  const retryAttempts = parseUnsigned(input.retryAttempts, DEFAULT_RETRY_ATTEMPTS);
  if (retryAttempts === null || retryAttempts < 1) {
    throw new ValidationError("--retry-attempts must be an integer >= 1");
  }
  const retryBackoffSeconds = parseUnsigned(input.retryBackoffSeconds, DEFAULT_RETRY_BACKOFF_SECONDS);
  if (retryBackoffSeconds === null) {
    throw new ValidationError("--retry-backoff-seconds must be a non-negative integer");
  }
  // Q10-3: the loop id becomes a path segment; checked before anything touches the filesystem.
  assertValidLoopId(loop, "--loop");
  const repoPath = await resolveRepoDir(repo, cwd);
  const ops = opsPaths(repoPath, loop);
  await ensureDirectory(ops.telemetry.dir);
  const serviceBaseUrl = given(input.serviceBaseUrl);
  if (transport === "sprite_service" && serviceBaseUrl === null) {
    throw new ValidationError(SERVICE_BASE_URL_MESSAGE);
  }

  const keyGiven = given(input.idempotencyKey);
  return {
    repoPath,
    loopId: loop,
    intent,
    transport,
    serviceBaseUrl,
    serviceToken: given(input.serviceToken) ?? given(env["OPS_MANAGER_SERVICE_TOKEN"]) ?? "",
    idempotencyKey: keyGiven ?? `${intent}-${nowEpochSeconds(clock)}-${ctx.pid ?? process.pid}`,
    idempotencyKeyGiven: keyGiven !== null,
    traceId: givenTraceId(input.traceId, env) ?? (ctx.generateTraceId ?? randomUUID)(),
    retryAttempts,
    retryBackoffSeconds,
    by: given(input.by) ?? given(env["USER"]) ?? "unknown",
    note: input.note ?? "",
    timeoutSeconds,
    intervalSeconds,
    doConfirm: input.noConfirm !== true,
    ops,
    env,
    cwd,
  };
}

/** control: validate, execute through the chosen transport, record, and report. */
export async function controlIntent(
  input: ControlIntentInput,
  ctx: ControlContext = {},
): Promise<ControlIntentResult> {
  const options = await resolveControlOptions(input, ctx);
  const startedAt = nowEpochSeconds(ctx.clock ?? systemClock);
  if (options.transport === "sprite_service") return runServiceControl(options, startedAt, ctx);
  if (ctx.serializeControl === false) return runLocalControl(options, startedAt, ctx);
  return withLock(
    controlLockPath(options.repoPath, options.loopId),
    () => runLocalControl(options, startedAt, ctx),
    ctx.controlLock ?? { timeoutMs: controlLockTimeoutMs(options, ctx) },
  );
}

/** Long enough to outwait one whole local control of another process. */
function controlLockTimeoutMs(options: ControlOptions, ctx: ControlContext): number {
  return (
    DEFAULT_LOCK_TIMEOUT_MS +
    (ctx.runtimeTimeoutMs ?? DEFAULT_RUNTIME_TIMEOUT_MS) +
    (ctx.runtimeKillGraceMs ?? DEFAULT_RUNTIME_KILL_GRACE_MS) +
    confirmHookTimeoutMs(options, ctx)
  );
}

function confirmHookTimeoutMs(options: ControlOptions, ctx: ControlContext): number {
  return (
    ctx.confirmHookTimeoutMs ??
    // Capped to what a Node timer takes: a longer limit would kill the hook after 1 ms.
    Math.min(MAX_TIMER_MS, (options.timeoutSeconds + Math.max(options.intervalSeconds, 1) + 60) * 1000)
  );
}

function requestFacts(options: ControlOptions): ControlRequestFacts {
  return {
    loopId: options.loopId,
    intent: options.intent,
    traceId: options.traceId,
    transport: options.transport,
    requestedBy: options.by,
    note: options.note,
    idempotencyKey: options.idempotencyKey,
    doConfirm: options.doConfirm,
    timeoutSeconds: options.timeoutSeconds,
    intervalSeconds: options.intervalSeconds,
    retryAttempts: options.retryAttempts,
    retryBackoffSeconds: options.retryBackoffSeconds,
  };
}

async function finish(
  options: ControlOptions,
  outcome: ControlOutcome,
  startedAt: number,
  ctx: ControlContext,
): Promise<ControlIntentResult> {
  const records = buildControlRecords(
    requestFacts(options),
    outcome,
    startedAt,
    nowEpochSeconds(ctx.clock ?? systemClock),
  );
  await appendControlRecords(options.ops, records, ctx.lock ?? {});
  return { exitCode: controlExitCode(outcome.status), intent: records.intent };
}

/** `SUPERLOOP_BIN`, else `<install root>/superloop.sh`. */
export function resolveSuperloopBin(
  env: Readonly<Record<string, string | undefined>>,
  ctx: Pick<ControlContext, "installRoot">,
): string {
  const fromEnv = given(env[SUPERLOOP_BIN_ENV]);
  if (fromEnv !== null) return fromEnv;
  const root = ctx.installRoot;
  if (root === undefined || root.length === 0) {
    throw new OpsError("SUPERLOOP_BIN is not set and the ops-manager install root is unknown", {
      kind: "validation",
    });
  }
  return path.join(root, "superloop.sh");
}

/** Spec 15 §2.1 (+ the cancel target check of 10a §4.3 and the local replay of idempotency.ts). */
async function runLocalControl(
  options: ControlOptions,
  startedAt: number,
  ctx: ControlContext,
): Promise<ControlIntentResult> {
  if (options.idempotencyKeyGiven) {
    const recorded = await findRecordedLocalIntent(options.ops.intents, options.idempotencyKey);
    if (recorded !== null) {
      if (recorded.intent !== options.intent) {
        throw new ValidationError(
          `--idempotency-key ${JSON.stringify(options.idempotencyKey)} was already used for intent '${recorded.intent}' on loop '${options.loopId}'; use a new key`,
        );
      }
      return finish(options, replayOutcome(recorded), startedAt, ctx);
    }
  }
  if (options.intent === "cancel") {
    await assertCancelTarget(options.repoPath, options.loopId, {
      ...(ctx.confirm?.tornReadRetries === undefined ? {} : { tornReadRetries: ctx.confirm.tornReadRetries }),
      ...(ctx.confirm?.tornReadDelayMs === undefined ? {} : { tornReadDelayMs: ctx.confirm.tornReadDelayMs }),
    });
  }
  const argv = runtimeControlArgv({
    bin: resolveSuperloopBin(options.env, ctx),
    intent: options.intent,
    repo: options.repoPath,
    loop: options.loopId,
    by: options.by,
    note: options.note,
  });
  // 1.
  const run = await runRuntimeCommand(argv, {
    env: options.env,
    cwd: options.cwd,
    ...(ctx.runtimeTimeoutMs === undefined ? {} : { timeoutMs: ctx.runtimeTimeoutMs }),
    ...(ctx.runtimeKillGraceMs === undefined ? {} : { killGraceMs: ctx.runtimeKillGraceMs }),
  });
  const executed = {
    command: run.command,
    exitCode: run.exitCode,
    // 4.
    commandOutput: run.outputTail,
    replayed: false,
  };
  let outcome: ControlOutcome;
  if (run.exitCode !== 0) {
    outcome = {
      ...executed,
      status: "failed_command",
      confirmExitCode: 0,
      confirmed: false,
      confirm: null,
      executionStatus: "failed_command",
      confirmationStatus: "not_attempted",
      confirmationAttempted: false,
    };
  } else if (!options.doConfirm) {
    // 2.
    outcome = {
      ...executed,
      status: "executed_unconfirmed",
      confirmExitCode: 0,
      confirmed: false,
      confirm: null,
      executionStatus: "succeeded",
      confirmationStatus: "skipped",
      confirmationAttempted: false,
    };
  } else {
    // 3.
    const confirmation = await confirmStep(options, ctx);
    const confirmed = confirmation.exitCode === 0;
    outcome = {
      ...executed,
      status: confirmed ? "confirmed" : "ambiguous",
      confirmExitCode: confirmation.exitCode,
      confirmed,
      confirm: confirmation.confirm,
      executionStatus: "succeeded",
      confirmationStatus: confirmed ? "confirmed" : "ambiguous",
      confirmationAttempted: true,
    };
  }
  return finish(options, outcome, startedAt, ctx);
}

/** confirm-intent in-process, or the `OPS_MANAGER_CONFIRM_SCRIPT` override (spec 10 §4.1). */
async function confirmStep(
  options: ControlOptions,
  ctx: ControlContext,
): Promise<{ readonly exitCode: number; readonly confirm: Record<string, unknown> | null }> {
  const script = given(options.env[CONFIRM_SCRIPT_ENV]);
  if (script !== null) {
    const result = await runHook(
      script,
      [
        "--repo",
        options.repoPath,
        "--loop",
        options.loopId,
        "--intent",
        options.intent,
        "--timeout-seconds",
        String(options.timeoutSeconds),
        "--interval-seconds",
        String(options.intervalSeconds),
      ],
      { env: options.env, cwd: options.cwd, timeoutMs: confirmHookTimeoutMs(options, ctx) },
    );
    // No exit code (could not start, killed by the time limit or a signal): not confirmed.
    return { exitCode: result.exitCode ?? 1, confirm: parseHookObject(result.stdout) };
  }
  try {
    const result = await runConfirmation(
      {
        repoPath: options.repoPath,
        loopId: options.loopId,
        intent: options.intent,
        timeoutSeconds: options.timeoutSeconds,
        intervalSeconds: options.intervalSeconds,
      },
      {
        env: options.env,
        cwd: options.cwd,
        ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
        ...ctx.confirm,
      },
    );
    return { exitCode: result.exitCode, confirm: result.document };
  } catch {
    return { exitCode: 1, confirm: null };
  }
}

/** Spec 15 §2.2 (careful behaviour in service.ts). */
async function runServiceControl(
  options: ControlOptions,
  startedAt: number,
  ctx: ControlContext,
): Promise<ControlIntentResult> {
  const baseUrl = options.serviceBaseUrl ?? "";
  // An injected client wins; else the OPS_MANAGER_SERVICE_CLIENT_SCRIPT hook; else in-process.
  const script = hookScript(options.env, "serviceClient");
  const client =
    ctx.serviceControlClient ??
    (script === null
      ? defaultServiceControlClient
      : hookServiceControlClient(script, { env: options.env, cwd: options.cwd }));
  const reply = await sendServiceControl(client, {
    baseUrl,
    token: options.serviceToken,
    traceId: options.traceId,
    body: {
      loopId: options.loopId,
      intent: options.intent,
      by: options.by,
      ...(options.note.length > 0 ? { note: options.note } : {}),
      traceId: options.traceId,
      idempotencyKey: options.idempotencyKey,
      noConfirm: !options.doConfirm,
      timeoutSeconds: options.timeoutSeconds,
      intervalSeconds: options.intervalSeconds,
    },
    retryAttempts: options.retryAttempts,
    retryBackoffSeconds: options.retryBackoffSeconds,
    maxTimeSeconds: serviceMaxTimeSeconds(options.timeoutSeconds, options.intervalSeconds),
  });
  if (reply.stderr !== null) ctx.stderr?.(`${reply.stderr}\n`);
  const outcome: ControlOutcome = {
    status: reply.status,
    command: serviceControlCommand(baseUrl),
    exitCode: reply.exitCode,
    confirmExitCode: reply.confirmExitCode,
    confirmed: reply.confirmed,
    commandOutput: reply.commandOutput,
    confirm: reply.confirm,
    executionStatus: reply.executionStatus,
    confirmationStatus: reply.confirmationStatus,
    confirmationAttempted: reply.confirmationAttempted,
    replayed: reply.replayed,
    ...(reply.attempts === undefined ? {} : { attempts: reply.attempts }),
  };
  return finish(options, outcome, startedAt, ctx);
}
