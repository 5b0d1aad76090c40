/**
 * The lifecycle projection of project-state (spec 12 §3.1–§3.5) as a pure function: snapshot +
 * last event of the ingested batch + previous state file → the new `state.json` document.
 *
 * project-state does not re-evaluate the lifecycle table (spec 12 §2): `currentState` is copied
 * from the snapshot's `run.status`, which the snapshot adapter derived with `deriveRunStatus`.
 */
import {
  formatTimestamp,
  type JsonObject,
  type RunStatus,
  RunStatusSchema,
  type Timestamp,
} from "@ops/contract";
import { isJsonObject, nonEmptyString } from "@ops/transport-local";
import type { DivergenceFlags, LifecycleConfidence, LifecycleProjection } from "./schemas.js";

/** Active-phase event names (spec 10 §2.1): seeing one while the runtime is inactive is a divergence. */
export const ACTIVE_PHASE_EVENT_NAMES: ReadonlySet<string> = new Set([
  "iteration_start",
  "role_start",
  "role_end",
  "iteration_end",
  "tests_start",
  "tests_end",
  "validation_start",
  "validation_end",
]);

/**
 * The ingested batch as the projection needs it: how many envelopes it held and the last one.
 * Large batches are streamed (see `readEventEnvelopeFile`), so the whole batch is never required.
 */
export interface IngestedEventBatch {
  /** Number of (non-empty) envelopes in the batch. */
  readonly count: number;
  /** The last envelope of the batch, or null when the batch is empty. */
  readonly last: JsonObject | null;
}

export const EMPTY_EVENT_BATCH: IngestedEventBatch = { count: 0, last: null };

/**
 * Behaviour switches for the two quirks whose careful form is a policy decision (spec 12 §6).
 * Defaults: Q12-1 careful, Q12-2 parity.
 */
export interface LifecycleQuirkOptions {
  /**
   * Q12-1. `true` (default, careful): `activeMismatch` needs an explicit `active: false` in the
   * runtime state; a missing state file (normal right after `cancel`) or a missing `active` key is
   * not a divergence. `false`: parity — anything but `active: true` counts as inactive.
   */
  readonly activeMismatchRequiresExplicitFalse?: boolean;
  /**
   * Q12-2. `true` (default, parity — acceptance tests may compare against `null`):
   * `projection.active` is `true` or `null`. `false`: write the real boolean, and `null` only when
   * there is no runtime state (or its `active` is not a boolean).
   */
  readonly activeFalseAsNull?: boolean;
}

export interface ProjectLifecycleInput {
  /** A `loop_run_snapshot` envelope that passed the guard (schemaVersion, envelopeType, loop id). */
  readonly snapshot: unknown;
  /** The ingested batch: a summary from `readEventEnvelopeFile`, or the envelopes themselves. */
  readonly events: IngestedEventBatch | readonly unknown[];
  /** The previous state file's content; anything that is not an object counts as `{}`. */
  readonly previous: unknown;
  /** Local absolute repo path (`source.repoPath`; not the snapshot's). */
  readonly repoPath: string;
  readonly loopId: string;
  /** Path recorded as `evidence.snapshotFile`. */
  readonly snapshotFile: string;
  /** Path recorded as `evidence.eventsFile` (null when no events file was given). */
  readonly eventsFile: string | null;
  readonly now: Date | Timestamp;
  readonly quirks?: LifecycleQuirkOptions;
}

