/**
 * project-state (spec 12 §3): validate the envelopes, compute the lifecycle projection and write
 * `<ops>/state.json`. The CLI prints the returned document (compact, or indented with `--pretty`).
 */
import path from "node:path";
import {
  assertValidLoopId,
  type JsonObject,
  opsPaths,
  resolveRepoPath,
  runtimePaths,
  systemClock,
  ValidationError,
  type WithLockOptions,
  withLock,
  writeJsonAtomic,
} from "@ops/contract";
import { resolveRepoDir } from "@ops/health";
import { type CommandContext, isRuntimeArtifact, loopRunSnapshot } from "@ops/transport-local";
import { readEventEnvelopeFile, readSnapshotFile } from "./envelope-inputs.js";
import {
  EMPTY_EVENT_BATCH,
  type IngestedEventBatch,
  type LifecycleQuirkOptions,
  projectLifecycle,
} from "./lifecycle.js";
import { readObjectOrEmpty } from "./pipeline/util.js";
import type { LifecycleProjection } from "./schemas.js";

/** Flag values as the CLI received them. Empty strings mean "not given" (the shell tested `-z`). */
export interface ProjectStateInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  readonly snapshotFile?: string | undefined;
  readonly eventsFile?: string | undefined;
  readonly stateFile?: string | undefined;
  readonly pretty?: boolean | undefined;
}

export interface ProjectStateContext extends CommandContext {
  /** Q12-1 / Q12-2 switches (defaults: Q12-1 careful, Q12-2 parity). */
  readonly quirks?: LifecycleQuirkOptions;
  /** Options of the loop lock taken around read-previous → write. */
  readonly lock?: WithLockOptions;
  /**
   * The caller already holds the loop lock (`opsPaths(repo, loop).lock`), e.g. reconcile running
   * project-state inside its cycle: do not take it again (withLock is not re-entrant).
   */
  readonly holdsLoopLock?: boolean;
}

/**
 * Where a snapshot generated in-process is kept (Q12-4 / Q10-5 careful form). The original wrote a
 * temp file, never removed it, and recorded its path in `evidence.snapshotFile`; recording a path
 * that gets deleted (as reconcile's temp files are) makes the evidence useless. Instead the
 * generated snapshot is persisted next to the state it explains, replaced together with it under
 * the loop lock, so `evidence.snapshotFile` of the current state.json always names a file holding
 * exactly the snapshot that state was projected from — and nothing accumulates in the temp dir.
 */
export function generatedSnapshotPath(repoPath: string, loopId: string): string {
  return path.join(opsPaths(repoPath, loopId).dir, "snapshot.json");
}

function optionalFlag(value: string | undefined): string | null {
  return value === undefined || value.length === 0 ? null : value;
}

function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value.length === 0) throw new ValidationError(`${flag} is required`);
  return value;
}

function resolveAgainst(value: string, ctx: CommandContext): string {
  return ctx.cwd === undefined ? resolveRepoPath(value) : resolveRepoPath(value, ctx.cwd);
}

/** The previous state file; missing, unreadable or not a JSON object → `{}` (spec 12 §3.1). */
export function readPreviousState(stateFile: string): Promise<JsonObject> {
  return readObjectOrEmpty(stateFile);
}

export interface CommitLifecycleStateInput {
  /** Absolute local repo path. */
  readonly repoPath: string;
  readonly loopId: string;
  /** A snapshot envelope that passed the guard. */
  readonly snapshot: JsonObject;
  /** The validated batch (count + last envelope). */
  readonly events: IngestedEventBatch;
  /** Absolute path of the state file to rewrite. */
  readonly stateFile: string;
  /** Recorded as `evidence.snapshotFile`. */
  readonly snapshotFile: string;
  /** Write `snapshot` to `snapshotFile` first (under the same lock), so the evidence path is real. */
  readonly persistSnapshot?: boolean;
  /** Recorded as `evidence.eventsFile`. */
  readonly eventsFile: string | null;
  /** Indent the state file (`--pretty`). */
  readonly pretty?: boolean;
}

