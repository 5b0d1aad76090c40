/**
 * `ops-manager demo`: a simulated fleet managed end to end by the real packages. Each loop run gets
 * its own repository (the runtime runs one loop per repository), written by the testkit's runtime
 * simulation; the manager then reconciles every loop twice — a first pass that ingests the whole
 * history, and an incremental pass after one loop made progress — and reports what it decided.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Clock, opsPaths, systemClock } from "@ops/contract";
import { reconcile } from "@ops/reconcile";
import {
  advanceRunningLoop,
  createDemoFleet,
  DEMO_FLEET,
  type DemoLoop,
  type DemoLoopSpec,
} from "./fleet.js";

export interface DemoOptions {
  /** Where to build the demo (created if missing); default a fresh temp directory. */
  readonly dir?: string | undefined;
  /** The ops-manager install root (holds `config/`), for the bundled threshold catalog. */
  readonly installRoot: string;
  readonly clock?: Clock;
  readonly fleet?: readonly DemoLoopSpec[];
}

export interface DemoLoopReport {
  readonly loopId: string;
  readonly story: string;
  readonly repo: string;
  readonly transport: "local";
  readonly exitCode: number;
  readonly lifecycle: string;
  readonly confidence: string | null;
  readonly health: string;
  readonly reasonCodes: readonly string[];
  readonly eventsIngested: readonly number[];
  readonly failureCode: string | null;
  readonly escalations: number;
  readonly artifacts: string;
}

export interface DemoReport {
  readonly dir: string;
  readonly loops: readonly DemoLoopReport[];
}

function field(document: Record<string, unknown>, ...keys: string[]): unknown {
  let value: unknown = document;
  for (const key of keys) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

async function reconcileLoop(loop: DemoLoop, options: DemoOptions, pass: number) {
  const loopId = loop.spec.loopId;
  const result = await reconcile(
    { repo: loop.repo.root, loop: loopId, traceId: `demo-${loopId}-pass${pass}`, alertsEnabled: "false" },
    { installRoot: options.installRoot, ...(options.clock ? { clock: options.clock } : {}) },
  );
  return result;
}

function countLines(text: string): number {
  return text.split("\n").filter((line) => line.trim().length > 0).length;
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const clock = options.clock ?? systemClock;
  const dir =
    options.dir === undefined
      ? realpathSync(mkdtempSync(path.join(tmpdir(), "ops-manager-demo-")))
      : path.resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const loops = createDemoFleet(dir, clock.now(), options.fleet ?? DEMO_FLEET);

  const ingested = new Map<string, number[]>();
  const lastResult = new Map<string, Awaited<ReturnType<typeof reconcile>>>();
  for (const pass of [1, 2]) {
    if (pass === 2) {
      // Between the passes one running loop makes progress; the rest stay as they were.
      const running = loops.find(
        (loop) => loop.spec.scenario === "running" && loop.spec.corruptEventsLog !== true,
      );
      if (running) advanceRunningLoop(running);
    }
    for (const loop of loops) {
      const result = await reconcileLoop(loop, options, pass);
      lastResult.set(loop.spec.loopId, result);
      const telemetry = readFileSync(opsPaths(loop.repo.root, loop.spec.loopId).telemetry.reconcile, "utf8");
      const last = JSON.parse(telemetry.trim().split("\n").at(-1) ?? "{}") as { eventsIngested?: number };
      ingested.set(loop.spec.loopId, [...(ingested.get(loop.spec.loopId) ?? []), last.eventsIngested ?? 0]);
    }
  }

  const reports = loops.map((loop): DemoLoopReport => {
    const loopId = loop.spec.loopId;
    const result = lastResult.get(loopId);
    const document = (result?.document ?? {}) as Record<string, unknown>;
    const ops = opsPaths(loop.repo.root, loopId);
    const healthDocument = (field(document, "health") ?? document) as Record<string, unknown>;
    const stateText = existsSync(ops.state) ? readFileSync(ops.state, "utf8") : "{}";
    const state = JSON.parse(stateText) as Record<string, unknown>;
    return {
      loopId,
      story: loop.spec.story,
      repo: loop.repo.root,
      transport: "local",
      exitCode: result?.exitCode ?? 1,
      lifecycle: String(field(state, "transition", "currentState") ?? "unknown"),
      confidence: (field(state, "transition", "confidence") as string | undefined) ?? null,
      health: String(field(healthDocument, "status") ?? "unknown"),
      reasonCodes: (field(healthDocument, "reasonCodes") as string[] | undefined) ?? [],
      eventsIngested: ingested.get(loopId) ?? [],
      failureCode: (field(healthDocument, "transport", "failureCode") as string | null | undefined) ?? null,
      escalations: existsSync(ops.escalations) ? countLines(readFileSync(ops.escalations, "utf8")) : 0,
      artifacts: ops.dir,
    };
  });
  return { dir, loops: reports };
}

const COLUMNS = [
  "loop",
  "lifecycle",
  "health",
  "reasons",
  "events (pass 1, 2)",
  "escalations",
  "what happened",
];

/**
 * The human-readable summary printed by `ops-manager demo`. `invocation` is how the reader runs the
 * CLI (e.g. `node apps/cli/dist/index.js`), for the follow-up commands it suggests.
 */
export function formatDemoReport(report: DemoReport, invocation = "ops-manager"): string {
  const rows = report.loops.map((loop) => [
    loop.loopId,
    loop.lifecycle,
    loop.health,
    loop.reasonCodes.length > 0 ? loop.reasonCodes.join(",") : "-",
    loop.eventsIngested.join(", "),
    String(loop.escalations),
    loop.failureCode === null ? loop.story : `${loop.story} (ingest failed: ${loop.failureCode})`,
  ]);
  const widths = COLUMNS.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => (row[index] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join("  ");
  const healthy = report.loops.filter((loop) => loop.health === "healthy").length;
  const example = report.loops[0];
  return [
    "ops-manager demo: a simulated fleet of loop runs, each reconciled twice over the local transport",
    "",
    line(COLUMNS),
    ...rows.map(line),
    "",
    `${report.loops.length} loops: ${healthy} healthy, ${report.loops.length - healthy} needing attention.`,
    `Everything the manager decided is under ${report.dir}/repos/<loop>/.superloop/ops-manager/<loop>/`,
    ...(example
      ? [
          "Try:",
          `  ${invocation} status --repo ${example.repo} --loop ${example.loopId} --format table`,
          `  ${invocation} reconcile --repo ${example.repo} --loop ${example.loopId} --pretty`,
        ]
      : []),
    "",
  ].join("\n");
}
