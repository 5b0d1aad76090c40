/**
 * `ops-manager demo`: a simulated fleet managed end to end by the real packages. The testkit's
 * runtime simulation writes each loop's artifacts; the manager's own repository hosts one local
 * loop and every other loop runs on a simulated sprite host behind a real sprite service on
 * 127.0.0.1. The demo then does what an operator would: reconcile the fleet, read the fleet table,
 * approve the loop that waits for approval, run a policy pass and a handoff plan, confirm the
 * handoff's cancel of the critical loop, reconcile again, and dry-run a promotion over the
 * evidence the fleet produced.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Clock, errnoCode, fleetPaths, opsPaths, systemClock, ValidationError } from "@ops/contract";
import {
  type FleetLoopResult,
  type FleetReconcileState,
  fleetHandoff,
  fleetPolicy,
  fleetReconcile,
  fleetStatus,
  formatHandoffTable,
  readFleetStatusLoopDetails,
  renderFleetStatusTable,
} from "@ops/fleet";
import { formatPolicyTable } from "@ops/policy";
import { promotionOrchestrate } from "@ops/promotion";
import { controlIntent } from "@ops/reconcile";
import { promotionDrillEvidence, superloopBinPath, writePromotionDrillEvidence } from "@ops/testkit";
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
  demoRegistry,
  serviceTokenEnv,
} from "./fleet.js";
import { type DemoService, startDemoService } from "./services.js";

export interface DemoOptions {
  /** Where to build the demo (created if missing); default a fresh temp directory. */
  readonly dir?: string | undefined;
  /** The ops-manager install root (holds `config/`), for the bundled catalogs. */
  readonly installRoot: string;
  readonly clock?: Clock;
  readonly fleet?: readonly DemoLoopSpec[];
}

export interface DemoLoopReport {
  readonly loopId: string;
  readonly story: string;
  readonly transport: "local" | "sprite_service";
  /** Per fleet pass: the loop's reconcile result status (`success` | `failed` | `skipped`). */
  readonly reconcile: readonly string[];
  /** Per fleet pass: the projected lifecycle state (`unknown` when the reconcile failed). */
  readonly lifecycle: readonly string[];
  readonly health: string;
  readonly reasonCodes: readonly string[];
  /** Per fleet pass: events ingested by that pass. */
  readonly eventsIngested: readonly number[];
  readonly escalations: number;
}

export interface DemoControlReport {
  readonly loopId: string;
  readonly intent: string;
  readonly transport: string;
  /** `control` (per-loop control) or `fleet handoff`. */
  readonly via: string;
  readonly status: string;
  readonly exitCode: number;
}

export interface DemoReport {
  readonly dir: string;
  /** The fleet's repository: `--repo` for every fleet command. */
  readonly managerRepo: string;
  readonly loops: readonly DemoLoopReport[];
  /** Per fleet pass: the rollup status and reason codes. */
  readonly fleetPasses: readonly { readonly status: string; readonly reasonCodes: readonly string[] }[];
  readonly controls: readonly DemoControlReport[];
  /** Escalations the local webhook receiver accepted, in delivery order. */
  readonly alerts: readonly DeliveredAlert[];
  /** The policy pass after the first fleet reconcile. */
  readonly policy: {
    readonly candidates: readonly string[];
    readonly suppressed: readonly string[];
    readonly autoEligible: readonly string[];
    readonly reasonCodes: readonly string[];
    readonly table: string;
  };
  /** The handoff plan built from that policy pass. */
  readonly handoff: {
    readonly intents: readonly string[];
    readonly reasonCodes: readonly string[];
    readonly table: string;
  };
  /** `fleet status --format table` after the second fleet reconcile. */
  readonly fleetTable: string;
  /** `promotion orchestrate --mode dry_run` over the evidence the fleet produced. */
  readonly promotion: {
    readonly status: string;
    readonly decision: string;
    readonly failedGates: readonly string[];
    readonly reasonCodes: readonly string[];
    readonly summaryFile: string;
  };
}

function countLines(file: string): number {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim().length > 0).length;
  } catch {
    return 0;
  }
}

/** Events ingested by the last per-loop reconcile (its telemetry row), 0 when it failed before ingesting. */
function lastEventsIngested(managerRepo: string, loopId: string): number {
  try {
    const lines = readFileSync(opsPaths(managerRepo, loopId).telemetry.reconcile, "utf8").trim().split("\n");
    const row = JSON.parse(lines.at(-1) ?? "{}") as { eventsIngested?: unknown };
    return typeof row.eventsIngested === "number" ? row.eventsIngested : 0;
  } catch {
    return 0;
  }
}

