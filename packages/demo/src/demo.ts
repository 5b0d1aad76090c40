/**
 * `ops-manager demo`: a simulated fleet managed end to end by the real packages. Each loop run gets
 * its own repository (the runtime runs one loop per repository), written by the testkit's runtime
 * simulation. Local loops are read from their repository; sprite-hosted loops are read through a
 * real sprite service on 127.0.0.1. The manager reconciles every loop, an operator approves the
 * loop that waits for approval (through its sprite service, confirmed by the runtime's recorded
 * decision), and a second, incremental pass shows what changed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Clock, opsPaths, systemClock } from "@ops/contract";
import { controlIntent, reconcile } from "@ops/reconcile";
import { superloopBinPath } from "@ops/testkit";
import {
  DEMO_WEBHOOK_URL_ENV,
  type DeliveredAlert,
  startDemoWebhook,
  writeDemoAlertConfig,
} from "./alerts.js";
import {
  advanceRunningLoop,
  createDemoFleet,
  DEMO_FLEET,
  type DemoLoop,
  type DemoLoopSpec,
} from "./fleet.js";
import { type DemoService, startDemoService } from "./services.js";

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
  readonly transport: "local" | "sprite_service";
  /** Where the manager's artifacts of this loop are (`--repo` for status/reconcile). */
  readonly managerRepo: string;
  readonly exitCode: number;
  readonly lifecycle: readonly string[];
  readonly health: string;
  readonly reasonCodes: readonly string[];
  readonly eventsIngested: readonly number[];
  readonly failureCode: string | null;
  readonly escalations: number;
}

export interface DemoControlReport {
  readonly loopId: string;
  readonly intent: string;
  readonly transport: string;
  readonly status: string;
  readonly exitCode: number;
}

export interface DemoReport {
  readonly dir: string;
  readonly loops: readonly DemoLoopReport[];
  readonly controls: readonly DemoControlReport[];
  /** Escalations the local webhook receiver accepted, in delivery order. */
  readonly alerts: readonly DeliveredAlert[];
}

function field(document: unknown, ...keys: string[]): unknown {
  let value: unknown = document;
  for (const key of keys) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0).length;
}

interface ManagedLoop {
  readonly loop: DemoLoop;
  readonly transport: "local" | "sprite_service";
  readonly managerRepo: string;
  readonly service: DemoService | null;
}

function serviceFlags(managed: ManagedLoop) {
  return managed.service === null
    ? {}
    : {
        transport: "sprite_service",
        serviceBaseUrl: managed.service.baseUrl,
        serviceToken: managed.service.token,
        retryBackoffSeconds: "0",
      };
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const clock = options.clock ?? systemClock;
  const dir =
    options.dir === undefined
      ? realpathSync(mkdtempSync(path.join(tmpdir(), "ops-manager-demo-")))
      : path.resolve(options.dir);
  const managerRepo = path.join(dir, "manager");
  mkdirSync(managerRepo, { recursive: true });
  const loops = createDemoFleet(dir, clock.now(), options.fleet ?? DEMO_FLEET);

  const managed: ManagedLoop[] = [];
  const webhook = await startDemoWebhook();
  const alertConfigFile = writeDemoAlertConfig(dir);
  try {
    for (const loop of loops) {
      const onSprite = loop.spec.transport === "sprite_service";
      managed.push({
        loop,
        transport: onSprite ? "sprite_service" : "local",
        managerRepo: onSprite ? managerRepo : loop.repo.root,
        service: onSprite ? await startDemoService(loop.repo.root, options.installRoot) : null,
      });
    }
    const env = { ...process.env, [DEMO_WEBHOOK_URL_ENV]: webhook.url };
    const ctx = { installRoot: options.installRoot, clock, env };
    const lifecycles = new Map<string, string[]>();
    const ingested = new Map<string, number[]>();
    const results = new Map<string, Awaited<ReturnType<typeof reconcile>>>();
    const controls: DemoControlReport[] = [];

    const pass = async (number: number) => {
      for (const item of managed) {
        const loopId = item.loop.spec.loopId;
        const result = await reconcile(
          {
            repo: item.managerRepo,
            loop: loopId,
            traceId: `demo-${loopId}-pass${number}`,
            alertsEnabled: "true",
            alertConfigFile,
            ...serviceFlags(item),
          },
          ctx,
        );
        results.set(loopId, result);
        const ops = opsPaths(item.managerRepo, loopId);
        const telemetry = readFileSync(ops.telemetry.reconcile, "utf8").trim().split("\n");
        const row = JSON.parse(telemetry.at(-1) ?? "{}") as { eventsIngested?: number };
        ingested.set(loopId, [...(ingested.get(loopId) ?? []), row.eventsIngested ?? 0]);
        const state = existsSync(ops.state) ? JSON.parse(readFileSync(ops.state, "utf8")) : {};
        const lifecycle = String(field(state, "transition", "currentState") ?? "unknown");
        lifecycles.set(loopId, [...(lifecycles.get(loopId) ?? []), lifecycle]);
      }
    };

    await pass(1);
    // The operator approves every loop that waits for approval, through its own transport; the
    // runtime records the decision and control confirms it from that evidence.
    for (const item of managed) {
      if (lifecycles.get(item.loop.spec.loopId)?.at(-1) !== "awaiting_approval") continue;
      const outcome = await controlIntent(
        {
          repo: item.managerRepo,
          loop: item.loop.spec.loopId,
          intent: "approve",
          by: "demo-operator",
          note: "looks good",
          timeoutSeconds: "5",
          intervalSeconds: "1",
          ...serviceFlags(item),
        },
        { ...ctx, env: { ...env, SUPERLOOP_BIN: superloopBinPath() }, stderr: () => {} },
      );
      controls.push({
        loopId: item.loop.spec.loopId,
        intent: "approve",
        transport: item.transport,
        status: String(outcome.intent.status),
        exitCode: outcome.exitCode,
      });
    }
    // Between the passes one running loop makes progress; the rest stay as they were.
    const running = managed.find(
      (item) => item.loop.spec.scenario === "running" && item.loop.spec.corruptEventsLog !== true,
    );
    if (running) advanceRunningLoop(running.loop);
    await pass(2);

    const reports = managed.map((item): DemoLoopReport => {
      const loopId = item.loop.spec.loopId;
      const result = results.get(loopId);
      const document = result?.document ?? {};
      const healthDocument = field(document, "health") ?? document;
      return {
        loopId,
        story: item.loop.spec.story,
        transport: item.transport,
        managerRepo: item.managerRepo,
        exitCode: result?.exitCode ?? 1,
        lifecycle: lifecycles.get(loopId) ?? [],
        health: String(field(healthDocument, "status") ?? "unknown"),
        reasonCodes: (field(healthDocument, "reasonCodes") as string[] | undefined) ?? [],
        eventsIngested: ingested.get(loopId) ?? [],
        failureCode: (field(healthDocument, "transport", "failureCode") as string | null | undefined) ?? null,
        escalations: countLines(opsPaths(item.managerRepo, loopId).escalations),
      };
    });
    return { dir, loops: reports, controls, alerts: [...webhook.delivered] };
  } finally {
    await Promise.all(managed.map((item) => item.service?.close()));
    await webhook.close();
  }
}

