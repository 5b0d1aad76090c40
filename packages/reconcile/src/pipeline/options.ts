/**
 * Spec 13 §1–§2: reconcile's flags, their env/profile/default precedence, and validation in the
 * spec's exact order (fail closed; the CLI prints `error: <message>` and exits 1).
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import {
  assertValidLoopId,
  assertWritable,
  ensureDirectory,
  givenTraceId,
  OpsError,
  type OpsPaths,
  opsPaths,
  runtimePaths,
  ValidationError,
} from "@ops/contract";
import {
  type Confidence,
  type HealthCommandContext,
  type HealthThresholdFlags,
  type HealthThresholds,
  resolveHealthThresholds,
  resolveRepoDir,
  selectThresholdProfilesFile,
  thresholdProfile,
} from "@ops/health";
import { isRuntimeArtifact } from "@ops/transport-local";
import type { ReconcileContext } from "./context.js";
import { hookErrorMessage, hookScript, parseHookObject, runHook } from "./hooks.js";
import type { Transport } from "./schemas.js";
import { isJsonObject } from "./util.js";

/** Flag values as the CLI received them. `undefined` = flag absent; integers may also be numbers. */
export interface ReconcileInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  /** `local` (default) | `sprite_service`. */
  readonly transport?: string | undefined;
  readonly serviceBaseUrl?: string | undefined;
  /** Fallback `OPS_MANAGER_SERVICE_TOKEN`. */
  readonly serviceToken?: string | undefined;
  /** Fallback `OPS_MANAGER_TRACE_ID`, else a generated UUID. */
  readonly traceId?: string | undefined;
  /** Integer >= 1 (default 3). */
  readonly retryAttempts?: string | number | undefined;
  /** Integer >= 0 (default 1). */
  readonly retryBackoffSeconds?: string | number | undefined;
  /** Default `<ops>/cursor.json`. */
  readonly cursorFile?: string | undefined;
  /** Default `<ops>/state.json`. */
  readonly stateFile?: string | undefined;
  /** Integer >= 0 (default 0 = all). */
  readonly maxEvents?: string | number | undefined;
  readonly fromStart?: boolean | undefined;
  /** Fallback `OPS_MANAGER_THRESHOLD_PROFILE`, else the catalog's `defaultProfile`. */
  readonly thresholdProfile?: string | undefined;
  /** Fallback `OPS_MANAGER_THRESHOLD_PROFILES_FILE`, else the bundled catalog. */
  readonly thresholdsFile?: string | undefined;
  /** `low` | `medium` | `high`; fallback `OPS_MANAGER_DRIFT_MIN_CONFIDENCE`, default `medium`. */
  readonly driftMinConfidence?: string | undefined;
  /** Integer >= 1; fallback `OPS_MANAGER_DRIFT_REQUIRED_STREAK`, default 3. */
  readonly driftRequiredStreak?: string | number | undefined;
  /** Integer >= 1; fallback `OPS_MANAGER_DRIFT_SUMMARY_WINDOW`, default 200. */
  readonly driftSummaryWindow?: string | number | undefined;
  readonly driftStateFile?: string | undefined;
  readonly driftHistoryFile?: string | undefined;
  readonly sequenceStateFile?: string | undefined;
  readonly sequenceTelemetryFile?: string | undefined;
  readonly heartbeatStateFile?: string | undefined;
  readonly heartbeatTelemetryFile?: string | undefined;
  /** `true` | `false` (default true); fallback `OPS_MANAGER_ALERTS_ENABLED` (validated, Q13-1). */
  readonly alertsEnabled?: string | boolean | undefined;
  /** Fallback `OPS_MANAGER_ALERT_SINKS_FILE`; forwarded to dispatch only when set. */
  readonly alertConfigFile?: string | undefined;
  readonly alertDispatchStateFile?: string | undefined;
  readonly alertDispatchTelemetryFile?: string | undefined;
  /** The six thresholds (explicit whenever given; `^[0-9]+$`). */
  readonly degradedIngestLagSeconds?: string | number | undefined;
  readonly criticalIngestLagSeconds?: string | number | undefined;
  readonly degradedTransportFailureStreak?: string | number | undefined;
  readonly criticalTransportFailureStreak?: string | number | undefined;
  readonly degradedHeartbeatLagSeconds?: string | number | undefined;
  readonly criticalHeartbeatLagSeconds?: string | number | undefined;
  /** Output formatting only (the CLI prints the returned document). */
  readonly pretty?: boolean | undefined;
}

