/**
 * Sink requests (spec 19 §3.4) and delivery with retries. Global `fetch`, one `AbortSignal.timeout`
 * per attempt (`timeoutSeconds`), retries with exponential backoff on connection errors, timeouts,
 * 5xx and 429 (honouring `Retry-After`, capped), never on other 4xx. Every attempt is recorded.
 * Secrets (URLs, tokens, routing keys) never leave this module: messages are built from error codes
 * and response excerpts with every secret value redacted.
 */
import { createHash } from "node:crypto";
import { isJsonObject, type JsonObject } from "../util.js";
import type { SelectedSink } from "./config.js";
import type { SinkAttempt, SinkResultRow } from "./schemas.js";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
/** Env override of the PagerDuty Events v2 endpoint (wins over the sink's `eventsUrl`). */
export const PAGERDUTY_EVENTS_URL_ENV = "OPS_MANAGER_ALERT_PAGERDUTY_EVENTS_URL";
const EXCERPT_CHARS = 300;
/**
 * At most this much of a response body is read: only a 300-character excerpt is kept, and a
 * receiver that answers with a huge or never-ending body must not exhaust memory or turn an
 * accepted delivery into a timeout (which would be retried, i.e. sent again).
 */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;
const DEDUP_KEY_MAX = 255;

export interface DeliveryPolicy {
  /** Attempts per sink per dispatch (default 3). */
  readonly maxAttempts?: number;
  /** First backoff; doubled each retry (default 500 ms). */
  readonly baseBackoffMs?: number;
  /** Cap for backoff and `Retry-After` (default 10 s: dispatch may run inside the loop lock). */
  readonly maxBackoffMs?: number;
  /** Timer (tests inject a recorder). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One delivery attempt (`sinks[].attempts[]`, schema in schemas.ts). */
export type AttemptRecord = SinkAttempt;

/** `sinks[]` element of a telemetry row (spec 19 §3.3) plus the careful `attempts` (schemas.ts). */
export type SinkResult = SinkResultRow;

export interface EscalationContext {
  readonly escalation: JsonObject;
  readonly repoPath: string;
  /** Escalation `loopId`, else the dispatch loop. */
  readonly loopId: string;
  readonly category: string;
  readonly severity: string;
  /** Escalation trace id, else null. */
  readonly escalationTraceId: string | null;
  /** Escalation trace id, else the dispatch trace id (Slack text, telemetry). */
  readonly traceForText: string;
  readonly timestamp: string | null;
  readonly emittedAt: string;
}

interface PreparedRequest {
  readonly url: string;
  readonly headers: Headers;
  readonly body: string;
  readonly secrets: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: unknown): string | null {
  if (typeof name !== "string") return null;
  const value = env[name];
  return value !== undefined && value.length > 0 ? value : null;
}

/** Slack plain text: `&`, `<`, `>` are control characters in Slack markup. */
export function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** `<loop>:<category>:<timestamp>` (spec 19 §3.4), hashed down when longer than PagerDuty's 255. */
export function pagerDutyDedupKey(e: EscalationContext, rawLine: string): string {
  const stamp = e.timestamp ?? `line-${createHash("sha256").update(rawLine).digest("hex").slice(0, 16)}`;
  const key = `${e.loopId}:${e.category}:${stamp}`;
  if (key.length <= DEDUP_KEY_MAX) return key;
  const digest = createHash("sha256").update(key).digest("hex");
  return `${key.slice(0, DEDUP_KEY_MAX - digest.length - 1)}:${digest}`;
}

export function webhookBody(sink: SelectedSink, e: EscalationContext): JsonObject {
  return {
    schemaVersion: "v1",
    emittedAt: e.emittedAt,
    source: {
      repoPath: e.repoPath,
      loopId: e.loopId,
      channel: "ops_manager_alert_dispatch",
      traceId: e.escalationTraceId,
    },
    event: { category: e.category, severity: e.severity },
    sink: { id: sink.id, type: sink.type },
    escalation: e.escalation,
  };
}

/**
 * Slack body. `text` (the notification / plain-text fallback) is escaped; the section uses a real
 * line break (careful Q19-3: the reference sent a literal backslash-n).
 */
export function slackBody(sink: SelectedSink, e: EscalationContext): JsonObject {
  const text = slackEscape(
    `[ops-manager][${e.severity}] ${e.category} loop=${e.loopId} trace=${e.traceForText}`,
  );
  const config = sink.config;
  const body: JsonObject = { text };
  for (const [from, to] of [
    ["channel", "channel"],
    ["username", "username"],
    ["iconEmoji", "icon_emoji"],
  ] as const) {
    const value = config[from];
    if (typeof value === "string") body[to] = value;
  }
  body["blocks"] = [
    { type: "section", text: { type: "mrkdwn", text: `*Ops Manager Alert*\nCategory: \`${text}\`` } },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text:
            e.timestamp === null
              ? "Escalation timestamp unavailable"
              : `Escalation timestamp: \`${slackEscape(e.timestamp)}\``,
        },
        { type: "mrkdwn", text: `Trace: \`${slackEscape(e.traceForText)}\`` },
      ],
    },
  ];
  return body;
}

