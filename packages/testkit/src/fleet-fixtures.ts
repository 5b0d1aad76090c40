// Fleet test fixtures shared by the fleet registry/reconcile/policy/status/handoff tests, the
// policy evaluator tests and the `fleet` CLI tests: the registry file writer, a complete
// governance block, the spec 20 §4 normalised policy defaults and an OPS_MANAGER_-free env.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths, type NormalizedFleetPolicy } from "@ops/contract";

/**
 * Writes the fleet registry of `repoRoot` (spec 20 §2.1 path), creating its directory:
 * a string is written verbatim (for malformed JSON), anything else as JSON. Returns the file path.
 */
export function writeFleetRegistry(repoRoot: string, content: unknown): string {
  const file = fleetPaths(repoRoot).registry;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** A complete `policy.autonomous.governance` block as an operator writes it (92-day review window). */
export const FLEET_GOVERNANCE = {
  actor: "oncall-a",
  approvalRef: "CHG-42",
  rationale: "dogfood",
  changedAt: "2026-03-01T00:00:00Z",
  reviewBy: "2026-06-01T00:00:00Z",
} as const;

/** The normalised policy of a registry without a `policy` block: every spec 20 §4 default (advisory). */
export function defaultFleetPolicy(): NormalizedFleetPolicy {
  return {
    mode: "advisory",
    suppressions: {},
    noiseControls: { dedupeWindowSeconds: 300 },
    autonomous: {
      enabled: false,
      allow: { categories: ["reconcile_failed", "health_critical"], intents: ["cancel"] },
      thresholds: { minSeverity: "critical", minConfidence: "high" },
      safety: { maxActionsPerRun: 1, maxActionsPerLoop: 1, cooldownSeconds: 300, killSwitch: false },
      governance: {},
      rollout: {
        canaryPercent: 100,
        scope: { loopIds: [] },
        selector: { salt: "fleet-autonomous-rollout-v1" },
        pause: { manual: false },
        autoPause: {
          enabled: true,
          lookbackExecutions: 5,
          minSampleSize: 3,
          ambiguityRateThreshold: 0.4,
          failureRateThreshold: 0.4,
        },
      },
    },
  };
}

/** This process's environment without `OPS_MANAGER_*` variables (and without `omit`), plus `extra`. */
export function envWithoutOpsManager(
  extra: Record<string, string> = {},
  omit: readonly string[] = [],
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith("OPS_MANAGER_") && !omit.includes(key)) env[key] = value;
  return { ...env, ...extra };
}
