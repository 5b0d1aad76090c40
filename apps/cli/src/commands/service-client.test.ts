// `ops-manager service-client` end to end through the CLI: a real sprite-service handler over a
// simulated repo, and a scripted server for the failure paths.
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { loopRunSnapshot } from "@ops/transport-local";
import { createSpriteServiceHandler } from "@ops/transport-sprite";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(listener: RequestListener): Promise<string> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo();
  cleanups.push(() => repo.cleanup());
  return repo;
}

async function cli(args: string[], cwd = process.cwd()) {
  const io = captureIo({}, cwd);
  const code = await runCli(["service-client", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe("ops-manager service-client", () => {
  it("--help lists every spec 16 §4 flag", async () => {
    const { code, out } = await cli(["--help"]);
    expect(code).toBe(0);
    for (const flag of [
      "--method",
      "--base-url",
      "--path",
      "--token",
      "--trace-id",
      "--body-file",
      "--retry-attempts",
      "--retry-backoff-seconds",
      "--connect-timeout-seconds",
      "--max-time-seconds",
    ]) {
      expect(out).toContain(flag);
    }
  });

  it("GET from a real sprite service: the raw body on stdout, exit 0", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const url = await listen(
      createSpriteServiceHandler({
        repo: repo.root,
        token: "tok",
        runControl: async () => ({ exitCode: 0, stdout: "", stderr: "" }),
      }),
    );
    const { code, out, err } = await cli([
      "--method",
      "GET",
      "--base-url",
      `${url}/`,
      "--path",
      "/ops/snapshot?loopId=demo-loop",
      "--token",
      "tok",
      "--trace-id",
      "cli-trace",
    ]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.endsWith("}\n")).toBe(true);
    const envelope = JSON.parse(out) as Record<string, unknown>;
    const local = (await loopRunSnapshot({
      repo: repo.root,
      loop: "demo-loop",
      traceId: "cli-trace",
    })) as unknown as Record<string, unknown>;
    expect({ ...envelope, emittedAt: null }).toEqual({ ...local, emittedAt: null });

    const denied = await cli(["--method", "GET", "--base-url", url, "--path", "/healthz", "--token", "nope"]);
    expect(denied).toEqual({
      code: 1,
      out: "",
      err: `error: service request failed (method=GET url=${url}/healthz code=401): {"ok":false,"error":{"code":"unauthorized","message":"missing or invalid token"}}\n`,
    });
  });

  it("POST sends --body-file verbatim and prints the control response", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const url = await listen(
      createSpriteServiceHandler({
        repo: repo.root,
        runControl: async (args) => ({
          exitCode: 0,
          stdout: `${JSON.stringify({ intent: args.intent })}\n`,
          stderr: "",
        }),
      }),
    );
    writeFileSync(
      path.join(repo.root, "body.json"),
      '{"loopId":"demo-loop","intent":"cancel","idempotencyKey":"k1"}',
    );
    const args = [
      "--method",
      "POST",
      "--base-url",
      url,
      "--path",
      "/ops/control",
      "--body-file",
      "body.json",
    ];
    const first = await cli(args, repo.root);
    expect(first).toEqual({
      code: 0,
      err: "",
      out: '{"ok":true,"exitCode":0,"result":{"intent":"cancel"},"replayed":false}\n',
    });
    const second = await cli(args, repo.root);
    expect(JSON.parse(second.out)).toMatchObject({ replayed: true });
  });

  it("retries transient statuses, then fails with exit 1 and the body excerpt", async () => {
    let hits = 0;
    const url = await listen((_req: IncomingMessage, res) => {
      hits += 1;
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"ok":false,"error":{"code":"unavailable","message":"busy"}}');
    });
    const { code, out, err } = await cli([
      "--method",
      "GET",
      "--base-url",
      url,
      "--path",
      "/ops/events?loopId=x",
      "--retry-attempts",
      "3",
      "--retry-backoff-seconds",
      "0",
    ]);
    expect({ code, out, hits }).toEqual({ code: 1, out: "", hits: 3 });
    expect(err).toBe(
      `error: service request failed (method=GET url=${url}/ops/events?loopId=x code=503): {"ok":false,"error":{"code":"unavailable","message":"busy"}}\n`,
    );
  });

  it("connection refused: code 000, exit 1", async () => {
    const url = await listen(() => {});
    await cleanups.pop()?.();
    const { code, out, err } = await cli([
      "--method",
      "GET",
      "--base-url",
      url,
      "--path",
      "/healthz",
      "--retry-attempts",
      "2",
      "--retry-backoff-seconds",
      "0",
    ]);
    expect({ code, out }).toEqual({ code: 1, out: "" });
    expect(err).toMatch(
      new RegExp(
        `^error: service request failed \\(method=GET url=${url}/healthz code=000\\): .*ECONNREFUSED.*\\n$`,
      ),
    );
  });

  it("a hung service: --max-time-seconds bounds each attempt (code 000)", async () => {
    const url = await listen(() => {});
    const started = Date.now();
    const { code, err } = await cli([
      "--method",
      "GET",
      "--base-url",
      url,
      "--path",
      "/healthz",
      "--retry-attempts",
      "1",
      "--max-time-seconds",
      "1",
    ]);
    expect(code).toBe(1);
    expect(err).toBe(
      `error: service request failed (method=GET url=${url}/healthz code=000): request timed out after 1 s\n`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    [[], "--method is required"],
    [["--method", "DELETE"], "--method must be GET or POST"],
    [["--method", "GET"], "--base-url is required"],
    [["--method", "GET", "--base-url", "http://127.0.0.1:1"], "--path is required"],
    [
      ["--method", "GET", "--base-url", "http://127.0.0.1:1", "--path", "/x", "--retry-attempts", "0"],
      "--retry-attempts must be an integer >= 1",
    ],
    [
      ["--method", "GET", "--base-url", "http://127.0.0.1:1", "--path", "/x", "--max-time-seconds", "-5"],
      "timeout/backoff values must be non-negative integers",
    ],
    [
      ["--method", "POST", "--base-url", "http://127.0.0.1:1", "--path", "/x"],
      "--body-file is required for POST",
    ],
    [
      ["--method", "POST", "--base-url", "http://127.0.0.1:1", "--path", "/x", "--body-file", "missing.json"],
      "body file not found: missing.json",
    ],
  ])("%j → error: %s, exit 1", async (args, message) => {
    expect(await cli(args)).toEqual({ code: 1, out: "", err: `error: ${message}\n` });
  });
});
