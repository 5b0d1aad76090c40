/**
 * The sprite-service request handler (spec 16 §2–3) as a framework-free function over node:http:
 * `http.createServer(createSpriteServiceHandler(options))`.
 *
 * Every request: authentication first (401, also for `/healthz` and unknown paths), then routing
 * (404 unknown path, 405 known path with another method), then the route. Loop ids are validated
 * (`@ops/contract` loop id rules) before they reach a path; bodies are capped (413).
 *
 * Per-loop in-memory state (never written to disk; bounded by `maxCachedLoops`, least recently
 * used loop evicted), so that a manager polling a large loop pays O(new bytes) per request:
 * - `/ops/snapshot`: a snapshot digest cache (transport-local `SnapshotDigestCache`). Each request
 *   works on its own copy and stores it back on success, so concurrent requests never share one.
 * - `/ops/events`: the byte positions of the last cursors served (`eventLineOffset`,
 *   `eventByteOffset`, `eventLineCount`, `eventsFileIdentity`). A request whose `cursor` equals a
 *   remembered line offset gets a temporary cursor with those byte fields, so the poll resumes at
 *   the byte offset instead of walking the log from byte 0. The poll itself checks that the file is
 *   the same one (dev+ino, not shrunk, newlines at both offsets) and otherwise falls back to the
 *   line walk, so a replaced or truncated events.jsonl gives the same answer as without the cache.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  assertValidLoopId,
  type Clock,
  errorMessage,
  type LoopRunEvent,
  nowTimestamp,
  type PollCursor,
  systemClock,
  type WithLockOptions,
} from "@ops/contract";
import {
  type BatchResume,
  type CommandContext,
  emptySnapshotDigestCache,
  loopRunSnapshot,
  readEventBatch,
  type SnapshotDigestCache,
} from "@ops/transport-local";
import { isAuthorized } from "./auth.js";
import { ControlService, parseControlRequest, type RunControl } from "./control.js";
import { DEFAULT_MAX_BODY_BYTES, HttpError, headerText, readBody, sendError, sendJson } from "./http.js";
import { lastNonBlankLines, omitNullish } from "./text.js";

/** One structured access-log record (never contains credentials or request bodies). */
export interface AccessLogEntry {
  readonly timestamp: string;
  readonly method: string;
  /** Request path without the query string (truncated to 512 characters). */
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly remoteAddress?: string;
  readonly loopId?: string;
  readonly traceId?: string;
  /** `error.code` of an error response. */
  readonly errorCode?: string;
  /** Control: the answer came from the idempotency store. */
  readonly replayed?: boolean;
  /** Control: the key had a pending entry (an unanswered earlier run): answered ambiguous, nothing ran. */
  readonly idempotencyPending?: boolean;
  /** Control: the idempotency store could not be read or written (see ControlOutcome.storeError). */
  readonly storeError?: string;
  /** Events: how the poll found the cursor (`byte_offset` = resumed from a remembered cursor). */
  readonly eventsResume?: BatchResume;
  /**
   * The connection closed before the whole response was sent (the client gave up or timed out);
   * `status` is the answer it did not get. A control run it started still ran to the end.
   */
  readonly clientClosed?: boolean;
}

export interface SpriteServiceHandlerOptions {
  /** Absolute path of the repository containing `.superloop/` (the app resolves and checks it). */
  readonly repo: string;
  /** Shared token; empty or absent = no authentication. */
  readonly token?: string;
  /** Runs control for `POST /ops/control`. */
  readonly runControl: RunControl;
  /**
   * Called once per request when its response is done — sent, or abandoned because the connection
   * closed first (`clientClosed`); absent = no access log.
   */
  readonly log?: (entry: AccessLogEntry) => void;
  /** Request body limit in bytes (default 64 KiB); larger bodies get 413. */
  readonly maxBodyBytes?: number;
  /** Environment for defaults (`USER` → control `by`); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock of the envelopes and cursors; default the system clock. */
  readonly clock?: Clock;
  /** Loop lock settings for the idempotency store. */
  readonly lockOptions?: WithLockOptions;
  /**
   * Loops whose in-memory snapshot/events state is kept (default `DEFAULT_MAX_CACHED_LOOPS`;
   * least recently used evicted). 0 = no per-loop state (every request reads from scratch).
   */
  readonly maxCachedLoops?: number;
}

export const DEFAULT_MAX_CACHED_LOOPS = 4096;
/** Served events cursors remembered per loop (a few managers / retries polling the same loop). */
const REMEMBERED_CURSORS_PER_LOOP = 8;

