/**
 * `ops-manager fleet status --format table`: a short operator view of the status document (JSON
 * stays the default). A header (fleet status and reason codes, result and health rollups, last
 * update and trace, autonomy posture when there is policy/handoff state), then one row per loop:
 * loop id, transport, lifecycle, health, reason, age.
 *
 * Lifecycle and age need the loop's own state file (`artifacts.stateFile`): `readFleetStatusLoopDetails`
 * reads those (the only I/O here); `renderFleetStatusTable` is pure. ANSI colour only when the
 * caller asks (the CLI decides: stdout is a TTY and `NO_COLOR` is unset). Values coming from
 * artifacts are stripped of control characters, so `color: false` output never contains ESC.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  type Cell,
  formatColumns,
  formatDuration,
  isJsonObject,
  labelledLine,
  parseTimestamp,
  sanitize,
  type Tone,
  terminal,
  toneClassifier,
} from "@ops/contract";
import PQueue from "p-queue";
import type { FleetStatusDocument } from "./schemas.js";

/** What the table shows of a loop beyond the status document. */
export interface FleetStatusLoopDetail {
  /** The loop's projected lifecycle (`transition.currentState`, else `projection.status`). */
  readonly lifecycle: string | null;
  /** When the loop's state file was last written (its `generatedAt`). */
  readonly updatedAt: string | null;
}

export interface FleetStatusTableOptions {
  readonly color: boolean;
  /** "Now" for the ages (default: the document's `generatedAt`). */
  readonly now?: Date;
  /** Per-loop details, aligned with `document.loops` (see readFleetStatusLoopDetails). */
  readonly loopDetails?: readonly (FleetStatusLoopDetail | undefined)[];
}

/** Loop state files larger than this are not read for the table (they are a few KiB). */
const MAX_LOOP_STATE_BYTES = 8 * 1024 * 1024;
const NO_DETAIL: FleetStatusLoopDetail = { lifecycle: null, updatedAt: null };

async function readLoopDetail(file: string | null, repoPath: string): Promise<FleetStatusLoopDetail> {
  if (file === null || file === "") return NO_DETAIL;
  const target = path.resolve(repoPath, file);
  try {
    const info = await stat(target);
    if (!info.isFile() || info.size > MAX_LOOP_STATE_BYTES) return NO_DETAIL;
    const value: unknown = JSON.parse(await readFile(target, "utf8"));
    if (!isJsonObject(value)) return NO_DETAIL;
    const transition = isJsonObject(value["transition"]) ? value["transition"] : {};
    const projection = isJsonObject(value["projection"]) ? value["projection"] : {};
    const current = transition["currentState"];
    const status = projection["status"];
    const generatedAt = value["generatedAt"];
    return {
      lifecycle: typeof current === "string" ? current : typeof status === "string" ? status : null,
      updatedAt: typeof generatedAt === "string" ? generatedAt : null,
    };
  } catch {
    // Missing, unreadable or torn: the table shows "—"; status itself never fails on it.
    return NO_DETAIL;
  }
}

/**
 * Read every loop's state file (`artifacts.stateFile`, relative paths against the repo) for the
 * table's lifecycle and age columns; a loop whose file is missing or unreadable gets nulls.
 * At most 8 files are read at once.
 */
export async function readFleetStatusLoopDetails(
  document: FleetStatusDocument,
): Promise<FleetStatusLoopDetail[]> {
  const queue = new PQueue({ concurrency: 8 });
  return Promise.all(
    document.loops.map((loop) =>
      queue.add(() => readLoopDetail(loop.artifacts.stateFile, document.source.repoPath), {
        throwOnTimeout: true,
      }),
    ),
  );
}

/** Tone of a status word. */
export const statusTone = toneClassifier({
  good: ["healthy", "success", "running", "complete", "active", "not_required"],
  warn: ["degraded", "skipped", "partial_failure", "awaiting_approval", "stopped", "idle", "review_due_soon"],
  bad: ["critical", "failed", "authority_missing", "review_deadline_missing", "review_expired"],
  muted: ["unknown"],
});

const NONE = "—";
const LABEL_WIDTH = 10;

