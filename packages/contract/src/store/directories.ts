/**
 * `mkdir -p` that always returns. Node's own `mkdir(dir, { recursive: true })` never settles on
 * some virtual file systems (a missing directory under /proc loops forever in Node 20), so a bad
 * `--state-file /proc/x/y.json` would hang a command instead of failing it. This walks up to the
 * first existing ancestor and creates each level with a plain mkdir.
 */
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { OpsError } from "../errors.js";
import { errnoCode } from "./fs-errors.js";

/** Create `dir` and its missing parents. Rejects with `cannot create directory <dir> (<CODE>)`. */
export async function ensureDirectory(dir: string): Promise<void> {
  try {
    await makeDirectory(path.resolve(dir), 0);
  } catch (error) {
    if (error instanceof OpsError) throw error;
    throw new OpsError(`cannot create directory ${dir} (${errnoCode(error) ?? String(error)})`, {
      kind: "io",
      cause: error,
    });
  }
}

/** No real path is this deep; a guard so a misbehaving file system cannot recurse forever. */
const MAX_DEPTH = 256;

async function makeDirectory(dir: string, depth: number): Promise<void> {
  const created = await tryMkdir(dir);
  if (created !== "missing-parent") return;
  const parent = path.dirname(dir);
  if (parent === dir || depth >= MAX_DEPTH) throw enoent(dir);
  await makeDirectory(parent, depth + 1);
  // The parent exists now; a second ENOENT means this file system will not create `dir`.
  if ((await tryMkdir(dir)) === "missing-parent") throw enoent(dir);
}

async function tryMkdir(dir: string): Promise<"done" | "missing-parent"> {
  try {
    await mkdir(dir);
    return "done";
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT") return "missing-parent";
    // EEXIST is fine when it is a directory (also a concurrent creator); a file in the way is
    // reported as what it is: not a directory.
    if (code === "EEXIST") {
      if (
        await stat(dir).then(
          (found) => found.isDirectory(),
          () => false,
        )
      )
        return "done";
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: "ENOTDIR" });
    }
    throw error;
  }
}

function enoent(dir: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${dir}'`), { code: "ENOENT" });
}
