/**
 * Promotion evidence for tests (specs 23, 24 §8, 30 §4): fleet handoff telemetry lines as
 * `fleet handoff` writes them (plan + execute records, realistic `execution.results`), the
 * operator-written drill evidence file, a fleet status document with the `autonomous` section the
 * promotion gates read, and small executable hook scripts. Defaults describe a fleet that passes
 * every gate; options break one thing at a time.
 */
import fs from "node:fs";
import path from "node:path";
import { fleetPaths, formatTimestamp } from "@ops/contract";
import { type TimeInput, toEpochSeconds } from "./clock.js";
import { appendText, jsonText, writeAtomic, writeInPlace } from "./fsutil.js";

export type HandoffExecutionModeValue = "autonomous" | "manual";

/** Intent outcomes of one handoff execution (`requested` defaults to the sum of the others). */
export interface HandoffRunCounts {
  readonly requested?: number;
  readonly executed?: number;
  readonly ambiguous?: number;
  readonly failed?: number;
}

export interface HandoffRecordOptions {
  /** Completion time of the execution (`timestamp` of the execute record). */
  readonly at: TimeInput;
  readonly fleetId?: string;
  readonly traceId?: string;
  readonly mode?: HandoffExecutionModeValue;
  readonly counts?: HandoffRunCounts;
  /** Loop ids the intents target, cycled (default `["alpha", "beta"]`). */
  readonly loopIds?: readonly string[];
}

const DEFAULT_LOOPS = ["alpha", "beta"] as const;

function outcomeCounts(counts: HandoffRunCounts = { executed: 1 }) {
  const executed = counts.executed ?? 0;
  const ambiguous = counts.ambiguous ?? 0;
  const failed = counts.failed ?? 0;
  return { requested: counts.requested ?? executed + ambiguous + failed, executed, ambiguous, failed };
}

/** Spec 24 §8.1 — the plan record appended at the start of every handoff run. */
export function handoffPlanRecord(options: HandoffRecordOptions): Record<string, unknown> {
  const at = toEpochSeconds(options.at);
  const { requested } = outcomeCounts(options.counts);
  const traceId = options.traceId ?? `handoff-${at}`;
  return {
    timestamp: formatTimestamp(at - 5),
    category: "fleet_handoff_plan",
    fleetId: options.fleetId ?? "default",
    traceId,
    mode: options.mode ?? "autonomous",
    summary: {
      summary: {
        intentCount: requested,
        autoEligibleIntentCount: options.mode === "manual" ? 0 : requested,
        manualOnlyIntentCount: 0,
        pendingConfirmationCount: requested,
        executedCount: 0,
        ambiguousCount: 0,
        failedCount: 0,
      },
      reasonCodes: requested > 0 ? ["fleet_handoff_action_required"] : [],
      policyTraceId: traceId,
    },
  };
}

/** Spec 24 §7–§8.2 — the execute record appended after an execution, with one result per intent. */
export function handoffExecuteRecord(options: HandoffRecordOptions): Record<string, unknown> {
  const at = toEpochSeconds(options.at);
  const mode = options.mode ?? "autonomous";
  const { requested, executed, ambiguous, failed } = outcomeCounts(options.counts);
  const traceId = options.traceId ?? `handoff-${at}`;
  const loops = options.loopIds ?? DEFAULT_LOOPS;
  const statuses = [
    ...Array<string>(executed).fill("executed"),
    ...Array<string>(ambiguous).fill("ambiguous"),
    ...Array<string>(failed).fill("failed"),
  ];
  const results = statuses.map((status, index) => {
    const loopId = loops[index % loops.length] ?? "alpha";
    const reasonCode =
      status === "executed"
        ? "control_confirmed"
        : status === "ambiguous"
          ? "control_ambiguous"
          : "control_failed";
    return {
      intentId: `${loopId}:health_critical:cancel`,
      loopId,
      intent: "cancel",
      traceId,
      idempotencyKey: `fleet-handoff-${traceId}-${loopId}-health_critical-cancel`,
      requestedBy: "ops-manager",
      executedAt: formatTimestamp(at - 1),
      status,
      reasonCode,
      executionMode: mode,
      autonomousEligible: mode === "autonomous",
      controlExitCode: status === "executed" ? 0 : status === "ambiguous" ? 2 : 1,
      control: { status: status === "executed" ? "confirmed" : status, confirmed: status === "executed" },
    };
  });
  return {
    timestamp: formatTimestamp(at),
    category: "fleet_handoff_execute",
    fleetId: options.fleetId ?? "default",
    traceId,
    execution: {
      mode,
      requestedBy: "ops-manager",
      requestedAt: formatTimestamp(at - 4),
      completedAt: formatTimestamp(at),
      note: mode === "autonomous" ? "guarded_auto_dispatch" : null,
      requestedIntentCount: requested,
      executedIntentCount: statuses.length,
      executedCount: executed,
      ambiguousCount: ambiguous,
      failedCount: failed,
      results,
    },
    summary: {
      summary: {
        intentCount: requested,
        autoEligibleIntentCount: mode === "autonomous" ? requested : 0,
        manualOnlyIntentCount: 0,
        pendingConfirmationCount: 0,
        executedCount: executed,
        ambiguousCount: ambiguous,
        failedCount: failed,
      },
      reasonCodes: [
        ...(executed > 0 ? ["fleet_handoff_executed"] : []),
        ...(ambiguous > 0 ? ["fleet_handoff_execution_ambiguous"] : []),
        ...(failed > 0 ? ["fleet_handoff_execution_failed"] : []),
      ],
    },
  };
}

