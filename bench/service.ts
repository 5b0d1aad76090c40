/**
 * Load benchmark of the sprite service (docs/performance.md, "Sprite service under load"): the REAL
 * `ops-sprite-service` started as a child process from source over a repo built with @ops/testkit's
 * seeded `generateWorkload`, hit with bursts of concurrent authenticated requests on loopback.
 *
 *   node --conditions=@ops/source --import tsx bench/service.ts [options]
 *
 *   --events <n>        events in the loop (default 10000)
 *   --requests <n>      concurrent requests per round, all sent at once (default 200)
 *   --rounds <n>        measured rounds (default 5)
 *   --max-events <n>    maxEvents of each /ops/events request (default 100)
 *   --unloaded <n>      sequential requests per kind for the unloaded latencies (default 20)
 *   --access-log        run the service with --log <file> (one JSON line per request)
 *   --cpu-prof <dir>    run the service with `node --cpu-prof --cpu-prof-dir=<dir>` (the profile is
 *                       written at its graceful exit; summarise with bench/cpuprofile-summary.ts)
 *   --seed <n>          workload and cursor seed (default 20260222)
 *   --out <file>        JSON report (default bench/.out/service.json)
 *   --keep              keep the temp directory with the generated repo
 *
 * What is measured:
 *   1. Unloaded: `--unloaded` sequential requests of each kind (healthz, snapshot, events at cursor 0,
 *      events near the end of the log); median latency = the service time of one request.
 *   2. Load: `--rounds` rounds (after one warm-up round) of `--requests` requests fired at once, half
 *      `GET /ops/snapshot`, half `GET /ops/events?cursor=N&maxEvents=M` with seeded cursors spread over
 *      the whole log. Per round: wall time, throughput (requests / wall time), p50/p95/p99 latency
 *      (overall and per kind), errors. Also one burst of `/healthz` (HTTP + auth cost alone).
 *   Every response is checked (status 200, snapshot envelope of the loop, exactly the expected events
 *   and cursor); anything else counts as an error, and the bench exits 1 unless errors are 0.
 *   At the end the service gets SIGTERM and must exit 0 (graceful shutdown); its peak RSS is read from
 *   /proc before that.
 *
 * Safety: loopback only (the service binds 127.0.0.1 and the bench refuses any other URL), a fixed
 * number of requests, a 60 s limit per request and a 15 min limit for the whole run.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { generateWorkload, makeTempDir, mulberry32 } from "../packages/testkit/src/index.js";
import { BENCH_DIR, INSTALL_ROOT, median, round } from "./lib.js";

const { values: flags } = parseArgs({
  options: {
    events: { type: "string", default: "10000" },
    requests: { type: "string", default: "200" },
    rounds: { type: "string", default: "5" },
    "max-events": { type: "string", default: "100" },
    unloaded: { type: "string", default: "20" },
    "access-log": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    seed: { type: "string", default: "20260222" },
    out: { type: "string", default: path.join(BENCH_DIR, ".out", "service.json") },
    keep: { type: "boolean", default: false },
  },
  strict: true,
});

function positiveInt(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new Error(`--${name} must be an integer between 1 and ${max}: ${value}`);
  }
  return n;
}

const params = {
  events: positiveInt("events", flags.events),
  // Bounded on purpose: this is a load test of a local process, not a stress tool.
  requests: positiveInt("requests", flags.requests, 2000),
  rounds: positiveInt("rounds", flags.rounds, 50),
  maxEvents: positiveInt("max-events", flags["max-events"]),
  unloaded: positiveInt("unloaded", flags.unloaded, 1000),
  accessLog: flags["access-log"],
  seed: positiveInt("seed", flags.seed),
};

const REQUEST_TIMEOUT_MS = 60_000;
const BENCH_TIMEOUT_MS = 15 * 60_000;
const STARTUP_TIMEOUT_MS = 60_000;
const SHUTDOWN_TIMEOUT_MS = 30_000;

const log = (message: string) => process.stderr.write(`[bench:service] ${message}\n`);

type Kind = "healthz" | "snapshot" | "events";

interface Planned {
  readonly kind: Kind;
  readonly path: string;
  /** events: requested cursor and the number of events the answer must carry. */
  readonly cursor?: number;
  readonly expectEvents?: number;
}

interface Sample {
  readonly kind: Kind;
  readonly ms: number;
  readonly error: string | null;
}

