// Promotion over evidence a real fleet produced: sprite-hosted loops (each its own runtime repo
// behind a real sprite service on 127.0.0.1) are reconciled, evaluated by fleet policy and
// remediated by guarded autonomous handoff (real cancels through the services, confirmed from the
// runtime's evidence). The gates then read the handoff telemetry and fleet status those commands
// wrote — no hand-built records — and promote; a governance review falling due holds.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fleetPaths } from "@ops/contract";
import { fleetHandoff, fleetPolicy, fleetReconcile } from "@ops/fleet";
import {
  createSimulatedRepo,
  promotionDrillEvidence,
  type SimulatedRepo,
  superloopBinPath,
  writePromotionDrillEvidence,
} from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../reconcile/src/pipeline/service-test-helpers.js";
import { promotionGates } from "./gates/index.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let now = new Date("2026-06-01T12:00:00Z");
const clock = { now: () => now };

const repos: SimulatedRepo[] = [];
const services: TestService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
  for (const repo of repos.splice(0)) await repo.cleanup();
});

const LOOPS = ["s1", "s2", "s3"];

function registry(urls: readonly string[], reviewBy: string) {
  return {
    schemaVersion: "v1",
    fleetId: "fleet-east",
    loops: LOOPS.map((loopId, index) => ({
      loopId,
      transport: "sprite_service",
      service: { baseUrl: urls[index], tokenEnv: "SPRITE_TOKEN", retryAttempts: 1, retryBackoffSeconds: 0 },
    })),
    policy: {
      mode: "guarded_auto",
      noiseControls: { dedupeWindowSeconds: 0 },
      autonomous: {
        safety: { maxActionsPerRun: 1, maxActionsPerLoop: 1, cooldownSeconds: 3600 },
        governance: {
          actor: "oncall-a",
          approvalRef: "CHG-42",
          rationale: "guarded autonomy pilot",
          changedAt: "2026-05-01T00:00:00Z",
          reviewBy,
        },
      },
    },
  };
}

describe("promotion gates over a real fleet's evidence", () => {
  it("promotes after three confirmed autonomous runs; holds once the governance review falls due", async () => {
    now = new Date("2026-06-01T12:00:00Z");
    const serviceEnv = { PATH: process.env["PATH"], SUPERLOOP_BIN: superloopBinPath() };
    const urls: string[] = [];
    for (const loopId of LOOPS) {
      // A stale heartbeat makes each loop critical: an autonomous-eligible cancel candidate.
      const sprite = createSimulatedRepo(undefined, { start: "2026-06-01T11:50:00Z", stepSeconds: 5 });
      repos.push(sprite);
      sprite.scenario("staleHeartbeat", loopId, { heartbeatAgeSeconds: 900 });
      const service = await startTestService(sprite.root, { token: "t0ken", env: serviceEnv, clock });
      services.push(service);
      urls.push(service.url);
    }
    const manager = createSimulatedRepo(undefined, { start: "2026-06-01T11:50:00Z" });
    repos.push(manager);
    const fleet = fleetPaths(manager.root);
    mkdirSync(path.dirname(fleet.registry), { recursive: true });
    writeFileSync(fleet.registry, JSON.stringify(registry(urls, "2026-08-01T00:00:00Z")));
    const env = { PATH: process.env["PATH"], SPRITE_TOKEN: "t0ken", OPS_MANAGER_ALERTS_ENABLED: "false" };
    const ctx = { env, cwd: manager.root, installRoot: INSTALL_ROOT, clock };

    const reconciled = await fleetReconcile({ repo: manager.root, traceId: "fx-1" }, ctx);
    expect(reconciled.results.map((result) => result.healthStatus)).toEqual([
      "critical",
      "critical",
      "critical",
    ]);
    // Three autonomous runs, one action each (maxActionsPerRun 1): the safety cooldown keeps a loop
    // that was just remediated out of the next run, so each run cancels the next loop.
    for (const [index, loopId] of LOOPS.entries()) {
      now = new Date(Date.parse("2026-06-01T12:00:00Z") + index * 60_000);
      const policy = await fleetPolicy({ repo: manager.root }, ctx);
      expect(policy.autoEligibleCount).toBe(1);
      const handoff = await fleetHandoff(
        { repo: manager.root, autonomousExecute: true, timeoutSeconds: "5", intervalSeconds: "1" },
        ctx,
      );
      expect(handoff.execution?.results?.map((result) => [result.loopId, result.status])).toEqual([
        [loopId, "executed"],
      ]);
    }
    // The cancels really ran on the sprite hosts: the runtime removed each active run.
    for (const sprite of repos.slice(0, 3)) {
      expect(() => readFileSync(path.join(sprite.root, ".superloop", "active-run.json"))).toThrow();
    }

    writePromotionDrillEvidence(fleet.promotionDrills, promotionDrillEvidence({ completedAt: now }));
    const thresholds = { windowExecutions: "3", minSampleSize: "3" };
    const promoted = await promotionGates(
      { repo: manager.root, traceId: "promo-1", ...thresholds },
      { clock, env, cwd: manager.root },
    );
    expect(promoted.exitCode).toBe(0);
    expect(promoted.document).toMatchObject({ source: { fleetStatusSource: "generated" } });
    expect(promoted.document.summary).toMatchObject({ decision: "promote", failedGates: [] });

    // The governance review is now due within a week: the next policy pass records it, fleet status
    // reports the posture as blocking (spec 23 Q4) and the governance gate holds the promotion.
    writeFileSync(fleet.registry, JSON.stringify(registry(urls, "2026-06-05T00:00:00Z")));
    await fleetPolicy({ repo: manager.root }, ctx);
    const held = await promotionGates(
      { repo: manager.root, traceId: "promo-2", failOnHold: true, ...thresholds },
      { clock, env, cwd: manager.root },
    );
    expect(held.exitCode).toBe(2);
    expect(held.document.summary).toMatchObject({ decision: "hold", failedGates: ["governance"] });
    // "due soon" itself is not mapped (spec 30 §5.1): the posture and the blocking flag hold it.
    expect(held.document.summary.reasonCodes).toEqual([
      "promotion_governance_blocks_autonomous",
      "promotion_governance_posture_not_active",
    ]);
  });
});
