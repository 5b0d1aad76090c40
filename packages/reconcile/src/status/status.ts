/**
 * status (spec 17): one read-only JSON document per loop — lifecycle, health, cursor, latest
 * control and reconcile outcomes, tuning, drift, alert delivery, visibility (heartbeat, sequence,
 * invocation audit, trace linkage), artifact paths, plus runtime process liveness (spec 10a §4.5).
 * It never writes files.
 */
import path from "node:path";
import {
  assertValidLoopId,
  type Clock,
  ContractError,
  formatTimestamp,
  isDirectory,
  type JsonObject,
  opsPaths,
  resolveRepoPath,
  systemClock,
  ValidationError,
} from "@ops/contract";
import {
  coalescedFlag,
  firstNumber,
  firstObject,
  firstString,
  firstStringArray,
  get,
  omitNulls,
} from "./coalesce.js";
import { pathExists, readLastJsonlObject, readStatusJsonFile } from "./read.js";
import { type ProcessProbe, runtimeProcessStatus } from "./runtime-process.js";
import type {
  StatusAlertDelivery,
  StatusAlertDispatch,
  StatusAlerts,
  StatusDocument,
  StatusFiles,
  StatusHeartbeatVisibility,
  StatusInvocationAudit,
  StatusSequenceVisibility,
  StatusTraceLinkage,
  StatusTuning,
  StatusVisibility,
  StatusVisibilityTrace,
} from "./schemas.js";
import { loadTelemetrySummary } from "./telemetry.js";

export const DEFAULT_STATUS_SUMMARY_WINDOW = 200;

/** Flag values as the CLI received them. Empty strings mean "not given" (the shell tested `-z`). */
export interface LoopStatusInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  readonly stateFile?: string | undefined;
  readonly cursorFile?: string | undefined;
  readonly healthFile?: string | undefined;
  readonly intentsFile?: string | undefined;
  readonly heartbeatStateFile?: string | undefined;
  readonly heartbeatTelemetryFile?: string | undefined;
  readonly sequenceStateFile?: string | undefined;
  readonly sequenceTelemetryFile?: string | undefined;
  readonly controlInvocationsFile?: string | undefined;
  readonly driftStateFile?: string | undefined;
  /** Only reported in `files.driftHistoryFile`; never read. */
  readonly driftHistoryFile?: string | undefined;
  readonly alertDispatchStateFile?: string | undefined;
  readonly alertDispatchTelemetryFile?: string | undefined;
  /** `--summary-window` (integer ≥ 1, default 200). */
  readonly summaryWindow?: string | undefined;
  /** `--pretty`: output formatting only; the CLI renders the returned document. */
  readonly pretty?: boolean | undefined;
}

export interface LoopStatusContext {
  /** Source of `generatedAt` (and of the in-process summary's clock); default the system clock. */
  readonly clock?: Clock;
  /** Environment (default `process.env`): `OPS_MANAGER_TELEMETRY_SUMMARY_SCRIPT`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative `--repo` and path flags resolve against (default `$PWD`, else `process.cwd()`). */
  readonly cwd?: string;
  /** Liveness probe for `runtimeProcess` (default: signal 0 + zombie check). */
  readonly isProcessAlive?: ProcessProbe;
  /** Timeout of the telemetry-summary hook executable (default 60 s; a timeout means "no summary"). */
  readonly summaryHookTimeoutMs?: number;
}

function optionalFlag(value: string | undefined): string | null {
  return value === undefined || value.length === 0 ? null : value;
}

function requireFlag(value: string | undefined, flag: string): string {
  const given = optionalFlag(value);
  if (given === null) throw new ValidationError(`${flag} is required`);
  return given;
}

function summaryWindowFlag(value: string | undefined): number {
  if (value === undefined) return DEFAULT_STATUS_SUMMARY_WINDOW;
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new ValidationError("--summary-window must be an integer >= 1");
  }
  return parsed;
}

async function resolveRepoDir(repo: string, cwd: string): Promise<string> {
  const resolved = resolveRepoPath(repo, cwd);
  if (!(await isDirectory(resolved))) throw new ValidationError(`repo directory not found: ${resolved}`);
  return resolved;
}

