/**
 * The snapshot digest cache reconcile keeps between cycles: `<ops>/snapshot-digest-cache.json`
 * (schema `SnapshotDigestCacheSchema`). It lets the cycle's `loopRunSnapshot` hash only the bytes
 * appended to events.jsonl since the last cycle and skip run-summary.json & co. while they are
 * unchanged (see transport-local `snapshot.ts`); the envelope is the same as without it.
 *
 * The file is an optimisation, never a source of truth: missing, unreadable or invalid → an empty
 * cache (one full read, no error). It is replaced atomically (temp file + rename, under the loop
 * lock the cycle holds) but not fsynced: losing it in a crash costs one full read, nothing else.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { ensureDirectory, opsPaths } from "@ops/contract";
import { emptySnapshotDigestCache, type SnapshotDigestCache } from "@ops/transport-local";
import { SnapshotDigestCacheSchema } from "./schemas.js";

export const SNAPSHOT_DIGEST_CACHE_FILE = "snapshot-digest-cache.json";

/** `<repo>/.superloop/ops-manager/<loop>/snapshot-digest-cache.json`. */
export function snapshotDigestCachePath(repoPath: string, loopId: string): string {
  return path.join(opsPaths(repoPath, loopId).dir, SNAPSHOT_DIGEST_CACHE_FILE);
}

/** The cache in `file`; an empty cache when it is missing, unreadable or not a valid cache. */
export async function readSnapshotDigestCache(file: string): Promise<SnapshotDigestCache> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return emptySnapshotDigestCache();
  }
  return parseSnapshotDigestCache(text);
}

/** Parse the cache file's text; anything that is not a valid cache gives an empty cache. */
export function parseSnapshotDigestCache(text: string): SnapshotDigestCache {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return emptySnapshotDigestCache();
  }
  const parsed = SnapshotDigestCacheSchema.safeParse(value);
  // The schema's output type must be the snapshot's cache type (a compile-time check).
  const cache: SnapshotDigestCache | null = parsed.success ? parsed.data : null;
  return cache ?? emptySnapshotDigestCache();
}

/** The file's content for `cache` (compact JSON + newline). */
export function formatSnapshotDigestCache(cache: SnapshotDigestCache): string {
  return `${JSON.stringify(cache)}\n`;
}

/**
 * Replace `file` with `text` atomically (temp file in the same directory + rename); parent
 * directories are created. No fsync (see the module comment). The temp file never outlives a failure.
 */
export async function writeSnapshotDigestCache(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await ensureDirectory(dir);
  const tempFile = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
  try {
    await writeFile(tempFile, text, { flag: "wx", mode: 0o644 });
    await rename(tempFile, file);
  } catch (error) {
    await unlink(tempFile).catch(() => undefined);
    throw error;
  }
}
