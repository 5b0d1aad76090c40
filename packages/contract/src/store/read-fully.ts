import type { FileHandle } from "node:fs/promises";
import { OpsError } from "../errors.js";

/** Fill `target` from `position`; a file that shrank under us is an error, never stale bytes. */
export async function readFully(handle: FileHandle, target: Buffer, position: number): Promise<void> {
  let filled = 0;
  while (filled < target.length) {
    const { bytesRead } = await handle.read(target, filled, target.length - filled, position + filled);
    // The file shrank under us: treat what is missing as not there rather than return stale bytes.
    if (bytesRead === 0)
      throw new OpsError(`file shrank while reading at byte ${position + filled}`, { kind: "io" });
    filled += bytesRead;
  }
}