interface ManagedLoop {
  readonly loop: DemoLoop;
  readonly service: DemoService | null;
}

function controlFlags(managed: ManagedLoop) {
  return managed.service === null
    ? {}
    : {
        transport: "sprite_service",
        serviceBaseUrl: managed.service.baseUrl,
        serviceToken: managed.service.token,
        retryBackoffSeconds: "0",
      };
}

/**
 * A `--dir` must be new or empty: the simulated runtime appends to the event logs it finds, so a
 * second demo in the same directory would mix two fleets (and trip over the first one's corrupt
 * line). Returns `dir`.
 */
function assertFreshDemoDir(dir: string): string {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return dir;
    throw new ValidationError(`cannot use demo directory ${dir} (${errnoCode(error) ?? String(error)})`);
  }
  if (entries.length > 0) {
    throw new ValidationError(`demo directory is not empty: ${dir} (pass a new or empty --dir)`);
  }
  return dir;
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const clock = options.clock ?? systemClock;
  const dir =
    options.dir === undefined
      ? realpathSync(mkdtempSync(path.join(tmpdir(), "ops-manager-demo-")))
      : assertFreshDemoDir(path.resolve(options.dir));
  const managerRepo = path.join(dir, "manager");
  mkdirSync(managerRepo, { recursive: true });
  const loops = createDemoFleet(dir, clock.now(), options.fleet ?? DEMO_FLEET);

  const managed: ManagedLoop[] = [];
  const webhook = await startDemoWebhook();
  const alertConfigFile = writeDemoAlertConfig(dir);
  try {
    const tokens: Record<string, string> = {};
    const serviceUrls = new Map<string, string>();
    for (const loop of loops) {
      const service =
        loop.transport === "sprite_service"
          ? await startDemoService(loop.repo.root, options.installRoot)
          : null;
      if (service !== null) {
        tokens[serviceTokenEnv(loop.spec.loopId)] = service.token;
        serviceUrls.set(loop.spec.loopId, service.baseUrl);
      }
      managed.push({ loop, service });
    }
    const registry = demoRegistry(loops, { now: clock.now(), serviceUrls });
    const fleet = fleetPaths(managerRepo);
    mkdirSync(path.dirname(fleet.registry), { recursive: true });
    writeFileSync(fleet.registry, `${JSON.stringify(registry, null, 2)}\n`);

    const env = {
      ...process.env,
      ...tokens,
      [DEMO_WEBHOOK_URL_ENV]: webhook.url,
      OPS_MANAGER_ALERTS_ENABLED: "true",
      OPS_MANAGER_ALERT_SINKS_FILE: alertConfigFile,
      SUPERLOOP_BIN: superloopBinPath(),
    };
    const ctx = { installRoot: options.installRoot, clock, env, cwd: managerRepo };
    const passes: FleetReconcileState[] = [];
    const ingested = new Map<string, number[]>();
    const controls: DemoControlReport[] = [];

    const pass = async (number: number) => {
      const state = await fleetReconcile(
        { repo: managerRepo, traceId: `demo-pass${number}`, maxParallel: "4", deterministicOrder: true },
        ctx,
      );
      passes.push(state);
      for (const result of state.results) {
        const events = result.status === "success" ? lastEventsIngested(managerRepo, result.loopId) : 0;
        ingested.set(result.loopId, [...(ingested.get(result.loopId) ?? []), events]);
      }
      return state;
    };

    const first = await pass(1);
    // The operator approves every loop that waits for approval, through its own transport; the
    // runtime records the decision and control confirms it from that evidence.
    for (const item of managed) {
      const result = first.results.find((entry) => entry.loopId === item.loop.spec.loopId);
      if (result?.transitionState !== "awaiting_approval") continue;
      const outcome = await controlIntent(
        {
          repo: managerRepo,
          loop: item.loop.spec.loopId,
          intent: "approve",
          by: "demo-operator",
          note: "looks good",
          timeoutSeconds: "5",
          intervalSeconds: "1",
          ...controlFlags(item),
        },
        { ...ctx, stderr: () => {} },
      );
      controls.push({
        loopId: item.loop.spec.loopId,
        intent: "approve",
        transport: item.loop.transport,
        via: "control",
        status: String(outcome.intent.status),
        exitCode: outcome.exitCode,
      });
    }
    // Between the passes the local running loop makes progress; the rest stay as they were.
    const running = managed.find(
      (item) => item.loop.spec.scenario === "running" && item.loop.spec.corruptEventsLog !== true,
    );
    // A policy pass over the first reconcile, the handoff plan it leads to, and the operator's
    // confirmed execution of the cancel for the critical loop (through its transport, confirmed
    // from the runtime's evidence).
    const policyState = await fleetPolicy({ repo: managerRepo }, ctx);
    const plan = await fleetHandoff({ repo: managerRepo }, ctx);
    const critical = plan.intents.find((intent) => intent.category === "health_critical");
    if (critical !== undefined) {
      const executed = await fleetHandoff(
        {
          repo: managerRepo,
          execute: true,
          confirm: true,
          by: "demo-operator",
          note: "heartbeat stale for 15 minutes",
          intentId: critical.intentId,
          timeoutSeconds: "5",
          intervalSeconds: "1",
        },
        ctx,
      );
      const result = executed.execution?.results?.find((entry) => entry.intentId === critical.intentId);
      controls.push({
        loopId: critical.loopId,
        intent: critical.intent,
        transport: critical.transport ?? "local",
        via: "fleet handoff",
        status: String(result?.status ?? "not_executed"),
        exitCode: result?.controlExitCode ?? 1,
      });
    }
    if (running) advanceRunningLoop(running.loop);
    const last = await pass(2);
    const status = await fleetStatus({ repo: managerRepo }, ctx);
    const fleetTable = renderFleetStatusTable(status, {
      color: false,
      now: clock.now(),
      loopDetails: await readFleetStatusLoopDetails(status),
    });
    // The operator records the incident drills (simulated here) and previews a promotion: the
    // gates read the fleet status, the handoff telemetry and the drill file.
    writePromotionDrillEvidence(
      fleet.promotionDrills,
      promotionDrillEvidence({
        completedAt: clock.now(),
        drills: {
          kill_switch: { notes: "simulated by ops-manager demo" },
          sprite_service_outage: { notes: "simulated by ops-manager demo" },
          ambiguous_retry_guard: { notes: "simulated by ops-manager demo" },
        },
      }),
    );
    const promotion = await promotionOrchestrate(
      { repo: managerRepo, mode: "dry_run", traceId: "demo-promotion" },
      { clock, env, cwd: managerRepo, stderr: { write: () => true } },
    );

    const byLoop = new Map<string, FleetLoopResult[]>();
    for (const state of passes) {
      for (const result of state.results)
        byLoop.set(result.loopId, [...(byLoop.get(result.loopId) ?? []), result]);
    }
    const reports = managed.map((item): DemoLoopReport => {
      const loopId = item.loop.spec.loopId;
      const results = byLoop.get(loopId) ?? [];
      const final = last.results.find((entry) => entry.loopId === loopId);
      return {
        loopId,
        story: item.loop.spec.story,
        transport: item.loop.transport,
        reconcile: results.map((result) => result.status),
        lifecycle: results.map((result) => result.transitionState ?? "unknown"),
        health: final?.healthStatus ?? "unknown",
        reasonCodes: final?.healthReasonCodes ?? [],
        eventsIngested: ingested.get(loopId) ?? [],
        escalations: countLines(opsPaths(managerRepo, loopId).escalations),
      };
    });
    return {
      dir,
      managerRepo,
      loops: reports,
      fleetPasses: passes.map((state) => ({ status: state.status, reasonCodes: state.reasonCodes })),
      controls,
      alerts: [...webhook.delivered],
      policy: {
        candidates: policyState.candidates.map((candidate) => candidate.candidateId),
        suppressed: policyState.candidates
          .filter((candidate) => candidate.suppressed)
          .map((candidate) => candidate.candidateId),
        autoEligible: policyState.candidates
          .filter((candidate) => candidate.autonomous.eligible)
          .map((candidate) => candidate.candidateId),
        reasonCodes: policyState.reasonCodes,
        table: formatPolicyTable(policyState, { color: false }),
      },
      handoff: {
        intents: plan.intents.map((intent) => intent.intentId),
        reasonCodes: plan.reasonCodes,
        table: formatHandoffTable(plan, { color: false }),
      },
      fleetTable,
      promotion: {
        status: promotion.status,
        decision: promotion.decision,
        failedGates: promotion.summary.failedGates,
        reasonCodes: promotion.summary.reasonCodes,
        summaryFile: promotion.files.summaryFile,
      },
    };
  } finally {
    await Promise.all(managed.map((item) => item.service?.close()));
    await webhook.close();
  }
}

