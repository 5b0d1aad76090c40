import { realpathSync } from "node:fs";

/** Where a command's text goes; `process.stdout`/`process.stderr` and test buffers both fit. */
export interface TextSink {
  write(text: string): unknown;
  /** True when the sink is a terminal (process streams set it); colour is only used there. */
  readonly isTTY?: boolean;
}

/**
 * Whether human-readable output on `sink` may use colour: only on a terminal, and never when
 * `NO_COLOR` is set to a non-empty value (https://no-color.org).
 */
export function colorEnabled(sink: TextSink, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColor = env["NO_COLOR"];
  return sink.isTTY === true && (noColor === undefined || noColor === "");
}

/** Everything a command may touch of its process: passed in so tests can run the CLI in-process. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Logical working directory (`pwd` semantics: symlinks not resolved), used to resolve `--repo`. */
  readonly cwd: string;
}

/**
 * The logical working directory of this process: `$PWD` when it names the same directory as
 * `process.cwd()` (a shell keeps it logical), else `process.cwd()` (a parent that spawned us with a
 * different `cwd` leaves a stale `$PWD` behind).
 */
export function logicalCwd(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const physical = process.cwd();
  const pwd = env["PWD"];
  if (pwd === undefined || pwd === "" || !pwd.startsWith("/")) return physical;
  try {
    return realpathSync(pwd) === realpathSync(physical) ? pwd : physical;
  } catch {
    return physical;
  }
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: logicalCwd(process.env) };
}