/** A path as used for I/O (`path`, absolute) and as recorded in artifacts (`shown`, spec 13 §1). */
export interface ReconcileFile {
  readonly path: string;
  /** The flag value as given, or the absolute default. */
  readonly shown: string;
}

export interface ReconcileFiles {
  readonly state: ReconcileFile;
  readonly cursor: ReconcileFile;
  readonly driftState: ReconcileFile;
  readonly driftHistory: ReconcileFile;
  readonly sequenceState: ReconcileFile;
  readonly sequenceTelemetry: ReconcileFile;
  readonly heartbeatState: ReconcileFile;
  readonly heartbeatTelemetry: ReconcileFile;
  readonly alertDispatchState: ReconcileFile;
  readonly alertDispatchTelemetry: ReconcileFile;
  /** Configured alert sink config (flag or env), else null. */
  readonly alertConfig: ReconcileFile | null;
}

/** Everything validated and resolved (spec 13 §2 steps 1–12). */
export interface ReconcileOptions {
  readonly repoPath: string;
  readonly loopId: string;
  readonly transport: Transport;
  readonly serviceBaseUrl: string | null;
  readonly serviceToken: string;
  readonly traceId: string;
  readonly retryAttempts: number;
  readonly retryBackoffSeconds: number;
  readonly maxEvents: number;
  readonly fromStart: boolean;
  /** Resolved threshold profile name (always recorded, Q13-12). */
  readonly thresholdProfile: string;
  /** The catalog path as selected (flag / env / bundled), or null when it cannot be determined. */
  readonly thresholdsFile: string | null;
  readonly thresholds: HealthThresholds;
  readonly driftMinConfidence: Confidence;
  readonly driftRequiredStreak: number;
  readonly driftSummaryWindow: number;
  readonly alertsEnabled: boolean;
  readonly ops: OpsPaths;
  readonly files: ReconcileFiles;
  /** Working directory (relative paths, hooks). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const ALERTS_ENABLED_ENV = "OPS_MANAGER_ALERTS_ENABLED";
const UNSIGNED = /^[0-9]+$/;

export function contextCwd(ctx: ReconcileContext): string {
  return ctx.cwd ?? process.env["PWD"] ?? process.cwd();
}

export function contextEnv(ctx: ReconcileContext): Readonly<Record<string, string | undefined>> {
  return ctx.env ?? process.env;
}

function given(value: string | undefined): string | null {
  return value === undefined || value.length === 0 ? null : value;
}

function envValue(env: Readonly<Record<string, string | undefined>>, name: string): string | null {
  return given(env[name]);
}

/** A non-negative integer flag value (`^[0-9]+$`, or a safe integer number), else null. */
function unsignedValue(value: string | number): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (!UNSIGNED.test(value)) return null;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : null;
}

function integerFlag(
  value: string | number | undefined,
  fallback: number,
  min: number,
  message: string,
): number {
  if (value === undefined) return fallback;
  const parsed = unsignedValue(value);
  if (parsed === null || parsed < min) throw new ValidationError(message);
  return parsed;
}

function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value.length === 0) throw new ValidationError(`${flag} is required`);
  return value;
}

function isConfidence(value: string): value is Confidence {
  return value === "low" || value === "medium" || value === "high";
}

/** Steps 1–7: checks on the flag values alone (no I/O). */
export interface ParsedReconcileFlags {
  readonly repo: string;
  readonly loop: string;
  readonly maxEvents: number;
  readonly retryAttempts: number;
  readonly retryBackoffSeconds: number;
  readonly alertsEnabledFlag: boolean | null;
  readonly transport: Transport;
}

const STREAK_MESSAGE = "--drift-required-streak must be an integer >= 1";
const WINDOW_MESSAGE = "--drift-summary-window must be an integer >= 1";

