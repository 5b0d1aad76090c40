#!/usr/bin/env node
// @ts-check
/**
 * Simulated Superloop runtime command (`superloop.sh` stand-in) for tests, benchmarks and the demo.
 * Implements the control surface the ops manager uses (spec 10a §3, spec 15 §1):
 *   superloop.mjs cancel  --repo R
 *   superloop.mjs approve --repo R --loop L --by B [--note N] [--reject]
 * plus fault injection through SUPERLOOP_SIM_* environment variables (see ../README.md).
 * Plain Node ESM, no dependencies, so any package can point SUPERLOOP_BIN at it without a build.
 */
import fs from "node:fs";
import path from "node:path";

const USAGE = `Usage: superloop.mjs <command> [options]

Commands:
  cancel  --repo <path>
      Kill the run registered in .superloop/active-run.json (its process group) and
      delete .superloop/state.json and .superloop/active-run.json. Writes no event.
  approve --repo <path> --loop <id> [--by <actor>] [--note <text>] [--reject]
      Record an approval decision for the loop's pending approval (approval.json,
      decisions.jsonl and an approval_decision event). The run is not resumed.

Options:
  -h, --help   Show this help.

Simulation controls (environment): SUPERLOOP_SIM_INVOCATION_LOG, SUPERLOOP_SIM_SLEEP_MS,
SUPERLOOP_SIM_EXIT_CODE, SUPERLOOP_SIM_EXIT_AFTER_EFFECT, SUPERLOOP_SIM_SKIP_EFFECT,
SUPERLOOP_SIM_OUTPUT_LINES, SUPERLOOP_SIM_CRLF, SUPERLOOP_SIM_NOW, SUPERLOOP_SIM_TORN_WRITE_MS,
SUPERLOOP_SIM_KILL_GRACE_MS.
`;

const env = process.env;
const EOL = env["SUPERLOOP_SIM_CRLF"] === "1" ? "\r\n" : "\n";

/** @param {string} text */
function out(text) {
  process.stdout.write(text + EOL);
}

/** Usage error: exit 2 like a shell script's argument parser. @param {string} message @returns {never} */
function usageError(message) {
  process.stderr.write(`error: ${message}\n${USAGE}`);
  process.exit(2);
}

/** Runtime failure: exit 1 with one stderr line. @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

/** @param {string} name @returns {number | null} */
function intEnv(name) {
  const raw = env[name];
  if (raw === undefined || raw === "") return null;
  if (!/^[0-9]+$/.test(raw)) usageError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whole-second UTC `Z` timestamp, overridable so decisions are deterministic in tests. */
function nowTimestamp() {
  const fixed = env["SUPERLOOP_SIM_NOW"];
  if (fixed !== undefined && fixed !== "") return fixed;
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// Invocation log first, before any validation, so tests can count every run (including failures).
const invocationLog = env["SUPERLOOP_SIM_INVOCATION_LOG"];
if (invocationLog !== undefined && invocationLog !== "") {
  const record = {
    timestamp: nowTimestamp(),
    pid: process.pid,
    cwd: process.cwd(),
    argv: process.argv.slice(2),
  };
  fs.mkdirSync(path.dirname(invocationLog), { recursive: true });
  // One write with O_APPEND keeps concurrent invocations from interleaving.
  fs.appendFileSync(invocationLog, JSON.stringify(record) + "\n");
}

/**
 * @typedef {{ command: "cancel" | "approve", repo: string, loop?: string, by?: string, note?: string, reject: boolean }} Parsed
 */

/** @param {string[]} argv @returns {Parsed} */
function parseArgs(argv) {
  if (argv.length === 0) usageError("missing command");
  const [command, ...rest] = argv;
  if (command === "-h" || command === "--help") {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (command !== "cancel" && command !== "approve") usageError(`unknown command: ${command}`);
  /** @type {Record<string, string>} */
  const values = {};
  let reject = false;
  const valueFlags = command === "cancel" ? ["--repo"] : ["--repo", "--loop", "--by", "--note"];
  for (let i = 0; i < rest.length; i += 1) {
    const arg = /** @type {string} */ (rest[i]);
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (command === "approve" && arg === "--reject") {
      reject = true;
      continue;
    }
    if (valueFlags.includes(arg)) {
      const value = rest[i + 1];
      if (value === undefined) usageError(`${arg} requires a value`);
      values[arg] = /** @type {string} */ (value);
      i += 1;
      continue;
    }
    usageError(`unknown argument: ${arg}`);
  }
  const repo = values["--repo"];
  if (repo === undefined || repo === "") usageError("--repo is required");
  /** @type {Parsed} */
  const parsed = { command, repo: /** @type {string} */ (repo), reject };
  if (command === "approve") {
    const loop = values["--loop"];
    if (loop === undefined || loop === "") usageError("--loop is required");
    parsed.loop = /** @type {string} */ (loop);
    parsed.by = values["--by"] || env["USER"] || "unknown";
    const note = values["--note"];
    if (note !== undefined && note !== "") parsed.note = note;
  }
  return parsed;
}

/** @param {string} file @returns {unknown} undefined when absent, throws SyntaxError when torn/invalid */
function readJson(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(text);
}

/** @param {string} file */
function removeIfPresent(file) {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === "ENOENT") return false;
    throw error;
  }
}

/** Process group of this process (Linux /proc), so cancel never kills its own caller's group. */
function ownProcessGroup() {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgrp = Number(fields[2]);
    return Number.isInteger(pgrp) ? pgrp : null;
  } catch {
    return null;
  }
}

