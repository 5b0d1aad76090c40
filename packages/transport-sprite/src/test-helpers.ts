/** Shared helpers for this package's tests (not exported from the package). */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "@ops/contract";
import {
  createSpriteServiceHandler,
  type SpriteServiceHandler,
  type SpriteServiceHandlerOptions,
} from "./handler.js";

export function fixedClock(at: string): Clock {
  return { now: () => new Date(at) };
}

export interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listenOn(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Running & { server: Server }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function serveHandler(
  options: SpriteServiceHandlerOptions,
): Promise<Running & { handler: SpriteServiceHandler }> {
  const handler = createSpriteServiceHandler(options);
  const running = await listenOn(handler);
  return { ...running, handler };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly text: string;
  readonly json: unknown;
}

/**
 * A request through node:http, for what fetch cannot send as-is (odd paths, chunked bodies,
 * unusual methods). `chunks` are written one by one without Content-Length.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunks?: readonly (string | Buffer)[];
  } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? "GET",
        path: options.path ?? `${target.pathname}${target.search}`,
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk);
    } else if (options.body !== undefined) {
      req.write(options.body);
    }
    req.end();
  });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
