/** Test fixtures (not exported from the package): normalised registry policies and fleet states. */
import type { NormalizedFleetAutonomous, NormalizedFleetPolicy } from "@ops/contract";
import { defaultFleetPolicy, FLEET_GOVERNANCE } from "@ops/testkit";
import type { PolicyArtifactPaths } from "./evaluate.js";

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]> };

/** The normalised complete governance block (spec 20 §4 adds `reviewWindowDays`). */
export const GOVERNANCE = { ...FLEET_GOVERNANCE, reviewWindowDays: 92 } as const;

function merge<T>(base: T, patch: DeepPartial<T> | undefined): T {
  if (patch === undefined) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    const current = out[key];
    out[key] =
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === "object"
        ? merge(current, value as DeepPartial<typeof current>)
        : value;
  }
  return out as T;
}

/** Guarded autonomy with complete governance, zero windows (history-independent) unless patched. */
export function guardedPolicy(
  patch: {
    suppressions?: NormalizedFleetPolicy["suppressions"];
    dedupeWindowSeconds?: number;
    autonomous?: DeepPartial<NormalizedFleetAutonomous>;
  } = {},
): NormalizedFleetPolicy {
  const base = defaultFleetPolicy();
  return {
    mode: "guarded_auto",
    suppressions: patch.suppressions ?? {},
    noiseControls: { dedupeWindowSeconds: patch.dedupeWindowSeconds ?? 0 },
    autonomous: merge({ ...base.autonomous, enabled: true, governance: { ...GOVERNANCE } }, patch.autonomous),
  };
}

export function result(loopId: string, status: string, healthStatus: string, traceId = `fx-1-${loopId}`) {
  return { loopId, status, healthStatus, traceId };
}

export const PATHS: PolicyArtifactPaths = {
  fleetStateFile: "/repo/.superloop/ops-manager/fleet/state.json",
  registryFile: "/repo/.superloop/ops-manager/fleet/registry.v1.json",
  policyStateFile: "/repo/.superloop/ops-manager/fleet/policy-state.json",
  governanceAuditFile: "/repo/.superloop/ops-manager/fleet/telemetry/policy-governance.jsonl",
  handoffTelemetryFile: "/repo/.superloop/ops-manager/fleet/telemetry/handoff.jsonl",
  policyHistoryFile: "/repo/.superloop/ops-manager/fleet/telemetry/policy-history.jsonl",
};

/** `2026-03-02T10:01:00Z` in epoch seconds. */
export const NOW = Date.UTC(2026, 2, 2, 10, 1, 0) / 1000;

/** An autonomous handoff execute record (spec 24 §8.2). */
export function executeRecord(
  timestamp: string | undefined,
  counts: {
    requested?: number;
    executedIntents?: number;
    executed?: number;
    ambiguous?: number;
    failed?: number;
  },
  mode = "autonomous",
) {
  return {
    ...(timestamp === undefined ? {} : { timestamp }),
    category: "fleet_handoff_execute",
    fleetId: "fleet-east",
    traceId: "h-1",
    execution: {
      mode,
      ...(counts.requested === undefined ? {} : { requestedIntentCount: counts.requested }),
      ...(counts.executedIntents === undefined ? {} : { executedIntentCount: counts.executedIntents }),
      executedCount: counts.executed ?? 0,
      ambiguousCount: counts.ambiguous ?? 0,
      failedCount: counts.failed ?? 0,
      results: [],
    },
  };
}
