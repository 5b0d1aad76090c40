/**
 * `fleet handoff` (spec 24): map the unsuppressed candidates of `policy-state.json` to per-loop
 * control intents (the plan), optionally execute them — by an operator (`--execute --confirm`) or
 * autonomously for policy-eligible intents only (`--autonomous-execute`, guarded_auto) — then append
 * telemetry, overwrite `handoff-state.json` and return the printed document.
 *
 * The per-loop control runs in-process (`controlIntent` of @ops/reconcile) by default; when
 * `OPS_MANAGER_CONTROL_SCRIPT` names an executable, that hook runs instead (execa) with §6.3's
 * arguments; a library caller may inject `ctx.control` (wins over both). Execution is sequential.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  appendJsonl,
  type Clock,
  ensureDirectory,
  errnoCode,
  errorMessage,
  fleetPaths,
  formatTimestamp,
  isDirectory,
  isJsonObject,
  isRegularFile,
  type JsonObject,
  OpsError,
  resolveRepoPath,
  systemClock,
  ValidationError,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import { type ControlContext, controlIntent } from "@ops/reconcile";
import { execa } from "execa";
import { type FleetRegistryContext, loadFleetRegistry } from "../registry/index.js";
import {
  buildHandoffExecution,
  buildHandoffPlan,
  buildHandoffResult,
  handoffEffectiveNote,
  handoffPreCheck,
  handoffReasonCodes,
  handoffTargetIdempotencyKey,
  mergeHandoffExecution,
  parseHandoffControlOutput,
  selectHandoffTargets,
  summarizeHandoff,
} from "./plan.js";
import {
  HANDOFF_STATE_SCHEMA_VERSION,
  type HandoffExecuteTelemetryRow,
  HandoffExecuteTelemetryRowSchema,
  type HandoffExecutionModeValue,
  type HandoffIntent,
  type HandoffMode,
  type HandoffPlanTelemetryRow,
  HandoffPlanTelemetryRowSchema,
  type HandoffPolicyState,
  HandoffPolicyStateSchema,
  type HandoffResult,
  type HandoffState,
  HandoffStateSchema,
  type PreviousHandoffState,
  PreviousHandoffStateSchema,
} from "./schemas.js";

export const HANDOFF_CONTROL_SCRIPT_ENV = "OPS_MANAGER_CONTROL_SCRIPT";
export const DEFAULT_HANDOFF_IDEMPOTENCY_PREFIX = "fleet-handoff";
export const HANDOFF_TIMEOUT_INTERVAL_MESSAGE = "timeout and interval must be non-negative integers";
export const HANDOFF_MUTUALLY_EXCLUSIVE_MESSAGE = "--execute and --autonomous-execute are mutually exclusive";
export const HANDOFF_CONFIRM_ONLY_WITH_EXECUTE_MESSAGE = "--confirm can only be used with --execute";
export const HANDOFF_EXECUTE_REQUIRES_CONFIRM_MESSAGE =
  "--execute requires --confirm to enforce explicit operator confirmation";
export const HANDOFF_AUTONOMOUS_REQUIRES_GUARDED_AUTO_MESSAGE =
  "--autonomous-execute requires policy mode guarded_auto";
/** Extra time a control hook gets beyond its confirmation timeout + interval before it is killed. */
export const HANDOFF_CONTROL_HOOK_GRACE_MS = 5 * 60 * 1000;

/** Flag values as the CLI received them. */
export interface FleetHandoffInput {
  readonly repo?: string | undefined;
  readonly registryFile?: string | undefined;
  readonly policyStateFile?: string | undefined;
  readonly handoffStateFile?: string | undefined;
  readonly handoffTelemetryFile?: string | undefined;
  readonly traceId?: string | undefined;
  /** Non-empty; default `fleet-handoff`. */
  readonly idempotencyPrefix?: string | undefined;
  readonly execute?: boolean | undefined;
  readonly confirm?: boolean | undefined;
  readonly autonomousExecute?: boolean | undefined;
  /** Repeatable `--loop`. */
  readonly loop?: string | readonly string[] | undefined;
  /** Repeatable `--intent-id`. */
  readonly intentId?: string | readonly string[] | undefined;
  /** Default `$USER`, else `unknown`. */
  readonly by?: string | undefined;
  readonly note?: string | undefined;
  /** `^[0-9]+$`, default 30. */
  readonly timeoutSeconds?: string | number | undefined;
  /** `^[0-9]+$`, default 2. */
  readonly intervalSeconds?: string | number | undefined;
  readonly noRuntimeConfirm?: boolean | undefined;
}

