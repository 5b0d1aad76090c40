/**
 * `fleet policy` (spec 22): the command with file I/O at the edge. Inputs are read and checked in
 * the §1.1 error order, the pure `evaluateFleetPolicy` of @ops/policy decides, and the outputs are
 * written in the §9.1 order (policy state atomically, then governance event, history lines and the
 * telemetry line appended) under the fleet lock. Never dispatches a control action, never touches
 * the registry or the fleet state.
 */
import { randomUUID } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import {
  appendJsonl,
  assertWritable,
  type Clock,
  ensureDirectory,
  errnoCode,
  fleetPaths,
  forEachJsonlLine,
  isJsonObject,
  isNotFoundError,
  isRegularFile,
  OpsError,
  readTailLines,
  systemClock,
  ValidationError,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import {
  evaluateFleetPolicy,
  type FleetPolicyState,
  HandoffTelemetryInputRowSchema,
  isAutonomousExecuteRecord,
  POLICY_MODES,
  PolicyFleetStateInputSchema,
  PolicyHistoryIndex,
  PolicyHistoryReadRowSchema,
  PreviousPolicyStateInputSchema,
  resolvePolicyTraceId,
} from "@ops/policy";
import { type FleetRegistryContext, loadFleetRegistry, resolveRegistryLocation } from "../registry/index.js";

export const DEDUPE_WINDOW_MESSAGE = "--dedupe-window-seconds must be a non-negative integer";

/** Flag values as the CLI received them. */
export interface FleetPolicyInput {
  readonly repo?: string | undefined;
  readonly registryFile?: string | undefined;
  readonly fleetStateFile?: string | undefined;
  readonly policyStateFile?: string | undefined;
  readonly governanceAuditFile?: string | undefined;
  readonly handoffTelemetryFile?: string | undefined;
  readonly policyTelemetryFile?: string | undefined;
  readonly policyHistoryFile?: string | undefined;
  /** `^[0-9]+$` when given (even empty); default: the registry's `noiseControls.dedupeWindowSeconds`. */
  readonly dedupeWindowSeconds?: string | number | undefined;
  readonly traceId?: string | undefined;
}

export interface FleetPolicyContext extends FleetRegistryContext {
  /** "Now" (§1.2, taken once, whole seconds) and registry rule #48; default the system clock. */
  readonly clock?: Clock;
  /** Trace id generator for the last precedence step (default a UUID; lowercased). */
  readonly generateTraceId?: () => string;
  /**
   * Minimum number of handoff telemetry lines read from the end of the file per step (default
   * 256); the tail read doubles until the auto-pause window is complete or the file start is
   * reached. Tests use small values.
   */
  readonly handoffTailLines?: number;
}

/** An artifact path: echoed verbatim (flag) or absolute default, and the path actually opened. */
interface ArtifactPath {
  readonly shown: string;
  readonly real: string;
}

function artifact(flag: string | undefined, fallback: string, cwd: string): ArtifactPath {
  const shown = flag ?? fallback;
  return { shown, real: path.resolve(cwd, shown) };
}

/** A read error other than "not found" (a directory, no permission): one line naming the file. */
function readError(file: ArtifactPath, error: unknown): OpsError {
  return new OpsError(`cannot read ${file.shown} (${errnoCode(error) ?? String(error)})`, {
    kind: "io",
    cause: error,
  });
}

/** `undefined` when the file does not exist; other read errors are `cannot read <file> (<code>)`. */
async function readOptionalText(file: ArtifactPath): Promise<string | undefined> {
  try {
    return await readFile(file.real, "utf8");
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw readError(file, error);
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

function parseDedupeWindow(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^[0-9]+$/u.test(text)) throw new ValidationError(DEDUPE_WINDOW_MESSAGE);
  const parsed = Number.parseInt(text, 10);
  if (!Number.isSafeInteger(parsed)) throw new ValidationError(DEDUPE_WINDOW_MESSAGE);
  return parsed;
}

/**
 * §1.1 #10 — stream the whole history (the cooldowns need the latest entry per candidate, of any
 * age) and fold it into an index; a non-blank line that is not a JSON object is fatal.
 */
async function readPolicyHistory(file: ArtifactPath): Promise<PolicyHistoryIndex> {
  const index = new PolicyHistoryIndex();
  let invalid = false;
  const visit = (text: string): boolean => {
    if (text.trim() === "") return true;
    const row = parseObject(text);
    if (row === null || !PolicyHistoryReadRowSchema.safeParse(row).success) {
      invalid = true;
      return false;
    }
    index.add(row);
    return true;
  };
  try {
    const end = await forEachJsonlLine(file.real, visit);
    // The streaming reader skips a final line without "\n" (a torn append). It is a line of the
    // file all the same: checked like the others, so a torn fragment fails this run instead of
    // being ignored now and — once the next append completes it — failing every later run.
    if (!invalid) visit(await readTrailingText(file.real, end.byte));
  } catch (error) {
    if (isNotFoundError(error)) return index;
    throw readError(file, error);
  }
  if (invalid) throw new ValidationError(`invalid policy history JSONL: ${file.shown}`);
  return index;
}

/** The bytes of `file` from `from` to its end, as UTF-8 (a final line without "\n", or ""). */
async function readTrailingText(file: string, from: number): Promise<string> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size <= from) return "";
    const buffer = Buffer.alloc(size - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.toString("utf8", 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * §1.1 #11 / §5.1 — the end of the handoff telemetry, read backwards with the tail reader: only
 * the last `lookback` autonomous execute records matter, so the read stops once that many are in
 * hand (doubling the tail each step) or the start of the file is reached. Every line read must be
 * a JSON object (blank lines ignored).
 */
async function readHandoffWindow(file: ArtifactPath, lookback: number, step: number): Promise<unknown[]> {
  let want = Math.max(1, step);
  for (;;) {
    let tail: Awaited<ReturnType<typeof readTailLines>>;
    try {
      tail = await readTailLines(file.real, want);
    } catch (error) {
      if (isNotFoundError(error)) return [];
      throw readError(file, error);
    }
    const rows: unknown[] = [];
    // A final line without "\n" (a torn append) is checked like every other line (see above).
    const texts = tail.partial === null ? tail.lines : [...tail.lines, tail.partial];
    for (const text of texts) {
      if (text.trim() === "") continue;
      const row = parseObject(text);
      if (row === null || !HandoffTelemetryInputRowSchema.safeParse(row).success) {
        throw new ValidationError(`invalid handoff telemetry JSONL: ${file.shown}`);
      }
      rows.push(row);
    }
    const reachedStart = tail.lines.length < want;
    if (reachedStart || rows.filter(isAutonomousExecuteRecord).length >= lookback) return rows;
    want *= 2;
  }
}

/** The `fleet policy` command: returns the policy state document it wrote (and the CLI prints). */
export async function fleetPolicy(
  input: FleetPolicyInput,
  ctx: FleetPolicyContext = {},
): Promise<FleetPolicyState> {
  const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
  const env = ctx.env ?? process.env;
  const clock = ctx.clock ?? systemClock;

  // 1. `--repo` present, repo a directory.
  const location = await resolveRegistryLocation(
    { repo: input.repo, registryFile: input.registryFile },
    { ...ctx, cwd },
  );
  const fleet = fleetPaths(location.repo);
  const paths = {
    fleetState: artifact(input.fleetStateFile, fleet.state, cwd),
    policyState: artifact(input.policyStateFile, fleet.policyState, cwd),
    governance: artifact(input.governanceAuditFile, fleet.telemetry.policyGovernance, cwd),
    handoff: artifact(input.handoffTelemetryFile, fleet.telemetry.handoff, cwd),
    telemetry: artifact(input.policyTelemetryFile, fleet.telemetry.policy, cwd),
    history: artifact(input.policyHistoryFile, fleet.telemetry.policyHistory, cwd),
  };

  // 2. Fleet state present.
  if (!(await isRegularFile(paths.fleetState.real))) {
    throw new ValidationError(`fleet state file not found: ${paths.fleetState.shown}`);
  }
  // 3. Registry (spec 20, or the OPS_MANAGER_FLEET_REGISTRY_SCRIPT hook).
  const registry = await loadFleetRegistry(
    { repo: location.repo, registryFile: input.registryFile },
    { ...ctx, cwd },
  );
  // 4. Fleet state JSON (careful Q9: empty file, or JSON that is not an object, is invalid).
  const fleetStateText = await readFile(paths.fleetState.real, "utf8");
  const fleetState = parseObject(fleetStateText);
  if (fleetState === null || !PolicyFleetStateInputSchema.safeParse(fleetState).success) {
    throw new ValidationError(`invalid fleet state JSON: ${paths.fleetState.shown}`);
  }
  // 5. Trace id.
  const traceId = resolvePolicyTraceId(
    input.traceId,
    fleetState,
    env["OPS_MANAGER_TRACE_ID"],
    ctx.generateTraceId ?? randomUUID,
  );
  // 6. Mode (defensive).
  const mode: unknown = registry.policy.mode;
  if (!(POLICY_MODES as readonly unknown[]).includes(mode)) {
    throw new ValidationError(`unsupported policy mode: ${String(mode)}`);
  }
  // 7. Dedupe window: the flag when given, else the normalised registry value.
  const dedupeWindowSeconds =
    parseDedupeWindow(input.dedupeWindowSeconds) ?? registry.policy.noiseControls.dedupeWindowSeconds;
  // 8. Output directories.
  // Fail before writing anything: a directory would only fail mid-way through §9.1, after the
  // policy state was overwritten and history lines (the cooldowns' memory) were appended.
  await assertWritable(
    [paths.policyState, paths.governance, paths.telemetry, paths.history].map((target) => ({
      file: target.real,
      shown: target.shown,
    })),
  );
  await ensureDirectory(fleet.dir);

  // Read previous state + history, evaluate and write under the fleet lock, so two concurrent
  // runs cannot both read the same history and both classify the same candidate eligible.
  return withLock(fleet.lock, async () => {
    // 9. Previous policy state.
    const previousText = await readOptionalText(paths.policyState);
    let previousPolicyState: Record<string, unknown> | null = null;
    if (previousText !== undefined) {
      previousPolicyState = parseObject(previousText);
      if (
        previousPolicyState === null ||
        !PreviousPolicyStateInputSchema.safeParse(previousPolicyState).success
      ) {
        throw new ValidationError(`invalid existing policy state JSON: ${paths.policyState.shown}`);
      }
    }
    // 10. History. 11. Handoff telemetry window.
    const history = await readPolicyHistory(paths.history);
    const handoffTelemetry = await readHandoffWindow(
      paths.handoff,
      registry.policy.autonomous.rollout.autoPause.lookbackExecutions,
      ctx.handoffTailLines ?? 256,
    );

    // §1.2: "now", once, whole seconds.
    const now = Math.floor(clock.now().getTime() / 1000);
    const evaluation = evaluateFleetPolicy({
      policy: registry.policy,
      dedupeWindowSeconds,
      fleetState,
      history,
      handoffTelemetry,
      previousPolicyState,
      now,
      traceId,
      paths: {
        fleetStateFile: paths.fleetState.shown,
        registryFile: location.registryFile,
        policyStateFile: paths.policyState.shown,
        governanceAuditFile: paths.governance.shown,
        handoffTelemetryFile: paths.handoff.shown,
        policyHistoryFile: paths.history.shown,
      },
    });

    // §9.1 write order.
    await writeJsonAtomic(paths.policyState.real, evaluation.state);
    if (evaluation.governanceEvent !== null)
      await appendJsonl(paths.governance.real, evaluation.governanceEvent);
    for (const row of evaluation.historyRows) await appendJsonl(paths.history.real, row);
    await appendJsonl(paths.telemetry.real, evaluation.telemetryRow);
    return evaluation.state;
  });
}