/** Render the document as a header plus one aligned row per loop; ends with `\n`. */
export function renderFleetStatusTable(
  document: FleetStatusDocument,
  options: FleetStatusTableOptions,
): string {
  const term = terminal(options.color);
  const paint = term.paint;
  const word = (value: string | null | undefined) =>
    value === null || value === undefined ? paint(NONE, "muted") : paint(sanitize(value), statusTone(value));
  const kv = (key: string, value: string | number) => `${paint(key, "muted")} ${sanitize(String(value))}`;
  const nowEpoch =
    options.now !== undefined
      ? Math.floor(options.now.getTime() / 1000)
      : (parseTimestamp(document.generatedAt) ?? 0);
  const ageOf = (timestamp: string | null | undefined): string | null => {
    const epoch = parseTimestamp(timestamp);
    return epoch === null ? null : formatDuration(nowEpoch - epoch);
  };

  const lines: string[] = [];
  const row = (label: string, ...parts: (string | null)[]) => {
    lines.push(labelledLine(term, label, LABEL_WIDTH, parts));
  };

  const { fleet, healthRollup: health } = document;
  row(
    "fleet",
    sanitize(document.source.fleetId === "" ? NONE : document.source.fleetId),
    word(fleet.status),
    fleet.reasonCodes.length === 0
      ? paint("no reason codes", "muted")
      : paint(sanitize(fleet.reasonCodes.join(", ")), statusTone(fleet.status)),
  );
  row(
    "loops",
    sanitize(String(fleet.loopCount)),
    kv("success", fleet.successCount),
    fleet.failedCount > 0 ? paint(`failed ${fleet.failedCount}`, "bad") : kv("failed", fleet.failedCount),
    fleet.skippedCount > 0
      ? paint(`skipped ${fleet.skippedCount}`, "warn")
      : kv("skipped", fleet.skippedCount),
  );
  row(
    "health",
    paint(`healthy ${health.healthy}`, health.healthy > 0 ? "good" : "muted"),
    paint(`degraded ${health.degraded}`, health.degraded > 0 ? "warn" : "muted"),
    paint(`critical ${health.critical}`, health.critical > 0 ? "bad" : "muted"),
    paint(`unknown ${health.unknown}`, "muted"),
  );
  const updatedAge = ageOf(fleet.updatedAt);
  row(
    "updated",
    fleet.updatedAt === null ? paint(NONE, "muted") : sanitize(fleet.updatedAt),
    updatedAge === null ? null : paint(`(${updatedAge} ago)`, "muted"),
    fleet.traceId === null ? null : kv("trace", fleet.traceId),
  );
  const autonomous = document.autonomous;
  if (autonomous !== null) {
    const pause = autonomous.rollout?.state;
    row(
      "autonomy",
      word(autonomous.mode),
      autonomous.governance === undefined
        ? null
        : `${paint("governance", "muted")} ${word(autonomous.governance.posture)}`,
      pause === undefined
        ? null
        : pause.active
          ? paint(`paused (${sanitize(pause.reasonCodes.join(", "))})`, "warn")
          : kv("paused", "no"),
      autonomous.safetyGateDecisions.killSwitchActive ? paint("kill switch on", "bad") : null,
      kv("eligible", autonomous.eligibleCandidateCount),
      kv("backlog", autonomous.outcomeRollup.manual_backlog),
    );
  }
  lines.push("");

  if (document.loops.length === 0) {
    lines.push(paint("no loop results", "muted"));
    return `${lines.join("\n")}\n`;
  }
  const header = ["LOOP", "TRANSPORT", "LIFECYCLE", "HEALTH", "REASON", "AGE"];
  const rows: Cell[][] = document.loops.map((loop, index) => {
    const detail = options.loopDetails?.[index] ?? NO_DETAIL;
    const lifecycle = loop.transitionState ?? detail.lifecycle;
    const reason = loop.reasonCode ?? loop.healthReasonCodes[0] ?? null;
    const age = ageOf(detail.updatedAt);
    const reasonTone: Tone =
      loop.status === "failed" ? "bad" : loop.status === "skipped" ? "warn" : statusTone(loop.healthStatus);
    return [
      { text: sanitize(loop.loopId ?? NONE), tone: "plain" },
      { text: sanitize(loop.transport), tone: "plain" },
      lifecycle === null
        ? { text: NONE, tone: "muted" }
        : { text: sanitize(lifecycle), tone: statusTone(lifecycle) },
      { text: sanitize(loop.healthStatus), tone: statusTone(loop.healthStatus) },
      reason === null ? { text: NONE, tone: "muted" } : { text: sanitize(reason), tone: reasonTone },
      age === null ? { text: NONE, tone: "muted" } : { text: age, tone: "plain" },
    ];
  });
  lines.push(...formatColumns(header, rows, term));
  return `${lines.join("\n")}\n`;
}