/** Appends records to a JSONL file, one compact line each (parent directories created). */
export function appendJsonlRecords(file: string, records: readonly unknown[]): void {
  appendText(file, records.map((record) => jsonText(record)).join(""));
}

export interface HandoffHistoryOptions {
  /** Number of handoff execution runs (each writes a plan and an execute line). */
  readonly runs: number;
  /** Completion time of the last run; earlier runs are `spacingSeconds` apart (default 600). */
  readonly endAt: TimeInput;
  readonly spacingSeconds?: number;
  readonly mode?: HandoffExecutionModeValue;
  /** Outcome counts per run (index 0 = oldest), or the same counts for every run. */
  readonly counts?: HandoffRunCounts | ((index: number) => HandoffRunCounts);
  readonly fleetId?: string;
  /** Also write the plan line before each execute line (default true, as `fleet handoff` does). */
  readonly withPlanRecords?: boolean;
}

/** The JSONL records of a handoff history (plan + execute per run), oldest first. */
export function handoffHistoryRecords(options: HandoffHistoryOptions): Record<string, unknown>[] {
  const end = toEpochSeconds(options.endAt);
  const spacing = options.spacingSeconds ?? 600;
  const records: Record<string, unknown>[] = [];
  for (let index = 0; index < options.runs; index += 1) {
    const counts = typeof options.counts === "function" ? options.counts(index) : options.counts;
    const run: HandoffRecordOptions = {
      at: end - (options.runs - 1 - index) * spacing,
      traceId: `handoff-run-${index + 1}`,
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(counts === undefined ? {} : { counts }),
      ...(options.fleetId === undefined ? {} : { fleetId: options.fleetId }),
    };
    if (options.withPlanRecords !== false) records.push(handoffPlanRecord(run));
    records.push(handoffExecuteRecord(run));
  }
  return records;
}

/** Appends a handoff history to `file` (default `<repo>/.superloop/ops-manager/fleet/telemetry/handoff.jsonl`). */
export function writeHandoffHistory(file: string, options: HandoffHistoryOptions): string {
  appendJsonlRecords(file, handoffHistoryRecords(options));
  return file;
}

export const PROMOTION_DRILL_IDS = ["kill_switch", "sprite_service_outage", "ambiguous_retry_guard"] as const;
export type PromotionDrillIdValue = (typeof PROMOTION_DRILL_IDS)[number];

export interface DrillEvidenceOptions {
  /** Completion time of every drill (default: `updatedAt`). */
  readonly completedAt?: TimeInput;
  readonly updatedAt?: TimeInput;
  /** Per-drill field overrides (`null` removes the drill from the file); unknown fields are kept. */
  readonly drills?: Partial<Record<PromotionDrillIdValue, Record<string, unknown> | null>>;
  /** Extra entries appended after the required ones. */
  readonly extra?: readonly unknown[];
}

/** Spec 30 §4.3 — the drill evidence document an operator writes after running the drills. */
export function promotionDrillEvidence(options: DrillEvidenceOptions = {}): Record<string, unknown> {
  const updatedAt = formatTimestamp(
    toEpochSeconds(options.updatedAt ?? options.completedAt ?? "2026-03-01T09:00:00Z"),
  );
  const completedAt =
    options.completedAt === undefined ? updatedAt : formatTimestamp(toEpochSeconds(options.completedAt));
  const drills: unknown[] = [];
  for (const id of PROMOTION_DRILL_IDS) {
    const override = options.drills?.[id];
    if (override === null) continue;
    drills.push({ id, status: "pass", completedAt, ...override });
  }
  drills.push(...(options.extra ?? []));
  return { schemaVersion: "v1", updatedAt, drills };
}

