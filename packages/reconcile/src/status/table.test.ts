import fs from "node:fs";
import { opsPaths, sanitize } from "@ops/contract";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusDocument } from "./schemas.js";
import { loopStatus } from "./status.js";
import { formatStatusTable, statusTone } from "./table.js";
import {
  HEALTH,
  INTENT_ROW,
  INVOCATION_ROW,
  LOOP,
  NOW,
  TRACE,
  writeExampleArtifacts,
  writeJson,
  writeJsonl,
} from "./test-fixtures.js";

const ESC = "\u001b";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI sequences
const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

let sim: SimulatedRepo;

beforeEach(() => {
  sim = createSimulatedRepo();
});

afterEach(async () => {
  await sim.cleanup();
});

async function exampleDocument(): Promise<StatusDocument> {
  const proc = await sim.spawnRunProcess();
  sim.scenario("running", LOOP, { process: { pid: proc.pid, pgid: proc.pgid } });
  writeExampleArtifacts(sim.root);
  return loopStatus(
    { repo: sim.root, loop: LOOP },
    { clock: { now: () => new Date(NOW) }, cwd: sim.root, env: {} },
  );
}

function labels(table: string): string[] {
  return table
    .trimEnd()
    .split("\n")
    .map((line) => line.slice(0, 12).trim());
}

describe("formatStatusTable", () => {
  it("without colour: no escapes, aligned label column, every surface", async () => {
    const document = await exampleDocument();
    const table = formatStatusTable(document, { color: false });
    expect(table).not.toContain(ESC);
    expect(table.endsWith("\n")).toBe(true);
    const lines = table.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(25);
    expect(labels(table)).toEqual([
      "loop",
      "lifecycle",
      "process",
      "health",
      "cursor",
      "reconcile",
      "control",
      "heartbeat",
      "sequence",
      "tuning",
      "drift",
      "alerts",
      "last alert",
      "trace",
    ]);
    // Values start in one column.
    for (const line of lines) expect(line[12]).not.toBe(" ");
    const byLabel = Object.fromEntries(lines.map((line) => [line.slice(0, 12).trim(), line.slice(12)]));
    expect(byLabel["loop"]).toBe(`${LOOP}  ${sim.root}  at ${NOW}`);
    expect(byLabel["lifecycle"]).toBe("running  confidence high  run run-123  iteration 1");
    expect(byLabel["process"]).toMatch(/^alive {2}pid \d+ {2}stage loop_start {2}since \S+Z$/);
    expect(byLabel["health"]).toBe(
      "degraded  runtime_heartbeat_stale  updated 2026-02-22T12:00:02Z  profile balanced",
    );
    expect(byLabel["cursor"]).toBe("offset 2  of 2");
    expect(byLabel["reconcile"]).toBe("success  at 2026-02-22T12:00:03Z  via local  took 3s");
    expect(byLabel["control"]).toBe("no intents");
    expect(byLabel["heartbeat"]).toBe(
      "degraded  runtime_heartbeat_stale  lag 2234d00h  last 2020-01-01T00:00:00Z",
    );
    expect(byLabel["sequence"]).toBe("ok  violations none  snapshot 2  events 2");
    expect(byLabel["tuning"]).toBe("applied balanced  recommended relaxed  (low)  window 200");
    expect(byLabel["drift"]).toBe(
      "insufficient_confidence  streak 0  action collect_more_confident_telemetry",
    );
    expect(byLabel["alerts"]).toBe("success  processed 1  sent 0  skipped 1  failed 0");
    expect(byLabel["last alert"]).toBe(
      "skipped  no_dispatchable_sinks  category health_degraded  severity warning  at 2026-02-22T12:00:05Z",
    );
    expect(byLabel["trace"]).toBe(`shared ${TRACE}`);
  });

  it("with colour: ANSI codes, and the same text once they are stripped", async () => {
    const document = await exampleDocument();
    const coloured = formatStatusTable(document, { color: true });
    expect(coloured).toContain(`${ESC}[`);
    expect(coloured).toContain(`${ESC}[32malive${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[33mdegraded${ESC}[0m`);
    expect(coloured.replace(ANSI_PATTERN, "")).toBe(formatStatusTable(document, { color: false }));
  });

  it("shows control, invocation audit and unavailable visibility on a sparse loop", async () => {
    const ops = opsPaths(sim.root, LOOP);
    writeJson(ops.health, {
      ...HEALTH,
      status: "critical",
      reasonCodes: ["ingest_stale", "transport_unreachable"],
    });
    writeJsonl(ops.intents, [{ ...INTENT_ROW, status: "ambiguous" }]);
    writeJsonl(ops.telemetry.controlInvocations, [
      { ...INVOCATION_ROW, execution: { status: "succeeded", replayed: true } },
    ]);
    const document = await loopStatus({ repo: sim.root, loop: LOOP }, { cwd: sim.root, env: {} });
    const table = formatStatusTable(document, { color: false });
    const byLabel = Object.fromEntries(
      table
        .trimEnd()
        .split("\n")
        .map((line) => [line.slice(0, 12).trim(), line.slice(12)]),
    );
    expect(byLabel["lifecycle"]).toBe("unknown");
    expect(byLabel["health"]).toContain("critical  ingest_stale, transport_unreachable");
    expect(byLabel["control"]).toBe("cancel  ambiguous  by alice  at 2026-02-22T10:10:02Z");
    expect(byLabel["invocation"]).toBe(
      "reject  exec succeeded  confirm skipped  outcome executed_unconfirmed  replayed",
    );
    expect(byLabel["heartbeat"]).toBe("unavailable");
    expect(byLabel["sequence"]).toBe("unavailable");
    expect(byLabel["reconcile"]).toBe("—");
    expect(byLabel["tuning"]).toBe("applied balanced  recommended —  window 200");
    expect(byLabel["alerts"]).toBe("none");
    expect(byLabel["trace"]).toBe("shared trace-control-local-1");
    expect(byLabel["process"]).toBe("unknown  (runtime_files_not_local)");
    expect(byLabel["drift"]).toBeUndefined();
    const coloured = formatStatusTable(document, { color: true });
    expect(coloured).toContain(`${ESC}[31mcritical${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[33mambiguous${ESC}[0m`);
  });

  it("never lets artifact values inject escapes or line breaks", async () => {
    const ops = opsPaths(sim.root, LOOP);
    writeJson(ops.state, {
      transition: { currentState: `${ESC}[31mrunning\nfake-line` },
      run: { runId: `${ESC}]0;title\u0007` },
    });
    fs.mkdirSync(ops.dir, { recursive: true });
    const document = await loopStatus({ repo: sim.root, loop: LOOP }, { cwd: sim.root, env: {} });
    const table = formatStatusTable(document, { color: false });
    expect(table).not.toContain(ESC);
    expect(table).not.toContain("\u0007");
    expect(table.split("\n").some((line) => line.startsWith("fake-line"))).toBe(false);
    expect(table).toContain("?[31mrunning?fake-line");
  });
});

describe("table helpers", () => {
  it("statusTone", () => {
    expect(statusTone("healthy")).toBe("good");
    expect(statusTone("degraded")).toBe("warn");
    expect(statusTone("critical")).toBe("bad");
    expect(statusTone("dead")).toBe("bad");
    expect(statusTone(null)).toBe("muted");
    expect(statusTone("something-else")).toBe("plain");
  });

  it("sanitize", () => {
    expect(sanitize("a\tb\u009bc")).toBe("a?b?c");
    expect(sanitize(12)).toBe("12");
  });
});
