/**
 * Mutual exclusion between processes that write one loop's (or the fleet's) artifacts, e.g. two
 * concurrent reconciles: the second waits for the first instead of interleaving read-modify-write
 * cycles. Built on proper-lockfile: the lock is a directory created with mkdir (atomic), whose mtime
 * the holder refreshes; a lock not refreshed for `staleMs` belongs to a crashed process and is
 * taken over.
 */
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import lockfile from "proper-lockfile";
import { LockTimeoutError, OpsError } from "../errors.js";
import { ensureDirectory } from "./directories.js";
import { errnoCode } from "./fs-errors.js";

export interface WithLockOptions {
  /** Give up waiting after this long (default 30 s). Keep it above `staleMs` to outwait a crashed holder. */
  readonly timeoutMs?: number;
  /** A lock not refreshed for this long is stale and taken over (default 10 s; proper-lockfile's minimum is 2 s). */
  readonly staleMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
export const DEFAULT_LOCK_STALE_MS = 10_000;

const FIRST_RETRY_DELAY_MS = 10;
const MAX_RETRY_DELAY_MS = 250;

/**
 * Run `fn` while holding the lock directory `lockPath` (e.g. `opsPaths(repo, loop).lock`); parent
 * directories are created. Waits while another holder has it; after `timeoutMs` throws a
 * LockTimeoutError naming the locked directory. Not re-entrant: nesting `withLock` on the same path
 * in one call chain waits for itself until the timeout.
 *
 * `fn` receives a signal that aborts if the lock is lost while held (its directory was removed, or
 * refreshing it stalled past `staleMs`); withLock then rejects even if `fn` succeeded.
 */
export async function withLock<T>(
  lockPath: string,
  fn: (lockLost: AbortSignal) => Promise<T> | T,
  options: WithLockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const absoluteLockPath = path.resolve(lockPath);
  const lockedDir = path.dirname(absoluteLockPath);
  const lost = new AbortController();
  let lostError: Error | undefined;

  const release = await acquire(absoluteLockPath, lockedDir, timeoutMs, staleMs, (error) => {
    lostError = error;
    lost.abort(error);
  });
  try {
    const result = await fn(lost.signal);
    if (lostError !== undefined) {
      throw new OpsError(`lost the lock on ${lockedDir} while holding it (${lostError.message})`, {
        kind: "lock",
        cause: lostError,
      });
    }
    return result;
  } finally {
    // A failed release leaves a directory that turns stale and is taken over; never mask fn's outcome.
    if (lostError === undefined) await release().catch(() => undefined);
  }
}

async function acquire(
  lockPath: string,
  lockedDir: string,
  timeoutMs: number,
  staleMs: number,
  onLost: (error: Error) => void,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = FIRST_RETRY_DELAY_MS;
  await ensureDirectory(path.dirname(lockPath));
  for (;;) {
    try {
      return await lockfile.lock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        stale: staleMs,
        retries: 0,
        // The default throws from a timer and kills the process.
        onCompromised: onLost,
      });
    } catch (error) {
      const code = errnoCode(error);
      if (code === "ENOENT") {
        // The parent directory vanished (e.g. a test cleaning up, or an operator reset): recreate it.
        await ensureDirectory(path.dirname(lockPath));
      } else if (code !== "ELOCKED") {
        throw new OpsError(
          `cannot lock ${lockedDir}: ${error instanceof Error ? error.message : String(error)}`,
          {
            kind: "lock",
            cause: error,
          },
        );
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        throw new LockTimeoutError(
          `timed out after ${timeoutMs} ms waiting for the lock on ${lockedDir} (held by another ops-manager process; lock: ${lockPath})`,
        );
      }
      // Jittered backoff so waiters do not retry in lockstep.
      await sleep(Math.min(remainingMs, delayMs * (0.5 + Math.random())));
      delayMs = Math.min(MAX_RETRY_DELAY_MS, delayMs * 1.5);
    }
  }
}
