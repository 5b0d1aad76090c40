/**
 * Alert sink config (spec 19 §1) and the `alert-sink-config` command (spec 19 §2): config path
 * selection, the runtime validation of §2 (steps 4–7), the env check (step 8), `envStatus`, the
 * sink summaries and the route resolution of §2.3. Secrets are never read into any output: only
 * the *names* of the variables and whether they are set.
 */
import path from "node:path";
/** The bundled sink config, relative to the install root (spec 10 §1.1). */
import {
  ALERT_SINKS_CATALOG,
  compareCodePoints,
  OpsError,
  readJsonFile,
  ValidationError,
  validateAgainstSchema,
} from "@ops/contract";
import { contextCwd, contextEnv, type HealthCommandContext } from "../context.js";
import { isJsonObject, type JsonObject, optionalFlag } from "../util.js";
/** Env fallback for the config path (spec 10 §4). */
export const ALERT_SINKS_FILE_ENV = "OPS_MANAGER_ALERT_SINKS_FILE";

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 1, warning: 2, critical: 3 };
export const SINK_TYPES = ["webhook", "slack", "pagerduty_events"] as const;
export type SinkType = (typeof SINK_TYPES)[number];
export const DEFAULT_SINK_TIMEOUT_SECONDS = 5;
export const DEFAULT_PAGERDUTY_SOURCE = "superloop-ops-manager";

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export function isSeverity(value: unknown): value is Severity {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);
}

export interface AlertSinkConfigContext extends HealthCommandContext {
  /** Explicit bundled sink config path; wins over `installRoot` (still below flag and env). */
  readonly alertSinksFile?: string;
}

/** A config that passed §2 steps 4–7. Values are the file's JSON, checked but not normalised. */
export interface AlertSinkConfig {
  readonly schemaVersion: "v1";
  readonly defaultMinSeverity: Severity;
  /** Sink ids in config order. */
  readonly sinkIds: readonly string[];
  readonly sinks: Readonly<Record<string, JsonObject>>;
  /** The `routing` object verbatim. */
  readonly routing: JsonObject;
  readonly defaultSinks: readonly string[];
  readonly categorySeverity: JsonObject;
  readonly routes: readonly JsonObject[];
}

/**
 * The config path exactly as selected (spec 19 §1, Q19-10: not normalised): flag → env
 * `OPS_MANAGER_ALERT_SINKS_FILE` → bundled `<install root>/config/ops-manager-alert-sinks.v1.json`.
 */
export function selectAlertSinksFile(flag: string | undefined, ctx: AlertSinkConfigContext = {}): string {
  const fromFlag = optionalFlag(flag);
  if (fromFlag !== null) return fromFlag;
  const fromEnv = optionalFlag(contextEnv(ctx)[ALERT_SINKS_FILE_ENV]);
  if (fromEnv !== null) return fromEnv;
  if (ctx.alertSinksFile !== undefined && ctx.alertSinksFile.length > 0) {
    return path.resolve(contextCwd(ctx), ctx.alertSinksFile);
  }
  if (ctx.installRoot !== undefined && ctx.installRoot.length > 0) {
    return path.resolve(contextCwd(ctx), ctx.installRoot, ALERT_SINKS_CATALOG);
  }
  throw new OpsError(
    `bundled alert sink config location unknown (no install root); pass a config file or set ${ALERT_SINKS_FILE_ENV}`,
    { kind: "io" },
  );
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}

function optionalString(sink: JsonObject, key: string): boolean {
  return !Object.hasOwn(sink, key) || sink[key] === null || typeof sink[key] === "string";
}

function isEnvName(value: unknown): boolean {
  return typeof value === "string" && ENV_NAME.test(value);
}

/** §1.1 per-sink rules (step 6). */
function isValidSink(sink: unknown): sink is JsonObject {
  if (!isJsonObject(sink)) return false;
  if (typeof sink["enabled"] !== "boolean") return false;
  if (Object.hasOwn(sink, "timeoutSeconds")) {
    const timeout = sink["timeoutSeconds"];
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 1 || timeout > 120)
      return false;
  }
  switch (sink["type"]) {
    case "webhook": {
      if (!isEnvName(sink["urlEnv"])) return false;
      if (
        Object.hasOwn(sink, "authTokenEnv") &&
        sink["authTokenEnv"] !== null &&
        !isEnvName(sink["authTokenEnv"])
      )
        return false;
      if (Object.hasOwn(sink, "headers")) {
        const headers = sink["headers"];
        if (!isJsonObject(headers) || !Object.values(headers).every((v) => typeof v === "string"))
          return false;
      }
      return true;
    }
    case "slack":
      return (
        isEnvName(sink["webhookUrlEnv"]) &&
        optionalString(sink, "channel") &&
        optionalString(sink, "username") &&
        optionalString(sink, "iconEmoji")
      );
    case "pagerduty_events":
      return (
        isEnvName(sink["routingKeyEnv"]) &&
        ["source", "component", "group", "class", "eventsUrl"].every((key) => optionalString(sink, key))
      );
    default:
      return false;
  }
}