/** Resolve every path (§1 defaults, §7 order): flags relative to `cwd`, defaults under `<ops>`. */
export function statusFiles(
  input: LoopStatusInput,
  repoPath: string,
  loopId: string,
  cwd: string,
): StatusFiles {
  const ops = opsPaths(repoPath, loopId);
  const choose = (flag: string | undefined, fallback: string) => {
    const given = optionalFlag(flag);
    return given === null ? fallback : path.resolve(cwd, given);
  };
  return {
    stateFile: choose(input.stateFile, ops.state),
    cursorFile: choose(input.cursorFile, ops.cursor),
    healthFile: choose(input.healthFile, ops.health),
    intentsFile: choose(input.intentsFile, ops.intents),
    heartbeatStateFile: choose(input.heartbeatStateFile, ops.heartbeat),
    heartbeatTelemetryFile: choose(input.heartbeatTelemetryFile, ops.telemetry.heartbeat),
    sequenceStateFile: choose(input.sequenceStateFile, ops.sequenceState),
    sequenceTelemetryFile: choose(input.sequenceTelemetryFile, ops.telemetry.sequence),
    controlInvocationsFile: choose(input.controlInvocationsFile, ops.telemetry.controlInvocations),
    driftStateFile: choose(input.driftStateFile, ops.profileDrift),
    driftHistoryFile: choose(input.driftHistoryFile, ops.telemetry.profileDrift),
    alertDispatchStateFile: choose(input.alertDispatchStateFile, ops.alertDispatchState),
    alertDispatchTelemetryFile: choose(input.alertDispatchTelemetryFile, ops.telemetry.alerts),
    // Not overridable (§1).
    reconcileTelemetryFile: ops.telemetry.reconcile,
    controlTelemetryFile: ops.telemetry.control,
  };
}

/** Every input of §2, read once. `null` = absent. */
export interface StatusInputs {
  readonly S: JsonObject | null;
  readonly C: JsonObject | null;
  readonly H: JsonObject | null;
  readonly I: JsonObject | null;
  readonly R: JsonObject | null;
  readonly K: JsonObject | null;
  readonly HB: JsonObject | null;
  readonly HBt: JsonObject | null;
  readonly Q: JsonObject | null;
  readonly Qt: JsonObject | null;
  readonly V: JsonObject | null;
  readonly T: JsonObject | null;
  /** The drift file; `S.drift` is applied by `buildStatusDocument` when this is null. */
  readonly D: JsonObject | null;
  readonly A: JsonObject | null;
  readonly At: JsonObject | null;
}

/**
 * `status`. Errors (exit 1), in order: `--repo is required`, `--loop is required`,
 * `--summary-window must be an integer >= 1`, invalid loop id (Q10-3 careful), repo directory not
 * found, `no status artifacts found for loop: <loop>`, then `invalid <kind> JSON: <path>` for the
 * first existing-but-invalid JSON file in the §1 order (state, cursor, health, heartbeat state,
 * sequence state, drift, alert dispatch state).
 */
export async function loopStatus(
  input: LoopStatusInput,
  ctx: LoopStatusContext = {},
): Promise<StatusDocument> {
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  const summaryWindow = summaryWindowFlag(input.summaryWindow);
  assertValidLoopId(loop, "--loop");
  const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
  const env = ctx.env ?? process.env;
  const clock = ctx.clock ?? systemClock;
  const repoPath = await resolveRepoDir(repo, cwd);
  const files = statusFiles(input, repoPath, loop, cwd);

  if (!(await pathExists(files.stateFile)) && !(await pathExists(files.healthFile))) {
    throw new ContractError(`no status artifacts found for loop: ${loop}`);
  }
  // Sequential, so the first invalid file in the spec's order is the one reported.
  const S = await readStatusJsonFile(files.stateFile, "state");
  const C = await readStatusJsonFile(files.cursorFile, "cursor");
  const H = await readStatusJsonFile(files.healthFile, "health");
  const HB = await readStatusJsonFile(files.heartbeatStateFile, "heartbeat state");
  const Q = await readStatusJsonFile(files.sequenceStateFile, "sequence state");
  const D = await readStatusJsonFile(files.driftStateFile, "drift");
  const A = await readStatusJsonFile(files.alertDispatchStateFile, "alert dispatch state");

  const [I, R, K, HBt, Qt, V, At] = await Promise.all([
    readLastJsonlObject(files.intentsFile),
    readLastJsonlObject(files.reconcileTelemetryFile),
    readLastJsonlObject(files.controlTelemetryFile),
    readLastJsonlObject(files.heartbeatTelemetryFile),
    readLastJsonlObject(files.sequenceTelemetryFile),
    readLastJsonlObject(files.controlInvocationsFile),
    readLastJsonlObject(files.alertDispatchTelemetryFile),
  ]);
  const [T, runtimeProcess] = await Promise.all([
    (await pathExists(files.reconcileTelemetryFile))
      ? loadTelemetrySummary({
          repoPath,
          loopId: loop,
          window: summaryWindow,
          cwd,
          env,
          clock,
          hookTimeoutMs: ctx.summaryHookTimeoutMs,
        })
      : Promise.resolve(null),
    runtimeProcessStatus(repoPath, loop, ctx.isProcessAlive),
  ]);

  const document = buildStatusDocument({
    generatedAt: formatTimestamp(clock.now()),
    repoPath,
    loopId: loop,
    summaryWindow,
    files,
    inputs: { S, C, H, I, R, K, HB, HBt, Q, Qt, V, T, D, A, At },
  });
  return { ...document, runtimeProcess };
}

