/**
 * `<repo>/.superloop/ops-manager/<loop>/service-idempotency.json` (spec 16 §3.4): a JSON map
 * `{"<idempotency key>": <control response object>, …}`, rewritten whole (atomically) on every
 * change; keys never expire. Missing, invalid and non-object files read as `{}`.
 *
 * Careful behaviour (Q16-3): each stored response also records the request it answered,
 * `request: {loopId, intent}`, so a reused key with a different request is a conflict instead of a
 * replay of somebody else's result. The field is stripped from replayed responses.
 *
 * Careful behaviour (crash safety): before control runs for a new key, the key is *claimed* with a
 * **pending** entry `{status: "pending", request: {loopId, intent}, startedAt, pid, by?, traceId?}`
 * (checked and written in one step under the loop lock, fsynced). When control has finished, the
 * entry is replaced by the response object (the spec's shape, plus `request`). A pending entry that
 * outlives its execution (the service was killed, or the final write failed) is never run again and
 * never expires: the runtime command may have run, so the key answers "ambiguous" from then on.
 * Completed entries never carry a top-level `status` (the spec's response object has none), so the
 * two kinds cannot be confused.
 */
import { isJsonObject, readJsonFile, type WithLockOptions, withLock, writeJsonAtomic } from "@ops/contract";

export const IDEMPOTENCY_FILE_NAME = "service-idempotency.json";

/** The request a stored response answered (careful fingerprint, Q16-3). */
export interface ControlFingerprint {
  readonly loopId: string;
  readonly intent: string;
}

/** `status` of a pending entry. */
export const PENDING_STATUS = "pending";

/** A claimed key whose control run has not been answered (see the module comment). */
export interface PendingEntry {
  readonly status: typeof PENDING_STATUS;
  readonly request: ControlFingerprint;
  /** When control was about to start (timestamp). */
  readonly startedAt: string;
  /** The service process that claimed the key. */
  readonly pid: number;
  readonly by?: string;
  readonly traceId?: string;
}

/** True for a pending entry (any object whose `status` is `"pending"`). */
export function isPendingEntry(value: unknown): value is Record<string, unknown> & { status: "pending" } {
  return isJsonObject(value) && value["status"] === PENDING_STATUS;
}

/** Key → stored value, in file order. A Map, so keys such as `__proto__` stay plain data. */
export type IdempotencyStore = Map<string, unknown>;

/** Read the store; anything but a JSON object (missing, unparseable, array, …) is an empty store. */
export async function readIdempotencyStore(file: string): Promise<IdempotencyStore> {
  // Written atomically by us: bad content is not a torn read, so no re-reads.
  const read = await readJsonFile(file, { retries: 0 });
  if (read.kind !== "ok" || !isJsonObject(read.value)) return new Map();
  return new Map(Object.entries(read.value));
}

export async function writeIdempotencyStore(file: string, store: IdempotencyStore): Promise<void> {
  await writeJsonAtomic(file, Object.fromEntries(store));
}

/**
 * Read-modify-write of one key under the loop lock (`lockPath` = `opsPaths(repo, loop).lock`), so
 * concurrent writers (other requests, another service process) never lose each other's entries
 * (Q16-4). The lock is not re-entrant: never call this while holding it.
 */
export async function storeIdempotentResponse(
  file: string,
  lockPath: string,
  key: string,
  value: Record<string, unknown>,
  lockOptions: WithLockOptions = {},
): Promise<void> {
  await withLock(
    lockPath,
    async () => {
      const store = await readIdempotencyStore(file);
      store.set(key, value);
      await writeIdempotencyStore(file, store);
    },
    lockOptions,
  );
}

/** What claiming a key found. */
export type IdempotencyClaim =
  /** The key had no entry: `pending` is now stored (durably) under it. */
  | { readonly claimed: true }
  /** The key already has an entry (an answer, or another pending claim): nothing was written. */
  | { readonly claimed: false; readonly existing: Record<string, unknown> };

/**
 * Claim `key` for one control run: under the loop lock, if the store has an object entry for `key`
 * return it; otherwise store `pending` under `key` (atomic, fsynced rewrite). Non-object values
 * count as no entry, as on every read. The lock is not re-entrant: never call this while holding it.
 */
export async function claimIdempotencyKey(
  file: string,
  lockPath: string,
  key: string,
  pending: PendingEntry,
  lockOptions: WithLockOptions = {},
): Promise<IdempotencyClaim> {
  return withLock(
    lockPath,
    async () => {
      const store = await readIdempotencyStore(file);
      const existing = store.get(key);
      if (isJsonObject(existing)) return { claimed: false, existing };
      store.set(key, pending);
      await writeIdempotencyStore(file, store);
      return { claimed: true };
    },
    lockOptions,
  );
}

/** The fingerprint a stored value answered: its `request`, else what its control `result` says. */
export function storedFingerprint(stored: Record<string, unknown>): Partial<ControlFingerprint> {
  const request = stored["request"];
  const result = stored["result"];
  const source = isJsonObject(request) ? request : isJsonObject(result) ? result : {};
  const out: { loopId?: string; intent?: string } = {};
  if (typeof source["loopId"] === "string") out.loopId = source["loopId"];
  if (typeof source["intent"] === "string") out.intent = source["intent"];
  return out;
}

/** True when `stored` demonstrably answered a different request than `fingerprint`. */
export function fingerprintConflicts(
  stored: Record<string, unknown>,
  fingerprint: ControlFingerprint,
): boolean {
  const previous = storedFingerprint(stored);
  return (
    (previous.intent !== undefined && previous.intent !== fingerprint.intent) ||
    (previous.loopId !== undefined && previous.loopId !== fingerprint.loopId)
  );
}
