/**
 * The service client (spec 16 §4) as a library: one HTTP request to a sprite service with the
 * spec's headers, per-attempt time limit and retries. Uses the global `fetch`.
 *
 * Retry policy (careful behaviour of Q16-1 / Q16-2 / Q15-2):
 * - 2xx → success; a status outside the transient set (408, 409, 425, 429, 500, 502, 503, 504) →
 *   failure without retry.
 * - GET: every transient status is retried; so are connection errors and timeouts (Q16-1; the spec's
 *   original never retried code `000`).
 * - POST (control): `409` (ambiguous) and `500` (failed) are the service's definitive answers and
 *   are never retried — a retry would only replay the stored result as if it were new (Q15-2).
 *   `425`, `429` and `503` (request not processed) and connection errors that happened before the
 *   request was sent (refused, DNS, unreachable) are retried. Anything after which the request may
 *   have reached the service (timeouts, resets, `408`, `502`, `504`) is retried only when the request
 *   is idempotent: by default a POST is when its JSON body carries a non-empty `idempotencyKey`.
 * - Backoff is linear: `retryBackoffSeconds × attempt` before the next attempt (none when 0).
 */
import { setTimeout as sleepMs } from "node:timers/promises";
import { isJsonObject, ValidationError } from "@ops/contract";
import { lastLines } from "./text.js";

/** HTTP statuses the spec treats as transient (§4 step 2). */
export const TRANSIENT_STATUSES: readonly number[] = [408, 409, 425, 429, 500, 502, 503, 504];
/** Code reported for connection errors and timeouts (curl's `%{http_code}` of a failed transfer). */
export const TRANSPORT_ERROR_CODE = "000";

export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_RETRY_BACKOFF_SECONDS = 1;
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
export const DEFAULT_MAX_TIME_SECONDS = 30;

/**
 * The longest delay a Node timer takes (2^31 − 1 ms, about 24.8 days): a larger one fires after 1 ms
 * with a `TimeoutOverflowWarning` on stderr. Longer backoffs are slept in pieces; longer per-attempt
 * limits are capped to it (no request waits that long).
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Sleep `ms` milliseconds, also beyond `MAX_TIMER_MS` (rejects with an AbortError on `signal`). */
export async function sleepLong(ms: number, signal?: AbortSignal): Promise<void> {
  for (let left = ms; left > 0; left -= MAX_TIMER_MS) {
    await sleepMs(Math.min(left, MAX_TIMER_MS), undefined, signal === undefined ? {} : { signal });
  }
}

export type ServiceMethod = "GET" | "POST";

export interface ServiceRequestInput {
  /** Service base URL (`http(s)://host:port[/prefix]`); trailing `/` removed before appending `path`. */
  readonly baseUrl: string;
  /** Path including the query string (see `buildServicePath` for an encoded one). */
  readonly path: string;
  readonly method: ServiceMethod;
  /** Non-empty → `Authorization: Bearer <token>` and `X-Ops-Token: <token>`. */
  readonly token?: string | undefined;
  /** Non-empty → `X-Trace-Id`. */
  readonly traceId?: string | undefined;
  /** POST body, sent verbatim with `Content-Type: application/json`. */
  readonly body?: string | Uint8Array | undefined;
  /** Total attempts (>= 1, default 3). */
  readonly retryAttempts?: number | undefined;
  /** Linear backoff base in seconds (default 1). */
  readonly retryBackoffSeconds?: number | undefined;
  /** Whole-request limit per attempt in seconds (default 30; 0 = no limit; fractions allowed). */
  readonly timeoutSeconds?: number | undefined;
  /**
   * May the request be repeated after it possibly reached the service? Default: GET yes; POST only
   * when its JSON body has a non-empty `idempotencyKey`.
   */
  readonly idempotent?: boolean | undefined;
  /** Sleep between attempts (tests inject a recorder); default a real timer. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Aborts the whole request (no further attempts). */
  readonly signal?: AbortSignal | undefined;
}

/** How an attempt without an HTTP response failed. */
export type TransportFailureKind =
  /** The request was not sent (refused, DNS, unreachable, connect timeout): always safe to retry. */
  | "not_sent"
  /** The request may have reached the service (timeout, reset, broken response). */
  | "maybe_sent"
  /** The request could not be built (bad header value, …): retrying cannot help. */
  | "invalid"
  /** Cancelled through `signal`. */
  | "aborted";

export interface ServiceAttempt {
  readonly attempt: number;
  /** HTTP status of this attempt; 0 when it got no response. */
  readonly status: number;
  /** `"200"`, `"503"`, … or `"000"`. */
  readonly code: string;
  readonly transportError: string | null;
  /** How an attempt without a response failed (null when it got one): was it possibly sent? */
  readonly failure: TransportFailureKind | null;
  /** Whether another attempt followed, and after how long. */
  readonly retried: boolean;
  readonly delayMs: number;
}

