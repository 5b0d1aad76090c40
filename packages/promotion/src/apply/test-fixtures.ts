/**
 * Test fixtures for promotion apply / orchestrate: a guarded_auto registry document (checked with
 * the real spec 20 validator before it is written) and promotion decision documents shaped like
 * the evaluator's output (spec 30 §6) and the CI wrapper's skipped result (spec 31 §4.1).
 * Not exported from the package.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths, type JsonObject, type NormalizedFleetRegistry } from "@ops/contract";
import { validateFleetRegistry } from "@ops/fleet";

export const FAR_FUTURE = "2099-01-01T00:00:00Z";

/** A guarded_auto registry with unknown fields and explicit `false` values the apply must keep. */
export function guardedRegistry(
  options: { canaryPercent?: number; manual?: boolean; reviewBy?: string } = {},
) {
  return {
    schemaVersion: "v1",
    fleetId: "fleet-main",
    owner: "team-ops",
    loops: [
      { loopId: "alpha", enabled: false, transport: "local", metadata: { tier: "gold" }, note: "keep me" },
      {
        loopId: "beta",
        transport: "sprite_service",
        sprite: { id: "spr-17", assignment: "pool-a", rack: "r2" },
        service: { baseUrl: "http://127.0.0.1:8787", tokenEnv: "BETA_TOKEN", region: "eu" },
      },
    ],
    policy: {
      mode: "guarded_auto",
      suppressions: { "*": ["health_degraded"] },
      autonomous: {
        safety: { killSwitch: false, maxActionsPerRun: 0 },
        governance: {
          actor: "oncall-a",
          approvalRef: "CHG-42",
          rationale: "dogfood",
          changedAt: "2026-01-01T00:00:00Z",
          reviewBy: options.reviewBy ?? "2026-06-01T00:00:00Z",
          ticketUrl: "https://tickets.example/CHG-42",
        },
        rollout: {
          canaryPercent: options.canaryPercent ?? 10,
          pause: { manual: options.manual ?? false },
          autoPause: { enabled: false },
          comment: "rollout notes",
        },
      },
      reviewers: ["ana", "bo"],
    },
  };
}

/** Writes a registry document after checking it with the real validator at `nowEpoch`. */
export function writeRegistry(repo: string, document: JsonObject, nowEpoch?: number, file?: string): string {
  if (nowEpoch !== undefined) {
    const problems = validateFleetRegistry(document, nowEpoch);
    if (problems.length > 0) throw new Error(`fixture registry is invalid: ${problems.join("; ")}`);
  }
  const target = file ?? fleetPaths(repo).registry;
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  return target;
}

/** An evaluator decision document (spec 30 §6) with `decision` promote or hold. */
export function evaluatedDecision(
  repo: string,
  decision: "promote" | "hold",
  generatedAt = "2026-03-02T09:00:00Z",
) {
  const fleet = fleetPaths(repo);
  const hold = decision === "hold";
  return {
    schemaVersion: "v1",
    generatedAt,
    traceId: "eval-trace-1",
    source: {
      repoPath: repo,
      fleetStatusSource: "file",
      fleetStatusFile: "status.json",
      handoffTelemetryFile: fleet.telemetry.handoff,
      drillStateFile: fleet.promotionDrills,
      promotionStateFile: fleet.promotionState,
      promotionTelemetryFile: fleet.telemetry.promotion,
    },
    thresholds: {
      windowExecutions: 20,
      minSampleSize: 20,
      maxAmbiguityRate: 0.2,
      maxFailureRate: 0.2,
      maxManualBacklog: 5,
      maxDrillAgeHours: 168,
    },
    summary: {
      decision,
      promote: !hold,
      gatePassCount: hold ? 4 : 5,
      gateFailCount: hold ? 1 : 0,
      failedGates: hold ? ["manual_backlog"] : [],
      reasonCodes: hold ? ["promotion_manual_backlog_exceeded"] : [],
    },
    gates: {},
  };
}

/** The CI wrapper's skipped result (spec 31 §4.1). */
export function skippedDecision(repo: string) {
  const fleet = fleetPaths(repo);
  return {
    schemaVersion: "v1",
    generatedAt: "2026-03-02T09:00:00Z",
    source: { repoPath: repo },
    summary: {
      decision: "skipped",
      promote: false,
      reasonCodes: ["promotion_ci_missing_evidence"],
      missingEvidencePaths: [fleet.telemetry.handoff, fleet.promotionDrills],
    },
  };
}

export function writeJson(file: string, value: unknown): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value)}\n`);
  return file;
}

export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8"));
}

export function readLines(file: string): unknown[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
}

/** The registry file as written by apply: the normalised form (plus whatever unknown fields it kept). */
export function storedRegistry(file: string): NormalizedFleetRegistry {
  return readJson(file) as NormalizedFleetRegistry;
}

/** The value at a key path of a JSON document (`undefined` when any step is missing). */
export function valueAt(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
