/**
 * Token check of the sprite service (spec 16 §2), applied to every request before routing
 * (including `/healthz` and unknown paths, quirk Q16-6). With an empty token nothing is checked.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Constant-time token comparison: both sides are hashed first, so the comparison takes the same
 * time whatever the given value's length or content (no early exit on a length mismatch).
 */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const BEARER = /^\s*bearer\s+(.*)$/is;

/**
 * `Authorization: Bearer <token>` (scheme case-insensitive, value trimmed) or `X-Ops-Token: <token>`
 * (exact) must carry the configured token. Both headers are always checked (no short-circuit on
 * which one is present).
 */
export function isAuthorized(headers: IncomingHttpHeaders, token: string): boolean {
  if (token === "") return true;
  const authorization = headerValue(headers, "authorization");
  const bearer = authorization === undefined ? null : BEARER.exec(authorization);
  const bearerOk = bearer !== null && tokensEqual((bearer[1] ?? "").trim(), token);
  const opsToken = headerValue(headers, "x-ops-token");
  const opsTokenOk = opsToken !== undefined && tokensEqual(opsToken, token);
  return bearerOk || opsTokenOk;
}
