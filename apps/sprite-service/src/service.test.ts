/** The real service in-process over simulated repos: snapshot, events, control, graceful shutdown. */
import fs from "node:fs";
import type { LoopRunEvent } from "@ops/contract";
import { opsPaths } from "@ops/contract";
import { createSimulatedRepo, type SimulatedRepo, superloopBinPath } from "@ops/testkit";
import { loopRunSnapshot, readEventBatch } from "@ops/transport-local";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type SpriteService, startSpriteService } from "./server.js";

let repo: SimulatedRepo;
let service: SpriteService | undefined;
beforeEach(() => {
  repo = createSimulatedRepo();
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  await repo.cleanup();
});

function withoutEmittedAt(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, entry: unknown) =>
    key === "emittedAt" ? undefined : entry,
  );
}

describe("the service over a simulated repo", () => {
  it("serves /ops/snapshot and /ops/events equal to the local transport (except emittedAt)", async () => {
    repo.scenario("running", "demo-loop");
    service = await startSpriteService({ repo: repo.root, port: 0, token: "t" });
    const headers = { authorization: "Bearer t", "x-trace-id": "tr-1" };
    const snapshot = await (await fetch(`${service.url}/ops/snapshot?loopId=demo-loop`, { headers })).json();
    const local = await loopRunSnapshot({ repo: repo.root, loop: "demo-loop", traceId: "tr-1" });
    expect(withoutEmittedAt(snapshot)).toEqual(withoutEmittedAt(local));

    const events = (await (
      await fetch(`${service.url}/ops/events?loopId=demo-loop&cursor=10&maxEvents=5`, { headers })
    ).json()) as {
      events: LoopRunEvent[];
      cursor: { eventLineOffset: number };
    };
    const all: LoopRunEvent[] = [];
    await readEventBatch(
      { repo: repo.root, loop: "demo-loop", fromStart: true, traceId: "tr-1" },
      { emit: (e) => void all.push(e) },
    );
    expect(withoutEmittedAt(events.events)).toEqual(withoutEmittedAt(all.slice(10, 15)));
    expect(events.cursor.eventLineOffset).toBe(15);
  });

  it("POST /ops/control runs the in-process control (local transport) once per idempotency key", async () => {
    repo.scenario("awaitingApproval", "demo-loop");
    service = await startSpriteService({
      repo: repo.root,
      port: 0,
      env: { ...process.env, SUPERLOOP_BIN: superloopBinPath(), OPS_MANAGER_CONFIRM_SCRIPT: "" },
    });
    const send = () =>
      fetch(`${service?.url}/ops/control`, {
        method: "POST",
        headers: { "x-trace-id": "trace-ctl" },
        body: JSON.stringify({
          loopId: "demo-loop",
          intent: "reject",
          by: "ops-user",
          note: "nope",
          idempotencyKey: "idem-e2e",
          timeoutSeconds: 5,
          intervalSeconds: 1,
        }),
      });
    const first = await send();
    const body = (await first.json()) as Record<string, unknown>;
    expect(first.status).toBe(200);
    expect(body).toMatchObject({
      ok: true,
      exitCode: 0,
      replayed: false,
      traceId: "trace-ctl",
      result: {
        loopId: "demo-loop",
        intent: "reject",
        transport: "local",
        status: "confirmed",
        requestedBy: "ops-user",
      },
    });
    const replay = await send();
    expect([replay.status, await replay.json()]).toEqual([200, { ...body, replayed: true }]);
    const ops = opsPaths(repo.root, "demo-loop");
    expect(fs.readFileSync(ops.intents, "utf8").trim().split("\n")).toHaveLength(1);
    expect(Object.keys(JSON.parse(fs.readFileSync(ops.serviceIdempotency, "utf8")) as object)).toEqual([
      "idem-e2e",
    ]);
  });

  it("control failures come back as the control CLI would report them (exit 1 → 500)", async () => {
    repo.scenario("awaitingApproval", "demo-loop");
    service = await startSpriteService({
      repo: repo.root,
      port: 0,
      env: { SUPERLOOP_BIN: "/nonexistent/superloop.sh" },
    });
    const response = await fetch(`${service.url}/ops/control`, {
      method: "POST",
      body: JSON.stringify({ loopId: "demo-loop", intent: "approve", noConfirm: true }),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      ok: false,
      exitCode: 1,
      replayed: false,
      result: { status: "failed_command" },
    });
  });

  it("close() lets an in-flight control request finish and keeps the idempotency store intact", async () => {
    repo.scenario("running", "demo-loop");
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    service = await startSpriteService({
      repo: repo.root,
      port: 0,
      runControl: async () => {
        started();
        await gate;
        return { exitCode: 0, stdout: '{"status":"confirmed"}\n', stderr: "" };
      },
    });
    const { url } = service;
    const pending = fetch(`${url}/ops/control`, {
      method: "POST",
      body: JSON.stringify({ loopId: "demo-loop", intent: "cancel", idempotencyKey: "idem-shutdown" }),
    });
    await running;
    const closing = service.close();
    service = undefined;
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    release();
    const response = await pending;
    expect([response.status, await response.json()]).toEqual([
      200,
      { ok: true, exitCode: 0, result: { status: "confirmed" }, replayed: false },
    ]);
    await closing;
    const stored = JSON.parse(
      fs.readFileSync(opsPaths(repo.root, "demo-loop").serviceIdempotency, "utf8"),
    ) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(["idem-shutdown"]);
  });
});
