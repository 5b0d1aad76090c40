import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSpriteServiceCli, type ServiceIo } from "./cli.js";

const repo = mkdtempSync(path.join(tmpdir(), "ops-sprite-cli-"));
afterAll(() => rmSync(repo, { recursive: true, force: true }));
writeFileSync(path.join(repo, "a-file"), "not a directory\n");

function captureIo(env: Record<string, string | undefined> = {}) {
  let out = "";
  let err = "";
  const io: ServiceIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    cwd: repo,
  };
  return { io, out: () => out, err: () => err };
}

const never = new Promise<never>(() => {});

async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  // A generous deadline (15 s): a loaded CI machine can take a while to start listening.
  for (let i = 0; i < 1_500; i += 1) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("timed out");
}

describe("ops-sprite-service command line", () => {
  it("--help lists the spec 16 flags on stdout, exit 0", async () => {
    const { io, out, err } = captureIo();
    expect(await runSpriteServiceCli(["--help"], io, never)).toBe(0);
    expect(out()).toMatch(/^Usage: ops-sprite-service --repo <path>/);
    for (const flag of [
      "--repo",
      "--host",
      "--port",
      "--token",
      "--scripts-dir",
      "--log",
      "OPS_MANAGER_SERVICE_TOKEN",
    ]) {
      expect(out()).toContain(flag);
    }
    expect(err()).toBe("");
  });

  it("unknown argument: usage on stdout, error on stderr, exit 1", async () => {
    const { io, out, err } = captureIo();
    expect(await runSpriteServiceCli(["--repo", repo, "--bogus"], io, never)).toBe(1);
    expect(out()).toMatch(/^Usage: ops-sprite-service/);
    expect(err()).toBe("error: unknown argument: --bogus\n");
  });

  it.each([
    [[], "--repo is required"],
    [["--repo", "no/such/dir"], "repo path not found: no/such/dir"],
    [["--repo", "a-file"], "repo path not found: a-file"],
    [["--repo", ".", "--port", "80000"], "--port must be an integer between 0 and 65535"],
    [["--repo", ".", "--port", "-1"], "--port must be an integer between 0 and 65535"],
    [["--repo", ".", "--host", ""], "--host must not be empty"],
  ])("startup failure %j → error: %s, exit 1", async (args, message) => {
    const { io, out, err } = captureIo();
    expect(await runSpriteServiceCli(args, io, never)).toBe(1);
    expect(out()).toBe("");
    expect(err()).toBe(`error: ${message}\n`);
  });

  it("serves until shutdown, printing the listening line; token from the environment; --log", async () => {
    const { io, out, err } = captureIo({ OPS_MANAGER_SERVICE_TOKEN: "env-token" });
    let stop: (value: string) => void = () => {};
    const shutdown = new Promise<string>((resolve) => (stop = resolve));
    const running = runSpriteServiceCli(
      ["--repo", ".", "--port", "0", "--log", "requests.jsonl"],
      io,
      shutdown,
    );
    const url = await waitFor(
      () => /^ops-manager sprite service listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(out())?.[1],
    );
    expect((await fetch(`${url}/healthz`)).status).toBe(401);
    expect((await fetch(`${url}/healthz`, { headers: { "x-ops-token": "env-token" } })).status).toBe(200);
    stop("SIGTERM");
    expect(await running).toBe(0);
    expect(err()).toBe("");
    const log = readFileSync(path.join(repo, "requests.jsonl"), "utf8").trim().split("\n");
    expect(log.map((line) => (JSON.parse(line) as { status: number }).status)).toEqual([401, 200]);
  });

  it("--token wins over the environment", async () => {
    const { io, out } = captureIo({ OPS_MANAGER_SERVICE_TOKEN: "env-token" });
    let stop: (value: string) => void = () => {};
    const running = runSpriteServiceCli(
      ["--repo", repo, "--port", "0", "--token", "flag-token"],
      io,
      new Promise<string>((resolve) => (stop = resolve)),
    );
    const url = await waitFor(() => /listening on (\S+)\n/.exec(out())?.[1]);
    expect((await fetch(`${url}/healthz`, { headers: { "x-ops-token": "env-token" } })).status).toBe(401);
    expect((await fetch(`${url}/healthz`, { headers: { authorization: "Bearer flag-token" } })).status).toBe(
      200,
    );
    stop("SIGINT");
    expect(await running).toBe(0);
  });
});
