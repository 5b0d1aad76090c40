/**
 * Driver that writes Superloop runtime artifacts over time exactly as the real runtime does
 * (spec 10a §1–2): event order per iteration, loop_start, seven-key gates, run-summary replaced
 * atomically at iteration_end, state.json / active-run.json / approval.json / stuck.json written in
 * place, whole-second UTC timestamps from a controllable clock, run_id = run start timestamp.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatTimestamp, runtimePaths, runtimeRelativePaths, type Timestamp } from "@ops/contract";
import { createManualClock, type SimClock, type TimeInput, toEpochSeconds } from "./clock.js";
import {
  type ActiveRun,
  buildEvent,
  DEFAULT_PROMISE,
  GATE_PHASES,
  type Gates,
  gatesOf,
  type Heartbeat,
  type JsonObject,
  type PendingApproval,
  type PromiseCheck,
  ROLES,
  type RunSummary,
  type RunSummaryEntry,
  type RuntimeEvent,
  type RuntimeState,
  type SummaryArtifact,
} from "./events.js";
import {
  appendText,
  jsonText,
  readJsonFile,
  readJsonLines,
  removeFile,
  type TornMode,
  type TornWrite,
  type TornWriteOptions,
  tornWrite,
  writeAtomic,
  writeInPlace,
} from "./fsutil.js";
import { type RunProcess, type SpawnRunProcessOptions, spawnRunProcess, UNUSED_PID } from "./process.js";
import { applyScenario, type ScenarioName, type ScenarioOptions } from "./scenarios.js";

export interface SimulatedRepoOptions {
  /** Clock for every timestamp; default a manual clock at 2026-02-22T10:00:00Z stepping 1 s per event. */
  clock?: SimClock;
  /** Start of the default manual clock. */
  start?: TimeInput;
  /** Step of the default manual clock. */
  stepSeconds?: number;
}

export interface LoopOptions {
  /** `loop_index` written to state.json; default: order in which loops were first used. */
  loopIndex?: number;
  /** Stuck threshold recorded in summaries (default 3). */
  stuckThreshold?: number;
  /** `loop_start` data.max_iterations (default 20). */
  maxIterations?: number;
  roles?: readonly string[];
  /** Completion promise text (default SUPERLOOP_COMPLETE). */
  promise?: string;
  testsMode?: string;
  runner?: string;
  model?: string;
}

export interface StartRunOptions {
  /** Register a real process (see `startRunProcess`). */
  process?: { pid: number; pgid: number };
  /** Register an explicit pid/pgid (default: UNUSED_PID, a pid that is never alive). */
  pid?: number;
  pgid?: number;
  /** Iteration to start at (default: continue from the previous run, 1 after completion). */
  iteration?: number;
}

/** Where a partial iteration stops: after the first event with this name (and role, if given). */
export interface HaltPoint {
  event: string;
  role?: string;
}

export interface IterationOptions {
  gates?: Partial<Gates>;
  /** completion_ok of the summary entry (default false). */
  completion?: boolean;
  /** promise matched (default = completion). */
  promiseMatched?: boolean;
  /** stuck streak recorded at stuck_checked (default 0). */
  stuckStreak?: number;
  /** Stop mid-iteration after this event: no summary entry, state stays active. */
  haltAfter?: HaltPoint | string;
}

export interface IterationRecord {
  iteration: number;
  startedAt: Timestamp;
  endedAt: Timestamp | null;
  entry: RunSummaryEntry | null;
  halted: boolean;
}

export type FailKind = "timeout" | "rate_limited" | "error" | "blocked";

/** Terminal event per failure kind. error/blocked are stand-ins: the real runtime's names are unobserved. */
export const FAIL_EVENTS: Readonly<Record<FailKind, string>> = {
  timeout: "role_timeout",
  rate_limited: "rate_limit_stop",
  error: "role_error",
  blocked: "loop_blocked",
};

export type RepoFileKind = "state" | "activeRun";
export type LoopFileKind = "approval" | "stuck";

/** Create a repo directory (a fresh temp dir when `dir` is omitted) and a driver over its `.superloop/`. */
export function createSimulatedRepo(dir?: string, options: SimulatedRepoOptions = {}): SimulatedRepo {
  let root: string;
  let owned = false;
  if (dir === undefined) {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ops-testkit-repo-")));
    owned = true;
  } else {
    root = path.resolve(dir);
    fs.mkdirSync(root, { recursive: true });
  }
  const clockOptions = {
    ...(options.start !== undefined ? { start: options.start } : {}),
    ...(options.stepSeconds !== undefined ? { stepSeconds: options.stepSeconds } : {}),
  };
  const clock = options.clock ?? createManualClock(clockOptions);
  return new SimulatedRepo(root, clock, owned);
}