const COLUMNS = [
  "loop",
  "transport",
  "reconcile",
  "lifecycle",
  "health",
  "reasons",
  "events",
  "esc",
  "what happened",
];

/** `a → b` when a value changed between the passes, else `a`. */
function transition(values: readonly string[]): string {
  const distinct = values.filter((value, index) => index === 0 || value !== values[index - 1]);
  return distinct.join(" → ");
}

function indent(block: string): string[] {
  return block
    .trimEnd()
    .split("\n")
    .map((text) => (text === "" ? "" : `    ${text}`));
}

/**
 * The human-readable summary printed by `ops-manager demo`: what the operator did, step by step,
 * with the tables the fleet commands print. `invocation` is how the reader runs the CLI (e.g.
 * `node apps/cli/dist/index.js`), for the follow-up commands it suggests.
 */
export function formatDemoReport(report: DemoReport, invocation = "ops-manager"): string {
  const rows = report.loops.map((loop) => [
    loop.loopId,
    loop.transport,
    transition(loop.reconcile),
    transition(loop.lifecycle),
    loop.health,
    loop.reasonCodes.length > 0 ? loop.reasonCodes.join(",") : "-",
    loop.eventsIngested.join(" + "),
    String(loop.escalations),
    loop.story,
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
  const repo = report.managerRepo;
  const fleetPass = (index: number) => {
    const pass = report.fleetPasses[index];
    if (pass === undefined) return "not run";
    return `${pass.status}${pass.reasonCodes.length > 0 ? ` (${pass.reasonCodes.join(", ")})` : ""}`;
  };
  const controls = (via: string) =>
    report.controls
      .filter((control) => control.via === via)
      .map(
        (control) =>
          `    ${control.intent} ${control.loopId} via ${control.transport} → ${control.status} (exit ${control.exitCode})`,
      );
  const { policy, handoff } = report;
  return [
    "ops-manager demo: a simulated fleet of loop runs, managed end to end",
    `(${report.loops.length - sprites} local loop in the manager's repository, ${sprites} on sprites read through their services on 127.0.0.1)`,
    "",
    `1. fleet reconcile: ${fleetPass(0)}`,
    "   the operator approves the loop waiting for approval (per-loop control):",
    ...controls("control"),
    "",
    `2. fleet policy: ${policy.candidates.length} candidates, ${policy.suppressed.length} suppressed, ${policy.autoEligible.length} eligible for guarded autonomy`,
    ...indent(policy.table),
    "",
    `3. fleet handoff plan: ${handoff.intents.length} intents; the operator confirms the critical loop's cancel:`,
    ...indent(handoff.table),
    ...controls("fleet handoff"),
    "",
    `4. fleet reconcile again: ${fleetPass(1)}; fleet status --format table:`,
    ...indent(report.fleetTable),
    "",
    `5. promotion orchestrate --mode dry_run: ${report.promotion.status}, decision ${report.promotion.decision}`,
    `    failed gates: ${report.promotion.failedGates.length > 0 ? report.promotion.failedGates.join(", ") : "none"}`,
    `    reasons: ${report.promotion.reasonCodes.length > 0 ? report.promotion.reasonCodes.join(", ") : "none"}`,
    `    summary: ${report.promotion.summaryFile}`,
    "",
    "What happened to each loop (per pass):",
    line(COLUMNS),
    ...rows.map(line),
    "",
    `${report.loops.length} loops: ${healthy} healthy, ${report.loops.length - healthy} needing attention.`,
    `alerts delivered to the local webhook: ${
      report.alerts.length === 0
        ? "none"
        : report.alerts.map((alert) => `${alert.category} (${alert.loopId}, ${alert.severity})`).join(", ")
    }`,
    `Manager artifacts: ${repo}/.superloop/ops-manager/ (fleet/ and one directory per loop)`,
    "Try:",
    `  ${invocation} fleet status --repo ${repo} --format table`,
    `  ${invocation} fleet policy --repo ${repo} --format table`,
    `  ${invocation} fleet handoff --repo ${repo} --format table`,
    `  ${invocation} status --repo ${repo} --loop ${report.loops[0]?.loopId ?? "alpha"} --format table`,
    "",
  ].join("\n");
}
