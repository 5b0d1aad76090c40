/**
 * Transport parity (spec 16 intro: "for identical runtime artifacts, local and service transports
 * must yield the same envelopes, lifecycle, health status/reason codes, sequence diagnostics,
 * heartbeat freshness, drift results and alert-dispatch summaries").
 *
 * Every scenario builds two identical runtime repos with @ops/testkit (same driver calls, same
 * deterministic runtime clock) and runs the same flow twice, step by step at the same manager time:
 *
 * - local:   reconcile / control `--transport local` with `--repo <local repo>`;
 * - service: a REAL sprite service (the @ops/transport-sprite handler on node:http, 127.0.0.1) serves
 *   the second runtime repo; reconcile / control `--transport sprite_service` run for a separate
 *   manager repo (the deployment shape: the manager's `.superloop/ops-manager/` is not on the sprite
 *   host). The service runs control locally (`controlIntent`, SUPERLOOP_BIN = the testkit's
 *   simulated runtime), exactly as apps/sprite-service does.
 *
 * Then EVERY file under `.superloop/ops-manager/<loop>/` of the local repo is compared with the
 * manager repo's, field by field, after `normalise()`. What normalise() ignores, and why:
 *
 * 1. Absolute repo paths (in any string value) → `<repo>`: the two sides are different temp dirs.
 *    Consequence: the runtime's active-run.json embeds its repo path (`"repo": "/tmp/…"`), so the
 *    snapshot's `artifacts.activeRun.sha256` differs; it is dropped from snapshot.json, and the two
 *    active-run.json files are checked to be equal after path normalisation instead.
 * 2. Transport labels: the `transport` field of every record (and health's `transport.mode`) is
 *    `local` on one side and `sprite_service` on the other — by spec (13 §5, §7, §8; 15 §3).
 * 3. Timestamps (`YYYY-MM-DDTHH:MM:SSZ` values) and durations (`durationSeconds`): the brief's
 *    exclusion. Both sides run at the same injected manager time (reconcile, the service's
 *    envelopes and cursors, control), so each file is first compared WITH its timestamps and they
 *    are in fact identical. Always ignored: the snapshot's `artifacts.*.mtimeEpoch`, the runtime
 *    files' modification times — the simulated runtime command (approve) writes with the real
 *    filesystem clock, so the two repos' files can be a second apart.
 * 4. Trace ids are NOT ignored: both sides get the same `--trace-id`, and the service forwards it
 *    (X-Trace-Id on snapshot/events; body `traceId` for control).
 * 5. Control records (spec 15 §2.1 vs §2.2): `command` and `commandOutput` (intents.jsonl) and
 *    `execution.command` / `execution.output` (control-invocations.jsonl) differ per transport by
 *    spec — the runtime command line and its output locally; `POST <base>/ops/control` and the
 *    service's JSON response over the service. `execution.attempts` (the service client's attempt
 *    history) exists only over the service transport; it is dropped from the service's rows after
 *    checking that the local rows do not have it.
 * 6. cursor.json: the local poller adds `eventByteOffset` and `eventsFileIdentity` (its O(new bytes)
 *    resume point, contract PollCursorSchema additions); the service transport writes spec 13 §4.2
 *    step 6's seven fields. The seven common fields are compared.
 * 7. `snapshot-digest-cache.json` exists only locally: it is the local snapshot adapter's cache
 *    (the snapshot is computed on the sprite host over the service transport).
 *
 * The service side's own writes under the runtime repo (`service-idempotency.json` and the control
 * records of the control it ran locally) are compared with the local side's control records too.
 *
 * Shared topology (last describe): the manager runs against the very repo the service serves (one
 * host). Then the service's own control records land in the manager's intents.jsonl /
 * telemetry/control*.jsonl too — before the manager's record of the same request — and
 * `service-idempotency.json` sits next to the manager's artifacts. Everything else stays equal.
 */
