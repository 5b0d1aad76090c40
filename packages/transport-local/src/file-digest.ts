/**
 * Artifact references (spec 11 §2): size, newline count, SHA-256 and mtime of a runtime file.
 * events.jsonl can hold 100k+ lines, so it is hashed by streaming through one reused buffer, and
 * its newlines are counted in the same pass (one read of the file instead of two).
 *
 * Two ways to digest events.jsonl, same result:
 * - `digestFileStreaming`: from byte 0 with node:crypto (the standalone snapshot; a pure read).
 * - `digestEventsResumable`: with a resumable SHA-256 (hash-wasm, whose state can be saved and
 *   loaded), starting from a cached state when the file is the same append-only file that state
 *   describes, so a caller that keeps the returned `EventsDigestEntry` (reconcile) pays only for the
 *   bytes appended since.
 */
import { createHash } from "node:crypto";
import { type FileHandle, open, readFile, stat } from "node:fs/promises";
import { type ArtifactRef, DEFAULT_CHUNK_SIZE, type FileIdentity, isNotFoundError } from "@ops/contract";
import { createSHA256, type IHasher } from "hash-wasm";

const NEWLINE = 0x0a;

export interface StreamedDigest {
  readonly sizeBytes: number;
  /** Newline count of the bytes hashed (spec 10 §2.1 "line count"). */
  readonly lineCount: number;
  /** Byte offset just after the last newline (0 when there is none): end of the counted lines. */
  readonly countedEnd: number;
  readonly sha256: string;
  readonly mtimeEpoch: number;
}

/**
 * Hash and count `file` in one streaming pass. The file is read up to the size it had when it was
 * opened, so size, hash and count describe the same bytes even while the runtime appends.
 */
export async function digestFileStreaming(
  file: string,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Promise<StreamedDigest> {
  const handle = await open(file, "r");
  try {
    const stats = await handle.stat();
    const limit = stats.size;
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(chunkSize);
    let position = 0;
    let lineCount = 0;
    let countedEnd = 0;
    while (position < limit) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(chunkSize, limit - position), position);
      if (bytesRead === 0) break; // truncated while reading: describe what was there
      const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
      hash.update(chunk);
      let newline = chunk.indexOf(NEWLINE);
      while (newline !== -1) {
        lineCount += 1;
        countedEnd = position + newline + 1;
        newline = chunk.indexOf(NEWLINE, newline + 1);
      }
      position += bytesRead;
    }
    return {
      sizeBytes: position,
      lineCount,
      countedEnd,
      sha256: hash.digest("hex"),
      mtimeEpoch: Math.floor(stats.mtimeMs / 1000),
    };
  } finally {
    await handle.close();
  }
}

/**
 * What makes the digest of an append-only events.jsonl resumable (part of the snapshot's digest
 * cache; plain JSON). `state` is the SHA-256 state after the first `hashedBytes` bytes, which end
 * just after a newline (or are 0), so that point can be checked cheaply before resuming.
 */
export interface EventsDigestEntry {
  readonly dev: number;
  readonly ino: number;
  /** Bytes folded into `state`: the end of the last complete line the previous digest saw. */
  readonly hashedBytes: number;
  /** Newlines in those bytes. */
  readonly lineCount: number;
  /** base64 of the bytes just before `hashedBytes` (at most `EVENTS_TAIL_CHECK_BYTES`). */
  readonly tail: string;
  /** base64 of hash-wasm's saved SHA-256 state (`IHasher#save()`) after `hashedBytes` bytes. */
  readonly state: string;
}

/**
 * How many bytes before the cached offset must be unchanged to resume: more than a typical event
 * line, so the check covers the whole last line (its timestamp included) and, with the inode and
 * "did not shrink" rules, makes a truncate-and-regrow of the same file very unlikely to pass.
 */
export const EVENTS_TAIL_CHECK_BYTES = 256;

/**
 * Read size of `digestEventsResumable`: the WASM hash is the bottleneck when a whole log is hashed,
 * and fewer, larger updates cost ~10% less than 64 KiB ones. The buffer is never larger than the
 * bytes to read, so a resumed digest of a few new events allocates only what it reads.
 */
export const RESUMABLE_CHUNK_SIZE = 1024 * 1024;

export interface ResumableDigest {
  readonly digest: StreamedDigest;
  /** The entry to keep for the next call (null when the file changed while it was read). */
  readonly entry: EventsDigestEntry | null;
  /** True when `cached` was used (only the bytes after `cached.hashedBytes` were read and hashed). */
  readonly resumed: boolean;
}

/**
 * Same result as `digestFileStreaming(file)`, but resumable: when `cached` describes this file
 * (same dev+ino, not shrunk below `hashedBytes`, the `tail` bytes still just before it, and a state
 * this hash-wasm build can load), only the bytes after `cached.hashedBytes` are read, hashed and
 * counted. Otherwise the file is digested from byte 0. Either way the returned entry holds the
 * state at the end of the last complete line, for the next call.
 */
