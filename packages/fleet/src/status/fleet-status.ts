/**
 * `fleet status` (spec 23): read the fleet state, registry, policy and handoff state and the last
 * line of the two telemetry logs, and join them into the status document (`project.ts`). Writes
 * nothing. Errors follow §1.1's order exactly; telemetry is never fatal.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  type Clock,
  ContractError,
  fleetPaths,
  formatTimestamp,
  isJsonObject,
  isNotFoundError,
  isRegularFile,
  type JsonObject,
  readTailLines,
  systemClock,
} from "@ops/contract";
import { type FleetRegistryContext, loadFleetRegistry, resolveRegistryLocation } from "../registry/index.js";
import { projectFleetStatus } from "./project.js";
import type { FleetStatusDocument, FleetStatusFiles } from "./schemas.js";

/** Flag values as the CLI received them (all optional; `repo` is checked first). */
export interface FleetStatusInput {
  readonly repo?: string | undefined;
  readonly registryFile?: string | undefined;
  readonly fleetStateFile?: string | undefined;
  readonly policyStateFile?: string | undefined;
  readonly fleetTelemetryFile?: string | undefined;
  readonly handoffStateFile?: string | undefined;
  readonly handoffTelemetryFile?: string | undefined;
}

export interface FleetStatusContext extends FleetRegistryContext {
  /** "Now" (`generatedAt`, governance deadlines, registry rule #48); read once. */
  readonly clock?: Clock;
  /** Environment (only `OPS_MANAGER_FLEET_REGISTRY_SCRIPT` is read); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative flag values resolve against (default `$PWD`). */
  readonly cwd?: string;
}

/** The paths a status run uses: as echoed in `files` (§2.11) and as read. */
export interface ResolvedFleetStatusFiles {
  /** Absolute repo path. */
  readonly repo: string;
  /** Echoed: the flag verbatim, or the absolute default. */
  readonly files: FleetStatusFiles;
  /** `files` resolved against the working directory. */
  readonly read: FleetStatusFiles;
}

/** §1 defaults and the `--repo` check (§1.1 #1). */
export async function resolveFleetStatusFiles(
  input: FleetStatusInput,
  ctx: FleetStatusContext = {},
): Promise<ResolvedFleetStatusFiles> {
  const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
  const location = await resolveRegistryLocation(input, { ...ctx, cwd });
  const fleet = fleetPaths(location.repo);
  const files: FleetStatusFiles = {
    registryFile: location.registryFile,
    fleetStateFile: input.fleetStateFile ?? fleet.state,
    policyStateFile: input.policyStateFile ?? fleet.policyState,
    fleetTelemetryFile: input.fleetTelemetryFile ?? fleet.telemetry.reconcile,
    handoffStateFile: input.handoffStateFile ?? fleet.handoffState,
    handoffTelemetryFile: input.handoffTelemetryFile ?? fleet.telemetry.handoff,
  };
  const read: FleetStatusFiles = {
    registryFile: location.registryPath,
    fleetStateFile: path.resolve(cwd, files.fleetStateFile),
    policyStateFile: path.resolve(cwd, files.policyStateFile),
    fleetTelemetryFile: path.resolve(cwd, files.fleetTelemetryFile),
    handoffStateFile: path.resolve(cwd, files.handoffStateFile),
    handoffTelemetryFile: path.resolve(cwd, files.handoffTelemetryFile),
  };
  return { repo: location.repo, files, read };
}

type StateRead =
  | { readonly kind: "missing" }
  | { readonly kind: "ok"; readonly value: JsonObject }
  | {
      readonly kind: "invalid";
    };

/**
 * A state file as one JSON object. `missing` only when the path does not exist; anything else
 * that is not a readable regular file holding a JSON object (a directory, an unreadable file,
 * empty or torn content, an array …) is `invalid`. State files are replaced atomically by their
 * writers, so no torn-read retry.
 */
async function readStateObject(file: string): Promise<StateRead> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return isNotFoundError(error) ? { kind: "missing" } : { kind: "invalid" };
  }
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? { kind: "ok", value } : { kind: "invalid" };
  } catch {
    return { kind: "invalid" };
  }
}

/**
 * §1.1: the last line of a telemetry log as a JSON object, else null — a missing or non-regular
 * file, an empty file, an empty (whitespace-only) last line, an unparseable or torn last line, or a
 * last line that is not an object. Only the tail of the file is read (readTailLines), never the
 * whole log. The last line is the unterminated fragment after the final `\n` when there is one.
 */
export async function readLastTelemetryRecord(file: string): Promise<JsonObject | null> {
  if (!(await isRegularFile(file))) return null;
  let line: string;
  try {
    const tail = await readTailLines(file, 1);
    line = tail.partial ?? tail.lines[0] ?? "";
  } catch {
    return null;
  }
  if (line.trim() === "") return null;
  try {
    const value: unknown = JSON.parse(line);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The `fleet status` command: the status document (§2). Throws, in §1.1's order (all exit 1):
 * `ValidationError` for `--repo`; `ContractError` `fleet state file not found: <path>`; the
 * registry load's error (20: `FleetRegistryInvalidError` for validation problems, an `OpsError`
 * carrying the hook's exit status); `ContractError` `invalid fleet state JSON: <path>`,
 * `invalid policy state JSON: <path>`, `invalid handoff state JSON: <path>` (paths as given, or
 * the absolute defaults).
 */
export async function fleetStatus(
  input: FleetStatusInput,
  ctx: FleetStatusContext = {},
): Promise<FleetStatusDocument> {
  const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
  const { repo, files, read } = await resolveFleetStatusFiles(input, { ...ctx, cwd });
  // "Now" is taken once; the registry load (#48) sees the same instant.
  const now = new Date((ctx.clock ?? systemClock).now().getTime());
  const clock: Clock = { now: () => new Date(now.getTime()) };
  const generatedAt = formatTimestamp(now);

  if (!(await isRegularFile(read.fleetStateFile))) {
    throw new ContractError(`fleet state file not found: ${files.fleetStateFile}`);
  }
  const registry = await loadFleetRegistry(
    { repo, registryFile: input.registryFile },
    { ...ctx, cwd, clock },
  );
  const fleetState = await readStateObject(read.fleetStateFile);
  if (fleetState.kind === "missing") {
    // Removed between the existence check and the read.
    throw new ContractError(`fleet state file not found: ${files.fleetStateFile}`);
  }
  if (fleetState.kind === "invalid") {
    throw new ContractError(`invalid fleet state JSON: ${files.fleetStateFile}`);
  }
  const policyState = await readStateObject(read.policyStateFile);
  if (policyState.kind === "invalid") {
    throw new ContractError(`invalid policy state JSON: ${files.policyStateFile}`);
  }
  const handoffState = await readStateObject(read.handoffStateFile);
  if (handoffState.kind === "invalid") {
    throw new ContractError(`invalid handoff state JSON: ${files.handoffStateFile}`);
  }
  const [latestTelemetry, latestHandoffTelemetry] = await Promise.all([
    readLastTelemetryRecord(read.fleetTelemetryFile),
    readLastTelemetryRecord(read.handoffTelemetryFile),
  ]);
  return projectFleetStatus({
    generatedAt,
    repoPath: repo,
    registryFleetId: registry.fleetId,
    fleetState: fleetState.value,
    policyState: policyState.kind === "ok" ? policyState.value : null,
    handoffState: handoffState.kind === "ok" ? handoffState.value : null,
    latestTelemetry,
    latestHandoffTelemetry,
    files,
  });
}
