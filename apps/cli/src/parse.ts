/**
 * Argument parsing for the whole command tree, in one place (spec 10 §1.2 and spec 20 §1):
 * - flags are `--name value` pairs (the value is taken verbatim, even when it starts with `-`) or
 *   bare switches; `--name=value` works too; order is free; a later repeat wins (list flags collect);
 * - no camel-case expansion, dot-notation, number parsing or boolean negation: `--loop 007` stays
 *   the string `"007"` and `--no-env-check` is a switch of its own;
 * - unknown arguments, missing (sub)commands and value flags without a value are usage errors.
 *
 * yargs (strict, custom `.fail()`, parse callback) does the command routing, help and strictness but
 * never writes anything itself: help text and failures come back as data and `run.ts` prints them.
 */
import yargs, { type Argv, type Options } from "yargs";
import type { CommandGroup, CommandNode, FlagSpecs, LeafCommand, UsageStream } from "./command.js";

export const PROGRAM = "ops-manager";
const HELP_WIDTH = 100;

export type ParseOutcome =
  | { readonly kind: "help"; readonly text: string }
  | {
      readonly kind: "usage-error";
      readonly message: string;
      readonly usage: string;
      readonly usageStream: UsageStream;
    }
  | {
      readonly kind: "command";
      readonly command: LeafCommand;
      readonly path: readonly string[];
      readonly usageStream: UsageStream;
      readonly flags: Readonly<Record<string, unknown>>;
    };

interface Context {
  readonly node: CommandNode;
  readonly path: readonly string[];
  readonly usageStream: UsageStream;
}

interface ParseState {
  context: Context;
  selected: Context | undefined;
  failure: { readonly message: string; readonly usage: string } | undefined;
}

/** Tokens after the command path, normalised so yargs sees every value flag as `--name=value`. */
interface Normalised {
  readonly tokens: string[];
  readonly lists: Map<string, string[]>;
  /** First problem yargs cannot see (value flag without value, switch with a value). */
  readonly problem: string | undefined;
}

function locateLeaf(
  tree: CommandGroup,
  argv: readonly string[],
): { leaf: LeafCommand; start: number } | null {
  let node: CommandNode = tree;
  let index = 0;
  while (node.kind === "group") {
    const token = argv[index];
    const child: CommandNode | undefined = node.commands.find((candidate) => candidate.name === token);
    if (child === undefined) return null;
    node = child;
    index += 1;
  }
  return { leaf: node, start: index };
}

function normalise(flags: FlagSpecs, tokens: readonly string[]): Normalised {
  const out: string[] = [];
  const lists = new Map<string, string[]>();
  let problem: string | undefined;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as string;
    if (token === "--") {
      // No positional arguments exist, so the end-of-options marker is just an unknown argument.
      problem ??= "unknown argument: --";
      break;
    }
    if (!token.startsWith("--")) {
      out.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq === -1 ? undefined : eq);
    const spec = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (spec === undefined) {
      out.push(token);
      continue;
    }
    if (spec.kind === "switch") {
      if (eq !== -1) problem ??= `--${name} does not take a value`;
      else out.push(token);
      continue;
    }
    let value: string;
    if (eq !== -1) {
      value = token.slice(eq + 1);
    } else if (i + 1 < tokens.length) {
      value = tokens[i + 1] as string;
      i += 1;
    } else {
      problem ??= `--${name} requires a value`;
      continue;
    }
    if (spec.kind === "list") {
      const collected = lists.get(name) ?? [];
      collected.push(value);
      lists.set(name, collected);
    } else {
      out.push(`--${name}=${value}`);
    }
  }
  return { tokens: out, lists, problem };
}

function yargsOptions(flags: FlagSpecs): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] =
      spec.kind === "switch"
        ? { type: "boolean", describe: spec.describe }
        : { type: "string", describe: spec.describe };
  }
  return options;
}

function configureLeaf(y: Argv, leaf: LeafCommand, path: readonly string[]): Argv {
  const synopsis = leaf.synopsis === "" ? "" : ` ${leaf.synopsis}`;
  y.usage(`Usage: ${PROGRAM} ${path.join(" ")}${synopsis}\n\n${leaf.describe}`).options(
    yargsOptions(leaf.flags),
  );
  for (const [command, description] of leaf.examples) y.example(command, description);
  return y;
}

function configureGroup(y: Argv, group: CommandGroup, path: readonly string[], state: ParseState): Argv {
  const prefix = [PROGRAM, ...path].join(" ");
  y.usage(`Usage: ${prefix} <command> [options]\n\n${group.describe}`);
  const parentStream = state.context.usageStream;
  for (const child of group.commands) {
    const childPath = [...path, child.name];
    const usageStream = child.usageStream ?? parentStream;
    y.command(
      child.name,
      child.describe,
      (builder: Argv) => {
        state.context = { node: child, path: childPath, usageStream };
        return child.kind === "group"
          ? configureGroup(builder, child, childPath, state)
          : configureLeaf(builder, child, childPath);
      },
      () => {
        if (child.kind === "command") state.selected = { node: child, path: childPath, usageStream };
      },
    );
  }
  y.demandCommand(1, path.length === 0 ? "missing command" : `missing ${path.join(" ")} command`);
  const epilogue = group.epilogue?.();
  if (epilogue !== undefined) y.epilogue(epilogue);
  return y;
}

