/**
 * Contract envelopes (spec 11): `loop_run_snapshot` and `loop_run_event`, `schemaVersion: "v1"`.
 * Every object is closed except the pass-through payloads (`run.summary`, `runtime.*`,
 * `event.payload`, `event.raw`). Both transports must produce exactly these shapes.
 */
import { z } from "zod";
import { JsonObjectSchema, NonNegativeIntSchema, TimestampSchema } from "./common.js";

export const RunStatusSchema = z.enum([
  "running",
  "awaiting_approval",
  "complete",
  "stopped",
  "failed",
  "idle",
  "unknown",
]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const EnvelopeSourceSchema = z.strictObject({
  repoPath: z.string().min(1),
  loopId: z.string().min(1),
});
export type EnvelopeSource = z.infer<typeof EnvelopeSourceSchema>;

export const SequenceSchema = z.strictObject({
  source: z.literal("cursor_event_line_offset"),
  value: NonNegativeIntSchema,
});

export const EnvelopeCursorSchema = z.strictObject({
  eventLineOffset: NonNegativeIntSchema,
  eventLineCount: NonNegativeIntSchema,
});

export const ArtifactRefSchema = z.strictObject({
  path: z.string().min(1),
  exists: z.boolean(),
  sizeBytes: NonNegativeIntSchema,
  lineCount: NonNegativeIntSchema,
  sha256: z.string().nullable(),
  mtimeEpoch: z.number().int().nullable(),
});
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

/**
 * Gates of the latest summary entry. Spec 11 lists six keys; the real runtime also writes
 * `lifecycle` (spec 10a §4.2), which is accepted so that a real run-summary validates.
 */
export const GatesSchema = z.strictObject({
  tests: z.string(),
  validation: z.string(),
  prerequisites: z.string(),
  checklist: z.string(),
  evidence: z.string(),
  approval: z.string(),
  lifecycle: z.string().optional(),
});
export type Gates = z.infer<typeof GatesSchema>;

export const StuckSchema = z.strictObject({
  streak: NonNegativeIntSchema,
  threshold: NonNegativeIntSchema,
});
export type Stuck = z.infer<typeof StuckSchema>;

export const SnapshotHealthSchema = z.strictObject({
  eventCount: NonNegativeIntSchema,
  lastEventAt: z.string().nullable(),
  lastEventName: z.string().nullable(),
  lastSummaryAt: z.string().nullable(),
  hasPendingApproval: z.boolean(),
  gates: GatesSchema.nullable(),
  stuck: StuckSchema.nullable(),
});
export type SnapshotHealth = z.infer<typeof SnapshotHealthSchema>;

export const LoopRunSnapshotSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  envelopeType: z.literal("loop_run_snapshot"),
  emittedAt: TimestampSchema,
  traceId: z.string().nullable().optional(),
  source: EnvelopeSourceSchema,
  run: z.strictObject({
    runId: z.string().min(1),
    iteration: NonNegativeIntSchema,
    status: RunStatusSchema,
    summary: JsonObjectSchema.nullable(),
  }),
  runtime: z.strictObject({
    superloopState: JsonObjectSchema.nullable(),
    activeRun: JsonObjectSchema.nullable(),
    approval: JsonObjectSchema.nullable(),
    heartbeat: JsonObjectSchema.nullable().optional(),
  }),
  artifacts: z.strictObject({
    events: ArtifactRefSchema,
    runSummary: ArtifactRefSchema,
    state: ArtifactRefSchema,
    activeRun: ArtifactRefSchema,
    approval: ArtifactRefSchema,
    heartbeat: ArtifactRefSchema.optional(),
  }),
  sequence: SequenceSchema,
  cursor: EnvelopeCursorSchema,
  health: SnapshotHealthSchema,
});
export type LoopRunSnapshot = z.infer<typeof LoopRunSnapshotSchema>;

export const LoopRunEventSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  envelopeType: z.literal("loop_run_event"),
  emittedAt: TimestampSchema,
  traceId: z.string().nullable().optional(),
  source: EnvelopeSourceSchema,
  sequence: SequenceSchema,
  cursor: EnvelopeCursorSchema,
  run: z.strictObject({
    runId: z.string().min(1),
    iteration: NonNegativeIntSchema,
  }),
  event: z.strictObject({
    timestamp: z.string(),
    name: z.string(),
    role: z.string().nullable(),
    status: z.string().nullable(),
    message: z.string().nullable(),
    payload: JsonObjectSchema.nullable(),
    raw: JsonObjectSchema,
  }),
});
export type LoopRunEvent = z.infer<typeof LoopRunEventSchema>;

/** Either envelope; `envelopeType` discriminates. */
export const ContractEnvelopeSchema = z.discriminatedUnion("envelopeType", [
  LoopRunSnapshotSchema,
  LoopRunEventSchema,
]);
export type ContractEnvelope = z.infer<typeof ContractEnvelopeSchema>;

/** Standalone poll cursor written by poll-events (spec 11 §5). Written indented. */
export const PollCursorSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  repoPath: z.string(),
  loopId: z.string(),
  eventsFile: z.string(),
  eventLineOffset: NonNegativeIntSchema,
  eventLineCount: NonNegativeIntSchema,
  updatedAt: TimestampSchema,
  /**
   * Additions beyond spec 11 (backward compatible): the byte offset just after the last consumed
   * line, so ingestion resumes in O(new bytes), and the identity of the file it belongs to, so a
   * truncated or replaced events file is detected instead of misread.
   */
  eventByteOffset: NonNegativeIntSchema.optional(),
  eventsFileIdentity: z
    .strictObject({ dev: z.number(), ino: z.number(), sizeBytes: NonNegativeIntSchema })
    .optional(),
});
export type PollCursor = z.infer<typeof PollCursorSchema>;
