/**
 * Strict timestamps (spec 10 §1.4): UTC `YYYY-MM-DDTHH:MM:SSZ`, whole seconds, literal `Z`.
 * Anything else (fractions, offsets, missing Z, instants before 1970) is "unparseable".
 */
const STRICT_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

export type Timestamp = string;

/** Parse a strict timestamp to epoch seconds; `null` when unparseable. Never throws. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const match = STRICT_TIMESTAMP.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(ms);
  // Reject calendar overflow such as 2026-02-30 (Date.UTC would roll it into March).
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  if (ms < 0) return null;
  return ms / 1000;
}

export function isTimestamp(value: unknown): value is Timestamp {
  return parseTimestamp(value) !== null;
}

/** Format a Date or epoch seconds as a strict timestamp (fractional seconds are truncated). */
export function formatTimestamp(value: Date | number): Timestamp {
  const ms = typeof value === "number" ? Math.floor(value) * 1000 : Math.floor(value.getTime() / 1000) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Source of "now"; injected so tests and replays are deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function nowTimestamp(clock: Clock = systemClock): Timestamp {
  return formatTimestamp(clock.now());
}

export function nowEpochSeconds(clock: Clock = systemClock): number {
  return Math.floor(clock.now().getTime() / 1000);
}

/** Lag in whole seconds, `later - earlier`, clamped to >= 0 (spec 10 §1.4). */
export function lagSeconds(laterEpoch: number, earlierEpoch: number): number {
  return Math.max(0, Math.floor(laterEpoch) - Math.floor(earlierEpoch));
}
