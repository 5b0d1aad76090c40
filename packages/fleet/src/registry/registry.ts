/**
 * `ops-manager fleet registry` (spec 20 §5) and the registry load every other fleet command runs
 * first (21–24). Processing order: `--repo` check → `--loop` id check → resolve repo → locate file
 * → parse JSON → validate (§3, every message) → normalise (§4) → apply `--loop`. Writes nothing.
 */
import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  assertValidLoopId,
  type Clock,
  fleetPaths,
  isDirectory,
  isJsonObject,
  type NormalizedFleetRegistry,
  NormalizedFleetRegistrySchema,
  nowEpochSeconds,
  OpsError,
  resolveRepoPath,
  systemClock,
  ValidationError,
} from "@ops/contract";
import { normalizeFleetRegistry } from "./normalize.js";
import { validateFleetRegistry } from "./validate.js";

export const FLEET_REGISTRY_SCRIPT_ENV = "OPS_MANAGER_FLEET_REGISTRY_SCRIPT";

export interface FleetRegistryContext {
  /** "Now" for rule #48 (`reviewBy` in the future); default the system clock. */
  readonly clock?: Clock;
  /** Environment (default `process.env`); only `loadFleetRegistry` reads it (the hook). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative `--repo` / `--registry-file` values resolve against (default `$PWD`). */
  readonly cwd?: string;
  /** Where the hook's stderr passes through (default `process.stderr`). */
  readonly stderr?: { write(text: string): unknown };
}

export interface FleetRegistryInput {
  readonly repo?: string | undefined;
  readonly registryFile?: string | undefined;
  readonly loop?: string | undefined;
}

/**
 * The registry failed validation (spec 20 §3.1). `message` is the header
 * (`invalid fleet registry: <path>`); `problems` are the bullet messages in emission order.
 */
export class FleetRegistryInvalidError extends ValidationError {
  readonly file: string;
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`invalid fleet registry: ${file}`);
    this.file = file;
    this.problems = problems;
  }

  /** The full stderr text of §3.1: `error: <header>` and one ` - <message>` line per problem. */
  toStderrText(): string {
    return formatFleetRegistryInvalid(this);
  }
}

/** The §3.1 stderr block: `error: invalid fleet registry: <path>` then ` - <message>` lines. */
export function formatFleetRegistryInvalid(error: {
  readonly message: string;
  readonly problems: readonly string[];
}): string {
  return [`error: ${error.message}`, ...error.problems.map((problem) => ` - ${problem}`)]
    .map((line) => `${line}\n`)
    .join("");
}

/** Also true for an instance created by a second copy of this package (duck-typed). */
export function isFleetRegistryInvalidError(value: unknown): value is FleetRegistryInvalidError {
  return (
    value instanceof Error &&
    value.message.startsWith("invalid fleet registry: ") &&
    Array.isArray((value as { problems?: unknown }).problems)
  );
}

/**
 * The `OPS_MANAGER_FLEET_REGISTRY_SCRIPT` hook exited non-zero (§5): the caller aborts with that
 * exit status. When the hook wrote to stderr (`hookWroteStderr`), that text — passed through
 * unchanged — is the explanation, and the CLI adds no `error:` line of its own.
 */
export class FleetRegistryHookFailedError extends OpsError {
  readonly hookWroteStderr: boolean;
  constructor(hook: string, status: number, hookWroteStderr: boolean) {
    super(`fleet registry hook failed with exit status ${status}: ${hook}`, {
      exitCode: status,
      kind: "transport",
    });
    this.hookWroteStderr = hookWroteStderr;
  }
}

/** Also true for an instance created by a second copy of this package (duck-typed). */
export function isFleetRegistryHookFailedError(value: unknown): value is FleetRegistryHookFailedError {
  return (
    value instanceof Error &&
    value.message.startsWith("fleet registry hook failed with exit status ") &&
    typeof (value as { hookWroteStderr?: unknown }).hookWroteStderr === "boolean" &&
    Number.isInteger((value as { exitCode?: unknown }).exitCode)
  );
}

function contextCwd(ctx: FleetRegistryContext): string {
  return ctx.cwd ?? process.env["PWD"] ?? process.cwd();
}

export interface ResolvedRegistryLocation {
  /** Absolute, logical repo path. */
  readonly repo: string;
  /** The registry path as echoed (`sourceFile`, messages): absolute default or the flag verbatim. */
  readonly registryFile: string;
  /** The path actually read (the flag resolved against the working directory). */
  readonly registryPath: string;
}

