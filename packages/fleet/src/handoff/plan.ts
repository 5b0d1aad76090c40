/**
 * Fleet handoff (spec 24) — the pure part: identity (§3.2), intent mapping (§3.1, §3.3), the retry
 * guard (§3.4, sticky — careful Q3), summary and reason codes (§4), execution target selection
 * (§6.1, careful Q1), per-target results (§6.2, §6.4) and the merge of an execution into the
 * document (§7). No I/O, no clock: every instant is passed in.
 */
import {
  HandoffExecutionReasonCode,
  HandoffIntentStatus,
  HandoffReasonCode,
  HandoffRetryGuardReasonCode,
  isJsonObject,
  type JsonObject,
  type NormalizedFleetLoop,
  sortedUnique,
  ValidationError,
} from "@ops/contract";
import type {
  HandoffExecution,
  HandoffExecutionModeValue,
  HandoffIntent,
  HandoffIntentAutonomy,
  HandoffIntentExecution,
  HandoffPolicyCandidate,
  HandoffPolicyState,
  HandoffResult,
  HandoffResultReasonCodeValue,
  HandoffResultStatusValue,
  HandoffService,
  HandoffState,
  HandoffSummary,
  PreviousHandoffState,
} from "./schemas.js";

/** Intent order (§3): plain code-unit comparison of loopId, category, intent. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const HANDOFF_RETRY_GUARD_PREFIX = "autonomous_retry_guard_";

/**
 * §3.2 `handoffSlug(s)`: ASCII `A`–`Z` lower-cased; every character (code point) outside `[a-z0-9._-]`
 * becomes `-`; runs of `-` collapse to one; one leading and one trailing `-` stripped.
 */
export function handoffSlug(value: string): string {
  let out = "";
  for (const char of value) {
    const lowered = char >= "A" && char <= "Z" ? char.toLowerCase() : char;
    out += /^[a-z0-9._-]$/u.test(lowered) ? lowered : "-";
  }
  out = out.replace(/-+/gu, "-");
  if (out.startsWith("-")) out = out.slice(1);
  if (out.endsWith("-")) out = out.slice(0, -1);
  return out;
}

/** §3.2 idempotency key: handoffSlug(prefix)-slug(trace)-slug(loop)-slug(category|unknown)-slug(intent), empty slugs dropped. */
export function handoffIdempotencyKey(
  prefix: string,
  traceId: string,
  loopId: string,
  category: string | null | undefined,
  intent: string,
): string {
  return [prefix, traceId, loopId, category ?? "unknown", intent]
    .map(handoffSlug)
    .filter((part) => part !== "")
    .join("-");
}

function present(value: string | null | undefined): value is string {
  return value !== null && value !== undefined;
}

/** §3.1 category fallback. */
const CATEGORY_INTENTS: Readonly<Record<string, string>> = {
  reconcile_failed: "cancel",
  health_critical: "cancel",
  health_degraded: "cancel",
};

/** §3.1 — the intent of a candidate and whether it came from `recommendedIntent`; null = unmapped. */
export function selectHandoffIntent(
  candidate: Pick<HandoffPolicyCandidate, "recommendedIntent" | "category">,
): { readonly intent: string; readonly recommended: boolean } | null {
  // An empty recommendedIntent is treated as absent (it could never be dispatched).
  if (present(candidate.recommendedIntent) && candidate.recommendedIntent !== "") {
    return { intent: candidate.recommendedIntent, recommended: true };
  }
  const category = candidate.category;
  if (present(category) && Object.hasOwn(CATEGORY_INTENTS, category)) {
    return { intent: CATEGORY_INTENTS[category] as string, recommended: false };
  }
  return null;
}

/** §3.2 `candidateId`. */
export function handoffCandidateId(
  candidate: Pick<HandoffPolicyCandidate, "candidateId" | "loopId" | "category">,
) {
  if (present(candidate.candidateId) && candidate.candidateId !== "") return candidate.candidateId;
  return `${candidate.loopId}:${candidate.category ?? "unknown"}`;
}

/** §3 — candidates with `suppressed` ≠ `true`. */
export function isUnsuppressedCandidate(candidate: Pick<HandoffPolicyCandidate, "suppressed">): boolean {
  return candidate.suppressed !== true;
}

/** §3.3 autonomy of a candidate (before the retry guard). */
export function handoffCandidateAutonomy(
  candidate: Pick<HandoffPolicyCandidate, "autonomous">,
): HandoffIntentAutonomy {
  const autonomous = candidate.autonomous ?? {};
  const eligible = autonomous.eligible === true;
  return {
    eligible,
    manualOnly: autonomous.manualOnly === true ? true : !eligible,
    reasons: [...(autonomous.reasons ?? [])],
  };
}