export interface ServiceResponse {
  /** 2xx received. */
  readonly ok: boolean;
  /** HTTP status of the last attempt, 0 when it got no response. */
  readonly status: number;
  /** Status as three digits; `"000"` for transport errors. */
  readonly code: string;
  /** Raw response body of the last attempt ("" when none). */
  readonly body: string;
  readonly method: ServiceMethod;
  /** Full request URL. */
  readonly url: string;
  readonly attempts: number;
  /** Description of the last attempt's transport error, or null. */
  readonly transportError: string | null;
  readonly history: readonly ServiceAttempt[];
}

/** `<path>?k=v&…` with every key and value percent-encoded (careful Q13-10 / Q10-3). */
export function buildServicePath(
  pathname: string,
  query: Readonly<Record<string, string | number | undefined | null>> = {},
): string {
  const pairs = Object.entries(query)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== null)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return pairs.length === 0 ? pathname : `${pathname}?${pairs.join("&")}`;
}

/** `<base without trailing "/"><path>` (a missing leading `/` on `path` is added). */
export function serviceUrl(baseUrl: string, path: string): string {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new ValidationError(`--base-url must be an http or https URL: ${baseUrl}`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new ValidationError(`--base-url must be an http or https URL: ${redactUrl(baseUrl)}`);
  }
  if (base.username !== "" || base.password !== "") {
    throw new ValidationError("--base-url must not contain credentials (use --token)");
  }
  return `${baseUrl.replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The URL as it may appear in messages: user info (credentials) removed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * `service request failed (method=<M> url=<full url> code=<code>): <body excerpt>` — the excerpt is
 * the last 40 lines of the response body; without a body, the transport error (careful addition).
 */
export function serviceFailureMessage(response: ServiceResponse): string {
  const excerpt = response.body !== "" ? lastLines(response.body) : (response.transportError ?? "");
  return `service request failed (method=${response.method} url=${redactUrl(response.url)} code=${response.code}): ${excerpt}`;
}

/** What an HTTP header value may hold (fetch refuses anything else before sending). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * A token / trace id that cannot be sent as a header: refused up front, without echoing the value
 * (fetch's own error quotes the whole header, token included, and undici's is not recognisably
 * "not sent").
 */
function assertHeaderValue(value: string, what: string): void {
  // fetch strips leading/trailing HTTP whitespace (a token read with its final newline still works).
  if (!HEADER_VALUE.test(value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ""))) {
    throw new ValidationError(
      `${what} contains characters that cannot be sent in an HTTP header (control characters or characters above U+00FF)`,
    );
  }
}

/** Default idempotency of a request (see `ServiceRequestInput.idempotent`). */
export function isIdempotentRequest(method: ServiceMethod, body: string | Uint8Array | undefined): boolean {
  if (method === "GET") return true;
  if (body === undefined) return false;
  try {
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    const parsed: unknown = JSON.parse(text);
    const key = isJsonObject(parsed) ? parsed["idempotencyKey"] : undefined;
    return typeof key === "string" && key.trim() !== "";
  } catch {
    return false;
  }
}

type AttemptOutcome =
  | { readonly kind: "response"; readonly status: number; readonly body: string }
  | { readonly kind: "error"; readonly failure: TransportFailureKind; readonly message: string };

const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function errorCode(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const errors = (value as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errorCode(errors[0]) : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = errorCode(cause);
    const text = cause.message || (cause instanceof AggregateError ? String(cause.errors[0]) : "");
    return code === undefined || text.includes(code) ? text || error.message : `${code}: ${text}`;
  }
  return error.message;
}

function classify(error: unknown, timeoutSeconds: number, signal: AbortSignal | undefined): AttemptOutcome {
  if (signal?.aborted === true) return { kind: "error", failure: "aborted", message: "request aborted" };
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError") {
    return { kind: "error", failure: "maybe_sent", message: `request timed out after ${timeoutSeconds} s` };
  }
  const code = errorCode(error instanceof Error ? error.cause : undefined);
  if (code !== undefined) {
    return {
      kind: "error",
      failure: NOT_SENT_CODES.has(code) ? "not_sent" : "maybe_sent",
      message: describe(error),
    };
  }
  if (error instanceof Error && error.cause instanceof Error && error.cause.message === "bad port") {
    // fetch refuses the Fetch standard's blocked ports (e.g. 9, 6000) before connecting.
    return { kind: "error", failure: "invalid", message: describe(error) };
  }
  if (error instanceof Error && error.cause instanceof Error) {
    // A socket-level failure without an errno (e.g. "other side closed").
    return { kind: "error", failure: "maybe_sent", message: describe(error) };
  }
  // fetch rejected before sending anything (invalid URL or header value).
  return { kind: "error", failure: "invalid", message: describe(error) };
}

function retryable(outcome: AttemptOutcome, method: ServiceMethod, idempotent: boolean): boolean {
  if (outcome.kind === "error") {
    if (outcome.failure === "not_sent") return true;
    if (outcome.failure === "maybe_sent") return idempotent;
    return false;
  }
  if (!TRANSIENT_STATUSES.includes(outcome.status)) return false;
  if (method === "GET") return true;
  if (outcome.status === 409 || outcome.status === 500) return false;
  if (outcome.status === 425 || outcome.status === 429 || outcome.status === 503) return true;
  return idempotent;
}

/** Send the request with retries. Never throws for HTTP or transport failures: see `ok`. */
export async function serviceRequest(input: ServiceRequestInput): Promise<ServiceResponse> {
  const url = serviceUrl(input.baseUrl, input.path);
  const attempts = input.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new ValidationError("--retry-attempts must be an integer >= 1");
  }
  const backoffSeconds = input.retryBackoffSeconds ?? DEFAULT_RETRY_BACKOFF_SECONDS;
  const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_MAX_TIME_SECONDS;
  if (!(backoffSeconds >= 0) || !(timeoutSeconds >= 0)) {
    throw new ValidationError("timeout/backoff values must be non-negative integers");
  }
  const idempotent = input.idempotent ?? isIdempotentRequest(input.method, input.body);
  const sleep = input.sleep ?? ((ms: number) => sleepLong(ms));

  const headers: Record<string, string> = { Accept: "application/json" };
  const token = input.token ?? "";
  assertHeaderValue(token, "the service token");
  assertHeaderValue(input.traceId ?? "", "the trace id");
  if (token !== "") {
    headers["Authorization"] = `Bearer ${token}`;
    headers["X-Ops-Token"] = token;
  }
  if ((input.traceId ?? "") !== "") headers["X-Trace-Id"] = input.traceId as string;
  if (input.method === "POST") headers["Content-Type"] = "application/json";

  const history: ServiceAttempt[] = [];
  let last: AttemptOutcome = { kind: "error", failure: "invalid", message: "no attempt made" };
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    last = await attemptOnce(url, input, headers, timeoutSeconds);
    const code = last.kind === "response" ? String(last.status).padStart(3, "0") : TRANSPORT_ERROR_CODE;
    const transportError = last.kind === "error" ? last.message : null;
    const status = last.kind === "response" ? last.status : 0;
    const failure = last.kind === "error" ? last.failure : null;
    if (last.kind === "response" && last.status >= 200 && last.status < 300) {
      history.push({ attempt, status, code, transportError, failure, retried: false, delayMs: 0 });
      return result(input.method, url, attempt, last, history);
    }
    const again =
      attempt < attempts && retryable(last, input.method, idempotent) && input.signal?.aborted !== true;
    const delayMs = again ? Math.round(backoffSeconds * attempt * 1000) : 0;
    history.push({ attempt, status, code, transportError, failure, retried: again, delayMs });
    if (!again) return result(input.method, url, attempt, last, history);
    if (delayMs > 0) await sleep(delayMs);
  }
  return result(input.method, url, attempts, last, history);
}

function result(
  method: ServiceMethod,
  url: string,
  attempts: number,
  outcome: AttemptOutcome,
  history: readonly ServiceAttempt[],
): ServiceResponse {
  if (outcome.kind === "response") {
    return {
      ok: outcome.status >= 200 && outcome.status < 300,
      status: outcome.status,
      code: String(outcome.status).padStart(3, "0"),
      body: outcome.body,
      method,
      url,
      attempts,
      transportError: null,
      history,
    };
  }
  return {
    ok: false,
    status: 0,
    code: TRANSPORT_ERROR_CODE,
    body: "",
    method,
    url,
    attempts,
    transportError: outcome.message,
    history,
  };
}

async function attemptOnce(
  url: string,
  input: ServiceRequestInput,
  headers: Record<string, string>,
  timeoutSeconds: number,
): Promise<AttemptOutcome> {
  const signals: AbortSignal[] = [];
  if (timeoutSeconds > 0) {
    signals.push(AbortSignal.timeout(Math.min(MAX_TIMER_MS, Math.max(1, Math.round(timeoutSeconds * 1000)))));
  }
  if (input.signal !== undefined) signals.push(input.signal);
  const signal =
    signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  try {
    const response = await fetch(url, {
      method: input.method,
      headers,
      // Redirects are not followed (curl's default): the token stays with the configured host.
      redirect: "manual",
      ...(input.method === "POST" ? { body: input.body ?? "" } : {}),
      ...(signal === undefined ? {} : { signal }),
    });
    const body = await response.text();
    return { kind: "response", status: response.status, body };
  } catch (error) {
    return classify(error, timeoutSeconds, input.signal);
  }
}
