/**
 * The shape of the command tree. A command module declares its flags and a `run` that calls ONE
 * package function and prints its result; parsing, help, usage errors and the error → exit-code
 * mapping live in `parse.ts` / `run.ts`, never in a command.
 */
import type { InstallRoot } from "./install-root.js";
import type { CliIo } from "./io.js";
import type { JsonOutputOptions } from "./output.js";

/** A flag taking one value (`--name value` or `--name=value`); the value is used verbatim. */
export interface ValueFlag {
  readonly kind: "value";
  readonly describe: string;
}
/** A bare boolean switch (`--pretty`); absent = false. `--name=<anything>` is a usage error. */
export interface SwitchFlag {
  readonly kind: "switch";
  readonly describe: string;
}
/** A repeatable value flag: every occurrence is collected, in order. */
export interface ListFlag {
  readonly kind: "list";
  readonly describe: string;
}
export type FlagSpec = ValueFlag | SwitchFlag | ListFlag;
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The parsed values of a command's flags, keyed by the flag name without dashes (`"run-id"`). */
export type FlagValues<F extends FlagSpecs> = {
  readonly [K in keyof F]: F[K] extends SwitchFlag
    ? boolean
    : F[K] extends ListFlag
      ? readonly string[]
      : string | undefined;
};

/**
 * Where the usage text goes when a command fails on its arguments. Per-loop commands follow spec 10
 * §1.2 (stdout); fleet and promotion commands follow the careful behaviour of spec 20 Q10 / spec 30 Q6
 * (stderr, so stdout stays empty on every error).
 */
export type UsageStream = "stdout" | "stderr";

/** What a command's `run` gets besides its flags. */
export interface CommandContext {
  readonly io: CliIo;
  /** The command path as typed, e.g. `"snapshot"` or `"fleet registry"`. */
  readonly command: string;
  /** The install root holding the bundled catalogs (throws an OpsError if it cannot be found). */
  installRoot(): InstallRoot;
  /**
   * `{ env, cwd, installRoot }` for a package function's context. `installRoot` is a getter, so the
   * install root is looked up only if the package reads it (finding it may fail); do not spread it.
   */
  packageContext(): PackageContext;
  /** Prints one JSON document (compact, or indented with `pretty`). */
  printJson(value: unknown, options?: JsonOutputOptions): void;
  /** Prints NDJSON: one compact document per line. */
  printJsonLines(values: Iterable<unknown>): void;
  /** Prints plain text lines. */
  printLines(lines: Iterable<string>): void;
}

/** What most package functions take as their context (see `CommandContext.packageContext`). */
export interface PackageContext {
  readonly env: CliIo["env"];
  readonly cwd: string;
  /** Absolute install root; looked up on first read. */
  readonly installRoot: string;
}

/** Exit code of a command that returned normally; `undefined` means 0. */
export type CommandResult = number | undefined;

export interface LeafCommand {
  readonly kind: "command";
  readonly name: string;
  readonly describe: string;
  /** Text after `ops-manager <path>` in the usage line, e.g. `--repo <path> --loop <id> [options]`. */
  readonly synopsis: string;
  readonly flags: FlagSpecs;
  readonly examples: readonly (readonly [command: string, description: string])[];
  readonly usageStream: UsageStream | undefined;
  readonly run: (flags: Readonly<Record<string, unknown>>, ctx: CommandContext) => Promise<CommandResult>;
}

export interface CommandGroup {
  readonly kind: "group";
  readonly name: string;
  readonly describe: string;
  readonly commands: readonly CommandNode[];
  readonly usageStream: UsageStream | undefined;
  readonly epilogue?: () => string | undefined;
}

export type CommandNode = LeafCommand | CommandGroup;

export interface CommandSpec<F extends FlagSpecs> {
  readonly name: string;
  readonly describe: string;
  readonly synopsis?: string;
  readonly flags: F;
  readonly examples?: readonly (readonly [command: string, description: string])[];
  /** Defaults to the enclosing group's choice, and to `stdout` at the top level. */
  readonly usageStream?: UsageStream;
  /** Returns the exit code, or nothing for 0. */
  readonly run: (flags: FlagValues<F>, ctx: CommandContext) => Promise<CommandReturn> | CommandReturn;
}

/** What a command body may return: `void` too, so plain `async (flags, ctx) => { … }` bodies type-check. */
// biome-ignore lint/suspicious/noConfusingVoidType: see above; `undefined` alone rejects `Promise<void>`.
export type CommandReturn = CommandResult | void;

export function defineCommand<const F extends FlagSpecs>(spec: CommandSpec<F>): LeafCommand {
  return {
    kind: "command",
    name: spec.name,
    describe: spec.describe,
    synopsis: spec.synopsis ?? (Object.keys(spec.flags).length === 0 ? "" : "[options]"),
    flags: spec.flags,
    examples: spec.examples ?? [],
    usageStream: spec.usageStream,
    // The parser builds `flags` from exactly `spec.flags` (see parse.ts), so the cast is the one
    // place where the untyped yargs result meets the declared flag types.
    run: async (flags, ctx) => (await spec.run(flags as FlagValues<F>, ctx)) ?? undefined,
  };
}

export function defineGroup(spec: {
  readonly name: string;
  readonly describe: string;
  readonly commands: readonly CommandNode[];
  readonly usageStream?: UsageStream;
  readonly epilogue?: () => string | undefined;
}): CommandGroup {
  return {
    kind: "group",
    name: spec.name,
    describe: spec.describe,
    commands: spec.commands,
    usageStream: spec.usageStream,
    ...(spec.epilogue === undefined ? {} : { epilogue: spec.epilogue }),
  };
}
