/**
 * Promotion apply (spec 32): zod schemas of the artifacts it owns — the apply record written to
 * `fleet/promotion-apply-state.json` and appended to `fleet/telemetry/promotion-apply.jsonl` (§5) —
 * and the pure parts of the command: flag rules (§1), the evidence list (§2 step 4), the decision
 * (§2 step 8, Q10), the rollout mutation (§3.2), the raw-document mutation that keeps unknown
 * fields (careful Q1) and the replay record (§4).
 */
import { isJsonObject, type JsonObject, TimestampSchema } from "@ops/contract";
import { z } from "zod";
import { sortedUniqueCodeUnits } from "../shared/sort.js";

export const PROMOTION_APPLY_SCHEMA_VERSION = "v1";
export const PROMOTION_APPLY_CATEGORY = "promotion_apply";

export const PROMOTION_APPLY_INTENTS = ["expand", "resume", "rollback"] as const;
export const PromotionApplyIntentSchema = z.enum(PROMOTION_APPLY_INTENTS);
export type PromotionApplyIntent = z.infer<typeof PromotionApplyIntentSchema>;

export const DEFAULT_EXPAND_STEP = 25;

const RolloutPostureSchema = z.object({
  canaryPercent: z.number().int().min(0).max(100),
  manualPause: z.boolean(),
});

/** §5 fields in the spec's order; `replayed` only on replay output (never in telemetry). */
const recordShape = {
  schemaVersion: z.literal(PROMOTION_APPLY_SCHEMA_VERSION),
  timestamp: TimestampSchema,
  category: z.literal(PROMOTION_APPLY_CATEGORY),
  fleetId: z.string(),
  traceId: z.string().min(1),
  loopId: z.string().nullable(),
  horizonRef: z.string().nullable(),
  evidenceRefs: z.array(z.string().min(1)),
  idempotencyKey: z.string().nullable(),
  status: z.literal("applied"),
  intent: PromotionApplyIntentSchema,
  decision: z.string(),
  governance: z.object({
    actor: z.string().min(1),
    approvalRef: z.string().min(1),
    rationale: z.string().min(1),
    changedAt: TimestampSchema,
    reviewBy: z.string().min(1),
  }),
  rollout: z.object({
    before: RolloutPostureSchema,
    after: RolloutPostureSchema,
    changed: z.object({ canaryPercent: z.boolean(), manualPause: z.boolean() }),
  }),
  files: z.object({
    registryFile: z.string().min(1),
    promotionStateFile: z.string().min(1),
    applyStateFile: z.string().min(1),
    applyTelemetryFile: z.string().min(1),
  }),
  /** Always `[]` (§7: no reason-coded failures). */
  reasonCodes: z.array(z.string()).max(0),
};

/**
 * One line of `fleet/telemetry/promotion-apply.jsonl`: a fresh apply record (no `replayed`).
 * Loose: a replay returns the prior line as it was, so unknown keys are kept, not stripped.
 */
export const PromotionApplyTelemetryRowSchema = z.looseObject(recordShape);
export type PromotionApplyTelemetryRow = z.infer<typeof PromotionApplyTelemetryRowSchema>;

/** `fleet/promotion-apply-state.json` and stdout: a fresh record, or a replay (`replayed: true`). */
export const PromotionApplyRecordSchema = z.looseObject({
  ...recordShape,
  replayed: z.literal(true).optional(),
});
export type PromotionApplyRecord = z.infer<typeof PromotionApplyRecordSchema>;

// ---------------------------------------------------------------------------------------------
// Flags

export const MESSAGES = {
  repo: "--repo is required",
  intent: "--intent must be one of expand, resume, rollback",
  expandStep: "--expand-step must be an integer between 1 and 100",
  by: "--by is required",
  approvalRef: "--approval-ref is required",
  rationale: "--rationale is required",
  reviewBy: "--review-by is required",
  reviewByFormat: "--review-by must be an ISO-8601 timestamp",
  reviewByFuture: "--review-by must be in the future",
  decisionMissing: "promotion state missing summary.decision",
  registry: "failed to read/validate fleet registry",
  mode: "promotion apply requires policy.mode guarded_auto",
  mutated: "mutated registry failed validation",
} as const;

export function isPromotionApplyIntent(value: unknown): value is PromotionApplyIntent {
  return typeof value === "string" && (PROMOTION_APPLY_INTENTS as readonly string[]).includes(value);
}

/**
 * `--expand-step` (§1, careful Q7): `^[0-9]+$`, base 10 (`010` is 10), 1..100; validated for every
 * intent. `undefined` → the default 25. Returns `null` when invalid.
 */
export function parseExpandStep(value: string | number | undefined): number | null {
  if (value === undefined) return DEFAULT_EXPAND_STEP;
  const text = String(value);
  if (!/^[0-9]+$/u.test(text)) return null;
  const parsed = Number.parseInt(text, 10);
  return parsed >= 1 && parsed <= 100 ? parsed : null;
}