/**
 * Alive = signal 0 succeeds and (where /proc exists) the process is not a zombie awaiting reaping.
 * @param {number} pid
 */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === "EPERM";
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** @param {number} target negative for a process group @param {NodeJS.Signals} sig */
function sendSignal(target, sig) {
  try {
    process.kill(target, sig);
    return true;
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code;
    if (code !== "ESRCH") process.stderr.write(`warning: kill ${sig} ${target} failed: ${code}\n`);
    return false;
  }
}

/** @param {unknown} value */
function positivePid(value) {
  const n = typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : value;
  // pid 0/1 would signal our own group or every process: never accept them.
  return typeof n === "number" && Number.isInteger(n) && n > 1 ? n : null;
}

/** @param {string} repo */
async function cancel(repo) {
  const superloopDir = path.join(repo, ".superloop");
  const stateFile = path.join(superloopDir, "state.json");
  const activeRunFile = path.join(superloopDir, "active-run.json");
  /** @type {unknown} */
  let activeRun;
  try {
    activeRun = readJson(activeRunFile);
  } catch {
    process.stderr.write(`warning: ${activeRunFile} is not valid JSON; no process signalled\n`);
  }
  let killed = false;
  if (activeRun !== null && typeof activeRun === "object") {
    const record = /** @type {Record<string, unknown>} */ (activeRun);
    const pid = positivePid(record["pid"]);
    const pgid = positivePid(record["pgid"]);
    const own = ownProcessGroup();
    if (pgid !== null && (pgid === own || pgid === process.pid)) {
      process.stderr.write(`warning: refusing to signal own process group ${pgid}\n`);
    } else if (pgid !== null) {
      killed = sendSignal(-pgid, "SIGTERM");
    } else if (pid !== null && pid !== process.pid) {
      killed = sendSignal(pid, "SIGTERM");
    }
    const leader = pid ?? pgid;
    if (killed && leader !== null) {
      // Give the run a grace period, then force it, so callers observe a dead process on return.
      const grace = intEnv("SUPERLOOP_SIM_KILL_GRACE_MS") ?? 1000;
      const deadline = Date.now() + grace;
      while (isAlive(leader) && Date.now() < deadline) await sleep(10);
      if (isAlive(leader)) sendSignal(pgid !== null ? -pgid : leader, "SIGKILL");
    }
  }
  const hadState = removeIfPresent(stateFile);
  const hadActiveRun = removeIfPresent(activeRunFile);
  if (hadState || hadActiveRun || killed) out("Cancelled loop state.");
  else out("No active loop state to cancel.");
}

/**
 * Write a file in place (truncate + write, like the real runtime). With SUPERLOOP_SIM_TORN_WRITE_MS
 * the first half is visible for that long, so readers can be tested against a torn approval.json.
 * @param {string} file @param {string} content
 */
async function writeInPlace(file, content) {
  const tornMs = intEnv("SUPERLOOP_SIM_TORN_WRITE_MS");
  if (tornMs === null) {
    fs.writeFileSync(file, content);
    return;
  }
  const fd = fs.openSync(file, "w");
  try {
    const bytes = Buffer.from(content, "utf8");
    const half = Math.floor(bytes.length / 2);
    fs.writeSync(fd, bytes, 0, half, 0);
    await sleep(tornMs);
    fs.writeSync(fd, bytes, half, bytes.length - half, half);
  } finally {
    fs.closeSync(fd);
  }
}

