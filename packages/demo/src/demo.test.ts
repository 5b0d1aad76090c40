// The demo end to end: the simulated fleet reconciled by the real pipeline, asserted loop by loop.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { formatDemoReport, runDemo } from "./demo.js";

const installRoot = fileURLToPath(new URL("../../../", import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("ops-manager demo", () => {
  it("reconciles every simulated loop and reports what the manager decided", async () => {
    const temp = makeTempDir("ops-demo-test-");
    cleanups.push(() => rmSync(temp.path, { recursive: true, force: true }));
    const clock = { now: () => new Date("2026-06-01T12:00:00Z") };
    const report = await runDemo({ dir: temp.path, installRoot, clock });
    const byLoop = Object.fromEntries(report.loops.map((loop) => [loop.loopId, loop]));

    expect(Object.keys(byLoop)).toEqual(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]);
    expect(byLoop["alpha"]).toMatchObject({
      transport: "local",
      lifecycle: ["running", "running"],
      health: "healthy",
      exitCode: 0,
    });
    // bravo and charlie are read through real sprite services on 127.0.0.1; bravo is approved
    // through its service between the passes, and the runtime's recorded decision confirms it.
    expect(byLoop["bravo"]).toMatchObject({
      transport: "sprite_service",
      lifecycle: ["awaiting_approval", "idle"],
      health: "healthy",
      exitCode: 0,
    });
    expect(report.controls).toEqual([
      { loopId: "bravo", intent: "approve", transport: "sprite_service", status: "confirmed", exitCode: 0 },
    ]);
    expect(byLoop["charlie"]).toMatchObject({
      transport: "sprite_service",
      lifecycle: ["complete", "complete"],
    });
    expect(byLoop["delta"]).toMatchObject({ lifecycle: ["stopped", "stopped"] });
    expect(byLoop["echo"]).toMatchObject({ lifecycle: ["failed", "failed"] });
    expect(byLoop["foxtrot"]).toMatchObject({ health: "critical", reasonCodes: ["runtime_heartbeat_stale"] });
    expect(byLoop["golf"]).toMatchObject({
      exitCode: 1,
      health: "degraded",
      reasonCodes: ["transport_unreachable"],
      failureCode: "snapshot_unavailable",
    });

    // Pass 1 ingests each history; pass 2 ingests only what the advanced loop wrote since.
    for (const loop of report.loops.filter((loop) => loop.loopId !== "golf")) {
      expect(loop.eventsIngested[0]).toBeGreaterThan(0);
      // alpha made progress; bravo got the runtime's approval_decision event.
      if (loop.loopId !== "alpha" && loop.loopId !== "bravo") expect(loop.eventsIngested[1]).toBe(0);
    }
    expect(byLoop["alpha"]?.eventsIngested[1]).toBeGreaterThan(0);
    expect(byLoop["foxtrot"]?.escalations).toBe(1);
    // Every escalation went to the local webhook receiver, once.
    expect(report.alerts).toEqual([
      { loopId: "foxtrot", category: "health_critical", severity: "critical" },
      { loopId: "golf", category: "health_degraded", severity: "warning" },
    ]);

    const summary = formatDemoReport(report, "node cli.js");
    expect(summary).toContain("7 loops: 5 healthy, 2 needing attention.");
    expect(summary).toContain(
      `node cli.js status --repo ${byLoop["alpha"]?.managerRepo} --loop alpha --format table`,
    );
    expect(summary).toContain("control: approve bravo via sprite_service → confirmed (exit 0)");
  });
});
