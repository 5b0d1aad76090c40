/**
 * `POST /ops/control` (spec 16 §3.4): body validation and field resolution, the idempotency
 * store, and one control run per request through the injected `runControl`.
 *
 * Careful behaviour beyond the spec (§6):
 * - Q16-3: a stored response records the request it answered; reusing its key for another
 *   intent answers `409 idempotency_conflict` instead of replaying the old result. (Stores are per
 *   loop, so the same key on another loop is another loop's key: the loopId check only catches a
 *   hand-edited store.)
 * - Q16-4: the store is rewritten under the loop lock, and control runs one at a time per loop in
 *   this process; concurrent requests with one key share a single execution (every caller gets the
 *   same answer).
 * - Crash safety: a key is claimed with a durable `pending` entry before control runs, and a pending
 *   entry that no run of this process owns answers ambiguous (409, exit 2) instead of running
 *   control again — so the runtime command runs at most once per key, even across a killed service
 *   (see ControlService and idempotency.ts).
 * - Q16-5: `noConfirm` must be a JSON boolean (`"false"` is rejected, not "truthy").
 * - Q15-1: optional `timeoutSeconds` / `intervalSeconds` are forwarded to control, so a client can
 *   size its own timeout above the confirmation timeout.
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  assertValidLoopId,
  type Clock,
  errorMessage,
  isJsonObject,
  nowTimestamp,
  opsPaths,
  systemClock,
  type WithLockOptions,
} from "@ops/contract";
import { errorBody, HttpError, headerText } from "./http.js";
import {
  type ControlFingerprint,
  claimIdempotencyKey,
  fingerprintConflicts,
  type IdempotencyClaim,
  isPendingEntry,
  PENDING_STATUS,
  type PendingEntry,
  readIdempotencyStore,
  storedFingerprint,
  storeIdempotentResponse,
} from "./idempotency.js";
import { lastJsonObjectLine, lastNonBlankLines, omitNullish } from "./text.js";

export const CONTROL_INTENTS = ["cancel", "approve", "reject"] as const;
export type ControlIntentName = (typeof CONTROL_INTENTS)[number];

/** Longest idempotency key accepted (keys are stored forever). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** What the service asks control to do (spec 16 §3.4 step 2). */
export interface ControlRunArgs {
  /** The service repo (absolute). */
  readonly repo: string;
  readonly loop: string;
  readonly intent: ControlIntentName;
  readonly by: string;
  readonly note: string | null;
  readonly noConfirm: boolean;
  readonly traceId: string | null;
  /** Confirmation timeout / interval forwarded from the body (null = control's defaults, 30 s / 2 s). */
  readonly timeoutSeconds: number | null;
  readonly intervalSeconds: number | null;
  /**
   * The same request as `ops-manager control` arguments:
   * `--repo <repo> --loop <loop> --intent <intent> --by <by> [--note <note>] [--no-confirm]
   * [--trace-id <id>] [--timeout-seconds <n>] [--interval-seconds <n>]` (transport local).
   */
  readonly argv: readonly string[];
}

/** The outcome of one control run, as the control CLI would have produced it. */
export interface ControlRunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs control for the service (the app wires it to the in-process control of @ops/reconcile). */
export type RunControl = (args: ControlRunArgs) => Promise<ControlRunResult>;

/** A validated `POST /ops/control` request (spec 16 §3.4 field resolution). */
export interface ControlRequest {
  readonly loopId: string;
  readonly intent: ControlIntentName;
  readonly by: string;
  readonly note: string | null;
  readonly idempotencyKey: string | null;
  readonly traceId: string | null;
  readonly noConfirm: boolean;
  readonly timeoutSeconds: number | null;
  readonly intervalSeconds: number | null;
}

function invalid(message: string): HttpError {
  return new HttpError(400, "invalid_request", message);
}

/** A string field: absent/null → "", strings trimmed, anything else is a 400. */
function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw invalid(`${name} must be a string`);
  return value.trim();
}

function optionalSeconds(body: Record<string, unknown>, name: string): number | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw invalid(`${name} must be a non-negative integer`);
}

/**
 * Parse and validate a control body in the spec's order: JSON → object → `loopId` → `intent`, then
 * the careful checks (loop id shape, field types, `noConfirm` boolean, key length).
 */