interface LatencyStats {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

function stats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

// ---------------------------------------------------------------------------------------------------
// The service child process.
// ---------------------------------------------------------------------------------------------------

interface ServiceProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

async function startService(
  repo: string,
  token: string,
  accessLog: string | null,
  cpuProfDir: string | undefined,
): Promise<ServiceProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["OPS_MANAGER_SERVICE_TOKEN"];
  const args = [
    ...(cpuProfDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(cpuProfDir)}`]),
    "--conditions=@ops/source",
    "--import",
    "tsx",
    path.join(INSTALL_ROOT, "apps", "sprite-service", "src", "index.ts"),
    "--repo",
    repo,
    "--port",
    "0",
    "--token",
    token,
    ...(accessLog === null ? [] : ["--log", accessLog]),
  ];
  const child = spawn(process.execPath, args, { cwd: INSTALL_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("service did not report listening in time")),
      STARTUP_TIMEOUT_MS,
    );
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^ops-manager sprite service listening on (http:\/\/[^\s]+)\n/.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`service exited before listening (code ${code}, signal ${signal}): ${stderr}`));
    });
  }).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  // Loopback only: never send this traffic anywhere else.
  const { hostname } = new URL(url);
  if (hostname !== "127.0.0.1") {
    child.kill("SIGKILL");
    throw new Error(`refusing to load a non-loopback address: ${url}`);
  }
  return { child, url, exited, stderr: () => stderr };
}

/** Peak and current RSS of a process (Linux /proc), MiB; null elsewhere. */
function processRss(pid: number | undefined): { peakMiB: number; currentMiB: number } | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    const peak = kib("VmHWM");
    const current = kib("VmRSS");
    return Number.isFinite(peak) && Number.isFinite(current)
      ? { peakMiB: round(peak / 1024), currentMiB: round(current / 1024) }
      : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Requests and their checks.
// ---------------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Why `body` is not the answer `planned` must get, or null when it is. */
function checkBody(planned: Planned, loopId: string, body: unknown): string | null {
  if (!isObject(body)) return "body is not a JSON object";
  if (planned.kind === "healthz") return body["ok"] === true ? null : "healthz without ok:true";
  if (planned.kind === "snapshot") {
    const source = body["source"];
    if (body["envelopeType"] !== "loop_run_snapshot") return "not a loop_run_snapshot envelope";
    if (!isObject(source) || source["loopId"] !== loopId) return "snapshot of another loop";
    return null;
  }
  const events = body["events"];
  const cursor = body["cursor"];
  if (body["ok"] !== true || !Array.isArray(events)) return "events answer without ok/events";
  if (events.length !== planned.expectEvents) {
    return `expected ${planned.expectEvents} events, got ${events.length}`;
  }
  const expectedOffset = (planned.cursor ?? 0) + (planned.expectEvents ?? 0);
  if (!isObject(cursor) || cursor["eventLineOffset"] !== expectedOffset) {
    return `expected cursor offset ${expectedOffset}, got ${JSON.stringify(cursor)}`;
  }
  const first: unknown = events[0];
  const sequence = isObject(first) && isObject(first["sequence"]) ? first["sequence"]["value"] : undefined;
  if (events.length > 0 && sequence !== (planned.cursor ?? 0) + 1) {
    return `first event has sequence ${String(sequence)}, expected ${(planned.cursor ?? 0) + 1}`;
  }
  return null;
}

async function send(
  url: string,
  token: string,
  loopId: string,
  planned: Planned,
  deadline: AbortSignal,
): Promise<Sample> {
  const t0 = performance.now();
  try {
    const response = await fetch(`${url}${planned.path}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), deadline]),
    });
    const text = await response.text();
    const ms = performance.now() - t0;
    if (response.status !== 200) {
      return { kind: planned.kind, ms, error: `HTTP ${response.status}: ${text.slice(0, 200)}` };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: planned.kind, ms, error: "response is not JSON" };
    }
    return { kind: planned.kind, ms, error: checkBody(planned, loopId, body) };
  } catch (error) {
    return {
      kind: planned.kind,
      ms: performance.now() - t0,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

function snapshotRequest(loopId: string): Planned {
  return { kind: "snapshot", path: `/ops/snapshot?loopId=${encodeURIComponent(loopId)}` };
}

function eventsRequest(loopId: string, cursor: number, total: number, maxEvents: number): Planned {
  return {
    kind: "events",
    path: `/ops/events?loopId=${encodeURIComponent(loopId)}&cursor=${cursor}&maxEvents=${maxEvents}`,
    cursor,
    expectEvents: Math.min(maxEvents, total - cursor),
  };
}

/** `count` requests, alternating snapshot / events, cursors seeded and spread over the whole log. */
function mixedPlan(
  loopId: string,
  count: number,
  total: number,
  maxEvents: number,
  rng: () => number,
): Planned[] {
  const plan: Planned[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i % 2 === 0) plan.push(snapshotRequest(loopId));
    else plan.push(eventsRequest(loopId, Math.floor(rng() * (total - maxEvents + 1)), total, maxEvents));
  }
  return plan;
}

interface RoundResult {
  readonly label: string;
  readonly requests: number;
  readonly wallMs: number;
  readonly throughputPerSecond: number;
  readonly errors: number;
  readonly errorSamples: string[];
  readonly latency: LatencyStats;
  readonly byKind: Partial<Record<Kind, LatencyStats>>;
  readonly samples: Sample[];
}

/** Fire every request of `plan` at once and wait for all of them. */
async function burst(
  label: string,
  url: string,
  token: string,
  loopId: string,
  plan: readonly Planned[],
  deadline: AbortSignal,
): Promise<RoundResult> {
  const t0 = performance.now();
  const samples = await Promise.all(plan.map((planned) => send(url, token, loopId, planned, deadline)));
  const wallMs = performance.now() - t0;
  const failed = samples.filter((sample) => sample.error !== null);
  const byKind: Partial<Record<Kind, LatencyStats>> = {};
  for (const kind of ["healthz", "snapshot", "events"] as const) {
    const values = samples.filter((sample) => sample.kind === kind).map((sample) => sample.ms);
    if (values.length > 0) byKind[kind] = stats(values);
  }
  return {
    label,
    requests: plan.length,
    wallMs: round(wallMs),
    throughputPerSecond: round(plan.length / (wallMs / 1000)),
    errors: failed.length,
    errorSamples: [...new Set(failed.map((sample) => sample.error ?? ""))].slice(0, 5),
    latency: stats(samples.map((sample) => sample.ms)),
    byKind,
    samples,
  };
}

// ---------------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------------

const benchDeadline = new AbortController();
const benchTimer = setTimeout(
  () => benchDeadline.abort(new Error(`bench exceeded ${BENCH_TIMEOUT_MS / 60_000} min`)),
  BENCH_TIMEOUT_MS,
);
benchTimer.unref();

const temp = makeTempDir("ops-bench-service-");
log(`temp dir ${temp.path}`);
let service: ServiceProcess | undefined;
let exitCode = 0;
try {
  const repo = path.join(temp.path, "repo");
  mkdirSync(repo, { recursive: true });
  const t0 = performance.now();
  const workload = await generateWorkload({
    seed: params.seed,
    loops: 1,
    eventsPerLoop: params.events,
    root: repo,
  });
  const loop = workload.loops[0];
  if (loop === undefined || loop.events !== params.events) throw new Error("workload has no loop");
  const loopId = loop.loopId;
  const total = loop.events;
  if (params.maxEvents > total)
    throw new Error(`--max-events (${params.maxEvents}) exceeds --events (${total})`);
  log(
    `generated ${loopId}: ${total} events, ${round(loop.bytes / 1024 / 1024, 2)} MiB in ${Math.round(performance.now() - t0)} ms`,
  );

  const token = randomBytes(24).toString("hex");
  const accessLog = params.accessLog ? path.join(temp.path, "access.jsonl") : null;
  const startT0 = performance.now();
  service = await startService(repo, token, accessLog, flags["cpu-prof"]);
  const startupMs = round(performance.now() - startT0);
  log(`service ${service.url} (pid ${service.child.pid}) listening after ${startupMs} ms`);
  const { url } = service;
  const deadline = benchDeadline.signal;
  const rssAtStart = processRss(service.child.pid);

  // The token is enforced (a request without it is refused before anything else).
  const unauthorized = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  await unauthorized.text();
  if (unauthorized.status !== 401)
    throw new Error(`/healthz without a token answered ${unauthorized.status}`);

  // 1. Unloaded: sequential requests of each kind.
  const unloadedKinds: [string, Planned][] = [
    ["healthz", { kind: "healthz", path: "/healthz" }],
    ["snapshot", snapshotRequest(loopId)],
    ["events cursor=0", eventsRequest(loopId, 0, total, params.maxEvents)],
    [
      `events cursor=${total - params.maxEvents}`,
      eventsRequest(loopId, total - params.maxEvents, total, params.maxEvents),
    ],
  ];
  const unloaded: { label: string; medianMs: number; p95Ms: number; errors: number }[] = [];
  for (const [label, planned] of unloadedKinds) {
    const samples: Sample[] = [];
    for (let i = 0; i < params.unloaded + 2; i += 1) {
      const sample = await send(url, token, loopId, planned, deadline);
      if (i >= 2) samples.push(sample); // two warm-ups
    }
    const errors = samples.filter((sample) => sample.error !== null);
    const values = samples.map((sample) => sample.ms);
    unloaded.push({
      label,
      medianMs: round(median(values), 2),
      p95Ms: round(
        percentile(
          [...values].sort((a, b) => a - b),
          95,
        ),
        2,
      ),
      errors: errors.length,
    });
    if (errors.length > 0) log(`unloaded ${label}: ${errors[0]?.error}`);
  }

  // 2. Load: one warm-up round, then the measured rounds; then a /healthz burst.
  const rng = mulberry32(params.seed);
  const warmup = await burst(
    "warm-up",
    url,
    token,
    loopId,
    mixedPlan(loopId, params.requests, total, params.maxEvents, rng),
    deadline,
  );
  log(`warm-up: ${warmup.wallMs} ms, ${warmup.errors} errors`);
  const rounds: RoundResult[] = [];
  for (let index = 1; index <= params.rounds; index += 1) {
    const result = await burst(
      `round ${index}`,
      url,
      token,
      loopId,
      mixedPlan(loopId, params.requests, total, params.maxEvents, rng),
      deadline,
    );
    rounds.push(result);
    log(
      `${result.label}: ${result.requests} requests in ${result.wallMs} ms (${result.throughputPerSecond}/s), ` +
        `p50 ${result.latency.p50} p95 ${result.latency.p95} p99 ${result.latency.p99} ms, ${result.errors} errors`,
    );
  }
  const healthz = await burst(
    "healthz burst",
    url,
    token,
    loopId,
    Array.from({ length: params.requests }, (): Planned => ({ kind: "healthz", path: "/healthz" })),
    deadline,
  );

  const rss = processRss(service.child.pid);

  // Graceful shutdown: SIGTERM must end the service with exit 0.
  service.child.kill("SIGTERM");
  const stopped = await Promise.race([
    service.exited,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), SHUTDOWN_TIMEOUT_MS).unref()),
  ]);
  const shutdownOk = stopped !== null && stopped.code === 0 && service.stderr() === "";
  if (!shutdownOk) log(`shutdown: ${JSON.stringify(stopped)} stderr=${service.stderr().slice(0, 400)}`);
  service = undefined;

  let accessLogLines: number | null = null;
  if (accessLog !== null) {
    accessLogLines = readFileSync(accessLog, "utf8")
      .split("\n")
      .filter((line) => line.length > 0).length;
  }
  const requestsSent =
    1 +
    unloadedKinds.length * (params.unloaded + 2) +
    warmup.requests +
    params.rounds * params.requests +
    healthz.requests;
  const accessLogOk = accessLogLines === null || accessLogLines === requestsSent;

  // All measured samples together.
  const allSamples = rounds.flatMap((result) => result.samples);
  const all = {
    requests: allSamples.length,
    errors: allSamples.filter((sample) => sample.error !== null).length,
    latency: stats(allSamples.map((sample) => sample.ms)),
    snapshot: stats(allSamples.filter((s) => s.kind === "snapshot").map((s) => s.ms)),
    events: stats(allSamples.filter((s) => s.kind === "events").map((s) => s.ms)),
    throughputPerSecond: {
      median: round(median(rounds.map((result) => result.throughputPerSecond))),
      min: round(Math.min(...rounds.map((result) => result.throughputPerSecond))),
      max: round(Math.max(...rounds.map((result) => result.throughputPerSecond))),
    },
  };
  const totalErrors =
    all.errors + warmup.errors + healthz.errors + unloaded.reduce((sum, entry) => sum + entry.errors, 0);

  // -------------------------------------------------------------------------------------------------
  // Report.
  // -------------------------------------------------------------------------------------------------
  const lines: string[] = [];
  lines.push(
    `sprite service load: ${total} events (${round(loop.bytes / 1024 / 1024, 2)} MiB), ${params.requests} concurrent requests × ${params.rounds} rounds, ` +
      `half snapshot / half events (maxEvents=${params.maxEvents})${params.accessLog ? ", access log on" : ""}`,
  );
  lines.push("");
  lines.push("unloaded (sequential), ms      median     p95  errors");
  for (const entry of unloaded) {
    lines.push(
      `  ${entry.label.padEnd(26)} ${String(entry.medianMs).padStart(8)} ${String(entry.p95Ms).padStart(7)} ${String(entry.errors).padStart(7)}`,
    );
  }
  lines.push("");
  lines.push(
    "round        wall ms   req/s    p50    p95    p99    max  snap p50/p99   events p50/p99  errors",
  );
  for (const result of [warmup, ...rounds, healthz]) {
    const snap = result.byKind.snapshot;
    const events = result.byKind.events;
    lines.push(
      `${result.label.padEnd(12)} ${String(result.wallMs).padStart(7)} ${String(result.throughputPerSecond).padStart(7)} ` +
        `${String(result.latency.p50).padStart(6)} ${String(result.latency.p95).padStart(6)} ${String(result.latency.p99).padStart(6)} ` +
        `${String(result.latency.max).padStart(6)} ${(snap === undefined ? "-" : `${snap.p50}/${snap.p99}`).padStart(14)} ` +
        `${(events === undefined ? "-" : `${events.p50}/${events.p99}`).padStart(16)} ${String(result.errors).padStart(7)}`,
    );
  }
  lines.push("");
  lines.push(
    `measured rounds: ${all.requests} requests, ${all.errors} errors; throughput median ${all.throughputPerSecond.median}/s ` +
      `(${all.throughputPerSecond.min}–${all.throughputPerSecond.max}); latency p50 ${all.latency.p50} p95 ${all.latency.p95} ` +
      `p99 ${all.latency.p99} ms (snapshot p50 ${all.snapshot.p50} p99 ${all.snapshot.p99}; events p50 ${all.events.p50} p99 ${all.events.p99})`,
  );
  lines.push(
    `service: startup ${startupMs} ms, RSS after start ${rssAtStart === null ? "n/a" : `${rssAtStart.currentMiB} MiB`}, ` +
      `peak RSS ${rss === null ? "n/a" : `${rss.peakMiB} MiB (after the load ${rss.currentMiB} MiB)`}, ` +
      `SIGTERM → ${stopped === null ? "no exit" : `exit ${stopped.code ?? stopped.signal}`}` +
      (accessLogLines === null ? "" : `, access log ${accessLogLines}/${requestsSent} lines`),
  );
  const errorSamples = [
    ...warmup.errorSamples,
    ...rounds.flatMap((result) => result.errorSamples),
    ...healthz.errorSamples,
  ];
  if (errorSamples.length > 0) lines.push(`errors: ${[...new Set(errorSamples)].slice(0, 5).join(" | ")}`);
  process.stdout.write(`${lines.join("\n")}\n`);

  const withoutSamples = ({ samples: _samples, ...rest }: RoundResult) => rest;
  const report = {
    kind: "sprite-service-load",
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map((value) => round(value, 2)),
    params,
    workload: { loopId, events: total, bytes: loop.bytes },
    startupMs,
    unloaded,
    warmup: withoutSamples(warmup),
    rounds: rounds.map(withoutSamples),
    healthz: withoutSamples(healthz),
    all,
    totalErrors,
    serviceRss: { afterStart: rssAtStart, end: rss },
    shutdown: { result: stopped, ok: shutdownOk },
    accessLog:
      accessLogLines === null ? null : { lines: accessLogLines, expected: requestsSent, ok: accessLogOk },
  };
  mkdirSync(path.dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`report written to ${flags.out}`);

  if (totalErrors !== 0) {
    log(`FAILED: ${totalErrors} request errors (must be 0)`);
    exitCode = 1;
  }
  if (!shutdownOk) {
    log("FAILED: the service did not shut down cleanly on SIGTERM");
    exitCode = 1;
  }
  if (!accessLogOk) {
    log(`FAILED: access log has ${accessLogLines} lines, expected ${requestsSent}`);
    exitCode = 1;
  }
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  clearTimeout(benchTimer);
  if (service !== undefined) {
    service.child.kill("SIGKILL");
    await service.exited;
  }
  if (flags.keep) log(`kept ${temp.path}`);
  else temp.cleanup();
}
process.exitCode = exitCode;
