import { formatTimestamp, parseTimestamp, type Timestamp } from "@ops/contract";

/** A point in time: strict timestamp string, Date, or epoch seconds. */
export type TimeInput = Timestamp | Date | number;

export const DEFAULT_START: Timestamp = "2026-02-22T10:00:00Z";

/** Epoch seconds of a TimeInput; throws on a non-strict timestamp so fixtures never drift silently. */
export function toEpochSeconds(value: TimeInput): number {
  if (typeof value === "number") return Math.floor(value);
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  const parsed = parseTimestamp(value);
  if (parsed === null) throw new Error(`not a strict UTC timestamp (YYYY-MM-DDTHH:MM:SSZ): ${value}`);
  return parsed;
}

/**
 * The clock every simulated artifact takes its timestamps from.
 * `next()` returns the current instant and then advances by the step, so consecutive events are
 * strictly ordered; `peek()` reads without advancing (used for file `updated_at` fields).
 */
export interface SimClock {
  peek(): Timestamp;
  peekEpoch(): number;
  next(): Timestamp;
  advance(seconds: number): void;
  set(at: TimeInput): void;
}

export interface ManualClockOptions {
  start?: TimeInput;
  /** Seconds added by every `next()`; default 1. */
  stepSeconds?: number;
}

/** Deterministic clock: same calls → same timestamps. */
export function createManualClock(options: ManualClockOptions = {}): SimClock {
  let current = toEpochSeconds(options.start ?? DEFAULT_START);
  const step = options.stepSeconds ?? 1;
  if (!Number.isInteger(step) || step < 0)
    throw new Error(`stepSeconds must be a non-negative integer: ${step}`);
  return {
    peek: () => formatTimestamp(current),
    peekEpoch: () => current,
    next: () => {
      const at = current;
      current += step;
      return formatTimestamp(at);
    },
    advance: (seconds) => {
      current += Math.floor(seconds);
    },
    set: (at) => {
      current = toEpochSeconds(at);
    },
  };
}

/**
 * Wall clock (plus an adjustable offset), for demos and tests that compare against the real "now"
 * (e.g. ingest lag computed without `--now`).
 */
export function createSystemClock(offsetSeconds = 0): SimClock {
  let offset = Math.floor(offsetSeconds);
  const now = () => Math.floor(Date.now() / 1000) + offset;
  return {
    peek: () => formatTimestamp(now()),
    peekEpoch: now,
    next: () => formatTimestamp(now()),
    advance: (seconds) => {
      offset += Math.floor(seconds);
    },
    set: (at) => {
      offset = toEpochSeconds(at) - Math.floor(Date.now() / 1000);
    },
  };
}
