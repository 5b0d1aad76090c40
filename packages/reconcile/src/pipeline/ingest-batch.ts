/**
 * What both transports share after the snapshot was read (spec 13 §3 steps 4–5): the batch is fed
 * one envelope at a time into the same collector (count, last envelope, sequence tracker,
 * project-state's envelope guard, optional evidence file), then projected by project-state, and
 * only then is the transport's cursor committed (careful Q13-3: a batch whose projection fails is
 * delivered again next cycle).
 */
import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { type Clock, isJsonObject, type JsonObject } from "@ops/contract";
import {
  EVENT_GUARD_MESSAGE,
  isEventEnvelopeFor,
  isSnapshotEnvelopeFor,
  SNAPSHOT_GUARD_MESSAGE,
} from "../envelope-inputs.js";
import { commitLifecycleState, generatedSnapshotPath } from "../project-state.js";
import type { LifecycleProjection } from "../schemas.js";
import type { ReconcileContext } from "./context.js";
import type { ReconcileOptions } from "./options.js";
import { type EventSequenceSummary, EventSequenceTracker } from "./sequence.js";
import { stepErrorOutput } from "./util.js";

/** Spec 13 §4 failure codes (local: snapshot/events; service: request/response; both: projection). */
export type IngestFailureCode =
  | "snapshot_unavailable"
  | "events_unavailable"
  | "service_request_failed"
  | "service_response_invalid"
  | "projection_failed";

export type IngestOutcome =
  | {
      readonly ok: false;
      readonly failureCode: IngestFailureCode;
      /** The failing step's output (the last 40 lines are recorded); null = none. */
      readonly failureMessage: string | null;
      /** Q13-7: 0 unless the whole batch was read (then its size, also when projection failed). */
      readonly eventsIngested: number;
    }
  | {
      readonly ok: true;
      /** `runtime.heartbeat` of the snapshot (any value; heartbeat.ts decides). */
      readonly heartbeat: unknown;
      /** `sequence.value` of the snapshot (any value; sequence.ts validates it). */
      readonly snapshotSequence: unknown;
      readonly projection: LifecycleProjection;
      readonly sequence: EventSequenceSummary;
      readonly eventsIngested: number;
    };

export function ingestFailure(
  failureCode: IngestFailureCode,
  failureMessage: string | null,
  eventsIngested = 0,
): IngestOutcome {
  return { ok: false, failureCode, failureMessage, eventsIngested };
}

/**
 * Where the last successfully projected batch is kept when `ctx.persistEventBatch` is true
 * (Q13-9 opt-in): `evidence.eventsFile`.
 */
export function eventBatchEvidencePath(repoPath: string, loopId: string): string {
  return path.join(path.dirname(generatedSnapshotPath(repoPath, loopId)), "events-batch.ndjson");
}

/** Buffered writer of the batch evidence file (a temp file renamed into place on success). */
class BatchEvidenceWriter {
  private chunks: string[] = [];
  private size = 0;
  private constructor(
    private readonly handle: FileHandle,
    readonly tempFile: string,
  ) {}

  static async open(tempFile: string): Promise<BatchEvidenceWriter> {
    return new BatchEvidenceWriter(await open(tempFile, "w", 0o644), tempFile);
  }

  async write(line: string): Promise<void> {
    this.chunks.push(line, "\n");
    this.size += line.length + 1;
    if (this.size >= 64 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.chunks.join("");
    this.chunks = [];
    this.size = 0;
    await this.handle.writeFile(text);
  }

  async commit(target: string): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tempFile, target);
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempFile).catch(() => undefined);
  }
}

/**
 * One cycle's batch. `add` every envelope in order (whatever the transport delivered), then either
 * `project` it or `discard` it. The batch itself is never held in memory: only its count, its last
 * envelope and the sequence summary.
 */
export class IngestBatch {
  private readonly tracker = new EventSequenceTracker();
  private last: JsonObject | null = null;
  private guardError: string | null = null;
  private writeError: unknown = null;
  private closed = false;
  count = 0;

  private constructor(
    private readonly options: ReconcileOptions,
    private readonly writer: BatchEvidenceWriter | null,
    private readonly evidencePath: string,
  ) {}

  static async open(options: ReconcileOptions, ctx: ReconcileContext): Promise<IngestBatch> {
    const evidencePath = eventBatchEvidencePath(options.repoPath, options.loopId);
    const writer =
      ctx.persistEventBatch === true
        ? await BatchEvidenceWriter.open(
            path.join(path.dirname(evidencePath), `.${path.basename(evidencePath)}.tmp`),
          )
        : null;
    return new IngestBatch(options, writer, evidencePath);
  }

  /** One envelope of the batch (a non-empty line / array element), in order. */
  async add(envelope: unknown): Promise<void> {
    this.count += 1;
    this.tracker.observe(envelope);
    // project-state's guard, applied while streaming (the batch is validated before projecting).
    if (this.guardError === null) {
      if (isEventEnvelopeFor(envelope, this.options.loopId)) this.last = envelope;
      else this.guardError = EVENT_GUARD_MESSAGE;
    }
    if (this.writer !== null && this.writeError === null) {
      try {
        await this.writer.write(JSON.stringify(envelope));
      } catch (error) {
        this.writeError = error;
      }
    }
  }

  /** Drop the batch (ingest failed before projection): the evidence temp file is removed. */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer?.discard();
  }

  /**
   * Step 5: project-state over `snapshot` and the batch (its guards first), then — only when the
   * projection succeeded — the evidence file and `commitCursor` (the transport's cursor, Q13-3).
   * A failure of `commitCursor` rejects (an I/O error on a manager artifact aborts the cycle).
   */
  async project(
    snapshot: unknown,
    ctx: ReconcileContext,
    clock: Clock,
    commitCursor: () => Promise<void>,
  ): Promise<IngestOutcome> {
    const { repoPath, loopId } = this.options;
    const failed = async (message: string): Promise<IngestOutcome> => {
      await this.discard();
      return ingestFailure("projection_failed", message, this.count);
    };
    if (!isSnapshotEnvelopeFor(snapshot, loopId)) return failed(`error: ${SNAPSHOT_GUARD_MESSAGE}`);
    if (this.guardError !== null) return failed(`error: ${this.guardError}`);
    if (this.writeError !== null) return failed(stepErrorOutput(this.writeError));
    let projection: LifecycleProjection;
    try {
      projection = await commitLifecycleState(
        {
          repoPath,
          loopId,
          snapshot,
          events: { count: this.count, last: this.count > 0 ? this.last : null },
          stateFile: this.options.files.state.path,
          snapshotFile: generatedSnapshotPath(repoPath, loopId),
          persistSnapshot: true,
          eventsFile: this.writer === null ? null : this.evidencePath,
        },
        {
          clock,
          holdsLoopLock: true,
          ...(ctx.quirks?.lifecycle === undefined ? {} : { quirks: ctx.quirks.lifecycle }),
        },
      );
    } catch (error) {
      return failed(stepErrorOutput(error));
    }

    // Q13-3: the batch is projected; now its evidence and the cursor are committed.
    this.closed = true;
    if (this.writer !== null) await this.writer.commit(this.evidencePath);
    await commitCursor();
    const runtime = snapshot["runtime"];
    const sequence = snapshot["sequence"];
    return {
      ok: true,
      heartbeat: isJsonObject(runtime) ? runtime["heartbeat"] : undefined,
      snapshotSequence: isJsonObject(sequence) ? sequence["value"] : undefined,
      projection,
      sequence: this.tracker.summary(),
      eventsIngested: this.count,
    };
  }
}
