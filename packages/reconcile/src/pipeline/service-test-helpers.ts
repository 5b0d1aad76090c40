/**
 * Sprite-service fixtures of the reconcile tests (not exported from the package): a REAL service
 * (the request handler of @ops/transport-sprite on node:http, 127.0.0.1, an ephemeral port), with
 * `runControl` wired to `controlIntent` exactly as apps/sprite-service/src/control.ts does
 * (`inProcessControl`), and a port nothing listens on.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "@ops/contract";
import { type AccessLogEntry, createSpriteServiceHandler, type RunControl } from "@ops/transport-sprite";
import { inProcessRunControl } from "../control/index.js";
import { INSTALL_ROOT } from "./test-helpers.js";

export interface TestService {
  readonly url: string;
  /** Access log of the real handler (path without query, status, trace id, …). */
  readonly requests: AccessLogEntry[];
  /** Raw request targets (path + query), in order, including intercepted ones. */
  readonly targets: string[];
  /**
   * Answer matching requests with a canned reply instead of the real handler (a misbehaving
   * service); return null to let the real handler answer. Settable between cycles.
   */
  intercept: ((target: string) => { readonly status: number; readonly body: string } | null) | null;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  readonly token?: string;
  /** Environment of the service (inherited by the control it runs: SUPERLOOP_BIN, …). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock of the envelopes/cursors the service builds and of the control it runs. */
  readonly clock?: Clock;
}

/** The service's control seam, as the app wires it (with the test's clock). */
export function serviceRunControl(
  env: Readonly<Record<string, string | undefined>>,
  clock: Clock | undefined,
): RunControl {
  return inProcessRunControl({ env, installRoot: INSTALL_ROOT, clock });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** A real sprite service for `repo` on 127.0.0.1 (closed by `close()`). */
export async function startTestService(repo: string, options: TestServiceOptions = {}): Promise<TestService> {
  const env = options.env ?? {};
  const requests: AccessLogEntry[] = [];
  const handler = createSpriteServiceHandler({
    repo,
    token: options.token ?? "",
    env,
    runControl: serviceRunControl(env, options.clock),
    log: (entry) => requests.push(entry),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const service: TestService = {
    url: "",
    requests,
    targets: [],
    intercept: null,
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const target = req.url ?? "/";
    service.targets.push(target);
    const canned = service.intercept?.(target) ?? null;
    if (canned === null) {
      handler(req, res);
      return;
    }
    req.resume();
    res.writeHead(canned.status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(canned.body),
    });
    res.end(canned.body);
  });
  const port = await listen(server);
  return Object.assign(service, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await handler.drain();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** A URL on 127.0.0.1 whose port nothing listens on (it was bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