import fs from "node:fs";
import path from "node:path";
import { type JsonObject, opsPaths, runtimePaths } from "@ops/contract";
import {
  createSimulatedRepo,
  type LoopDriver,
  makeTempDir,
  superloopBinPath,
  type TempDir,
} from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type ControlIntentInput, controlIntent } from "../control/index.js";
import type { ReconcileInput } from "./options.js";
import { type ReconcileResult, reconcile } from "./reconcile.js";
import { closedPortUrl, startTestService, type TestService } from "./service-test-helpers.js";
import { cleanEnv, INSTALL_ROOT, readJson, TestClock } from "./test-helpers.js";

const LOOP = "demo-loop";
const RUNTIME_START = "2026-02-22T11:58:00Z";
const FIXED_DECISION_TIME = "2026-02-22T11:59:30Z";
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

/** Keys whose values differ per transport by spec (exclusions 2 and 5). */
const PER_TRANSPORT_KEYS = new Set(["command", "commandOutput"]);
/** cursor.json: the local poller's additions (exclusion 6). */
const LOCAL_CURSOR_ADDITIONS = ["eventByteOffset", "eventsFileIdentity"];
/** Exclusion 7. */
const LOCAL_ONLY_FILES = new Set(["snapshot-digest-cache.json"]);

interface NormaliseOptions {
  readonly roots: readonly string[];
  /** Replace timestamps by `<timestamp>` (exclusion 3). */
  readonly timestamps: boolean;
}

/** See the file comment for every rule. */
function normalise(value: unknown, options: NormaliseOptions, key: string | null = null): unknown {
  if (typeof value === "string") {
    if (options.timestamps && TIMESTAMP.test(value)) return "<timestamp>";
    let out = value;
    for (const root of options.roots) out = out.split(root).join("<repo>");
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => normalise(item, options));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [name, child] of Object.entries(value)) {
      if (PER_TRANSPORT_KEYS.has(name)) out[name] = "<per-transport>";
      else if (name === "mtimeEpoch" && typeof child === "number") out[name] = "<mtime>";
      else if (
        (name === "transport" || (name === "mode" && key === "transport")) &&
        typeof child === "string"
      )
        out[name] = "<transport>";
      else if (key === "execution" && (name === "command" || name === "output"))
        out[name] = "<per-transport>";
      else if (options.timestamps && name === "durationSeconds") out[name] = "<duration>";
      else out[name] = normalise(child, options, name);
    }
    return out;
  }
  return value;
}

function listFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), relative));
    else out.push(relative);
  }
  return out.sort();
}

function readArtifact(file: string): unknown {
  const text = fs.readFileSync(file, "utf8");
  if (file.endsWith(".jsonl")) {
    return text
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as unknown);
  }
  return JSON.parse(text) as unknown;
}

function withoutKeys(value: unknown, keys: readonly string[]): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of keys) delete out[key];
  return out;
}

/** Exclusion 1: the digest of active-run.json (it embeds the runtime repo's absolute path). */
function withoutActiveRunDigest(document: unknown): unknown {
  const artifacts = (document as JsonObject)["artifacts"];
  if (typeof artifacts !== "object" || artifacts === null || Array.isArray(artifacts)) return document;
  const activeRun = (artifacts as JsonObject)["activeRun"];
  return {
    ...(document as JsonObject),
    artifacts: { ...(artifacts as JsonObject), activeRun: withoutKeys(activeRun, ["sha256"]) },
  };
}

const CONTROL_LOGS = new Set([
  "intents.jsonl",
  "telemetry/control.jsonl",
  "telemetry/control-invocations.jsonl",
]);

type Topology = "split" | "shared";

/**
 * Shared topology: split a control log of the manager's repo into the service's own rows (its
 * local control: transport `local`) and the manager's rows; the service rows must equal the local
 * side's rows apart from the idempotency key (the service's control generates its own).
 */
