// alert-sink-config and alert-dispatch end to end through the CLI (spec 19), against a real HTTP
// receiver on 127.0.0.1.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { opsPaths } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

let temp: TempDir;
beforeEach(() => {
  temp = makeTempDir("ops-cli-alerts-");
});
afterEach(() => temp.cleanup());

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIo(env, temp.path);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe("ops-manager alert-sink-config", () => {
  it("--list-sinks over the bundled config; env check; --no-env-check", async () => {
    const list = await cli(["alert-sink-config", "--list-sinks"]);
    expect(list).toEqual({
      code: 0,
      out: "webhook-default\twebhook\tfalse\nslack-default\tslack\tfalse\npagerduty-default\tpagerduty_events\tfalse\n",
      err: "",
    });
    const config = JSON.parse(
      readFileSync(path.join(__dirname, "../../../../config/ops-manager-alert-sinks.v1.json"), "utf8"),
    ) as { sinks: Record<string, { enabled: boolean }> };
    for (const sink of Object.values(config.sinks)) sink.enabled = true;
    writeFileSync(path.join(temp.path, "on.json"), JSON.stringify(config));
    const failed = await cli(
      ["alert-sink-config", "--config-file", "on.json", "--category", "health_critical"],
      {
        OPS_MANAGER_ALERT_WEBHOOK_URL: "http://x",
        OPS_MANAGER_ALERT_WEBHOOK_TOKEN: "t",
      },
    );
    expect(failed.code).toBe(1);
    expect(failed.err).toBe(
      "error: enabled sink secret env var(s) are unset: OPS_MANAGER_ALERT_PAGERDUTY_ROUTING_KEY OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL\n",
    );
    const ok = await cli([
      "alert-sink-config",
      "--config-file",
      "on.json",
      "--category",
      "health_critical",
      "--no-env-check",
    ]);
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.out) as Record<string, unknown>;
    expect(doc["sourceFile"]).toBe("on.json");
    expect((doc["dispatchableSinks"] as Array<{ id: string }>).map((s) => s.id)).toEqual([
      "pagerduty-default",
      "slack-default",
    ]);
    expect(doc["validation"]).toEqual({ envCheckEnabled: false });
  });

  it("validation errors exit 1 with the spec's messages", async () => {
    expect(await cli(["alert-sink-config", "--severity", "warning"])).toMatchObject({
      code: 1,
      err: "error: --severity requires --category\n",
    });
  });
});

describe("ops-manager alert-dispatch", () => {
  it("delivers a new escalation to a webhook receiver and prints the state", async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        bodies.push(JSON.parse(body));
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const ops = opsPaths(temp.path, "demo-loop");
      mkdirSync(ops.dir, { recursive: true });
      const row = {
        timestamp: "2026-02-22T11:00:00Z",
        loopId: "demo-loop",
        traceId: "t",
        category: "health_degraded",
      };
      writeFileSync(ops.escalations, `${JSON.stringify(row)}\n`);
      writeFileSync(
        path.join(temp.path, "sinks.json"),
        JSON.stringify({
          schemaVersion: "v1",
          defaultMinSeverity: "warning",
          sinks: { wh: { enabled: true, type: "webhook", urlEnv: "WH_URL" } },
          routing: { defaultSinks: ["wh"], categorySeverity: {} },
        }),
      );
      const result = await cli(
        [
          "alert-dispatch",
          "--repo",
          ".",
          "--loop",
          "demo-loop",
          "--trace-id",
          "tr",
          "--alert-config-file",
          "sinks.json",
        ],
        { WH_URL: url },
      );
      expect(result.err).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out)).toMatchObject({ status: "success", dispatchedCount: 1, traceId: "tr" });
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatchObject({
        event: { category: "health_degraded", severity: "warning" },
        escalation: row,
      });
      expect(await cli(["alert-dispatch", "--loop", "demo-loop"])).toMatchObject({
        code: 1,
        err: "error: --repo is required\n",
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