/** yargs names unknown flags without dashes; report the first token the operator actually typed. */
function firstOffendingToken(names: readonly string[], tokens: readonly string[]): string {
  for (const token of tokens) {
    const name = token.startsWith("-") ? /^--?([^=]*)/.exec(token)?.[1] : token;
    if (name !== undefined && names.includes(name)) return token;
  }
  const name = names[0] ?? "";
  return name.length === 1 ? `-${name}` : `--${name}`;
}

function translateFailure(message: string, context: Context, tokens: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown !== null) {
    const token = firstOffendingToken((unknown[1] ?? "").split(", "), tokens);
    if (context.node.kind === "group" && !token.startsWith("-")) return `unknown command: ${token}`;
    return `unknown argument: ${token}`;
  }
  if (context.node.kind === "group" && /^missing .*command$/.test(message)) {
    // Groups take no flags besides --help: `ops-manager --pretty snapshot` is an unknown argument,
    // not a missing command (yargs checks the command count before strictness).
    const flag = tokens.find((token) => token.startsWith("-") && !/^(-h|--help)(=|$)/.test(token));
    if (flag !== undefined) return `unknown argument: ${flag}`;
  }
  return message;
}

function newParser(tree: CommandGroup, state: ParseState): Argv {
  const y = yargs()
    .scriptName(PROGRAM)
    .locale("en")
    .parserConfiguration({
      "boolean-negation": false,
      "camel-case-expansion": false,
      "dot-notation": false,
      "duplicate-arguments-array": false,
      "greedy-arrays": false,
      "parse-numbers": false,
      "parse-positional-numbers": false,
      "short-option-groups": false,
    })
    .strict()
    .help("help")
    .alias("help", "h")
    .version(false)
    .exitProcess(false)
    .wrap(HELP_WIDTH);
  configureGroup(y, tree, [], state);
  return y;
}

interface RawParse {
  readonly state: ParseState;
  readonly argv: Readonly<Record<string, unknown>>;
  readonly output: string;
}

function runYargs(tree: CommandGroup, tokens: readonly string[]): Promise<RawParse> {
  const state: ParseState = {
    context: { node: tree, path: [], usageStream: tree.usageStream ?? "stdout" },
    selected: undefined,
    failure: undefined,
  };
  const y = newParser(tree, state);
  y.fail((message: string | null | undefined, error: Error | undefined, instance: Argv) => {
    let usage = "";
    instance.showHelp((text: string) => {
      usage = text;
    });
    state.failure ??= {
      message: translateFailure(message ?? error?.message ?? "invalid arguments", state.context, tokens),
      usage,
    };
  });
  return new Promise((resolve, reject) => {
    try {
      y.parse([...tokens], {}, (error: Error | undefined, argv: Record<string, unknown>, output: string) => {
        if (error && state.failure === undefined) {
          state.failure = { message: error.message, usage: "" };
        }
        resolve({ state, argv, output });
      });
    } catch (error) {
      reject(error);
    }
  });
}

/** Parses a command line against `tree` without printing anything. */
export async function parseCommandLine(argv: readonly string[], tree: CommandGroup): Promise<ParseOutcome> {
  const located = locateLeaf(tree, argv);
  const normalised = located === null ? undefined : normalise(located.leaf.flags, argv.slice(located.start));
  const tokens =
    located === null || normalised === undefined
      ? [...argv]
      : [...argv.slice(0, located.start), ...normalised.tokens];
  const { state, argv: parsed, output } = await runYargs(tree, tokens);

  if (state.failure !== undefined) {
    return { kind: "usage-error", ...state.failure, usageStream: state.context.usageStream };
  }
  if (parsed["help"] === true) return { kind: "help", text: output };
  const selected = state.selected;
  if (selected === undefined || selected.node.kind !== "command") {
    // yargs always selects a leaf or fails; this is a guard, not a path the tree can reach.
    return {
      kind: "usage-error",
      message: "missing command",
      usage: output,
      usageStream: state.context.usageStream,
    };
  }
  if (normalised?.problem !== undefined) {
    return {
      kind: "usage-error",
      message: normalised.problem,
      usage: await renderUsage(tree, selected.path),
      usageStream: selected.usageStream,
    };
  }
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(selected.node.flags)) {
    const value = parsed[name];
    if (spec.kind === "switch") flags[name] = value === true;
    else if (spec.kind === "list") flags[name] = normalised?.lists.get(name) ?? [];
    else flags[name] = typeof value === "string" ? value : undefined;
  }
  return {
    kind: "command",
    command: selected.node,
    path: selected.path,
    usageStream: selected.usageStream,
    flags,
  };
}

/** The usage text of the command at `path` (what `ops-manager <path> --help` prints). */
export async function renderUsage(tree: CommandGroup, path: readonly string[]): Promise<string> {
  const { output } = await runYargs(tree, [...path, "--help"]);
  return output;
}