/** The byte fields of one served events cursor (see the module comment). */
interface ServedCursor {
  readonly eventLineOffset: number;
  readonly eventByteOffset: number;
  readonly eventLineCount: number;
  readonly eventsFileIdentity: { readonly dev: number; readonly ino: number; readonly sizeBytes: number };
}

interface LoopState {
  digestCache: SnapshotDigestCache | null;
  /** Most recent last. */
  cursors: ServedCursor[];
}

/** Per-loop state, bounded: a Map in least-recently-used order. */
class LoopStates {
  private readonly states = new Map<string, LoopState>();
  constructor(private readonly limit: number) {}

  get enabled(): boolean {
    return this.limit > 0;
  }

  /** The loop's state (marked most recently used), or undefined. */
  get(loopId: string): LoopState | undefined {
    const state = this.states.get(loopId);
    if (state !== undefined) {
      this.states.delete(loopId);
      this.states.set(loopId, state);
    }
    return state;
  }

  /** The loop's state, created (evicting the least recently used loop) when absent. */
  ensure(loopId: string): LoopState {
    const existing = this.get(loopId);
    if (existing !== undefined) return existing;
    const state: LoopState = { digestCache: null, cursors: [] };
    this.states.set(loopId, state);
    while (this.states.size > this.limit) {
      const oldest = this.states.keys().next();
      if (oldest.done === true) break;
      this.states.delete(oldest.value);
    }
    return state;
  }
}

/** The request listener, plus a way to wait for in-flight requests (graceful shutdown). */
export interface SpriteServiceHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** Resolves once no request is being handled (control runs and store writes included). */
  drain(): Promise<void>;
}

/** Mutable facts a route reports for the access log. */
interface RequestFacts {
  loopId?: string;
  traceId?: string;
  errorCode?: string;
  replayed?: boolean;
  idempotencyPending?: boolean;
  storeError?: string;
  eventsResume?: BatchResume;
}

interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly facts: RequestFacts;
}

type Route = (ctx: RouteContext) => Promise<void> | void;

const MAX_LOGGED_PATH = 512;

/** `X-Trace-Id` (trimmed), or null when absent/empty. */
function traceHeader(req: IncomingMessage): string | null {
  const value = headerText(req.headers, "x-trace-id");
  return value === "" ? null : value;
}

/** Required `loopId` query parameter (first occurrence, trimmed), validated as a loop id. */
function loopIdParam(query: URLSearchParams): string {
  const loopId = (query.get("loopId") ?? "").trim();
  if (loopId === "") throw new HttpError(400, "invalid_request", "loopId is required");
  try {
    return assertValidLoopId(loopId, "loopId");
  } catch (error) {
    throw new HttpError(400, "invalid_request", errorMessage(error));
  }
}

