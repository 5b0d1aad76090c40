/** Test helpers: an in-memory CliIo. (Not imported by the CLI itself.) */
import type { CliIo } from "./io.js";

export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

export function captureIo(env: Record<string, string | undefined> = {}, cwd = process.cwd()): CapturedIo {
  let out = "";
  let err = "";
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    cwd,
    out: () => out,
    err: () => err,
  };
}
