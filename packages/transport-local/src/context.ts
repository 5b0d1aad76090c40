import type { Clock } from "@ops/contract";

/**
 * What a command may take from its surroundings instead of the process globals. Every field is
 * optional: the CLI passes nothing, tests inject a fixed clock and a working directory.
 */
export interface CommandContext {
  /** Source of "now" (`emittedAt`, cursor `updatedAt`); default the system clock. */
  readonly clock?: Clock;
  /** Environment (default `process.env`); the adapters read no variables today. */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory relative `--repo` / `--cursor-file` values resolve against (default `$PWD`). */
  readonly cwd?: string;
  /** Torn-read policy for runtime JSON files (spec 10a §4.1); defaults are the store's. */
  readonly tornReadRetries?: number;
  readonly tornReadDelayMs?: number;
}
