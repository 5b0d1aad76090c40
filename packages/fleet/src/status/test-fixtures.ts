/**
 * Test fixtures for fleet status: policy and handoff states shaped like the ones fleet policy
 * (22 §7) and fleet handoff (24 §4, §7, §8) write. Hand-built on purpose — status must read
 * states written by any version, so it does not import their schemas.
 */
import type { JsonObject } from "@ops/contract";
import { FLEET_GOVERNANCE } from "@ops/testkit";

export const NOW = "2026-03-02T10:05:00Z";
export const NOW_EPOCH = Date.parse(NOW) / 1000;

/** Epoch seconds → strict timestamp. */
export function at(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/u, "Z");
}

/** A fleet reconcile result (21 §4.5). */
export function result(loopId: string, fields: JsonObject = {}): JsonObject {
  return {
    timestamp: "2026-03-02T10:00:08Z",
    startedAt: "2026-03-02T10:00:05Z",
    loopId,
    transport: "local",
    enabled: true,
    status: "success",
    reconcileStatus: "success",
    healthStatus: "healthy",
    healthReasonCodes: [],
    transitionState: "running",
    durationSeconds: 1,
    traceId: `fx-1-${loopId}`,
    sprite: {},
    metadata: {},
    files: {
      stateFile: `/repo/.superloop/ops-manager/${loopId}/state.json`,
      healthFile: `/repo/.superloop/ops-manager/${loopId}/health.json`,
      cursorFile: `/repo/.superloop/ops-manager/${loopId}/cursor.json`,
      reconcileTelemetryFile: `/repo/.superloop/ops-manager/${loopId}/telemetry/reconcile.jsonl`,
    },
    ...fields,
  };
}

/** The spec 23 §4 fleet: alpha healthy, beta failed and critical. */
export function fleetState(fields: JsonObject = {}): JsonObject {
  return {
    schemaVersion: "v1",
    updatedAt: "2026-03-02T10:00:08Z",
    startedAt: "2026-03-02T10:00:05Z",
    fleetId: "fleet-east",
    traceId: "fx-1",
    status: "partial_failure",
    reasonCodes: ["fleet_health_critical", "fleet_partial_failure"],
    loopCount: 2,
    successCount: 1,
    failedCount: 1,
    skippedCount: 0,
    durationSeconds: 3,
    execution: { maxParallel: 2, deterministicOrder: false, fromStart: false, maxEvents: 0 },
    results: [
      result("alpha"),
      result("beta", {
        status: "failed",
        reasonCode: "transport_unreachable",
        reconcileStatus: "failed",
        healthStatus: "critical",
        healthReasonCodes: ["transport_unreachable"],
        transitionState: undefined,
        outputExcerpt: "error: service request failed",
      }),
    ],
    ...fields,
  };
}

export interface CandidateOptions {
  readonly severity?: string;
  readonly suppressed?: boolean;
  readonly eligible?: boolean;
  readonly reasons?: string[];
}

/** A policy candidate (22 §3.2 + §6.6). */
export function candidate(loopId: string, category: string, options: CandidateOptions = {}): JsonObject {
  const critical = category !== "health_degraded";
  const eligible = options.eligible ?? false;
  const reasons = options.reasons ?? [];
  return {
    loopId,
    category,
    signal: category === "reconcile_failed" ? "status_failed" : category,
    traceId: `fx-1-${loopId}`,
    candidateId: `${loopId}:${category}`,
    severity: options.severity ?? (critical ? "critical" : "warning"),
    confidence: critical ? "high" : "medium",
    rationale: "Loop health is critical",
    taxonomyVersion: "v1",
    recommendedIntent: "cancel",
    suppressionScope: options.suppressed === true ? "loop" : null,
    suppressed: options.suppressed ?? false,
    suppressionReason: options.suppressed === true ? "registry_policy_suppression" : null,
    suppressionSource: options.suppressed === true ? "policy.suppressions.<loopId>" : null,
    cooldown: {
      enabled: false,
      windowSeconds: 0,
      active: false,
      remainingSeconds: 0,
      lastUnsuppressedAt: null,
    },
    autonomous: {
      mode: "guarded_auto",
      eligible,
      manualOnly: !eligible,
      reasons,
      gatingReasons: reasons.filter((reason) => !reason.startsWith("autonomous_max_")),
      recommendedIntent: "cancel",
    },
  };
}