/** Optional integer query parameter (default 0): must parse as an integer and be >= 0. */
function countParam(query: URLSearchParams, name: string): number {
  const raw = (query.get(name) ?? "").trim();
  if (raw === "") return 0;
  if (!/^[+-]?[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(400, "invalid_request", `query parameter '${name}' must be an integer`);
  }
  const value = Number(raw);
  if (value < 0) throw new HttpError(400, "invalid_request", `query parameter '${name}' must be >= 0`);
  return value === 0 ? 0 : value; // no -0
}

/** An adapter failure as the spec reports it: the stderr tail the CLI would have printed. */
function adapterFailure(error: unknown, fallback: string): HttpError {
  const message = errorMessage(error);
  const stderr = message === "" ? "" : lastNonBlankLines(`error: ${message}`);
  return new HttpError(502, "runtime_error", stderr === "" ? fallback : stderr);
}

function splitTarget(target: string): { pathname: string; query: URLSearchParams } {
  const mark = target.indexOf("?");
  const pathname = mark === -1 ? target : target.slice(0, mark);
  const query = new URLSearchParams(mark === -1 ? "" : target.slice(mark + 1));
  return { pathname: pathname === "" ? "/" : pathname, query };
}

function rememberCursor(state: LoopState, cursor: PollCursor): void {
  const { eventLineOffset, eventByteOffset, eventLineCount, eventsFileIdentity } = cursor;
  if (eventByteOffset === undefined || eventsFileIdentity === undefined) return;
  const served: ServedCursor = {
    eventLineOffset,
    eventByteOffset,
    eventLineCount,
    eventsFileIdentity: {
      dev: eventsFileIdentity.dev,
      ino: eventsFileIdentity.ino,
      sizeBytes: eventsFileIdentity.sizeBytes,
    },
  };
  // Newest last; one entry per line offset (the newest describes the file best).
  state.cursors = state.cursors.filter((entry) => entry.eventLineOffset !== eventLineOffset);
  state.cursors.push(served);
  if (state.cursors.length > REMEMBERED_CURSORS_PER_LOOP) state.cursors.shift();
}

export function createSpriteServiceHandler(given: SpriteServiceHandlerOptions): SpriteServiceHandler {
  const options = { ...given, repo: path.resolve(given.repo) };
  const token = options.token ?? "";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const adapterCtx: CommandContext = { clock, env: env as NodeJS.ProcessEnv };
  const loopStates = new LoopStates(Math.max(0, options.maxCachedLoops ?? DEFAULT_MAX_CACHED_LOOPS));
  const control = new ControlService({
    repo: options.repo,
    runControl: options.runControl,
    clock,
    ...(options.lockOptions === undefined ? {} : { lockOptions: options.lockOptions }),
  });

  const snapshotRoute: Route = async ({ req, res, query, facts }) => {
    const loopId = loopIdParam(query);
    facts.loopId = loopId;
    const traceId = traceHeader(req);
    if (traceId !== null) facts.traceId = traceId;
    let envelope: Record<string, unknown>;
    // This request's own copy of the loop's digest cache (concurrent requests never share one).
    const cached = loopStates.enabled ? loopStates.get(loopId)?.digestCache : undefined;
    const digestCache = loopStates.enabled
      ? cached === undefined || cached === null
        ? emptySnapshotDigestCache()
        : structuredClone(cached)
      : undefined;
    try {
      envelope = (await loopRunSnapshot(
        { repo: options.repo, loop: loopId, ...(traceId === null ? {} : { traceId }) },
        digestCache === undefined ? adapterCtx : { ...adapterCtx, digestCache },
      )) as unknown as Record<string, unknown>;
      if (digestCache !== undefined) loopStates.ensure(loopId).digestCache = digestCache;
    } catch (error) {
      throw adapterFailure(error, "snapshot command failed");
    }
    // Q16-7: the envelope always carries `traceId`; kept for envelopes that might not.
    if (traceId !== null && !("traceId" in envelope)) envelope = { ...envelope, traceId };
    sendJson(res, 200, envelope);
  };

  const eventsRoute: Route = async ({ req, res, query, facts }) => {
    const loopId = loopIdParam(query);
    facts.loopId = loopId;
    const cursor = countParam(query, "cursor");
    const maxEvents = countParam(query, "maxEvents");
    const traceId = traceHeader(req);
    if (traceId !== null) facts.traceId = traceId;
    const events: LoopRunEvent[] = [];
    // A throw-away cursor file positioned at `cursor` (cursor 0 ≡ from start: no file needed).
    const scratch = cursor === 0 ? null : await mkdtemp(path.join(tmpdir(), "ops-sprite-cursor-"));
    try {
      const cursorFile = scratch === null ? undefined : path.join(scratch, "cursor.json");
      if (cursorFile !== undefined) {
        // With the byte fields of a cursor served earlier at this line offset, when there is one.
        const served = loopStates.get(loopId)?.cursors.findLast((entry) => entry.eventLineOffset === cursor);
        await writeFile(cursorFile, JSON.stringify(served ?? { eventLineOffset: cursor }));
      }
      let batch: Awaited<ReturnType<typeof readEventBatch>>;
      try {
        batch = await readEventBatch(
          {
            repo: options.repo,
            loop: loopId,
            ...(cursorFile === undefined ? { fromStart: true } : { cursorFile }),
            ...(maxEvents > 0 ? { maxEvents } : {}),
            ...(traceId === null ? {} : { traceId }),
          },
          { emit: (envelope) => void events.push(envelope) },
          adapterCtx,
        );
      } catch (error) {
        throw adapterFailure(error, "event poll command failed");
      }
      facts.eventsResume = batch.resume;
      if (loopStates.enabled) rememberCursor(loopStates.ensure(loopId), batch.cursor);
      sendJson(
        res,
        200,
        omitNullish({
          ok: true,
          schemaVersion: "v1",
          traceId,
          source: { repoPath: options.repo, loopId },
          events,
          cursor: {
            eventLineOffset: batch.cursor.eventLineOffset,
            eventLineCount: batch.cursor.eventLineCount,
            updatedAt: batch.cursor.updatedAt,
          },
        }),
      );
    } finally {
      if (scratch !== null) await rm(scratch, { recursive: true, force: true });
    }
  };

  const controlRoute: Route = async ({ req, res, facts }) => {
    const raw = await readBody(req, maxBodyBytes);
    const request = parseControlRequest(raw, req.headers, env);
    facts.loopId = request.loopId;
    if (request.traceId !== null) facts.traceId = request.traceId;
    const outcome = await control.handle(request);
    if (outcome.replayed) facts.replayed = true;
    if (outcome.pending === true) facts.idempotencyPending = true;
    if (outcome.storeError !== undefined) facts.storeError = outcome.storeError;
    const error = outcome.body["error"];
    if (outcome.body["ok"] === false && typeof error === "object" && error !== null && "code" in error) {
      facts.errorCode = String(error.code);
    }
    sendJson(res, outcome.status, outcome.body);
  };

  /** path → method → route. */
  const routes = new Map<string, ReadonlyMap<string, Route>>([
    ["/healthz", new Map([["GET", ({ res }: RouteContext) => sendJson(res, 200, { ok: true })]])],
    ["/ops/snapshot", new Map([["GET", snapshotRoute]])],
    ["/ops/events", new Map([["GET", eventsRoute]])],
    ["/ops/control", new Map([["POST", controlRoute]])],
  ]);

  const active = new Set<Promise<void>>();
  let idleWaiters: (() => void)[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const method = req.method ?? "";
    const { pathname, query } = splitTarget(req.url ?? "/");
    const facts: RequestFacts = {};
    const log = options.log;
    // One log line per request: when its response was sent ("finish"; routes record their facts
    // before sending) — or, when the connection closed first (a client that gave up, e.g. during a
    // control run that still executed: no "finish"), once the request has been handled, with
    // `clientClosed` and the status it did not get.
    let finished = false;
    let clientClosed = false;
    let handled = false;
    let logged = false;
    // Read now: a closed socket no longer knows its peer.
    const remoteAddress = req.socket.remoteAddress;
    const writeLog = () => {
      if (log === undefined || logged || !(finished || (clientClosed && handled))) return;
      logged = true;
      try {
        log({
          timestamp: nowTimestamp(clock),
          method,
          path: pathname.slice(0, MAX_LOGGED_PATH),
          status: res.statusCode,
          durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
          ...(remoteAddress === undefined ? {} : { remoteAddress }),
          ...facts,
          ...(clientClosed ? { clientClosed: true } : {}),
        });
      } catch {
        // A failing log sink must not take the service down.
      }
    };
    if (log !== undefined) {
      res.once("finish", () => {
        finished = true;
        writeLog();
      });
      res.once("close", () => {
        if (!res.writableFinished) clientClosed = true;
        writeLog();
      });
    }
    try {
      await respond(req, res, pathname, query, method, facts);
    } finally {
      handled = true;
      writeLog();
    }
  }

  async function respond(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    query: URLSearchParams,
    method: string,
    facts: RequestFacts,
  ): Promise<void> {
    const byMethod = routes.get(pathname);
    const route = byMethod?.get(method);
    try {
      // Only a matched route reads a body (control); everything else discards it.
      if (route === undefined || method !== "POST") req.resume();
      if (!isAuthorized(req.headers, token)) {
        throw new HttpError(401, "unauthorized", "missing or invalid token");
      }
      if (byMethod === undefined) throw new HttpError(404, "not_found", "endpoint not found");
      if (route === undefined) {
        throw new HttpError(405, "method_not_allowed", "method not allowed", {
          Allow: [...byMethod.keys()].join(", "),
        });
      }
      await route({ req, res, query, facts });
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const httpError =
        error instanceof HttpError
          ? error
          : new HttpError(500, "internal_error", errorMessage(error) || "error");
      facts.errorCode = httpError.code;
      sendError(res, httpError);
    }
  }

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    const done = handle(req, res).catch(() => {
      // handle() answers every error itself; this only guards against a broken socket.
      if (!res.headersSent) res.destroy();
    });
    active.add(done);
    void done.finally(() => {
      active.delete(done);
      if (active.size === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const wake of waiters) wake();
      }
    });
  }) as SpriteServiceHandler;

  Object.defineProperty(handler, "inFlight", { get: () => active.size, enumerable: true });
  Object.defineProperty(handler, "drain", {
    value: () =>
      active.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  });
  return handler;
}