export class SimulatedRepo {
  readonly paths: { superloopDir: string; loopsDir: string; state: string; activeRun: string };
  private readonly loopDrivers = new Map<string, LoopDriver>();
  private readonly processes = new Set<RunProcess>();
  private readonly torn = new Set<TornWrite>();

  constructor(
    readonly root: string,
    readonly clock: SimClock,
    private readonly ownsRoot: boolean,
  ) {
    const superloopDir = path.join(root, ".superloop");
    this.paths = {
      superloopDir,
      loopsDir: path.join(superloopDir, "loops"),
      state: path.join(superloopDir, "state.json"),
      activeRun: path.join(superloopDir, "active-run.json"),
    };
    fs.mkdirSync(this.paths.loopsDir, { recursive: true });
  }

  /** The driver of one loop (created on first use; loop dir created immediately). */
  loop(loopId: string, options: LoopOptions = {}): LoopDriver {
    const existing = this.loopDrivers.get(loopId);
    if (existing !== undefined) return existing;
    const driver = new LoopDriver(this, loopId, options.loopIndex ?? this.loopDrivers.size, options);
    this.loopDrivers.set(loopId, driver);
    return driver;
  }

  /** Build a loop in a named condition with one call (see scenarios.ts). */
  scenario(name: ScenarioName, loopId = "demo-loop", options: ScenarioOptions = {}): LoopDriver {
    return applyScenario(this.loop(loopId), name, options);
  }

  /** Spawn a real run process (own process group); killed by `cleanup()`. */
  async spawnRunProcess(options: SpawnRunProcessOptions = {}): Promise<RunProcess> {
    const proc = await spawnRunProcess({ activeRunFile: this.paths.activeRun, ...options });
    this.processes.add(proc);
    return proc;
  }

  readState(): unknown {
    return readJsonFile(this.paths.state);
  }

  readActiveRun(): unknown {
    return readJsonFile(this.paths.activeRun);
  }

  /** state.json is per repository, not per loop; written in place like the runtime does. */
  writeState(state: RuntimeState): void {
    writeInPlace(this.paths.state, jsonText(state));
  }

  writeActiveRun(run: ActiveRun): void {
    writeInPlace(this.paths.activeRun, jsonText(run));
  }

  /**
   * Leave state.json / active-run.json torn (empty or half-written) as a concurrent reader would
   * see it mid-write (spec 10a §3). `content` defaults to the file's current content.
   */
  tear(kind: RepoFileKind, mode: TornMode, options: TornWriteOptions & { content?: string } = {}): TornWrite {
    const file = kind === "state" ? this.paths.state : this.paths.activeRun;
    return this.track(tearFile(file, mode, options));
  }

  /** @internal */
  track(write: TornWrite): TornWrite {
    this.torn.add(write);
    return write;
  }

  /** Kill spawned processes, settle torn writes and remove the directory if this repo created it. */
  async cleanup(): Promise<void> {
    for (const write of this.torn) write.heal();
    this.torn.clear();
    await Promise.all([...this.processes].map((proc) => proc.kill()));
    this.processes.clear();
    if (this.ownsRoot) fs.rmSync(this.root, { recursive: true, force: true });
  }
}

