/**
 * loop-run-snapshot (spec 11 §2, §4): read the runtime artifacts of one loop and build one
 * `loop_run_snapshot` envelope. Pure read: writes nothing to disk.
 *
 * Digest cache (`ctx.digestCache`, reconcile passes one; the standalone command does not): a plain
 * JSON object the snapshot reads and updates in place, so that a caller running the snapshot every
 * cycle pays O(new bytes) instead of O(file) and gets the same envelope:
 * - events.jsonl (append-only): a resumable SHA-256 state and the newline count at the end of the
 *   last complete line (`digestEventsResumable`); only the bytes appended since are hashed/counted.
 * - the runtime JSON files (replaced or rewritten whole): the reference and what the envelope takes
 *   from the document, reused while the file's identity {dev, ino, size, mtimeMs} is unchanged. An
 *   entry is only stored for a file whose mtime is older than `RACY_MTIME_WINDOW_MS` before the read
 *   started and whose identity did not change across the read (the "racy clean" rule): a rewrite
 *   within the filesystem's timestamp granularity cannot then go unnoticed.
 */
import { stat } from "node:fs/promises";
import {
  type ArtifactRef,
  ContractError,
  type FileIdentity,
  type Gates,
  isNotFoundError,
  type JsonObject,
  type JsonReadResult,
  type LoopRunSnapshot,
  LoopRunSnapshotSchema,
  nowTimestamp,
  type ReadJsonFileOptions,
  readJsonFile,
  readLastCompleteLine,
  runtimeRelativePaths,
  type Stuck,
} from "@ops/contract";
import type { CommandContext } from "./context.js";
import {
  absentArtifactRef,
  artifactRefWithIdentity,
  digestEventsResumable,
  digestFileStreaming,
  type EventsDigestEntry,
  type StreamedDigest,
} from "./file-digest.js";
import { optionalFlag, requireFlag, requireLoopArtifacts, resolveRepoDir, validateLoopId } from "./inputs.js";
import { deriveRunStatus } from "./run-status.js";
import { eventNameOf, isJsonObject, nonEmptyString, toIteration } from "./values.js";

/** Flag values as the CLI received them (`--pretty` is output formatting, handled by the CLI). */
export interface LoopRunSnapshotInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  /** `--run-id`: overrides run id resolution when non-empty. */
  readonly runId?: string | undefined;
  /** `--trace-id`: echoed as `traceId` (null when empty/absent). */
  readonly traceId?: string | undefined;
}

/** The optional runtime JSON files, in the order their errors are reported (spec 11 §4 error 6). */
const OPTIONAL_FILES = ["state", "activeRun", "approval", "runSummary", "heartbeat"] as const;
type OptionalFile = (typeof OPTIONAL_FILES)[number];
/** The optional files whose whole document goes into the envelope (`runtime.*`). */
type DocumentFile = Exclude<OptionalFile, "runSummary">;

/** Identity and reference of a runtime JSON file as read (absent files have no entry). */
export interface CachedFileRef {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  /** The reference's fields (`exists: true`, `mtimeEpoch` = floor(mtimeMs / 1000)). */
  readonly sizeBytes: number;
  readonly lineCount: number;
  readonly sha256: string;
}

/** state.json, active-run.json, approval.json, heartbeat.json: the parsed document (JSON null → null). */
export interface CachedDocumentFile extends CachedFileRef {
  readonly document: JsonObject | null;
}

/** run-summary.json: only what the envelope takes from it. */
export interface CachedRunSummaryFile extends CachedFileRef {
  /** `latestSummaryEntry(document)`. */
  readonly latestEntry: JsonObject | null;
  /** `updated_at` when it is a non-empty string, else null. */
  readonly updatedAt: string | null;
}

/**
 * The snapshot's digest cache: a plain JSON object (reconcile persists it between cycles). Updated
 * in place by `loopRunSnapshot`; start from `emptySnapshotDigestCache()`. Entries that do not
 * describe the current files are ignored and replaced, so a stale cache costs one full read.
 */
