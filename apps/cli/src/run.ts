/**
 * The one place where a command line becomes output and an exit code (spec 10 §1.2):
 * - `--help` / `-h`: usage on stdout, exit 0;
 * - usage errors (unknown argument, missing command, flag without value): usage, then
 *   `error: <message>` on stderr, exit 1 (usage on stdout for per-loop commands, stderr for the
 *   fleet / promotion groups);
 * - an OpsError: `error: <message>` (one line) on stderr, its exit code (kind `usage` also prints usage);
 * - anything else thrown: `error: <one-line message>`, exit 1; the stack only with OPS_MANAGER_DEBUG=1;
 * - success: nothing on stderr, the command's exit code (default 0).
 */
import { errorMessage, OpsError } from "@ops/contract";
import type { CommandContext, CommandGroup, UsageStream } from "./command.js";
import { commandTree } from "./commands/index.js";
import { installRoot } from "./install-root.js";
import type { CliIo } from "./io.js";
import { formatJson, formatJsonLines, formatLines } from "./output.js";
import { parseCommandLine, renderUsage } from "./parse.js";

export type { CliIo } from "./io.js";

export interface RunCliOptions {
  /** The command tree to run (tests substitute their own); defaults to the real one. */
  readonly commands?: CommandGroup;
}

function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

/** OpsErrors, also when a second copy of @ops/contract created them (duck-typed on exitCode/kind). */
function asOpsError(error: unknown): OpsError | undefined {
  if (error instanceof OpsError) return error;
  if (error instanceof Error) {
    const candidate = error as Error & { exitCode?: unknown; kind?: unknown };
    if (Number.isInteger(candidate.exitCode) && typeof candidate.kind === "string") {
      return candidate as OpsError;
    }
  }
  return undefined;
}

function exitCodeOf(error: OpsError | undefined): number {
  const code = error?.exitCode;
  return code !== undefined && Number.isInteger(code) && code >= 1 && code <= 255 ? code : 1;
}

function reportUsageError(io: CliIo, usage: string, stream: UsageStream, message: string): number {
  (stream === "stdout" ? io.stdout : io.stderr).write(withNewline(usage));
  io.stderr.write(`error: ${message}\n`);
  return 1;
}

function reportError(io: CliIo, error: unknown): number {
  const message = errorMessage(error) || "unexpected error";
  io.stderr.write(`error: ${message}\n`);
  if (io.env["OPS_MANAGER_DEBUG"] === "1") {
    const stack = error instanceof Error ? error.stack : undefined;
    if (stack !== undefined) io.stderr.write(withNewline(stack));
  }
  return exitCodeOf(asOpsError(error));
}

function createContext(io: CliIo, command: string): CommandContext {
  return {
    io,
    command,
    installRoot,
    packageContext: () => ({
      env: io.env,
      cwd: io.cwd,
      get installRoot() {
        return installRoot().root;
      },
    }),
    printJson: (value, options) => io.stdout.write(formatJson(value, options)),
    printJsonLines: (values) => io.stdout.write(formatJsonLines(values)),
    printLines: (lines) => io.stdout.write(formatLines(lines)),
  };
}

/** Runs one `ops-manager` command line in-process and resolves to its exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  options: RunCliOptions = {},
): Promise<number> {
  const tree = options.commands ?? commandTree;
  try {
    const outcome = await parseCommandLine(argv, tree);
    if (outcome.kind === "help") {
      io.stdout.write(withNewline(outcome.text));
      return 0;
    }
    if (outcome.kind === "usage-error") {
      return reportUsageError(io, outcome.usage, outcome.usageStream, outcome.message);
    }
    try {
      const code = await outcome.command.run(outcome.flags, createContext(io, outcome.path.join(" ")));
      return code ?? 0;
    } catch (error) {
      const opsError = asOpsError(error);
      if (opsError?.kind === "usage") {
        const usage = await renderUsage(tree, outcome.path);
        reportUsageError(io, usage, outcome.usageStream, errorMessage(opsError));
        return exitCodeOf(opsError);
      }
      return reportError(io, error);
    }
  } catch (error) {
    return reportError(io, error);
  }
}