export const GOVERNANCE = {
  ...FLEET_GOVERNANCE,
  reviewWindowDays: 92,
  requiredForGuardedAuto: true,
  authorityContextPresent: true,
};

export const PAUSE_OFF = {
  active: false,
  reasons: [],
  manual: false,
  auto: {
    enabled: true,
    active: false,
    reasons: [],
    lookbackExecutions: 5,
    minSampleSize: 3,
    ambiguityRateThreshold: 0.4,
    failureRateThreshold: 0.4,
    metrics: {
      windowExecutionCount: 0,
      attemptedCount: 0,
      executedCount: 0,
      ambiguousCount: 0,
      failedCount: 0,
      ambiguityRate: 0,
      failureRate: 0,
    },
  },
};

export interface PolicyStateOptions {
  readonly mode?: string;
  readonly governance?: JsonObject;
  readonly candidates?: JsonObject[];
  readonly byAutonomyReason?: Record<string, number>;
  readonly pause?: JsonObject;
  readonly killSwitch?: boolean;
  readonly rollout?: JsonObject;
}

/** A policy state (22 §7), counts derived from the candidates. */
export function policyState(options: PolicyStateOptions = {}): JsonObject {
  const mode = options.mode ?? "guarded_auto";
  const candidates = options.candidates ?? [
    candidate("beta", "health_critical", { eligible: true }),
    candidate("beta", "reconcile_failed", { reasons: ["autonomous_max_actions_per_run_exceeded"] }),
  ];
  const unsuppressed = candidates.filter((c) => c["suppressed"] !== true);
  const autonomy = (c: JsonObject) =>
    c["autonomous"] as { eligible: boolean; manualOnly: boolean; reasons: string[] };
  const byAutonomyReason: Record<string, number> = {};
  for (const c of unsuppressed) {
    for (const reason of autonomy(c).reasons) byAutonomyReason[reason] = (byAutonomyReason[reason] ?? 0) + 1;
  }
  return {
    schemaVersion: "v1",
    updatedAt: "2026-03-02T10:01:00Z",
    fleetId: "fleet-east",
    traceId: "fx-1",
    mode,
    fleetStatus: "partial_failure",
    source: { fleetStateFile: "/repo/state.json", registryFile: "/repo/registry.v1.json" },
    taxonomy: { version: "v1", categories: [] },
    noiseControls: { dedupeWindowSeconds: 0, policyHistoryFile: "/h", handoffTelemetryFile: "/t" },
    autonomous: {
      enabled: mode === "guarded_auto",
      governanceAuditFile: "/g",
      governance: options.governance ?? GOVERNANCE,
      controls: {
        enabled: true,
        allow: { categories: ["health_critical"], intents: ["cancel"] },
        thresholds: { minSeverity: "critical", minConfidence: "high" },
        safety: {
          maxActionsPerRun: 1,
          maxActionsPerLoop: 1,
          cooldownSeconds: 300,
          killSwitch: options.killSwitch ?? false,
        },
      },
      rollout: options.rollout ?? {
        canaryPercent: 100,
        scopeLoopIds: [],
        selectorSalt: "fleet-autonomous-rollout-v1",
        candidateBuckets: {
          inScopeCount: candidates.length,
          inCohortCount: candidates.length,
          outOfCohortCount: 0,
        },
        pause: options.pause ?? PAUSE_OFF,
      },
    },
    evaluatedLoopCount: 2,
    candidateCount: candidates.length,
    unsuppressedCount: unsuppressed.length,
    suppressedCount: candidates.length - unsuppressed.length,
    cooldownSuppressedCount: 0,
    autoEligibleCount: unsuppressed.filter((c) => autonomy(c).eligible).length,
    manualOnlyCount: unsuppressed.filter((c) => autonomy(c).manualOnly).length,
    candidates,
    summary: {
      bySeverity: { critical: 2, warning: 0, info: 0 },
      byConfidence: { high: 2, medium: 0, low: 0 },
      byCategory: {},
      bySuppressionReason: {},
      byAutonomy: { eligible: 1, manualOnly: 1 },
      byAutonomyReason: options.byAutonomyReason ?? byAutonomyReason,
    },
    suppressionState: {
      suppressions: {},
      precedence: ["loop", "global", "cooldown"],
      allowedCategories: ["reconcile_failed", "health_critical", "health_degraded"],
    },
    reasonCodes: [
      "fleet_action_required",
      "fleet_auto_candidates_eligible",
      "fleet_auto_candidates_safety_blocked",
    ],
  };
}

