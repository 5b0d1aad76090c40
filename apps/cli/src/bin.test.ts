/**
 * The real binary, spawned from source (tsx) in a foreign working directory: what an operator and
 * the acceptance tests see (stdout, stderr, exit code).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, "index.ts");
const repoRoot = path.resolve(here, "../../..");
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runBin(args: readonly string[], cwd: string): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["OPS_MANAGER_DEBUG"];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=@ops/source", "--import", tsxLoader, entry, ...args],
      { cwd, env, encoding: "utf8" },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("ops-manager (spawned from source, foreign cwd)", () => {
  const cwd = mkdtempSync(path.join(tmpdir(), "ops-cli-bin-"));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("--help: usage on stdout, exit 0, and the bundled catalogs are found", async () => {
    const result = await runBin(["--help"], cwd);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^Usage: ops-manager <command>/);
    expect(result.stdout).toContain(`Bundled catalogs (install root ${repoRoot}):`);
    expect(result.stdout).toContain("config/ops-manager-threshold-profiles.v1.json");
  });

  it("unknown argument: usage on stdout, error on stderr, exit 1", async () => {
    const result = await runBin(["poll-events", "--loop", "007", "--bogus"], cwd);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Usage: ops-manager poll-events/);
    expect(result.stderr).toBe("error: unknown argument: --bogus\n");
  });

  it("an OpsError from a command: one error line, exit 1, nothing on stdout", async () => {
    const result = await runBin(["fleet", "status", "--repo", cwd], cwd);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: fleet state file not found: ${cwd}/.superloop/ops-manager/fleet/state.json\n`,
    });
  });
});
