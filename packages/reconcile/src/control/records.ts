/**
 * The three control artifacts (spec 15 §3), built from one outcome and appended once per
 * invocation, in order: `<ops>/intents.jsonl`, `<ops>/telemetry/control.jsonl`,
 * `<ops>/telemetry/control-invocations.jsonl` — under the loop lock (appends only; the lock is
 * never held across the runtime command or the confirmation wait).
 */
import { appendJsonl, formatTimestamp, type OpsPaths, type WithLockOptions, withLock } from "@ops/contract";
import type { ControlIntentName, ControlTransport, ServiceAttemptRecord } from "./schemas.js";
import {
  type ConfirmationStatus,
  type ControlInvocation,
  ControlInvocationSchema,
  type ControlTelemetry,
  ControlTelemetrySchema,
  type ExecutionStatus,
  type IntentEntry,
  IntentEntrySchema,
} from "./schemas.js";

/** Everything about the request that the records carry. */
export interface ControlRequestFacts {
  readonly loopId: string;
  readonly intent: ControlIntentName;
  readonly traceId: string;
  readonly transport: ControlTransport;
  readonly requestedBy: string;
  /** "" = none (omitted). */
  readonly note: string;
  readonly idempotencyKey: string;
  readonly doConfirm: boolean;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  readonly retryAttempts: number;
  readonly retryBackoffSeconds: number;
}

/** What happened (either transport). */
export interface ControlOutcome {
  readonly status: string;
  readonly command: string;
  readonly exitCode: number;
  readonly confirmExitCode: number;
  readonly confirmed: boolean;
  /** "" = none (omitted). */
  readonly commandOutput: string;
  readonly confirm: Record<string, unknown> | null;
  readonly executionStatus: ExecutionStatus;
  readonly confirmationStatus: ConfirmationStatus;
  readonly confirmationAttempted: boolean;
  readonly replayed: boolean;
  /** sprite_service: every attempt of the request (audit `execution.attempts`). */
  readonly attempts?: readonly ServiceAttemptRecord[];
}

export type ControlReasonCode = "control_ambiguous" | "control_failed_command";

/** Spec 15 §2.3. */
export function controlReasonCode(status: string): ControlReasonCode | null {
  if (status === "ambiguous") return "control_ambiguous";
  if (status === "failed_command") return "control_failed_command";
  return null;
}

/** Spec 15 §2.4: 0 confirmed / executed_unconfirmed, 2 ambiguous, 1 anything else. */
export function controlExitCode(status: string): 0 | 1 | 2 {
  if (status === "confirmed" || status === "executed_unconfirmed") return 0;
  if (status === "ambiguous") return 2;
  return 1;
}

export interface ControlRecords {
  readonly intent: IntentEntry;
  readonly telemetry: ControlTelemetry;
  readonly invocation: ControlInvocation;
}

/** Build (and validate) the three records. `completedAt` / `startedAt` are epoch seconds. */
export function buildControlRecords(
  request: ControlRequestFacts,
  outcome: ControlOutcome,
  startedAt: number,
  completedAt: number,
): ControlRecords {
  const timestamp = formatTimestamp(completedAt);
  const started = formatTimestamp(startedAt);
  const durationSeconds = Math.max(0, Math.floor(completedAt) - Math.floor(startedAt));
  const reasonCode = controlReasonCode(outcome.status);
  const note = request.note.length > 0 ? { note: request.note } : {};
  const intent: IntentEntry = {
    timestamp,
    loopId: request.loopId,
    intent: request.intent,
    traceId: request.traceId,
    requestedBy: request.requestedBy,
    ...note,
    transport: request.transport,
    status: outcome.status,
    command: outcome.command,
    idempotencyKey: request.idempotencyKey,
    exitCode: outcome.exitCode,
    confirmExitCode: outcome.confirmExitCode,
    confirmed: outcome.confirmed,
    ...(outcome.commandOutput.length > 0 ? { commandOutput: outcome.commandOutput } : {}),
    ...(outcome.confirm === null ? {} : { confirm: outcome.confirm }),
  };
  const telemetry: ControlTelemetry = {
    timestamp,
    startedAt: started,
    loopId: request.loopId,
    intent: request.intent,
    traceId: request.traceId,
    transport: request.transport,
    status: outcome.status,
    ...(reasonCode === null ? {} : { reasonCode }),
    idempotencyKey: request.idempotencyKey,
    requestedBy: request.requestedBy,
    exitCode: outcome.exitCode,
    confirmExitCode: outcome.confirmExitCode,
    confirmed: outcome.confirmed,
    durationSeconds,
    retryAttempts: request.retryAttempts,
    retryBackoffSeconds: request.retryBackoffSeconds,
  };
  const invocation: ControlInvocation = {
    schemaVersion: "v1",
    timestamp,
    startedAt: started,
    loopId: request.loopId,
    intent: request.intent,
    traceId: request.traceId,
    transport: request.transport,
    requestedBy: request.requestedBy,
    ...note,
    idempotencyKey: request.idempotencyKey,
    request: {
      doConfirm: request.doConfirm,
      timeoutSeconds: request.timeoutSeconds,
      intervalSeconds: request.intervalSeconds,
      retryAttempts: request.retryAttempts,
      retryBackoffSeconds: request.retryBackoffSeconds,
    },
    execution: {
      status: outcome.executionStatus,
      exitCode: outcome.exitCode,
      command: outcome.command,
      ...(outcome.commandOutput.length > 0 ? { output: outcome.commandOutput } : {}),
      replayed: outcome.replayed,
      ...(outcome.attempts === undefined ? {} : { attempts: [...outcome.attempts] }),
    },
    confirmation: {
      attempted: outcome.confirmationAttempted,
      status: outcome.confirmationStatus,
      exitCode: outcome.confirmExitCode,
      ...(outcome.confirm === null ? {} : { outcome: outcome.confirm }),
    },
    outcome: {
      status: outcome.status,
      confirmed: outcome.confirmed,
      ...(reasonCode === null ? {} : { reasonCode }),
      durationSeconds,
    },
  };
  // Validate what we are about to write; parse() keeps our key order (it returns a copy in order).
  IntentEntrySchema.parse(intent);
  ControlTelemetrySchema.parse(telemetry);
  ControlInvocationSchema.parse(invocation);
  return { intent, telemetry, invocation };
}

/** Append the three records (in the spec's order) while holding the loop lock. */
export async function appendControlRecords(
  ops: OpsPaths,
  records: ControlRecords,
  lock: WithLockOptions = {},
): Promise<void> {
  await withLock(
    ops.lock,
    async () => {
      await appendJsonl(ops.intents, records.intent);
      await appendJsonl(ops.telemetry.control, records.telemetry);
      await appendJsonl(ops.telemetry.controlInvocations, records.invocation);
    },
    lock,
  );
}