export function parseReconcileFlags(input: ReconcileInput): ParsedReconcileFlags {
  // 1
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  // 2–4
  const maxEvents = integerFlag(input.maxEvents, 0, 0, "--max-events must be a non-negative integer");
  const retryAttempts = integerFlag(input.retryAttempts, 3, 1, "--retry-attempts must be an integer >= 1");
  const retryBackoffSeconds = integerFlag(
    input.retryBackoffSeconds,
    1,
    0,
    "--retry-backoff-seconds must be a non-negative integer",
  );
  // 5 (flag values only; re-checked after the env fallback in step 10)
  integerFlag(input.driftRequiredStreak, 3, 1, STREAK_MESSAGE);
  integerFlag(input.driftSummaryWindow, 200, 1, WINDOW_MESSAGE);
  // 6 (flag value only)
  let alertsEnabledFlag: boolean | null = null;
  if (input.alertsEnabled !== undefined) {
    if (input.alertsEnabled === true || input.alertsEnabled === "true") alertsEnabledFlag = true;
    else if (input.alertsEnabled === false || input.alertsEnabled === "false") alertsEnabledFlag = false;
    else throw new ValidationError("--alerts-enabled must be true or false");
  }
  // 7
  const transportValue = input.transport ?? "local";
  if (transportValue !== "local" && transportValue !== "sprite_service") {
    throw new ValidationError("--transport must be local or sprite_service");
  }
  return {
    repo,
    loop,
    maxEvents,
    retryAttempts,
    retryBackoffSeconds,
    alertsEnabledFlag,
    transport: transportValue,
  };
}

function filePath(flag: string | undefined, fallback: string, cwd: string): ReconcileFile {
  const value = given(flag);
  if (value === null) return { path: fallback, shown: fallback };
  return { path: path.resolve(cwd, value), shown: value };
}

function healthContext(ctx: ReconcileContext, cwd: string): HealthCommandContext {
  return {
    cwd,
    env: contextEnv(ctx),
    ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
    ...(ctx.installRoot === undefined ? {} : { installRoot: ctx.installRoot }),
    ...(ctx.thresholdProfilesFile === undefined ? {} : { thresholdProfilesFile: ctx.thresholdProfilesFile }),
    ...(ctx.warn === undefined ? {} : { warn: ctx.warn }),
  };
}

export { healthContext as reconcileHealthContext };

/** The threshold-profile step (in-process, or `OPS_MANAGER_THRESHOLD_PROFILE_SCRIPT`). */
async function resolveProfile(
  name: string | null,
  thresholdsFile: string | null,
  ctx: ReconcileContext,
  cwd: string,
): Promise<{ readonly profile: string; readonly values: Record<string, unknown> | null }> {
  const env = contextEnv(ctx);
  const script = hookScript(env, "thresholdProfile");
  if (script !== null) {
    const args = [
      ...(thresholdsFile === null ? [] : ["--profiles-file", thresholdsFile]),
      ...(name === null ? [] : ["--profile", name]),
    ];
    const result = await runHook(script, args, {
      env,
      cwd,
      ...(ctx.hookTimeoutMs === undefined ? {} : { timeoutMs: ctx.hookTimeoutMs }),
    });
    // Resolver errors are passed through verbatim (spec 13 §2 step 9).
    if (!result.ok)
      throw new ValidationError(hookErrorMessage(result, `threshold profile resolution failed`));
    const document = parseHookObject(result.stdout);
    const profile = document?.["profile"];
    if (document === null || typeof profile !== "string" || profile.length === 0) {
      throw new OpsError(`threshold profile output is invalid (${script})`, { kind: "contract" });
    }
    const values = document["values"];
    return { profile, values: isJsonObject(values) ? values : null };
  }
  const result = await thresholdProfile(
    {
      ...(thresholdsFile === null ? {} : { profilesFile: thresholdsFile }),
      ...(name === null ? {} : { profile: name }),
    },
    healthContext(ctx, cwd),
  );
  if (result.kind !== "profile")
    throw new OpsError("threshold profile resolution returned a list", { kind: "contract" });
  return { profile: result.document.profile, values: { ...result.document.values } };
}

