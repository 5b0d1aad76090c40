/**
 * Spec 13 §4.2: ingest over the sprite-service transport. Two GETs through the service client
 * (spec 16 §4) — `/ops/snapshot` and `/ops/events` — whose answers feed the same batch, projection
 * and cursor commit as the local transport (ingest-batch.ts).
 *
 * The service client is either `serviceRequest` of @ops/transport-sprite (in-process) or, when
 * `OPS_MANAGER_SERVICE_CLIENT_SCRIPT` is set (spec 10 §4.1), that executable, called with the
 * service-client command's arguments: `--method GET --base-url <url> --path <path> [--token <t>]
 * --trace-id <id> --retry-attempts <n> --retry-backoff-seconds <n>`; stdout = the raw 2xx body,
 * exit 0; anything else is a failed request.
 *
 * Careful behaviours:
 * - Q13-2: a 2xx snapshot body that is not JSON, or not a `loop_run_snapshot` v1 envelope, is
 *   `service_response_invalid` (telemetry, health and transport health are written as for any
 *   ingest failure). A snapshot envelope of another loop is `projection_failed`, as on the local
 *   transport (project-state's guard).
 * - Q13-3: the local cursor file (§4.2 step 6) is written only after projection succeeded.
 * - Q13-10 / Q10-3: `loopId`, `cursor` and `maxEvents` are URL-encoded.
 * - Q16-1 (in the client): refused connections are retried like transient HTTP statuses.
 */
import { type Clock, formatTimestamp, type PollCursor, runtimeRelativePaths } from "@ops/contract";
import { writePollCursor } from "@ops/transport-local";
import { buildServicePath, serviceFailureMessage, serviceRequest } from "@ops/transport-sprite";
import type { ReconcileContext } from "./context.js";
import { hookScript, runHook } from "./hooks.js";
import { IngestBatch, type IngestOutcome, ingestFailure } from "./ingest-batch.js";
import type { ReconcileOptions } from "./options.js";
import { isJsonObject, stepErrorOutput } from "./util.js";

/** §4.2 step 4. */
export const EVENTS_SHAPE_INVALID_MESSAGE = "service /ops/events response shape invalid";
/** §4.2 step 5. */
export const CURSOR_VALUES_INVALID_MESSAGE = "service cursor values are invalid";
/** Q13-2 (careful): a snapshot body that is not JSON. */
export const SNAPSHOT_NOT_JSON_MESSAGE = "service /ops/snapshot response is not valid JSON";
/** Q13-2 (careful): a JSON snapshot body that is not a `loop_run_snapshot` v1 envelope. */
export const SNAPSHOT_SHAPE_INVALID_MESSAGE = "service /ops/snapshot response shape invalid";

type ServiceCall =
  | { readonly ok: true; readonly body: string }
  /** `output` = what the client printed (stdout+stderr); its last 40 lines become `failureMessage`. */
  | { readonly ok: false; readonly output: string };

/** The service-client command's arguments for one GET (also the hook's argument list). */
export function serviceClientArguments(options: ReconcileOptions, requestPath: string): string[] {
  return [
    "--method",
    "GET",
    "--base-url",
    options.serviceBaseUrl ?? "",
    "--path",
    requestPath,
    ...(options.serviceToken === "" ? [] : ["--token", options.serviceToken]),
    "--trace-id",
    options.traceId,
    "--retry-attempts",
    String(options.retryAttempts),
    "--retry-backoff-seconds",
    String(options.retryBackoffSeconds),
  ];
}