function tearFile(file: string, mode: TornMode, options: TornWriteOptions & { content?: string }): TornWrite {
  let content = options.content;
  if (content === undefined) {
    if (!fs.existsSync(file)) throw new Error(`cannot tear ${file}: file is absent and no content given`);
    content = fs.readFileSync(file, "utf8");
  }
  const writeOptions = options.healAfterMs !== undefined ? { healAfterMs: options.healAfterMs } : {};
  return tornWrite(file, content, mode, writeOptions);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class LoopDriver {
  readonly paths: ReturnType<typeof runtimePaths> & {
    stuck: string;
    rateLimit: string;
    usage: string;
  };
  readonly relativePaths: ReturnType<typeof runtimeRelativePaths>;
  private readonly threshold: number;
  private readonly maxIterations: number;
  private readonly roles: readonly string[];
  private readonly promise: string;
  private readonly testsMode: string;
  private readonly runner: string;
  private readonly model: string;

  private currentRunId: string | null = null;
  private running = false;
  private nextIteration = 1;
  private lastIterationRecord: IterationRecord | null = null;
  private attached: { pid: number; pgid: number } | null = null;
  private entries: RunSummaryEntry[];

  constructor(
    readonly repo: SimulatedRepo,
    readonly loopId: string,
    readonly loopIndex: number,
    options: LoopOptions,
  ) {
    const base = runtimePaths(repo.root, loopId);
    this.paths = {
      ...base,
      stuck: path.join(base.loopDir, "stuck.json"),
      rateLimit: path.join(base.loopDir, "rate-limit.json"),
      usage: path.join(base.loopDir, "usage.jsonl"),
    };
    this.relativePaths = runtimeRelativePaths(loopId);
    this.threshold = options.stuckThreshold ?? 3;
    this.maxIterations = options.maxIterations ?? 20;
    this.roles = options.roles ?? ROLES;
    this.promise = options.promise ?? DEFAULT_PROMISE;
    this.testsMode = options.testsMode ?? "every";
    this.runner = options.runner ?? "codex";
    this.model = options.model ?? "gpt-5-codex";
    fs.mkdirSync(this.paths.loopDir, { recursive: true });
    // Continue an existing summary so a driver can be re-created over a repo mid-history.
    const existing = readJsonFile(this.paths.runSummary) as RunSummary | null;
    this.entries = Array.isArray(existing?.entries) ? [...existing.entries] : [];
    const last = this.entries.at(-1);
    if (last !== undefined) this.nextIteration = last.iteration + 1;
  }

  get clock(): SimClock {
    return this.repo.clock;
  }

  /** run_id of the current (or last) run; null before the first run. */
  get runId(): string | null {
    return this.currentRunId;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Iteration number the next iteration will use. */
  get upcomingIteration(): number {
    return this.nextIteration;
  }

  get lastIteration(): IterationRecord | null {
    return this.lastIterationRecord;
  }

  get stuckThreshold(): number {
    return this.threshold;
  }

  // ---- run lifecycle ------------------------------------------------------------------------

  /** Start a run: active-run.json (stage run_start), `loop_start`, active-run.json (stage loop_start). */
  startRun(options: StartRunOptions = {}): this {
    if (options.iteration !== undefined) this.nextIteration = options.iteration;
    const pid = options.process?.pid ?? options.pid ?? UNUSED_PID;
    const pgid = options.process?.pgid ?? options.pgid ?? pid;
    this.attached = { pid, pgid };
    const runId = this.clock.next();
    this.currentRunId = runId;
    this.running = true;
    this.writeActiveRun("run_start", runId);
    this.emit("loop_start", { data: { max_iterations: this.maxIterations, started_at: runId } });
    this.writeActiveRun("loop_start", this.clock.peek());
    return this;
  }

  /** Spawn a real process group, then start a run registered to it. Kill it via `repo.cleanup()`. */
  async startRunProcess(
    options: SpawnRunProcessOptions & Omit<StartRunOptions, "process"> = {},
  ): Promise<RunProcess> {
    const spawnOptions = options.children !== undefined ? { children: options.children } : {};
    const proc = await this.repo.spawnRunProcess(spawnOptions);
    this.startRun({
      ...(options.iteration !== undefined ? { iteration: options.iteration } : {}),
      process: proc,
    });
    return proc;
  }

  /** One iteration, every event in runtime order; the summary is replaced atomically at iteration_end. */
  iteration(options: IterationOptions = {}): this {
    this.ensureRun();
    const n = this.nextIteration;
    const halt: HaltPoint | undefined =
      typeof options.haltAfter === "string" ? { event: options.haltAfter } : options.haltAfter;
    const completion = options.completion ?? false;
    const gates = gatesOf(options.gates);
    const matched = options.promiseMatched ?? completion;
    const promise: PromiseCheck = { expected: this.promise, text: matched ? this.promise : null, matched };
    const streak = options.stuckStreak ?? 0;

    this.writeState(true, n);
    const record: IterationRecord = {
      iteration: n,
      startedAt: this.clock.peek(),
      endedAt: null,
      entry: null,
      halted: false,
    };
    this.lastIterationRecord = record;
    const stopHere = (event: string, role?: string): boolean => {
      if (halt === undefined || halt.event !== event) return false;
      if (halt.role !== undefined && halt.role !== role) return false;
      record.halted = true;
      return true;
    };

    this.emit("iteration_start", { iteration: n, data: { started_at: record.startedAt } });
    if (stopHere("iteration_start")) return this;
    for (const role of this.roles) {
      const startedAt = this.emit("role_start", {
        iteration: n,
        role,
        data: { runner: this.runner, model: this.model },
      });
      if (stopHere("role_start", role)) return this;
      const endedAt = this.emit("role_end", { iteration: n, role });
      this.appendUsage(n, role, startedAt, endedAt);
      if (stopHere("role_end", role)) return this;
    }
    this.emit("promise_checked", { iteration: n, data: { ...promise } });
    if (stopHere("promise_checked")) return this;
    for (const phase of GATE_PHASES) {
      this.emit(`${phase}_start`, { iteration: n, data: phase === "tests" ? { mode: this.testsMode } : {} });
      if (stopHere(`${phase}_start`)) return this;
      const status = gates[phase];
      this.emit(`${phase}_end`, { iteration: n, status, data: { status } });
      if (stopHere(`${phase}_end`)) return this;
    }
    const stuck = { streak, threshold: this.threshold };
    writeInPlace(
      this.paths.stuck,
      jsonText({ ...stuck, loop_id: this.loopId, updated_at: this.clock.peek() }),
    );
    this.emit("stuck_checked", { iteration: n, data: { ...stuck } });
    if (stopHere("stuck_checked")) return this;
    this.emit("gates_evaluated", { iteration: n, data: { gates, completion_ok: completion } });
    if (stopHere("gates_evaluated")) return this;
    const endedAt = this.emit("iteration_end", {
      iteration: n,
      data: { started_at: record.startedAt, ended_at: this.clock.peek(), completion_ok: completion },
    });
    const entry: RunSummaryEntry = {
      run_id: this.requireRunId(),
      iteration: n,
      started_at: record.startedAt,
      ended_at: endedAt,
      promise,
      tests_mode: this.testsMode,
      gates,
      stuck,
      delegation: { enabled: false, mode: "off", requests: 0 },
      completion_ok: completion,
      artifacts: this.summaryArtifacts(n, gates, endedAt),
    };
    this.appendSummaryEntry(entry, endedAt);
    record.endedAt = endedAt;
    record.entry = entry;
    this.nextIteration = n + 1;
    return this;
  }

  /** `count` full iterations with the same options. */
  iterations(count: number, options: IterationOptions = {}): this {
    for (let i = 0; i < count; i += 1) this.iteration(options);
    return this;
  }

  /**
   * A candidate iteration (promise matched, approval gate pending) then `approval_requested`,
   * pending approval.json, state inactive; the run process exits (active-run.json removed).
   */
  requestApproval(options: { iteration?: boolean; gates?: Partial<Gates> } = {}): this {
    this.ensureRun();
    if (options.iteration !== false) {
      this.iteration({
        gates: { ...options.gates, approval: "pending" },
        completion: false,
        promiseMatched: true,
      });
    }
    const record = this.lastIterationRecord;
    const iteration = record?.iteration ?? Math.max(1, this.nextIteration - 1);
    const requestedAt = this.emit("approval_requested", {
      iteration,
      data: { approval_file: this.relativePaths.approval },
    });
    const entry = record?.entry ?? this.entries.at(-1) ?? null;
    const approval: PendingApproval = {
      status: "pending",
      loop_id: this.loopId,
      run_id: this.requireRunId(),
      iteration,
      requested_at: requestedAt,
      iteration_started_at: entry?.started_at ?? requestedAt,
      iteration_ended_at: entry?.ended_at ?? requestedAt,
      candidate: {
        promise: entry?.promise ?? { expected: this.promise, text: this.promise, matched: true },
        gates: entry?.gates ?? gatesOf({ approval: "pending" }),
      },
      files: {
        run_summary: this.relativePaths.runSummary,
        events: this.relativePaths.events,
        stuck: `${this.relativePaths.loopDir}/stuck.json`,
        decisions: this.relativePaths.decisions,
      },
    };
    writeInPlace(this.paths.approval, jsonText(approval));
    this.endRun(false, iteration);
    return this;
  }

  /** A re-run while the approval is still pending: loop_start, approval_wait, exit. */
  waitOnApproval(options: StartRunOptions = {}): this {
    const approval = this.readApproval();
    this.startRun(options);
    this.emit("approval_wait", {
      iteration: approval?.iteration ?? this.nextIteration,
      data: { approval_file: this.relativePaths.approval },
    });
    this.endRun(false, approval?.iteration ?? this.nextIteration);
    return this;
  }

  /**
   * A later run that takes the recorded decision (spec 10a §2): approved → `approval_consumed`,
   * approval.json deleted, a completing summary entry and `loop_complete`; rejected →
   * `approval_rejected`, approval.json deleted, the run keeps going (state active). Still pending →
   * behaves like `waitOnApproval`. The completing entry is an approximation of the real runtime.
   */
  resumeAfterDecision(options: StartRunOptions = {}): "approved" | "rejected" | "pending" | "none" {
    const approval = this.readApproval();
    if (approval === null) return "none";
    if (approval.status === "pending") {
      this.waitOnApproval(options);
      return "pending";
    }
    this.startRun(options);
    const iteration = approval.iteration;
    const decision = (approval["decision"] ?? {}) as JsonObject;
    const decided = {
      by: approval["decided_by"] ?? decision["by"] ?? null,
      note: approval["decided_note"] ?? null,
    };
    if (approval.status === "rejected") {
      this.emit("approval_rejected", { iteration, data: decided });
      removeFile(this.paths.approval);
      this.writeState(true, this.nextIteration);
      return "rejected";
    }
    this.emit("approval_consumed", { iteration, data: { decision: "approved", ...decided } });
    removeFile(this.paths.approval);
    const at = this.clock.peek();
    const candidate = approval.candidate;
    this.appendSummaryEntry(
      {
        run_id: this.requireRunId(),
        iteration,
        started_at: approval.iteration_started_at,
        ended_at: at,
        promise: candidate.promise,
        tests_mode: this.testsMode,
        gates: gatesOf({ ...candidate.gates, approval: "approved" }),
        stuck: { streak: 0, threshold: this.threshold },
        delegation: { enabled: false, mode: "off", requests: 0 },
        completion_ok: true,
        artifacts: {},
      },
      at,
    );
    this.emit("loop_complete", { iteration, data: { approved_by: decided.by } });
    this.nextIteration = 1;
    this.endRun(false, 1);
    return "approved";
  }

  /** A completing iteration (unless `iteration: false`), `loop_complete`, state inactive at iteration 1. */
  complete(options: { iteration?: boolean; gates?: Partial<Gates> } = {}): this {
    this.ensureRun();
    if (options.iteration !== false) {
      this.iteration({ completion: true, ...(options.gates !== undefined ? { gates: options.gates } : {}) });
    }
    const iteration = this.lastIterationRecord?.iteration ?? Math.max(1, this.nextIteration - 1);
    this.emit("loop_complete", { iteration, data: {} });
    this.nextIteration = 1;
    this.endRun(false, 1);
    return this;
  }

  /** `loop_stop` with data.reason (or `no_progress_stop`), state inactive, process gone. */
  stop(reason = "max_iterations", options: { event?: "loop_stop" | "no_progress_stop" } = {}): this {
    this.ensureRun();
    const iteration = this.lastIterationRecord?.iteration ?? this.nextIteration;
    this.emit(options.event ?? "loop_stop", { iteration, data: { reason } });
    this.endRun(false, iteration);
    return this;
  }

  /**
   * Fail mid-iteration after `role_start` of `role` (default implementer): `role_timeout` (status
   * timeout, state inactive) or `rate_limit_stop` (status rate_limited, rate-limit.json, state stays
   * active). error/blocked use stand-in event names (FAIL_EVENTS).
   */
  fail(kind: FailKind = "timeout", options: { role?: string } = {}): this {
    this.ensureRun();
    const role = options.role ?? "implementer";
    this.iteration({ haltAfter: { event: "role_start", role } });
    const iteration = this.lastIterationRecord?.iteration ?? this.nextIteration;
    const data: JsonObject =
      kind === "timeout"
        ? { timeout_seconds: 900 }
        : kind === "rate_limited"
          ? { retry_after_seconds: 3600, runner: this.runner }
          : { message: `simulated ${kind}` };
    const at = this.emit(FAIL_EVENTS[kind], { iteration, role, status: kind, data });
    if (kind === "rate_limited") {
      writeInPlace(
        this.paths.rateLimit,
        jsonText({
          loop_id: this.loopId,
          run_id: this.runId,
          iteration,
          role,
          detected_at: at,
          retry_after_seconds: 3600,
        }),
      );
      // The runtime leaves state.json active after rate_limit_stop (spec 10a §1).
      this.endRun(null, iteration);
    } else {
      this.endRun(false, iteration);
    }
    return this;
  }

  /**
   * The run dies without an event; state.json stays as it was (active). The attached real process,
   * if any, is SIGKILLed (no exit trap). active-run.json is removed unless `keepActiveRun`.
   */
  crash(options: { keepActiveRun?: boolean } = {}): this {
    const attached = this.attached;
    if (attached !== null && attached.pgid !== UNUSED_PID) {
      try {
        process.kill(-attached.pgid, "SIGKILL");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    }
    if (options.keepActiveRun !== true) this.removeActiveRun();
    this.running = false;
    this.attached = null;
    return this;
  }

  /** The run exits between iterations without a terminal event (state inactive): the `idle` shape. */
  exit(): this {
    this.endRun(false, this.nextIteration);
    return this;
  }

  /**
   * An iteration with stuck streak `streak` (default: the threshold); when the streak reaches the
   * threshold the run stops with `loop_stop` reason `stuck` (override with `stop`).
   */
  stuck(streak = this.threshold, options: { stop?: boolean } = {}): this {
    this.iteration({ stuckStreak: streak });
    if (options.stop ?? streak >= this.threshold) this.stop("stuck");
    return this;
  }

  // ---- extra artifacts ------------------------------------------------------------------------

  /** heartbeat.v1.json (never written by the real runtime today; tests need it). */
  writeHeartbeat(at?: TimeInput, extra: Partial<Heartbeat> = {}): Heartbeat {
    const timestamp = at === undefined ? this.clock.peek() : timestampOf(at);
    const heartbeat: Heartbeat = {
      schemaVersion: "v1",
      timestamp,
      source: "runtime",
      status: "running",
      stage: "iteration",
      ...extra,
    };
    writeInPlace(this.paths.heartbeat, jsonText(heartbeat));
    return heartbeat;
  }

  /** Append an arbitrary event with the loop's ids (timestamp from the clock unless given). */
  appendEvent(
    event: string,
    fields: {
      role?: string;
      status?: string;
      data?: JsonObject;
      timestamp?: TimeInput;
      iteration?: number;
      runId?: string;
    } = {},
  ): RuntimeEvent {
    const built = buildEvent({
      timestamp: fields.timestamp === undefined ? this.clock.next() : timestampOf(fields.timestamp),
      event,
      loopId: this.loopId,
      runId: fields.runId ?? this.currentRunId ?? "unknown",
      iteration: fields.iteration ?? this.lastIterationRecord?.iteration ?? this.nextIteration,
      role: fields.role,
      status: fields.status,
      data: fields.data,
    });
    appendText(this.paths.events, `${JSON.stringify(built)}\n`);
    return built;
  }

  /** Append raw text to events.jsonl (malformed lines; `newline: false` leaves an unterminated tail). */
  appendRawLine(text: string, options: { newline?: boolean } = {}): this {
    appendText(this.paths.events, options.newline === false ? text : `${text}\n`);
    return this;
  }

  /** Leave approval.json or stuck.json torn (written in place by the runtime, spec 10a §3). */
  tear(kind: LoopFileKind, mode: TornMode, options: TornWriteOptions & { content?: string } = {}): TornWrite {
    const file = kind === "approval" ? this.paths.approval : this.paths.stuck;
    return this.repo.track(tearFile(file, mode, options));
  }

  // ---- readers for assertions -----------------------------------------------------------------

  readEvents(): RuntimeEvent[] {
    return readJsonLines(this.paths.events) as RuntimeEvent[];
  }

  lastEvent(): RuntimeEvent | null {
    return this.readEvents().at(-1) ?? null;
  }

  readSummary(): RunSummary | null {
    return readJsonFile(this.paths.runSummary) as RunSummary | null;
  }

  readApproval(): PendingApproval | null {
    return readJsonFile(this.paths.approval) as PendingApproval | null;
  }

  readDecisions(): JsonObject[] {
    return readJsonLines(this.paths.decisions) as JsonObject[];
  }

  // ---- internals -------------------------------------------------------------------------------

  private ensureRun(): void {
    if (!this.running) this.startRun();
  }

  private requireRunId(): string {
    if (this.currentRunId === null) throw new Error("no run started");
    return this.currentRunId;
  }

  /** Append one event stamped by the clock; returns its timestamp. */
  private emit(
    event: string,
    fields: { iteration?: number; role?: string; status?: string; data?: JsonObject } = {},
  ): Timestamp {
    const timestamp = this.clock.next();
    const line = buildEvent({
      timestamp,
      event,
      loopId: this.loopId,
      runId: this.requireRunId(),
      iteration: fields.iteration ?? this.nextIteration,
      role: fields.role,
      status: fields.status,
      data: fields.data,
    });
    appendText(this.paths.events, `${JSON.stringify(line)}\n`);
    return timestamp;
  }

  private writeState(active: boolean, iteration: number): void {
    this.repo.writeState({
      active,
      loop_index: this.loopIndex,
      iteration,
      current_loop_id: this.loopId,
      updated_at: this.clock.peek(),
    });
  }

  private writeActiveRun(stage: ActiveRun["stage"], at: Timestamp): void {
    const attached = this.attached ?? { pid: UNUSED_PID, pgid: UNUSED_PID };
    this.repo.writeActiveRun({
      repo: this.repo.root,
      pid: attached.pid,
      pgid: attached.pgid,
      loop_id: this.loopId,
      iteration: this.nextIteration,
      stage,
      updated_at: at,
    });
  }

  /** The runtime process removes its own active-run.json on exit; leave another loop's registration. */
  private removeActiveRun(): void {
    const current = readJsonFileQuiet(this.repo.paths.activeRun);
    if (current !== null && typeof current === "object" && (current as JsonObject)["loop_id"] !== this.loopId)
      return;
    removeFile(this.repo.paths.activeRun);
  }

  /** End the run: write state (`null` = leave state.json untouched), remove active-run.json. */
  private endRun(active: boolean | null, iteration: number): void {
    if (active !== null) this.writeState(active, iteration);
    this.removeActiveRun();
    this.running = false;
    this.attached = null;
  }

  private appendSummaryEntry(entry: RunSummaryEntry, updatedAt: Timestamp): void {
    this.entries.push(entry);
    const summary: RunSummary = {
      version: 1,
      loop_id: this.loopId,
      updated_at: updatedAt,
      entries: this.entries,
    };
    writeAtomic(this.paths.runSummary, jsonText(summary));
  }

  private appendUsage(iteration: number, role: string, startedAt: Timestamp, endedAt: Timestamp): void {
    const durationMs = (toEpochSeconds(endedAt) - toEpochSeconds(startedAt)) * 1000;
    const line = {
      timestamp: endedAt,
      loop_id: this.loopId,
      run_id: this.requireRunId(),
      iteration,
      role,
      runner: this.runner,
      model: this.model,
      duration_ms: durationMs,
      cost_usd: Math.round(durationMs / 10) / 1000,
    };
    appendText(this.paths.usage, `${JSON.stringify(line)}\n`);
  }

  private summaryArtifacts(
    iteration: number,
    gates: Gates,
    endedAt: Timestamp,
  ): Record<string, SummaryArtifact> {
    const dir = this.relativePaths.loopDir;
    const mtime = toEpochSeconds(endedAt);
    const artifact = (name: string, file: string, exists: boolean, gate?: string): SummaryArtifact => ({
      path: `${dir}/${file}`,
      exists,
      ...(exists ? { sha256: sha256(`${this.loopId}:${this.runId}:${iteration}:${name}`), mtime } : {}),
      ...(gate !== undefined ? { gate } : {}),
    });
    return {
      plan: artifact("plan", "plan.md", true),
      implementer_report: artifact("implementer_report", "implementer.md", true),
      test_report: artifact("test_report", "test-report.md", gates.tests !== "skipped", "tests"),
      checklist_status: artifact(
        "checklist_status",
        "checklist-status.json",
        gates.checklist !== "skipped",
        "checklist",
      ),
      evidence: artifact("evidence", "evidence.json", gates.evidence === "ok", "evidence"),
      reviewer_report: artifact("reviewer_report", "review.md", true),
    };
  }
}

function timestampOf(at: TimeInput): Timestamp {
  return formatTimestamp(toEpochSeconds(at));
}

function readJsonFileQuiet(file: string): unknown {
  try {
    return readJsonFile(file);
  } catch {
    return null;
  }
}