export interface BuildStatusDocumentArgs {
  readonly generatedAt: string;
  readonly repoPath: string;
  readonly loopId: string;
  readonly summaryWindow: number;
  readonly files: StatusFiles;
  readonly inputs: StatusInputs;
}

/** The spec 17 document from already-read inputs (pure; `runtimeProcess` is added by `loopStatus`). */
export function buildStatusDocument(args: BuildStatusDocumentArgs): Omit<StatusDocument, "runtimeProcess"> {
  const { S, C, H, I, R, T, A, At } = args.inputs;
  const D = args.inputs.D ?? firstObject(get(S, "drift"));

  const trace = traceIds(args.inputs);
  const visibility = buildVisibility(args.inputs, trace);
  const tuning: StatusTuning = {
    summaryWindow: args.summaryWindow,
    appliedProfile: firstString(get(S, "health", "thresholds", "profile"), get(H, "thresholds", "profile")),
    recommendedProfile: firstString(get(T, "recommendedProfile")),
    confidence: firstString(get(T, "confidence")),
    rationale: firstString(get(T, "rationale")),
    telemetrySummary:
      T === null
        ? null
        : { observed: firstObject(get(T, "observed")), source: firstObject(get(T, "source")) },
  };
  const alerts = buildAlerts(A, At);

  return {
    schemaVersion: "v1",
    generatedAt: args.generatedAt,
    source: { repoPath: args.repoPath, loopId: args.loopId },
    lifecycle: {
      state: firstString(get(S, "transition", "currentState"), get(S, "projection", "status")) ?? "unknown",
      confidence: firstString(get(S, "transition", "confidence")),
      runId: firstString(get(S, "run", "runId")),
      iteration: firstNumber(get(S, "run", "iteration")),
    },
    health: firstObject(get(S, "health")) ?? H ?? {},
    cursor: {
      eventLineOffset: firstNumber(get(C, "eventLineOffset"), get(S, "cursor", "eventLineOffset")) ?? 0,
      eventLineCount: firstNumber(get(C, "eventLineCount"), get(S, "cursor", "eventLineCount")) ?? 0,
    },
    control: {
      lastIntent: firstString(get(I, "intent")),
      lastStatus: firstString(get(I, "status")),
      lastRequestedBy: firstString(get(I, "requestedBy")),
      lastTimestamp: firstString(get(I, "timestamp")),
      lastTraceId: trace.control,
    },
    reconcile: {
      lastStatus: firstString(get(R, "status")),
      lastTimestamp: firstString(get(R, "timestamp")),
      lastTransport: firstString(get(R, "transport")),
      lastFailureCode: firstString(get(R, "failureCode")),
      lastDurationSeconds: firstNumber(get(R, "durationSeconds")),
      lastTraceId: trace.reconcile,
    },
    visibility,
    tuning,
    ...(D === null ? {} : { drift: D }),
    ...(alerts === null ? {} : { alerts }),
    traceLinkage: buildTraceLinkage(trace),
    files: args.files,
  };
}

interface TraceIds {
  readonly control: string | null;
  readonly controlInvocation: string | null;
  readonly reconcile: string | null;
  readonly heartbeat: string | null;
  readonly sequence: string | null;
  readonly alert: string | null;
}

