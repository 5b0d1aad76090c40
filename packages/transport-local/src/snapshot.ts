/**
 * loop-run-snapshot (spec 11 §2, §4): read the runtime artifacts of one loop and build one
 * `loop_run_snapshot` envelope. Pure read: writes nothing.
 */
import {
  type ArtifactRef,
  ContractError,
  type Gates,
  isNotFoundError,
  type JsonObject,
  type JsonReadResult,
  type LoopRunSnapshot,
  LoopRunSnapshotSchema,
  nowTimestamp,
  readJsonFile,
  readLastCompleteLine,
  runtimeRelativePaths,
  type Stuck,
} from "@ops/contract";
import type { CommandContext } from "./context.js";
import { absentArtifactRef, artifactRefFromText, digestFileStreaming } from "./file-digest.js";
import { optionalFlag, requireFlag, requireLoopArtifacts, resolveRepoDir, validateLoopId } from "./inputs.js";
import { deriveRunStatus } from "./run-status.js";
import { eventNameOf, isJsonObject, nonEmptyString, toIteration } from "./values.js";

/** Flag values as the CLI received them (`--pretty` is output formatting, handled by the CLI). */
export interface LoopRunSnapshotInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  /** `--run-id`: overrides run id resolution when non-empty. */
  readonly runId?: string | undefined;
  /** `--trace-id`: echoed as `traceId` (null when empty/absent). */
  readonly traceId?: string | undefined;
}

/** The optional runtime JSON files, in the order their errors are reported (spec 11 §4 error 6). */
const OPTIONAL_FILES = ["state", "activeRun", "approval", "runSummary", "heartbeat"] as const;
type OptionalFile = (typeof OPTIONAL_FILES)[number];

interface OptionalRead {
  /** Parsed object, or null when the file is absent (or holds JSON `null`). */
  readonly value: JsonObject | null;
  readonly ref: ArtifactRef;
}

export async function loopRunSnapshot(
  input: LoopRunSnapshotInput,
  ctx: CommandContext = {},
): Promise<LoopRunSnapshot> {
  // 1. required flags, then the loop id (Q10-3) before it becomes part of any path.
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  validateLoopId(loop);
  // 2–4. repo directory, loop directory, events file.
  const repoPath = await resolveRepoDir(repo, ctx);
  const { paths } = await requireLoopArtifacts(repoPath, loop);
  const rel = runtimeRelativePaths(loop);

  // Events: one streaming pass for size/hash/count; the final event is read backwards from the end
  // of the counted (newline-terminated) bytes, so an unterminated tail is ignored (Q10-1, Q11-2).
  const events = await eventsRead(paths.events, () => digestFileStreaming(paths.events));
  // 5. final event = last non-empty terminated line (Q11-1); only read when the line count is > 0.
  let finalEvent: JsonObject | null = null;
  if (events.lineCount > 0) {
    const last = await eventsRead(paths.events, () =>
      readLastCompleteLine(paths.events, { endByte: events.countedEnd }),
    );
    if (last !== null) finalEvent = parseFinalEvent(last.text, paths.events);
  }

  // 6. optional files (torn reads retried, spec 10a §4.1), errors reported in the spec's order.
  const readOptions = {
    ...(ctx.tornReadRetries !== undefined ? { retries: ctx.tornReadRetries } : {}),
    ...(ctx.tornReadDelayMs !== undefined ? { retryDelayMs: ctx.tornReadDelayMs } : {}),
  };
  const results = await Promise.all(OPTIONAL_FILES.map((key) => readJsonFile(paths[key], readOptions)));
  const optional = {} as Record<OptionalFile, OptionalRead>;
  for (const [index, key] of OPTIONAL_FILES.entries()) {
    optional[key] = await toOptionalRead(results[index] as JsonReadResult, paths[key], rel[key]);
  }

  const state = optional.state.value;
  const approval = optional.approval.value;
  const runSummary = optional.runSummary.value;
  const summary = latestSummaryEntry(runSummary);

  const envelope: LoopRunSnapshot = {
    schemaVersion: "v1",
    envelopeType: "loop_run_snapshot",
    emittedAt: nowTimestamp(ctx.clock),
    traceId: optionalFlag(input.traceId),
    source: { repoPath, loopId: loop },
    run: {
      runId: resolveRunId(optionalFlag(input.runId), summary, finalEvent),
      iteration: resolveIteration(summary, finalEvent, state),
      status: deriveRunStatus({ loopId: loop, approval, summary, state, finalEvent }),
      summary,
    },
    runtime: {
      superloopState: state,
      activeRun: optional.activeRun.value,
      approval,
      heartbeat: optional.heartbeat.value,
    },
    artifacts: {
      events: {
        path: rel.events,
        exists: true,
        sizeBytes: events.sizeBytes,
        lineCount: events.lineCount,
        sha256: events.sha256,
        mtimeEpoch: events.mtimeEpoch,
      },
      runSummary: optional.runSummary.ref,
      state: optional.state.ref,
      activeRun: optional.activeRun.ref,
      approval: optional.approval.ref,
      heartbeat: optional.heartbeat.ref,
    },
    sequence: { source: "cursor_event_line_offset", value: events.lineCount },
    cursor: { eventLineOffset: events.lineCount, eventLineCount: events.lineCount },
    health: {
      eventCount: events.lineCount,
      lastEventAt: finalEvent === null ? null : nonEmptyString(finalEvent["timestamp"]),
      lastEventName: eventNameOf(finalEvent),
      lastSummaryAt: resolveLastSummaryAt(runSummary, summary),
      hasPendingApproval: approval !== null && approval["status"] === "pending",
      gates: normalizeGates(summary?.["gates"]),
      stuck: normalizeStuck(summary?.["stuck"]),
    },
  };

  const checked = LoopRunSnapshotSchema.safeParse(envelope);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue === undefined ? "" : `${issue.path.join(".") || "(root)"}: ${issue.message}`;
    throw new ContractError(`snapshot envelope failed contract validation: ${where}`);
  }
  // Return the envelope as built (key order as in spec 11 §2.2), now known to be valid.
  return envelope;
}

