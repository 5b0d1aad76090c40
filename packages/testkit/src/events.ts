/**
 * Shapes of the runtime artifacts as the real Superloop runtime writes them (spec 10a §1–2).
 * Shared by the driver and the workload generator so both emit identical lines.
 */
import type { Timestamp } from "@ops/contract";

export type JsonObject = { [key: string]: unknown };

/** One events.jsonl line. `role`/`status` are absent (never null) when empty. */
export interface RuntimeEvent {
  timestamp: Timestamp;
  event: string;
  loop_id: string;
  run_id: string;
  iteration: number;
  role?: string;
  status?: string;
  data: JsonObject;
}

export interface EventInput {
  timestamp: Timestamp;
  event: string;
  loopId: string;
  runId: string;
  iteration: number;
  role?: string | undefined;
  status?: string | undefined;
  data?: JsonObject | undefined;
}

/** Build an event with the runtime's key order, dropping empty role/status. */
export function buildEvent(input: EventInput): RuntimeEvent {
  return {
    timestamp: input.timestamp,
    event: input.event,
    loop_id: input.loopId,
    run_id: input.runId,
    iteration: input.iteration,
    ...(input.role !== undefined && input.role !== "" ? { role: input.role } : {}),
    ...(input.status !== undefined && input.status !== "" ? { status: input.status } : {}),
    data: input.data ?? {},
  };
}

export function eventLine(input: EventInput): string {
  return `${JSON.stringify(buildEvent(input))}\n`;
}

export const ROLES = ["planner", "implementer", "tester", "reviewer"] as const;

/** Gate phases after promise_checked, in runtime order; each emits `<gate>_start` / `<gate>_end`. */
export const GATE_PHASES = [
  "checklist",
  "tests",
  "validation",
  "prerequisites",
  "evidence",
  "lifecycle",
] as const;

export type GateValue =
  | "ok"
  | "failed"
  | "skipped"
  | "none"
  | "pending"
  | "approved"
  | "rejected"
  | (string & {});

/** The seven gate keys of a run-summary entry (spec 10a §1). */
export interface Gates {
  tests: GateValue;
  validation: GateValue;
  prerequisites: GateValue;
  checklist: GateValue;
  evidence: GateValue;
  lifecycle: GateValue;
  approval: GateValue;
}

export const DEFAULT_GATES: Readonly<Gates> = {
  tests: "ok",
  validation: "ok",
  prerequisites: "ok",
  checklist: "ok",
  evidence: "skipped",
  lifecycle: "skipped",
  approval: "none",
};

/** Normalise to the runtime's key order. */
export function gatesOf(partial: Partial<Gates> = {}): Gates {
  const g = { ...DEFAULT_GATES, ...partial };
  return {
    tests: g.tests,
    validation: g.validation,
    prerequisites: g.prerequisites,
    checklist: g.checklist,
    evidence: g.evidence,
    lifecycle: g.lifecycle,
    approval: g.approval,
  };
}

export interface PromiseCheck {
  expected: string;
  text: string | null;
  matched: boolean;
}

export interface SummaryArtifact {
  path: string;
  exists: boolean;
  sha256?: string;
  mtime?: number;
  gate?: string;
}

export interface RunSummaryEntry {
  run_id: string;
  iteration: number;
  started_at: Timestamp;
  ended_at: Timestamp;
  promise: PromiseCheck;
  tests_mode: string;
  gates: Gates;
  stuck: { streak: number; threshold: number };
  delegation: JsonObject;
  completion_ok: boolean;
  artifacts: Record<string, SummaryArtifact>;
}

export interface RunSummary {
  version: 1;
  loop_id: string;
  updated_at: Timestamp;
  entries: RunSummaryEntry[];
}

export interface RuntimeState {
  active: boolean;
  loop_index: number;
  iteration: number;
  current_loop_id: string;
  updated_at: Timestamp;
}

export interface ActiveRun {
  repo: string;
  pid: number;
  pgid: number;
  loop_id: string;
  iteration: number;
  stage: "run_start" | "loop_start";
  updated_at: Timestamp;
}

export interface PendingApproval {
  status: "pending" | "approved" | "rejected";
  loop_id: string;
  run_id: string;
  iteration: number;
  requested_at: Timestamp;
  iteration_started_at: Timestamp;
  iteration_ended_at: Timestamp;
  candidate: { promise: PromiseCheck; gates: Gates };
  files: Record<string, string>;
  [extra: string]: unknown;
}

export interface Heartbeat {
  schemaVersion: "v1";
  timestamp: Timestamp;
  source: string;
  status: string;
  stage: string;
  [extra: string]: unknown;
}

export const DEFAULT_PROMISE = "SUPERLOOP_COMPLETE";
