/**
 * Spec 13 §5.3: sequence diagnostics (ordering drift). The batch is observed one envelope at a time
 * (`EventSequenceTracker`), so the diagnostics need O(1) memory however large the batch is;
 * `evaluateSequence` then combines the batch summary with the snapshot and the previous state.
 *
 * Quirk Q13-4, careful form (both switches default on):
 * - carry forward: an idle cycle stores `events.last = null`; the next cycle's across-batch baseline
 *   falls back to that state's `events.previousLast` (itself the carried baseline), so the check is
 *   never silently skipped after idle cycles. No field changes meaning or shape.
 * - replay reset: on an explicit replay (`--from-start`) the across-batch baseline is reset (the
 *   batch legitimately starts again at line 1), so re-reading an unchanged log is not drift — unless
 *   the log actually shrank (snapshot line count below the previous snapshot value or below the
 *   previous last event line): then the regression is still reported.
 */
import type { JsonObject, Timestamp } from "@ops/contract";
import type {
  SequenceEvents,
  SequenceSnapshot,
  SequenceState,
  SequenceTelemetryRow,
  SequenceViolationCode,
  Transport,
} from "./schemas.js";
import { field, isJsonObject, nonNegativeIntegerOrNull, objectField } from "./util.js";

/** The batch as sequence diagnostics need it (step 2). */
export interface EventSequenceSummary {
  readonly ingestedCount: number;
  readonly first: number | null;
  readonly last: number | null;
  readonly monotonicWithinBatch: boolean;
  readonly missing: boolean;
}

/** Streams the batch: feed every non-empty envelope, in order, to `observe`. */
export class EventSequenceTracker implements EventSequenceSummary {
  ingestedCount = 0;
  first: number | null = null;
  last: number | null = null;
  monotonicWithinBatch = true;
  missing = false;

  observe(envelope: unknown): void {
    this.ingestedCount += 1;
    const value = nonNegativeIntegerOrNull(field(field(envelope, "sequence"), "value"));
    if (value === null) {
      this.missing = true;
      return;
    }
    if (this.first === null) this.first = value;
    if (this.last !== null && value < this.last) this.monotonicWithinBatch = false;
    this.last = value;
  }

  summary(): EventSequenceSummary {
    return {
      ingestedCount: this.ingestedCount,
      first: this.first,
      last: this.last,
      monotonicWithinBatch: this.monotonicWithinBatch,
      missing: this.missing,
    };
  }
}

export const EMPTY_SEQUENCE_SUMMARY: EventSequenceSummary = Object.freeze({
  ingestedCount: 0,
  first: null,
  last: null,
  monotonicWithinBatch: true,
  missing: false,
});

export interface SequenceQuirkOptions {
  /** Q13-4: carry the last known event sequence across idle cycles (default true). */
  readonly carryForwardEventSequence?: boolean;
  /** Q13-4: reset the across-batch baseline on `--from-start` unless the log shrank (default true). */
  readonly resetBaselineOnReplay?: boolean;
}

export interface SequenceEvaluationInput {
  /** Previous `sequence-state.json` content (invalid → `{}`). */
  readonly previous: unknown;
  /** `snapshot.sequence.value` of the ingested snapshot (any value; validated here). */
  readonly snapshotSequence: unknown;
  readonly events: EventSequenceSummary;
  /** This run is an explicit replay (`--from-start`). */
  readonly replay: boolean;
  readonly now: Timestamp;
  readonly loopId: string;
  readonly traceId: string | null;
  readonly transport: Transport;
  readonly quirks?: SequenceQuirkOptions;
}

export interface SequenceEvaluation {
  readonly state: SequenceState;
  readonly telemetry: SequenceTelemetryRow;
  readonly transitionedToDrift: boolean;
  readonly recoveredFromDrift: boolean;
}

const VIOLATION_ORDER: readonly SequenceViolationCode[] = [
  "event_sequence_missing",
  "event_sequence_non_monotonic",
  "event_sequence_regression",
  "snapshot_sequence_missing",
  "snapshot_sequence_regression",
];