async function serviceGet(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  requestPath: string,
): Promise<ServiceCall> {
  const script = hookScript(options.env, "serviceClient");
  if (script !== null) {
    const result = await runHook(script, serviceClientArguments(options, requestPath), {
      env: options.env,
      cwd: options.cwd,
      ...(ctx.hookTimeoutMs === undefined ? {} : { timeoutMs: ctx.hookTimeoutMs }),
    });
    return result.ok ? { ok: true, body: result.stdout } : { ok: false, output: result.all };
  }
  try {
    const response = await serviceRequest({
      method: "GET",
      baseUrl: options.serviceBaseUrl ?? "",
      path: requestPath,
      token: options.serviceToken,
      traceId: options.traceId,
      retryAttempts: options.retryAttempts,
      retryBackoffSeconds: options.retryBackoffSeconds,
      ...(ctx.serviceSleep === undefined ? {} : { sleep: ctx.serviceSleep }),
    });
    if (response.ok) return { ok: true, body: response.body };
    // What the service-client command prints on stderr (spec 16 §4 step 3).
    return { ok: false, output: `error: ${serviceFailureMessage(response)}\n` };
  } catch (error) {
    // The client refused the request (e.g. a base URL that is not http(s)): as the CLI prints it.
    return { ok: false, output: `${stepErrorOutput(error)}\n` };
  }
}

function parseJson(text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** §4.2 step 5: a non-negative integer (or digit string); missing → 0; else null. */
function cursorValue(value: unknown): number | null {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value === "string" && /^[0-9]+$/.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : null;
  }
  return null;
}

/**
 * §4.2 steps 1–6 plus projection. `start` is the cycle's `cursorOffsetBefore` (§3 step 2: 0 with
 * `--from-start` or a missing/invalid cursor file).
 */
export async function ingestService(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  clock: Clock,
  start: number,
): Promise<IngestOutcome> {
  const { loopId } = options;

  // 1. the snapshot.
  const snapshotCall = await serviceGet(options, ctx, buildServicePath("/ops/snapshot", { loopId }));
  if (!snapshotCall.ok) return ingestFailure("service_request_failed", snapshotCall.output);
  const snapshotJson = parseJson(snapshotCall.body);
  if (!snapshotJson.ok) return ingestFailure("service_response_invalid", SNAPSHOT_NOT_JSON_MESSAGE);
  const snapshot = snapshotJson.value;
  if (
    !isJsonObject(snapshot) ||
    snapshot["schemaVersion"] !== "v1" ||
    snapshot["envelopeType"] !== "loop_run_snapshot"
  ) {
    return ingestFailure("service_response_invalid", SNAPSHOT_SHAPE_INVALID_MESSAGE);
  }

  // 2–3. the events after `start` (maxEvents always sent, 0 = unlimited).
  const eventsCall = await serviceGet(
    options,
    ctx,
    buildServicePath("/ops/events", { loopId, cursor: start, maxEvents: options.maxEvents }),
  );
  if (!eventsCall.ok) return ingestFailure("service_request_failed", eventsCall.output);

  // 4. shape.
  const eventsJson = parseJson(eventsCall.body);
  const response = eventsJson.ok ? eventsJson.value : null;
  const events = isJsonObject(response) ? response["events"] : undefined;
  const cursor = isJsonObject(response) ? response["cursor"] : undefined;
  if (!isJsonObject(response) || response["ok"] !== true || !Array.isArray(events) || !isJsonObject(cursor)) {
    return ingestFailure("service_response_invalid", EVENTS_SHAPE_INVALID_MESSAGE);
  }

  // 5. cursor values.
  const eventLineOffset = cursorValue(cursor["eventLineOffset"]);
  const eventLineCount = cursorValue(cursor["eventLineCount"]);
  if (eventLineOffset === null || eventLineCount === null) {
    return ingestFailure("service_response_invalid", CURSOR_VALUES_INVALID_MESSAGE);
  }

  // The batch: every element, in order, through the same guard/sequence/projection as local.
  const batch = await IngestBatch.open(options, ctx);
  for (const envelope of events) await batch.add(envelope);

  // Step 5 (projection), then §4.2 step 6: the local cursor file (Q13-3: only now).
  const committed: PollCursor = {
    schemaVersion: "v1",
    repoPath: options.repoPath,
    loopId,
    eventsFile: runtimeRelativePaths(loopId).events,
    eventLineOffset,
    eventLineCount,
    updatedAt: formatTimestamp(clock.now()),
  };
  return batch.project(snapshot, ctx, clock, () => writePollCursor(options.files.cursor.path, committed));
}
