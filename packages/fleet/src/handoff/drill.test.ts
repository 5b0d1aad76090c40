import { fileURLToPath } from "node:url";
import { fleetPaths } from "@ops/contract";
import { createSimulatedRepo, readJsonLines, type SimulatedRepo, writeFleetRegistry } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { closedPortUrl } from "../../../reconcile/src/pipeline/service-test-helpers.js";
import { fleetPolicy } from "../policy/index.js";
import { fleetReconcile } from "../reconcile/index.js";
import { fleetStatus } from "../status/index.js";
import { fleetHandoff } from "./fleet-handoff.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

let repo: SimulatedRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

describe("drill: sprite_service outage triggers autonomous auto-pause and reason-coded manual fallback", () => {
  it("failed autonomous dispatches in handoff telemetry pause the next policy run", async () => {
    const fleetRepo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
    repo = fleetRepo;
    const down = await closedPortUrl();
    const fleet = fleetPaths(fleetRepo.root);
    writeFleetRegistry(fleetRepo.root, {
      schemaVersion: "v1",
      fleetId: "fleet-east",
      loops: ["s1", "s2", "s3"].map((loopId) => ({
        loopId,
        transport: "sprite_service",
        service: { baseUrl: down, retryAttempts: 1, retryBackoffSeconds: 0 },
      })),
      policy: {
        mode: "guarded_auto",
        noiseControls: { dedupeWindowSeconds: 0 },
        autonomous: {
          safety: { maxActionsPerRun: 3, maxActionsPerLoop: 1, cooldownSeconds: 0 },
          governance: {
            actor: "oncall-a",
            approvalRef: "CHG-42",
            rationale: "outage drill",
            changedAt: "2026-03-01T00:00:00Z",
            reviewBy: "2099-06-01T00:00:00Z",
          },
        },
      },
    });
    const env = { PATH: process.env["PATH"], USER: "ops-user", OPS_MANAGER_ALERTS_ENABLED: "false" };
    const ctx = { env, cwd: fleetRepo.root, installRoot: INSTALL_ROOT };

    const reconciled = await fleetReconcile(
      { repo: fleetRepo.root, deterministicOrder: true, traceId: "drill-1" },
      ctx,
    );
    expect(reconciled.results.map((result) => [result.loopId, result.status])).toEqual([
      ["s1", "failed"],
      ["s2", "failed"],
      ["s3", "failed"],
    ]);

    const policy1 = await fleetPolicy({ repo: fleetRepo.root }, ctx);
    expect(policy1.autoEligibleCount).toBe(3);
    expect(policy1.autonomous.rollout.pause.active).toBe(false);

    const handoff1 = await fleetHandoff(
      { repo: fleetRepo.root, autonomousExecute: true, by: "ops-manager" },
      ctx,
    );
    expect(handoff1.traceId).toBe("drill-1");
    expect(handoff1.execution).toMatchObject({ mode: "autonomous", requestedIntentCount: 3, failedCount: 3 });
    for (const result of handoff1.execution?.results ?? []) {
      expect(result).toMatchObject({ status: "failed", reasonCode: "control_failed_command" });
      expect(result.control).toMatchObject({ transport: "sprite_service", status: "failed_command" });
    }

    const policy2 = await fleetPolicy({ repo: fleetRepo.root }, ctx);
    expect(policy2.autonomous.rollout.pause).toMatchObject({
      active: true,
      reasons: ["autonomous_rollout_paused_auto"],
      auto: {
        active: true,
        reasons: ["autonomous_autopause_failure_spike"],
        metrics: { windowExecutionCount: 1, attemptedCount: 3, failedCount: 3, failureRate: 1 },
      },
    });
    expect(policy2.reasonCodes).toEqual(
      expect.arrayContaining(["fleet_auto_candidates_paused", "fleet_auto_candidates_autopause_triggered"]),
    );
    expect(policy2.autoEligibleCount).toBe(0);
    for (const candidate of policy2.candidates.filter((item) => item.suppressed !== true)) {
      expect(candidate.autonomous.reasons).toEqual(
        expect.arrayContaining(["autonomous_autopause_failure_spike", "autonomous_rollout_paused_auto"]),
      );
    }

    const handoff2 = await fleetHandoff(
      { repo: fleetRepo.root, autonomousExecute: true, by: "ops-manager" },
      ctx,
    );
    expect(handoff2.execution).toMatchObject({ requestedIntentCount: 0, failedCount: 0 });
    expect(handoff2.summary.autoEligibleIntentCount).toBe(0);
    expect(handoff2.reasonCodes).toEqual(
      expect.arrayContaining(["fleet_handoff_confirmation_pending", "fleet_handoff_retry_guarded"]),
    );

    // Manual fallback stays open: the operator-confirmed path still dispatches the control.
    const intentId = handoff2.intents[0]?.intentId ?? "";
    const manual = await fleetHandoff(
      {
        repo: fleetRepo.root,
        execute: true,
        confirm: true,
        intentId: [intentId],
        by: "alice",
        traceId: "drill-2",
      },
      ctx,
    );
    expect(manual.execution).toMatchObject({ mode: "manual", requestedIntentCount: 1 });
    expect(manual.execution?.results[0]).toMatchObject({ intentId, executionMode: "manual" });

    // Fleet status projects the handoff state and the last execute record (spec 23 §2.6, §3.5).
    const status = await fleetStatus({ repo: fleetRepo.root }, ctx);
    expect(status.handoff).toMatchObject({
      mode: "guarded_auto",
      execution: { mode: "manual", requestedIntentCount: 1, failedCount: 1 },
    });
    expect(status.latestHandoffTelemetry).toMatchObject({ category: "fleet_handoff_execute" });
    expect(status.autonomous?.safetyGateDecisions.byPath.transportGated.blockedCount).toBe(1);

    const categories = (readJsonLines(fleet.telemetry.handoff) as { category: string }[]).map(
      (row) => row.category,
    );
    expect(categories).toEqual([
      "fleet_handoff_plan",
      "fleet_handoff_execute",
      "fleet_handoff_plan",
      "fleet_handoff_execute",
      "fleet_handoff_plan",
      "fleet_handoff_execute",
    ]);
  }, 60_000);
});