/** @param {string} repo @param {string} loopId @param {string} by @param {string | undefined} note @param {boolean} reject */
async function approve(repo, loopId, by, note, reject) {
  const loopDir = path.join(repo, ".superloop", "loops", loopId);
  const approvalFile = path.join(loopDir, "approval.json");
  /** @type {unknown} */
  let approval;
  try {
    approval = readJson(approvalFile);
  } catch (error) {
    fail(`invalid approval file ${approvalFile}: ${/** @type {Error} */ (error).message}`);
  }
  if (approval === undefined) fail(`no pending approval for loop '${loopId}' (${approvalFile} not found)`);
  if (approval === null || typeof approval !== "object" || Array.isArray(approval)) {
    fail(`invalid approval file ${approvalFile}: not a JSON object`);
  }
  const current = /** @type {Record<string, unknown>} */ (approval);
  if (current["status"] !== "pending") {
    fail(`no pending approval for loop '${loopId}' (status: ${String(current["status"])})`);
  }
  const decision = reject ? "rejected" : "approved";
  const at = nowTimestamp();
  const updated = {
    ...current,
    status: decision,
    decision: { status: decision, by, note: note ?? null, at },
    decided_at: at,
    decided_by: by,
    decided_note: note ?? null,
  };
  await writeInPlace(approvalFile, JSON.stringify(updated) + "\n");

  const runId = current["run_id"] ?? null;
  const iteration = current["iteration"] ?? null;
  /** @type {Record<string, unknown>} */
  const decisionLine = { timestamp: at, loop_id: loopId, run_id: runId, iteration, decision, by };
  if (note !== undefined) decisionLine["note"] = note;
  decisionLine["approval_file"] = approvalFile;
  fs.appendFileSync(path.join(loopDir, "decisions.jsonl"), JSON.stringify(decisionLine) + "\n");

  /** @type {Record<string, unknown>} */
  const data = { decision, by };
  if (note !== undefined) data["note"] = note;
  const event = {
    timestamp: at,
    event: "approval_decision",
    loop_id: loopId,
    run_id: runId,
    iteration,
    role: "human",
    status: decision,
    data,
  };
  fs.appendFileSync(path.join(loopDir, "events.jsonl"), JSON.stringify(event) + "\n");
  out(`Recorded approval decision (${decision}) for loop '${loopId}'.`);
}

async function main() {
  const parsed = parseArgs(process.argv.slice(2));
  const exitCode = intEnv("SUPERLOOP_SIM_EXIT_CODE");
  const sleepMs = intEnv("SUPERLOOP_SIM_SLEEP_MS");
  const outputLines = intEnv("SUPERLOOP_SIM_OUTPUT_LINES");
  if (sleepMs !== null && sleepMs > 0) await sleep(sleepMs);
  if (outputLines !== null) {
    for (let i = 1; i <= outputLines; i += 1) out(`superloop sim output line ${i}`);
  }
  const effectFirst = env["SUPERLOOP_SIM_EXIT_AFTER_EFFECT"] === "1";
  if (exitCode !== null && exitCode !== 0 && !effectFirst) {
    process.stderr.write(`error: simulated runtime failure (exit ${exitCode})\n`);
    process.exit(exitCode);
  }

  const repo = path.resolve(parsed.repo);
  let isDir = false;
  try {
    isDir = fs.statSync(repo).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) fail(`repo not found: ${repo}`);

  if (env["SUPERLOOP_SIM_SKIP_EFFECT"] === "1") {
    // Claims success without touching anything: the manager must not treat exit 0 as evidence.
    out(parsed.command === "cancel" ? "Cancelled loop state." : "Recorded approval decision.");
  } else if (parsed.command === "cancel") {
    await cancel(repo);
  } else {
    await approve(
      repo,
      /** @type {string} */ (parsed.loop),
      /** @type {string} */ (parsed.by),
      parsed.note,
      parsed.reject,
    );
  }

  if (exitCode !== null && exitCode !== 0) {
    process.stderr.write(`error: simulated runtime failure after effect (exit ${exitCode})\n`);
    process.exit(exitCode);
  }
}

main().catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
