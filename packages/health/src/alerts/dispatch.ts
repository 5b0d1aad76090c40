/**
 * `ops-manager alert-dispatch` (spec 19 §3): cursor-based delivery of new escalation rows, plus the
 * careful additions documented in alerts/README.md: per-sink delivery state with redelivery of failed
 * sinks on later runs (Q19-4), `missing_secret` per selected sink instead of a global env check
 * (Q19-1), the unterminated last line left for later (Q19-5).
 */
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  appendJsonl,
  assertValidLoopId,
  assertWritable,
  type Clock,
  ensureDirectory,
  errnoCode,
  givenTraceId,
  isNotFoundError,
  nowTimestamp,
  OpsError,
  opsPaths,
  sortedUnique,
  ValidationError,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import { contextCwd, contextEnv } from "../context.js";
import {
  isJsonObject,
  type JsonObject,
  optionalFlag,
  parseUnsignedInteger,
  resolveRepoDir,
} from "../util.js";
import {
  type AlertSinkConfig,
  type AlertSinkConfigContext,
  isSeverity,
  loadAlertSinkConfig,
  type RouteResolution,
  resolveRoute,
  type SelectedSink,
  selectAlertSinksFile,
  selectedSink,
} from "./config.js";
import { type DeliveryPolicy, deliver, type EscalationContext, type SinkResult } from "./deliver.js";
import {
  type AlertDispatchState,
  AlertDispatchStateSchema,
  type AlertTelemetryRow,
  type DispatchStatus,
  type PendingDeliveriesFile,
  PendingDeliveriesFileSchema,
  type PendingDelivery,
  PendingDeliverySchema,
} from "./schemas.js";

export type { AlertDispatchState, DispatchStatus } from "./schemas.js";

export const ALERT_SINK_CONFIG_SCRIPT_ENV = "OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT";
/** A failed sink is retried on at most this many later dispatch runs, then abandoned. */
export const DEFAULT_MAX_REDELIVERY_RUNS = 10;

export interface AlertDispatchInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  readonly escalationsFile?: string | undefined;
  readonly dispatchStateFile?: string | undefined;
  readonly dispatchTelemetryFile?: string | undefined;
  readonly traceId?: string | undefined;
  readonly alertConfigFile?: string | undefined;
  readonly maxEscalations?: string | undefined;
}

export interface AlertDispatchContext extends AlertSinkConfigContext {
  readonly clock?: Clock;
  readonly delivery?: DeliveryPolicy;
  /** Later runs a failed sink delivery is retried on (default 10). */
  readonly maxRedeliveryRuns?: number;
  /** True inside reconcile: the loop lock is already held (it is not re-entrant). */
  readonly holdsLoopLock?: boolean;
  readonly lockTimeoutMs?: number;
  readonly generateTraceId?: () => string;
  /** `OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT` run time limit per row (default 30 s). */
  readonly resolverHookTimeoutMs?: number;
}

/** Sibling of the dispatch state file: `alert-dispatch-state.json` → `alert-dispatch-state.pending.json`. */
export function pendingDeliveriesFile(dispatchStateFile: string): string {
  const ext = path.extname(dispatchStateFile);
  const base = ext === ".json" ? dispatchStateFile.slice(0, -ext.length) : dispatchStateFile;
  return `${base}.pending.json`;
}

const digestOf = (line: string): string => createHash("sha256").update(line).digest("hex");
const oneLine = (text: string): string => text.replace(/\r?\n|\r/g, " ");
const str = (value: unknown): string | null => (typeof value === "string" && value.length > 0 ? value : null);

/** `T` as written before nulls are omitted: every optional key may also be null. */
type WithNulls<T> = T extends unknown
  ? { [K in keyof T]: undefined extends T[K] ? T[K] | null | undefined : T[K] }
  : never;

/** Spec 19 §3.3 "nulls omitted" (top level only; nulls inside sink results are kept). */
function omitNulls<T extends object>(row: WithNulls<T>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (value !== null && value !== undefined) out[key] = value;
  return out as T;
}