/**
 * §3.4 + careful Q3 — retry-guard reasons per `intentId` from the previous handoff state:
 *
 * - previous `execution_ambiguous` → `autonomous_retry_guard_ambiguous`;
 * - previous `execution_failed` → `autonomous_retry_guard_failed` (any execution mode);
 * - previous `executed` by a **manual** execution → no guard (the operator cleared it);
 * - otherwise (e.g. pending after a guarded run) the previous instance's own
 *   `autonomous_retry_guard_*` reasons carry over — the guard is sticky until an operator executes
 *   the intent or the candidate disappears from policy (then no intent exists to carry it).
 */
export function handoffRetryGuards(previous: PreviousHandoffState | null): Map<string, string[]> {
  const guards = new Map<string, string[]>();
  for (const intent of previous?.intents ?? []) {
    const reasons = new Set<string>(guards.get(intent.intentId) ?? []);
    if (intent.status === HandoffIntentStatus.ExecutionAmbiguous) {
      reasons.add(HandoffRetryGuardReasonCode.AutonomousRetryGuardAmbiguous);
    } else if (intent.status === HandoffIntentStatus.ExecutionFailed) {
      reasons.add(HandoffRetryGuardReasonCode.AutonomousRetryGuardFailed);
    } else if (intent.status === HandoffIntentStatus.Executed && intent.execution?.mode === "manual") {
      guards.delete(intent.intentId);
      continue;
    } else {
      for (const reason of intent.autonomous?.reasons ?? []) {
        if (reason.startsWith(HANDOFF_RETRY_GUARD_PREFIX)) reasons.add(reason);
      }
    }
    if (reasons.size > 0) guards.set(intent.intentId, sortedUnique(reasons));
    else guards.delete(intent.intentId);
  }
  return guards;
}

export interface HandoffPlanInput {
  readonly policy: HandoffPolicyState;
  /** Normalized registry loops (transport / service / metadata lookup). */
  readonly loops: readonly NormalizedFleetLoop[];
  readonly previous: PreviousHandoffState | null;
  /** Handoff trace id. */
  readonly traceId: string;
  /** Raw `--idempotency-prefix`. */
  readonly idempotencyPrefix: string;
}

export interface HandoffPlan {
  readonly intents: HandoffIntent[];
  readonly candidateCount: number;
  readonly unsuppressedCandidateCount: number;
}

function serviceOf(loop: NormalizedFleetLoop | undefined): HandoffService {
  const service = loop?.service;
  const baseUrl = service?.baseUrl;
  return {
    ...(typeof baseUrl === "string" ? { baseUrl } : {}),
    ...(service?.tokenEnv === undefined ? {} : { tokenEnv: service.tokenEnv }),
    retryAttempts: service?.retryAttempts ?? 3,
    retryBackoffSeconds: service?.retryBackoffSeconds ?? 1,
  };
}

