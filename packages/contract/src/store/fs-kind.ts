/** "Is this path a directory / a regular file?" checks that never throw (stat follows symlinks). */
import { stat } from "node:fs/promises";

/** True when `target` exists and is a directory; false when it is missing, not a directory, or unreadable. */
export async function isDirectory(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isDirectory();
  } catch {
    return false;
  }
}

/** True when `target` exists and is a regular file; false when it is missing, not a file, or unreadable. */
export async function isRegularFile(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isFile();
  } catch {
    return false;
  }
}