export interface IntentOptions {
  readonly status?: string;
  readonly eligible?: boolean;
  readonly manualOnly?: boolean;
  readonly reasons?: string[];
  readonly transport?: string;
}

/** A handoff intent (24 §3.3). */
export function intent(loopId: string, category: string, options: IntentOptions = {}): JsonObject {
  const eligible = options.eligible ?? false;
  return {
    intentId: `${loopId}:${category}:cancel`,
    candidateId: `${loopId}:${category}`,
    loopId,
    category,
    severity: "critical",
    confidence: "high",
    rationale: "Loop health is critical",
    signal: category,
    intent: "cancel",
    recommendedIntent: "cancel",
    status: options.status ?? "pending_operator_confirmation",
    requiresOperatorConfirmation: true,
    fleetTraceId: "fx-2",
    policyTraceId: "fx-1",
    candidateTraceId: `fx-1-${loopId}`,
    autonomous: {
      eligible,
      manualOnly: options.manualOnly ?? !eligible,
      reasons: options.reasons ?? [],
    },
    idempotencyKey: `fleet-handoff-fx-2-${loopId}-${category}-cancel`,
    transport: options.transport ?? "local",
    service: { retryAttempts: 3, retryBackoffSeconds: 1 },
    metadata: {},
  };
}

/** An `execution.results[]` entry (24 §6.4). */
export function executionResult(intentId: string, status: string, reasonCode?: string): JsonObject {
  return {
    intentId,
    loopId: intentId.split(":")[0] ?? "",
    intent: "cancel",
    traceId: "fx-2",
    idempotencyKey: `key-${intentId}`,
    requestedBy: "ops-manager",
    executedAt: "2026-03-02T10:06:02Z",
    status,
    ...(reasonCode === undefined ? {} : { reasonCode }),
    executionMode: "autonomous",
    autonomousEligible: true,
    controlExitCode: status === "executed" ? 0 : 2,
  };
}

/** A handoff state (24 §4, §7); `execution` only when given. */
export function handoffState(intents: JsonObject[], execution?: JsonObject): JsonObject {
  const count = (status: string) => intents.filter((i) => i["status"] === status).length;
  const autonomy = (i: JsonObject) => i["autonomous"] as { eligible: boolean; manualOnly: boolean };
  return {
    schemaVersion: "v1",
    generatedAt: "2026-03-02T10:06:00Z",
    updatedAt: "2026-03-02T10:06:04Z",
    fleetId: "fleet-east",
    traceId: "fx-2",
    policyTraceId: "fx-1",
    mode: "guarded_auto",
    source: { registryFile: "/r", policyStateFile: "/p" },
    control: { idempotencyPrefix: "fleet-handoff", requiresOperatorConfirmation: true },
    intents,
    summary: {
      candidateCount: intents.length,
      unsuppressedCandidateCount: intents.length,
      intentCount: intents.length,
      autoEligibleIntentCount: intents.filter((i) => autonomy(i).eligible).length,
      manualOnlyIntentCount: intents.filter((i) => autonomy(i).manualOnly).length,
      pendingConfirmationCount: count("pending_operator_confirmation"),
      executedCount: count("executed"),
      ambiguousCount: count("execution_ambiguous"),
      failedCount: count("execution_failed"),
    },
    reasonCodes: ["fleet_handoff_action_required"],
    ...(execution === undefined ? {} : { execution }),
  };
}

/** An `execution` block (24 §7) over `results`. */
export function execution(mode: string, results: JsonObject[]): JsonObject {
  const count = (status: string) => results.filter((r) => r["status"] === status).length;
  return {
    mode,
    requestedBy: "ops-manager",
    requestedAt: "2026-03-02T10:06:00Z",
    completedAt: "2026-03-02T10:06:04Z",
    note: null,
    requestedIntentCount: results.length,
    executedIntentCount: results.length,
    executedCount: count("executed"),
    ambiguousCount: count("ambiguous"),
    failedCount: count("failed"),
    results,
  };
}
