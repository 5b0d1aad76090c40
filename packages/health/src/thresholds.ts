/**
 * Threshold profiles (spec 18 §1–§2) and the six health thresholds (spec 14 §6): the catalog path
 * selection, the `threshold-profile` command and the precedence flag → profile → built-in default
 * with the critical ≥ degraded invariant that reconcile and health validate.
 */
import path from "node:path";
/** The bundled catalog, relative to the install root (spec 10 §1.1). */
import {
  compareCodePoints,
  OpsError,
  readJsonFile,
  THRESHOLD_PROFILES_CATALOG,
  ValidationError,
} from "@ops/contract";
import { contextCwd, contextEnv, type HealthCommandContext } from "./context.js";
import type { HealthThresholds, ThresholdProfileDocument, ThresholdProfileOutputValues } from "./schemas.js";
import { isJsonObject, isKind, type JsonObject, optionalFlag, UNSIGNED_INTEGER } from "./util.js";
/** Env fallback for the catalog path (spec 10 §4). */
export const THRESHOLD_PROFILES_FILE_ENV = "OPS_MANAGER_THRESHOLD_PROFILES_FILE";

/**
 * The catalog path "exactly as selected" (spec 18 §2 `sourceFile`): the flag value, else the env
 * value, else the bundled catalog (`ctx.thresholdProfilesFile`, else `<ctx.installRoot>/config/…`,
 * made absolute). Empty flag/env values count as not given.
 */
export function selectThresholdProfilesFile(
  flag: string | undefined,
  ctx: HealthCommandContext = {},
): string {
  const fromFlag = optionalFlag(flag);
  if (fromFlag !== null) return fromFlag;
  const fromEnv = optionalFlag(contextEnv(ctx)[THRESHOLD_PROFILES_FILE_ENV]);
  if (fromEnv !== null) return fromEnv;
  return bundledThresholdProfilesFile(ctx);
}

/** Absolute path of the bundled catalog; an OpsError when the context does not say where it is. */
export function bundledThresholdProfilesFile(ctx: HealthCommandContext = {}): string {
  if (ctx.thresholdProfilesFile !== undefined && ctx.thresholdProfilesFile.length > 0) {
    return path.resolve(contextCwd(ctx), ctx.thresholdProfilesFile);
  }
  if (ctx.installRoot !== undefined && ctx.installRoot.length > 0) {
    return path.resolve(contextCwd(ctx), ctx.installRoot, THRESHOLD_PROFILES_CATALOG);
  }
  throw new OpsError(
    `bundled threshold profiles catalog location unknown (no install root); pass a profiles file or set ${THRESHOLD_PROFILES_FILE_ENV}`,
    { kind: "io" },
  );
}

// ---------------------------------------------------------------------------------------------------
// Catalog shape (pure)
// ---------------------------------------------------------------------------------------------------

/** A catalog that passed threshold-profile's shape rules (spec 18 §1). */
export interface ThresholdCatalog {
  readonly schemaVersion: "v1";
  readonly defaultProfile?: unknown;
  readonly profiles: JsonObject;
}

/** threshold-profile's shape rule: `schemaVersion == "v1"` and `profiles` a non-empty object. */
export function isThresholdCatalogShape(value: unknown): value is ThresholdCatalog {
  if (!isJsonObject(value) || value["schemaVersion"] !== "v1") return false;
  const profiles = value["profiles"];
  return isJsonObject(profiles) && Object.keys(profiles).length > 0;
}

/** Profile names, sorted ascending by code point (the `--list` output). */
export function listThresholdProfiles(catalog: ThresholdCatalog): string[] {
  return Object.keys(catalog.profiles).sort(compareCodePoints);
}

const PROFILE_VALUE_KEYS = [
  "degradedIngestLagSeconds",
  "criticalIngestLagSeconds",
  "degradedTransportFailureStreak",
  "criticalTransportFailureStreak",
] as const;

/**
 * The four values of one catalog entry when it is usable: each a JSON number and
 * `critical* >= degraded*` for both pairs (spec 18 §1). Null otherwise. Decimals and negatives pass
 * here (the catalog rule says "numeric"); reconcile's threshold check rejects them later.
 */
