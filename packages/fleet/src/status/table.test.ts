import { fileURLToPath } from "node:url";
import { type Clock, opsPaths, sanitize } from "@ops/contract";
import { notConfiguredAlertDispatch } from "@ops/reconcile";
import { createSimulatedRepo, type SimulatedRepo, writeFleetRegistry } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fleetReconcile } from "../reconcile/fleet-reconcile.js";
import { fleetStatus } from "./fleet-status.js";
import { projectFleetStatus } from "./project.js";
import type { FleetStatusDocument } from "./schemas.js";
import { readFleetStatusLoopDetails, renderFleetStatusTable } from "./table.js";
import { fleetState, NOW, policyState, result } from "./test-fixtures.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const ESC = "\u001b";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI sequences
const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

let repo: SimulatedRepo;

beforeEach(() => {
  repo = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:30Z" });
});

afterEach(async () => {
  await repo.cleanup();
});

function project(fields: Partial<Parameters<typeof projectFleetStatus>[0]> = {}): FleetStatusDocument {
  return projectFleetStatus({
    generatedAt: NOW,
    repoPath: "/repo",
    registryFleetId: null,
    fleetState: fleetState(),
    policyState: null,
    handoffState: null,
    latestTelemetry: null,
    latestHandoffTelemetry: null,
    files: {
      registryFile: "r",
      fleetStateFile: "s",
      policyStateFile: "p",
      fleetTelemetryFile: "t",
      handoffStateFile: "h",
      handoffTelemetryFile: "ht",
    },
    ...fields,
  });
}

describe("renderFleetStatusTable", () => {
  it("a real fleet: header, one row per loop with lifecycle and age from the loop's state file", async () => {
    repo.scenario("running", "alpha");
    writeFleetRegistry(repo.root, {
      schemaVersion: "v1",
      fleetId: "fleet-east",
      loops: [{ loopId: "alpha" }, { loopId: "ghost" }, { loopId: "off", enabled: false }],
    });
    const reconciledAt: Clock = { now: () => new Date("2026-02-22T12:00:00Z") };
    await fleetReconcile(
      { repo: repo.root, traceId: "fx-1" },
      {
        clock: reconciledAt,
        env: {},
        cwd: repo.root,
        installRoot: INSTALL_ROOT,
        reconcileContext: { alertDispatch: notConfiguredAlertDispatch },
      },
    );
    // Status three minutes later.
    const doc = await fleetStatus(
      { repo: repo.root },
      { clock: { now: () => new Date("2026-02-22T12:03:05Z") }, env: {}, cwd: repo.root },
    );
    const details = await readFleetStatusLoopDetails(doc);
    const alphaState = JSON.parse(
      (await import("node:fs")).readFileSync(opsPaths(repo.root, "alpha").state, "utf8"),
    );
    expect(details[0]).toEqual({
      lifecycle: alphaState.transition.currentState,
      updatedAt: alphaState.generatedAt,
    });
    expect(details[2]).toEqual({ lifecycle: null, updatedAt: null }); // skipped: never reconciled

    const table = renderFleetStatusTable(doc, { color: false, loopDetails: details });
    expect(table).not.toContain(ESC);
    expect(table.endsWith("\n")).toBe(true);
    const lines = table.trimEnd().split("\n");
    expect(lines[0]).toBe(`fleet     fleet-east  partial_failure  ${doc.fleet.reasonCodes.join(", ")}`);
    expect(lines[1]).toBe("loops     3  success 1  failed 1  skipped 1");
    expect(lines[2]).toMatch(/^health {4}healthy \d+ {2}degraded \d+ {2}critical \d+ {2}unknown \d+$/);
    expect(lines[3]).toBe("updated   2026-02-22T12:00:00Z  (3m05s ago)  trace fx-1");
    expect(lines[4]).toBe("");
    expect(lines[5]).toMatch(/^LOOP {3}TRANSPORT {2}LIFECYCLE +HEALTH +REASON +AGE$/);
    const rows = lines.slice(6).map((line) => line.split(/ {2,}/));
    expect(rows.map((cells) => cells[0])).toEqual(["alpha", "ghost", "off"]);
    expect(rows[0]?.slice(1, 3)).toEqual(["local", alphaState.transition.currentState]);
    expect(rows[0]?.at(-1)).toMatch(/^3m0\ds$/);
    expect(rows[1]?.[4]).toBe("transport_unreachable");
    expect(rows[2]).toEqual(["off", "local", "—", "unknown", "loop_disabled", "—"]);
    // Columns line up: every row's health column starts where the header's does.
    const healthAt = lines[5]?.indexOf("HEALTH");
    for (const line of lines.slice(6)) expect(line[(healthAt ?? 0) - 1]).toBe(" ");
  });

  it("colour only when asked: ANSI codes, same text once stripped", () => {
    const doc = project({ policyState: policyState() });
    const plain = renderFleetStatusTable(doc, { color: false });
    const coloured = renderFleetStatusTable(doc, { color: true });
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(`${ESC}[31mcritical${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[32mhealthy${ESC}[0m`);
    expect(coloured.replace(ANSI_PATTERN, "")).toBe(plain);
    expect(plain).toContain("autonomy  guarded_auto  governance active  paused no  eligible 1  backlog 1");
  });

  it("lifecycle falls back to the loop details; hostile values cannot inject escapes; no loops", () => {
    const doc = project({
      fleetState: { results: [result("evil\u001b[31m", { transitionState: null, reasonCode: "x\u0007" })] },
    });
    const table = renderFleetStatusTable(doc, {
      color: false,
      now: new Date("2026-03-02T10:10:00Z"),
      loopDetails: [{ lifecycle: "awaiting_approval", updatedAt: "2026-03-02T10:00:00Z" }],
    });
    expect(table).not.toContain(ESC);
    const row = table.trimEnd().split("\n").at(-1)?.split(/ {2,}/);
    expect(row).toEqual(["evil?[31m", "local", "awaiting_approval", "healthy", "x?", "10m00s"]);
    const empty = renderFleetStatusTable(project({ fleetState: {} }), { color: false });
    expect(empty.trimEnd().split("\n").at(-1)).toBe("no loop results");
    expect(empty).toContain("updated   —");
  });

  it("helpers", () => {
    expect(sanitize("a\u009bb\u007f")).toBe("a?b?");
  });
});
