/**
 * poll-events (spec 11 §5): emit every not-yet-consumed line of events.jsonl as a
 * `loop_run_event` envelope and advance a cursor.
 *
 * Cost is O(new events): besides the spec's line numbers, the cursor records where the consumed
 * lines end in bytes (`eventByteOffset`) and which file, up to which byte, `eventLineCount`
 * counted (`eventsFileIdentity {dev, ino, sizeBytes}`). When the file is the same one and did not
 * shrink, the poll resumes reading at the byte offset and counts newlines only in the bytes added
 * since; otherwise it falls back to the spec's line-number walk from byte 0.
 *
 * An unterminated trailing line is "not yet written" (Q10-1, Q11-2): it is neither counted nor
 * emitted, so the cursor offset can never exceed the line count.
 */
import { open } from "node:fs/promises";
import {
  ContractError,
  countNewlines,
  fileIdentity,
  isNotFoundError,
  type LoopRunEvent,
  nowTimestamp,
  type PollCursor,
  readJsonFile,
  readJsonlLines,
  resolveRepoPath,
  runtimeRelativePaths,
  ValidationError,
  writeJsonAtomic,
} from "@ops/contract";
import type { CommandContext } from "./context.js";
import { buildEventEnvelope, type EventEnvelopeFrame, parseEventLine } from "./event-envelope.js";
import {
  isRuntimeArtifact,
  optionalFlag,
  requireFlag,
  requireLoopArtifacts,
  resolveRepoDir,
  validateLoopId,
} from "./inputs.js";
import { isJsonObject } from "./values.js";

/** Flag values as the CLI received them. */
export interface PollEventsInput {
  readonly repo?: string | undefined;
  readonly loop?: string | undefined;
  /** `--cursor-file` (default `<repo>/.superloop/loops/<loop>/ops-manager.cursor.json`). */
  readonly cursorFile?: string | undefined;
  /** `--from-start`: ignore the cursor file entirely (even if corrupt), start at line 1. */
  readonly fromStart?: boolean | undefined;
  /** `--max-events` (`^[0-9]+$`, 0 = unlimited); a number is accepted for in-process callers. */
  readonly maxEvents?: string | number | undefined;
  /** `--trace-id`: stamped on each envelope (null when empty/absent). */
  readonly traceId?: string | undefined;
}

/** Receives envelopes one at a time; a returned promise is awaited before the next line is read. */
export type EventSink = (envelope: LoopRunEvent) => void | Promise<void>;

/** How the start position was found. */
export type BatchResume =
  /** No cursor (absent or `--from-start`): line 1, byte 0. */
  | "start"
  /** Same file as the cursor's: resumed at `eventByteOffset`, counted only the new bytes. */
  | "byte_offset"
  /** Spec line-number walk (cursor without byte fields, or the file was truncated/replaced). */
  | "line_offset";

export interface EventBatchResult {
  /** The cursor to persist for this batch (not written by `eventBatch` / `readEventBatch`). */
  readonly cursor: PollCursor;
  /** Absolute cursor file path the batch was read against. */
  readonly cursorFile: string;
  /** `start` of spec 11 §5 step 3 (the offset the batch began after). */
  readonly startOffset: number;
  /** Envelopes emitted. */
  readonly emitted: number;
  readonly resume: BatchResume;
}

/**
 * The poll as an async generator: yields envelopes one by one and returns the new cursor without
 * writing it (reconcile persists it only after the batch was projected). Nothing is read before the
 * first `next()`; errors are thrown from `next()` in the spec's order. A consumer that stops early
 * must end it (`for await … break`, or `return()`), which closes the file.
 */
