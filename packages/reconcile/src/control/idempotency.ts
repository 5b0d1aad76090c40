/**
 * Idempotent replay of a local control (careful version of spec 15 §5 / Q15-7).
 *
 * The spec's local transport has no idempotency: every invocation runs the runtime command, and the
 * generated key is recorded but meaningless. Callers that pass their own `--idempotency-key` (fleet
 * handoff derives one per trace/loop/intent precisely so that "the per-loop control layer can
 * recognise duplicate dispatches", spec 24 §3.2/§10) would still cancel or approve twice. So:
 *
 * - Only a **caller-supplied** key is looked up; generated keys (`<intent>-<epoch>-<pid>`, which can
 *   collide, Q15-7) never replay.
 * - The lookup reads `<ops>/intents.jsonl` (this loop's log) for the **last** entry with that key
 *   and `transport: "local"`. Keys recorded by the sprite-service transport belong to the service's
 *   own idempotency store (16 §4) and are not replayed locally — so the outage playbook (switch to
 *   `--transport local` after the service failed) can retry.
 * - Every recorded entry is a terminal outcome (confirmed, executed_unconfirmed, ambiguous,
 *   failed_command), so any match replays, like the service replays any stored response (16 §3.4):
 *   the runtime command is **not** run again and no confirmation is attempted. The replay is
 *   recorded like the service-side replay: three new records whose outcome fields (status,
 *   command, exit codes, confirmed, commandOutput, confirm) are the original's, whose request
 *   fields (timestamp, traceId, requestedBy, note, request.*) are this invocation's, and
 *   `execution.replayed: true`; the exit code follows the replayed status (0/2/1). To retry after
 *   `ambiguous`/`failed_command`, use a new key.
 * - A key first used for a different intent is a conflict (Q16-3 careful): exit 1, nothing is
 *   executed or written.
 * - The check runs under the per-loop control lock (see control.ts), so two concurrent calls with
 *   one key execute once: the second waits, then replays the first's entry.
 */
import { isJsonObject, isNotFoundError, readJsonlLines } from "@ops/contract";
import type { ControlOutcome } from "./records.js";
import { confirmationStatusFor, executionStatusFor } from "./service.js";

/** The fields of a recorded local intent entry that a replay needs. */
export interface RecordedIntent {
  readonly intent: string;
  readonly status: string;
  readonly command: string;
  readonly exitCode: number;
  readonly confirmExitCode: number;
  readonly confirmed: boolean;
  readonly commandOutput: string;
  readonly confirm: Record<string, unknown> | null;
}

function nonNegativeInteger(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** The last local entry of `intentsFile` recorded under `key`, or null. Unparseable lines are skipped. */
export async function findRecordedLocalIntent(
  intentsFile: string,
  key: string,
): Promise<RecordedIntent | null> {
  let found: RecordedIntent | null = null;
  try {
    for await (const line of readJsonlLines(intentsFile)) {
      // Cheap pre-filter: the key must appear in the line's text.
      if (!line.text.includes(JSON.stringify(key).slice(1, -1))) continue;
      let entry: unknown;
      try {
        entry = JSON.parse(line.text);
      } catch {
        continue;
      }
      if (!isJsonObject(entry) || entry["idempotencyKey"] !== key || entry["transport"] !== "local") continue;
      const { intent, status, command } = entry;
      if (typeof intent !== "string" || typeof status !== "string" || status.length === 0) continue;
      found = {
        intent,
        status,
        command: typeof command === "string" && command.length > 0 ? command : "(unknown)",
        exitCode: nonNegativeInteger(entry["exitCode"]),
        confirmExitCode: nonNegativeInteger(entry["confirmExitCode"]),
        confirmed: entry["confirmed"] === true,
        commandOutput: typeof entry["commandOutput"] === "string" ? entry["commandOutput"] : "",
        confirm: isJsonObject(entry["confirm"]) ? entry["confirm"] : null,
      };
    }
  } catch (error) {
    if (isNotFoundError(error)) return null;
    throw error;
  }
  return found;
}

/** The outcome a replay records (see the module comment). */
export function replayOutcome(recorded: RecordedIntent): ControlOutcome {
  return {
    status: recorded.status,
    command: recorded.command,
    exitCode: recorded.exitCode,
    confirmExitCode: recorded.confirmExitCode,
    confirmed: recorded.confirmed,
    commandOutput: recorded.commandOutput,
    confirm: recorded.confirm,
    executionStatus: executionStatusFor(recorded.status),
    confirmationStatus: confirmationStatusFor(recorded.status, recorded.confirm !== null),
    // As a service replay records it (spec 15 §2.2 step 4): the original's confirm payload decides.
    confirmationAttempted: recorded.confirm !== null,
    replayed: true,
  };
}
