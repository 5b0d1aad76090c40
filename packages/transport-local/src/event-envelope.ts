/**
 * One runtime event line → one `loop_run_event` envelope (spec 11 §3). Each line is parsed once;
 * the envelope is built from the parsed object without further validation (the mapping below
 * only produces schema-valid values, which the tests check against LoopRunEventSchema).
 */
import { ContractError, type JsonObject, type LoopRunEvent } from "@ops/contract";
import { eventNameOf, isJsonObject, nonEmptyString, textField, toIteration } from "./values.js";

/** Values shared by every envelope of one poll. */
export interface EventEnvelopeFrame {
  readonly emittedAt: string;
  readonly traceId: string | null;
  readonly repoPath: string;
  readonly loopId: string;
  /** Newline count of events.jsonl at poll start. */
  readonly eventLineCount: number;
}

export interface ParsedEventLine {
  readonly raw: JsonObject;
  readonly name: string;
  readonly timestamp: string;
}

/**
 * Parse one non-empty line (spec 11 §5 step 4), failing closed with the spec's messages in the
 * spec's order: JSON → name → timestamp. A whitespace-only line is "not empty" and fails as a
 * missing name (as it did with jq, which parsed it to nothing). A JSON value that is not an object
 * has no name either. Name and timestamp must be non-empty strings.
 */
export function parseEventLine(text: string, lineNumber: number, eventsFile: string): ParsedEventLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.trim().length === 0) {
      throw new ContractError(`missing event name at line ${lineNumber} in ${eventsFile}`);
    }
    throw new ContractError(`invalid JSON event at line ${lineNumber} in ${eventsFile}`);
  }
  const name = eventNameOf(value);
  if (name === null || !isJsonObject(value)) {
    throw new ContractError(`missing event name at line ${lineNumber} in ${eventsFile}`);
  }
  const timestamp = nonEmptyString(value["timestamp"]);
  if (timestamp === null) {
    throw new ContractError(`missing event timestamp at line ${lineNumber} in ${eventsFile}`);
  }
  return { raw: value, name, timestamp };
}

/**
 * Build the envelope of a parsed line at physical line `lineNumber` (1-based).
 * - `run.runId`: `run_id` when a non-empty string, else "unknown".
 * - `run.iteration`: converted like the snapshot's (non-numeric → 0).
 * - `role` / `status` / `message`: empty/absent → null; objects as JSON text (Q11-6).
 * - `payload` = `data` when it is a JSON object, else null. `false` → null is the original's falsy
 *   coalescing (Q11-5, kept). Decision for other non-object `data` (array, string, number, true):
 *   null as well, because the contract's payload is `object | null`; the value is not lost, `raw`
 *   carries the line verbatim.
 */
export function buildEventEnvelope(
  line: ParsedEventLine,
  lineNumber: number,
  frame: EventEnvelopeFrame,
): LoopRunEvent {
  const { raw } = line;
  const data = raw["data"];
  return {
    schemaVersion: "v1",
    envelopeType: "loop_run_event",
    emittedAt: frame.emittedAt,
    traceId: frame.traceId,
    source: { repoPath: frame.repoPath, loopId: frame.loopId },
    sequence: { source: "cursor_event_line_offset", value: lineNumber },
    cursor: { eventLineOffset: lineNumber, eventLineCount: frame.eventLineCount },
    run: { runId: nonEmptyString(raw["run_id"]) ?? "unknown", iteration: toIteration(raw["iteration"]) },
    event: {
      timestamp: line.timestamp,
      name: line.name,
      role: textField(raw["role"]),
      status: textField(raw["status"]),
      message: textField(raw["message"]),
      payload: isJsonObject(data) ? data : null,
      raw,
    },
  };
}
