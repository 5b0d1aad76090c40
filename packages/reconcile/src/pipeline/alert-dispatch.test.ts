// Reconcile with alerts enabled, default in-process dispatch, delivering an escalation to a real
// webhook receiver on 127.0.0.1 (spec 13 §10 → spec 19 §3), inside the loop lock.
import fs from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createSimulatedRepo, makeTempDir, type SimulatedRepo, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { notConfiguredAlertDispatch } from "./context.js";
import { reconcile } from "./reconcile.js";
import { cleanEnv, context, ops, readJson, readJsonl, TestClock } from "./test-helpers.js";

const LOOP = "demo-loop";
const NOW = "2026-02-22T12:00:00Z";
const TOKEN = "tok-SECRET-e2e-42";

let repo: SimulatedRepo;
let tmp: TempDir;
beforeEach(() => {
  repo = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:58Z" });
  tmp = makeTempDir("ops-reconcile-alerts-");
});
afterEach(async () => {
  await repo.cleanup();
  await tmp.cleanup();
});

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

async function webhook(status = 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(status).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function sinksFile(): string {
  const file = path.join(tmp.path, "sinks.json");
  fs.writeFileSync(
    file,
    JSON.stringify({
      schemaVersion: "v1",
      defaultMinSeverity: "warning",
      sinks: {
        wh: { enabled: true, type: "webhook", urlEnv: "WH_URL", authTokenEnv: "WH_TOKEN", timeoutSeconds: 2 },
      },
      routing: {
        defaultSinks: ["wh"],
        categorySeverity: { health_degraded: "warning", health_critical: "critical" },
      },
    }),
  );
  return file;
}

describe("reconcile → in-process alert dispatch (default)", () => {
  it("delivers the cycle's escalation to a local webhook, once, without leaking secrets", async () => {
    const hook = await webhook();
    try {
      const env = cleanEnv({ WH_URL: hook.url, WH_TOKEN: TOKEN, OPS_MANAGER_ALERT_SINKS_FILE: sinksFile() });
      // No loop in the repo: ingest fails, health degraded, a health_degraded escalation.
      const clock = new TestClock(NOW);
      const result = await reconcile(
        { repo: repo.root, loop: LOOP, traceId: "tr-1" },
        context(clock, { env }),
      );
      expect(result.exitCode).toBe(1);
      const o = ops(repo.root, LOOP);
      expect(readJsonl(o.escalations).map((row) => row["category"])).toEqual(["health_degraded"]);
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]?.headers["authorization"]).toBe(`Bearer ${TOKEN}`);
      expect(hook.received[0]?.body).toMatchObject({
        schemaVersion: "v1",
        source: { repoPath: repo.root, loopId: LOOP, channel: "ops_manager_alert_dispatch", traceId: "tr-1" },
        event: { category: "health_degraded", severity: "warning" },
        sink: { id: "wh", type: "webhook" },
        escalation: readJsonl(o.escalations)[0],
      });
      expect(readJson(o.alertDispatchState)).toMatchObject({
        traceId: "tr-1",
        status: "success",
        processedCount: 1,
        dispatchedCount: 1,
        escalationsLineOffset: 1,
      });
      expect(readJsonl(o.telemetry.alerts)).toMatchObject([
        { status: "dispatched", escalationCategory: "health_degraded" },
      ]);

      // Next cycle: still degraded, no new escalation (edge-triggered), nothing re-sent.
      clock.advance(10);
      await reconcile({ repo: repo.root, loop: LOOP, traceId: "tr-2" }, context(clock, { env }));
      expect(hook.received).toHaveLength(1);
      expect(readJson(o.alertDispatchState)).toMatchObject({ traceId: "tr-2", status: "no_new_escalations" });

      for (const file of fs.readdirSync(o.dir, { recursive: true })) {
        const full = path.join(o.dir, String(file));
        if (fs.statSync(full).isFile()) expect(fs.readFileSync(full, "utf8")).not.toContain(TOKEN);
      }
      expect(fs.readFileSync(o.telemetry.alerts, "utf8")).not.toContain(hook.url);
    } finally {
      await hook.close();
    }
  });

  it("a failing sink never changes reconcile's outcome; notConfiguredAlertDispatch opts out", async () => {
    const hook = await webhook(503);
    try {
      const env = cleanEnv({ WH_URL: hook.url, WH_TOKEN: TOKEN, OPS_MANAGER_ALERT_SINKS_FILE: sinksFile() });
      const result = await reconcile(
        { repo: repo.root, loop: LOOP, traceId: "tr-1" },
        context(new TestClock(NOW), { env }),
      );
      expect(result.exitCode).toBe(1);
      const o = ops(repo.root, LOOP);
      expect(readJson(o.alertDispatchState)).toMatchObject({
        status: "failed",
        failureReasonCodes: ["http_error"],
      });
      expect(hook.received.length).toBeGreaterThan(1); // retried on 503

      const other = createSimulatedRepo(undefined, { start: "2026-02-22T11:59:58Z" });
      try {
        await reconcile(
          { repo: other.root, loop: LOOP, traceId: "tr-1" },
          context(new TestClock(NOW), { env, alertDispatch: notConfiguredAlertDispatch }),
        );
        expect(fs.existsSync(ops(other.root, LOOP).alertDispatchState)).toBe(false);
      } finally {
        await other.cleanup();
      }
    } finally {
      await hook.close();
    }
  });
});
