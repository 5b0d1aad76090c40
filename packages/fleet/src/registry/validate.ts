/**
 * Spec 20 §3: fail-closed validation of the raw registry document. Every check runs and every
 * failing message is returned, in the spec's emission order. Pure: the only input besides the
 * document is "now" (rule #48).
 *
 * Careful behaviour (spec 20 §7):
 * - "absent" means missing or `null`; a literal `false` is a present value of the wrong type (Q6);
 * - a non-object container gets its "… must be an object when present" message and the checks
 *   nested under it are skipped (Q3); a non-object loop entry gets #6 and #7 (Q4);
 * - timestamps are the strict canonical form with a real calendar date (Q9);
 * - beyond the spec: a registry `loopId` that is not a safe path segment (`loopIdProblem`), or that
 *   is `fleet` (any case: the fleet's own directory), is reported, because it is used verbatim in
 *   `.superloop/ops-manager/<loopId>/…` paths.
 */
import {
  FLEET_MIN_CONFIDENCES,
  FLEET_MIN_SEVERITIES,
  FLEET_POLICY_CATEGORIES,
  FLEET_POLICY_INTENTS,
  isJsonObject,
  type JsonObject,
  LOOP_ID_PROBLEM_TEXT,
  loopIdProblem,
  parseTimestamp,
} from "@ops/contract";

const CATEGORIES: ReadonlySet<unknown> = new Set<unknown>(FLEET_POLICY_CATEGORIES);
const INTENTS: ReadonlySet<unknown> = new Set<unknown>(FLEET_POLICY_INTENTS);

/** A key is absent when it is missing or `null` (spec 20 §1). */
export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function isIntegerAtLeast(value: unknown, min: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min;
}

function isNumberBetween(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max;
}

/** The loop ids that count as "declared": non-empty string `loopId`s of object entries. */
export function declaredLoopIds(document: JsonObject): Set<string> {
  const ids = new Set<string>();
  const loops = document["loops"];
  if (!Array.isArray(loops)) return ids;
  for (const entry of loops) {
    if (isJsonObject(entry) && isNonEmptyString(entry["loopId"])) ids.add(entry["loopId"]);
  }
  return ids;
}

/**
 * A nested container: returns the object when present and an object, `undefined` when absent;
 * reports `<label> must be an object when present` and returns `null` when present but not an object.
 */
function container(
  parent: JsonObject | undefined,
  key: string,
  label: string,
  errors: string[],
): JsonObject | undefined | null {
  if (parent === undefined) return undefined;
  const value = parent[key];
  if (!isPresent(value)) return undefined;
  if (isJsonObject(value)) return value;
  errors.push(`${label} must be an object when present`);
  return null;
}

function objectOrUndefined(value: JsonObject | undefined | null): JsonObject | undefined {
  return value === null ? undefined : value;
}

function validateTopLevel(document: JsonObject, errors: string[]): unknown[] | undefined {
  if (document["schemaVersion"] !== "v1") errors.push('schemaVersion must be "v1"');
  if (isPresent(document["fleetId"]) && typeof document["fleetId"] !== "string") {
    errors.push("fleetId must be a string when present");
  }
  const loops = document["loops"];
  if (!Array.isArray(loops)) {
    errors.push("loops must be an array");
    return undefined;
  }
  if (loops.length === 0) errors.push("loops must include at least one loop entry");
  const seen = new Set<string>();
  let duplicate = false;
  for (const entry of loops) {
    if (!isJsonObject(entry) || typeof entry["loopId"] !== "string") continue;
    if (seen.has(entry["loopId"])) duplicate = true;
    seen.add(entry["loopId"]);
  }
  if (duplicate) errors.push("loopId values must be unique");
  return loops;
}

