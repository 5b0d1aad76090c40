/** Response helpers of the sprite service (spec 16 §2): compact JSON, Content-Length, error shape. */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";

export interface ErrorBody {
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string };
}

/** A request header's first value, trimmed; "" when absent. */
export function headerText(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? (value[0] ?? "") : (value ?? "")).trim();
}

export function errorBody(code: string, message: string): ErrorBody {
  return { ok: false, error: { code, message } };
}

/** A request that ends with the spec's error body (`{"ok":false,"error":{code,message}}`). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, errorBody(error.code, error.message), error.headers);
}

/** Default request body limit (control bodies are a few hundred bytes). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

function tooLarge(maxBytes: number): HttpError {
  // The rest of the body is not read: close the connection after answering.
  return new HttpError(413, "payload_too_large", `request body exceeds ${maxBytes} bytes`, {
    Connection: "close",
  });
}

/**
 * Read the whole request body, at most `maxBytes` (413 before reading when Content-Length already
 * says more, or as soon as the streamed body passes the limit).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        fail(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => fail(error);
    const onAborted = () => fail(new Error("request aborted by the client"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}
