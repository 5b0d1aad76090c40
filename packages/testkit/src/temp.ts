import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TempDir {
  /** Absolute, symlink-free path (so paths echoed back by commands compare equal). */
  readonly path: string;
  cleanup(): Promise<void>;
}

export function makeTempDir(prefix = "ops-testkit-"): TempDir {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return {
    path: dir,
    cleanup: () => fs.promises.rm(dir, { recursive: true, force: true }),
  };
}

/** Run `fn` with a fresh temp dir that is removed afterwards, even when `fn` throws. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T> | T, prefix?: string): Promise<T> {
  const temp = makeTempDir(prefix);
  try {
    return await fn(temp.path);
  } finally {
    await temp.cleanup();
  }
}