export function pagerDutyBody(
  sink: SelectedSink,
  e: EscalationContext,
  routingKey: string,
  rawLine: string,
): JsonObject {
  const c = sink.config;
  const str = (key: string, fallback: string): string =>
    typeof c[key] === "string" ? (c[key] as string) : fallback;
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: pagerDutyDedupKey(e, rawLine),
    payload: {
      summary: `ops-manager ${e.category} (${e.severity}) loop=${e.loopId}`,
      severity: e.severity,
      source: str("source", "superloop-ops-manager"),
      component: str("component", "ops-manager"),
      group: str("group", "loop-run"),
      class: str("class", "escalation"),
      custom_details: { escalation: e.escalation, traceId: e.escalationTraceId },
    },
  };
}

type Prepared =
  | { ok: true; request: PreparedRequest }
  | { ok: false; result: Omit<SinkResult, "id" | "type"> };

function missingSecret(message: string): Prepared {
  return {
    ok: false,
    result: { status: "failed", httpStatus: null, reasonCode: "missing_secret", message, attempts: [] },
  };
}

/** Build the request of one sink; `missing_secret` when its variable is empty at send time (Q19-1). */
export function prepareRequest(
  sink: SelectedSink,
  rawSink: JsonObject,
  e: EscalationContext,
  env: Env,
  rawLine: string,
): Prepared {
  const headers = new Headers({ "Content-Type": "application/json" });
  switch (sink.type) {
    case "webhook": {
      const url = envValue(env, sink.secretRefs["urlEnv"]);
      if (url === null) return missingSecret("webhook url env is unset");
      const secrets = [url];
      const token = envValue(env, sink.secretRefs["authTokenEnv"]);
      if (token !== null) {
        headers.set("Authorization", `Bearer ${token}`);
        secrets.push(token);
      }
      // Careful Q19-6: configured headers replace (case-insensitively) instead of duplicating.
      const configured = sink.config["headers"];
      for (const [name, value] of Object.entries(isJsonObject(configured) ? configured : {})) {
        if (typeof value === "string") headers.set(name, value);
      }
      return { ok: true, request: { url, headers, body: JSON.stringify(webhookBody(sink, e)), secrets } };
    }
    case "slack": {
      const url = envValue(env, sink.secretRefs["webhookUrlEnv"]);
      if (url === null) return missingSecret("slack webhook env is unset");
      return {
        ok: true,
        request: { url, headers, body: JSON.stringify(slackBody(sink, e)), secrets: [url] },
      };
    }
    case "pagerduty_events": {
      const key = envValue(env, sink.secretRefs["routingKeyEnv"]);
      if (key === null) return missingSecret("pagerduty routing key env is unset");
      const configured = typeof rawSink["eventsUrl"] === "string" ? (rawSink["eventsUrl"] as string) : null;
      const url = envValue(env, PAGERDUTY_EVENTS_URL_ENV) ?? configured ?? PAGERDUTY_EVENTS_URL;
      return {
        ok: true,
        request: { url, headers, body: JSON.stringify(pagerDutyBody(sink, e, key, rawLine)), secrets: [key] },
      };
    }
    default:
      return {
        ok: false,
        result: {
          status: "failed",
          httpStatus: null,
          reasonCode: "unsupported_sink_type",
          message: `unsupported sink type: ${String(sink.type)}`,
          attempts: [],
        },
      };
  }
}

/** Replace every secret value (and its URL-encoded form) in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      out = out.split(form).join("[redacted]");
  }
  return out;
}

function excerpt(body: string, secrets: readonly string[]): string | null {
  const text = redact(body.replace(/\r?\n|\r/g, " "), secrets).slice(0, EXCERPT_CHARS);
  return text.length === 0 ? null : text;
}

/** Transport error text without the URL (fetch errors may embed it): code + short description. */
function transportMessage(error: unknown, timeoutSeconds: number): { message: string; timedOut: boolean } {
  const err = error as { name?: string; cause?: { code?: string; message?: string } } | null;
  if (err?.name === "TimeoutError" || err?.name === "AbortError") {
    return { message: `request timed out after ${timeoutSeconds}s`, timedOut: true };
  }
  const code = err?.cause?.code;
  return { message: `request failed: ${code ?? err?.name ?? "connection error"}`, timedOut: false };
}