export async function* eventBatch(
  input: PollEventsInput,
  ctx: CommandContext = {},
): AsyncGenerator<LoopRunEvent, EventBatchResult, undefined> {
  // Step 1: validation in the spec's order, then the loop id (Q10-3), then the filesystem.
  const repo = requireFlag(input.repo, "--repo");
  const loop = requireFlag(input.loop, "--loop");
  const maxEvents = parseMaxEvents(input.maxEvents);
  validateLoopId(loop);
  const repoPath = await resolveRepoDir(repo, ctx);
  const { paths } = await requireLoopArtifacts(repoPath, loop);
  const eventsFile = paths.events;
  const cursorFile = resolveCursorFile(input.cursorFile, paths.standaloneCursor, ctx);

  const identity = await fileIdentity(eventsFile);
  if (identity === null) throw new ContractError(`required artifact missing: ${eventsFile}`);
  // The cursor is rewritten whole at the end of the poll: it must never be one of the runtime's own
  // files (a --cursor-file naming events.jsonl would replace the event log with a cursor document).
  if (await isRuntimeArtifact(cursorFile, paths)) {
    throw new ValidationError(`--cursor-file must not be a runtime artifact: ${cursorFile}`);
  }

  // Step 3 (cursor parse) before step 2 (count): the count can start from the cursor's position.
  const stored = input.fromStart === true ? null : await readCursorFile(cursorFile);
  const start = stored === null ? 0 : parseCursorOffset(stored, cursorFile);
  const resumePoint = stored === null ? null : await findResumePoint(stored, start, identity, eventsFile);

  // Step 2: total = newline count at poll start; `countedEnd` bounds the walk to exactly those lines.
  const counted = await withEventsFile(eventsFile, () =>
    resumePoint === null
      ? countNewlines(eventsFile)
      : countNewlines(eventsFile, {
          startByte: resumePoint.countedBytes,
          startLine: resumePoint.countedLines,
        }),
  );
  const total = counted.line;
  if (start > total) {
    throw new ContractError(
      `cursor offset (${start}) exceeds available events (${total}); reset cursor or use --from-start`,
    );
  }

  // Step 4: walk. Lines <= start are skipped unparsed (line mode only: byte mode starts after them).
  const frame: EventEnvelopeFrame = {
    emittedAt: nowTimestamp(ctx.clock),
    traceId: optionalFlag(input.traceId),
    repoPath,
    loopId: loop,
    eventLineCount: total,
  };
  let last = start;
  let lastByte = resumePoint === null ? 0 : resumePoint.byteOffset;
  let emitted = 0;
  // Nothing to read when the cursor is at the end, except in line mode where the walk also finds
  // the byte offset of line `start` for the new cursor.
  if (start < total || (resumePoint === null && start > 0)) {
    const lines = readJsonlLines(eventsFile, {
      startByte: resumePoint === null ? 0 : resumePoint.byteOffset,
      startLine: resumePoint === null ? 0 : start,
      endByte: counted.byte,
    });
    try {
      for await (const line of lines) {
        const lineNumber = line.lineNumber;
        if (lineNumber <= start) {
          if (lineNumber === start) lastByte = line.byteEnd;
          continue;
        }
        // Empty lines consume a number but never move the cursor by themselves.
        if (line.text.length === 0) continue;
        const parsed = parseEventLine(line.text, lineNumber, eventsFile);
        yield buildEventEnvelope(parsed, lineNumber, frame);
        last = lineNumber;
        lastByte = line.byteEnd;
        emitted += 1;
        if (maxEvents > 0 && emitted >= maxEvents) break;
      }
    } catch (error) {
      throw missingAsContractError(error, eventsFile);
    }
  }

  // Step 5 (the caller writes it): offset = last emitted line (or start), count = total.
  const cursor: PollCursor = {
    schemaVersion: "v1",
    repoPath,
    loopId: loop,
    eventsFile: runtimeRelativePaths(loop).events,
    eventLineOffset: last,
    eventLineCount: total,
    updatedAt: nowTimestamp(ctx.clock),
    eventByteOffset: lastByte,
    // sizeBytes = end of the newline-terminated bytes `eventLineCount` counted (an unterminated
    // tail is not yet written): the next poll counts newlines from here.
    eventsFileIdentity: { dev: identity.dev, ino: identity.ino, sizeBytes: counted.byte },
  };
  const resume: BatchResume =
    stored === null ? "start" : resumePoint === null ? "line_offset" : "byte_offset";
  return { cursor, cursorFile, startOffset: start, emitted, resume };
}

