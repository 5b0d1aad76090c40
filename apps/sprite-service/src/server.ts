/**
 * The sprite-service HTTP server (spec 16 §1–3): authentication, routing and JSON responses.
 * Only `GET /healthz` exists so far; the snapshot / events / control routes come from
 * `@ops/transport-sprite` handlers and are added to `routes` below — the app stays a thin shell.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { nowTimestamp } from "@ops/contract";
import { isAuthorized } from "./auth.js";
import { errorBody, sendJson } from "./http.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8787;
/** How long `close()` waits for in-flight requests before cutting their connections. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface RequestLogEntry {
  readonly timestamp: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
}

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
}

export interface SpriteService {
  /** `http://<host>:<port>` with the bound port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting connections, lets in-flight requests finish (bounded), then resolves. */
  close(): Promise<void>;
}

interface RouteContext {
  readonly options: SpriteServiceOptions;
  readonly url: URL;
}

type Route = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => void | Promise<void>;

/** `"<METHOD> <path>"` → handler. */
const routes: ReadonlyMap<string, Route> = new Map<string, Route>([
  ["GET /healthz", (_req, res) => sendJson(res, 200, { ok: true })],
]);

function handler(options: SpriteServiceOptions) {
  const token = options.token ?? "";
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://sprite-service.invalid");
    res.on("finish", () => {
      options.log?.({
        timestamp: nowTimestamp(),
        method: req.method ?? "",
        path: url.pathname,
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
      });
    });
    try {
      const route = routes.get(`${req.method ?? ""} ${url.pathname}`);
      // Routes that read a body do so themselves; everything else discards it.
      if (route === undefined || req.method === "GET") req.resume();
      if (!isAuthorized(req.headers, token)) {
        sendJson(res, 401, errorBody("unauthorized", "missing or invalid token"));
        return;
      }
      if (route === undefined) {
        sendJson(res, 404, errorBody("not_found", "endpoint not found"));
        return;
      }
      await route(req, res, { options, url });
    } catch (error) {
      if (!res.headersSent) {
        const message = error instanceof Error ? error.message : String(error);
        sendJson(res, 500, errorBody("internal_error", message.replace(/\s*\n\s*/g, " ")));
      } else {
        res.destroy();
      }
    }
  };
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

/** Starts the service; resolves once it is listening. */
export async function startSpriteService(options: SpriteServiceOptions): Promise<SpriteService> {
  const host = options.host ?? DEFAULT_HOST;
  const server = createServer(handler(options));
  const address = await listen(server, host, options.port ?? DEFAULT_PORT);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
