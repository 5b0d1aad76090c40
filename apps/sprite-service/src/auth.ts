/**
 * Token check of the sprite service (spec 16 §2), applied to every request before routing
 * (including `/healthz` and unknown paths, quirk Q16-6). With an empty token nothing is checked.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `Authorization: Bearer <token>` (scheme case-insensitive, value trimmed) or `X-Ops-Token: <token>`
 * (exact) must carry the configured token.
 */
export function isAuthorized(headers: IncomingHttpHeaders, token: string): boolean {
  if (token === "") return true;
  const authorization = headerValue(headers, "authorization");
  if (authorization !== undefined) {
    const match = /^\s*bearer\s+(.*)$/is.exec(authorization);
    if (match !== null && sameSecret((match[1] ?? "").trim(), token)) return true;
  }
  const opsToken = headerValue(headers, "x-ops-token");
  return opsToken !== undefined && sameSecret(opsToken, token);
}