function managerControlRows(file: string, rows: JsonObject[], local: JsonObject[], roots: readonly string[]) {
  const serviceSide = rows.filter((row) => row["transport"] === "local");
  const managerSide = rows.filter((row) => row["transport"] !== "local");
  const strip = (list: JsonObject[]) =>
    list.map((row) => normalise(withoutKeys(row, ["idempotencyKey"]), { roots, timestamps: false }));
  expect(strip(serviceSide), `${file}: the service's own records`).toEqual(strip(local));
  // Each service-side record precedes the manager's record of the same request.
  expect(rows.map((row) => row["transport"])).toEqual(local.flatMap(() => ["local", "sprite_service"]));
  return managerSide;
}

/**
 * Compare every artifact of `<ops>` (local) with the manager's `<ops>` (service). Returns the list
 * of files compared (so scenarios can assert that the interesting ones exist).
 */
function expectArtifactParity(
  localRoot: string,
  managerRoot: string,
  roots: readonly string[],
  topology: Topology,
): string[] {
  const localDir = opsPaths(localRoot, LOOP).dir;
  const serviceDir = opsPaths(managerRoot, LOOP).dir;
  const localFiles = listFiles(localDir);
  let serviceFiles = listFiles(serviceDir);
  if (topology === "shared" && localFiles.includes("intents.jsonl")) {
    expect(serviceFiles).toContain("service-idempotency.json");
    serviceFiles = serviceFiles.filter((file) => file !== "service-idempotency.json");
  }
  expect(serviceFiles, "the same artifact files on both sides").toEqual(
    localFiles.filter((file) => !LOCAL_ONLY_FILES.has(file)),
  );
  for (const file of serviceFiles) {
    let local = readArtifact(path.join(localDir, file));
    let service = readArtifact(path.join(serviceDir, file));
    if (topology === "shared" && CONTROL_LOGS.has(file)) {
      service = managerControlRows(file, service as JsonObject[], local as JsonObject[], roots);
    }
    if (file === "cursor.json") {
      expect(Object.keys(local as object)).toEqual(expect.arrayContaining(LOCAL_CURSOR_ADDITIONS));
      local = withoutKeys(local, LOCAL_CURSOR_ADDITIONS);
    }
    if (file === "snapshot.json" || file === "state.json") {
      local = withoutActiveRunDigest(local);
      service = withoutActiveRunDigest(service);
    }
    if (file === "telemetry/control-invocations.jsonl") {
      for (const row of local as JsonObject[]) expect(row["execution"]).not.toHaveProperty("attempts");
      service = (service as JsonObject[]).map((row) => ({
        ...row,
        execution: withoutKeys(row["execution"], ["attempts"]),
      }));
    }
    // Exclusion 3: first with the timestamps (identical: same injected clock), then without.
    const strict = { roots, timestamps: false };
    expect(normalise(service, strict), `${file} (timestamps included)`).toEqual(normalise(local, strict));
    service = normalise(service, { roots, timestamps: true });
    local = normalise(local, { roots, timestamps: true });
    expect(service, file).toEqual(local);
  }
  return serviceFiles;
}

interface Pair<T> {
  readonly local: T;
  readonly service: T;
}

/** One parity scenario: two identical runtime repos, a manager repo and a real sprite service. */
class ParityRun {
  constructor(readonly topology: Topology) {}
  readonly localRepo = createSimulatedRepo(undefined, { start: RUNTIME_START });
  readonly serviceRepo = createSimulatedRepo(undefined, { start: RUNTIME_START });
  readonly manager: TempDir = makeTempDir("ops-parity-manager-");
  readonly clock = new TestClock("2026-02-22T12:00:00Z");
  /** The runtime command (control) and its knobs, for the local control and the service. */
  readonly runtimeEnv = cleanEnv({
    SUPERLOOP_BIN: superloopBinPath(),
    SUPERLOOP_SIM_NOW: FIXED_DECISION_TIME,
  });
  service: TestService | null = null;
  private cycle = 0;

  async start(): Promise<this> {
    this.service = await startTestService(this.serviceRepo.root, { env: this.runtimeEnv, clock: this.clock });
    return this;
  }

  get roots(): string[] {
    return [this.localRepo.root, this.serviceRepo.root, this.manager.path];
  }

  /** Where the manager's artifacts go over the service transport. */
  get managerRoot(): string {
    return this.topology === "split" ? this.manager.path : this.serviceRepo.root;
  }