/**
 * Callback form of `eventBatch`: emits every envelope through `emit` (awaited, so memory does not
 * grow with the log) and returns the new cursor without writing it.
 */
export async function readEventBatch(
  input: PollEventsInput,
  sink: { readonly emit: EventSink },
  ctx: CommandContext = {},
): Promise<EventBatchResult> {
  const batch = eventBatch(input, ctx);
  for (;;) {
    const step = await batch.next();
    if (step.done === true) return step.value;
    try {
      const pending = sink.emit(step.value);
      if (pending !== undefined) await pending;
    } catch (error) {
      // Finish the suspended generator so it closes events.jsonl now, not at garbage collection.
      await batch.return(undefined as never).catch(() => undefined);
      throw error;
    }
  }
}

/**
 * The poll-events command: emit the batch, then write the cursor file atomically (parent
 * directories created, indented JSON). Fails closed: any error (bad line, bad cursor, emit failure)
 * rejects before the cursor is written; envelopes already emitted stay emitted (Q11-7).
 */
export async function pollEvents(
  input: PollEventsInput,
  sink: { readonly emit: EventSink },
  ctx: CommandContext = {},
): Promise<EventBatchResult> {
  const result = await readEventBatch(input, sink, ctx);
  await writePollCursor(result.cursorFile, result.cursor);
  return result;
}

/** Atomically replace the cursor file (spec 11 §5 step 5: indented JSON). */
export async function writePollCursor(cursorFile: string, cursor: PollCursor): Promise<void> {
  await writeJsonAtomic(cursorFile, cursor, { pretty: true });
}

/** `--max-events`: `^[0-9]+$` (numbers: non-negative integers); absent → 0 (unlimited). */
export function parseMaxEvents(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (/^[0-9]+$/.test(value)) {
    return Number(value);
  }
  throw new ValidationError("--max-events must be a non-negative integer");
}

function resolveCursorFile(flag: string | undefined, standalone: string, ctx: CommandContext): string {
  const given = optionalFlag(flag);
  if (given === null) return standalone;
  return ctx.cwd === undefined ? resolveRepoPath(given) : resolveRepoPath(given, ctx.cwd);
}

/**
 * The cursor file's content, or null when it does not exist. It is written atomically by us, so
 * bad content is not a torn read: no retry, `invalid JSON in cursor file: <path>`.
 */
async function readCursorFile(cursorFile: string): Promise<unknown> {
  let result: Awaited<ReturnType<typeof readJsonFile>>;
  try {
    result = await readJsonFile(cursorFile, { retries: 0 });
  } catch (error) {
    // Exists but cannot be read as a file (a directory, no permission): not a valid JSON cursor
    // either (spec 11 §5 step 3; the jq original reported it the same way).
    throw new ContractError(`invalid JSON in cursor file: ${cursorFile}`, { cause: error });
  }
  if (result.kind === "missing") return null;
  if (result.kind === "invalid") throw new ContractError(`invalid JSON in cursor file: ${cursorFile}`);
  return result.value;
}

/**
 * `start` = `eventLineOffset` (missing/null → 0), which must match `^[0-9]+$`: a non-negative
 * integer number, or a digit string (jq -r printed both the same way). A cursor document that is
 * not a JSON object has no usable offset: `invalid cursor offset`.
 */
export function parseCursorOffset(cursor: unknown, cursorFile: string): number {
  if (cursor === null) return 0;
  if (isJsonObject(cursor)) {
    const offset = cursor["eventLineOffset"];
    if (offset === undefined || offset === null) return 0;
    if (typeof offset === "number" && Number.isSafeInteger(offset) && offset >= 0) return offset;
    if (typeof offset === "string" && /^[0-9]+$/.test(offset)) return Number(offset);
  }
  throw new ContractError(`invalid cursor offset in ${cursorFile}`);
}