type RouteOutcome =
  | {
      readonly kind: "ok";
      readonly route: RouteResolution | JsonObject;
      readonly dispatchable: SelectedSink[];
    }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "invalid"; readonly message: string };

export const DEFAULT_RESOLVER_HOOK_TIMEOUT_MS = 30_000;

/** Runs the resolver hook; a hook that outlives `timeoutMs` is killed and counts as failed. */
function runResolverHook(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
) {
  return new Promise<{ ok: boolean; stdout: string; all: string }>((resolve) => {
    execFile(
      script,
      args,
      { env, cwd, maxBuffer: 8 * 1024 * 1024, timeout: timeoutMs, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const all =
          error?.killed === true
            ? `error: alert sink config hook timed out after ${timeoutMs} ms`
            : `${String(stdout)}${String(stderr)}`;
        resolve({ ok: error === null, stdout: String(stdout), all });
      },
    );
  });
}

/** `OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT` output: a resolution-shaped object, else null. */
function hookDispatchable(route: JsonObject): SelectedSink[] | null {
  const sinks = route["dispatchableSinks"];
  if (!Array.isArray(sinks)) return [];
  return sinks.filter(isJsonObject).map((sink) => ({
    id: String(sink["id"]),
    type: sink["type"] as SelectedSink["type"],
    enabled: sink["enabled"] === true,
    timeoutSeconds: typeof sink["timeoutSeconds"] === "number" ? sink["timeoutSeconds"] : 5,
    secretRefs: isJsonObject(sink["secretRefs"]) ? sink["secretRefs"] : {},
    config: isJsonObject(sink["config"]) ? sink["config"] : {},
  }));
}

/** A sink listed twice in a route (`["a", "a"]`) is called once per escalation. */
function uniqueSinks(sinks: SelectedSink[]): SelectedSink[] {
  return sinks.filter((sink, index) => sinks.findIndex((other) => other.id === sink.id) === index);
}

/** `ops-manager alert-dispatch`. Returns the state document it wrote (also printed). */
export async function alertDispatch(
  input: AlertDispatchInput,
  ctx: AlertDispatchContext = {},
): Promise<AlertDispatchState> {
  const repoFlag = optionalFlag(input.repo);
  if (repoFlag === null) throw new ValidationError("--repo is required");
  const loopFlag = optionalFlag(input.loop);
  if (loopFlag === null) throw new ValidationError("--loop is required");
  let maxEscalations = 0;
  if (input.maxEscalations !== undefined) {
    const parsed = parseUnsignedInteger(input.maxEscalations);
    if (parsed === null) throw new ValidationError("--max-escalations must be a non-negative integer");
    maxEscalations = parsed;
  }
  const cwd = contextCwd(ctx);
  const env = contextEnv(ctx);
  const loopId = assertValidLoopId(loopFlag);
  const repoPath = await resolveRepoDir(repoFlag, cwd);
  const ops = opsPaths(repoPath, loopId);
  const file = (flag: string | undefined, fallback: string): string => {
    const given = optionalFlag(flag);
    return given === null ? fallback : path.resolve(cwd, given);
  };
  const escalationsFile = file(input.escalationsFile, ops.escalations);
  const stateFile = file(input.dispatchStateFile, ops.alertDispatchState);
  const telemetryFile = file(input.dispatchTelemetryFile, ops.telemetry.alerts);
  // One file in two roles would overwrite the escalations with the state, or feed dispatch its own
  // telemetry rows as new escalations on every run.
  const roles: Array<[string, string]> = [
    ["the escalations file", escalationsFile],
    ["--dispatch-state-file", stateFile],
    ["the pending deliveries file", pendingDeliveriesFile(stateFile)],
    ["--dispatch-telemetry-file", telemetryFile],
  ];
  for (const [i, [role, target]] of roles.entries()) {
    const clash = roles.slice(0, i).find(([, other]) => other === target);
    if (clash !== undefined) throw new ValidationError(`${role} must not be ${clash[0]}: ${target}`);
  }
  // Given ids are used verbatim; a generated one is not lowercased.
  const traceId = givenTraceId(input.traceId, env) ?? (ctx.generateTraceId ?? (() => randomUUID()))();
  const run = () =>
    dispatchLocked(
      { repoPath, loopId, escalationsFile, stateFile, telemetryFile, traceId, maxEscalations, input },
      ctx,
    );
  if (ctx.holdsLoopLock === true) return run();
  await ensureDirectory(ops.dir);
  return withLock(ops.lock, run, ctx.lockTimeoutMs === undefined ? {} : { timeoutMs: ctx.lockTimeoutMs });
}