  /** Apply the same runtime change to both runtime repos. */
  runtime(change: (loop: LoopDriver) => void): void {
    change(this.localRepo.loop(LOOP));
    change(this.serviceRepo.loop(LOOP));
  }

  /** One reconcile per side at the same manager time (the clock moves 10 s per step). */
  async reconcile(
    extra: ReconcileInput = {},
    serviceUrl: string | null = null,
  ): Promise<Pair<ReconcileResult>> {
    this.cycle += 1;
    this.clock.advance(10);
    const traceId = `tr-${this.cycle}`;
    const ctx = { clock: this.clock, env: cleanEnv(), installRoot: INSTALL_ROOT };
    const local = await reconcile({ repo: this.localRepo.root, loop: LOOP, traceId, ...extra }, ctx);
    const service = await reconcile(
      {
        repo: this.managerRoot,
        loop: LOOP,
        traceId,
        transport: "sprite_service",
        serviceBaseUrl: serviceUrl ?? this.service?.url,
        ...extra,
      },
      ctx,
    );
    return { local, service };
  }

  /** One control per side (manager → service → local control on the sprite host). */
  async control(intent: string, extra: ControlIntentInput = {}) {
    this.cycle += 1;
    this.clock.advance(10);
    const request: ControlIntentInput = {
      loop: LOOP,
      intent,
      by: "ops-user",
      note: `parity ${intent}`,
      traceId: `tc-${this.cycle}`,
      idempotencyKey: `${intent}-${this.cycle}`,
      timeoutSeconds: "5",
      intervalSeconds: "1",
      ...extra,
    };
    const local = await controlIntent(
      { ...request, repo: this.localRepo.root },
      { clock: this.clock, env: this.runtimeEnv, cwd: this.localRepo.root, installRoot: INSTALL_ROOT },
    );
    const service = await controlIntent(
      { ...request, repo: this.managerRoot, transport: "sprite_service", serviceBaseUrl: this.service?.url },
      { clock: this.clock, env: cleanEnv() },
    );
    return { local, service };
  }

  expectParity(): string[] {
    // The runtime inputs are identical apart from the repo path (exclusion 1).
    const activeRun = (root: string) => {
      const file = runtimePaths(root, LOOP).activeRun;
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split(root).join("<repo>") : null;
    };
    expect(activeRun(this.serviceRepo.root)).toEqual(activeRun(this.localRepo.root));
    return expectArtifactParity(this.localRepo.root, this.managerRoot, this.roots, this.topology);
  }

  /**
   * The control the service ran on the sprite host is a local control of the service repo: its
   * records equal the local side's, apart from the idempotency key (the service's control generates
   * its own, spec 16 §3.4 step 2) and the `service-idempotency.json` it keeps.
   */
  expectServiceSideControlParity(): void {
    const local = opsPaths(this.localRepo.root, LOOP);
    const remote = opsPaths(this.serviceRepo.root, LOOP);
    expect(listFiles(remote.dir)).toEqual([
      "intents.jsonl",
      "service-idempotency.json",
      "telemetry/control-invocations.jsonl",
      "telemetry/control.jsonl",
    ]);
    const options = { roots: this.roots, timestamps: false };
    for (const [mine, theirs] of [
      [local.intents, remote.intents],
      [local.telemetry.control, remote.telemetry.control],
      [local.telemetry.controlInvocations, remote.telemetry.controlInvocations],
    ] as const) {
      const strip = (rows: unknown) =>
        (rows as JsonObject[]).map((row) => normalise(withoutKeys(row, ["idempotencyKey"]), options));
      expect(strip(readArtifact(theirs)), path.basename(theirs)).toEqual(strip(readArtifact(mine)));
    }
  }

  async cleanup(): Promise<void> {
    await this.service?.close();
    await this.localRepo.cleanup();
    await this.serviceRepo.cleanup();
    await this.manager.cleanup();
  }
}

const runs: ParityRun[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) await run.cleanup();
});