function objectAt(value: unknown, key: string): JsonObject | null {
  if (!isJsonObject(value)) return null;
  const child = value[key];
  return isJsonObject(child) ? child : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function nonNegativeInteger(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/**
 * `run.iteration` as a non-negative integer (spec 12 §3.1 "numeric, default 0"): integers and
 * digit strings are taken, anything else (fractions, negatives, text) is 0.
 */
function iterationOf(value: unknown): number {
  if (typeof value === "string" && /^[0-9]+$/.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : 0;
  }
  return nonNegativeInteger(value) ?? 0;
}

/**
 * Q12-6 careful form: `completion_ok` is true only for JSON `true` or its string form `"true"`
 * (the two values the original accepted as true); every other value — `"yes"`, `1`, objects — is
 * false instead of aborting the command.
 */
export function isCompletionOk(value: unknown): boolean {
  return value === true || value === "true";
}

/** `run.status` as the state enum; missing or unrecognised values are `unknown`. */
function runStatusOf(value: unknown): RunStatus {
  const parsed = RunStatusSchema.safeParse(value);
  return parsed.success ? parsed.data : "unknown";
}

function batchOf(events: IngestedEventBatch | readonly unknown[]): IngestedEventBatch {
  if (!Array.isArray(events)) return events as IngestedEventBatch;
  const list = events as readonly unknown[];
  let last: JsonObject | null = null;
  for (let index = list.length - 1; index >= 0 && last === null; index -= 1) {
    const item = list[index];
    if (isJsonObject(item)) last = item;
  }
  return { count: list.length, last };
}

/** Compute the state document of spec 12 §3.5. Pure: no I/O, no clock. */
export function projectLifecycle(input: ProjectLifecycleInput): LifecycleProjection {
  const { snapshot, repoPath, loopId } = input;
  const activeMismatchRequiresExplicitFalse = input.quirks?.activeMismatchRequiresExplicitFalse ?? true;
  const activeFalseAsNull = input.quirks?.activeFalseAsNull ?? true;

  // §3.1 — the batch.
  const batch = batchOf(input.events);
  const lastEvent = batch.count > 0 ? batch.last : null;
  const lastEventName = nonEmptyString(objectAt(lastEvent, "event")?.["name"]);
  const batchHasEvents = batch.count > 0;

  // §3.1 — the previous state file (unreadable / not an object → {}).
  const previous = isJsonObject(input.previous) ? input.previous : {};
  const previousState = nonEmptyString(objectAt(previous, "transition")?.["currentState"]) ?? "none";
  const previousCursorRaw = objectAt(previous, "cursor")?.["eventLineOffset"];
  const previousCursorOffset =
    previousCursorRaw === undefined || previousCursorRaw === null ? 0 : previousCursorRaw;

  // §3.1 — the snapshot.
  const run = objectAt(snapshot, "run");
  const runtime = objectAt(snapshot, "runtime");
  const health = objectAt(snapshot, "health");
  const cursor = objectAt(snapshot, "cursor");
  const rawStatus = run?.["status"];
  const currentState = runStatusOf(rawStatus);
  const runId = nonEmptyString(run?.["runId"]) ?? "unknown";
  const iteration = iterationOf(run?.["iteration"]);
  const hasPendingApproval = objectAt(runtime, "approval")?.["status"] === "pending";
  const completionOk = isCompletionOk(objectAt(run, "summary")?.["completion_ok"]);
  const superloopState = objectAt(runtime, "superloopState");
  const activeValue = superloopState?.["active"];
  const cursorOffsetRaw = cursor?.["eventLineOffset"];
  const cursorOffsetDefaulted =
    cursorOffsetRaw === undefined || cursorOffsetRaw === null ? 0 : cursorOffsetRaw;
  const cursorOffset = nonNegativeInteger(cursorOffsetRaw) ?? 0;
  const cursorCount = nonNegativeInteger(cursor?.["eventLineCount"]) ?? 0;

  // §3.2
  const triggeringSignal =
    batchHasEvents && lastEventName !== null ? `event:${lastEventName}` : `snapshot_status:${currentState}`;

  // §3.3
  const inactive = activeMismatchRequiresExplicitFalse
    ? superloopState !== null && activeValue === false
    : activeValue !== true;
  const prevOffset = nonNegativeInteger(previousCursorOffset);
  const currOffset = nonNegativeInteger(cursorOffsetDefaulted);
  const flags: DivergenceFlags = {
    activeMismatch: inactive && lastEventName !== null && ACTIVE_PHASE_EVENT_NAMES.has(lastEventName),
    approvalCompletionConflict: hasPendingApproval && completionOk,
    cursorRegression: prevOffset !== null && currOffset !== null && prevOffset > currOffset,
  };
  const any = flags.activeMismatch || flags.approvalCompletionConflict || flags.cursorRegression;

  // §3.4
  const confidence: LifecycleConfidence = any ? "low" : batchHasEvents ? "high" : "medium";

  // Q12-2
  let active: boolean | null;
  if (activeFalseAsNull) active = activeValue === true ? true : null;
  else active = typeof activeValue === "boolean" ? activeValue : null;

  const snapshotLastEventName = stringOrNull(health?.["lastEventName"]);
  const healthPending = health?.["hasPendingApproval"];

  return {
    schemaVersion: "v1",
    generatedAt: typeof input.now === "string" ? input.now : formatTimestamp(input.now),
    source: { repoPath, loopId },
    run: { runId, iteration },
    transition: { previousState, triggeringSignal, currentState, confidence },
    projection: {
      status: currentState,
      hasPendingApproval,
      completionOk,
      gates: objectAt(health, "gates"),
      stuck: objectAt(health, "stuck"),
      active,
      lastEventName: snapshotLastEventName,
      lastEventAt: stringOrNull(health?.["lastEventAt"]),
    },
    cursor: { eventLineOffset: cursorOffset, eventLineCount: cursorCount },
    divergence: { any, flags },
    evidence: {
      snapshotFile: input.snapshotFile,
      eventsFile: input.eventsFile,
      snapshotEnvelope: {
        // Verbatim (evidence of what the snapshot said), unlike currentState which is the enum.
        runStatus: nonEmptyString(rawStatus) ?? "unknown",
        lastEventName: snapshotLastEventName,
        hasPendingApproval: typeof healthPending === "boolean" ? healthPending : hasPendingApproval,
      },
      lastEventEnvelope: lastEvent,
    },
  };
}
