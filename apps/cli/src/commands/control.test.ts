// `ops-manager control` / `confirm-intent` end to end through runCli, with the simulated runtime.
import { createSimulatedRepo, type SimulatedRepo, superloopBinPath } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

const repos: SimulatedRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
});

function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  repos.push(repo);
  return repo;
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    PATH: process.env["PATH"],
    USER: "ops-user",
    SUPERLOOP_BIN: superloopBinPath(),
  };
  return { ...env, ...extra };
}

async function cli(args: string[], cwd: string, env = baseEnv()) {
  const io = captureIo(env, cwd);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe("ops-manager control", () => {
  it("exit 0: prints the compact intent entry only", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const { code, out, err } = await cli(
      [
        "control",
        "--repo",
        ".",
        "--loop",
        "demo-loop",
        "--intent",
        "approve",
        "--trace-id",
        "t-1",
        "--timeout-seconds",
        "2",
        "--interval-seconds",
        "1",
      ],
      repo.root,
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(out)).toMatchObject({
      loopId: "demo-loop",
      intent: "approve",
      traceId: "t-1",
      requestedBy: "ops-user",
      transport: "local",
      status: "confirmed",
      confirmed: true,
      command: `${superloopBinPath()} approve --repo ${repo.root} --loop demo-loop --by ops-user`,
    });
  });

  it("--no-confirm is a switch of its own: executed_unconfirmed, exit 0", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const { code, out } = await cli(
      [
        "control",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--intent",
        "reject",
        "--no-confirm",
        "--note",
        "nope",
      ],
      repo.root,
    );
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ status: "executed_unconfirmed", note: "nope" });
  });

  it("exit 2: ambiguous when the runtime acts without effect", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const { code, out, err } = await cli(
      [
        "control",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--intent",
        "approve",
        "--timeout-seconds",
        "1",
        "--interval-seconds",
        "1",
      ],
      repo.root,
      baseEnv({ SUPERLOOP_SIM_SKIP_EFFECT: "1" }),
    );
    expect({ code, err }).toEqual({ code: 2, err: "" });
    expect(JSON.parse(out)).toMatchObject({ status: "ambiguous", confirmExitCode: 1 });
  });

  it("exit 1: failed_command still prints the entry", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const { code, out, err } = await cli(
      ["control", "--repo", repo.root, "--loop", "demo-loop", "--intent", "approve"],
      repo.root,
      baseEnv({ SUPERLOOP_SIM_EXIT_CODE: "4" }),
    );
    expect({ code, err }).toEqual({ code: 1, err: "" });
    expect(JSON.parse(out)).toMatchObject({ status: "failed_command", exitCode: 4 });
  });

  it("exit 1: validation errors print one error line and nothing on stdout", async () => {
    const repo = newRepo();
    const { code, out, err } = await cli(["control", "--repo", repo.root, "--loop", "demo-loop"], repo.root);
    expect({ code, out, err }).toEqual({ code: 1, out: "", err: "error: --intent is required\n" });
    const refused = newRepo();
    refused.scenario("running", "other-loop");
    const cancel = await cli(
      ["control", "--repo", refused.root, "--loop", "demo-loop", "--intent", "cancel"],
      refused.root,
    );
    expect(cancel.code).toBe(1);
    expect(cancel.out).toBe("");
    expect(cancel.err).toMatch(/^error: cancel refused: the repository's current run is loop 'other-loop'/);
  });

  it("sprite_service: a client failure is recorded, exit 1, the client error on stderr", async () => {
    const repo = newRepo();
    const { code, out, err } = await cli(
      [
        "control",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--intent",
        "cancel",
        "--transport",
        "sprite_service",
        "--service-base-url",
        "http://127.0.0.1:9/",
        "--retry-attempts",
        "1",
      ],
      repo.root,
    );
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      transport: "sprite_service",
      status: "failed_command",
      command: "POST http://127.0.0.1:9/ops/control",
    });
    expect(err).toMatch(
      /^error: service request failed \(method=POST url=http:\/\/127\.0\.0\.1:9\/ops\/control code=000\)/,
    );
  });

  it("--help lists every spec flag", async () => {
    const { code, out } = await cli(["control", "--help"], process.cwd());
    expect(code).toBe(0);
    for (const flag of [
      "--repo",
      "--loop",
      "--intent",
      "--transport",
      "--service-base-url",
      "--service-token",
      "--idempotency-key",
      "--trace-id",
      "--retry-attempts",
      "--retry-backoff-seconds",
      "--by",
      "--note",
      "--timeout-seconds",
      "--interval-seconds",
      "--no-confirm",
    ]) {
      expect(out).toContain(flag);
    }
    expect(out).not.toContain("--pretty");
  });
});

describe("ops-manager confirm-intent", () => {
  it("exit 0 when confirmed, 1 when not; prints the document", async () => {
    const repo = newRepo();
    repo.scenario("stopped", "demo-loop");
    const ok = await cli(
      [
        "confirm-intent",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--intent",
        "cancel",
        "--timeout-seconds",
        "0",
      ],
      repo.root,
    );
    expect({ code: ok.code, err: ok.err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(ok.out)).toMatchObject({
      intent: "cancel",
      confirmed: true,
      reason: "inactive_not_running",
      attempts: 1,
    });
    const no = await cli(
      [
        "confirm-intent",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--intent",
        "approve",
        "--timeout-seconds",
        "0",
      ],
      repo.root,
    );
    expect(no.code).toBe(1);
    expect(JSON.parse(no.out)).toMatchObject({
      intent: "approve",
      confirmed: false,
      reason: "timeout",
      observedStatus: "stopped",
      observedLastEvent: "loop_stop",
    });
    const invalid = await cli(
      [
        "confirm-intent",
        "--repo",
        repo.root,
        "--loop",
        "demo-loop",
        "--intent",
        "approve",
        "--interval-seconds",
        "x",
      ],
      repo.root,
    );
    expect(invalid).toEqual({
      code: 1,
      out: "",
      err: "error: timeout and interval must be non-negative integers\n",
    });
  });
});