/** §3 — the intents of a policy state (sorted by loopId, category, intent; de-duplicated by intentId). */
export function buildHandoffPlan(input: HandoffPlanInput): HandoffPlan {
  const candidates = input.policy.candidates ?? [];
  const unsuppressed = candidates.filter(isUnsuppressedCandidate);
  const policyTraceId =
    present(input.policy.traceId) && input.policy.traceId !== "" ? input.policy.traceId : input.traceId;
  const loops = new Map(input.loops.map((loop) => [loop.loopId, loop]));
  const guards = handoffRetryGuards(input.previous);
  const intents: HandoffIntent[] = [];
  for (const candidate of unsuppressed) {
    const selected = selectHandoffIntent(candidate);
    if (selected === null) continue;
    const candidateId = handoffCandidateId(candidate);
    const intentId = `${candidateId}:${selected.intent}`;
    let autonomous = handoffCandidateAutonomy(candidate);
    const guard = guards.get(intentId);
    if (guard !== undefined) {
      autonomous = {
        eligible: false,
        manualOnly: true,
        reasons: sortedUnique([...autonomous.reasons, ...guard]),
      };
    }
    const loop = loops.get(candidate.loopId);
    intents.push({
      intentId,
      candidateId,
      loopId: candidate.loopId,
      ...(present(candidate.category) ? { category: candidate.category } : {}),
      ...(present(candidate.severity) ? { severity: candidate.severity } : {}),
      ...(present(candidate.confidence) ? { confidence: candidate.confidence } : {}),
      ...(present(candidate.rationale) ? { rationale: candidate.rationale } : {}),
      ...(present(candidate.signal) ? { signal: candidate.signal } : {}),
      intent: selected.intent,
      ...(selected.recommended ? { recommendedIntent: selected.intent } : {}),
      status: HandoffIntentStatus.PendingOperatorConfirmation,
      requiresOperatorConfirmation: true,
      fleetTraceId: input.traceId,
      policyTraceId,
      ...(present(candidate.traceId) ? { candidateTraceId: candidate.traceId } : {}),
      autonomous,
      idempotencyKey: handoffIdempotencyKey(
        input.idempotencyPrefix,
        input.traceId,
        candidate.loopId,
        candidate.category,
        selected.intent,
      ),
      transport: loop?.transport ?? "local",
      service: serviceOf(loop),
      metadata: loop?.metadata ?? {},
    });
  }
  const sorted = intents.sort(
    (a, b) =>
      compareStrings(a.loopId, b.loopId) ||
      compareStrings(a.category ?? "", b.category ?? "") ||
      compareStrings(a.intent, b.intent),
  );
  // A policy state listing one candidate twice would yield two intents with one id: the first is
  // kept (ids must be unique for filters, the merge and the retry guard).
  const seen = new Set<string>();
  const unique = sorted.filter((intent) => {
    if (seen.has(intent.intentId)) return false;
    seen.add(intent.intentId);
    return true;
  });
  return {
    intents: unique,
    candidateCount: candidates.length,
    unsuppressedCandidateCount: unsuppressed.length,
  };
}

/** §4 `summary` over the intents (candidate counts carried). */
export function summarizeHandoff(
  intents: readonly HandoffIntent[],
  counts: { readonly candidateCount: number; readonly unsuppressedCandidateCount: number },
): HandoffSummary {
  const withStatus = (status: string) => intents.filter((intent) => intent.status === status).length;
  return {
    candidateCount: counts.candidateCount,
    unsuppressedCandidateCount: counts.unsuppressedCandidateCount,
    intentCount: intents.length,
    autoEligibleIntentCount: intents.filter((intent) => intent.autonomous.eligible).length,
    manualOnlyIntentCount: intents.filter((intent) => intent.autonomous.manualOnly).length,
    pendingConfirmationCount: withStatus(HandoffIntentStatus.PendingOperatorConfirmation),
    executedCount: withStatus(HandoffIntentStatus.Executed),
    ambiguousCount: withStatus(HandoffIntentStatus.ExecutionAmbiguous),
    failedCount: withStatus(HandoffIntentStatus.ExecutionFailed),
  };
}

/** §4 reason codes (sorted, de-duplicated). */
export function handoffReasonCodes(summary: HandoffSummary, intents: readonly HandoffIntent[]): string[] {
  const codes: string[] = [];
  if (summary.intentCount > 0) codes.push(HandoffReasonCode.FleetHandoffActionRequired);
  else codes.push(HandoffReasonCode.FleetHandoffNoAction);
  if (summary.pendingConfirmationCount > 0) codes.push(HandoffReasonCode.FleetHandoffConfirmationPending);
  if (summary.intentCount < summary.unsuppressedCandidateCount)
    codes.push(HandoffReasonCode.FleetHandoffPartialMapping);
  if (summary.unsuppressedCandidateCount > 0 && summary.intentCount === 0)
    codes.push(HandoffReasonCode.FleetHandoffUnmappedCandidates);
  if (
    intents.some((intent) =>
      intent.autonomous.reasons.some((reason) => reason.startsWith(HANDOFF_RETRY_GUARD_PREFIX)),
    )
  )
    codes.push(HandoffReasonCode.FleetHandoffRetryGuarded);
  if (summary.autoEligibleIntentCount > 0) codes.push(HandoffReasonCode.FleetHandoffAutoEligibleIntents);
  if (summary.executedCount > 0) codes.push(HandoffReasonCode.FleetHandoffExecuted);
  if (summary.ambiguousCount > 0) codes.push(HandoffReasonCode.FleetHandoffExecutionAmbiguous);
  if (summary.failedCount > 0) codes.push(HandoffReasonCode.FleetHandoffExecutionFailed);
  return sortedUnique(codes);
}

