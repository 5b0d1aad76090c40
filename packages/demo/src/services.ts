/**
 * Sprite services for the demo: one `ops-sprite-service` handler per sprite-hosted loop, listening
 * on 127.0.0.1 with its own token, exactly as the app serves it (control runs in-process with the
 * testkit's simulated runtime as `SUPERLOOP_BIN`).
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inProcessRunControl } from "@ops/reconcile";
import { superloopBinPath } from "@ops/testkit";
import { createSpriteServiceHandler } from "@ops/transport-sprite";

export interface DemoService {
  readonly baseUrl: string;
  readonly token: string;
  close(): Promise<void>;
}

export async function startDemoService(runtimeRepo: string, installRoot: string): Promise<DemoService> {
  const token = randomBytes(16).toString("hex");
  const env = { ...process.env, SUPERLOOP_BIN: superloopBinPath() };
  const handler = createSpriteServiceHandler({
    repo: runtimeRepo,
    token,
    env,
    runControl: inProcessRunControl({ env, installRoot }),
  });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    close: async () => {
      await handler.drain();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