export interface SnapshotDigestCache {
  schemaVersion: "v1";
  events: EventsDigestEntry | null;
  files: {
    state: CachedDocumentFile | null;
    activeRun: CachedDocumentFile | null;
    approval: CachedDocumentFile | null;
    runSummary: CachedRunSummaryFile | null;
    heartbeat: CachedDocumentFile | null;
  };
}

export function emptySnapshotDigestCache(): SnapshotDigestCache {
  return {
    schemaVersion: "v1",
    events: null,
    files: { state: null, activeRun: null, approval: null, runSummary: null, heartbeat: null },
  };
}

/**
 * A file entry is stored only when the file's mtime is at least this much older than the start of
 * the read. Larger than any common timestamp granularity (2 s on FAT, 1 s on ext3/HFS+, a few ms
 * for ext4/xfs/btrfs/tmpfs), so a later rewrite always shows up as a different mtime.
 */
export const RACY_MTIME_WINDOW_MS = 2000;

export interface LoopRunSnapshotContext extends CommandContext {
  /** Digest cache read and updated in place (see the module comment); absent → full reads. */
  readonly digestCache?: SnapshotDigestCache;
}

interface OptionalRead {
  /** Parsed object, or null when the file is absent (or holds JSON `null`). */
  readonly value: JsonObject | null;
  readonly ref: ArtifactRef;
}

/** What the envelope uses from run-summary.json. */
interface SummaryRead {
  readonly summary: JsonObject | null;
  /** `updated_at` (non-empty string) or null. */
  readonly updatedAt: string | null;
  readonly ref: ArtifactRef;
}