function validateLoopEntry(entry: unknown, index: number, errors: string[]): void {
  const at = `loops[${index}]`;
  if (!isJsonObject(entry)) {
    // Q4 (careful): any non-object entry — null, number, string, boolean, array.
    errors.push(`${at}: entry must be an object`);
    errors.push(`${at}: loopId must be a non-empty string`);
    return;
  }
  const loopId = entry["loopId"];
  if (!isNonEmptyString(loopId)) {
    errors.push(`${at}: loopId must be a non-empty string`);
  } else {
    const problem = loopIdProblem(loopId);
    // Includes `fleet` (any case), the fleet's own directory next to the per-loop ones.
    if (problem !== null) {
      errors.push(`${at}: loopId ${JSON.stringify(loopId)} ${LOOP_ID_PROBLEM_TEXT[problem]}`);
    }
  }
  if (isPresent(entry["enabled"]) && typeof entry["enabled"] !== "boolean") {
    errors.push(`${at}: enabled must be boolean when present`);
  }
  const transport = entry["transport"];
  if (isPresent(transport) && transport !== "local" && transport !== "sprite_service") {
    errors.push(`${at}: transport must be local or sprite_service`);
  }
  const sprite = container(entry, "sprite", `${at}: sprite`, errors);
  if (sprite) {
    if (isPresent(sprite["id"]) && !isNonEmptyString(sprite["id"])) {
      errors.push(`${at}: sprite.id must be a non-empty string when present`);
    }
  }
  const service = container(entry, "service", `${at}: service`, errors);
  if (service) {
    if (isPresent(service["tokenEnv"]) && !isNonEmptyString(service["tokenEnv"])) {
      errors.push(`${at}: service.tokenEnv must be a non-empty string when present`);
    }
    const attempts = service["retryAttempts"];
    // Finite: a JSON number too large for a double (`1e400`) parses as Infinity, which the
    // normalised output would print as `null`.
    if (
      isPresent(attempts) &&
      !(typeof attempts === "number" && Number.isFinite(attempts) && attempts >= 1)
    ) {
      errors.push(`${at}: service.retryAttempts must be >= 1 when present`);
    }
    const backoff = service["retryBackoffSeconds"];
    if (isPresent(backoff) && !(typeof backoff === "number" && Number.isFinite(backoff) && backoff >= 0)) {
      errors.push(`${at}: service.retryBackoffSeconds must be >= 0 when present`);
    }
  }
  if (transport === "sprite_service") {
    const serviceUrl = service ? service["baseUrl"] : undefined;
    const candidate = isPresent(serviceUrl) ? serviceUrl : sprite ? sprite["serviceBaseUrl"] : undefined;
    if (!isNonEmptyString(candidate)) {
      errors.push(`${at}: sprite_service loops require service.baseUrl or sprite.serviceBaseUrl`);
    }
  }
  if (isPresent(entry["metadata"]) && !isJsonObject(entry["metadata"])) {
    errors.push(`${at}: metadata must be an object when present`);
  }
}

/** Chain of three links (24a–c, 25a–c): array → string entries → supported values. */
function validateStringArray(
  parent: JsonObject | undefined,
  key: string,
  label: string,
  allowed: ReadonlySet<unknown>,
  unsupported: string,
  errors: string[],
): void {
  if (parent === undefined || !isPresent(parent[key])) return;
  const value = parent[key];
  if (!Array.isArray(value)) errors.push(`${label} must be an array when present`);
  else if (value.some((item) => typeof item !== "string")) errors.push(`${label} entries must be strings`);
  else if (value.some((item) => !allowed.has(item))) errors.push(`${label} ${unsupported}`);
}

/** Chain of two links (27a–b, 28a–b): string → one of the allowed values. */
function validateEnumString(
  parent: JsonObject | undefined,
  key: string,
  label: string,
  allowed: readonly string[],
  errors: string[],
): void {
  if (parent === undefined || !isPresent(parent[key])) return;
  const value = parent[key];
  if (typeof value !== "string") errors.push(`${label} must be a string when present`);
  else if (!allowed.includes(value)) errors.push(`${label} must be one of ${allowed.join(", ")}`);
}

function checkInteger(
  parent: JsonObject | undefined,
  key: string,
  label: string,
  min: number,
  errors: string[],
): void {
  if (parent === undefined || !isPresent(parent[key])) return;
  if (!isIntegerAtLeast(parent[key], min)) errors.push(`${label} must be an integer >= ${min} when present`);
}

function checkBoolean(parent: JsonObject | undefined, key: string, label: string, errors: string[]): void {
  if (parent === undefined || !isPresent(parent[key])) return;
  if (typeof parent[key] !== "boolean") errors.push(`${label} must be boolean when present`);
}

const GOV = "policy.autonomous.governance";
const GUARDED = "when policy.mode is guarded_auto";

