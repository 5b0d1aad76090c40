/** Tests only: the real `ops-sprite-service` process, spawned from source with tsx. */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "index.ts");
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface SpawnedService {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** The base URL from the listening line; rejects if the process exits before printing it. */
  readonly url: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** Start `ops-sprite-service <args>` in `cwd` with exactly `env`. */
export function spawnService(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): SpawnedService {
  const child = spawn(process.execPath, ["--conditions=@ops/source", "--import", tsxLoader, entry, ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^ops-manager sprite service listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    void exited.then(() => reject(new Error(`service exited before listening: ${stderr}`)));
  });
  return { child, url, exited, stdout: () => stdout, stderr: () => stderr };
}
