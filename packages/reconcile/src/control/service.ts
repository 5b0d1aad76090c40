/**
 * The sprite-service transport of control (spec 15 §2.2): one `POST <base>/ops/control` through the
 * service client, and the interpretation of the service's answer.
 *
 * The HTTP call goes through a `ServiceControlClient` function (injectable; the default adapts
 * `serviceRequest` of @ops/transport-sprite). Careful behaviour (spec 15 §7):
 * - Q15-1: the confirmation `timeoutSeconds` / `intervalSeconds` are forwarded in the body (the
 *   service accepts them), and the client's per-attempt limit is sized above the service's whole
 *   control run (runtime command + confirmation), so a non-confirming approve ends `ambiguous`
 *   instead of a client timeout.
 * - Q15-2: 409 (ambiguous) and 500 (failed) are never retried (the client's POST policy), so a
 *   first-time failure is not re-sent into a replay of itself.
 * - Q15-1/Q15-2 together: a 409/500 whose body is the service's control response (it carries
 *   `exitCode` / `result`) is that control's answer and is interpreted like a 2xx one — a 409
 *   is recorded `ambiguous` (exit 2), not `failed_command`.
 * - Q15-3 / spec 15 §2.2 step 3, made careful: any other client failure is classified by what its
 *   attempts say about whether the request may have reached the service (see `attemptDelivery`):
 *   - if **any** attempt may have reached it (a timeout or dropped connection after sending, a 5xx
 *     or 408 without a control response, or no per-attempt facts at all) the runtime command may
 *     have run: `ambiguous` (exit 2, `control_ambiguous`), `execution.status: "unknown"`;
 *   - only when every attempt demonstrably did not run control (refused / DNS / unreachable before
 *     sending, or a 4xx answer such as 400/401/404/409 idempotency_conflict/413) is it
 *     `failed_command` (exit 1).
 *   `commandOutput` says what is known: for `ambiguous` a summary, one line per attempt, and the
 *   last body excerpt; for `failed_command` the service's error body (last 40 lines; or the client's
 *   error text when there is no body), instead of `{}`. Every attempt is recorded in the audit row
 *   (`execution.attempts`).
 * - The service's answer for a key whose earlier run was never answered (409, `result.reason:
 *   "idempotency_key_pending"`) is `ambiguous` with `execution.status: "unknown"` too.
 * - Q15-4: an unexpected `result.status` (e.g. `executed`) is recorded verbatim and exits 1.
 *
 * `OPS_MANAGER_SERVICE_CLIENT_SCRIPT` (spec 10 §4.1, see `hookServiceControlClient`): when set, that
 * executable replaces the in-process client, called like `ops-manager service-client --method POST`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { errorMessage, isJsonObject } from "@ops/contract";
import { outputTail } from "@ops/transport-local";
import {
  PENDING_KEY_REASON,
  redactUrl,
  serviceFailureMessage,
  serviceRequest,
  type TransportFailureKind,
} from "@ops/transport-sprite";
import { type HookEnv, hookErrorMessage, runHook } from "../pipeline/hooks.js";
import type { ConfirmationStatus, ExecutionStatus, ServiceAttemptRecord } from "./schemas.js";

/** The body sent to `POST /ops/control` (spec 15 §2.2 step 1; nulls omitted). */
export interface ServiceControlBody {
  readonly loopId: string;
  readonly intent: string;
  readonly by: string;
  readonly note?: string;
  readonly traceId: string;
  readonly idempotencyKey: string;
  readonly noConfirm: boolean;
  /** Q15-1 careful: the confirmation timing, so the service confirms like the caller asked. */
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
}

export interface ServiceControlRequest {
  /** `--service-base-url` as given (the client removes trailing `/`). */
  readonly baseUrl: string;
  /** "" = no token. */
  readonly token: string;
  readonly traceId: string;
  readonly body: ServiceControlBody;
  readonly retryAttempts: number;
  readonly retryBackoffSeconds: number;
  /** Whole-request limit per attempt, above the service's control run (Q15-1). */
  readonly maxTimeSeconds: number;
}