const COLUMNS = ["loop", "transport", "lifecycle", "health", "reasons", "events", "esc", "what happened"];

/** `a → b` when a value changed between the passes, else `a`. */
function transition(values: readonly string[]): string {
  const distinct = values.filter((value, index) => index === 0 || value !== values[index - 1]);
  return distinct.join(" → ");
}

/**
 * The human-readable summary printed by `ops-manager demo`. `invocation` is how the reader runs the
 * CLI (e.g. `node apps/cli/dist/index.js`), for the follow-up commands it suggests.
 */
export function formatDemoReport(report: DemoReport, invocation = "ops-manager"): string {
  const rows = report.loops.map((loop) => [
    loop.loopId,
    loop.transport,
    transition(loop.lifecycle),
    loop.health,
    loop.reasonCodes.length > 0 ? loop.reasonCodes.join(",") : "-",
    loop.eventsIngested.join(" + "),
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
  const sprites = report.loops.filter((loop) => loop.transport === "sprite_service").length;
  const example = report.loops[0];
  return [
    "ops-manager demo: a simulated fleet of loop runs, managed end to end",
    `(${report.loops.length - sprites} read from local repositories, ${sprites} through sprite services on 127.0.0.1;`,
    " each reconciled, then reconciled again after an approval and some progress)",
    "",
    line(COLUMNS),
    ...rows.map(line),
    "",
    ...report.controls.map(
      (control) =>
        `control: ${control.intent} ${control.loopId} via ${control.transport} → ${control.status} (exit ${control.exitCode})`,
    ),
    `${report.loops.length} loops: ${healthy} healthy, ${report.loops.length - healthy} needing attention.`,
    `alerts delivered to the local webhook: ${
      report.alerts.length === 0
        ? "none"
        : report.alerts.map((alert) => `${alert.category} (${alert.loopId}, ${alert.severity})`).join(", ")
    }`,
    `Manager artifacts: ${report.dir}/repos/<loop>/.superloop/ops-manager/<loop>/ (local loops),`,
    `                   ${report.dir}/manager/.superloop/ops-manager/<loop>/ (sprite-hosted loops)`,
    ...(example
      ? [
          "Try:",
          `  ${invocation} status --repo ${example.managerRepo} --loop ${example.loopId} --format table`,
          `  ${invocation} reconcile --repo ${example.managerRepo} --loop ${example.loopId} --pretty`,
        ]
      : []),
    "",
  ].join("\n");
}