/** Why `fetch` cannot POST to `url`, else null. Never echoes the URL (it is a secret). */
export function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "invalid URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "URL scheme is not http or https";
  if (parsed.username !== "" || parsed.password !== "") return "URL must not contain credentials";
  return null;
}

/** `Retry-After` as milliseconds (delta-seconds or HTTP date); null when absent/invalid. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * The first `MAX_RESPONSE_BODY_BYTES` of the body, then the stream is cancelled. The status line is
 * the receiver's verdict: a body that stalls, times out or is reset after it is not an error.
 */
async function readBodyPrefix(response: Response): Promise<string> {
  const body = response.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_RESPONSE_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // Timed out / reset mid-body: keep what arrived.
  } finally {
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BODY_BYTES));
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Deliver one sink request with retries. Never throws. */
export async function deliver(
  sink: SelectedSink,
  rawSink: JsonObject,
  e: EscalationContext,
  env: Env,
  rawLine: string,
  policy: DeliveryPolicy = {},
): Promise<SinkResult> {
  let prepared: Prepared;
  try {
    prepared = prepareRequest(sink, rawSink, e, env, rawLine);
  } catch {
    // e.g. a header name/value fetch refuses, or a malformed sink from a resolver hook.
    return {
      id: sink.id,
      type: sink.type,
      status: "failed",
      httpStatus: null,
      reasonCode: "invalid_sink_result",
      message: "sink request could not be built",
      attempts: [],
    };
  }
  if (!prepared.ok) return { id: sink.id, type: sink.type, ...prepared.result };
  const { request } = prepared;
  const problem = urlProblem(request.url);
  if (problem !== null) {
    // A configuration error, not a transient one: no request, no retry in this run.
    return {
      id: sink.id,
      type: sink.type,
      status: "failed",
      httpStatus: null,
      reasonCode: "request_failed",
      message: `request failed: ${problem}`,
      attempts: [],
    };
  }
  const maxAttempts = Math.max(1, policy.maxAttempts ?? 3);
  const base = policy.baseBackoffMs ?? 500;
  const cap = policy.maxBackoffMs ?? 10_000;
  const sleep = policy.sleep ?? defaultSleep;
  const attempts: AttemptRecord[] = [];
  let last: Omit<SinkResult, "id" | "type" | "attempts" | "reasonCode"> & {
    reasonCode: AttemptRecord["reasonCode"];
  } = {
    status: "failed",
    httpStatus: null,
    reasonCode: "request_failed",
    message: null,
  };
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const started = Date.now();
    let retryable = false;
    let hinted: number | null = null;
    try {
      const response = await fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal: AbortSignal.timeout(sink.timeoutSeconds * 1000),
      });
      const text = await readBodyPrefix(response);
      if (response.status >= 200 && response.status < 300) {
        last = {
          status: "success",
          httpStatus: response.status,
          reasonCode: null,
          message: excerpt(text, request.secrets),
        };
      } else {
        last = {
          status: "failed",
          httpStatus: response.status,
          reasonCode: "http_error",
          message: excerpt(text, request.secrets) ?? `HTTP ${response.status}`,
        };
        retryable = response.status >= 500 || response.status === 429;
        if (retryable) hinted = retryAfterMs(response.headers.get("retry-after"));
      }
    } catch (error) {
      const { message } = transportMessage(error, sink.timeoutSeconds);
      last = {
        status: "failed",
        httpStatus: null,
        reasonCode: "request_failed",
        message: redact(message, request.secrets),
      };
      retryable = true;
    }
    const record: AttemptRecord = {
      attempt,
      httpStatus: last.httpStatus,
      reasonCode: last.reasonCode,
      durationMs: Date.now() - started,
    };
    if (last.status === "success" || !retryable || attempt === maxAttempts) {
      attempts.push(record);
      break;
    }
    const wait = Math.min(cap, hinted ?? base * 2 ** (attempt - 1));
    attempts.push({ ...record, retryInMs: wait });
    await sleep(wait);
  }
  return { id: sink.id, type: sink.type, ...last, attempts };
}