/**
 * Validate a parsed config (spec 19 §2 steps 5–7, exact messages). Only these runtime checks; the
 * stricter JSON Schema is reported separately by `alertSinkConfigSchemaIssues` (Q19-11).
 */
export function validateAlertSinkConfig(value: unknown): AlertSinkConfig {
  // Step 5: top-level shape.
  if (
    !isJsonObject(value) ||
    value["schemaVersion"] !== "v1" ||
    !isSeverity(value["defaultMinSeverity"]) ||
    !isJsonObject(value["sinks"]) ||
    Object.keys(value["sinks"]).length === 0 ||
    !isJsonObject(value["routing"]) ||
    !Array.isArray(value["routing"]["defaultSinks"]) ||
    !isJsonObject(value["routing"]["categorySeverity"]) ||
    (Object.hasOwn(value["routing"], "routes") && !Array.isArray(value["routing"]["routes"]))
  ) {
    throw new ValidationError("alert sink config has invalid top-level shape");
  }
  const sinks = value["sinks"];
  const routing = value["routing"];
  // Step 6: sinks.
  for (const sink of Object.values(sinks)) {
    if (!isValidSink(sink)) throw new ValidationError("alert sink config sink definitions are invalid");
  }
  // Step 7: routing.
  const invalidRouting = (): never => {
    throw new ValidationError("alert sink config routing is invalid");
  };
  const defaultSinks = routing["defaultSinks"];
  if (!isStringArray(defaultSinks) || !defaultSinks.every((id) => Object.hasOwn(sinks, id))) invalidRouting();
  const categorySeverity = routing["categorySeverity"] as JsonObject;
  if (!Object.values(categorySeverity).every(isSeverity)) invalidRouting();
  const routes = (routing["routes"] ?? []) as unknown[];
  for (const route of routes) {
    if (!isJsonObject(route)) return invalidRouting();
    if (typeof route["category"] !== "string" || route["category"].length === 0) invalidRouting();
    if (Object.hasOwn(route, "enabled") && typeof route["enabled"] !== "boolean") invalidRouting();
    if (Object.hasOwn(route, "minSeverity") && !isSeverity(route["minSeverity"])) invalidRouting();
    if (Object.hasOwn(route, "sinks")) {
      const ids = route["sinks"];
      if (!isStringArray(ids) || !ids.every((id) => Object.hasOwn(sinks, id))) invalidRouting();
    }
  }
  return {
    schemaVersion: "v1",
    defaultMinSeverity: value["defaultMinSeverity"],
    sinkIds: Object.keys(sinks),
    sinks: sinks as Record<string, JsonObject>,
    routing,
    defaultSinks: defaultSinks as string[],
    categorySeverity,
    routes: routes as JsonObject[],
  };
}

/** Read + validate (spec 19 §2 steps 4–7). `file` is resolved against the working directory. */
export async function loadAlertSinkConfig(
  file: string,
  ctx: HealthCommandContext = {},
): Promise<AlertSinkConfig> {
  const resolved = path.resolve(contextCwd(ctx), file);
  let result: Awaited<ReturnType<typeof readJsonFile>>;
  try {
    result = await readJsonFile(resolved, { retries: 0 });
  } catch {
    throw new ValidationError(`invalid alert sink config JSON: ${file}`);
  }
  if (result.kind === "missing") throw new ValidationError(`alert sink config file not found: ${file}`);
  if (result.kind === "invalid") throw new ValidationError(`invalid alert sink config JSON: ${file}`);
  return validateAlertSinkConfig(result.value);
}

/**
 * Q19-11 decision: the commands accept what §2 accepts (never stricter without an explicit
 * decision); this reports what the shipped JSON Schema would additionally reject, for tests,
 * CI and `alert-sink-config --schema-check` style tooling. Empty = schema-valid.
 */
export function alertSinkConfigSchemaIssues(value: unknown): string[] {
  const result = validateAgainstSchema("ops-manager-alert-sinks.config.schema.json", value);
  return result.ok ? [] : [...result.errors];
}