function uniqueInOrder(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * §6.1 — the execution targets. Pool: every pending intent (manual) or the pending
 * autonomous-eligible ones (autonomous). Careful Q1: every `--loop` / `--intent-id` value must name
 * something in the pool, else a ValidationError listing all unmatched values (loops first).
 */
export function selectHandoffTargets(
  intents: readonly HandoffIntent[],
  mode: HandoffExecutionModeValue,
  loopFilters: readonly string[],
  intentFilters: readonly string[],
): HandoffIntent[] {
  const pool = intents.filter(
    (intent) =>
      intent.status === HandoffIntentStatus.PendingOperatorConfirmation &&
      (mode === "manual" || intent.autonomous.eligible),
  );
  const unmatchedLoops = uniqueInOrder(loopFilters).filter(
    (loop) => !pool.some((intent) => intent.loopId === loop),
  );
  if (unmatchedLoops.length > 0) {
    throw new ValidationError(
      `loop filter not found in ${mode} execution intents: ${unmatchedLoops.join(",")}`,
    );
  }
  const unmatchedIntents = uniqueInOrder(intentFilters).filter(
    (id) => !pool.some((intent) => intent.intentId === id),
  );
  if (unmatchedIntents.length > 0) {
    throw new ValidationError(
      `intent filter not found in ${mode} execution intents: ${unmatchedIntents.join(",")}`,
    );
  }
  return pool
    .filter((intent) => loopFilters.length === 0 || loopFilters.includes(intent.loopId))
    .filter((intent) => intentFilters.length === 0 || intentFilters.includes(intent.intentId));
}

/** §6.2 step 1. */
export function handoffEffectiveNote(
  note: string | null,
  mode: HandoffExecutionModeValue,
  intentId: string,
): string {
  const tag = `fleet_handoff:${mode}:${intentId}`;
  return note === null ? tag : `${note} | ${tag}`;
}

/** §6.2 step 2 (the fallback is unreachable in practice). */
export function handoffTargetIdempotencyKey(intent: HandoffIntent, prefix: string): string {
  return intent.idempotencyKey !== "" ? intent.idempotencyKey : `${prefix}-${intent.loopId}-${intent.intent}`;
}

/** §6.2 step 3 — a pre-check that blocks the dispatch, or null. */
export function handoffPreCheck(
  intent: HandoffIntent,
  mode: HandoffExecutionModeValue,
): HandoffResultReasonCodeValue | null {
  if (mode === "autonomous" && !intent.autonomous.eligible) {
    return HandoffExecutionReasonCode.AutonomousIntentNotEligible;
  }
  if (intent.transport === "sprite_service" && (intent.service.baseUrl ?? "") === "") {
    return HandoffExecutionReasonCode.MissingServiceBaseUrl;
  }
  return null;
}

/** §6.2 step 4 — control exit status → result status / reason code. */
export function classifyHandoffControlExit(exitCode: number): {
  readonly status: HandoffResultStatusValue;
  readonly reasonCode: HandoffResultReasonCodeValue;
} {
  if (exitCode === 0) return { status: "executed", reasonCode: HandoffExecutionReasonCode.ControlConfirmed };
  if (exitCode === 2) return { status: "ambiguous", reasonCode: HandoffExecutionReasonCode.ControlAmbiguous };
  return { status: "failed", reasonCode: HandoffExecutionReasonCode.ControlFailedCommand };
}

export interface HandoffResultFacts {
  readonly mode: HandoffExecutionModeValue;
  readonly traceId: string;
  readonly idempotencyKey: string;
  readonly requestedBy: string;
  readonly executedAt: string;
}

/** §6.4 — one result. `outcome` null = blocked by `preCheckReason`. */
export function buildHandoffResult(
  intent: HandoffIntent,
  facts: HandoffResultFacts,
  outcome:
    | { readonly kind: "precheck"; readonly reasonCode: HandoffResultReasonCodeValue }
    | {
        readonly kind: "control";
        readonly exitCode: number;
        readonly control: JsonObject | null;
        /** What the control printed on stderr (its `error:` line when it failed). */
        readonly stderr?: string | undefined;
      },
): HandoffResult {
  const classified =
    outcome.kind === "precheck"
      ? { status: "failed" as const, reasonCode: outcome.reasonCode }
      : classifyHandoffControlExit(outcome.exitCode);
  return {
    intentId: intent.intentId,
    loopId: intent.loopId,
    intent: intent.intent,
    traceId: facts.traceId,
    idempotencyKey: facts.idempotencyKey,
    requestedBy: facts.requestedBy,
    executedAt: facts.executedAt,
    status: classified.status,
    reasonCode: classified.reasonCode,
    executionMode: facts.mode,
    autonomousEligible: intent.autonomous.eligible,
    controlExitCode: outcome.kind === "precheck" ? 1 : outcome.exitCode,
    ...(outcome.kind === "control" && outcome.control !== null ? { control: outcome.control } : {}),
    ...(outcome.kind === "control" && outcome.control === null && classified.status === "failed"
      ? controlErrorField(outcome.stderr)
      : {}),
  };
}

/** Longest `controlError` kept: one line for an operator, not a log. */
export const CONTROL_ERROR_MAX_LENGTH = 500;

/**
 * Beyond §6.4 (careful): a control that failed without its JSON document leaves only its exit
 * code; the last non-blank stderr line (e.g. `error: cancel refused: the repository's current run
 * is loop 'delta'`) is kept as `controlError`, so an operator sees why without rerunning it.
 */
function controlErrorField(stderr: string | undefined): { controlError?: string } {
  const line = (stderr ?? "")
    .split(/\r?\n/)
    .map((text) => text.trim())
    .filter((text) => text !== "")
    .at(-1);
  return line === undefined ? {} : { controlError: line.slice(0, CONTROL_ERROR_MAX_LENGTH) };
}

function intentStatusOf(status: HandoffResultStatusValue): HandoffIntent["status"] {
  if (status === "executed") return HandoffIntentStatus.Executed;
  if (status === "ambiguous") return HandoffIntentStatus.ExecutionAmbiguous;
  return HandoffIntentStatus.ExecutionFailed;
}

/** §7 `intents[].execution` (careful Q4: `false` booleans written). */
export function handoffIntentExecution(result: HandoffResult): HandoffIntentExecution {
  const controlStatus = result.control?.["status"];
  const confirmed = result.control?.["confirmed"];
  return {
    mode: result.executionMode,
    executedAt: result.executedAt,
    requestedBy: result.requestedBy,
    status: result.status,
    reasonCode: result.reasonCode,
    traceId: result.traceId,
    idempotencyKey: result.idempotencyKey,
    autonomousEligible: result.autonomousEligible,
    controlExitCode: result.controlExitCode,
    ...(typeof controlStatus === "string" ? { controlStatus } : {}),
    ...(typeof confirmed === "boolean" ? { confirmed } : {}),
    ...(result.controlError === undefined ? {} : { controlError: result.controlError }),
  };
}

export interface HandoffExecutionFacts {
  readonly mode: HandoffExecutionModeValue;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly completedAt: string;
  readonly note: string | null;
}

/** §7 — the execution block of a set of results. */
export function buildHandoffExecution(
  facts: HandoffExecutionFacts,
  results: readonly HandoffResult[],
): HandoffExecution {
  const count = (status: HandoffResultStatusValue) =>
    results.filter((result) => result.status === status).length;
  return {
    mode: facts.mode,
    requestedBy: facts.requestedBy,
    requestedAt: facts.requestedAt,
    completedAt: facts.completedAt,
    note: facts.note,
    requestedIntentCount: results.length,
    executedIntentCount: results.length,
    executedCount: count("executed"),
    ambiguousCount: count("ambiguous"),
    failedCount: count("failed"),
    results: [...results],
  };
}

/** §7 — merge an execution into the plan document (summary and reason codes recomputed). */
export function mergeHandoffExecution(plan: HandoffState, execution: HandoffExecution): HandoffState {
  const byIntent = new Map(execution.results.map((result) => [result.intentId, result]));
  const intents = plan.intents.map((intent) => {
    const result = byIntent.get(intent.intentId);
    if (result === undefined) return intent;
    return { ...intent, status: intentStatusOf(result.status), execution: handoffIntentExecution(result) };
  });
  const summary = summarizeHandoff(intents, plan.summary);
  return {
    ...plan,
    updatedAt: execution.completedAt,
    intents,
    summary,
    reasonCodes: handoffReasonCodes(summary, intents),
    execution,
  };
}

/**
 * Careful Q9 — the control document from the control's stdout: the whole text as one JSON object,
 * else the last line that parses as a JSON object; null when there is none.
 */
export function parseHandoffControlOutput(stdout: string): JsonObject | null {
  const parse = (text: string): JsonObject | null => {
    try {
      const value: unknown = JSON.parse(text);
      return isJsonObject(value) ? value : null;
    } catch {
      return null;
    }
  };
  const whole = parse(stdout);
  if (whole !== null) return whole;
  const lines = stdout.split(/\r?\n/u).filter((line) => line.trim() !== "");
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const parsed = parse(lines[index] as string);
    if (parsed !== null) return parsed;
  }
  return null;
}
