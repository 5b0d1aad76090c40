/** Response helpers of the sprite service (spec 16 §2): compact JSON, Content-Length, error shape. */
import type { ServerResponse } from "node:http";

export interface ErrorBody {
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { ok: false, error: { code, message } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}