export async function loopRunSnapshot(
  input: LoopRunSnapshotInput,
  ctx: LoopRunSnapshotContext = {},
): Promise<LoopRunSnapshot> {
  // 1. required flags, then the loop id (Q10-3) before it becomes part of any path.
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  validateLoopId(loop);
  // 2–4. repo directory, loop directory, events file.
  const repoPath = await resolveRepoDir(repo, ctx);
  const { paths } = await requireLoopArtifacts(repoPath, loop);
  const rel = runtimeRelativePaths(loop);

  const cache = ctx.digestCache;

  // Events: one streaming pass for size/hash/count (with a cache: of the bytes appended since);
  // the final event is read backwards from the end of the counted (newline-terminated) bytes, so
  // an unterminated tail is ignored (Q10-1, Q11-2).
  const events = await eventsRead(paths.events, async (): Promise<StreamedDigest> => {
    if (cache === undefined) return digestFileStreaming(paths.events);
    const resumable = await digestEventsResumable(paths.events, cache.events);
    cache.events = resumable.entry;
    return resumable.digest;
  });
  // 5. final event = last non-empty terminated line (Q11-1); only read when the line count is > 0.
  let finalEvent: JsonObject | null = null;
  if (events.lineCount > 0) {
    const last = await eventsRead(paths.events, () =>
      readLastCompleteLine(paths.events, { endByte: events.countedEnd }),
    );
    if (last !== null) finalEvent = parseFinalEvent(last.text, paths.events);
  }

  // 6. optional files (torn reads retried, spec 10a §4.1), errors reported in the spec's order.
  const readOptions = {
    ...(ctx.tornReadRetries !== undefined ? { retries: ctx.tornReadRetries } : {}),
    ...(ctx.tornReadDelayMs !== undefined ? { retryDelayMs: ctx.tornReadDelayMs } : {}),
  };
  // With a cache, `entries.<file>` is the entry (or null); without, undefined: a plain read.
  const entries = cache?.files;
  const files = await Promise.all([
    readOptionalFile(paths.state, readOptions, entries?.state),
    readOptionalFile(paths.activeRun, readOptions, entries?.activeRun),
    readOptionalFile(paths.approval, readOptions, entries?.approval),
    readOptionalFile(paths.runSummary, readOptions, entries?.runSummary),
    readOptionalFile(paths.heartbeat, readOptions, entries?.heartbeat),
  ]);
  // Checked in OPTIONAL_FILES order, so the first invalid file in that order is the one reported.
  const document = (key: DocumentFile, file: OptionalFileRead<CachedDocumentFile>) =>
    toDocumentRead(file, paths[key], rel[key], cache, key);
  const optional = {
    state: await document("state", files[0]),
    activeRun: await document("activeRun", files[1]),
    approval: await document("approval", files[2]),
  };
  const runSummaryRead = await toSummaryRead(files[3], paths.runSummary, rel.runSummary, cache);
  const heartbeatRead = await document("heartbeat", files[4]);

  const state = optional.state.value;
  const approval = optional.approval.value;
  const summary = runSummaryRead.summary;

  const envelope: LoopRunSnapshot = {
    schemaVersion: "v1",
    envelopeType: "loop_run_snapshot",
    emittedAt: nowTimestamp(ctx.clock),
    traceId: optionalFlag(input.traceId),
    source: { repoPath, loopId: loop },
    run: {
      runId: resolveRunId(optionalFlag(input.runId), summary, finalEvent),
      iteration: resolveIteration(summary, finalEvent, state),
      status: deriveRunStatus({ loopId: loop, approval, summary, state, finalEvent }),
      summary,
    },
    runtime: {
      superloopState: state,
      activeRun: optional.activeRun.value,
      approval,
      heartbeat: heartbeatRead.value,
    },
    artifacts: {
      events: {
        path: rel.events,
        exists: true,
        sizeBytes: events.sizeBytes,
        lineCount: events.lineCount,
        sha256: events.sha256,
        mtimeEpoch: events.mtimeEpoch,
      },
      runSummary: runSummaryRead.ref,
      state: optional.state.ref,
      activeRun: optional.activeRun.ref,
      approval: optional.approval.ref,
      heartbeat: heartbeatRead.ref,
    },
    sequence: { source: "cursor_event_line_offset", value: events.lineCount },
    cursor: { eventLineOffset: events.lineCount, eventLineCount: events.lineCount },
    health: {
      eventCount: events.lineCount,
      lastEventAt: finalEvent === null ? null : nonEmptyString(finalEvent["timestamp"]),
      lastEventName: eventNameOf(finalEvent),
      lastSummaryAt: runSummaryRead.updatedAt ?? nonEmptyString(summary?.["ended_at"]) ?? null,
      hasPendingApproval: approval !== null && approval["status"] === "pending",
      gates: normalizeGates(summary?.["gates"]),
      stuck: normalizeStuck(summary?.["stuck"]),
    },
  };

  const checked = LoopRunSnapshotSchema.safeParse(envelope);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue === undefined ? "" : `${issue.path.join(".") || "(root)"}: ${issue.message}`;
    throw new ContractError(`snapshot envelope failed contract validation: ${where}`);
  }
  // Return the envelope as built (key order as in spec 11 §2.2), now known to be valid.
  return envelope;
}

/** events.jsonl vanishing between the existence check and the read is still "required artifact missing". */
async function eventsRead<T>(eventsFile: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isNotFoundError(error)) throw new ContractError(`required artifact missing: ${eventsFile}`);
    throw error;
  }
}

/**
 * Parse the final event line. Not JSON → the spec's error. A whitespace-only line parses to
 * nothing (as with jq) and a JSON value that is not an object has no event fields: both give a
 * final event of null (lastEvent* null, rows 4–5 of the status table do not match).
 */
function parseFinalEvent(text: string, eventsFile: string): JsonObject | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.trim().length === 0) return null;
    throw new ContractError(`invalid JSON in final events line: ${eventsFile}`);
  }
  return isJsonObject(value) ? value : null;
}

/** One optional file: the cached entry still describes it, or it was read (`before`: stat before the read). */
type OptionalFileRead<E extends CachedFileRef = CachedFileRef> =
  | { readonly kind: "cached"; readonly entry: E }
  | {
      readonly kind: "read";
      readonly result: JsonReadResult;
      readonly before: FileIdentity | null;
      readonly startedAtMs: number;
    };

