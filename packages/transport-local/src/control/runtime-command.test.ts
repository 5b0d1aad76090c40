import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isProcessAlive, makeTempDir, readInvocationLog, superloopBinPath, type TempDir } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  RUNTIME_NOT_EXECUTABLE_EXIT_CODE,
  RUNTIME_NOT_FOUND_EXIT_CODE,
  RUNTIME_TIMEOUT_EXIT_CODE,
  runRuntimeCommand,
  runtimeControlArgv,
} from "./runtime-command.js";

const temps: TempDir[] = [];
afterEach(async () => {
  for (const temp of temps.splice(0)) await temp.cleanup();
});
function tempDir(): string {
  const temp = makeTempDir("ops-control-cmd-");
  temps.push(temp);
  return temp.path;
}

describe("runtimeControlArgv", () => {
  const base = { bin: "/opt/sl/superloop.sh", repo: "/srv/repo", loop: "demo-loop", by: "ops-user" };
  it("maps the three intents (spec 15 §1); cancel takes no actor (Q15-8)", () => {
    expect(runtimeControlArgv({ ...base, intent: "cancel", note: "ignored" })).toEqual([
      "/opt/sl/superloop.sh",
      "cancel",
      "--repo",
      "/srv/repo",
    ]);
    expect(runtimeControlArgv({ ...base, intent: "approve", note: "" })).toEqual([
      "/opt/sl/superloop.sh",
      "approve",
      "--repo",
      "/srv/repo",
      "--loop",
      "demo-loop",
      "--by",
      "ops-user",
    ]);
    expect(runtimeControlArgv({ ...base, intent: "reject", note: "nope" })).toEqual([
      "/opt/sl/superloop.sh",
      "approve",
      "--repo",
      "/srv/repo",
      "--loop",
      "demo-loop",
      "--by",
      "ops-user",
      "--reject",
      "--note",
      "nope",
    ]);
  });
});

describe("runRuntimeCommand", () => {
  it("captures stdout and stderr interleaved and the real exit code", async () => {
    const dir = tempDir();
    const result = await runRuntimeCommand(
      [superloopBinPath(), "approve", "--repo", dir, "--loop", "demo-loop", "--by", "x"],
      { env: { ...process.env, SUPERLOOP_SIM_OUTPUT_LINES: "2" }, cwd: dir },
    );
    expect(result.exitCode).toBe(1);
    expect(result.timedOut).toBe(false);
    const lines = result.outputTail.split("\n");
    expect(lines.slice(0, 2)).toEqual([expect.any(String), expect.any(String)]);
    expect(lines.at(-1)).toMatch(/^error: no pending approval for loop 'demo-loop'/);
    expect(result.command).toBe(`${superloopBinPath()} approve --repo ${dir} --loop demo-loop --by x`);
  });

  it("reports a simulated failure exit code without acting", async () => {
    const dir = tempDir();
    const result = await runRuntimeCommand([superloopBinPath(), "cancel", "--repo", dir], {
      env: { ...process.env, SUPERLOOP_SIM_EXIT_CODE: "3" },
      cwd: dir,
    });
    expect(result.exitCode).toBe(3);
    expect(result.outputTail).toMatch(/simulated runtime failure/);
  });

  it("kills the whole process group on timeout and records exit 124", async () => {
    const dir = tempDir();
    const log = path.join(dir, "invocations.jsonl");
    const started = Date.now();
    const result = await runRuntimeCommand([superloopBinPath(), "cancel", "--repo", dir], {
      env: { ...process.env, SUPERLOOP_SIM_SLEEP_MS: "10000", SUPERLOOP_SIM_INVOCATION_LOG: log },
      cwd: dir,
      timeoutMs: 500,
      killGraceMs: 200,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBe(RUNTIME_TIMEOUT_EXIT_CODE);
    expect(result.outputTail).toBe(
      "error: runtime command timed out after 500 ms; its process group was killed",
    );
    const [invocation] = readInvocationLog(log);
    expect(invocation).toBeDefined();
    expect(isProcessAlive(invocation?.pid ?? 0)).toBe(false);
  });

  it("escalates to SIGKILL for a group member that ignores SIGTERM", async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, "child.pid");
    // The leader starts a same-group child that ignores SIGTERM, then waits forever.
    const script = path.join(dir, "stubborn.mjs");
    writeFileSync(
      script,
      `#!/usr/bin/env node
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
process.on("SIGTERM", () => {});
setInterval(() => {}, 1 << 30);
`,
    );
    chmodSync(script, 0o755);
    const result = await runRuntimeCommand([script], {
      env: process.env,
      cwd: dir,
      timeoutMs: 700,
      killGraceMs: 200,
    });
    expect(result.exitCode).toBe(RUNTIME_TIMEOUT_EXIT_CODE);
    const childPid = Number(readFileSync(pidFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isProcessAlive(childPid)).toBe(false);
  });

  it("maps start failures to 127 (missing) and 126 (not executable)", async () => {
    const dir = tempDir();
    const missing = await runRuntimeCommand([path.join(dir, "nope.sh"), "cancel"], {
      env: process.env,
      cwd: dir,
    });
    expect(missing.exitCode).toBe(RUNTIME_NOT_FOUND_EXIT_CODE);
    expect(missing.startFailed).toBe(true);
    expect(missing.outputTail).toBe(
      `error: cannot run runtime command ${path.join(dir, "nope.sh")} (ENOENT)`,
    );
    const plain = path.join(dir, "plain.sh");
    writeFileSync(plain, "#!/bin/sh\necho hi\n");
    chmodSync(plain, 0o644);
    const notExecutable = await runRuntimeCommand([plain], { env: process.env, cwd: dir });
    expect(notExecutable.exitCode).toBe(RUNTIME_NOT_EXECUTABLE_EXIT_CODE);
  });
});