interface Resolved {
  readonly repoPath: string;
  readonly loopId: string;
  readonly escalationsFile: string;
  readonly stateFile: string;
  readonly telemetryFile: string;
  readonly traceId: string;
  readonly maxEscalations: number;
  readonly input: AlertDispatchInput;
}

/**
 * The previous state document, `{}` when there is none. Not JSON / not an object → ValidationError.
 * A JSON object that does not match the schema is read as before: only a usable
 * `escalationsLineOffset` is taken from it.
 */
async function readState(stateFile: string): Promise<Partial<AlertDispatchState>> {
  let text: string;
  try {
    text = await readFile(stateFile, "utf8");
  } catch (error) {
    if (isNotFoundError(error)) return {};
    throw new ValidationError(`invalid dispatch state JSON: ${stateFile}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!isJsonObject(value)) throw new Error("not an object");
    const parsed = AlertDispatchStateSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    const offset = value["escalationsLineOffset"];
    return typeof offset === "number" && Number.isSafeInteger(offset) && offset >= 0
      ? { escalationsLineOffset: offset }
      : {};
  } catch {
    throw new ValidationError(`invalid dispatch state JSON: ${stateFile}`);
  }
}

/**
 * Pending redeliveries for `escalationsFile`; `[]` when the file is missing or belongs to another
 * escalations file. A file that does not match the schema keeps only its valid entries. A file that
 * is not JSON fails the run, like the dispatch state: treating it as empty would overwrite it and
 * drop every owed redelivery without a trace.
 */
async function readPending(file: string, escalationsFile: string): Promise<PendingDelivery[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isNotFoundError(error)) return [];
    throw new OpsError(`cannot read ${file} (${errnoCode(error) ?? String(error)})`, {
      kind: "io",
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError(`invalid pending deliveries JSON: ${file}`);
  }
  const parsed = PendingDeliveriesFileSchema.safeParse(value);
  if (parsed.success) return parsed.data.escalationsFile === escalationsFile ? parsed.data.pending : [];
  if (
    !isJsonObject(value) ||
    value["escalationsFile"] !== escalationsFile ||
    !Array.isArray(value["pending"])
  )
    return [];
  return value["pending"].flatMap((entry) => {
    const one = PendingDeliverySchema.safeParse(entry);
    return one.success ? [one.data] : [];
  });
}

async function dispatchLocked(r: Resolved, ctx: AlertDispatchContext): Promise<AlertDispatchState> {
  const env = contextEnv(ctx);
  const cwd = contextCwd(ctx);
  const now = () => nowTimestamp(ctx.clock);
  const previous = await readState(r.stateFile);
  const prevOffset = previous.escalationsLineOffset ?? 0;
  const pendingFile = pendingDeliveriesFile(r.stateFile);

  const counts = { processed: 0, dispatched: 0, skipped: 0, failed: 0 };
  const reasons = new Set<string>();
  const state = (status: DispatchStatus, offset: number, lineCount: number): AlertDispatchState => ({
    schemaVersion: "v1",
    updatedAt: now(),
    loopId: r.loopId,
    traceId: r.traceId.length > 0 ? r.traceId : null,
    escalationsFile: r.escalationsFile,
    dispatchTelemetryFile: r.telemetryFile,
    status,
    processedCount: counts.processed,
    dispatchedCount: counts.dispatched,
    skippedCount: counts.skipped,
    failedCount: counts.failed,
    failureReasonCodes: sortedUnique(reasons),
    escalationsLineOffset: offset,
    escalationsLineCount: lineCount,
  });
  const finish = async (doc: AlertDispatchState): Promise<AlertDispatchState> => {
    await writeJsonAtomic(r.stateFile, doc);
    return doc;
  };

  let buffer: Buffer;
  try {
    buffer = await readFile(r.escalationsFile);
  } catch (error) {
    if (!isNotFoundError(error)) {
      throw new OpsError(`cannot read ${r.escalationsFile} (${errnoCode(error) ?? String(error)})`, {
        kind: "io",
        cause: error,
      });
    }
    return finish(state("no_source", prevOffset, prevOffset));
  }
  // Careful Q19-5 / Q10-1: only `\n`-terminated lines exist; an unterminated tail waits.
  const text = buffer.toString("utf8");
  const parts = text.split("\n");
  const lineCount = parts.length - 1;
  const lines = parts.slice(0, lineCount);
  if (prevOffset > lineCount) {
    throw new ValidationError(
      `dispatch state offset is ahead of escalation file: ${prevOffset} > ${lineCount}`,
    );
  }

  // Config: loaded once per run, lazily (a broken config fails each row, spec 19 §3.1 d).
  let configCache: { config: AlertSinkConfig; sourceFile: string } | { error: string } | null = null;
  const getConfig = async () => {
    if (configCache === null) {
      try {
        const sourceFile = selectAlertSinksFile(r.input.alertConfigFile, ctx);
        configCache = { config: await loadAlertSinkConfig(sourceFile, ctx), sourceFile };
      } catch (error) {
        configCache = { error: `error: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    return configCache;
  };
  const hook = optionalFlag(env[ALERT_SINK_CONFIG_SCRIPT_ENV]);

  const resolve = async (category: string, severity: string | null): Promise<RouteOutcome> => {
    if (hook !== null) {
      const configFlag = optionalFlag(r.input.alertConfigFile);
      const args = [
        ...(configFlag === null ? [] : ["--config-file", configFlag]),
        "--category",
        category,
        ...(severity === null ? [] : ["--severity", severity]),
      ];
      const result = await runResolverHook(
        hook,
        args,
        { ...env } as NodeJS.ProcessEnv,
        cwd,
        ctx.resolverHookTimeoutMs ?? DEFAULT_RESOLVER_HOOK_TIMEOUT_MS,
      );
      if (!result.ok) return { kind: "failed", message: result.all };
      try {
        const parsed: unknown = JSON.parse(result.stdout);
        if (!isJsonObject(parsed)) return { kind: "invalid", message: result.stdout };
        return { kind: "ok", route: parsed, dispatchable: uniqueSinks(hookDispatchable(parsed) ?? []) };
      } catch {
        return { kind: "invalid", message: result.stdout };
      }
    }
    const loaded = await getConfig();
    if ("error" in loaded) return { kind: "failed", message: loaded.error };
    if (severity !== null && !isSeverity(severity)) {
      return { kind: "failed", message: "error: --severity must be one of: info, warning, critical" };
    }
    try {
      // Careful Q19-1: no global env check here; secrets are checked per selected sink at send time.
      const route = resolveRoute(loaded.config, loaded.sourceFile, category, severity, env, true);
      return { kind: "ok", route, dispatchable: uniqueSinks(route.dispatchableSinks) };
    } catch (error) {
      return { kind: "failed", message: `error: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
  const rawSinkOf = async (id: string): Promise<JsonObject> => {
    const loaded = hook === null ? await getConfig() : null;
    return loaded !== null && "config" in loaded ? (loaded.config.sinks[id] ?? {}) : {};
  };

  const telemetry = (row: WithNulls<AlertTelemetryRow>) =>
    appendJsonl(r.telemetryFile, omitNulls<AlertTelemetryRow>(row));
  const downSinks = new Set<string>();
  // Before the first request of a run: the telemetry row and the state (cursor, pending) written
  // after a delivery must be writable, else every re-run would send the same escalation again.
  let recordable = false;
  const assertRecordable = async (): Promise<void> => {
    if (recordable) return;
    await assertWritable([r.telemetryFile, r.stateFile]);
    recordable = true;
  };
  const deliverTo = async (
    sink: SelectedSink,
    e: EscalationContext,
    rawLine: string,
  ): Promise<SinkResult> => {
    await assertRecordable();
    const policy: DeliveryPolicy = downSinks.has(sink.id)
      ? { ...ctx.delivery, maxAttempts: 1 }
      : (ctx.delivery ?? {});
    const result = await deliver(sink, await rawSinkOf(sink.id), e, env, rawLine, policy);
    if (
      result.status === "failed" &&
      (result.reasonCode === "request_failed" || (result.httpStatus ?? 0) >= 500)
    ) {
      downSinks.add(sink.id);
    }
    return result;
  };
  const escalationContext = (
    escalation: JsonObject,
    category: string,
    severity: string,
  ): EscalationContext => {
    const escTrace = str(escalation["traceId"]);
    return {
      escalation,
      repoPath: r.repoPath,
      loopId: str(escalation["loopId"]) ?? r.loopId,
      category,
      severity,
      escalationTraceId: escTrace,
      traceForText: escTrace ?? r.traceId,
      timestamp: str(escalation["timestamp"]),
      emittedAt: now(),
    };
  };

  let pending = await readPending(pendingFile, r.escalationsFile);
  const savePending = async (list: PendingDelivery[] = pending) => {
    if (list.length === 0 && !(await exists(pendingFile))) return;
    const doc: PendingDeliveriesFile = {
      schemaVersion: "v1",
      updatedAt: now(),
      escalationsFile: r.escalationsFile,
      pending: list,
    };
    await writeJsonAtomic(pendingFile, doc);
  };

  // 1. Redeliver failed sinks of earlier rows (careful Q19-4), oldest first.
  const maxRuns = ctx.maxRedeliveryRuns ?? DEFAULT_MAX_REDELIVERY_RUNS;
  const stillPending: PendingDelivery[] = [];
  for (const [index, entry] of pending.entries()) {
    const rawLine = entry.line >= 1 && entry.line <= lines.length ? (lines[entry.line - 1] as string) : null;
    const base = {
      timestamp: now(),
      loopId: r.loopId,
      traceId: r.traceId,
      category: "alert_dispatch" as const,
    };
    if (rawLine === null || digestOf(rawLine) !== entry.digest) {
      await telemetry({
        ...base,
        status: "abandoned",
        reasonCode: "redelivery_source_changed",
        redelivery: { line: entry.line, sinks: entry.sinks },
      });
      continue;
    }
    const escalation = JSON.parse(rawLine) as JsonObject;
    const category = String(escalation["category"]);
    const severity = isSeverity(escalation["severity"]) ? escalation["severity"] : null;
    const routed = await resolve(category, severity);
    if (routed.kind !== "ok") {
      stillPending.push(entry); // config broken right now: keep what is owed, try again next run.
      continue;
    }
    const eventSeverity =
      routed.kind === "ok" && isSeverity(routed.route["eventSeverity"])
        ? routed.route["eventSeverity"]
        : "warning";
    const e = escalationContext(escalation, category, eventSeverity);
    const results: SinkResult[] = [];
    const remaining: string[] = [];
    for (const id of entry.sinks) {
      const loaded = hook === null ? await getConfig() : null;
      const raw = loaded !== null && "config" in loaded ? loaded.config.sinks[id] : undefined;
      const fromRoute = routed.kind === "ok" ? routed.dispatchable.find((s) => s.id === id) : undefined;
      const sink =
        fromRoute ?? (raw !== undefined && raw["enabled"] === true ? selectedSink(id, raw) : undefined);
      if (sink === undefined) continue; // removed or disabled since: dropped, recorded below.
      if (downSinks.has(id)) {
        remaining.push(id);
        continue;
      }
      const result = await deliverTo(sink, e, rawLine);
      results.push(result);
      if (result.status === "success") entry.delivered.push(id);
      else {
        remaining.push(id);
        entry.lastReasonCodes[id] = result.reasonCode ?? "sink_dispatch_failed";
      }
    }
    const dropped = entry.sinks.filter((id) => !remaining.includes(id) && !results.some((x) => x.id === id));
    if (results.length === 0 && dropped.length === 0) {
      stillPending.push(entry); // every sink is down this run: try again next run, not counted.
      continue;
    }
    entry.runs += 1;
    entry.lastAttemptAt = now();
    const exhausted = remaining.length > 0 && entry.runs >= maxRuns;
    const ok = results.filter((x) => x.status === "success").length;
    const status = exhausted
      ? "abandoned"
      : results.length === 0
        ? "dropped"
        : ok === results.length
          ? "dispatched"
          : ok > 0
            ? "partial"
            : "failed";
    await telemetry({
      ...base,
      loopId: e.loopId,
      status,
      reasonCode:
        status === "dispatched"
          ? null
          : status === "abandoned"
            ? "redelivery_exhausted"
            : status === "dropped"
              ? "redelivery_sink_removed"
              : status === "partial"
                ? "partial_dispatch_failure"
                : "dispatch_failed",
      escalationTraceId: e.traceForText,
      escalationCategory: category,
      escalationTimestamp: e.timestamp,
      eventSeverity,
      escalation,
      sinks: results,
      sinkCount: results.length,
      dispatchedSinkCount: ok,
      failedSinkCount: results.length - ok,
      redelivery: {
        line: entry.line,
        run: entry.runs,
        pendingSinks: exhausted ? [] : remaining,
        droppedSinks: dropped,
      },
    });
    entry.sinks = remaining;
    if (remaining.length > 0 && !exhausted) stillPending.push(entry);
    // Committed per entry that called a sink: a crash re-sends at most the entry in flight.
    if (results.length > 0) await savePending([...stillPending, ...pending.slice(index + 1)]);
  }
  pending = stillPending;
  await savePending();

  // 2. New rows (spec 19 §3.1).
  if (lineCount === prevOffset) return finish(state("no_new_escalations", lineCount, lineCount));
  const end = r.maxEscalations > 0 ? Math.min(lineCount, prevOffset + r.maxEscalations) : lineCount;
  let offset = prevOffset;
  for (let index = prevOffset; index < end; index += 1) {
    const rawLine = lines[index] as string;
    offset += 1;
    counts.processed += 1;
    const common = {
      timestamp: now(),
      loopId: r.loopId,
      traceId: r.traceId,
      category: "alert_dispatch" as const,
    };
    if (rawLine.trim().length === 0) {
      counts.skipped += 1; // Q19-9: no telemetry row for blank lines.
      continue;
    }
    let escalation: unknown;
    try {
      escalation = JSON.parse(rawLine);
    } catch {
      escalation = undefined;
    }
    if (!isJsonObject(escalation)) {
      counts.failed += 1;
      reasons.add("invalid_escalation_json");
      await telemetry({ ...common, status: "failed", reasonCode: "invalid_escalation_json", rawLine });
      continue;
    }
    const category = str(escalation["category"]);
    if (category === null) {
      counts.failed += 1;
      reasons.add("missing_escalation_category");
      await telemetry({ ...common, status: "failed", reasonCode: "missing_escalation_category", escalation });
      continue;
    }
    const escTrace = str(escalation["traceId"]) ?? r.traceId;
    const escTimestamp = str(escalation["timestamp"]);
    const rowSeverity = Object.hasOwn(escalation, "severity") ? String(escalation["severity"]) : null;
    const routed = await resolve(category, rowSeverity);
    if (routed.kind !== "ok") {
      counts.failed += 1;
      const code = routed.kind === "failed" ? "route_resolution_failed" : "invalid_route_resolution";
      reasons.add(code);
      await telemetry({
        ...common,
        status: "failed",
        reasonCode: code,
        escalationTraceId: escTrace,
        escalationCategory: category,
        ...(routed.kind === "failed" ? { escalationTimestamp: escTimestamp } : {}),
        message: routed.kind === "failed" ? oneLine(routed.message).slice(0, 300) : routed.message,
        escalation,
      });
      continue;
    }
    const eventSeverity = isSeverity(routed.route["eventSeverity"])
      ? routed.route["eventSeverity"]
      : "warning";
    const skip =
      routed.route["shouldDispatch"] !== true
        ? "severity_below_min"
        : routed.dispatchable.length === 0
          ? "no_dispatchable_sinks"
          : null;
    if (skip !== null) {
      counts.skipped += 1;
      await telemetry({
        ...common,
        status: "skipped",
        reasonCode: skip,
        escalationTraceId: escTrace,
        escalationCategory: category,
        escalationTimestamp: escTimestamp,
        eventSeverity,
        escalation,
        route: { ...routed.route },
        sinkCount: 0,
        dispatchedSinkCount: 0,
        failedSinkCount: 0,
      });
      continue;
    }
    const e = escalationContext(escalation, category, eventSeverity);
    const results: SinkResult[] = [];
    for (const sink of routed.dispatchable) results.push(await deliverTo(sink, e, rawLine));
    const ok = results.filter((x) => x.status === "success").length;
    const failedSinks = results.filter((x) => x.status === "failed");
    for (const x of failedSinks) reasons.add(x.reasonCode ?? "sink_dispatch_failed");
    const status = failedSinks.length === 0 ? "dispatched" : ok > 0 ? "partial" : "failed";
    if (status === "dispatched") counts.dispatched += 1;
    else if (status === "partial") {
      counts.dispatched += 1;
      counts.failed += 1;
    } else counts.failed += 1;
    await telemetry({
      ...common,
      loopId: e.loopId,
      status,
      reasonCode:
        status === "dispatched"
          ? null
          : status === "partial"
            ? "partial_dispatch_failure"
            : "dispatch_failed",
      escalationTraceId: escTrace,
      escalationCategory: category,
      escalationTimestamp: escTimestamp,
      eventSeverity,
      escalation,
      route: { ...routed.route },
      sinks: results,
      sinkCount: routed.dispatchable.length,
      dispatchedSinkCount: ok,
      failedSinkCount: failedSinks.length,
    });
    const retryable = failedSinks.filter((x) => x.reasonCode !== "unsupported_sink_type");
    if (retryable.length > 0) {
      pending.push({
        line: index + 1,
        digest: digestOf(rawLine),
        category,
        sinks: retryable.map((x) => x.id),
        delivered: results.filter((x) => x.status === "success").map((x) => x.id),
        runs: 0,
        lastReasonCodes: Object.fromEntries(
          retryable.map((x) => [x.id, x.reasonCode ?? "sink_dispatch_failed"]),
        ),
        firstFailedAt: now(),
        lastAttemptAt: now(),
      });
    }
    // Progress is committed after every delivered row: a crash never re-sends what a sink accepted.
    await savePending();
    await writeJsonAtomic(r.stateFile, state(summaryStatus(counts), offset, lineCount));
  }
  return finish(state(summaryStatus(counts), offset, lineCount));
}

function summaryStatus(c: { processed: number; dispatched: number; failed: number }): DispatchStatus {
  if (c.processed === 0) return "no_new_escalations";
  if (c.failed > 0 && c.dispatched === 0) return "failed";
  if (c.failed > 0) return "partial";
  return "success";
}

async function exists(file: string): Promise<boolean> {
  try {
    await readFile(file);
    return true;
  } catch {
    return false;
  }
}
