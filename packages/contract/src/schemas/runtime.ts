/**
 * Runtime artifacts (spec 10 §2, 10a §1–2): files the Superloop runtime writes under `.superloop/`.
 * The manager reads them and never writes them, so the schemas are permissive: extra keys are
 * allowed (spec 10a §4.2) and fields the runtime may leave out are optional. They document what the
 * manager relies on and give typed access to it; they are not a gate the runtime must pass.
 */
import { z } from "zod";
import { JsonObjectSchema } from "./common.js";

/** Iteration as the runtime writes it; numeric strings are tolerated (spec 11 §2.1). */
const RuntimeIterationSchema = z.union([z.number(), z.string()]);

/** One line of `.superloop/loops/<loop>/events.jsonl`. Name is `event`, falling back to `type`. */
export const RuntimeEventLineSchema = z.looseObject({
  timestamp: z.string().optional(),
  event: z.string().optional(),
  type: z.string().optional(),
  loop_id: z.string().optional(),
  run_id: z.string().optional(),
  iteration: RuntimeIterationSchema.optional(),
  role: z.string().optional(),
  status: z.string().optional(),
  message: z.unknown().optional(),
  data: z.unknown().optional(),
});
export type RuntimeEventLine = z.infer<typeof RuntimeEventLineSchema>;

/** Gate results of one iteration; the real runtime writes seven keys (incl. `lifecycle`). */
export const RuntimeGatesSchema = z.looseObject({
  tests: z.string().optional(),
  validation: z.string().optional(),
  prerequisites: z.string().optional(),
  checklist: z.string().optional(),
  evidence: z.string().optional(),
  lifecycle: z.string().optional(),
  approval: z.string().optional(),
});

export const RuntimeStuckSchema = z.looseObject({
  streak: z.number().optional(),
  threshold: z.number().optional(),
});

export const RunSummaryEntrySchema = z.looseObject({
  run_id: z.string().optional(),
  iteration: RuntimeIterationSchema.optional(),
  started_at: z.string().optional(),
  ended_at: z.string().optional(),
  gates: RuntimeGatesSchema.nullable().optional(),
  stuck: RuntimeStuckSchema.nullable().optional(),
  completion_ok: z.boolean().optional(),
  promise: JsonObjectSchema.nullable().optional(),
  tests_mode: z.string().optional(),
  delegation: z.unknown().optional(),
  artifacts: JsonObjectSchema.optional(),
});
export type RunSummaryEntry = z.infer<typeof RunSummaryEntrySchema>;

/** `.superloop/loops/<loop>/run-summary.json`; only the last entry is used (spec 10 §2.2). */
export const RunSummarySchema = z.looseObject({
  version: z.number().optional(),
  loop_id: z.string().optional(),
  updated_at: z.string().optional(),
  entries: z.array(RunSummaryEntrySchema).optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** `.superloop/state.json`: one per repository; deleted by `cancel` (spec 10 §2.3, 10a §1). */
export const SuperloopStateSchema = z.looseObject({
  active: z.boolean().optional(),
  loop_index: z.number().optional(),
  iteration: RuntimeIterationSchema.optional(),
  current_loop_id: z.string().optional(),
  updated_at: z.string().optional(),
});
export type SuperloopState = z.infer<typeof SuperloopStateSchema>;

/** `.superloop/active-run.json`: the registered run process (spec 10 §2.4, 10a §1). */
export const ActiveRunSchema = z.looseObject({
  repo: z.string().optional(),
  pid: z.number().optional(),
  pgid: z.number().optional(),
  loop_id: z.string().optional(),
  iteration: RuntimeIterationSchema.optional(),
  stage: z.string().optional(),
  updated_at: z.string().optional(),
});
export type ActiveRun = z.infer<typeof ActiveRunSchema>;

export const ApprovalStatusSchema = z.enum(["pending", "approved", "rejected"]);

/** `.superloop/loops/<loop>/approval.json` (spec 10 §2.5, 10a §1). */
export const ApprovalSchema = z.looseObject({
  status: z.string().optional(),
  loop_id: z.string().optional(),
  run_id: z.string().optional(),
  iteration: RuntimeIterationSchema.optional(),
  requested_at: z.string().optional(),
  decision: z
    .looseObject({
      status: z.string().optional(),
      by: z.string().optional(),
      note: z.string().nullable().optional(),
      at: z.string().optional(),
    })
    .optional(),
  decided_at: z.string().optional(),
  decided_by: z.string().optional(),
  decided_note: z.string().nullable().optional(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** `.superloop/loops/<loop>/decisions.jsonl` line (spec 10a §1). */
export const DecisionLineSchema = z.looseObject({
  timestamp: z.string(),
  loop_id: z.string(),
  run_id: z.string().optional(),
  iteration: RuntimeIterationSchema.optional(),
  decision: z.string(),
  by: z.string(),
  note: z.string().optional(),
  approval_file: z.string().optional(),
});
export type DecisionLine = z.infer<typeof DecisionLineSchema>;

/** `.superloop/loops/<loop>/heartbeat.v1.json`: optional; the real runtime never writes it (10a §1). */
export const RuntimeHeartbeatSchema = z.looseObject({
  schemaVersion: z.string().optional(),
  timestamp: z.string().optional(),
  updatedAt: z.string().optional(),
  source: z.string().optional(),
  status: z.string().optional(),
  stage: z.string().optional(),
});
export type RuntimeHeartbeat = z.infer<typeof RuntimeHeartbeatSchema>;