/** One per-loop control dispatch (the structured form of §6.3's argument list). */
export interface HandoffControlRequest {
  /** Absolute repo. */
  readonly repo: string;
  readonly loopId: string;
  readonly intent: string;
  readonly transport: "local" | "sprite_service";
  /** The handoff trace id (same for every target of a run). */
  readonly traceId: string;
  readonly idempotencyKey: string;
  readonly by: string;
  /** The effective note (§6.2 step 1). */
  readonly note: string;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  /** `--no-runtime-confirm`. */
  readonly noConfirm: boolean;
  /** sprite_service only. */
  readonly service?: {
    readonly baseUrl: string;
    readonly retryAttempts: number;
    readonly retryBackoffSeconds: number;
    /** Only when `tokenEnv` is declared and the variable is non-empty (Q7). */
    readonly token?: string;
  };
}

/** What a control dispatch reports: its exit status and its stdout (the control entry JSON). */
export interface HandoffControlResponse {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr?: string;
}

export type HandoffControlFunction = (request: HandoffControlRequest) => Promise<HandoffControlResponse>;

export interface FleetHandoffContext extends FleetRegistryContext {
  readonly clock?: Clock;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Install root (the in-process control's default `SUPERLOOP_BIN`). */
  readonly installRoot?: string;
  /** Handoff trace id generator (default a lowercase UUID). */
  readonly generateTraceId?: () => string;
  /** Replaces the per-loop control (wins over the hook and the in-process control). */
  readonly control?: HandoffControlFunction;
  /** Extra context for the in-process `controlIntent` (confirmation knobs, locks, service client …). */
  readonly controlContext?: Omit<ControlContext, "clock" | "env" | "cwd" | "installRoot">;
  /** Time limit of one `OPS_MANAGER_CONTROL_SCRIPT` run (default: timeout + interval + 5 min). */
  readonly controlHookTimeoutMs?: number;
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

function parseSeconds(value: string | number | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  const text = String(value);
  if (!/^[0-9]+$/u.test(text)) return null;
  const parsed = Number.parseInt(text, 10);
  return Number.isSafeInteger(parsed) ? parsed : null;
}

function given(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

/** Read a JSON document; `undefined` when missing, `null` when present but not JSON (or not an object). */
async function readJsonObject(file: string): Promise<JsonObject | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** §6.3 — the hook's argument list, in order. */
export function handoffControlArgs(request: HandoffControlRequest): string[] {
  const args = [
    "--repo",
    request.repo,
    "--loop",
    request.loopId,
    "--intent",
    request.intent,
    "--transport",
    request.transport,
    "--trace-id",
    request.traceId,
    "--idempotency-key",
    request.idempotencyKey,
    "--by",
    request.by,
    "--note",
    request.note,
    "--timeout-seconds",
    String(request.timeoutSeconds),
    "--interval-seconds",
    String(request.intervalSeconds),
  ];
  if (request.noConfirm) args.push("--no-confirm");
  if (request.transport === "sprite_service" && request.service !== undefined) {
    args.push(
      "--service-base-url",
      request.service.baseUrl,
      "--retry-attempts",
      String(request.service.retryAttempts),
      "--retry-backoff-seconds",
      String(request.service.retryBackoffSeconds),
    );
    if (request.service.token !== undefined) args.push("--service-token", request.service.token);
  }
  return args;
}

/** The `OPS_MANAGER_CONTROL_SCRIPT` hook as a control function. */
export function hookHandoffControl(
  hook: string,
  options: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly cwd: string;
    readonly timeoutMs?: number;
  },
): HandoffControlFunction {
  return async (request) => {
    const result = await execa(hook, handoffControlArgs(request), {
      reject: false,
      cwd: options.cwd,
      env: { ...options.env } as NodeJS.ProcessEnv,
      extendEnv: false,
      stdin: "ignore",
      timeout:
        options.timeoutMs ??
        (request.timeoutSeconds + Math.max(request.intervalSeconds, 1)) * 1000 +
          HANDOFF_CONTROL_HOOK_GRACE_MS,
      forceKillAfterDelay: 2000,
    });
    const stdout = typeof result.stdout === "string" ? result.stdout : "";
    const stderr = typeof result.stderr === "string" ? result.stderr : "";
    // Not run at all, killed by the time limit or a signal: a failure (never executed/ambiguous).
    const exitCode = result.exitCode ?? 1;
    return {
      exitCode,
      stdout,
      stderr: result.exitCode === undefined ? `${stderr}${result.shortMessage}` : stderr,
    };
  };
}

/** The in-process per-loop control (`controlIntent`) as a control function. */
export function inProcessHandoffControl(
  ctx: FleetHandoffContext,
  env: Readonly<Record<string, string | undefined>>,
): HandoffControlFunction {
  return async (request) => {
    let stderr = "";
    try {
      const result = await controlIntent(
        {
          repo: request.repo,
          loop: request.loopId,
          intent: request.intent,
          transport: request.transport,
          traceId: request.traceId,
          idempotencyKey: request.idempotencyKey,
          by: request.by,
          note: request.note,
          timeoutSeconds: request.timeoutSeconds,
          intervalSeconds: request.intervalSeconds,
          noConfirm: request.noConfirm,
          ...(request.service === undefined
            ? {}
            : {
                serviceBaseUrl: request.service.baseUrl,
                retryAttempts: request.service.retryAttempts,
                retryBackoffSeconds: request.service.retryBackoffSeconds,
                ...(request.service.token === undefined ? {} : { serviceToken: request.service.token }),
              }),
        },
        {
          ...ctx.controlContext,
          env,
          stderr: (text) => {
            stderr += text;
          },
          ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
          ...(ctx.cwd === undefined ? {} : { cwd: ctx.cwd }),
          ...(ctx.installRoot === undefined ? {} : { installRoot: ctx.installRoot }),
        },
      );
      return { exitCode: result.exitCode, stdout: `${JSON.stringify(result.intent)}\n`, stderr };
    } catch (error) {
      // What the control command would have printed and exited with: a failure, never 0 or 2.
      const code = error instanceof OpsError ? error.exitCode : 1;
      return {
        exitCode: code === 0 || code === 2 ? 1 : code,
        stdout: "",
        stderr: `${stderr}error: ${errorMessage(error)}\n`,
      };
    }
  };
}

function resolveTraceId(
  input: FleetHandoffInput,
  policy: HandoffPolicyState,
  env: Readonly<Record<string, string | undefined>>,
  ctx: FleetHandoffContext,
): string {
  return (
    given(input.traceId) ??
    given(policy.traceId) ??
    given(env["OPS_MANAGER_TRACE_ID"]) ??
    (ctx.generateTraceId ?? randomUUID)().toLowerCase()
  );
}

function modeText(mode: unknown): string {
  return typeof mode === "string" ? mode : JSON.stringify(mode);
}

/** The `fleet handoff` command: returns the document it wrote to `handoff-state.json` and prints. */
export async function fleetHandoff(
  input: FleetHandoffInput,
  ctx: FleetHandoffContext = {},
): Promise<HandoffState> {
  // §1.2, in order (#1 — unknown arguments / --help — is the CLI's).
  if (input.repo === undefined || input.repo === "") throw new ValidationError("--repo is required");
  const prefix = input.idempotencyPrefix ?? DEFAULT_HANDOFF_IDEMPOTENCY_PREFIX;
  if (prefix === "") throw new ValidationError("--idempotency-prefix must be non-empty");
  const timeoutSeconds = parseSeconds(input.timeoutSeconds, 30);
  const intervalSeconds = parseSeconds(input.intervalSeconds, 2);
  if (timeoutSeconds === null || intervalSeconds === null)
    throw new ValidationError(HANDOFF_TIMEOUT_INTERVAL_MESSAGE);
  const execute = input.execute === true;
  const autonomous = input.autonomousExecute === true;
  if (execute && autonomous) throw new ValidationError(HANDOFF_MUTUALLY_EXCLUSIVE_MESSAGE);
  if (input.confirm === true && !execute)
    throw new ValidationError(HANDOFF_CONFIRM_ONLY_WITH_EXECUTE_MESSAGE);
  if (execute && input.confirm !== true) throw new ValidationError(HANDOFF_EXECUTE_REQUIRES_CONFIRM_MESSAGE);
  const loopFilters = list(input.loop);
  if (loopFilters.some((value) => value === ""))
    throw new ValidationError("--loop requires a non-empty value");
  const intentFilters = list(input.intentId);
  if (intentFilters.some((value) => value === ""))
    throw new ValidationError("--intent-id requires a non-empty value");

  const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
  const env = ctx.env ?? process.env;
  const clock = ctx.clock ?? systemClock;
  const repo = resolveRepoPath(input.repo, cwd);
  if (!(await isDirectory(repo))) throw new ValidationError(`repo directory not found: ${repo}`);
  const fleet = fleetPaths(repo);
  const registryFile = input.registryFile ?? fleet.registry;
  const policyStateFile = input.policyStateFile ?? fleet.policyState;
  const policyStatePath = path.resolve(cwd, policyStateFile);
  if (!(await isRegularFile(policyStatePath)))
    throw new ValidationError(`policy state file not found: ${policyStateFile}`);
  const handoffStateFile = input.handoffStateFile ?? fleet.handoffState;
  const handoffStatePath = path.resolve(cwd, handoffStateFile);
  const telemetryPath = path.resolve(cwd, input.handoffTelemetryFile ?? fleet.telemetry.handoff);
  // #12
  await ensureDirectory(path.dirname(handoffStatePath));
  await ensureDirectory(path.dirname(telemetryPath));
  // #13
  const registry = await loadFleetRegistry({ repo, registryFile: input.registryFile }, { ...ctx, cwd });
  // #14
  const rawPolicy = await readJsonObject(policyStatePath);
  const policyParse = HandoffPolicyStateSchema.safeParse(rawPolicy ?? null);
  if (!policyParse.success) throw new ValidationError(`invalid policy state JSON: ${policyStateFile}`);
  const policy = policyParse.data;
  // #15
  const rawPrevious = await readJsonObject(handoffStatePath);
  let previous: PreviousHandoffState | null = null;
  if (rawPrevious !== undefined) {
    const parsed = PreviousHandoffStateSchema.safeParse(rawPrevious);
    if (!parsed.success)
      throw new ValidationError(`invalid existing handoff state JSON: ${handoffStateFile}`);
    previous = parsed.data;
  }
  // #16
  const rawMode = policy.mode ?? "advisory";
  if (rawMode !== "advisory" && rawMode !== "guarded_auto") {
    throw new ValidationError(`unsupported policy mode: ${modeText(rawMode)}`);
  }
  const mode: HandoffMode = rawMode;
  // #17 (+ careful Q8: the normalized registry must say guarded_auto too).
  if (autonomous && (mode !== "guarded_auto" || registry.policy.mode !== "guarded_auto")) {
    throw new ValidationError(HANDOFF_AUTONOMOUS_REQUIRES_GUARDED_AUTO_MESSAGE);
  }

  const traceId = resolveTraceId(input, policy, env, ctx);
  const generatedAt = formatTimestamp(clock.now());
  const plan = buildHandoffPlan({
    policy,
    loops: registry.loops,
    previous,
    traceId,
    idempotencyPrefix: prefix,
  });
  const summary = summarizeHandoff(plan.intents, plan);
  const planned: HandoffState = HandoffStateSchema.parse({
    schemaVersion: HANDOFF_STATE_SCHEMA_VERSION,
    generatedAt,
    updatedAt: generatedAt,
    fleetId: policy.fleetId ?? registry.fleetId,
    traceId,
    policyTraceId: given(policy.traceId) ?? traceId,
    mode,
    source: { registryFile, policyStateFile },
    control: { idempotencyPrefix: prefix, requiresOperatorConfirmation: true },
    intents: plan.intents,
    summary,
    reasonCodes: handoffReasonCodes(summary, plan.intents),
  } satisfies HandoffState);

  // #18 — careful Q5: filters are validated before anything is appended.
  const executionMode: HandoffExecutionModeValue | null = execute
    ? "manual"
    : autonomous
      ? "autonomous"
      : null;
  const targets =
    executionMode === null
      ? null
      : selectHandoffTargets(planned.intents, executionMode, loopFilters, intentFilters);

  const planRow: HandoffPlanTelemetryRow = HandoffPlanTelemetryRowSchema.parse({
    timestamp: generatedAt,
    category: "fleet_handoff_plan",
    fleetId: planned.fleetId,
    traceId,
    mode,
    summary: {
      summary: planned.summary,
      reasonCodes: planned.reasonCodes,
      policyTraceId: planned.policyTraceId,
    },
  } satisfies HandoffPlanTelemetryRow);
  await ensureDirectory(fleet.dir);
  await withLock(fleet.lock, () => appendJsonl(telemetryPath, planRow));

  let document = planned;
  if (executionMode !== null && targets !== null) {
    const by = given(input.by) ?? given(env["USER"]) ?? "unknown";
    const note = given(input.note);
    const hook = given(env[HANDOFF_CONTROL_SCRIPT_ENV]);
    const dispatch: HandoffControlFunction =
      ctx.control ??
      (hook !== null
        ? hookHandoffControl(hook, {
            env,
            cwd,
            ...(ctx.controlHookTimeoutMs === undefined ? {} : { timeoutMs: ctx.controlHookTimeoutMs }),
          })
        : inProcessHandoffControl(ctx, env));
    const requestedAt = formatTimestamp(clock.now());
    const results: HandoffResult[] = [];
    for (const target of targets) {
      results.push(
        await executeTarget(target, {
          mode: executionMode,
          repo,
          traceId,
          prefix,
          by,
          note,
          timeoutSeconds,
          intervalSeconds,
          noConfirm: input.noRuntimeConfirm === true,
          env,
          clock,
          dispatch,
        }),
      );
    }
    const completedAt = formatTimestamp(clock.now());
    const execution = buildHandoffExecution(
      { mode: executionMode, requestedBy: by, requestedAt, completedAt, note },
      results,
    );
    document = HandoffStateSchema.parse(mergeHandoffExecution(planned, execution));
    const executeRow: HandoffExecuteTelemetryRow = HandoffExecuteTelemetryRowSchema.parse({
      timestamp: completedAt,
      category: "fleet_handoff_execute",
      fleetId: document.fleetId,
      traceId,
      execution,
      summary: { summary: document.summary, reasonCodes: document.reasonCodes },
    } satisfies HandoffExecuteTelemetryRow);
    await withLock(fleet.lock, () => appendJsonl(telemetryPath, executeRow));
  }
  await withLock(fleet.lock, () => writeJsonAtomic(handoffStatePath, document));
  return document;
}

interface TargetRun {
  readonly mode: HandoffExecutionModeValue;
  readonly repo: string;
  readonly traceId: string;
  readonly prefix: string;
  readonly by: string;
  readonly note: string | null;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  readonly noConfirm: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly dispatch: HandoffControlFunction;
}

function serviceToken(intent: HandoffIntent, env: TargetRun["env"]): string | undefined {
  const name = intent.service.tokenEnv;
  if (name === undefined) return undefined;
  const value = env[name];
  // Q7 (kept): a declared but unset/empty variable just omits the token.
  return value === undefined || value === "" ? undefined : value;
}

/** §6.2 — one target: pre-checks, control dispatch, result. */
async function executeTarget(target: HandoffIntent, run: TargetRun): Promise<HandoffResult> {
  const idempotencyKey = handoffTargetIdempotencyKey(target, run.prefix);
  const blocked = handoffPreCheck(target, run.mode);
  let outcome: Parameters<typeof buildHandoffResult>[2];
  if (blocked !== null) {
    outcome = { kind: "precheck", reasonCode: blocked };
  } else {
    const token = serviceToken(target, run.env);
    const request: HandoffControlRequest = {
      repo: run.repo,
      loopId: target.loopId,
      intent: target.intent,
      transport: target.transport,
      traceId: run.traceId,
      idempotencyKey,
      by: run.by,
      note: handoffEffectiveNote(run.note, run.mode, target.intentId),
      timeoutSeconds: run.timeoutSeconds,
      intervalSeconds: run.intervalSeconds,
      noConfirm: run.noConfirm,
      ...(target.transport === "sprite_service"
        ? {
            service: {
              baseUrl: target.service.baseUrl ?? "",
              retryAttempts: target.service.retryAttempts,
              retryBackoffSeconds: target.service.retryBackoffSeconds,
              ...(token === undefined ? {} : { token }),
            },
          }
        : {}),
    };
    let response: HandoffControlResponse;
    try {
      response = await run.dispatch(request);
    } catch (error) {
      response = { exitCode: 1, stdout: "", stderr: `error: ${errorMessage(error)}` };
    }
    outcome = {
      kind: "control",
      exitCode: response.exitCode,
      control: parseHandoffControlOutput(response.stdout),
      stderr: response.stderr,
    };
  }
  return buildHandoffResult(
    target,
    {
      mode: run.mode,
      traceId: run.traceId,
      idempotencyKey,
      requestedBy: run.by,
      executedAt: formatTimestamp(run.clock.now()),
    },
    outcome,
  );
}