/** `--repo` check, repo resolution and the registry path (spec 20 §1, §5). */
export async function resolveRegistryLocation(
  input: { readonly repo?: string | undefined; readonly registryFile?: string | undefined },
  ctx: FleetRegistryContext = {},
): Promise<ResolvedRegistryLocation> {
  if (input.repo === undefined || input.repo === "") throw new ValidationError("--repo is required");
  const cwd = contextCwd(ctx);
  const repo = resolveRepoPath(input.repo, cwd);
  if (!(await isDirectory(repo))) throw new ValidationError(`repo directory not found: ${repo}`);
  const registryFile = input.registryFile ?? fleetPaths(repo).registry;
  return { repo, registryFile, registryPath: path.resolve(cwd, registryFile) };
}

/**
 * Read, validate and normalise the registry file (spec 20 §3.1, §4). `registryFile` is echoed in
 * messages and `sourceFile`; `registryPath` is what is read.
 */
export async function readFleetRegistry(
  registryFile: string,
  registryPath: string,
  ctx: FleetRegistryContext = {},
): Promise<NormalizedFleetRegistry> {
  let text: string;
  try {
    if (!(await stat(registryPath)).isFile()) throw new Error("not a file");
    text = await readFile(registryPath, "utf8");
  } catch {
    throw new ValidationError(`fleet registry file not found: ${registryFile}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ValidationError(`invalid fleet registry JSON: ${registryFile}`);
  }
  // Q4 (careful): a parseable non-object document is "invalid JSON", not a crash.
  if (!isJsonObject(document)) throw new ValidationError(`invalid fleet registry JSON: ${registryFile}`);
  const problems = validateFleetRegistry(document, nowEpochSeconds(ctx.clock ?? systemClock));
  if (problems.length > 0) throw new FleetRegistryInvalidError(registryFile, problems);
  return normalizeFleetRegistry(document, registryFile);
}

/**
 * The `fleet registry` command (spec 20 §5): the normalised registry, filtered by `--loop`.
 * Reads no environment variable (the hook is for the other fleet commands) and writes nothing.
 */
export async function fleetRegistry(
  input: FleetRegistryInput,
  ctx: FleetRegistryContext = {},
): Promise<NormalizedFleetRegistry> {
  if (input.repo === undefined || input.repo === "") throw new ValidationError("--repo is required");
  // The loop id is only compared, never used in a path here; still rejected early like everywhere.
  if (input.loop !== undefined) assertValidLoopId(input.loop, "--loop");
  const location = await resolveRegistryLocation(input, ctx);
  const registry = await readFleetRegistry(location.registryFile, location.registryPath, ctx);
  if (input.loop === undefined) return registry;
  const loops = registry.loops.filter((loop) => loop.loopId === input.loop);
  if (loops.length === 0) throw new ValidationError(`loop not found in registry: ${input.loop}`);
  return { ...registry, loops, loopCount: loops.length };
}

/** Runs the `OPS_MANAGER_FLEET_REGISTRY_SCRIPT` hook; resolves to its exit status and stdout. */
function runHook(
  hook: string,
  args: readonly string[],
  ctx: FleetRegistryContext,
): Promise<{ status: number; stdout: string; wroteStderr: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(hook, args, {
      cwd: contextCwd(ctx),
      env: { ...(ctx.env ?? process.env) } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let wroteStderr = false;
    const stderr = ctx.stderr ?? process.stderr;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (chunk.trim() !== "") wroteStderr = true;
      stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? 1, stdout, wroteStderr }));
  });
}

/**
 * The registry load of the other fleet commands (21–24): spec 20's procedure with their
 * `--registry-file` (no `--loop`), or — when `OPS_MANAGER_FLEET_REGISTRY_SCRIPT` is set — the hook
 * invoked as `<hook> --repo <absoluteRepo> --registry-file <path>`, whose stdout is the normalised
 * registry. A non-zero hook exit aborts with that exit status (its stderr passed through).
 */
export async function loadFleetRegistry(
  input: { readonly repo: string; readonly registryFile?: string | undefined },
  ctx: FleetRegistryContext = {},
): Promise<NormalizedFleetRegistry> {
  const location = await resolveRegistryLocation(input, ctx);
  const hook = (ctx.env ?? process.env)[FLEET_REGISTRY_SCRIPT_ENV];
  if (hook === undefined || hook === "") {
    return readFleetRegistry(location.registryFile, location.registryPath, ctx);
  }
  let result: { status: number; stdout: string; wroteStderr: boolean };
  try {
    result = await runHook(hook, ["--repo", location.repo, "--registry-file", location.registryFile], ctx);
  } catch (error) {
    throw new OpsError(`fleet registry hook could not be run: ${hook}`, { kind: "transport", cause: error });
  }
  if (result.status !== 0) throw new FleetRegistryHookFailedError(hook, result.status, result.wroteStderr);
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new ValidationError(`invalid fleet registry JSON: ${hook} output`);
  }
  const normalized = NormalizedFleetRegistrySchema.safeParse(parsed);
  if (!normalized.success) throw new ValidationError(`invalid fleet registry JSON: ${hook} output`);
  return normalized.data;
}
