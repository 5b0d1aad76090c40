/**
 * The per-loop manager state file `<ops>/state.json` (spec 12 §3.5, spec 13 §6).
 *
 * project-state writes the lifecycle projection (every key of the spec 12 §3.5 table, closed);
 * reconcile later adds `health`, `trace`, `sequence`, `drift` and `tuning` to the same file. Those
 * five sections are owned by other steps and are loose objects here until their schemas exist.
 *
 * Defined in @ops/reconcile (not @ops/contract) while the lifecycle issue is in flight.
 */
import { JsonObjectSchema, NonNegativeIntSchema, RunStatusSchema, TimestampSchema } from "@ops/contract";
import { z } from "zod";

/** `transition.confidence` (spec 12 §3.4). */
export const LifecycleConfidenceSchema = z.enum(["high", "medium", "low"]);
export type LifecycleConfidence = z.infer<typeof LifecycleConfidenceSchema>;

export const DivergenceFlagsSchema = z.strictObject({
  activeMismatch: z.boolean(),
  approvalCompletionConflict: z.boolean(),
  cursorRegression: z.boolean(),
});
export type DivergenceFlags = z.infer<typeof DivergenceFlagsSchema>;

const lifecycleShape = {
  schemaVersion: z.literal("v1"),
  generatedAt: TimestampSchema,
  /** The local repo path (not the snapshot's `source.repoPath`) and the loop. */
  source: z.strictObject({
    repoPath: z.string().min(1),
    loopId: z.string().min(1),
  }),
  run: z.strictObject({
    runId: z.string().min(1),
    iteration: NonNegativeIntSchema,
  }),
  transition: z.strictObject({
    /** The previous projection's `currentState`, or `"none"` when there was none. */
    previousState: z.string().min(1),
    /** `event:<name>` (batch had events) or `snapshot_status:<state>` (spec 12 §3.2). */
    triggeringSignal: z.string().regex(/^(event|snapshot_status):./),
    currentState: RunStatusSchema,
    confidence: LifecycleConfidenceSchema,
  }),
  projection: z.strictObject({
    status: RunStatusSchema,
    hasPendingApproval: z.boolean(),
    completionOk: z.boolean(),
    /** Snapshot `health.gates`, passed through (the real runtime adds a `lifecycle` gate). */
    gates: JsonObjectSchema.nullable(),
    /** Snapshot `health.stuck`, passed through. */
    stuck: JsonObjectSchema.nullable(),
    /**
     * Spec table: `true | null` — `false` is written as `null` (quirk Q12-2, parity default).
     * `false` is admitted so that the opt-in careful mode (real boolean) validates too; readers
     * must treat anything but `true` as "not active".
     */
    active: z.boolean().nullable(),
    /** Snapshot `health.lastEventName`: final line of the whole log, not of the batch (Q12-5). */
    lastEventName: z.string().nullable(),
    lastEventAt: z.string().nullable(),
  }),
  /** The snapshot's cursor (= total line count of events.jsonl), not the poll cursor. */
  cursor: z.strictObject({
    eventLineOffset: NonNegativeIntSchema,
    eventLineCount: NonNegativeIntSchema,
  }),
  divergence: z.strictObject({
    any: z.boolean(),
    flags: DivergenceFlagsSchema,
  }),
  evidence: z.strictObject({
    /** Absolute path of the snapshot file the projection used (never a deleted temp file). */
    snapshotFile: z.string().min(1),
    eventsFile: z.string().min(1).nullable(),
    snapshotEnvelope: z.strictObject({
      runStatus: z.string(),
      lastEventName: z.string().nullable(),
      hasPendingApproval: z.boolean(),
    }),
    /** The full last `loop_run_event` envelope of the batch, or null for an empty batch. */
    lastEventEnvelope: JsonObjectSchema.nullable(),
  }),
};

/** Exactly what project-state writes and prints (spec 12 §3.5). */
export const LifecycleProjectionSchema = z.strictObject(lifecycleShape);
export type LifecycleProjection = z.infer<typeof LifecycleProjectionSchema>;

/**
 * `<ops>/state.json` as any writer may leave it: the projection plus the sections reconcile merges
 * in (spec 13 §6). Loose until health/sequence/drift/tuning get their own schemas.
 */
export const LoopStateFileSchema = z.strictObject({
  ...lifecycleShape,
  health: z.looseObject({}).optional(),
  trace: z.looseObject({}).optional(),
  sequence: z.looseObject({}).optional(),
  drift: z.looseObject({}).optional(),
  tuning: z.looseObject({}).optional(),
});
export type LoopStateFile = z.infer<typeof LoopStateFileSchema>;