function thresholdFlag(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

/**
 * Steps 1–12 of spec 13 §2, in order. Step 8 creates `<ops>/`. Step 13 (the sprite-service base URL)
 * is checked by the caller at ingest time.
 */
export async function resolveReconcileOptions(
  input: ReconcileInput,
  ctx: ReconcileContext = {},
): Promise<ReconcileOptions> {
  const flags = parseReconcileFlags(input);
  const env = contextEnv(ctx);
  const cwd = contextCwd(ctx);

  // Q10-3: the loop id becomes a path segment; checked before anything touches the filesystem.
  assertValidLoopId(flags.loop, "--loop");

  // 8. repo resolution, then <ops>/.
  const repoPath = await resolveRepoDir(flags.repo, cwd);
  const ops = opsPaths(repoPath, flags.loop);
  await ensureDirectory(ops.dir);

  // 9. env fallbacks; Q13-1: OPS_MANAGER_ALERTS_ENABLED is validated like the flag.
  let alertsEnabled = flags.alertsEnabledFlag;
  if (alertsEnabled === null) {
    const fromEnv = envValue(env, ALERTS_ENABLED_ENV);
    if (fromEnv === null) alertsEnabled = true;
    else if (fromEnv === "true") alertsEnabled = true;
    else if (fromEnv === "false") alertsEnabled = false;
    else throw new ValidationError(`${ALERTS_ENABLED_ENV} must be true or false`);
  }
  const traceId = givenTraceId(input.traceId, env) ?? (ctx.generateTraceId ?? randomUUID)();
  const serviceToken = given(input.serviceToken) ?? envValue(env, "OPS_MANAGER_SERVICE_TOKEN") ?? "";
  // Q13-12: the env fallback is consulted only when the flag is absent.
  const profileName = given(input.thresholdProfile) ?? envValue(env, "OPS_MANAGER_THRESHOLD_PROFILE");
  let thresholdsFile: string | null;
  try {
    thresholdsFile = selectThresholdProfilesFile(input.thresholdsFile, healthContext(ctx, cwd));
  } catch (error) {
    // No install root known: a hook may still resolve with its own default; in-process this fails.
    if (hookScript(env, "thresholdProfile") === null) throw error;
    thresholdsFile = null;
  }
  const resolvedProfile = await resolveProfile(profileName, thresholdsFile, ctx, cwd);
  const alertConfigValue = given(input.alertConfigFile) ?? envValue(env, "OPS_MANAGER_ALERT_SINKS_FILE");

  // 10. drift settings after their env fallbacks.
  const minConfidence =
    given(input.driftMinConfidence) ?? envValue(env, "OPS_MANAGER_DRIFT_MIN_CONFIDENCE") ?? "medium";
  if (!isConfidence(minConfidence)) {
    throw new ValidationError("--drift-min-confidence must be one of: low, medium, high");
  }
  const driftRequiredStreak = integerFlag(
    input.driftRequiredStreak ?? envValue(env, "OPS_MANAGER_DRIFT_REQUIRED_STREAK") ?? undefined,
    3,
    1,
    STREAK_MESSAGE,
  );
  const driftSummaryWindow = integerFlag(
    input.driftSummaryWindow ?? envValue(env, "OPS_MANAGER_DRIFT_SUMMARY_WINDOW") ?? undefined,
    200,
    1,
    WINDOW_MESSAGE,
  );

  // 11–12. the six thresholds: explicit flag → profile value → built-in default; then invariants.
  const thresholdFlags: HealthThresholdFlags = {
    degradedIngestLagSeconds: thresholdFlag(input.degradedIngestLagSeconds),
    criticalIngestLagSeconds: thresholdFlag(input.criticalIngestLagSeconds),
    degradedHeartbeatLagSeconds: thresholdFlag(input.degradedHeartbeatLagSeconds),
    criticalHeartbeatLagSeconds: thresholdFlag(input.criticalHeartbeatLagSeconds),
    degradedTransportFailureStreak: thresholdFlag(input.degradedTransportFailureStreak),
    criticalTransportFailureStreak: thresholdFlag(input.criticalTransportFailureStreak),
  };
  const thresholds = resolveHealthThresholds(thresholdFlags, profileValues(resolvedProfile.values));

  const files: ReconcileFiles = {
    state: filePath(input.stateFile, ops.state, cwd),
    cursor: filePath(input.cursorFile, ops.cursor, cwd),
    driftState: filePath(input.driftStateFile, ops.profileDrift, cwd),
    driftHistory: filePath(input.driftHistoryFile, ops.telemetry.profileDrift, cwd),
    sequenceState: filePath(input.sequenceStateFile, ops.sequenceState, cwd),
    sequenceTelemetry: filePath(input.sequenceTelemetryFile, ops.telemetry.sequence, cwd),
    heartbeatState: filePath(input.heartbeatStateFile, ops.heartbeat, cwd),
    heartbeatTelemetry: filePath(input.heartbeatTelemetryFile, ops.telemetry.heartbeat, cwd),
    alertDispatchState: filePath(input.alertDispatchStateFile, ops.alertDispatchState, cwd),
    alertDispatchTelemetry: filePath(input.alertDispatchTelemetryFile, ops.telemetry.alerts, cwd),
    alertConfig:
      alertConfigValue === null
        ? null
        : { path: path.resolve(cwd, alertConfigValue), shown: alertConfigValue },
  };

  await assertNoRuntimeArtifactTargets(input, files, runtimePaths(repoPath, flags.loop));
  // Beyond the spec (careful): an output flag naming a directory, a path below a file or a
  // read-only file would otherwise fail half-way, after the cursor and transport health were
  // written. The state file is left out: its write failing is the spec's projection_failed path.
  await assertWritable(
    WRITTEN_FILE_FLAGS.filter(
      ([inputKey, fileKey]) => fileKey !== "state" && given(input[inputKey]) !== null,
    ).map(([, fileKey]) => ({ file: files[fileKey].path, shown: files[fileKey].shown })),
  );

  return {
    repoPath,
    loopId: flags.loop,
    transport: flags.transport,
    serviceBaseUrl: given(input.serviceBaseUrl),
    serviceToken,
    traceId,
    retryAttempts: flags.retryAttempts,
    retryBackoffSeconds: flags.retryBackoffSeconds,
    maxEvents: flags.maxEvents,
    fromStart: input.fromStart === true,
    thresholdProfile: resolvedProfile.profile,
    thresholdsFile,
    thresholds,
    driftMinConfidence: minConfidence,
    driftRequiredStreak,
    driftSummaryWindow,
    alertsEnabled,
    ops,
    files,
    cwd,
    env,
  };
}

/** The file flags reconcile writes to, with their flag names. */
const WRITTEN_FILE_FLAGS = [
  ["stateFile", "state", "--state-file"],
  ["cursorFile", "cursor", "--cursor-file"],
  ["driftStateFile", "driftState", "--drift-state-file"],
  ["driftHistoryFile", "driftHistory", "--drift-history-file"],
  ["sequenceStateFile", "sequenceState", "--sequence-state-file"],
  ["sequenceTelemetryFile", "sequenceTelemetry", "--sequence-telemetry-file"],
  ["heartbeatStateFile", "heartbeatState", "--heartbeat-state-file"],
  ["heartbeatTelemetryFile", "heartbeatTelemetry", "--heartbeat-telemetry-file"],
  ["alertDispatchStateFile", "alertDispatchState", "--alert-dispatch-state-file"],
  ["alertDispatchTelemetryFile", "alertDispatchTelemetry", "--alert-dispatch-telemetry-file"],
] as const;

/**
 * Reconcile rewrites or appends to every file above; none of them may be one of the runtime's own
 * files (e.g. `--state-file .superloop/state.json`, the runtime's state rather than the manager's,
 * would be replaced by the lifecycle projection). Checked before anything is ingested or written.
 */
async function assertNoRuntimeArtifactTargets(
  input: ReconcileInput,
  files: ReconcileFiles,
  runtime: ReturnType<typeof runtimePaths>,
): Promise<void> {
  for (const [inputKey, fileKey, flag] of WRITTEN_FILE_FLAGS) {
    if (given(input[inputKey]) === null) continue; // defaults live under <ops>/
    const file = files[fileKey];
    if (await isRuntimeArtifact(file.path, runtime)) {
      throw new ValidationError(`${flag} must not be a runtime artifact: ${file.shown}`);
    }
  }
}

/** The profile-backed values a resolver returned (numbers only; anything else is left to validation). */
function profileValues(values: Record<string, unknown> | null): Partial<Record<string, number>> | null {
  if (values === null) return null;
  const out: Record<string, number> = {};
  for (const key of [
    "degradedIngestLagSeconds",
    "criticalIngestLagSeconds",
    "degradedTransportFailureStreak",
    "criticalTransportFailureStreak",
  ]) {
    const value = values[key];
    // A non-number from a hook becomes NaN, which fails the `<name> must be a non-negative integer` check.
    if (value !== undefined) out[key] = typeof value === "number" ? value : Number.NaN;
  }
  return out;
}