export function thresholdProfileValues(entry: unknown): ThresholdProfileOutputValues | null {
  if (!isJsonObject(entry)) return null;
  const numbers: number[] = [];
  for (const key of PROFILE_VALUE_KEYS) {
    const value = entry[key];
    if (typeof value !== "number" || !Number.isFinite(value)) return null;
    numbers.push(value);
  }
  const [degradedIngest, criticalIngest, degradedStreak, criticalStreak] = numbers as [
    number,
    number,
    number,
    number,
  ];
  if (criticalIngest < degradedIngest || criticalStreak < degradedStreak) return null;
  return {
    degradedIngestLagSeconds: degradedIngest,
    criticalIngestLagSeconds: criticalIngest,
    degradedTransportFailureStreak: degradedStreak,
    criticalTransportFailureStreak: criticalStreak,
  };
}

/**
 * Resolve one profile of a shape-checked catalog (spec 18 §2 errors 4–6, in order). `name` empty or
 * undefined → `defaultProfile`.
 */
export function resolveThresholdProfile(
  catalog: ThresholdCatalog,
  name: string | undefined,
  sourceFile: string,
): ThresholdProfileDocument {
  const defaultProfile = typeof catalog.defaultProfile === "string" ? catalog.defaultProfile : "";
  const selected = optionalFlag(name) ?? optionalFlag(defaultProfile);
  if (selected === null) throw new ValidationError("profile name is required and defaultProfile is missing");
  if (!Object.hasOwn(catalog.profiles, selected))
    throw new ValidationError(`unknown threshold profile: ${selected}`);
  const entry = catalog.profiles[selected];
  const values = thresholdProfileValues(entry);
  if (values === null) throw new ValidationError(`threshold profile values are invalid: ${selected}`);
  const description = isJsonObject(entry) ? entry["description"] : undefined;
  return {
    schemaVersion: "v1",
    sourceFile,
    profile: selected,
    values,
    ...(typeof description === "string" ? { description } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Command: threshold-profile (spec 18 §2)
// ---------------------------------------------------------------------------------------------------

export interface ThresholdProfileInput {
  /** `--profiles-file` (default env `OPS_MANAGER_THRESHOLD_PROFILES_FILE`, else the bundled catalog). */
  readonly profilesFile?: string | undefined;
  /** `--profile` (default the catalog's `defaultProfile`). */
  readonly profile?: string | undefined;
  /** `--list`. */
  readonly list?: boolean | undefined;
}

export type ThresholdProfileResult =
  /** `--list`: profile names, one per output line. */
  | { readonly kind: "list"; readonly lines: string[] }
  | { readonly kind: "profile"; readonly document: ThresholdProfileDocument };

/** Read and shape-check the catalog (spec 18 §2 errors 1–3). `file` is reported as given. */
export async function loadThresholdCatalog(
  file: string,
  ctx: HealthCommandContext = {},
): Promise<ThresholdCatalog> {
  const absolute = path.resolve(contextCwd(ctx), file);
  if (!(await isKind(absolute, "file")))
    throw new ValidationError(`threshold profiles file not found: ${file}`);
  let parsed: unknown;
  try {
    const result = await readJsonFile(absolute, { retries: 0 });
    if (result.kind !== "ok") throw new Error("invalid");
    parsed = result.value;
  } catch {
    throw new ValidationError(`invalid threshold profiles JSON: ${file}`);
  }
  if (!isThresholdCatalogShape(parsed))
    throw new ValidationError("threshold profiles file has invalid shape");
  return parsed;
}

/** `threshold-profile`: resolve one profile, or list the names. Pure read. */
export async function thresholdProfile(
  input: ThresholdProfileInput,
  ctx: HealthCommandContext = {},
): Promise<ThresholdProfileResult> {
  const sourceFile = selectThresholdProfilesFile(input.profilesFile, ctx);
  const catalog = await loadThresholdCatalog(sourceFile, ctx);
  if (input.list === true) return { kind: "list", lines: listThresholdProfiles(catalog) };
  return { kind: "profile", document: resolveThresholdProfile(catalog, input.profile, sourceFile) };
}

// ---------------------------------------------------------------------------------------------------
// Health thresholds: precedence and invariant (spec 13 §2 steps 11–12, spec 14 §1 and §6)
// ---------------------------------------------------------------------------------------------------

/** Built-in defaults (= the `balanced` profile plus the heartbeat pair, spec 14 §6). */
export const BUILT_IN_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
  degradedIngestLagSeconds: 300,
  criticalIngestLagSeconds: 900,
  degradedHeartbeatLagSeconds: 120,
  criticalHeartbeatLagSeconds: 300,
  degradedTransportFailureStreak: 2,
  criticalTransportFailureStreak: 4,
});

/** The six threshold flags in validation order, with the document key each one sets. */
export const HEALTH_THRESHOLD_FLAGS = [
  { flag: "degraded-ingest-lag-seconds", key: "degradedIngestLagSeconds", profileBacked: true },
  { flag: "critical-ingest-lag-seconds", key: "criticalIngestLagSeconds", profileBacked: true },
  { flag: "degraded-heartbeat-lag-seconds", key: "degradedHeartbeatLagSeconds", profileBacked: false },
  { flag: "critical-heartbeat-lag-seconds", key: "criticalHeartbeatLagSeconds", profileBacked: false },
  { flag: "degraded-transport-failure-streak", key: "degradedTransportFailureStreak", profileBacked: true },
  { flag: "critical-transport-failure-streak", key: "criticalTransportFailureStreak", profileBacked: true },
] as const satisfies readonly { flag: string; key: keyof HealthThresholds; profileBacked: boolean }[];

/** Threshold flag values as received (strings) keyed like the document; undefined = not given. */
export type HealthThresholdFlags = { readonly [K in keyof HealthThresholds]?: string | undefined };

/**
 * The six thresholds: explicit flag → profile value (profile-backed ones only) → built-in default;
 * then every value must be a non-negative integer (`<flag> must be a non-negative integer`, flags
 * `^[0-9]+$`, profile numbers integral) and each critical ≥ its degraded (spec 13 §2 steps 11–12).
 * A flag counts as explicit whenever it was given, even as "" (which then fails validation).
 */
export function resolveHealthThresholds(
  flags: HealthThresholdFlags,
  profile: Partial<ThresholdProfileOutputValues> | null = null,
): HealthThresholds {
  const resolved = { ...BUILT_IN_HEALTH_THRESHOLDS };
  for (const { flag, key, profileBacked } of HEALTH_THRESHOLD_FLAGS) {
    const explicit = flags[key];
    const fromProfile =
      profileBacked && profile !== null ? profile[key as keyof ThresholdProfileOutputValues] : undefined;
    let value: number | null;
    if (explicit !== undefined) {
      value = UNSIGNED_INTEGER.test(explicit) ? Number(explicit) : null;
    } else if (fromProfile !== undefined) {
      value = fromProfile;
    } else {
      value = BUILT_IN_HEALTH_THRESHOLDS[key];
    }
    if (value === null || !Number.isSafeInteger(value) || value < 0) {
      throw new ValidationError(`${flag} must be a non-negative integer`);
    }
    resolved[key] = value;
  }
  assertThresholdInvariant(resolved);
  return resolved;
}

/** critical ≥ degraded for each pair (spec 13 §2 step 12, same messages in health). */
export function assertThresholdInvariant(thresholds: HealthThresholds): void {
  if (thresholds.criticalIngestLagSeconds < thresholds.degradedIngestLagSeconds) {
    throw new ValidationError("critical ingest lag threshold must be >= degraded threshold");
  }
  if (thresholds.criticalHeartbeatLagSeconds < thresholds.degradedHeartbeatLagSeconds) {
    throw new ValidationError("critical heartbeat lag threshold must be >= degraded threshold");
  }
  if (thresholds.criticalTransportFailureStreak < thresholds.degradedTransportFailureStreak) {
    throw new ValidationError("critical transport failure threshold must be >= degraded threshold");
  }
}
