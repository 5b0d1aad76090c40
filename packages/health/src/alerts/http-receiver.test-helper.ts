/** A real HTTP receiver on 127.0.0.1 (port 0) standing in for a webhook / Slack / PagerDuty endpoint. */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
  readonly json: unknown;
}

export type Reply =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | { readonly hang: true }
  /** Status line and the start of a body, then nothing more (the response never ends). */
  | { readonly status: number; readonly stallAfter: string }
  /** Status line, then body chunks for as long as the client keeps reading. */
  | { readonly status: number; readonly endless: true };

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Replies in order; the last one repeats. */
  replies: Reply[];
  close(): Promise<void>;
}

export async function startReceiver(
  replies: Reply[] = [{ status: 200, body: "ok" }],
  urlPath = "/hook",
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const hung: ServerResponse[] = [];
  const receiver: Receiver = {
    url: "",
    requests,
    replies,
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        json,
      });
      const reply = receiver.replies[Math.min(requests.length - 1, receiver.replies.length - 1)] ?? {
        status: 200,
      };
      if ("hang" in reply) {
        hung.push(res);
        return;
      }
      if ("stallAfter" in reply) {
        res.writeHead(reply.status);
        res.write(reply.stallAfter);
        hung.push(res);
        return;
      }
      if ("endless" in reply) {
        res.writeHead(reply.status);
        const chunk = "x".repeat(16 * 1024);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk)) {}
          if (!res.destroyed) res.once("drain", pump);
        };
        hung.push(res);
        pump();
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  (receiver as { url: string }).url = `http://127.0.0.1:${port}${urlPath}`;
  return receiver;
}

/** A URL on which nothing listens (a server bound, then closed). */
export async function downUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/down`;
}