/** Secret variable names of one sink: `[key, NAME]` pairs in the order of §2 step 8. */
export function sinkSecretRefs(sink: JsonObject): Array<[string, string]> {
  const refs: Array<[string, string]> = [];
  const add = (key: string): void => {
    const name = sink[key];
    if (typeof name === "string" && name.length > 0) refs.push([key, name]);
  };
  if (sink["type"] === "webhook") {
    add("urlEnv");
    add("authTokenEnv");
  } else if (sink["type"] === "slack") add("webhookUrlEnv");
  else if (sink["type"] === "pagerduty_events") add("routingKeyEnv");
  return refs;
}

function envSet(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const value = env[name];
  return value !== undefined && value.length > 0;
}

/** `envStatus`: every referenced secret variable of every sink, sorted by name. */
export function envStatus(
  config: AlertSinkConfig,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, { present: boolean }> {
  const names = new Set<string>();
  for (const id of config.sinkIds)
    for (const [, name] of sinkSecretRefs(config.sinks[id] as JsonObject)) names.add(name);
  const status: Record<string, { present: boolean }> = {};
  for (const name of [...names].sort(compareCodePoints)) status[name] = { present: envSet(env, name) };
  return status;
}

/** Step 8: unset secrets of the given sinks (default: every enabled sink), sorted unique. */
export function unsetSecrets(
  config: AlertSinkConfig,
  env: Readonly<Record<string, string | undefined>>,
  sinkIds: readonly string[] = config.sinkIds.filter((id) => config.sinks[id]?.["enabled"] === true),
): string[] {
  const missing = new Set<string>();
  for (const id of sinkIds) {
    const sink = config.sinks[id];
    if (sink === undefined) continue;
    for (const [, name] of sinkSecretRefs(sink)) if (!envSet(env, name)) missing.add(name);
  }
  return [...missing].sort(compareCodePoints);
}

function assertEnvCheck(config: AlertSinkConfig, env: Readonly<Record<string, string | undefined>>): void {
  const missing = unsetSecrets(config, env);
  if (missing.length > 0) {
    throw new ValidationError(`enabled sink secret env var(s) are unset: ${missing.join(" ")}`);
  }
}

function timeoutOf(sink: JsonObject): number {
  const value = sink["timeoutSeconds"];
  return typeof value === "number" ? value : DEFAULT_SINK_TIMEOUT_SECONDS;
}

function stringOr<T>(sink: JsonObject, key: string, fallback: T): string | T {
  const value = sink[key];
  return typeof value === "string" ? value : fallback;
}

function secretRefsOf(sink: JsonObject): JsonObject {
  switch (sink["type"]) {
    case "webhook":
      return { urlEnv: sink["urlEnv"] as string, authTokenEnv: stringOr(sink, "authTokenEnv", null) };
    case "slack":
      return { webhookUrlEnv: sink["webhookUrlEnv"] as string };
    default:
      return { routingKeyEnv: sink["routingKeyEnv"] as string };
  }
}

function sinkConfigOf(sink: JsonObject): JsonObject {
  switch (sink["type"]) {
    case "webhook":
      return { headers: isJsonObject(sink["headers"]) ? sink["headers"] : {} };
    case "slack":
      return {
        channel: stringOr(sink, "channel", null),
        username: stringOr(sink, "username", null),
        iconEmoji: stringOr(sink, "iconEmoji", null),
      };
    default:
      return {
        source: stringOr(sink, "source", DEFAULT_PAGERDUTY_SOURCE),
        component: stringOr(sink, "component", null),
        group: stringOr(sink, "group", null),
        class: stringOr(sink, "class", null),
      };
  }
}

/** A sink as it appears in `selectedSinks` / `dispatchableSinks` (spec 19 §2.3 step 7). */
export interface SelectedSink {
  readonly id: string;
  readonly type: SinkType;
  readonly enabled: boolean;
  readonly timeoutSeconds: number;
  readonly secretRefs: JsonObject;
  readonly config: JsonObject;
}

export function selectedSink(id: string, sink: JsonObject): SelectedSink {
  return {
    id,
    type: sink["type"] as SinkType,
    enabled: sink["enabled"] === true,
    timeoutSeconds: timeoutOf(sink),
    secretRefs: secretRefsOf(sink),
    config: sinkConfigOf(sink),
  };
}

export interface RouteResolution {
  readonly schemaVersion: "v1";
  readonly sourceFile: string;
  readonly category: string;
  readonly eventSeverity: string;
  readonly categoryMappedSeverity?: unknown;
  readonly minSeverity: string;
  readonly shouldDispatch: boolean;
  readonly route?: JsonObject;
  readonly selectedSinks: SelectedSink[];
  readonly dispatchableSinks: SelectedSink[];
  readonly envStatus: Record<string, { present: boolean }>;
  readonly validation: { readonly envCheckEnabled: boolean };
}

/**
 * §2.3 (pure). `severity` is an already validated `--severity` value, or null. Throws step 9's
 * error when the resolved event severity is not a severity.
 */
export function resolveRoute(
  config: AlertSinkConfig,
  sourceFile: string,
  category: string,
  severity: string | null,
  env: Readonly<Record<string, string | undefined>>,
  envCheckEnabled: boolean,
): RouteResolution {
  const route = config.routes.find((r) => r["category"] === category && r["enabled"] !== false);
  const routeSinks = route !== undefined && isStringArray(route["sinks"]) ? route["sinks"] : [];
  const sinkIds = routeSinks.length > 0 ? routeSinks : config.defaultSinks;
  const minSeverity = isSeverity(route?.["minSeverity"]) ? route["minSeverity"] : config.defaultMinSeverity;
  const mapped = Object.hasOwn(config.categorySeverity, category)
    ? config.categorySeverity[category]
    : undefined;
  const eventSeverity = severity ?? (mapped !== undefined && mapped !== null ? mapped : minSeverity);
  if (!isSeverity(eventSeverity)) {
    throw new ValidationError(
      `resolved event severity is invalid for category '${category}': ${typeof eventSeverity === "string" ? eventSeverity : JSON.stringify(eventSeverity)}`,
    );
  }
  const shouldDispatch = SEVERITY_RANK[eventSeverity] >= SEVERITY_RANK[minSeverity];
  const selectedSinks = sinkIds
    .filter((id) => Object.hasOwn(config.sinks, id))
    .map((id) => selectedSink(id, config.sinks[id] as JsonObject));
  return {
    schemaVersion: "v1",
    sourceFile,
    category,
    eventSeverity,
    ...(mapped === undefined || mapped === null ? {} : { categoryMappedSeverity: mapped }),
    minSeverity,
    shouldDispatch,
    ...(route === undefined ? {} : { route }),
    selectedSinks,
    dispatchableSinks: shouldDispatch ? selectedSinks.filter((sink) => sink.enabled) : [],
    envStatus: envStatus(config, env),
    validation: { envCheckEnabled },
  };
}

export interface AlertSinkConfigInput {
  readonly configFile?: string | undefined;
  readonly category?: string | undefined;
  readonly severity?: string | undefined;
  readonly listSinks?: boolean | undefined;
  /** `--no-env-check`. */
  readonly noEnvCheck?: boolean | undefined;
}

export type AlertSinkConfigResult =
  | { readonly kind: "list"; readonly lines: string[] }
  | { readonly kind: "document"; readonly document: JsonObject };

/** `ops-manager alert-sink-config` (spec 19 §2). */
export async function alertSinkConfig(
  input: AlertSinkConfigInput,
  ctx: AlertSinkConfigContext = {},
): Promise<AlertSinkConfigResult> {
  const category = input.category;
  const listSinks = input.listSinks === true;
  if (listSinks && category !== undefined) {
    throw new ValidationError("--list-sinks cannot be combined with --category");
  }
  if (input.severity !== undefined && category === undefined)
    throw new ValidationError("--severity requires --category");
  if (input.severity !== undefined && !isSeverity(input.severity)) {
    throw new ValidationError("--severity must be one of: info, warning, critical");
  }
  const env = contextEnv(ctx);
  const sourceFile = selectAlertSinksFile(input.configFile, ctx);
  const config = await loadAlertSinkConfig(sourceFile, ctx);
  const envCheckEnabled = input.noEnvCheck !== true;
  if (envCheckEnabled) assertEnvCheck(config, env);
  if (listSinks) {
    return {
      kind: "list",
      lines: config.sinkIds.map((id) => {
        const sink = config.sinks[id] as JsonObject;
        return `${id}\t${String(sink["type"])}\t${String(sink["enabled"])}`;
      }),
    };
  }
  if (category !== undefined) {
    const resolution = resolveRoute(
      config,
      sourceFile,
      category,
      input.severity ?? null,
      env,
      envCheckEnabled,
    );
    return { kind: "document", document: resolution as unknown as JsonObject };
  }
  const sinks = config.sinkIds.map((id) => {
    const sink = config.sinks[id] as JsonObject;
    return {
      id,
      enabled: sink["enabled"] === true,
      type: sink["type"] as string,
      timeoutSeconds: timeoutOf(sink),
      secretRefs: secretRefsOf(sink),
    };
  });
  return {
    kind: "document",
    document: {
      schemaVersion: "v1",
      sourceFile,
      defaultMinSeverity: config.defaultMinSeverity,
      sinks,
      enabledSinkCount: sinks.filter((sink) => sink.enabled).length,
      routing: config.routing,
      envStatus: envStatus(config, env),
      validation: { envCheckEnabled },
    },
  };
}
