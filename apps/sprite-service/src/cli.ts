/**
 * `ops-sprite-service` command line (spec 16 §1): flags, startup validation, the listening line,
 * and graceful shutdown. Same CLI rules as `ops-manager` (spec 10 §1.2): `--help` → usage on
 * stdout, exit 0; unknown argument → usage on stdout + `error: unknown argument: <arg>`, exit 1;
 * startup failures → `error: <message>`, exit 1.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { realpath } from "node:fs/promises";
import path from "node:path";
import { errorMessage, isDirectory } from "@ops/contract";
import yargs, { type Argv } from "yargs";
import { DEFAULT_HOST, DEFAULT_PORT, type RequestLogEntry, startSpriteService } from "./server.js";

export const PROGRAM = "ops-sprite-service";
export const TOKEN_ENV = "OPS_MANAGER_SERVICE_TOKEN";

export interface TextSink {
  write(text: string): unknown;
}

export interface ServiceIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

class StartupError extends Error {}

const options = {
  repo: { type: "string", describe: "Repository containing .superloop/ (required; resolved to a real path)" },
  host: { type: "string", describe: `Bind address (default: ${DEFAULT_HOST})` },
  port: { type: "string", describe: `TCP port; 0 picks a free port (default: ${DEFAULT_PORT})` },
  token: {
    type: "string",
    describe: `Shared token required on every request (default: $${TOKEN_ENV}; empty = no authentication)`,
  },
  "scripts-dir": {
    type: "string",
    describe:
      "Accepted for compatibility with the script-based service; snapshot, poll and control run in-process",
  },
  log: {
    type: "string",
    describe: "Append one JSON access-log line per request to this file (never contains the token)",
  },
} as const;

function parser(): Argv {
  return yargs()
    .scriptName(PROGRAM)
    .locale("en")
    .parserConfiguration({
      "boolean-negation": false,
      "camel-case-expansion": false,
      "dot-notation": false,
      "duplicate-arguments-array": false,
      "parse-numbers": false,
      "parse-positional-numbers": false,
      "short-option-groups": false,
    })
    .usage(
      `Usage: ${PROGRAM} --repo <path> [--host <addr>] [--port <n>] [--token <t>] [--log <file>]\n\n` +
        "Serve the loop snapshot / events / control contract of one repository over HTTP (GET /healthz, /ops/*).",
    )
    .options(options)
    .strict()
    .help("help")
    .alias("help", "h")
    .version(false)
    .exitProcess(false)
    .wrap(100);
}

type Parsed =
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "usage-error"; readonly message: string; readonly usage: string }
  | { readonly kind: "run"; readonly argv: Readonly<Record<string, unknown>> };

function firstOffendingToken(names: readonly string[], tokens: readonly string[]): string {
  for (const token of tokens) {
    const name = token.startsWith("-") ? /^--?([^=]*)/.exec(token)?.[1] : token;
    if (name !== undefined && names.includes(name)) return token;
  }
  const name = names[0] ?? "";
  return name.length === 1 ? `-${name}` : `--${name}`;
}

function parse(argv: readonly string[]): Promise<Parsed> {
  let failure: { message: string; usage: string } | undefined;
  const y = parser().fail((message: string | null | undefined, error: Error | undefined, instance: Argv) => {
    let usage = "";
    instance.showHelp((text: string) => {
      usage = text;
    });
    const text = message ?? error?.message ?? "invalid arguments";
    const unknown = /^Unknown arguments?: (.*)$/s.exec(text);
    failure ??= {
      message:
        unknown === null
          ? text
          : `unknown argument: ${firstOffendingToken((unknown[1] ?? "").split(", "), argv)}`,
      usage,
    };
  });
  return new Promise((resolve) => {
    y.parse([...argv], {}, (_error: Error | undefined, parsed: Record<string, unknown>, output: string) => {
      if (failure !== undefined) resolve({ kind: "usage-error", ...failure });
      else if (parsed["help"] === true) resolve({ kind: "help", text: output });
      else if (Array.isArray(parsed["_"]) && parsed["_"].length > 0) {
        // strict() already rejects positionals; this keeps the guarantee local.
        resolve({
          kind: "usage-error",
          message: `unknown argument: ${String(parsed["_"][0])}`,
          usage: output,
        });
      } else resolve({ kind: "run", argv: parsed });
    });
  });
}

function stringFlag(argv: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = argv[name];
  return typeof value === "string" ? value : undefined;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  const port = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) {
    throw new StartupError("--port must be an integer between 0 and 65535");
  }
  return port;
}

async function resolveRepo(value: string | undefined, cwd: string): Promise<string> {
  if (value === undefined || value === "") throw new StartupError("--repo is required");
  const given = path.resolve(cwd, value);
  const real = await realpath(given).catch(() => null);
  if (real !== null && (await isDirectory(real))) return real;
  throw new StartupError(`repo path not found: ${value}`);
}

function openLog(file: string, cwd: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(path.resolve(cwd, file), { flags: "a" });
    stream.once("open", () => resolve(stream));
    stream.once("error", (error) =>
      reject(new StartupError(`cannot open log file ${file}: ${errorMessage(error)}`)),
    );
  });
}

function endStream(stream: WriteStream | undefined): Promise<void> {
  return new Promise((resolve) => (stream === undefined ? resolve() : stream.end(resolve)));
}

/**
 * Runs the service until `shutdown` settles (the bin passes a promise resolved by SIGTERM/SIGINT),
 * then closes it gracefully. Resolves to the process exit code.
 */
export async function runSpriteServiceCli(
  argv: readonly string[],
  io: ServiceIo,
  shutdown: Promise<unknown>,
): Promise<number> {
  const parsed = await parse(argv);
  if (parsed.kind === "help") {
    io.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  if (parsed.kind === "usage-error") {
    io.stdout.write(`${parsed.usage}\n`);
    io.stderr.write(`error: ${parsed.message}\n`);
    return 1;
  }
  let log: WriteStream | undefined;
  try {
    const repo = await resolveRepo(stringFlag(parsed.argv, "repo"), io.cwd);
    const host = stringFlag(parsed.argv, "host") ?? DEFAULT_HOST;
    if (host === "") throw new StartupError("--host must not be empty");
    const port = parsePort(stringFlag(parsed.argv, "port"));
    const token = stringFlag(parsed.argv, "token") ?? io.env[TOKEN_ENV] ?? "";
    const logFile = stringFlag(parsed.argv, "log");
    if (logFile !== undefined && logFile !== "") log = await openLog(logFile, io.cwd);
    const stream = log;
    const service = await startSpriteService({
      repo,
      host,
      port,
      token,
      env: io.env,
      ...(stream === undefined
        ? {}
        : { log: (entry: RequestLogEntry) => stream.write(`${JSON.stringify(entry)}\n`) }),
    }).catch((error: unknown) => {
      throw new StartupError(`cannot listen on ${host}:${port}: ${errorMessage(error)}`);
    });
    io.stdout.write(`ops-manager sprite service listening on ${service.url}\n`);
    await shutdown;
    await service.close();
    await endStream(log);
    return 0;
  } catch (error) {
    await endStream(log);
    io.stderr.write(`error: ${errorMessage(error) || "unexpected error"}\n`);
    if (io.env["OPS_MANAGER_DEBUG"] === "1" && !(error instanceof StartupError) && error instanceof Error) {
      io.stderr.write(`${error.stack ?? ""}\n`);
    }
    return 1;
  }
}