function validateGovernance(
  autonomous: JsonObject | undefined,
  guardedAuto: boolean,
  nowEpochSeconds: number,
  errors: string[],
): void {
  const governanceBox = container(autonomous, "governance", GOV, errors);
  const governance = objectOrUndefined(governanceBox);
  const field = (key: string): unknown => (governance === undefined ? undefined : governance[key]);
  for (const key of ["actor", "approvalRef", "rationale"]) {
    if (isPresent(field(key)) && !isNonEmptyString(field(key))) {
      errors.push(`${GOV}.${key} must be a non-empty string when present`);
    }
  }
  const changedAt = isPresent(field("changedAt")) ? parseTimestamp(field("changedAt")) : null;
  const reviewBy = isPresent(field("reviewBy")) ? parseTimestamp(field("reviewBy")) : null;
  if (isPresent(field("changedAt")) && changedAt === null) {
    errors.push(`${GOV}.changedAt must be an ISO-8601 timestamp when present`);
  }
  if (isPresent(field("reviewBy")) && reviewBy === null) {
    errors.push(`${GOV}.reviewBy must be an ISO-8601 timestamp when present`);
  }
  if (changedAt !== null && reviewBy !== null && reviewBy <= changedAt) {
    errors.push(`${GOV}.reviewBy must be after ${GOV}.changedAt`);
  }
  if (!guardedAuto) return;
  if (governance === undefined) errors.push(`${GOV} is required ${GUARDED}`);
  for (const key of ["actor", "approvalRef", "rationale"]) {
    if (!isNonEmptyString(field(key))) errors.push(`${GOV}.${key} is required ${GUARDED}`);
  }
  if (changedAt === null) errors.push(`${GOV}.changedAt must be an ISO-8601 timestamp ${GUARDED}`);
  if (reviewBy === null) errors.push(`${GOV}.reviewBy must be an ISO-8601 timestamp ${GUARDED}`);
  if (changedAt !== null && reviewBy !== null && reviewBy <= changedAt) {
    errors.push(`${GOV}.reviewBy must be after ${GOV}.changedAt ${GUARDED}`);
  }
  if (reviewBy !== null && reviewBy <= nowEpochSeconds) {
    errors.push(`${GOV}.reviewBy must be in the future ${GUARDED}`);
  }
}

const ROLLOUT = "policy.autonomous.rollout";

function validateRollout(autonomous: JsonObject | undefined, declared: Set<string>, errors: string[]): void {
  const rollout = objectOrUndefined(container(autonomous, "rollout", ROLLOUT, errors));
  if (rollout === undefined) return;
  const canary = rollout["canaryPercent"];
  if (isPresent(canary) && !(isIntegerAtLeast(canary, 0) && (canary as number) <= 100)) {
    errors.push(`${ROLLOUT}.canaryPercent must be an integer between 0 and 100 when present`);
  }
  const scope = objectOrUndefined(container(rollout, "scope", `${ROLLOUT}.scope`, errors));
  if (scope !== undefined && isPresent(scope["loopIds"])) {
    const label = `${ROLLOUT}.scope.loopIds`;
    const ids = scope["loopIds"];
    if (!Array.isArray(ids)) errors.push(`${label} must be an array when present`);
    else if (ids.some((id) => typeof id !== "string")) errors.push(`${label} entries must be strings`);
    else if (ids.some((id) => id === "")) errors.push(`${label} entries must be non-empty strings`);
    else if (new Set(ids).size !== ids.length) errors.push(`${label} entries must be unique`);
    else if (ids.some((id) => !declared.has(id as string))) {
      errors.push(`${label} entries must reference declared loopIds`);
    }
  }
  const selector = objectOrUndefined(container(rollout, "selector", `${ROLLOUT}.selector`, errors));
  if (selector !== undefined && isPresent(selector["salt"])) {
    if (typeof selector["salt"] !== "string") {
      errors.push(`${ROLLOUT}.selector.salt must be a string when present`);
    } else if (selector["salt"] === "") {
      errors.push(`${ROLLOUT}.selector.salt must be non-empty when present`);
    }
  }
  const pause = objectOrUndefined(container(rollout, "pause", `${ROLLOUT}.pause`, errors));
  checkBoolean(pause, "manual", `${ROLLOUT}.pause.manual`, errors);
  const autoPause = objectOrUndefined(container(rollout, "autoPause", `${ROLLOUT}.autoPause`, errors));
  checkBoolean(autoPause, "enabled", `${ROLLOUT}.autoPause.enabled`, errors);
  checkInteger(autoPause, "lookbackExecutions", `${ROLLOUT}.autoPause.lookbackExecutions`, 1, errors);
  checkInteger(autoPause, "minSampleSize", `${ROLLOUT}.autoPause.minSampleSize`, 1, errors);
  for (const key of ["ambiguityRateThreshold", "failureRateThreshold"]) {
    if (autoPause !== undefined && isPresent(autoPause[key]) && !isNumberBetween(autoPause[key], 0, 1)) {
      errors.push(`${ROLLOUT}.autoPause.${key} must be a number between 0 and 1 when present`);
    }
  }
}

