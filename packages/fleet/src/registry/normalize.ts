/**
 * Spec 20 §4: the normalised registry, built from a document that passed `validateFleetRegistry`.
 * Defaults apply only when a field is absent (missing or `null`); explicit `false`, `0` and `[]`
 * are kept — including `enabled: false` (careful Q1) and `autoPause.enabled: false` (careful Q2).
 */
import {
  FLEET_REGISTRY_DEFAULTS as D,
  type FleetMinConfidence,
  type FleetMinSeverity,
  type FleetPolicyCategoryValue,
  type FleetPolicyIntentValue,
  type FleetPolicyModeValue,
  type FleetTransportValue,
  isJsonObject,
  type JsonObject,
  type NormalizedFleetAutonomous,
  type NormalizedFleetGovernance,
  type NormalizedFleetLoop,
  type NormalizedFleetPolicy,
  type NormalizedFleetRegistry,
  parseTimestamp,
} from "@ops/contract";
import { isPresent } from "./validate.js";

const EMPTY: JsonObject = {};

function objectAt(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  return isJsonObject(value) ? value : EMPTY;
}

/** The declared value when present, else the default (cast: the validator has checked the type). */
function or<T>(parent: JsonObject, key: string, fallback: T): T {
  const value = parent[key];
  return isPresent(value) ? (value as T) : fallback;
}

function normalizeLoop(entry: JsonObject): NormalizedFleetLoop {
  const sprite = objectAt(entry, "sprite");
  const service = objectAt(entry, "service");
  const spriteUrl = sprite["serviceBaseUrl"];
  const serviceUrl = service["baseUrl"];

  const normalizedSprite: NormalizedFleetLoop["sprite"] = {};
  if (isPresent(sprite["id"])) normalizedSprite.id = sprite["id"] as string;
  if (isPresent(sprite["assignment"])) normalizedSprite.assignment = sprite["assignment"];
  const spriteBase = isPresent(spriteUrl) ? spriteUrl : serviceUrl;
  if (isPresent(spriteBase)) normalizedSprite.serviceBaseUrl = spriteBase;

  // Key order of §4: baseUrl, tokenEnv, retryAttempts, retryBackoffSeconds.
  const serviceBase = isPresent(serviceUrl) ? serviceUrl : spriteUrl;
  const normalizedService: NormalizedFleetLoop["service"] = {
    ...(isPresent(serviceBase) ? { baseUrl: serviceBase } : {}),
    ...(isPresent(service["tokenEnv"]) ? { tokenEnv: service["tokenEnv"] as string } : {}),
    retryAttempts: or(service, "retryAttempts", D.retryAttempts),
    retryBackoffSeconds: or(service, "retryBackoffSeconds", D.retryBackoffSeconds),
  };

  return {
    loopId: entry["loopId"] as string,
    enabled: or<boolean>(entry, "enabled", true),
    transport: or<FleetTransportValue>(entry, "transport", D.transport),
    sprite: normalizedSprite,
    service: normalizedService,
    metadata: isJsonObject(entry["metadata"]) ? entry["metadata"] : {},
  };
}

function normalizeGovernance(governance: JsonObject): NormalizedFleetGovernance {
  const out: NormalizedFleetGovernance = {};
  for (const key of ["actor", "approvalRef", "rationale", "changedAt", "reviewBy"] as const) {
    if (isPresent(governance[key])) out[key] = governance[key] as string;
  }
  const changedAt = parseTimestamp(out.changedAt);
  const reviewBy = parseTimestamp(out.reviewBy);
  if (changedAt !== null && reviewBy !== null) {
    out.reviewWindowDays = Math.floor((reviewBy - changedAt) / 86400);
  }
  return out;
}

function normalizeAutonomous(autonomous: JsonObject, mode: FleetPolicyModeValue): NormalizedFleetAutonomous {
  const allow = objectAt(autonomous, "allow");
  const thresholds = objectAt(autonomous, "thresholds");
  const safety = objectAt(autonomous, "safety");
  const rollout = objectAt(autonomous, "rollout");
  const scope = objectAt(rollout, "scope");
  const selector = objectAt(rollout, "selector");
  const pause = objectAt(rollout, "pause");
  const autoPause = objectAt(rollout, "autoPause");
  return {
    enabled: mode === "guarded_auto",
    allow: {
      categories: [...or<readonly FleetPolicyCategoryValue[]>(allow, "categories", D.categories)],
      intents: [...or<readonly FleetPolicyIntentValue[]>(allow, "intents", D.intents)],
    },
    thresholds: {
      minSeverity: or<FleetMinSeverity>(thresholds, "minSeverity", D.minSeverity),
      minConfidence: or<FleetMinConfidence>(thresholds, "minConfidence", D.minConfidence),
    },
    safety: {
      maxActionsPerRun: or(safety, "maxActionsPerRun", D.maxActionsPerRun),
      maxActionsPerLoop: or(safety, "maxActionsPerLoop", D.maxActionsPerLoop),
      cooldownSeconds: or(safety, "cooldownSeconds", D.cooldownSeconds),
      killSwitch: or<boolean>(safety, "killSwitch", D.killSwitch),
    },
    governance: normalizeGovernance(objectAt(autonomous, "governance")),
    rollout: {
      canaryPercent: or(rollout, "canaryPercent", D.canaryPercent),
      scope: { loopIds: [...or<readonly string[]>(scope, "loopIds", [])] },
      selector: { salt: or<string>(selector, "salt", D.salt) },
      pause: { manual: or<boolean>(pause, "manual", D.pauseManual) },
      autoPause: {
        enabled: or<boolean>(autoPause, "enabled", D.autoPauseEnabled),
        lookbackExecutions: or(autoPause, "lookbackExecutions", D.lookbackExecutions),
        minSampleSize: or(autoPause, "minSampleSize", D.minSampleSize),
        ambiguityRateThreshold: or(autoPause, "ambiguityRateThreshold", D.ambiguityRateThreshold),
        failureRateThreshold: or(autoPause, "failureRateThreshold", D.failureRateThreshold),
      },
    },
  };
}

function normalizePolicy(policy: JsonObject): NormalizedFleetPolicy {
  const mode = or<FleetPolicyModeValue>(policy, "mode", D.mode);
  return {
    mode,
    suppressions: isJsonObject(policy["suppressions"])
      ? (policy["suppressions"] as NormalizedFleetPolicy["suppressions"])
      : {},
    noiseControls: {
      dedupeWindowSeconds: or(
        objectAt(policy, "noiseControls"),
        "dedupeWindowSeconds",
        D.dedupeWindowSeconds,
      ),
    },
    autonomous: normalizeAutonomous(objectAt(policy, "autonomous"), mode),
  };
}

/**
 * The normalised registry of a *validated* document (spec 20 §4). `sourceFile` is the registry
 * path as used (absolute when defaulted, verbatim when given with `--registry-file`).
 */
export function normalizeFleetRegistry(document: JsonObject, sourceFile: string): NormalizedFleetRegistry {
  const loops = (Array.isArray(document["loops"]) ? document["loops"] : [])
    .filter(isJsonObject)
    .map(normalizeLoop);
  return {
    schemaVersion: "v1",
    sourceFile,
    fleetId: or<string>(document, "fleetId", D.fleetId),
    loops,
    policy: normalizePolicy(objectAt(document, "policy")),
    loopCount: loops.length,
  };
}