/** One attempt of the request, as the client saw it. */
export interface ServiceControlAttempt {
  readonly attempt: number;
  /** HTTP status; 0 = no response. */
  readonly status: number;
  /** `"200"`, `"503"`, … or `"000"`. */
  readonly code: string;
  /** Transport error text, or null. */
  readonly error: string | null;
  /** For attempts without a response: was the request possibly sent? null = unknown / answered. */
  readonly failure: TransportFailureKind | null;
  readonly retried: boolean;
  readonly delayMs: number;
}

export interface ServiceControlReply {
  /** A 2xx response was received. */
  readonly ok: boolean;
  /** HTTP status of the last attempt; 0 = no response (connection error, timeout). */
  readonly status: number;
  /** Raw response body ("" when none). */
  readonly body: string;
  /** One-line failure text (`service request failed (…): …`) when not ok. */
  readonly error: string | null;
  /** Every attempt in order. Absent = unknown (a failure then counts as possibly delivered). */
  readonly attempts?: readonly ServiceControlAttempt[];
}

/**
 * Sends one control request to a sprite service. Throws only when the request could not be sent
 * at all (e.g. an invalid base URL): a throw is recorded `failed_command`.
 */
export type ServiceControlClient = (request: ServiceControlRequest) => Promise<ServiceControlReply>;

/** The default client: @ops/transport-sprite's `serviceRequest` (retry policy per spec 16 §4 + Q15-2). */
export const defaultServiceControlClient: ServiceControlClient = async (request) => {
  const response = await serviceRequest({
    method: "POST",
    baseUrl: request.baseUrl,
    path: "/ops/control",
    token: request.token,
    traceId: request.traceId,
    body: JSON.stringify(request.body),
    retryAttempts: request.retryAttempts,
    retryBackoffSeconds: request.retryBackoffSeconds,
    timeoutSeconds: request.maxTimeSeconds,
  });
  return {
    ok: response.ok,
    status: response.status,
    body: response.body,
    error: response.ok ? null : serviceFailureMessage(response),
    attempts: response.history.map((attempt) => ({
      attempt: attempt.attempt,
      status: attempt.status,
      code: attempt.code,
      error: attempt.transportError,
      failure: attempt.failure,
      retried: attempt.retried,
      delayMs: attempt.delayMs,
    })),
  };
};

/**
 * The service-client command's arguments for the control POST (also the hook's argument list); the
 * body goes in a file, as the command reads it from `--body-file`.
 */
export function serviceControlClientArguments(request: ServiceControlRequest, bodyFile: string): string[] {
  return [
    "--method",
    "POST",
    "--base-url",
    request.baseUrl,
    "--path",
    "/ops/control",
    ...(request.token === "" ? [] : ["--token", request.token]),
    "--trace-id",
    request.traceId,
    "--body-file",
    bodyFile,
    "--retry-attempts",
    String(request.retryAttempts),
    "--retry-backoff-seconds",
    String(request.retryBackoffSeconds),
    "--max-time-seconds",
    String(request.maxTimeSeconds),
  ];
}

/** `code=NNN)` in a service-client failure line (`service request failed (method=… code=NNN): …`). */
const FAILURE_CODE = /\bcode=(\d{3})\)/;

/**
 * The status a failed hook run reports, for the classification in `sendServiceControl` (which has
 * no per-attempt facts here): a recognisable refusal — a `code=4xx` other than 408 (timeout) and
 * 409 (may carry the service's ambiguous control answer, which the hook does not print) — is that
 * status, so control is `failed_command`; anything else (000, 5xx, a crash, a kill, no such
 * executable, an unrecognised message) is 0, i.e. possibly delivered: `ambiguous`.
 */
export function hookFailureStatus(message: string): number {
  const code = Number(FAILURE_CODE.exec(message)?.[1] ?? "0");
  return code >= 400 && code < 500 && code !== 408 && code !== 409 ? code : 0;
}