function validateSuppressions(policy: JsonObject, declared: Set<string>, errors: string[]): void {
  const suppressions = policy["suppressions"];
  if (!isPresent(suppressions)) return;
  if (!isJsonObject(suppressions)) {
    errors.push("policy.suppressions must be an object mapping loopId to category arrays");
    return;
  }
  for (const [key, value] of Object.entries(suppressions)) {
    const label = `policy.suppressions.${key}`;
    if (key !== "*" && !declared.has(key)) errors.push(`${label} key must reference a declared loopId or *`);
    else if (!Array.isArray(value)) errors.push(`${label} must be an array`);
    else if (value.some((item) => typeof item !== "string")) errors.push(`${label} entries must be strings`);
    else if (value.some((item) => !CATEGORIES.has(item))) errors.push(`${label} contains unknown categories`);
  }
}

function validatePolicy(
  document: JsonObject,
  declared: Set<string>,
  nowEpochSeconds: number,
  errors: string[],
): void {
  const policy = objectOrUndefined(container(document, "policy", "policy", errors));
  if (policy === undefined) return;
  const mode = policy["mode"];
  if (isPresent(mode) && mode !== "advisory" && mode !== "guarded_auto") {
    errors.push("policy.mode must be advisory or guarded_auto");
  }
  const guardedAuto = mode === "guarded_auto";
  const noise = objectOrUndefined(container(policy, "noiseControls", "policy.noiseControls", errors));
  checkInteger(noise, "dedupeWindowSeconds", "policy.noiseControls.dedupeWindowSeconds", 0, errors);

  const autonomous = objectOrUndefined(container(policy, "autonomous", "policy.autonomous", errors));
  const allow = objectOrUndefined(container(autonomous, "allow", "policy.autonomous.allow", errors));
  validateStringArray(
    allow,
    "categories",
    "policy.autonomous.allow.categories",
    CATEGORIES,
    "contains unsupported categories",
    errors,
  );
  validateStringArray(
    allow,
    "intents",
    "policy.autonomous.allow.intents",
    INTENTS,
    "contains unsupported intents",
    errors,
  );
  const thresholds = objectOrUndefined(
    container(autonomous, "thresholds", "policy.autonomous.thresholds", errors),
  );
  validateEnumString(
    thresholds,
    "minSeverity",
    "policy.autonomous.thresholds.minSeverity",
    FLEET_MIN_SEVERITIES,
    errors,
  );
  validateEnumString(
    thresholds,
    "minConfidence",
    "policy.autonomous.thresholds.minConfidence",
    FLEET_MIN_CONFIDENCES,
    errors,
  );
  const safety = objectOrUndefined(container(autonomous, "safety", "policy.autonomous.safety", errors));
  checkInteger(safety, "maxActionsPerRun", "policy.autonomous.safety.maxActionsPerRun", 0, errors);
  checkInteger(safety, "maxActionsPerLoop", "policy.autonomous.safety.maxActionsPerLoop", 0, errors);
  checkInteger(safety, "cooldownSeconds", "policy.autonomous.safety.cooldownSeconds", 0, errors);
  checkBoolean(safety, "killSwitch", "policy.autonomous.safety.killSwitch", errors);

  validateGovernance(autonomous, guardedAuto, nowEpochSeconds, errors);
  validateRollout(autonomous, declared, errors);
  validateSuppressions(policy, declared, errors);
}

/**
 * Every validation message of spec 20 §3.2 for `document` (a parsed JSON object), in emission
 * order; `[]` means valid. `nowEpochSeconds` is "now" for rule #48.
 */
export function validateFleetRegistry(document: JsonObject, nowEpochSeconds: number): string[] {
  const errors: string[] = [];
  const loops = validateTopLevel(document, errors);
  if (loops !== undefined) {
    for (const [index, entry] of loops.entries()) validateLoopEntry(entry, index, errors);
  }
  validatePolicy(document, declaredLoopIds(document), nowEpochSeconds, errors);
  return errors;
}