/** §2 step 4 (Q9 kept): non-empty refs + the promotion state path, de-duplicated, sorted ascending. */
export function evidenceRefsOf(refs: readonly (string | undefined)[], promotionStateFile: string): string[] {
  const all = [...refs, promotionStateFile].filter(
    (ref): ref is string => typeof ref === "string" && ref !== "",
  );
  return sortedUniqueCodeUnits(all);
}

/**
 * §2 step 8 and Q10: `summary.decision` of the promotion state as a string, or `null` when it is
 * absent, `null` or `false`. Strings are taken as they are; any other value is stringified as JSON
 * (a number `1` becomes `"1"`), so only the literal string `promote` unlocks expand/resume.
 */
export function decisionOf(state: unknown): string | null {
  const summary = isJsonObject(state) ? state["summary"] : undefined;
  const decision = isJsonObject(summary) ? summary["decision"] : undefined;
  if (decision === undefined || decision === null || decision === false) return null;
  return typeof decision === "string" ? decision : JSON.stringify(decision);
}

export interface RolloutPosture {
  readonly canaryPercent: number;
  readonly manualPause: boolean;
}

/** §3.2: the rollout posture after the intent. */
export function rolloutAfter(
  intent: PromotionApplyIntent,
  before: RolloutPosture,
  expandStep: number,
): RolloutPosture {
  switch (intent) {
    case "expand":
      return { canaryPercent: Math.min(100, before.canaryPercent + expandStep), manualPause: false };
    case "resume":
      return { canaryPercent: before.canaryPercent, manualPause: false };
    case "rollback":
      return { canaryPercent: before.canaryPercent, manualPause: true };
  }
}

export interface GovernanceChange {
  readonly actor: string;
  readonly approvalRef: string;
  readonly rationale: string;
  readonly changedAt: string;
  readonly reviewBy: string;
}

function childObject(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (isJsonObject(value)) return value;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/**
 * §3.2 applied to the operator's raw registry document (careful Q1: unknown fields survive). Returns
 * a mutated deep copy: the governance block's five keys are overwritten (its other keys kept),
 * `rollout.canaryPercent` is set only for `expand` (otherwise left as declared, so a default stays a
 * default), and `rollout.pause.manual` is set. Missing containers are created; nothing else changes.
 */
export function mutateRegistryDocument(
  document: JsonObject,
  intent: PromotionApplyIntent,
  after: RolloutPosture,
  governance: GovernanceChange,
): JsonObject {
  const copy = structuredClone(document);
  const autonomous = childObject(childObject(copy, "policy"), "autonomous");
  const target = childObject(autonomous, "governance");
  target["actor"] = governance.actor;
  target["approvalRef"] = governance.approvalRef;
  target["rationale"] = governance.rationale;
  target["changedAt"] = governance.changedAt;
  target["reviewBy"] = governance.reviewBy;
  const rollout = childObject(autonomous, "rollout");
  if (intent === "expand") rollout["canaryPercent"] = after.canaryPercent;
  childObject(rollout, "pause")["manual"] = after.manualPause;
  return copy;
}

/**
 * The persisted registry (§3.3 with careful Q1): the normalised document, plus every field of the
 * raw document the normaliser does not know, kept where it was. Objects merge key by key
 * (normalised keys first, in their order, then the raw-only keys); `loops` merges entry by entry;
 * for every other value the normalised one wins.
 */
export function withUnknownFields(raw: unknown, normalized: unknown): unknown {
  if (isJsonObject(raw) && isJsonObject(normalized)) {
    // Built from entries, not by assignment: a JSON key named `__proto__` must stay an own field.
    const merged = Object.entries(normalized).map(([key, value]): [string, unknown] => [
      key,
      Object.hasOwn(raw, key) ? withUnknownFields(raw[key], value) : value,
    ]);
    const rawOnly = Object.entries(raw).filter(([key]) => !Object.hasOwn(normalized, key));
    return Object.fromEntries([...merged, ...rawOnly]);
  }
  if (Array.isArray(raw) && Array.isArray(normalized) && raw.length === normalized.length) {
    return normalized.map((value, index) => withUnknownFields(raw[index], value));
  }
  return normalized;
}

/**
 * §4 step 2: the replay output — the prior record with `loopId`, `horizonRef` and `evidenceRefs`
 * filled from the current call where the prior value is null/absent, and `replayed: true` appended.
 * Key order of the prior record is kept.
 */
export function replayRecord(
  prior: JsonObject,
  current: {
    readonly loopId: string | null;
    readonly horizonRef: string | null;
    readonly evidenceRefs: string[];
  },
): JsonObject {
  const out: JsonObject = { ...prior };
  const fill = (key: "loopId" | "horizonRef" | "evidenceRefs", value: unknown) => {
    const priorValue = prior[key];
    out[key] = priorValue === undefined || priorValue === null ? value : priorValue;
  };
  fill("loopId", current.loopId);
  fill("horizonRef", current.horizonRef);
  fill("evidenceRefs", current.evidenceRefs);
  delete out["replayed"];
  out["replayed"] = true;
  return out;
}
