import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";

/**
 * A pid no process can ever have (above Linux's PID_MAX_LIMIT and macOS's limit): the default for
 * runs registered without a real process, so a `cancel` against it can never signal a stranger.
 */
export const UNUSED_PID = 4_194_999;

/** Alive = signal 0 succeeds and, where /proc exists, the process is not an unreaped zombie. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z";
  } catch {
    return true;
  }
}

export interface RunProcess {
  /** Leader pid; also the process group id (spawned detached). */
  readonly pid: number;
  readonly pgid: number;
  /** Pids of extra members of the group (see `children`), to prove the whole group is killed. */
  readonly memberPids: readonly number[];
  /** Resolves when the leader exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Leader or any member still alive. */
  isAlive(): boolean;
  /** SIGKILL the whole group (no trap runs, like a crash) and wait for the leader. Idempotent. */
  kill(): Promise<void>;
}

export interface SpawnRunProcessOptions {
  /** Extra long-lived processes in the same group (default 0). */
  children?: number;
  /**
   * Like the runtime's exit trap: on SIGTERM/SIGINT remove this active-run.json if it still names
   * this pid. Omit to leave files alone.
   */
  activeRunFile?: string;
}

// Leader: starts N same-group children, reports their pids on stdout, then sleeps until signalled.
const LEADER_SCRIPT = `
const fs = require("node:fs");
const { spawn } = require("node:child_process");
const [count, activeRunFile] = [Number(process.argv[1] || 0), process.argv[2] || ""];
const members = [];
for (let i = 0; i < count; i++) {
  const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
  members.push(c.pid);
}
const trap = (sig) => () => {
  if (activeRunFile) {
    try {
      const run = JSON.parse(fs.readFileSync(activeRunFile, "utf8"));
      if (run && run.pid === process.pid) fs.unlinkSync(activeRunFile);
    } catch {}
  }
  process.exit(sig === "SIGTERM" ? 143 : 130);
};
process.on("SIGTERM", trap("SIGTERM"));
process.on("SIGINT", trap("SIGINT"));
process.stdout.write(JSON.stringify({ members }) + "\\n");
setInterval(() => {}, 1 << 30);
`;

/**
 * Spawn a real long-lived process in its own process group (pgid = pid), standing in for a
 * Superloop run so `superloop cancel` has something real to kill. Callers must `kill()` it (the
 * simulated repo's `cleanup()` does that for processes it spawned).
 */
export async function spawnRunProcess(options: SpawnRunProcessOptions = {}): Promise<RunProcess> {
  const children = options.children ?? 0;
  const child: ChildProcess = spawn(
    process.execPath,
    ["-e", LEADER_SCRIPT, String(children), options.activeRunFile ?? ""],
    { detached: true, stdio: ["ignore", "pipe", "ignore"] },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const memberPids = await new Promise<number[]>((resolve, reject) => {
    let buffer = "";
    child.once("error", reject);
    child.once("exit", () => reject(new Error("run process exited before it was ready")));
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const newline = buffer.indexOf("\n");
      if (newline >= 0) resolve((JSON.parse(buffer.slice(0, newline)) as { members: number[] }).members);
    });
  });
  // Readiness known; stop holding the pipe so the child can't block on a full buffer.
  child.stdout?.destroy();
  const pid = child.pid;
  if (pid === undefined) throw new Error("spawned run process has no pid");
  const groupAlive = () => isProcessAlive(pid) || memberPids.some((member) => isProcessAlive(member));
  return {
    pid,
    pgid: pid,
    memberPids,
    exited,
    isAlive: groupAlive,
    kill: async () => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
      if (child.exitCode === null && child.signalCode === null) await exited;
    },
  };
}