/** Writes the drill evidence file as an operator would (pretty JSON, in place). */
export function writePromotionDrillEvidence(file: string, document: unknown): string {
  writeInPlace(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}

export interface PromotionFleetStatusOptions {
  readonly generatedAt?: TimeInput;
  readonly repoPath?: string;
  /** Fleet policy mode (default `guarded_auto`). */
  readonly mode?: "guarded_auto" | "advisory";
  /** Governance posture (default `active`; `not_required` when advisory). */
  readonly posture?: string;
  /** Governance reason codes (`blocksAutonomous` = guarded_auto and non-empty, as spec 23 derives it). */
  readonly governanceReasonCodes?: readonly string[];
  readonly manualBacklog?: unknown;
  readonly autopauseActive?: boolean;
  readonly stateAutoPauseActive?: boolean;
  /** Suppression paths to leave out of `safetyGateDecisions.byPath`. */
  readonly omitPaths?: readonly ("policyGated" | "rolloutGated" | "governanceGated" | "transportGated")[];
  /** Replace the `autonomous` section entirely (e.g. `null`). */
  readonly autonomous?: unknown;
}

/** Spec 23 — a fleet status document whose `autonomous` section passes every promotion gate by default. */
export function promotionFleetStatus(options: PromotionFleetStatusOptions = {}): Record<string, unknown> {
  const generatedAt = formatTimestamp(toEpochSeconds(options.generatedAt ?? "2026-03-01T12:00:00Z"));
  const mode = options.mode ?? "guarded_auto";
  const governanceReasonCodes = [...(options.governanceReasonCodes ?? [])];
  const blocksAutonomous = mode === "guarded_auto" && governanceReasonCodes.length > 0;
  const autopauseActive = options.autopauseActive ?? false;
  const byPath: Record<string, unknown> = {
    policyGated: { blockedCount: 0, byReason: {} },
    rolloutGated: { blockedCount: 0, byReason: {} },
    governanceGated: { blockedCount: 0, reasonCodes: governanceReasonCodes },
    transportGated: { blockedCount: 0, byReason: {} },
  };
  for (const key of options.omitPaths ?? []) delete byPath[key];
  const autopause = {
    enabled: true,
    active: autopauseActive,
    reasons: autopauseActive ? ["autonomous_autopause_failure_spike"] : [],
    lookbackExecutions: 5,
    minSampleSize: 3,
    ambiguityRateThreshold: 0.5,
    failureRateThreshold: 0.5,
    metrics: {},
  };
  const autonomous =
    options.autonomous !== undefined
      ? options.autonomous
      : {
          mode,
          enabled: mode === "guarded_auto",
          policyReasonCodes: [],
          handoffReasonCodes: [],
          eligibleCandidateCount: 0,
          manualOnlyCandidateCount: 0,
          outcomeRollup: {
            attempted: 2,
            executed: 2,
            ambiguous: 0,
            failed: 0,
            manual_backlog: options.manualBacklog === undefined ? 0 : options.manualBacklog,
          },
          governance: {
            changedBy: "oncall-a",
            changedAt: "2026-02-20T00:00:00Z",
            approvalRef: "CHG-42",
            why: "dogfood",
            until: "2026-06-01T00:00:00Z",
            reviewWindowDays: 92,
            authorityContextPresent: true,
            posture: options.posture ?? (mode === "guarded_auto" ? "active" : "not_required"),
            reasonCodes: governanceReasonCodes,
            blocksAutonomous,
          },
          safetyGateDecisions: {
            byReason: {},
            byPath,
            suppressionReasonCodes: [],
            blockedCount: 0,
            killSwitchActive: false,
          },
          rollout: {
            canaryPercent: 25,
            scopeLoopIds: [],
            selectorSalt: "fleet-autonomous-rollout-v1",
            candidateBuckets: { inScopeCount: 0, inCohortCount: 0, outOfCohortCount: 0 },
            state: {
              active: autopauseActive || options.stateAutoPauseActive === true,
              manualPauseActive: false,
              autoPauseActive: options.stateAutoPauseActive ?? autopauseActive,
              reasonCodes: [],
            },
            autopause,
            pause: { active: autopauseActive, reasons: [], manual: false, auto: autopause },
          },
        };
  return {
    schemaVersion: "v1",
    generatedAt,
    source: { repoPath: options.repoPath ?? "/srv/fleet-repo", fleetId: "default" },
    fleet: {
      status: "success",
      reasonCodes: [],
      loopCount: 2,
      successCount: 2,
      failedCount: 0,
      skippedCount: 0,
    },
    healthRollup: { healthy: 2, degraded: 0, critical: 0, unknown: 0 },
    exceptions: { reconcileFailures: [], criticalLoops: [], degradedLoops: [], skippedLoops: [] },
    policy: null,
    handoff: null,
    autonomous,
    loops: [],
    traceLinkage: { fleetTraceId: null, policyTraceId: null, loopTraceIds: [], sharedTraceId: null },
    latestTelemetry: null,
    latestHandoffTelemetry: null,
    files: {},
  };
}

export interface PromotionEvidenceOptions {
  /** Evaluation instant the evidence is fresh for (default `2026-03-01T12:00:00Z`). */
  readonly now?: TimeInput;
  /** Autonomous runs in the handoff telemetry (default 20 — exactly the default sample). */
  readonly runs?: number;
  readonly counts?: HandoffHistoryOptions["counts"];
  readonly status?: PromotionFleetStatusOptions;
  readonly drills?: DrillEvidenceOptions;
  /** Where to write the fleet status document (default `<repo>/fleet-status.json`, outside `.superloop`). */
  readonly fleetStatusFile?: string;
}

export interface PromotionEvidencePaths {
  readonly fleetStatusFile: string;
  readonly handoffTelemetryFile: string;
  readonly drillStateFile: string;
  readonly promotionStateFile: string;
  readonly promotionTelemetryFile: string;
  readonly ciResultFile: string;
  readonly ciSummaryFile: string;
}

/**
 * Writes a complete, promote-ready evidence set into `repo`: handoff telemetry and drill file at
 * their default paths, and a fleet status document for `--fleet-status-file`.
 */
export function writePromotionEvidence(
  repo: string,
  options: PromotionEvidenceOptions = {},
): PromotionEvidencePaths {
  const now = toEpochSeconds(options.now ?? "2026-03-01T12:00:00Z");
  const paths = fleetPaths(repo);
  const result: PromotionEvidencePaths = {
    fleetStatusFile: options.fleetStatusFile ?? path.join(repo, "fleet-status.json"),
    handoffTelemetryFile: paths.telemetry.handoff,
    drillStateFile: paths.promotionDrills,
    promotionStateFile: paths.promotionState,
    promotionTelemetryFile: paths.telemetry.promotion,
    ciResultFile: paths.promotionCiResult,
    ciSummaryFile: paths.promotionCiSummary,
  };
  writeAtomic(
    result.fleetStatusFile,
    jsonText(promotionFleetStatus({ generatedAt: now, repoPath: repo, ...options.status })),
  );
  writeHandoffHistory(result.handoffTelemetryFile, {
    runs: options.runs ?? 20,
    endAt: now - 60,
    counts: options.counts ?? { executed: 1 },
  });
  writePromotionDrillEvidence(
    result.drillStateFile,
    promotionDrillEvidence({ completedAt: now - 3600, ...options.drills }),
  );
  return result;
}

export interface HookScriptOptions {
  /** Text printed on stdout. */
  readonly stdout?: string;
  /** Text printed on stderr. */
  readonly stderr?: string;
  readonly exitCode?: number;
  /** Each argument is written to this file, one per line (NUL-free values only). */
  readonly argsFile?: string;
  /** Print the content of this file on stdout (after `stdout`). */
  readonly catFile?: string;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Writes an executable `/bin/sh` hook script (for `OPS_MANAGER_*_SCRIPT` variables) and returns its path. */
export function writeHookScript(file: string, options: HookScriptOptions = {}): string {
  const lines = ["#!/bin/sh"];
  if (options.argsFile !== undefined) {
    lines.push(`: > ${shellQuote(options.argsFile)}`);
    lines.push(`for arg in "$@"; do printf '%s\\n' "$arg" >> ${shellQuote(options.argsFile)}; done`);
  }
  if (options.stderr !== undefined) lines.push(`printf '%s' ${shellQuote(options.stderr)} >&2`);
  if (options.stdout !== undefined) lines.push(`printf '%s' ${shellQuote(options.stdout)}`);
  if (options.catFile !== undefined) lines.push(`cat ${shellQuote(options.catFile)}`);
  lines.push(`exit ${options.exitCode ?? 0}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o755 });
  return file;
}

export interface PromotionFleetStateOptions {
  /** Policy mode recorded in the registry and the policy state (default `guarded_auto`). */
  readonly mode?: "guarded_auto" | "advisory";
  /** Governance review deadline (default far in the future; a past value fails the registry). */
  readonly reviewBy?: string;
  /** Policy state `manualOnlyCount` (the status manual backlog without a handoff state). */
  readonly manualOnlyCount?: number;
  /** Policy state `autonomous.rollout.pause.auto.active`. */
  readonly autoPauseActive?: boolean;
  /** Write the policy state (default true); without it status has no governance/rollout. */
  readonly withPolicyState?: boolean;
}

/**
 * Writes the fleet artifacts `fleet status` (spec 23) projects — registry, fleet reconcile state
 * and fleet policy state at their default paths — so that the in-process generated status of the
 * promotion gates passes governance, backlog and safety by default.
 */
export function writePromotionFleetState(repo: string, options: PromotionFleetStateOptions = {}): void {
  const paths = fleetPaths(repo);
  const mode = options.mode ?? "guarded_auto";
  const governance = {
    actor: "oncall-a",
    approvalRef: "CHG-42",
    rationale: "dogfood promotion",
    changedAt: "2026-02-20T00:00:00Z",
    reviewBy: options.reviewBy ?? "2099-06-01T00:00:00Z",
  };
  writeAtomic(
    paths.registry,
    jsonText({
      schemaVersion: "v1",
      fleetId: "fleet-east",
      loops: [{ loopId: "alpha", transport: "local" }],
      policy: { mode, ...(mode === "guarded_auto" ? { autonomous: { governance } } : {}) },
    }),
  );
  const loopFiles = (loopId: string) => ({
    stateFile: path.join(repo, ".superloop/ops-manager", loopId, "state.json"),
    healthFile: path.join(repo, ".superloop/ops-manager", loopId, "health.json"),
    cursorFile: path.join(repo, ".superloop/ops-manager", loopId, "cursor.json"),
    reconcileTelemetryFile: path.join(repo, ".superloop/ops-manager", loopId, "telemetry/reconcile.jsonl"),
  });
  writeAtomic(
    paths.state,
    jsonText({
      schemaVersion: "v1",
      updatedAt: "2026-03-01T11:00:03Z",
      startedAt: "2026-03-01T11:00:00Z",
      fleetId: "fleet-east",
      traceId: "fx-1",
      status: "success",
      reasonCodes: [],
      loopCount: 1,
      successCount: 1,
      failedCount: 0,
      skippedCount: 0,
      durationSeconds: 3,
      execution: { maxParallel: 2, deterministicOrder: false, fromStart: false, maxEvents: 0 },
      results: [
        {
          timestamp: "2026-03-01T11:00:03Z",
          startedAt: "2026-03-01T11:00:00Z",
          loopId: "alpha",
          transport: "local",
          enabled: true,
          status: "success",
          reconcileStatus: "success",
          healthStatus: "healthy",
          healthReasonCodes: [],
          durationSeconds: 3,
          traceId: "fx-1-alpha",
          sprite: {},
          metadata: {},
          files: loopFiles("alpha"),
        },
      ],
    }),
  );
  if (options.withPolicyState === false) return;
  const autoActive = options.autoPauseActive ?? false;
  writeAtomic(
    paths.policyState,
    jsonText({
      schemaVersion: "v1",
      updatedAt: "2026-03-01T11:01:00Z",
      fleetId: "fleet-east",
      traceId: "fx-1",
      mode,
      candidateCount: 0,
      unsuppressedCount: 0,
      suppressedCount: 0,
      autoEligibleCount: 0,
      manualOnlyCount: options.manualOnlyCount ?? 0,
      reasonCodes: [],
      candidates: [],
      summary: { byAutonomyReason: {} },
      autonomous: {
        governance: mode === "guarded_auto" ? governance : {},
        controls: { safety: { killSwitch: false } },
        rollout: {
          canaryPercent: 25,
          scopeLoopIds: [],
          selectorSalt: "fleet-autonomous-rollout-v1",
          candidateBuckets: { inScopeCount: 0, inCohortCount: 0, outOfCohortCount: 0 },
          pause: {
            active: autoActive,
            reasons: autoActive ? ["autonomous_rollout_paused_auto"] : [],
            manual: false,
            auto: {
              enabled: true,
              active: autoActive,
              reasons: autoActive ? ["autonomous_autopause_failure_spike"] : [],
              lookbackExecutions: 5,
              minSampleSize: 3,
              ambiguityRateThreshold: 0.5,
              failureRateThreshold: 0.5,
              metrics: {},
            },
          },
        },
      },
    }),
  );
}