/** The trace ids shared by §3 `control.lastTraceId`, §4.4 and §6. */
function traceIds(inputs: StatusInputs): TraceIds {
  return {
    control: firstString(get(inputs.I, "traceId"), get(inputs.K, "traceId")),
    controlInvocation: firstString(get(inputs.V, "traceId")),
    reconcile: firstString(get(inputs.R, "traceId")),
    heartbeat: firstString(get(inputs.HB, "traceId"), get(inputs.HBt, "traceId")),
    sequence: firstString(get(inputs.Q, "traceId"), get(inputs.Qt, "traceId")),
    alert: firstString(get(inputs.At, "traceId"), get(inputs.A, "traceId")),
  };
}

/** §4: heartbeat / sequence / invocationAudit when non-null, and `trace` always. */
function buildVisibility(inputs: StatusInputs, trace: TraceIds): StatusVisibility {
  const heartbeat = buildHeartbeat(inputs);
  const sequence = buildSequence(inputs);
  const invocationAudit = buildInvocationAudit(inputs.V);
  return {
    ...(heartbeat === null ? {} : { heartbeat }),
    ...(sequence === null ? {} : { sequence }),
    ...(invocationAudit === null ? {} : { invocationAudit }),
    trace: buildVisibilityTrace(trace),
  };
}

/** §4.1. The `H.details.*` fallbacks are dead in practice (Q17-3) but honoured when present. */
function buildHeartbeat(inputs: StatusInputs): StatusHeartbeatVisibility | null {
  const { HB, HBt, H } = inputs;
  const detailsFreshness = firstString(get(H, "details", "heartbeatFreshnessStatus"));
  const detailsLastAt = firstString(get(H, "details", "lastHeartbeatAt"));
  const detailsLag = firstNumber(get(H, "details", "heartbeatLagSeconds"));
  if (
    HB === null &&
    HBt === null &&
    detailsFreshness === null &&
    detailsLastAt === null &&
    detailsLag === null
  ) {
    return null;
  }
  return omitNulls({
    freshnessStatus: firstString(get(HB, "freshnessStatus"), detailsFreshness),
    reasonCode: firstString(get(HB, "reasonCode"), get(HBt, "reasonCode")),
    lastHeartbeatAt: firstString(get(HB, "lastHeartbeatAt"), detailsLastAt, get(HBt, "heartbeatAt")),
    heartbeatLagSeconds: firstNumber(
      get(HB, "heartbeatLagSeconds"),
      detailsLag,
      get(HBt, "heartbeatLagSeconds"),
    ),
    updatedAt: firstString(get(HB, "updatedAt"), get(HBt, "timestamp")),
    transport: firstString(get(HB, "transport"), get(HBt, "transport")),
    traceId: firstString(get(HB, "traceId"), get(HBt, "traceId")),
  });
}

/** §4.2. `driftActive`: see `coalescedFlag` (Q17-1). */
function buildSequence(inputs: StatusInputs): StatusSequenceVisibility | null {
  const { Q, Qt, H } = inputs;
  if (Q === null && Qt === null) return null;
  return omitNulls({
    status: firstString(get(Q, "status"), get(H, "details", "sequenceStatus"), get(Qt, "status")),
    reasonCode: firstString(get(Q, "reasonCode"), get(Qt, "reasonCode")),
    driftActive: coalescedFlag(get(Q, "driftActive"), get(Qt, "driftActive")),
    violations: firstStringArray(get(Q, "violations"), get(Qt, "violations")),
    snapshotCurrent: firstNumber(get(Q, "snapshot", "current"), get(Qt, "snapshot", "current")),
    eventsLast: firstNumber(get(Q, "events", "last"), get(Qt, "events", "last")),
    updatedAt: firstString(get(Q, "updatedAt"), get(H, "details", "sequenceUpdatedAt"), get(Qt, "timestamp")),
    transport: firstString(get(Q, "transport"), get(Qt, "transport")),
    traceId: firstString(get(Q, "traceId"), get(Qt, "traceId")),
  });
}