async function parityRun(topology: Topology = "split"): Promise<ParityRun> {
  const run = new ParityRun(topology);
  runs.push(run);
  return run.start();
}

function expectSameOutcome(pair: Pair<ReconcileResult>, exitCode: 0 | 1): void {
  expect(pair.local.exitCode).toBe(exitCode);
  expect(pair.service.exitCode).toBe(exitCode);
}

function lifecycle(result: ReconcileResult): unknown {
  return (result.document["transition"] as JsonObject | undefined)?.["currentState"];
}

describe("transport parity: reconcile over local vs a real sprite service (spec 16)", () => {
  it("running: first cycle, new events, an idle cycle and a --max-events slice", async () => {
    const run = await parityRun();
    run.runtime((loop) =>
      loop.startRun().iteration().iteration({ haltAfter: "role_start" }).writeHeartbeat(),
    );
    const first = await run.reconcile();
    expectSameOutcome(first, 0);
    expect(lifecycle(first.service)).toBe("running");
    run.expectParity();

    run.runtime((loop) => {
      loop.appendEvent("role_end", { role: "planner" });
      loop.appendEvent("role_start", { role: "implementer" });
    });
    expectSameOutcome(await run.reconcile(), 0);
    const idle = await run.reconcile();
    expectSameOutcome(idle, 0);
    expect(idle.service.document["transition"]).toMatchObject({
      triggeringSignal: "snapshot_status:running",
    });

    run.runtime((loop) => loop.iterations(2));
    expectSameOutcome(await run.reconcile({ maxEvents: "7" }), 0);
    expectSameOutcome(await run.reconcile(), 0);
    const files = run.expectParity();
    expect(files).toEqual([
      // Default in-process alert dispatch (bundled config: the escalation is skipped, no sink enabled).
      "alert-dispatch-state.json",
      "cursor.json",
      "escalations.jsonl",
      "health.json",
      "heartbeat.json",
      "profile-drift.json",
      "sequence-state.json",
      "snapshot.json",
      "state.json",
      "telemetry/alerts.jsonl",
      "telemetry/heartbeat.jsonl",
      "telemetry/profile-drift.jsonl",
      "telemetry/reconcile.jsonl",
      "telemetry/sequence.jsonl",
      "telemetry/transport-health.json",
    ]);
    // The heartbeat (written at the runtime's time) turns stale during the third cycle on both sides.
    const escalations = readArtifact(opsPaths(run.managerRoot, LOOP).escalations) as JsonObject[];
    expect(escalations.map((row) => [row["category"], row["traceId"], row["reasonCodes"]])).toEqual([
      ["health_degraded", "tr-3", ["runtime_heartbeat_stale"]],
    ]);
    // The service was really asked (5 cycles × snapshot + events), with the cursor it was given.
    const events = run.service?.requests.filter((entry) => entry.path === "/ops/events") ?? [];
    expect(events).toHaveLength(5);
    expect(events.every((entry) => entry.status === 200 && entry.traceId?.startsWith("tr-"))).toBe(true);
    const telemetry = readArtifact(opsPaths(run.managerRoot, LOOP).telemetry.reconcile) as JsonObject[];
    expect(
      telemetry.map((row) => [row["transport"], row["eventsIngested"], row["cursorOffsetAfter"]]),
    ).toEqual(
      (readArtifact(opsPaths(run.localRepo.root, LOOP).telemetry.reconcile) as JsonObject[]).map((row) => [
        "sprite_service",
        row["eventsIngested"],
        row["cursorOffsetAfter"],
      ]),
    );
  });

  it("awaiting approval, then a --from-start replay", async () => {
    const run = await parityRun();
    run.runtime((loop) => loop.startRun().iteration().requestApproval());
    const result = await run.reconcile();
    expectSameOutcome(result, 0);
    expect(lifecycle(result.service)).toBe("awaiting_approval");
    expectSameOutcome(await run.reconcile({ fromStart: true }), 0);
    run.expectParity();
  });

  it("complete (with a stale heartbeat: critical health, escalation, exit 0)", async () => {
    const run = await parityRun();
    run.runtime((loop) => {
      loop.startRun().iteration().complete();
      loop.writeHeartbeat("2026-02-22T10:00:00Z");
    });
    const result = await run.reconcile();
    expectSameOutcome(result, 0);
    expect(lifecycle(result.service)).toBe("complete");
    expect(result.service.document["health"]).toMatchObject({ reasonCodes: ["runtime_heartbeat_stale"] });
    const files = run.expectParity();
    expect(files).toContain("escalations.jsonl");
  });
});

