/**
 * Reading and guarding the envelopes project-state consumes (spec 12 §3): a `loop_run_snapshot`
 * file and an NDJSON file of `loop_run_event` envelopes. Messages are the spec's, verbatim.
 */
import { open, stat } from "node:fs/promises";
import {
  ContractError,
  forEachJsonlLine,
  isNotFoundError,
  type JsonObject,
  readJsonFile,
  ValidationError,
} from "@ops/contract";
import { isJsonObject } from "@ops/transport-local";
import type { IngestedEventBatch } from "./lifecycle.js";

export const SNAPSHOT_GUARD_MESSAGE = "snapshot envelope is invalid or loop id mismatch";
export const EVENT_GUARD_MESSAGE = "event envelope is invalid or loop id mismatch";

/** Snapshot guard: `schemaVersion == "v1"`, `envelopeType == "loop_run_snapshot"`, `source.loopId == loop`. */
export function isSnapshotEnvelopeFor(value: unknown, loopId: string): value is JsonObject {
  if (!isJsonObject(value)) return false;
  const source = value["source"];
  return (
    value["schemaVersion"] === "v1" &&
    value["envelopeType"] === "loop_run_snapshot" &&
    isJsonObject(source) &&
    source["loopId"] === loopId
  );
}

/** Event guard: v1, `loop_run_event`, `source.loopId == loop`, non-empty `event.name`. */
export function isEventEnvelopeFor(value: unknown, loopId: string): value is JsonObject {
  if (!isJsonObject(value)) return false;
  const source = value["source"];
  const event = value["event"];
  return (
    value["schemaVersion"] === "v1" &&
    value["envelopeType"] === "loop_run_event" &&
    isJsonObject(source) &&
    source["loopId"] === loopId &&
    isJsonObject(event) &&
    typeof event["name"] === "string" &&
    event["name"].length > 0
  );
}

export function assertSnapshotEnvelope(value: unknown, loopId: string): JsonObject {
  if (!isSnapshotEnvelopeFor(value, loopId)) throw new ContractError(SNAPSHOT_GUARD_MESSAGE);
  return value;
}

async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

/**
 * Read and guard `--snapshot-file`. `file` is the absolute path read; `shown` is the path as the
 * operator gave it, used in messages (acceptance tests match on it).
 */
export async function readSnapshotFile(
  file: string,
  loopId: string,
  shown: string = file,
): Promise<JsonObject> {
  if (!(await isRegularFile(file))) throw new ValidationError(`snapshot file not found: ${shown}`);
  // A manager-written file, not a runtime file: one read, no torn-read retries.
  const result = await readJsonFile(file, { retries: 0 });
  if (result.kind === "missing") throw new ValidationError(`snapshot file not found: ${shown}`);
  if (result.kind === "invalid") throw new ContractError(`invalid snapshot JSON: ${shown}`);
  return assertSnapshotEnvelope(result.value, loopId);
}

/**
 * Stream `--events-file` (it can be large): every non-empty line must be JSON and pass the event
 * guard; only the count and the last envelope are kept.
 *
 * Decisions where the spec is silent: a whitespace-only line counts as empty; a final line without
 * `\n` is part of the batch (this is a finished batch file, not a live log, so Q10-1 does not apply).
 */
export async function readEventEnvelopeFile(
  file: string,
  loopId: string,
  shown: string = file,
): Promise<IngestedEventBatch> {
  if (!(await isRegularFile(file))) throw new ValidationError(`events file not found: ${shown}`);
  let count = 0;
  let last: JsonObject | null = null;
  const visit = (text: string): void => {
    if (text.trim().length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ContractError(`invalid event envelope in ${shown}`);
    }
    if (!isEventEnvelopeFor(parsed, loopId)) throw new ContractError(EVENT_GUARD_MESSAGE);
    count += 1;
    last = parsed;
  };
  let position: { byte: number };
  try {
    position = await forEachJsonlLine(file, (text) => {
      visit(text);
    });
  } catch (error) {
    if (isNotFoundError(error)) throw new ValidationError(`events file not found: ${shown}`);
    throw error;
  }
  const tail = await readTail(file, position.byte);
  if (tail !== null) visit(tail);
  return { count, last };
}

/** The bytes after `from` (an unterminated final line), or null when there are none. */
async function readTail(file: string, from: number): Promise<string | null> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size <= from) return null;
    const bytes = Buffer.allocUnsafe(size - from);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, from + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return bytes.toString("utf8", 0, filled);
  } finally {
    await handle.close();
  }
}
