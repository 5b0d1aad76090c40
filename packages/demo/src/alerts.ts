/**
 * The demo's alert route: a webhook receiver on 127.0.0.1 standing in for an on-call endpoint, and
 * a sink config that routes every escalation to it (the bundled config ships every sink disabled).
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface DeliveredAlert {
  readonly loopId: string;
  readonly category: string;
  readonly severity: string;
}

export interface DemoWebhook {
  readonly url: string;
  readonly delivered: DeliveredAlert[];
  close(): Promise<void>;
}

export async function startDemoWebhook(): Promise<DemoWebhook> {
  const delivered: DeliveredAlert[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      try {
        // The webhook payload of spec 19 §3.4: {source: {loopId}, event: {category, severity}, …}.
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          source?: { loopId?: unknown };
          event?: { category?: unknown; severity?: unknown };
        };
        delivered.push({
          loopId: String(body.source?.loopId),
          category: String(body.event?.category),
          severity: String(body.event?.severity),
        });
        res.writeHead(202).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    delivered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const DEMO_WEBHOOK_URL_ENV = "OPS_MANAGER_ALERT_WEBHOOK_URL";

/** Writes `<dir>/alert-sinks.json`: the webhook sink enabled, every category routed to it. */
export function writeDemoAlertConfig(dir: string): string {
  const file = path.join(dir, "alert-sinks.json");
  const config = {
    schemaVersion: "v1",
    defaultMinSeverity: "warning",
    sinks: {
      "demo-webhook": { enabled: true, type: "webhook", urlEnv: DEMO_WEBHOOK_URL_ENV, timeoutSeconds: 5 },
    },
    routing: {
      defaultSinks: ["demo-webhook"],
      categorySeverity: {
        divergence_detected: "warning",
        health_degraded: "warning",
        health_critical: "critical",
        profile_drift_detected: "warning",
      },
      routes: [],
    },
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