/** The previous cycle's across-batch baseline (see the module comment for carry-forward). */
export function previousEventBaseline(previous: unknown, carryForward: boolean): number | null {
  const events = objectField(previous, "events");
  const last = nonNegativeIntegerOrNull(events?.["last"]);
  if (last !== null || !carryForward) return last;
  return nonNegativeIntegerOrNull(events?.["previousLast"]);
}

export function evaluateSequence(input: SequenceEvaluationInput): SequenceEvaluation {
  const carryForward = input.quirks?.carryForwardEventSequence ?? true;
  const resetOnReplay = input.quirks?.resetBaselineOnReplay ?? true;
  const previous: JsonObject = isJsonObject(input.previous) ? input.previous : {};
  const prevSnapshot = nonNegativeIntegerOrNull(field(previous["snapshot"], "current"));
  const prevDriftActive = previous["driftActive"] === true;
  let prevEventLast = previousEventBaseline(previous, carryForward);

  // 1. snapshot
  const current = nonNegativeIntegerOrNull(input.snapshotSequence);
  const snapshotMissing = current === null;
  const snapshotRegressed = current !== null && prevSnapshot !== null && current < prevSnapshot;
  const snapshot: SequenceSnapshot = {
    previous: prevSnapshot,
    current,
    monotonic: !snapshotMissing && !snapshotRegressed,
    regressed: snapshotRegressed,
    missing: snapshotMissing,
  };

  // Q13-4: an explicit replay of a log that did not shrink starts a new baseline.
  if (input.replay && resetOnReplay && prevEventLast !== null) {
    const shrank =
      current !== null && ((prevSnapshot !== null && current < prevSnapshot) || current < prevEventLast);
    if (!shrank) prevEventLast = null;
  }

  // 2–3. events
  const batch = input.events;
  const monotonicAcrossBatches = !(
    batch.first !== null &&
    prevEventLast !== null &&
    batch.first < prevEventLast
  );
  const events: SequenceEvents = {
    ingestedCount: batch.ingestedCount,
    previousLast: prevEventLast,
    first: batch.first,
    last: batch.last,
    monotonicWithinBatch: batch.monotonicWithinBatch,
    monotonicAcrossBatches,
    regressed: !batch.monotonicWithinBatch || !monotonicAcrossBatches,
    missing: batch.missing,
  };

  // 4. violations (deduplicated, sorted ascending)
  const found = new Set<SequenceViolationCode>();
  if (snapshot.missing) found.add("snapshot_sequence_missing");
  if (snapshot.regressed) found.add("snapshot_sequence_regression");
  if (events.missing) found.add("event_sequence_missing");
  if (!events.monotonicWithinBatch) found.add("event_sequence_non_monotonic");
  if (!events.monotonicAcrossBatches) found.add("event_sequence_regression");
  const violations = VIOLATION_ORDER.filter((code) => found.has(code));

  // 5–6. status and transition
  const driftActive = violations.length > 0;
  const transition = {
    previousDriftActive: prevDriftActive,
    transitionedToDrift: !prevDriftActive && driftActive,
    recoveredFromDrift: prevDriftActive && !driftActive,
  };
  const trace = input.traceId === null || input.traceId === "" ? {} : { traceId: input.traceId };
  const drift = driftActive
    ? { status: "ordering_drift_detected" as const, reasonCode: "ordering_drift_detected" as const }
    : { status: "ok" as const };

  const state: SequenceState = {
    schemaVersion: "v1",
    updatedAt: input.now,
    loopId: input.loopId,
    ...trace,
    transport: input.transport,
    ...drift,
    driftActive,
    violations,
    snapshot,
    events,
    transition,
  };
  const telemetry: SequenceTelemetryRow = {
    timestamp: input.now,
    loopId: input.loopId,
    ...trace,
    transport: input.transport,
    category: "envelope_sequence",
    ...drift,
    driftActive,
    violations: [...violations],
    snapshot: { ...snapshot },
    events: { ...events },
    transition: { ...transition },
  };
  return {
    state,
    telemetry,
    transitionedToDrift: transition.transitionedToDrift,
    recoveredFromDrift: transition.recoveredFromDrift,
  };
}