export function parseControlRequest(
  raw: Buffer | string,
  headers: IncomingHttpHeaders,
  env: Readonly<Record<string, string | undefined>>,
): ControlRequest {
  const text = typeof raw === "string" ? raw : raw.toString("utf8");
  let body: unknown = {};
  if (text.trim().length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json", "request body must be valid JSON");
    }
  }
  if (!isJsonObject(body)) throw invalid("request body must be an object");

  const loopId = stringField(body, "loopId");
  if (loopId === "") throw invalid("loopId is required");
  try {
    assertValidLoopId(loopId, "loopId");
  } catch (error) {
    throw invalid(errorMessage(error));
  }
  const intent = stringField(body, "intent");
  if (!(CONTROL_INTENTS as readonly string[]).includes(intent)) {
    throw invalid("intent must be cancel, approve, or reject");
  }

  const by = stringField(body, "by") || (env["USER"] ?? "").trim() || "ops-service";
  const note = stringField(body, "note") || null;
  const idempotencyKey =
    stringField(body, "idempotencyKey") || headerText(headers, "x-idempotency-key") || null;
  if (idempotencyKey !== null && idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalid(`idempotencyKey must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  const traceId = stringField(body, "traceId") || headerText(headers, "x-trace-id") || null;
  const noConfirmValue = body["noConfirm"];
  if (noConfirmValue !== undefined && noConfirmValue !== null && typeof noConfirmValue !== "boolean") {
    throw invalid("noConfirm must be a boolean");
  }
  return {
    loopId,
    intent: intent as ControlIntentName,
    by,
    note,
    idempotencyKey,
    traceId,
    noConfirm: noConfirmValue === true,
    timeoutSeconds: optionalSeconds(body, "timeoutSeconds"),
    intervalSeconds: optionalSeconds(body, "intervalSeconds"),
  };
}

/** The control arguments for `request` against `repo` (spec 16 §3.4 step 2). */
export function controlRunArgs(repo: string, request: ControlRequest): ControlRunArgs {
  const argv = ["--repo", repo, "--loop", request.loopId, "--intent", request.intent, "--by", request.by];
  if (request.note !== null) argv.push("--note", request.note);
  if (request.noConfirm) argv.push("--no-confirm");
  if (request.traceId !== null) argv.push("--trace-id", request.traceId);
  if (request.timeoutSeconds !== null) argv.push("--timeout-seconds", String(request.timeoutSeconds));
  if (request.intervalSeconds !== null) argv.push("--interval-seconds", String(request.intervalSeconds));
  return {
    repo,
    loop: request.loopId,
    intent: request.intent,
    by: request.by,
    note: request.note,
    noConfirm: request.noConfirm,
    traceId: request.traceId,
    timeoutSeconds: request.timeoutSeconds,
    intervalSeconds: request.intervalSeconds,
    argv,
  };
}

/** Spec 16 §3.4 step 5: exit 0 → 200, exit 2 (ambiguous) → 409, anything else → 500. */
export function controlHttpStatus(exitCode: number): number {
  if (exitCode === 0) return 200;
  if (exitCode === 2) return 409;
  return 500;
}

/**
 * The response object of one control run (spec 16 §3.4 step 3, null-valued keys omitted):
 * `{ok, exitCode, result?, stderr?, replayed:false, traceId?}`.
 */
export function controlResponse(run: ControlRunResult, traceId: string | null): Record<string, unknown> {
  const exitCode = Number.isSafeInteger(run.exitCode) && run.exitCode >= 0 ? run.exitCode : 1;
  const result = lastJsonObjectLine(run.stdout);
  const stderr = lastNonBlankLines(run.stderr);
  const resultTrace = result !== null && typeof result["traceId"] === "string" ? result["traceId"] : "";
  return omitNullish({
    ok: exitCode === 0,
    exitCode,
    result,
    stderr: stderr === "" ? null : stderr,
    replayed: false,
    traceId: traceId ?? (resultTrace === "" ? null : resultTrace),
  });
}

/** What the handler sends, plus facts for the access log. */
export interface ControlOutcome {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly replayed: boolean;
  /** The key had a pending entry: answered ambiguous without running control. */
  readonly pending?: boolean;
  /** Set when the idempotency store could not be read or written. */
  readonly storeError?: string;
}

interface KeyedJob {
  readonly fingerprint: ControlFingerprint;
  readonly outcome: ControlOutcome;
}

/** Promise-chain mutex per key: `run` calls with one key execute one after another. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * Keyed control runs in flight in **this process** (every handler), by store file and key. A
 * request whose key is here joins that run; a pending entry whose key is not here belongs to a run
 * that ended without an answer (a killed service, a failed final write) or to another process.
 */
const runningKeys = new Map<string, Promise<KeyedJob>>();

/** `result.reason` of the answer to a key with a pending entry (the manager recognises it). */
export const PENDING_KEY_REASON = "idempotency_key_pending";

export interface ControlServiceOptions {
  readonly repo: string;
  readonly runControl: RunControl;
  readonly lockOptions?: WithLockOptions;
  /** Clock of the pending entries' `startedAt`; default the system clock. */
  readonly clock?: Clock;
}

/**
 * The state behind `POST /ops/control` of one handler: per-loop serialisation, and the keyed runs
 * (shared by all handlers of the process).
 *
 * A request with a non-empty key: joins a run of that key in this process; else answers from the
 * store (a completed entry replays; a pending one answers ambiguous, 409); else claims the key with
 * a pending entry (under the loop lock, together with a re-check of the store), runs control, and
 * replaces the pending entry with the answer. If the key cannot be claimed, control does not run
 * (503 `idempotency_store_unavailable`): without a durable claim a crash could make it run twice.
 */
export class ControlService {
  private readonly perLoop = new KeyedMutex();
  private readonly clock: Clock;

  constructor(private readonly options: ControlServiceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async handle(request: ControlRequest): Promise<ControlOutcome> {
    const fingerprint: ControlFingerprint = { loopId: request.loopId, intent: request.intent };
    const key = request.idempotencyKey;
    if (key === null) return this.perLoop.run(request.loopId, () => this.execute(request));

    const slot = `${opsPaths(this.options.repo, request.loopId).serviceIdempotency}\u0000${key}`;
    const running = runningKeys.get(slot);
    if (running !== undefined) {
      // Same key already executing in this process: share its answer (or report the conflict).
      const job = await running;
      return job.fingerprint.intent === fingerprint.intent && job.fingerprint.loopId === fingerprint.loopId
        ? job.outcome
        : conflict(key, job.fingerprint);
    }
    const job = this.executeKeyed(request, key, fingerprint);
    runningKeys.set(slot, job);
    const forget = () => {
      if (runningKeys.get(slot) === job) runningKeys.delete(slot);
    };
    void job.then(forget, forget);
    return (await job).outcome;
  }

  private async executeKeyed(
    request: ControlRequest,
    key: string,
    fingerprint: ControlFingerprint,
  ): Promise<KeyedJob> {
    const paths = opsPaths(this.options.repo, request.loopId);
    let stored: unknown;
    try {
      stored = (await readIdempotencyStore(paths.serviceIdempotency)).get(key);
    } catch (error) {
      return { fingerprint, outcome: storeUnavailable(key, error) };
    }
    if (isJsonObject(stored))
      return { fingerprint, outcome: storedAnswer(stored, key, request, fingerprint) };
    return this.perLoop.run(request.loopId, async () => {
      const pending: PendingEntry = {
        status: PENDING_STATUS,
        request: fingerprint,
        startedAt: nowTimestamp(this.clock),
        pid: process.pid,
        by: request.by,
        ...(request.traceId === null ? {} : { traceId: request.traceId }),
      };
      let claim: IdempotencyClaim;
      try {
        claim = await claimIdempotencyKey(
          paths.serviceIdempotency,
          paths.lock,
          key,
          pending,
          this.options.lockOptions,
        );
      } catch (error) {
        return { fingerprint, outcome: storeUnavailable(key, error) };
      }
      // Answered or claimed by another process while we queued.
      if (!claim.claimed) {
        return { fingerprint, outcome: storedAnswer(claim.existing, key, request, fingerprint) };
      }
      const outcome = await this.execute(request);
      try {
        await storeIdempotentResponse(
          paths.serviceIdempotency,
          paths.lock,
          key,
          { ...outcome.body, request: fingerprint },
          this.options.lockOptions,
        );
        return { fingerprint, outcome };
      } catch (error) {
        // Control ran: its answer is more useful to the caller than the storage failure. The
        // pending entry stays, so later requests with this key answer ambiguous (never run again).
        return { fingerprint, outcome: { ...outcome, storeError: errorMessage(error) } };
      }
    });
  }

  /** Steps 2–3: run control once and build the response. */
  private async execute(request: ControlRequest): Promise<ControlOutcome> {
    let run: ControlRunResult;
    try {
      run = await this.options.runControl(controlRunArgs(this.options.repo, request));
    } catch (error) {
      run = { exitCode: 1, stdout: "", stderr: `error: ${errorMessage(error) || "control failed"}\n` };
    }
    const body = controlResponse(run, request.traceId);
    return { status: controlHttpStatus(body["exitCode"] as number), body, replayed: false };
  }
}

/**
 * The answer for a key that has a stored entry: a conflict when it answered another request; for a
 * pending entry, ambiguous (409); otherwise step 1's replay (200, `replayed: true`).
 */
function storedAnswer(
  stored: Record<string, unknown>,
  key: string,
  request: ControlRequest,
  fingerprint: ControlFingerprint,
): ControlOutcome {
  if (fingerprintConflicts(stored, fingerprint)) return conflict(key, storedFingerprint(stored));
  if (isPendingEntry(stored)) return pendingAnswer(stored, key, request);
  // From entries, not by assignment: every stored key (even `__proto__`) stays an own field.
  const body: Record<string, unknown> = Object.fromEntries(
    Object.entries(stored).filter(([name]) => name !== "request"),
  );
  body["replayed"] = true;
  const storedTrace = stored["traceId"];
  if ((storedTrace === undefined || storedTrace === null || storedTrace === "") && request.traceId !== null) {
    body["traceId"] = request.traceId;
  }
  return { status: 200, body, replayed: true };
}

/**
 * A key with a pending entry and no run in this process: an earlier request with it started control
 * and was never answered, so the runtime command may have run. Nothing runs; the answer is the
 * spec's response object with exit 2 (ambiguous, HTTP 409), which the manager records `ambiguous`:
 * `{ok:false, exitCode:2, result:{…, status:"ambiguous", reason:"idempotency_key_pending", …},
 * stderr, replayed:true, traceId}`. `replayed: true` because, like a replay, it comes from the store
 * and runs nothing.
 */
function pendingAnswer(
  stored: Record<string, unknown>,
  key: string,
  request: ControlRequest,
): ControlOutcome {
  const startedAt = typeof stored["startedAt"] === "string" ? stored["startedAt"] : null;
  const pid = typeof stored["pid"] === "number" ? stored["pid"] : null;
  const storedTrace = typeof stored["traceId"] === "string" ? stored["traceId"] : null;
  const started = [
    startedAt === null ? null : `at ${startedAt}`,
    pid === null ? null : `by service pid ${pid}`,
  ]
    .filter((part) => part !== null)
    .join(" ");
  const message =
    `idempotency key ${JSON.stringify(key)} is pending: an earlier request with it started control` +
    `${started === "" ? "" : ` ${started}`} and has no recorded answer (the service was stopped during it, or could not record the answer), so the ` +
    "runtime command may have run; control is not run again and the outcome is unknown. Check the " +
    "loop (ops-manager confirm-intent / status), then use a new idempotency key.";
  const body = omitNullish({
    ok: false,
    exitCode: 2,
    result: omitNullish({
      loopId: request.loopId,
      intent: request.intent,
      status: "ambiguous",
      reason: PENDING_KEY_REASON,
      idempotencyKey: key,
      pendingSince: startedAt,
      confirmed: false,
      traceId: storedTrace,
    }),
    stderr: `error: ${message}`,
    replayed: true,
    traceId: request.traceId ?? storedTrace,
  });
  return { status: controlHttpStatus(2), body, replayed: true, pending: true };
}

/** The key could not be claimed (store unreadable, lock timeout, write failure): nothing ran. */
function storeUnavailable(key: string, error: unknown): ControlOutcome {
  const reason = errorMessage(error) || "idempotency store error";
  return {
    status: 503,
    body: errorBody(
      "idempotency_store_unavailable",
      `cannot record idempotency key ${JSON.stringify(key)} before running control (${reason}); nothing was run`,
    ) as unknown as Record<string, unknown>,
    replayed: false,
    storeError: reason,
  };
}

function conflict(key: string, previous: Partial<ControlFingerprint>): ControlOutcome {
  const what = [
    previous.loopId === undefined ? null : `loopId=${previous.loopId}`,
    previous.intent === undefined ? null : `intent=${previous.intent}`,
  ].filter((part) => part !== null);
  const message =
    `idempotency key ${JSON.stringify(key)} was already used for a different request` +
    (what.length > 0 ? ` (${what.join(", ")})` : "");
  return {
    status: 409,
    body: errorBody("idempotency_conflict", message) as unknown as Record<string, unknown>,
    replayed: false,
  };
}
