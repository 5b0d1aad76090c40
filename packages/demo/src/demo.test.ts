// The demo end to end: the simulated fleet managed by the real packages, asserted loop by loop.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FleetRegistrySchema, fleetPaths } from "@ops/contract";
import { makeTempDir } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { formatDemoReport, runDemo } from "./demo.js";
import { createDemoFleet, demoRegistry } from "./fleet.js";

const installRoot = fileURLToPath(new URL("../../../", import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("ops-manager demo", () => {
  it("runs the fleet through reconcile, policy, handoff and status and reports what the manager decided", async () => {
    const temp = makeTempDir("ops-demo-test-");
    cleanups.push(() => rmSync(temp.path, { recursive: true, force: true }));
    const clock = { now: () => new Date("2026-06-01T12:00:00Z") };
    const report = await runDemo({ dir: temp.path, installRoot, clock });
    const byLoop = Object.fromEntries(report.loops.map((loop) => [loop.loopId, loop]));

    expect(Object.keys(byLoop)).toEqual(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]);
    expect(byLoop["alpha"]).toMatchObject({
      transport: "local",
      reconcile: ["success", "success"],
      lifecycle: ["running", "running"],
      health: "healthy",
    });
    // bravo is approved through its sprite service between the passes; the runtime's recorded
    // decision confirms it.
    expect(byLoop["bravo"]).toMatchObject({
      transport: "sprite_service",
      lifecycle: ["awaiting_approval", "idle"],
      health: "healthy",
    });
    expect(byLoop["charlie"]).toMatchObject({ lifecycle: ["complete", "complete"] });
    expect(byLoop["delta"]).toMatchObject({ lifecycle: ["stopped", "stopped"] });
    expect(byLoop["echo"]).toMatchObject({ lifecycle: ["failed", "failed"] });
    // foxtrot's stale heartbeat makes it critical; the operator-confirmed cancel removed its run
    // (cancel writes no event, so the projection reads unknown, spec 12).
    expect(byLoop["foxtrot"]).toMatchObject({
      lifecycle: ["running", "unknown"],
      health: "critical",
      reasonCodes: ["runtime_heartbeat_stale"],
      escalations: 1,
    });
    expect(existsSync(path.join(temp.path, "sprites", "foxtrot", ".superloop", "active-run.json"))).toBe(
      false,
    );
    expect(existsSync(path.join(temp.path, "sprites", "golf", ".superloop", "active-run.json"))).toBe(true);
    expect(byLoop["golf"]).toMatchObject({
      reconcile: ["failed", "failed"],
      health: "degraded",
      reasonCodes: ["transport_unreachable"],
    });
    expect(report.fleetPasses).toEqual([
      { status: "partial_failure", reasonCodes: ["fleet_health_critical", "fleet_partial_failure"] },
      { status: "partial_failure", reasonCodes: ["fleet_health_critical", "fleet_partial_failure"] },
    ]);

    // Pass 1 ingests each history; pass 2 only what changed since: alpha's progress and bravo's
    // approval_decision event.
    for (const loop of report.loops.filter((loop) => loop.loopId !== "golf")) {
      expect(loop.eventsIngested[0]).toBeGreaterThan(0);
      if (loop.loopId === "alpha" || loop.loopId === "bravo")
        expect(loop.eventsIngested[1]).toBeGreaterThan(0);
      else expect(loop.eventsIngested[1]).toBe(0);
    }

    // Policy: golf's degraded signal is suppressed by the registry; foxtrot's critical signal is
    // eligible for autonomy, golf's failure is over the per-run cap (manual only).
    expect(report.policy).toMatchObject({
      candidates: ["foxtrot:health_critical", "golf:health_degraded", "golf:reconcile_failed"],
      suppressed: ["golf:health_degraded"],
      autoEligible: ["foxtrot:health_critical"],
    });
    expect(report.policy.table).toContain("autonomous_max_actions_per_run_exceeded");
    expect(report.handoff.intents).toEqual([
      "foxtrot:health_critical:cancel",
      "golf:reconcile_failed:cancel",
    ]);
    expect(report.controls).toEqual([
      {
        loopId: "bravo",
        intent: "approve",
        transport: "sprite_service",
        via: "control",
        status: "confirmed",
        exitCode: 0,
      },
      {
        loopId: "foxtrot",
        intent: "cancel",
        transport: "sprite_service",
        via: "fleet handoff",
        status: "executed",
        exitCode: 0,
      },
    ]);
    const handoffState = JSON.parse(readFileSync(fleetPaths(report.managerRepo).handoffState, "utf8"));
    expect(handoffState.execution).toMatchObject({
      mode: "manual",
      requestedBy: "demo-operator",
      executedCount: 1,
    });

    // Every escalation went to the local webhook receiver, once (loops run in parallel).
    expect([...report.alerts].sort((a, b) => a.loopId.localeCompare(b.loopId))).toEqual([
      { loopId: "foxtrot", category: "health_critical", severity: "critical" },
      { loopId: "golf", category: "health_degraded", severity: "warning" },
    ]);

    // The promotion dry run holds: no autonomous execution has happened yet, so the outcome
    // reliability gate has no sample.
    expect(report.promotion).toMatchObject({
      status: "preview",
      decision: "hold",
      failedGates: ["outcome_reliability"],
      reasonCodes: ["promotion_autonomous_sample_insufficient"],
    });
    expect(existsSync(report.promotion.summaryFile)).toBe(true);
    expect(report.fleetTable).toMatch(
      /foxtrot\s+sprite_service\s+unknown\s+critical\s+runtime_heartbeat_stale/,
    );
    const summary = formatDemoReport(report, "node cli.js");
    expect(summary).toContain("7 loops: 5 healthy, 2 needing attention.");
    expect(summary).toContain(`node cli.js fleet status --repo ${report.managerRepo} --format table`);
    expect(summary).toContain("approve bravo via sprite_service → confirmed (exit 0)");
    expect(summary).toContain("cancel foxtrot via sprite_service → executed (exit 0)");
    expect(summary).toContain("5. promotion orchestrate --mode dry_run: preview, decision hold");
  });
});

describe("demoRegistry", () => {
  it("is a valid fleet registry with whole-second governance timestamps, also from a clock with milliseconds", () => {
    const temp = makeTempDir("ops-demo-registry-");
    cleanups.push(() => rmSync(temp.path, { recursive: true, force: true }));
    const now = new Date("2026-06-01T12:00:00.789Z");
    const loops = createDemoFleet(temp.path, now);
    const serviceUrls = new Map(loops.map((loop) => [loop.spec.loopId, "http://127.0.0.1:1"]));
    const registry = FleetRegistrySchema.parse(demoRegistry(loops, { now, serviceUrls }));
    expect(registry.policy?.autonomous?.governance).toMatchObject({
      changedAt: "2026-05-31T12:00:00Z",
      reviewBy: "2026-07-01T12:00:00Z",
    });
  });
});

describe("runDemo --dir", () => {
  it("refuses a directory that is not empty (a second demo would append to the first one's logs)", async () => {
    const temp = makeTempDir("ops-demo-dir-");
    cleanups.push(() => rmSync(temp.path, { recursive: true, force: true }));
    writeFileSync(path.join(temp.path, "keep.txt"), "mine\n");
    await expect(runDemo({ dir: temp.path, installRoot })).rejects.toThrow(
      `demo directory is not empty: ${temp.path} (pass a new or empty --dir)`,
    );
    expect(readFileSync(path.join(temp.path, "keep.txt"), "utf8")).toBe("mine\n");
    await expect(runDemo({ dir: path.join(temp.path, "keep.txt"), installRoot })).rejects.toThrow(
      `cannot use demo directory ${path.join(temp.path, "keep.txt")} (ENOTDIR)`,
    );
  });
});