/**
 * Read the previous state, project, and rewrite the state file atomically, all under the loop lock
 * (so two concurrent projections cannot interleave read-previous and write). For callers that have
 * already validated their envelopes (project-state, reconcile).
 */
export async function commitLifecycleState(
  input: CommitLifecycleStateInput,
  ctx: ProjectStateContext = {},
): Promise<LifecycleProjection> {
  const clock = ctx.clock ?? systemClock;
  const work = async (): Promise<LifecycleProjection> => {
    const previous = await readPreviousState(input.stateFile);
    const document = projectLifecycle({
      snapshot: input.snapshot,
      events: input.events,
      previous,
      repoPath: input.repoPath,
      loopId: input.loopId,
      snapshotFile: input.snapshotFile,
      eventsFile: input.eventsFile,
      now: clock.now(),
      ...(ctx.quirks !== undefined ? { quirks: ctx.quirks } : {}),
    });
    if (input.persistSnapshot === true) await writeJsonAtomic(input.snapshotFile, input.snapshot);
    await writeJsonAtomic(input.stateFile, document, { pretty: input.pretty === true });
    return document;
  };
  if (ctx.holdsLoopLock === true) return work();
  return withLock(opsPaths(input.repoPath, input.loopId).lock, work, ctx.lock ?? {});
}

/**
 * `project-state --repo --loop [--snapshot-file] [--events-file] [--state-file] [--pretty]`.
 * Validation in the spec's order; nothing is written when it fails. Returns the document written.
 */
export async function projectState(
  input: ProjectStateInput,
  ctx: ProjectStateContext = {},
): Promise<LifecycleProjection> {
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  // Q10-3: the loop id becomes a path segment (default state file, lock, generated snapshot).
  assertValidLoopId(loop, "--loop");
  const repoPath = await resolveRepoDir(repo, ctx.cwd ?? process.env["PWD"] ?? process.cwd());

  const snapshotFlag = optionalFlag(input.snapshotFile);
  let snapshot: JsonObject;
  let snapshotFile: string;
  if (snapshotFlag === null) {
    // In-process loop-run-snapshot; its errors (and exit codes) pass through unchanged. Its
    // envelope is built for this repo/loop, so the guard holds by construction.
    snapshot = (await loopRunSnapshot({ repo: repoPath, loop }, ctx)) as JsonObject;
    snapshotFile = generatedSnapshotPath(repoPath, loop);
  } else {
    snapshotFile = resolveAgainst(snapshotFlag, ctx);
    snapshot = await readSnapshotFile(snapshotFile, loop, snapshotFlag);
  }

  const eventsFlag = optionalFlag(input.eventsFile);
  const eventsFile = eventsFlag === null ? null : resolveAgainst(eventsFlag, ctx);
  const events =
    eventsFlag === null || eventsFile === null
      ? EMPTY_EVENT_BATCH
      : await readEventEnvelopeFile(eventsFile, loop, eventsFlag);

  const stateFlag = optionalFlag(input.stateFile);
  const stateFile = stateFlag === null ? opsPaths(repoPath, loop).state : resolveAgainst(stateFlag, ctx);
  // A mistyped --state-file (e.g. the runtime's own .superloop/state.json) must not replace it.
  if (stateFlag !== null && (await isRuntimeArtifact(stateFile, runtimePaths(repoPath, loop)))) {
    throw new ValidationError(`--state-file must not be a runtime artifact: ${stateFlag}`);
  }

  return commitLifecycleState(
    {
      repoPath,
      loopId: loop,
      snapshot,
      events,
      stateFile,
      snapshotFile,
      persistSnapshot: snapshotFlag === null,
      eventsFile,
      pretty: input.pretty === true,
    },
    ctx,
  );
}