/**
 * Read an optional runtime file, unless its cache entry has the identity the file has now (then
 * nothing is read). `cached` undefined = no cache in use: exactly `readJsonFile`, nothing else.
 */
async function readOptionalFile<E extends CachedFileRef>(
  file: string,
  readOptions: ReadJsonFileOptions,
  cached: E | null | undefined,
): Promise<OptionalFileRead<E>> {
  const startedAtMs = Date.now();
  const before = cached === undefined ? null : await statIdentity(file);
  if (cached != null && before !== null && sameIdentity(cached, before))
    return { kind: "cached", entry: cached };
  return { kind: "read", result: await readJsonFileOrInvalid(file, readOptions), before, startedAtMs };
}

/**
 * `readJsonFile`, except that a path which exists but cannot be read as a file (a directory, no
 * permission) is an invalid read, reported as `invalid JSON in <path>` in the spec's file order
 * (spec 10 §2: an optional file that exists but is not valid JSON fails the snapshot).
 */
async function readJsonFileOrInvalid(
  file: string,
  readOptions: ReadJsonFileOptions,
): Promise<JsonReadResult> {
  try {
    return await readJsonFile(file, readOptions);
  } catch (error) {
    return { kind: "invalid", error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * An optional runtime file: absent → null + absent ref; invalid after the torn-read retries →
 * `invalid JSON in <abs path>`. Valid JSON that is not an object cannot be a runtime document
 * (the envelope's `runtime.*` are objects): it is reported with the same message, except JSON
 * `null`, which is treated like an absent value (jq passed it through as null).
 * Returns the read plus the identity to cache it under (null: do not cache).
 */
async function parseOptionalRead(
  read: Extract<OptionalFileRead, { readonly kind: "read" }>,
  file: string,
  relativePath: string,
): Promise<{ readonly read: OptionalRead; readonly cacheAs: CachedFileRef | null }> {
  const { result } = read;
  if (result.kind === "missing") {
    return { read: { value: null, ref: absentArtifactRef(relativePath) }, cacheAs: null };
  }
  if (result.kind === "invalid" || (result.value !== null && !isJsonObject(result.value))) {
    throw new ContractError(`invalid JSON in ${file}`);
  }
  const value = result.value === null ? null : (result.value as JsonObject);
  const { ref, identity } = await artifactRefWithIdentity(file, relativePath, result.text);
  // Cache only what cannot be confused with a later rewrite: the same identity before and after
  // the read, and an mtime older than the racy window before the read started.
  const cacheable =
    read.before !== null &&
    identity !== null &&
    sameIdentity(read.before, identity) &&
    identity.mtimeMs < read.startedAtMs - RACY_MTIME_WINDOW_MS;
  const cacheAs: CachedFileRef | null =
    cacheable && ref.sha256 !== null
      ? { ...identity, sizeBytes: ref.sizeBytes, lineCount: ref.lineCount, sha256: ref.sha256 }
      : null;
  return { read: { value, ref }, cacheAs };
}

async function toDocumentRead(
  read: OptionalFileRead<CachedDocumentFile>,
  file: string,
  relativePath: string,
  cache: SnapshotDigestCache | undefined,
  key: DocumentFile,
): Promise<OptionalRead> {
  if (read.kind === "cached") return { value: read.entry.document, ref: cachedRef(read.entry, relativePath) };
  const parsed = await parseOptionalRead(read, file, relativePath);
  if (cache !== undefined) {
    cache.files[key] = parsed.cacheAs === null ? null : { ...parsed.cacheAs, document: parsed.read.value };
  }
  return parsed.read;
}

async function toSummaryRead(
  read: OptionalFileRead<CachedRunSummaryFile>,
  file: string,
  relativePath: string,
  cache: SnapshotDigestCache | undefined,
): Promise<SummaryRead> {
  if (read.kind === "cached") {
    const { entry } = read;
    return { summary: entry.latestEntry, updatedAt: entry.updatedAt, ref: cachedRef(entry, relativePath) };
  }
  const parsed = await parseOptionalRead(read, file, relativePath);
  const runSummary = parsed.read.value;
  const summary = latestSummaryEntry(runSummary);
  const updatedAt = nonEmptyString(runSummary?.["updated_at"]);
  if (cache !== undefined) {
    cache.files.runSummary =
      parsed.cacheAs === null ? null : { ...parsed.cacheAs, latestEntry: summary, updatedAt };
  }
  return { summary, updatedAt, ref: parsed.read.ref };
}

function cachedRef(entry: CachedFileRef, relativePath: string): ArtifactRef {
  return {
    path: relativePath,
    exists: true,
    sizeBytes: entry.sizeBytes,
    lineCount: entry.lineCount,
    sha256: entry.sha256,
    mtimeEpoch: Math.floor(entry.mtimeMs / 1000),
  };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** Identity of `file`, or null when it is absent (or cannot be stat'ed: then it is read as usual). */
async function statIdentity(file: string): Promise<FileIdentity | null> {
  try {
    const stats = await stat(file);
    return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
  } catch {
    return null;
  }
}

/** Latest summary = last element of `run-summary.json.entries` when it is an object, else null. */
export function latestSummaryEntry(runSummary: unknown): JsonObject | null {
  if (!isJsonObject(runSummary)) return null;
  const entries = runSummary["entries"];
  if (!Array.isArray(entries) || entries.length === 0) return null;
  const last: unknown = entries[entries.length - 1];
  return isJsonObject(last) ? last : null;
}

/** `--run-id` → summary `run_id` → final event `run_id` → `"unknown"` (non-empty strings only). */
function resolveRunId(
  flag: string | null,
  summary: JsonObject | null,
  finalEvent: JsonObject | null,
): string {
  return flag ?? nonEmptyString(summary?.["run_id"]) ?? nonEmptyString(finalEvent?.["run_id"]) ?? "unknown";
}

/**
 * First non-null of summary / final event / runtime state `iteration`, converted (Q11-4: the
 * lagging summary wins, kept for parity). A first non-null value that is not numeric gives 0; it
 * does not fall through to the next source.
 */
function resolveIteration(
  summary: JsonObject | null,
  finalEvent: JsonObject | null,
  state: JsonObject | null,
): number {
  for (const source of [summary, finalEvent, state]) {
    const value = source?.["iteration"];
    if (value !== undefined && value !== null) return toIteration(value);
  }
  return 0;
}

const GATE_KEYS = ["tests", "validation", "prerequisites", "checklist", "evidence", "approval"] as const;
const KNOWN_GATE_KEYS: ReadonlySet<string> = new Set([...GATE_KEYS, "lifecycle"]);

/**
 * `health.gates` from the latest entry's `gates` (decision, spec silent): the contract object is
 * closed and requires six string keys (`lifecycle` optional). The runtime's object is copied when
 * all six are strings — `lifecycle` kept when it is a string, unknown extra keys dropped so a newer
 * runtime adding a gate does not break the envelope. If any of the six is missing or not a string
 * (or `gates` is not an object) the whole value is null: a partial gate set would read as "gate
 * passed/absent" to consumers, which null ("no gate information") does not. `run.summary` keeps
 * the runtime's gates verbatim either way.
 */
export function normalizeGates(value: unknown): Gates | null {
  if (!isJsonObject(value)) return null;
  // Keep the runtime's key order; take known keys with string values only.
  const gates: Record<string, string> = {};
  for (const [key, gate] of Object.entries(value)) {
    if (KNOWN_GATE_KEYS.has(key) && typeof gate === "string") gates[key] = gate;
  }
  for (const key of GATE_KEYS) if (!Object.hasOwn(gates, key)) return null;
  return gates as unknown as Gates;
}

/**
 * `health.stuck` from the latest entry's `stuck`: `{streak, threshold}` when both are non-negative
 * integers (extra keys dropped, the contract object is closed), else null.
 */
export function normalizeStuck(value: unknown): Stuck | null {
  if (!isJsonObject(value)) return null;
  const { streak, threshold } = value;
  if (!isNonNegativeInteger(streak) || !isNonNegativeInteger(threshold)) return null;
  return { streak, threshold };
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