describe("transport parity: control over local vs a real sprite service (spec 15, 16)", () => {
  it("cancel: reconcile, cancel, reconcile", async () => {
    const run = await parityRun();
    run.runtime((loop) => loop.startRun().iteration().iteration({ haltAfter: "role_start" }));
    expectSameOutcome(await run.reconcile(), 0);
    const control = await run.control("cancel");
    expect([control.local.exitCode, control.service.exitCode]).toEqual([0, 0]);
    expect(control.service.intent).toMatchObject({ transport: "sprite_service", status: "confirmed" });
    const after = await run.reconcile();
    expectSameOutcome(after, 0);
    const files = run.expectParity();
    expect(files).toEqual(expect.arrayContaining(["intents.jsonl", "telemetry/control.jsonl"]));
    run.expectServiceSideControlParity();
  });

  it("approve: reconcile, approve, reconcile, the run resumes and completes, reconcile", async () => {
    const run = await parityRun();
    run.runtime((loop) => loop.startRun().iteration().requestApproval());
    expectSameOutcome(await run.reconcile(), 0);
    const control = await run.control("approve");
    expect([control.local.exitCode, control.service.exitCode]).toEqual([0, 0]);
    expectSameOutcome(await run.reconcile(), 0);
    run.runtime((loop) => {
      expect(loop.resumeAfterDecision()).toBe("approved");
    });
    const done = await run.reconcile();
    expectSameOutcome(done, 0);
    expect(lifecycle(done.service)).toBe("complete");
    run.expectParity();
    run.expectServiceSideControlParity();
  });

  it("reject: reconcile, reject, reconcile", async () => {
    const run = await parityRun();
    run.runtime((loop) => loop.startRun().iteration().requestApproval());
    expectSameOutcome(await run.reconcile(), 0);
    const control = await run.control("reject");
    expect([control.local.exitCode, control.service.exitCode]).toEqual([0, 0]);
    expectSameOutcome(await run.reconcile(), 0);
    run.expectParity();
    run.expectServiceSideControlParity();
  });
});

