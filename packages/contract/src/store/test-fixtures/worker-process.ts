/** Spawning `store-worker.ts` as a real child process from the tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const workerScript = fileURLToPath(new URL("./store-worker.ts", import.meta.url));
const packageDir = fileURLToPath(new URL("../../../", import.meta.url));

export function spawnWorker(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ["--conditions=@ops/source", "--import", "tsx", workerScript, ...args], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Resolve when the child exits 0; reject with its stderr otherwise. */
export function waitForExit(child: ChildProcess): Promise<void> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`worker exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

export function runWorker(args: readonly string[]): Promise<void> {
  return waitForExit(spawnWorker(args));
}

/** Resolve once the child printed `line` on stdout. */
export function waitForOutput(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.split("\n").includes(line)) resolve();
    });
    child.on("exit", (code) => reject(new Error(`worker exited (${code}) before printing ${line}`)));
  });
}

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "ops-store-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
