/**
 * The runtime command of a control intent (spec 15 §1): `<SUPERLOOP_BIN> cancel|approve …`, run
 * directly (never through a shell) in its own process group, with a time limit, capturing stdout and
 * stderr interleaved as produced.
 */
import { constants as osConstants } from "node:os";
import { execa } from "execa";
import { formatShellCommand, outputTail } from "./quote.js";

export type ControlIntent = "cancel" | "approve" | "reject";

export const CONTROL_INTENTS: readonly ControlIntent[] = ["cancel", "approve", "reject"];

export function isControlIntent(value: unknown): value is ControlIntent {
  return value === "cancel" || value === "approve" || value === "reject";
}

export interface RuntimeArgvInput {
  /** The runtime executable (`SUPERLOOP_BIN`). */
  readonly bin: string;
  readonly intent: ControlIntent;
  /** Absolute repo path. */
  readonly repo: string;
  readonly loop: string;
  /** Actor; passed to approve/reject only (the runtime's cancel takes no actor, Q15-8). */
  readonly by: string;
  /** Passed to approve/reject when non-empty. */
  readonly note: string;
}

/**
 * The argv of spec 15 §1 (program first):
 * - cancel: `<bin> cancel --repo <repo>`
 * - approve: `<bin> approve --repo <repo> --loop <loop> --by <by> [--note <note>]`
 * - reject: `<bin> approve --repo <repo> --loop <loop> --by <by> --reject [--note <note>]`
 */
export function runtimeControlArgv(input: RuntimeArgvInput): string[] {
  if (input.intent === "cancel") return [input.bin, "cancel", "--repo", input.repo];
  const argv = [input.bin, "approve", "--repo", input.repo, "--loop", input.loop, "--by", input.by];
  if (input.intent === "reject") argv.push("--reject");
  if (input.note.length > 0) argv.push("--note", input.note);
  return argv;
}

/** Exit code recorded when the time limit killed the command (as `timeout(1)` reports it). */
export const RUNTIME_TIMEOUT_EXIT_CODE = 124;
/** Exit code recorded when the executable does not exist (as a shell reports it). */
export const RUNTIME_NOT_FOUND_EXIT_CODE = 127;
/** Exit code recorded when the executable exists but cannot be started (permissions, format). */
export const RUNTIME_NOT_EXECUTABLE_EXIT_CODE = 126;

export const DEFAULT_RUNTIME_TIMEOUT_MS = 60_000;
export const DEFAULT_RUNTIME_KILL_GRACE_MS = 2_000;

export interface RunRuntimeCommandOptions {
  /** Environment of the command (complete; the parent's environment is not merged in). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Time limit (default 60 s). On expiry the whole process group gets SIGTERM, then SIGKILL. */
  readonly timeoutMs?: number;
  /** Pause between SIGTERM and SIGKILL of the group after a timeout (default 2 s). */
  readonly killGraceMs?: number;
}

export interface RuntimeCommandResult {
  /** The executed argv (program first). */
  readonly argv: readonly string[];
  /** `argv` as one POSIX-shell-quoted line (spec 15 §2.1 step 5). */
  readonly command: string;
  /**
   * The command's exit code; for failures without one: 124 time limit, 127 not found,
   * 126 cannot start, 128+n killed by signal n.
   */
  readonly exitCode: number;
  /** stdout and stderr interleaved as produced, plus one `error: …` line of ours on timeout/start failure. */
  readonly output: string;
  /** Last 40 lines of `output`, `\r` stripped (spec 15 §2.1 step 4). */
  readonly outputTail: string;
  readonly timedOut: boolean;
  /** The executable could not be started (exit code 126/127). */
  readonly startFailed: boolean;
}

/** Signal one process group; a group that is already gone is fine. */
function killGroup(pgid: number, signal: NodeJS.Signals): void {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return; // never address "every process"/init
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in the group; EPERM cannot happen for our own child's group.
  }
}

function signalExitCode(signal: string | undefined): number | null {
  if (signal === undefined) return null;
  const number = (osConstants.signals as Record<string, number | undefined>)[signal];
  return number === undefined ? null : 128 + number;
}

/**
 * Run the runtime command. Never throws for the command's own failures: a non-zero exit, a start
 * failure or the time limit all come back as a result with a non-zero `exitCode`.
 *
 * The child is started detached, i.e. as the leader of its own process group, so the time limit
 * kills everything it started (SIGTERM, then SIGKILL after the grace period) — and the runtime's
 * `cancel`, which refuses to signal its own group, can never hit the manager's group.
 */
export async function runRuntimeCommand(
  argv: readonly string[],
  options: RunRuntimeCommandOptions,
): Promise<RuntimeCommandResult> {
  const [file, ...args] = argv;
  if (file === undefined || file.length === 0) throw new TypeError("runtime command argv is empty");
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUNTIME_TIMEOUT_MS;
  const graceMs = options.killGraceMs ?? DEFAULT_RUNTIME_KILL_GRACE_MS;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;

  const subprocess = execa(file, args, {
    env,
    extendEnv: false,
    cwd: options.cwd,
    reject: false,
    all: true,
    stdin: "ignore",
    stripFinalNewline: false,
    detached: true,
    shell: false,
  });

  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  const pid = subprocess.pid;
  if (pid !== undefined) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup(pid, "SIGTERM");
        timers.push(setTimeout(() => killGroup(pid, "SIGKILL"), graceMs));
      }, timeoutMs),
    );
  }
  let result: Awaited<typeof subprocess>;
  try {
    result = await subprocess;
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }

  let output = typeof result.all === "string" ? result.all : "";
  let exitCode: number;
  let startFailed = false;
  if (timedOut) {
    exitCode = RUNTIME_TIMEOUT_EXIT_CODE;
    output = appendLine(
      output,
      `error: runtime command timed out after ${formatSeconds(timeoutMs)}; its process group was killed`,
    );
  } else if (typeof result.exitCode === "number") {
    exitCode = result.exitCode;
  } else if (result.signal !== undefined) {
    exitCode = signalExitCode(result.signal) ?? 1;
  } else {
    // Spawn failure: no process ever ran.
    startFailed = true;
    const code = (result as { code?: unknown }).code;
    exitCode = code === "ENOENT" ? RUNTIME_NOT_FOUND_EXIT_CODE : RUNTIME_NOT_EXECUTABLE_EXIT_CODE;
    const why = typeof code === "string" ? code : result.shortMessage;
    output = appendLine(output, `error: cannot run runtime command ${file} (${why})`);
  }
  return {
    argv: [...argv],
    command: formatShellCommand(argv),
    exitCode,
    output,
    outputTail: outputTail(output),
    timedOut,
    startFailed,
  };
}

function appendLine(text: string, line: string): string {
  if (text.length === 0 || text.endsWith("\n")) return `${text}${line}\n`;
  return `${text}\n${line}\n`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
