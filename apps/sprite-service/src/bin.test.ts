/** The real `ops-sprite-service` process, spawned from source with tsx. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, "index.ts");
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

describe("ops-sprite-service (spawned)", () => {
  const cwd = mkdtempSync(path.join(tmpdir(), "ops-sprite-bin-"));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("prints the bound address, answers /healthz, and exits 0 on SIGTERM", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env["OPS_MANAGER_SERVICE_TOKEN"];
    const child = spawn(
      process.execPath,
      ["--conditions=@ops/source", "--import", tsxLoader, entry, "--repo", ".", "--port", "0"],
      { cwd, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /^ops-manager sprite service listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        void exited.then(() => reject(new Error(`exited early: ${stderr}`)));
      });
      const response = await fetch(`${url}/healthz`);
      expect([response.status, await response.text()]).toEqual([200, '{"ok":true}']);
      child.kill("SIGTERM");
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(stderr).toBe("");
      expect(stdout).toBe(`ops-manager sprite service listening on ${url}\n`);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