describe("transport parity: service down (spec 13 §4.2, §5.1; spec 16 §5)", () => {
  it("only the failure code differs from a local outage; the streak maps to transport_unreachable", async () => {
    const run = await parityRun();
    run.runtime((loop) => loop.startRun().iteration({ haltAfter: "iteration_start" }));
    const noBackoff = { retryBackoffSeconds: "0" };
    expectSameOutcome(await run.reconcile(noBackoff), 0);

    // Outage: the local side loses its runtime files, the service side its service.
    const loopDir = runtimePaths(run.localRepo.root, LOOP).loopDir;
    fs.renameSync(loopDir, `${loopDir}.away`);
    const down = await closedPortUrl();
    const statuses: unknown[] = [];
    for (let cycle = 1; cycle <= 4; cycle += 1) {
      const result = await run.reconcile(noBackoff, down);
      expectSameOutcome(result, 1);
      statuses.push([result.service.document["status"], result.service.document["reasonCodes"]]);
      expect(result.service.document).toMatchObject({
        transport: { mode: "sprite_service", ingestStatus: "failed", failureCode: "service_request_failed" },
      });
      expect(result.local.document).toMatchObject({ transport: { failureCode: "snapshot_unavailable" } });
    }
    // Spec 14 via 13 §5.1: a failed ingest is transport_unreachable; balanced profile: degraded
    // streak 2, critical streak 4.
    expect(statuses).toEqual([
      ["degraded", ["transport_unreachable"]],
      ["degraded", ["transport_unreachable"]],
      ["degraded", ["transport_unreachable"]],
      ["critical", ["transport_unreachable"]],
    ]);
    const o = opsPaths(run.managerRoot, LOOP);
    expect(readJson(o.telemetry.transportHealth)).toMatchObject({
      transport: "sprite_service",
      lastResult: "failed",
      failureStreak: 4,
      lastFailureCode: "service_request_failed",
      lastSuccessAt: "2026-02-22T12:00:10Z",
      lastFailureAt: "2026-02-22T12:00:50Z",
    });
    const rows = readArtifact(o.telemetry.reconcile) as JsonObject[];
    expect(rows.slice(1).map((row) => [row["failureCode"], row["transportFailureStreak"]])).toEqual([
      ["service_request_failed", 1],
      ["service_request_failed", 2],
      ["service_request_failed", 3],
      ["service_request_failed", 4],
    ]);
    // The client's stderr line (spec 16 §4 step 3): connection refused is code 000.
    expect(rows[1]?.["failureMessage"]).toMatch(
      new RegExp(
        `^error: service request failed \\(method=GET url=${down}/ops/snapshot\\?loopId=demo-loop code=000\\): `,
      ),
    );
    expect(rows[1]).toMatchObject({ eventsIngested: 0, sequenceStatus: "skipped_ingest_failed" });
    // Edge-triggered health escalations: degraded once, critical once.
    const escalations = readArtifact(o.escalations) as JsonObject[];
    expect(escalations.map((row) => [row["category"], row["failureCode"], row["transport"]])).toEqual([
      ["health_degraded", "service_request_failed", "sprite_service"],
      ["health_critical", "service_request_failed", "sprite_service"],
    ]);

    // Recovery on both sides: streak back to 0, healthy, no recovery escalation.
    fs.renameSync(`${loopDir}.away`, loopDir);
    const back = await run.reconcile(noBackoff);
    expectSameOutcome(back, 0);
    expect(back.service.document["health"]).toMatchObject({ status: "healthy" });

    // Parity apart from the failure code (and the message of the failing step).
    const failureFields = (value: unknown): unknown => {
      const text = JSON.stringify(value)
        .replaceAll('"service_request_failed"', '"<failure>"')
        .replaceAll('"snapshot_unavailable"', '"<failure>"');
      return JSON.parse(text) as unknown;
    };
    const localDir = opsPaths(run.localRepo.root, LOOP);
    for (const file of [
      "health.json",
      "escalations.jsonl",
      "telemetry/transport-health.json",
      "state.json",
    ]) {
      const options = { roots: run.roots, timestamps: true };
      expect(failureFields(normalise(readArtifact(path.join(o.dir, file)), options)), file).toEqual(
        failureFields(normalise(readArtifact(path.join(localDir.dir, file)), options)),
      );
    }
    const messageless = (rows: unknown) =>
      (rows as JsonObject[]).map((row) =>
        failureFields(
          normalise(withoutKeys(row, ["failureMessage"]), { roots: run.roots, timestamps: true }),
        ),
      );
    expect(messageless(readArtifact(o.telemetry.reconcile))).toEqual(
      messageless(readArtifact(localDir.telemetry.reconcile)),
    );
  });
});

describe("transport parity: shared topology (the service serves the manager's own repo)", () => {
  it("approve: equal apart from the service's own control records next to the manager's", async () => {
    const run = await parityRun("shared");
    run.runtime((loop) => loop.startRun().iteration().requestApproval());
    expectSameOutcome(await run.reconcile(), 0);
    const control = await run.control("approve");
    expect([control.local.exitCode, control.service.exitCode]).toEqual([0, 0]);
    const after = await run.reconcile();
    expectSameOutcome(after, 0);
    // health reads the last intents line: the manager's record, same status as the local one.
    expect(after.service.document["health"]).toMatchObject({ metrics: { lastControlStatus: "confirmed" } });
    const files = run.expectParity();
    expect(files).toEqual(expect.arrayContaining(["intents.jsonl", "state.json", "telemetry/control.jsonl"]));
  });
});