/** events.jsonl vanishing between the existence check and the read is still "required artifact missing". */
async function eventsRead<T>(eventsFile: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isNotFoundError(error)) throw new ContractError(`required artifact missing: ${eventsFile}`);
    throw error;
  }
}

/**
 * Parse the final event line. Not JSON → the spec's error. A whitespace-only line parses to
 * nothing (as with jq) and a JSON value that is not an object has no event fields: both give a
 * final event of null (lastEvent* null, rows 4–5 of the status table do not match).
 */
function parseFinalEvent(text: string, eventsFile: string): JsonObject | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.trim().length === 0) return null;
    throw new ContractError(`invalid JSON in final events line: ${eventsFile}`);
  }
  return isJsonObject(value) ? value : null;
}

/**
 * An optional runtime file: absent → null + absent ref; invalid after the torn-read retries →
 * `invalid JSON in <abs path>`. Valid JSON that is not an object cannot be a runtime document
 * (the envelope's `runtime.*` are objects): it is reported with the same message, except JSON
 * `null`, which is treated like an absent value (jq passed it through as null).
 */
async function toOptionalRead(
  result: JsonReadResult,
  file: string,
  relativePath: string,
): Promise<OptionalRead> {
  if (result.kind === "missing") return { value: null, ref: absentArtifactRef(relativePath) };
  if (result.kind === "invalid" || (result.value !== null && !isJsonObject(result.value))) {
    throw new ContractError(`invalid JSON in ${file}`);
  }
  const value = result.value === null ? null : (result.value as JsonObject);
  return { value, ref: await artifactRefFromText(file, relativePath, result.text) };
}

/** Latest summary = last element of `run-summary.json.entries` when it is an object, else null. */
export function latestSummaryEntry(runSummary: unknown): JsonObject | null {
  if (!isJsonObject(runSummary)) return null;
  const entries = runSummary["entries"];
  if (!Array.isArray(entries) || entries.length === 0) return null;
  const last: unknown = entries[entries.length - 1];
  return isJsonObject(last) ? last : null;
}

/** `--run-id` → summary `run_id` → final event `run_id` → `"unknown"` (non-empty strings only). */
function resolveRunId(
  flag: string | null,
  summary: JsonObject | null,
  finalEvent: JsonObject | null,
): string {
  return flag ?? nonEmptyString(summary?.["run_id"]) ?? nonEmptyString(finalEvent?.["run_id"]) ?? "unknown";
}

/**
 * First non-null of summary / final event / runtime state `iteration`, converted (Q11-4: the
 * lagging summary wins, kept for parity). A first non-null value that is not numeric gives 0; it
 * does not fall through to the next source.
 */
function resolveIteration(
  summary: JsonObject | null,
  finalEvent: JsonObject | null,
  state: JsonObject | null,
): number {
  for (const source of [summary, finalEvent, state]) {
    const value = source?.["iteration"];
    if (value !== undefined && value !== null) return toIteration(value);
  }
  return 0;
}

/** run-summary `updated_at`, else latest entry `ended_at`, else null. */
function resolveLastSummaryAt(runSummary: JsonObject | null, summary: JsonObject | null): string | null {
  return nonEmptyString(runSummary?.["updated_at"]) ?? nonEmptyString(summary?.["ended_at"]) ?? null;
}

const GATE_KEYS = ["tests", "validation", "prerequisites", "checklist", "evidence", "approval"] as const;
const KNOWN_GATE_KEYS: ReadonlySet<string> = new Set([...GATE_KEYS, "lifecycle"]);

/**
 * `health.gates` from the latest entry's `gates` (decision, spec silent): the contract object is
 * closed and requires six string keys (`lifecycle` optional). The runtime's object is copied when
 * all six are strings — `lifecycle` kept when it is a string, unknown extra keys dropped so a newer
 * runtime adding a gate does not break the envelope. If any of the six is missing or not a string
 * (or `gates` is not an object) the whole value is null: a partial gate set would read as "gate
 * passed/absent" to consumers, which null ("no gate information") does not. `run.summary` keeps
 * the runtime's gates verbatim either way.
 */
export function normalizeGates(value: unknown): Gates | null {
  if (!isJsonObject(value)) return null;
  // Keep the runtime's key order; take known keys with string values only.
  const gates: Record<string, string> = {};
  for (const [key, gate] of Object.entries(value)) {
    if (KNOWN_GATE_KEYS.has(key) && typeof gate === "string") gates[key] = gate;
  }
  for (const key of GATE_KEYS) if (!Object.hasOwn(gates, key)) return null;
  return gates as unknown as Gates;
}

/**
 * `health.stuck` from the latest entry's `stuck`: `{streak, threshold}` when both are non-negative
 * integers (extra keys dropped, the contract object is closed), else null.
 */
export function normalizeStuck(value: unknown): Stuck | null {
  if (!isJsonObject(value)) return null;
  const { streak, threshold } = value;
  if (!isNonNegativeInteger(streak) || !isNonNegativeInteger(threshold)) return null;
  return { streak, threshold };
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
