// `ops-manager reconcile --transport sprite_service` end to end through the CLI, against a real
// sprite-service request handler on 127.0.0.1 (spec 13 §4.2, §2 step 13, §11).
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createSimulatedRepo, makeTempDir, type SimulatedRepo, type TempDir } from "@ops/testkit";
import { createSpriteServiceHandler } from "@ops/transport-sprite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

let runtime: SimulatedRepo;
let manager: TempDir;
let server: Server;
let baseUrl: string;

function listen(target: Server): Promise<number> {
  return new Promise((resolve) =>
    target.listen(0, "127.0.0.1", () => resolve((target.address() as AddressInfo).port)),
  );
}

beforeEach(async () => {
  runtime = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  manager = makeTempDir("ops-cli-reconcile-service-");
  server = createServer(
    createSpriteServiceHandler({
      repo: runtime.root,
      env: {},
      runControl: async () => ({ exitCode: 1, stdout: "", stderr: "error: not used here\n" }),
    }),
  );
  baseUrl = `http://127.0.0.1:${await listen(server)}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await runtime.cleanup();
  await manager.cleanup();
});

async function cli(args: string[]) {
  const io = captureIo({}, manager.path);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

const base = () => ["reconcile", "--repo", manager.path, "--loop", "demo-loop", "--trace-id", "ts-1"];

describe("ops-manager reconcile --transport sprite_service", () => {
  it("prints the merged state (exit 0) and writes the manager's artifacts locally", async () => {
    runtime.scenario("running", "demo-loop");
    const { code, out, err } = await cli([
      ...base(),
      "--transport",
      "sprite_service",
      "--service-base-url",
      `${baseUrl}/`,
    ]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const state = JSON.parse(out);
    expect(state.transition.currentState).toBe("running");
    expect(state.health.transport).toMatchObject({ mode: "sprite_service", ingestStatus: "success" });
    const cursor = JSON.parse(
      readFileSync(path.join(manager.path, ".superloop/ops-manager/demo-loop/cursor.json"), "utf8"),
    );
    expect(cursor).toMatchObject({
      repoPath: manager.path,
      loopId: "demo-loop",
      eventLineOffset: state.cursor.eventLineOffset,
    });
  });

  it("a service that cannot be reached: the health document, exit 1, nothing on stderr", async () => {
    runtime.scenario("running", "demo-loop");
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const { code, out, err } = await cli([
      ...base(),
      "--transport",
      "sprite_service",
      "--service-base-url",
      `http://127.0.0.1:${port}`,
      "--retry-backoff-seconds",
      "0",
    ]);
    expect({ code, err }).toEqual({ code: 1, err: "" });
    expect(JSON.parse(out)).toMatchObject({
      status: "degraded",
      reasonCodes: ["transport_unreachable"],
      transport: { mode: "sprite_service", ingestStatus: "failed", failureCode: "service_request_failed" },
    });
  });

  it("step 13: a missing --service-base-url is one error line, exit 1, no stdout", async () => {
    const { code, out, err } = await cli([...base(), "--transport", "sprite_service"]);
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err: "error: --service-base-url is required when --transport sprite_service\n",
    });
  });
});