export async function digestEventsResumable(
  file: string,
  cached: EventsDigestEntry | null,
  chunkSize = RESUMABLE_CHUNK_SIZE,
): Promise<ResumableDigest> {
  const handle = await open(file, "r");
  try {
    const stats = await handle.stat();
    const limit = stats.size;
    const hasher = await createSHA256();
    const resumed = cached !== null && (await resumeFrom(handle, hasher, cached, stats));
    if (!resumed) hasher.init();
    let position = resumed ? cached.hashedBytes : 0;
    let lineCount = resumed ? cached.lineCount : 0;
    let countedEnd = position;
    // The state at `countedEnd` (base64 while it is still the cached one): where the next call resumes.
    let savedState: Uint8Array | string = resumed ? cached.state : hasher.save();
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(chunkSize, limit - position)));
    while (position < limit) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - position), position);
      if (bytesRead === 0) break; // truncated while reading: describe what was there
      const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
      let newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        hasher.update(chunk);
      } else {
        let lastNewline = newline;
        while (newline !== -1) {
          lineCount += 1;
          lastNewline = newline;
          newline = chunk.indexOf(NEWLINE, newline + 1);
        }
        hasher.update(chunk.subarray(0, lastNewline + 1));
        savedState = hasher.save();
        countedEnd = position + lastNewline + 1;
        if (lastNewline + 1 < chunk.length) hasher.update(chunk.subarray(lastNewline + 1));
      }
      position += bytesRead;
    }
    const digest: StreamedDigest = {
      sizeBytes: position,
      lineCount,
      countedEnd,
      sha256: hasher.digest("hex"),
      mtimeEpoch: Math.floor(stats.mtimeMs / 1000),
    };
    const tail = await readTail(handle, countedEnd);
    const entry: EventsDigestEntry | null =
      tail === null
        ? null
        : {
            dev: stats.dev,
            ino: stats.ino,
            hashedBytes: countedEnd,
            lineCount,
            tail: tail.toString("base64"),
            state: typeof savedState === "string" ? savedState : Buffer.from(savedState).toString("base64"),
          };
    return { digest, entry, resumed };
  } finally {
    await handle.close();
  }
}

/** Load `cached` into `hasher` when it still describes the open file; false (nothing loaded) otherwise. */
async function resumeFrom(
  handle: FileHandle,
  hasher: IHasher,
  cached: EventsDigestEntry,
  stats: { readonly dev: number; readonly ino: number; readonly size: number },
): Promise<boolean> {
  const { hashedBytes, lineCount } = cached;
  if (cached.dev !== stats.dev || cached.ino !== stats.ino) return false; // replaced
  if (!isCount(hashedBytes) || !isCount(lineCount) || hashedBytes > stats.size) return false; // shrunk
  if ((hashedBytes === 0) !== (lineCount === 0) || lineCount > hashedBytes) return false; // inconsistent
  const expected = Buffer.from(cached.tail, "base64");
  if (expected.length !== Math.min(EVENTS_TAIL_CHECK_BYTES, hashedBytes)) return false;
  if (hashedBytes > 0 && expected[expected.length - 1] !== NEWLINE) return false;
  const actual = await readTail(handle, hashedBytes);
  if (actual === null || !actual.equals(expected)) return false; // rewritten before the offset
  try {
    hasher.load(Buffer.from(cached.state, "base64"));
  } catch {
    return false; // not a state of this hash-wasm build
  }
  return true;
}

/** The (at most `EVENTS_TAIL_CHECK_BYTES`) bytes just before `end`, or null if they are gone. */
async function readTail(handle: FileHandle, end: number): Promise<Buffer | null> {
  const length = Math.min(EVENTS_TAIL_CHECK_BYTES, end);
  const bytes = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(bytes, filled, length - filled, end - length + filled);
    if (bytesRead === 0) return null; // the file shrank under us
    filled += bytesRead;
  }
  return bytes;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** The reference of an absent file (spec 11 §2). */
export function absentArtifactRef(relativePath: string): ArtifactRef {
  return { path: relativePath, exists: false, sizeBytes: 0, lineCount: 0, sha256: null, mtimeEpoch: null };
}

/**
 * The reference of a small JSON file from the exact text that was parsed (so the hash describes
 * the content the snapshot copied, even if the runtime rewrites the file a moment later). Re-encoding
 * the decoded text gives back the file's bytes unless the file held invalid UTF-8 (decoded as
 * U+FFFD); only then are the raw bytes read again for the hash. `mtimeEpoch` is null if the file
 * vanished between the read and the stat.
 */
export async function artifactRefFromText(
  file: string,
  relativePath: string,
  text: string,
): Promise<ArtifactRef> {
  return (await artifactRefWithIdentity(file, relativePath, text)).ref;
}

/**
 * `artifactRefFromText`, plus the identity of the file as stat'ed after the read (the stat that
 * gave `mtimeEpoch`; null if the file vanished): what a digest cache keys the reference on.
 */
export async function artifactRefWithIdentity(
  file: string,
  relativePath: string,
  text: string,
): Promise<{ readonly ref: ArtifactRef; readonly identity: FileIdentity | null }> {
  let bytes = Buffer.from(text, "utf8");
  if (text.includes("\uFFFD")) {
    const raw = await readFile(file).catch(() => null);
    // Use the raw bytes only if they are still the content that was parsed.
    if (raw !== null && raw.toString("utf8") === text) bytes = raw;
  }
  let lineCount = 0;
  let newline = bytes.indexOf(NEWLINE);
  while (newline !== -1) {
    lineCount += 1;
    newline = bytes.indexOf(NEWLINE, newline + 1);
  }
  let identity: FileIdentity | null = null;
  try {
    const stats = await stat(file);
    identity = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if (!isNotFoundError(error)) throw error;
  }
  const ref: ArtifactRef = {
    path: relativePath,
    exists: true,
    sizeBytes: bytes.length,
    lineCount,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    mtimeEpoch: identity === null ? null : Math.floor(identity.mtimeMs / 1000),
  };
  return { ref, identity };
}