/** §4.3. `replayed`: see `coalescedFlag` (Q17-1). */
function buildInvocationAudit(V: JsonObject | null): StatusInvocationAudit | null {
  if (V === null) return null;
  return omitNulls({
    timestamp: firstString(get(V, "timestamp")),
    intent: firstString(get(V, "intent")),
    transport: firstString(get(V, "transport")),
    idempotencyKey: firstString(get(V, "idempotencyKey")),
    executionStatus: firstString(get(V, "execution", "status")),
    confirmationStatus: firstString(get(V, "confirmation", "status")),
    outcomeStatus: firstString(get(V, "outcome", "status")),
    replayed: coalescedFlag(get(V, "execution", "replayed")),
    traceId: firstString(get(V, "traceId")),
  });
}

/**
 * §4.4 `sharedTraceId`: the single distinct value among the non-null control, reconcile, alert,
 * heartbeat and sequence trace ids (the invocation trace does not take part).
 */
export function visibilitySharedTraceId(trace: TraceIds): string | null {
  const distinct = new Set(
    [trace.control, trace.reconcile, trace.alert, trace.heartbeat, trace.sequence].filter(
      (id): id is string => id !== null,
    ),
  );
  return distinct.size === 1 ? ([...distinct][0] ?? null) : null;
}

function buildVisibilityTrace(trace: TraceIds): StatusVisibilityTrace {
  return omitNulls({
    controlTraceId: trace.control,
    controlInvocationTraceId: trace.controlInvocation,
    reconcileTraceId: trace.reconcile,
    heartbeatTraceId: trace.heartbeat,
    sequenceTraceId: trace.sequence,
    alertTraceId: trace.alert,
    sharedTraceId: visibilitySharedTraceId(trace),
  });
}

/**
 * §6 `sharedTraceId`: the reconcile trace when reconcile and alert traces are both non-null and
 * equal and the control trace is null or equal to them (a different rule from §4.4, Q17-4).
 */
export function legacySharedTraceId(trace: TraceIds): string | null {
  if (trace.reconcile === null || trace.alert === null || trace.reconcile !== trace.alert) return null;
  if (trace.control !== null && trace.control !== trace.reconcile) return null;
  return trace.reconcile;
}

function buildTraceLinkage(trace: TraceIds): StatusTraceLinkage {
  return {
    controlTraceId: trace.control,
    controlInvocationTraceId: trace.controlInvocation,
    reconcileTraceId: trace.reconcile,
    heartbeatTraceId: trace.heartbeat,
    sequenceTraceId: trace.sequence,
    alertTraceId: trace.alert,
    sharedTraceId: legacySharedTraceId(trace),
  };
}

/** §5: null (block omitted) when both the dispatch state and the last alert row are absent. */
function buildAlerts(A: JsonObject | null, At: JsonObject | null): StatusAlerts | null {
  if (A === null && At === null) return null;
  const dispatch: StatusAlertDispatch | null =
    A === null
      ? null
      : {
          ...omitNulls({
            status: firstString(get(A, "status")),
            updatedAt: firstString(get(A, "updatedAt")),
          }),
          processedCount: firstNumber(get(A, "processedCount")) ?? 0,
          dispatchedCount: firstNumber(get(A, "dispatchedCount")) ?? 0,
          skippedCount: firstNumber(get(A, "skippedCount")) ?? 0,
          failedCount: firstNumber(get(A, "failedCount")) ?? 0,
          failureReasonCodes: firstStringArray(get(A, "failureReasonCodes")) ?? [],
          escalationsLineOffset: firstNumber(get(A, "escalationsLineOffset")) ?? 0,
          escalationsLineCount: firstNumber(get(A, "escalationsLineCount")) ?? 0,
          ...omitNulls({ lastTraceId: firstString(get(A, "traceId")) }),
        };
  const lastDelivery: StatusAlertDelivery | null =
    At === null
      ? null
      : omitNulls({
          timestamp: firstString(get(At, "timestamp")),
          status: firstString(get(At, "status")),
          reasonCode: firstString(get(At, "reasonCode")),
          escalationCategory: firstString(get(At, "escalationCategory")),
          eventSeverity: firstString(get(At, "eventSeverity")),
          sinkCount: firstNumber(get(At, "sinkCount")),
          dispatchedSinkCount: firstNumber(get(At, "dispatchedSinkCount")),
          failedSinkCount: firstNumber(get(At, "failedSinkCount")),
          traceId: firstString(get(At, "traceId")),
          escalationTraceId: firstString(get(At, "escalationTraceId")),
        });
  return {
    ...(dispatch === null ? {} : { dispatch }),
    ...(lastDelivery === null ? {} : { lastDelivery }),
  };
}
