/**
 * Artifact references (spec 11 §2): size, newline count, SHA-256 and mtime of a runtime file.
 * events.jsonl can hold 100k+ lines, so it is hashed by streaming through one reused buffer, and
 * its newlines are counted in the same pass (one read of the file instead of two).
 */
import { createHash } from "node:crypto";
import { open, readFile, stat } from "node:fs/promises";
import { type ArtifactRef, DEFAULT_CHUNK_SIZE, isNotFoundError } from "@ops/contract";

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
  let mtimeEpoch: number | null = null;
  try {
    mtimeEpoch = Math.floor((await stat(file)).mtimeMs / 1000);
  } catch (error) {
    if (!isNotFoundError(error)) throw error;
  }
  return {
    path: relativePath,
    exists: true,
    sizeBytes: bytes.length,
    lineCount,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    mtimeEpoch,
  };
}
