/** The real `ops-sprite-service` process, spawned from source with tsx. */
import fs from "node:fs";
import path from "node:path";
import { opsPaths } from "@ops/contract";
import { createSimulatedRepo, readInvocationLog, superloopBinPath } from "@ops/testkit";
import { loopRunSnapshot } from "@ops/transport-local";
import { describe, expect, it } from "vitest";
import { spawnService } from "./test-spawn.js";

describe("ops-sprite-service (spawned)", () => {
  it("serves a simulated repo, and on SIGTERM finishes the in-flight control request, then exits 0", async () => {
    const repo = createSimulatedRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const invocationLog = path.join(repo.root, "runtime-invocations.jsonl");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OPS_MANAGER_SERVICE_TOKEN: "bin-token",
      SUPERLOOP_BIN: superloopBinPath(),
      // The runtime command records its start, then takes a while: SIGTERM is sent once it has
      // started, so it arrives while control is running.
      SUPERLOOP_SIM_INVOCATION_LOG: invocationLog,
      SUPERLOOP_SIM_SLEEP_MS: "1200",
    };
    delete env["OPS_MANAGER_CONFIRM_SCRIPT"];
    const service = spawnService(["--repo", ".", "--port", "0"], env, repo.root);
    try {
      const url = await service.url;
      const headers = { "x-ops-token": "bin-token" };
      expect((await fetch(`${url}/healthz`)).status).toBe(401);
      const health = await fetch(`${url}/healthz`, { headers });
      expect([health.status, await health.text()]).toEqual([200, '{"ok":true}']);

      const snapshot = (await (
        await fetch(`${url}/ops/snapshot?loopId=demo-loop`, { headers })
      ).json()) as Record<string, unknown>;
      const local = (await loopRunSnapshot({ repo: repo.root, loop: "demo-loop" })) as unknown as Record<
        string,
        unknown
      >;
      expect({ ...snapshot, emittedAt: null }).toEqual({ ...local, emittedAt: null });
      const badLoop = await fetch(`${url}/ops/events?loopId=..%2Fx`, { headers });
      expect(badLoop.status).toBe(400);

      const pending = fetch(`${url}/ops/control`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          loopId: "demo-loop",
          intent: "reject",
          noConfirm: true,
          idempotencyKey: "bin-1",
        }),
      });
      for (let i = 0; readInvocationLog(invocationLog).length === 0; i += 1) {
        if (i > 1_000) throw new Error("the runtime command never started");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      service.child.kill("SIGTERM");
      const response = await pending;
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        ok: true,
        exitCode: 0,
        replayed: false,
        result: { intent: "reject", status: "executed_unconfirmed", transport: "local" },
      });
      expect(await service.exited).toEqual({ code: 0, signal: null });
      expect(service.stderr()).toBe("");
      expect(service.stdout()).toBe(`ops-manager sprite service listening on ${url}\n`);
      const stored = JSON.parse(
        fs.readFileSync(opsPaths(repo.root, "demo-loop").serviceIdempotency, "utf8"),
      ) as object;
      expect(Object.keys(stored)).toEqual(["bin-1"]);
    } finally {
      service.child.kill("SIGKILL");
      await repo.cleanup();
    }
  });
});
