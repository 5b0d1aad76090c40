/**
 * The sprite-service HTTP server (spec 16 §1–3): a node:http server over the request handler of
 * `@ops/transport-sprite` (authentication, routing, snapshot / events / control), plus listening
 * and graceful shutdown. The app stays a thin shell.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AccessLogEntry, createSpriteServiceHandler, type RunControl } from "@ops/transport-sprite";
import { inProcessControl } from "./control.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8787;
/** How long `close()` waits for in-flight requests (a control run confirms for up to 30 s). */
const SHUTDOWN_GRACE_MS = 120_000;
/** After the last request finished: how long answered keep-alive connections get to close. */
const CONNECTION_LINGER_MS = 2_000;

export type RequestLogEntry = AccessLogEntry;

export interface SpriteServiceOptions {
  /** Absolute path of the repository containing `.superloop/` (the CLI resolves and checks it). */
  readonly repo: string;
  /** Bind address; default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; default 8787; `0` picks a free port (see `SpriteService.port`). */
  readonly port?: number;
  /** Shared token; empty or absent = no authentication. */
  readonly token?: string;
  /** Called once per finished request (the CLI's `--log` writes these as JSONL). */
  readonly log?: (entry: RequestLogEntry) => void;
  /** Runs control for `POST /ops/control` (default: the in-process control of @ops/reconcile). */
  readonly runControl?: RunControl;
  /** Request body limit in bytes. */
  readonly maxBodyBytes?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Override of the shutdown grace period (tests). */
  readonly shutdownGraceMs?: number;
}

export interface SpriteService {
  /** `http://<host>:<port>` with the bound port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (control runs and idempotency
   * store writes included, bounded by the grace period), then closes every connection.
   */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Starts the service; resolves once it is listening. */
export async function startSpriteService(options: SpriteServiceOptions): Promise<SpriteService> {
  const host = options.host ?? DEFAULT_HOST;
  const handler = createSpriteServiceHandler({
    repo: options.repo,
    token: options.token ?? "",
    runControl: options.runControl ?? inProcessControl({ env: options.env ?? process.env }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const server = createServer(handler);
  const address = await listen(server, host, options.port ?? DEFAULT_PORT);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host,
    port: address.port,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.race([handler.drain(), delay(options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS)]);
        server.closeIdleConnections();
        await Promise.race([closed, delay(CONNECTION_LINGER_MS)]);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
