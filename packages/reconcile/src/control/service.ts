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
 * - Q15-3: any other client failure is `failed_command` (exit 1) with the service's error body (last
 *   40 lines; or the client's error text when there is no body) as `commandOutput`, instead of `{}`.
 * - Q15-4: an unexpected `result.status` (e.g. `executed`) is recorded verbatim and exits 1.
 */
import { errorMessage } from "@ops/contract";
import { outputTail } from "@ops/transport-local";
import { serviceFailureMessage, serviceRequest } from "@ops/transport-sprite";
import type { ConfirmationStatus, ExecutionStatus } from "./schemas.js";

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

export interface ServiceControlReply {
  /** A 2xx response was received. */
  readonly ok: boolean;
  /** HTTP status of the last attempt; 0 = no response (connection error, timeout). */
  readonly status: number;
  /** Raw response body ("" when none). */
  readonly body: string;
  /** One-line failure text (`service request failed (…): …`) when not ok. */
  readonly error: string | null;
}

/** Sends one control request to a sprite service. May throw; a throw is a client failure. */
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
  };
};

/** `POST <base-url without trailing "/">/ops/control` (spec 15 §2.2 step 2). */
export function serviceControlCommand(baseUrl: string): string {
  return `POST ${baseUrl.replace(/\/+$/, "")}/ops/control`;
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
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonNegativeInteger(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function parseObject(text: string): Record<string, unknown> | null {
  if (text.trim().length === 0) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
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
  const result = isObject(response["result"]) ? response["result"] : null;
  const confirm = result !== null && isObject(result["confirm"]) ? result["confirm"] : null;
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
  return {
    status,
    exitCode,
    confirmExitCode,
    confirmed: result?.["confirmed"] === true || status === "confirmed",
    confirm,
    commandOutput: JSON.stringify(response),
    replayed: response["replayed"] === true,
    executionStatus: executionStatusFor(status),
    confirmationStatus: confirmationStatusFor(status, confirm !== null),
    confirmationAttempted: confirm !== null,
    stderr: null,
  };
}

/** A failed client call (spec 15 §2.2 step 3, with Q15-3's careful `commandOutput`). */
function clientFailure(body: string, error: string): ServiceControlOutcome {
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
    stderr: `error: ${error}`,
  };
}

/** A 409/500 body that is a control response (not a `{ok:false,error:{…}}` error envelope). */
function isControlResponse(body: Record<string, unknown> | null): body is Record<string, unknown> {
  return body !== null && (nonNegativeInteger(body["exitCode"]) !== null || isObject(body["result"]));
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
    return clientFailure("", errorMessage(error) || "service request failed");
  }
  const parsed = parseObject(reply.body);
  if (reply.ok) {
    if (parsed !== null) return interpretServiceControlResponse(parsed);
    // A 2xx without a JSON object: nothing to interpret; kept as text (spec: treated as `{}`).
    const outcome = interpretServiceControlResponse({});
    const text = outputTail(reply.body);
    return { ...outcome, commandOutput: text.length > 0 ? text : outcome.commandOutput };
  }
  if ((reply.status === 409 || reply.status === 500) && isControlResponse(parsed)) {
    return interpretServiceControlResponse(parsed);
  }
  return clientFailure(reply.body, reply.error ?? `service request failed (code=${reply.status})`);
}