interface ResumePoint {
  /** Byte just after line `start` (where the walk resumes). */
  readonly byteOffset: number;
  /** Bytes whose newlines were counted into `countedLines` by the previous poll. */
  readonly countedBytes: number;
  readonly countedLines: number;
}

/**
 * Use the cursor's byte fields when they are present, consistent, and describe this very file:
 * same dev+ino, not smaller than the counted bytes, and the bytes just before both offsets are
 * newlines (a cheap check that also catches a truncate-and-regrow of the same inode in most cases).
 * Otherwise null: the spec's line-number behaviour applies (including its "exceeds" error).
 */
async function findResumePoint(
  cursor: unknown,
  start: number,
  current: { readonly dev: number; readonly ino: number; readonly size: number },
  eventsFile: string,
): Promise<ResumePoint | null> {
  if (!isJsonObject(cursor)) return null;
  const byteOffset = cursor["eventByteOffset"];
  const countedLines = cursor["eventLineCount"];
  const recorded = cursor["eventsFileIdentity"];
  if (!isCount(byteOffset) || !isCount(countedLines) || !isJsonObject(recorded)) return null;
  const countedBytes = recorded["sizeBytes"];
  if (!isCount(countedBytes)) return null;
  if (recorded["dev"] !== current.dev || recorded["ino"] !== current.ino) return null; // replaced
  if (current.size < countedBytes) return null; // truncated
  if (start > countedLines || byteOffset > countedBytes) return null; // inconsistent cursor
  if ((start === 0) !== (byteOffset === 0)) return null; // offsets edited by hand
  if (!(await newlinesBefore(eventsFile, [byteOffset, countedBytes]))) return null;
  // The line offset must belong to the byte offset: exactly `countedLines - start` newlines lie
  // between the two. An `eventLineOffset` edited by hand (e.g. lowered to replay a few lines) while
  // the byte fields were left alone would otherwise resume at the old byte and misnumber every line.
  // Costs only the counted-but-unconsumed bytes (none unless the last poll stopped at --max-events).
  if (!(await lineOffsetMatchesByteOffset(eventsFile, start, byteOffset, countedLines, countedBytes))) {
    return null;
  }
  return { byteOffset, countedBytes, countedLines };
}

async function lineOffsetMatchesByteOffset(
  eventsFile: string,
  start: number,
  byteOffset: number,
  countedLines: number,
  countedBytes: number,
): Promise<boolean> {
  if (byteOffset === countedBytes) return start === countedLines;
  try {
    const counted = await countNewlines(eventsFile, {
      startByte: byteOffset,
      startLine: start,
      endByte: countedBytes,
    });
    return counted.line === countedLines && counted.byte === countedBytes;
  } catch (error) {
    if (isNotFoundError(error)) return false; // vanished: the line walk reports it
    throw error;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** True when, for every offset > 0, the byte just before it is `\n`. */
async function newlinesBefore(file: string, offsets: readonly number[]): Promise<boolean> {
  const wanted = offsets.filter((offset) => offset > 0);
  if (wanted.length === 0) return true;
  const handle = await open(file, "r").catch((error: unknown) => {
    if (isNotFoundError(error)) return null;
    throw error;
  });
  if (handle === null) return false;
  try {
    const byte = Buffer.alloc(1);
    for (const offset of wanted) {
      const { bytesRead } = await handle.read(byte, 0, 1, offset - 1);
      if (bytesRead !== 1 || byte[0] !== 0x0a) return false;
    }
    return true;
  } finally {
    await handle.close();
  }
}

/** Run a read of events.jsonl; the file vanishing meanwhile is the spec's "required artifact missing". */
async function withEventsFile<T>(eventsFile: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw missingAsContractError(error, eventsFile);
  }
}

function missingAsContractError(error: unknown, eventsFile: string): unknown {
  return isNotFoundError(error) ? new ContractError(`required artifact missing: ${eventsFile}`) : error;
}