/**
 * A client that runs the `OPS_MANAGER_SERVICE_CLIENT_SCRIPT` hook (spec 10 §4.1) through the
 * pipeline's hook runner, with `serviceControlClientArguments` (the JSON body in a temporary file,
 * removed afterwards). Exit 0: stdout is the 2xx response body. Non-zero (or no exit code): a failed
 * request without per-attempt facts; its error is the hook's last stderr line (the command's
 * `error: service request failed (…)`) and its status is `hookFailureStatus` of that line.
 */
export function hookServiceControlClient(
  script: string,
  options: { readonly env: HookEnv; readonly cwd: string; readonly timeoutMs?: number },
): ServiceControlClient {
  return async (request) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ops-control-"));
    try {
      const bodyFile = path.join(dir, "body.json");
      await writeFile(bodyFile, JSON.stringify(request.body));
      const result = await runHook(script, serviceControlClientArguments(request, bodyFile), options);
      if (result.ok) return { ok: true, status: 200, body: result.stdout, error: null };
      const error = hookErrorMessage(
        result,
        `service client script failed (exit ${result.exitCode ?? "none"})`,
      );
      return { ok: false, status: hookFailureStatus(error), body: result.stdout, error };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/**
 * `POST <base-url without trailing "/">/ops/control` (spec 15 §2.2 step 2). User info in the URL
 * (which the client refuses to send) is removed: the command is printed and kept in the logs.
 */
export function serviceControlCommand(baseUrl: string): string {
  return `POST ${redactUrl(baseUrl).replace(/\/+$/, "")}/ops/control`;
}

/** The service's own confirmation defaults (spec 16 §3.4 step 2), used when sizing the client limit. */
const SERVICE_CONFIRM_TIMEOUT_SECONDS = 30;
/** Room for the service-side runtime command and HTTP overhead on top of the confirmation time. */
const SERVICE_RUN_MARGIN_SECONDS = 90;

/** Q15-1: the per-attempt limit — always above the confirmation the service performs. */
export function serviceMaxTimeSeconds(timeoutSeconds: number, intervalSeconds: number): number {
  return (
    Math.max(timeoutSeconds, SERVICE_CONFIRM_TIMEOUT_SECONDS) +
    Math.max(intervalSeconds, 1) +
    SERVICE_RUN_MARGIN_SECONDS
  );
}

/** What the manager records for one service call. */
export interface ServiceControlOutcome {
  readonly status: string;
  readonly exitCode: number;
  readonly confirmExitCode: number;
  readonly confirmed: boolean;
  readonly confirm: Record<string, unknown> | null;
  readonly commandOutput: string;
  readonly replayed: boolean;
  readonly executionStatus: ExecutionStatus;
  readonly confirmationStatus: ConfirmationStatus;
  readonly confirmationAttempted: boolean;
  /** Text to pass through on stderr (client errors), or null. */
  readonly stderr: string | null;
  /** The attempts, for the audit row (`execution.attempts`); absent when the client gave none. */
  readonly attempts?: readonly ServiceAttemptRecord[];
}

function nonNegativeInteger(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function parseObject(text: string): Record<string, unknown> | null {
  if (text.trim().length === 0) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** Execution status of a final status (spec 15 §2.2 step 4). */
export function executionStatusFor(status: string): ExecutionStatus {
  return status === "failed_command" ? "failed_command" : "succeeded";
}

/** Confirmation status of a final status (spec 15 §2.2 step 4). */
export function confirmationStatusFor(status: string, hasConfirm: boolean): ConfirmationStatus {
  if (status === "confirmed") return "confirmed";
  if (status === "ambiguous") return "ambiguous";
  if (status === "executed_unconfirmed") return "skipped";
  return hasConfirm ? "attempted_unknown" : "not_attempted";
}

/** Spec 15 §2.2 step 4: a service control response object → the recorded outcome. */
export function interpretServiceControlResponse(response: Record<string, unknown>): ServiceControlOutcome {
  const exitCode = nonNegativeInteger(response["exitCode"]) ?? 0;
  const result = isJsonObject(response["result"]) ? response["result"] : null;
  const confirm = result !== null && isJsonObject(result["confirm"]) ? result["confirm"] : null;
  const confirmExitCode = nonNegativeInteger(result?.["confirmExitCode"]) ?? 0;
  const resultStatus = result?.["status"];
  const status =
    typeof resultStatus === "string" && resultStatus.length > 0
      ? resultStatus
      : response["ok"] === true
        ? "confirmed"
        : exitCode === 2
          ? "ambiguous"
          : "failed_command";
  // The service's answer for a key with an unanswered earlier run: nothing is known about it.
  const unknownRun = status === "ambiguous" && result?.["reason"] === PENDING_KEY_REASON;
  return {
    status,
    exitCode,
    confirmExitCode,
    confirmed: result?.["confirmed"] === true || status === "confirmed",
    confirm,
    commandOutput: JSON.stringify(response),
    replayed: response["replayed"] === true,
    executionStatus: unknownRun ? "unknown" : executionStatusFor(status),
    confirmationStatus: unknownRun ? "not_attempted" : confirmationStatusFor(status, confirm !== null),
    confirmationAttempted: confirm !== null,
    stderr: null,
  };
}

/**
 * What one attempt says about delivery: `answered` (2xx), `not_delivered` (demonstrably did not
 * run control: not sent — refused, DNS, unreachable, invalid — or a 4xx answer other than 408),
 * or `maybe_delivered` (may have reached the service and run control: sent but no answer — timeout,
 * reset, aborted, unknown — or 408 / 5xx / any other status).
 */
export type AttemptDelivery = "answered" | "not_delivered" | "maybe_delivered";

export function attemptDelivery(attempt: Pick<ServiceControlAttempt, "status" | "failure">): AttemptDelivery {
  if (attempt.status === 0) {
    return attempt.failure === "not_sent" || attempt.failure === "invalid"
      ? "not_delivered"
      : "maybe_delivered";
  }
  if (attempt.status >= 200 && attempt.status < 300) return "answered";
  if (attempt.status >= 400 && attempt.status < 500 && attempt.status !== 408) return "not_delivered";
  return "maybe_delivered";
}

/**
 * The attempts as the audit row records them (`execution.attempts`, nulls omitted). `answered`: the
 * last attempt's body was the service's control response (a 2xx, or a 409/500 carrying one).
 */
function attemptRecords(
  attempts: readonly ServiceControlAttempt[],
  answered: boolean,
): ServiceAttemptRecord[] {
  return attempts.map((attempt, index) => ({
    attempt: attempt.attempt,
    status: attempt.status,
    code: attempt.code,
    ...(attempt.error === null ? {} : { error: attempt.error }),
    ...(attempt.failure === null ? {} : { failure: attempt.failure }),
    delivery: answered && index === attempts.length - 1 ? "answered" : attemptDelivery(attempt),
    retried: attempt.retried,
    delayMs: attempt.delayMs,
  }));
}

/**
 * The client error as `ops-manager service-client` prints it (spec 15 §2.4: passed through): one
 * `error:` line — a multi-line response body excerpt is folded onto it, as the CLI does.
 */
function passThroughError(error: string): string {
  return `error: ${errorMessage(error) || "service request failed"}`;
}

/** A failed client call that demonstrably did not run control (spec 15 §2.2 step 3, careful Q15-3). */
function clientFailure(
  body: string,
  error: string,
  attempts: readonly ServiceAttemptRecord[] | undefined,
): ServiceControlOutcome {
  const output = outputTail(body);
  return {
    status: "failed_command",
    exitCode: 1,
    confirmExitCode: 0,
    confirmed: false,
    confirm: null,
    commandOutput: output.length > 0 ? output : error,
    replayed: false,
    executionStatus: "failed_command",
    confirmationStatus: "not_attempted",
    confirmationAttempted: false,
    stderr: passThroughError(error),
    ...(attempts === undefined ? {} : { attempts }),
  };
}

const DELIVERY_TEXT: Record<AttemptDelivery, string> = {
  answered: "answered",
  not_delivered: "not delivered",
  maybe_delivered: "may have been delivered",
};

/** One line per attempt for `commandOutput`: `attempt 1: code=000 (may have been delivered): …`. */
function attemptLine(attempt: ServiceAttemptRecord): string {
  return `attempt ${attempt.attempt}: code=${attempt.code} (${DELIVERY_TEXT[attempt.delivery]})${
    attempt.error === undefined ? "" : `: ${attempt.error.replace(/\s*\n\s*/g, " ")}`
  }`;
}

/** A failed client call after which the request may have reached the service and run control. */
function ambiguousFailure(
  command: string,
  body: string,
  error: string,
  attempts: readonly ServiceAttemptRecord[] | undefined,
): ServiceControlOutcome {
  const lines = [
    `outcome unknown: ${command} failed after it may have reached the service, so the runtime command may have run`,
    ...(attempts === undefined ? [`(no per-attempt facts) ${error}`] : attempts.map(attemptLine)),
  ];
  const excerpt = outputTail(body, 20);
  if (excerpt.length > 0) lines.push("last response body:", excerpt);
  lines.push(
    "check the loop before retrying (ops-manager confirm-intent on the sprite host, or status / snapshot); a retry with the same idempotency key does not run the command again",
  );
  return {
    status: "ambiguous",
    exitCode: 2,
    confirmExitCode: 0,
    confirmed: false,
    confirm: null,
    commandOutput: lines.join("\n"),
    replayed: false,
    executionStatus: "unknown",
    confirmationStatus: "not_attempted",
    confirmationAttempted: false,
    stderr: passThroughError(error),
    ...(attempts === undefined ? {} : { attempts }),
  };
}

/** A 409/500 body that is a control response (not a `{ok:false,error:{…}}` error envelope). */
function isControlResponse(body: Record<string, unknown> | null): body is Record<string, unknown> {
  return body !== null && (nonNegativeInteger(body["exitCode"]) !== null || isJsonObject(body["result"]));
}

/** Send the request and interpret the reply. Never throws. */
export async function sendServiceControl(
  client: ServiceControlClient,
  request: ServiceControlRequest,
): Promise<ServiceControlOutcome> {
  let reply: ServiceControlReply;
  try {
    reply = await client(request);
  } catch (error) {
    // The client could not send the request at all (see ServiceControlClient).
    return clientFailure("", errorMessage(error) || "service request failed", undefined);
  }
  const parsed = parseObject(reply.body);
  const answered = reply.ok || ((reply.status === 409 || reply.status === 500) && isControlResponse(parsed));
  const attempts = reply.attempts === undefined ? undefined : attemptRecords(reply.attempts, answered);
  const withAttempts = (outcome: ServiceControlOutcome): ServiceControlOutcome =>
    attempts === undefined ? outcome : { ...outcome, attempts };
  if (reply.ok) {
    if (parsed !== null) return withAttempts(interpretServiceControlResponse(parsed));
    // A 2xx without a JSON object: nothing to interpret; kept as text (spec: treated as `{}`).
    const outcome = interpretServiceControlResponse({});
    const text = outputTail(reply.body);
    return withAttempts({ ...outcome, commandOutput: text.length > 0 ? text : outcome.commandOutput });
  }
  // A 409 (ambiguous) / 500 (failed) whose body is the service's control response: its answer.
  if (answered && parsed !== null) return withAttempts(interpretServiceControlResponse(parsed));
  const error = reply.error ?? `service request failed (code=${reply.status})`;
  // Without per-attempt facts only the last status is known, and earlier attempts are not.
  const delivered =
    reply.attempts === undefined
      ? attemptDelivery({ status: reply.status, failure: null }) === "maybe_delivered"
      : reply.attempts.some((attempt) => attemptDelivery(attempt) === "maybe_delivered");
  return delivered
    ? ambiguousFailure(serviceControlCommand(request.baseUrl), reply.body, error, attempts)
    : clientFailure(reply.body, error, attempts);
}
