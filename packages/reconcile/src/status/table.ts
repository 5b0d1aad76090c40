/**
 * `ops-manager status --format table`: a short operator view of the status document (JSON stays the
 * default). One labelled line per surface, labels padded to one column; ANSI colour only when the
 * caller asks (the CLI decides: TTY and no `NO_COLOR`). Values coming from artifacts are stripped of
 * control characters, so a hostile value cannot inject terminal escapes and `color: false` output
 * never contains ESC.
 */
import {
  formatDuration,
  isJsonObject,
  labelledLine,
  sanitize,
  terminal,
  toneClassifier,
} from "@ops/contract";
import type { StatusDocument } from "./schemas.js";

export interface StatusTableOptions {
  readonly color: boolean;
}

const GOOD = [
  "healthy",
  "fresh",
  "ok",
  "success",
  "alive",
  "confirmed",
  "succeeded",
  "dispatched",
  "aligned",
  "running",
  "complete",
  "not_running",
  "no_new_escalations",
];
const WARN = [
  "degraded",
  "ambiguous",
  "partial",
  "skipped",
  "awaiting_approval",
  "stopped",
  "idle",
  "absent",
  "executed_unconfirmed",
  "mismatch_pending",
  "insufficient_confidence",
  "no_recommendation",
  "no_source",
];
const BAD = ["critical", "failed", "failed_command", "dead", "ordering_drift_detected", "drift_active"];

/** Tone of a status word. */
export const statusTone = toneClassifier({ good: GOOD, warn: WARN, bad: BAD, muted: ["unknown"] });

function stringField(record: Record<string, unknown>, key: string): string | null {
  const value = record[key];
  return typeof value === "string" ? value : null;
}

function objectField(record: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const value = record[key];
  return isJsonObject(value) ? value : null;
}

const LABEL_WIDTH = 12;
const NONE = "—";

/** Render the status document as ~15–18 aligned lines (never more than 25). */
export function formatStatusTable(document: StatusDocument, options: StatusTableOptions): string {
  const term = terminal(options.color);
  const paint = term.paint;
  /** A status word, coloured by its tone; `—` (muted) when null. */
  const word = (value: string | null | undefined) =>
    value === null || value === undefined ? paint(NONE, "muted") : paint(sanitize(value), statusTone(value));
  /** `key value` with a muted key; skipped when the value is null/undefined. */
  const kv = (key: string, value: unknown) =>
    value === null || value === undefined ? null : `${paint(key, "muted")} ${sanitize(value)}`;
  const lines: string[] = [];
  const row = (label: string, ...parts: (string | null)[]) => {
    lines.push(labelledLine(term, label, LABEL_WIDTH, parts));
  };

  const { lifecycle, reconcile, control, visibility, tuning, alerts, runtimeProcess } = document;

  row(
    "loop",
    sanitize(document.source.loopId),
    paint(sanitize(document.source.repoPath), "muted"),
    kv("at", document.generatedAt),
  );
  row(
    "lifecycle",
    word(lifecycle.state),
    kv("confidence", lifecycle.confidence),
    kv("run", lifecycle.runId),
    kv("iteration", lifecycle.iteration),
  );
  row(
    "process",
    word(runtimeProcess.status),
    runtimeProcess.reason === undefined ? null : paint(`(${runtimeProcess.reason})`, "muted"),
    kv("pid", runtimeProcess.pid),
    runtimeProcess.registeredLoopId !== null && runtimeProcess.registeredLoopId !== document.source.loopId
      ? kv("registered", runtimeProcess.registeredLoopId)
      : null,
    kv("stage", runtimeProcess.stage),
    kv("since", runtimeProcess.registeredAt),
  );

  const healthStatus = stringField(document.health, "status");
  const reasonCodes = document.health["reasonCodes"];
  const codes = Array.isArray(reasonCodes) ? reasonCodes.filter((c) => typeof c === "string") : [];
  const healthProfile = stringField(objectField(document.health, "thresholds") ?? {}, "profile");
  row(
    "health",
    word(healthStatus ?? "unknown"),
    codes.length === 0 ? null : paint(sanitize(codes.join(", ")), statusTone(healthStatus)),
    kv("updated", stringField(document.health, "updatedAt")),
    healthProfile === null ? null : kv("profile", healthProfile),
  );

  row(
    "cursor",
    kv("offset", document.cursor.eventLineOffset),
    kv("of", document.cursor.eventLineCount),
    document.cursor.eventLineCount > document.cursor.eventLineOffset
      ? paint(`(${document.cursor.eventLineCount - document.cursor.eventLineOffset} unread)`, "warn")
      : null,
  );

  row(
    "reconcile",
    word(reconcile.lastStatus),
    reconcile.lastFailureCode === null ? null : paint(sanitize(reconcile.lastFailureCode), "bad"),
    kv("at", reconcile.lastTimestamp),
    kv("via", reconcile.lastTransport),
    reconcile.lastDurationSeconds === null ? null : kv("took", formatDuration(reconcile.lastDurationSeconds)),
  );

  if (control.lastIntent === null && control.lastStatus === null) {
    row("control", paint("no intents", "muted"));
  } else {
    row(
      "control",
      control.lastIntent === null ? null : sanitize(control.lastIntent),
      word(control.lastStatus),
      kv("by", control.lastRequestedBy),
      kv("at", control.lastTimestamp),
    );
  }
  const audit = visibility.invocationAudit;
  if (audit !== undefined) {
    row(
      "invocation",
      audit.intent === undefined ? null : sanitize(audit.intent),
      kv("exec", audit.executionStatus),
      kv("confirm", audit.confirmationStatus),
      kv("outcome", audit.outcomeStatus),
      audit.replayed === true ? paint("replayed", "warn") : null,
    );
  }

  const heartbeat = visibility.heartbeat;
  if (heartbeat === undefined) {
    row("heartbeat", paint("unavailable", "muted"));
  } else {
    row(
      "heartbeat",
      word(heartbeat.freshnessStatus),
      heartbeat.reasonCode === undefined ? null : paint(sanitize(heartbeat.reasonCode), "muted"),
      heartbeat.heartbeatLagSeconds === undefined
        ? null
        : kv("lag", formatDuration(heartbeat.heartbeatLagSeconds)),
      kv("last", heartbeat.lastHeartbeatAt),
    );
  }

  const sequence = visibility.sequence;
  if (sequence === undefined) {
    row("sequence", paint("unavailable", "muted"));
  } else {
    const violations = sequence.violations ?? [];
    row(
      "sequence",
      word(sequence.status),
      violations.length === 0 ? kv("violations", "none") : paint(sanitize(violations.join(", ")), "bad"),
      kv("snapshot", sequence.snapshotCurrent),
      kv("events", sequence.eventsLast),
    );
  }

  row(
    "tuning",
    kv("applied", tuning.appliedProfile ?? NONE),
    kv("recommended", tuning.recommendedProfile ?? NONE),
    tuning.confidence === null ? null : paint(`(${sanitize(tuning.confidence)})`, "muted"),
    kv("window", tuning.summaryWindow),
  );

  const drift = document.drift;
  if (drift !== undefined) {
    row(
      "drift",
      word(stringField(drift, "status")),
      kv("streak", typeof drift["mismatchStreak"] === "number" ? drift["mismatchStreak"] : null),
      kv("action", stringField(drift, "action")),
    );
  }

  if (alerts === undefined) {
    row("alerts", paint("none", "muted"));
  } else {
    const dispatch = alerts.dispatch;
    if (dispatch !== undefined) {
      row(
        "alerts",
        word(dispatch.status),
        kv("processed", dispatch.processedCount),
        kv("sent", dispatch.dispatchedCount),
        kv("skipped", dispatch.skippedCount),
        dispatch.failedCount > 0
          ? paint(`failed ${dispatch.failedCount}`, "bad")
          : kv("failed", dispatch.failedCount),
        dispatch.failureReasonCodes.length === 0
          ? null
          : paint(sanitize(dispatch.failureReasonCodes.join(", ")), "bad"),
      );
    }
    const delivery = alerts.lastDelivery;
    if (delivery !== undefined) {
      row(
        dispatch === undefined ? "alerts" : "last alert",
        word(delivery.status),
        delivery.reasonCode === undefined ? null : paint(sanitize(delivery.reasonCode), "muted"),
        kv("category", delivery.escalationCategory),
        kv("severity", delivery.eventSeverity),
        kv("at", delivery.timestamp),
      );
    }
  }

  const trace = visibility.trace;
  if (trace.sharedTraceId !== undefined) {
    row("trace", kv("shared", trace.sharedTraceId));
  } else {
    const ids = [
      kv("reconcile", trace.reconcileTraceId),
      kv("control", trace.controlTraceId),
      kv("alert", trace.alertTraceId),
      trace.heartbeatTraceId !== trace.reconcileTraceId ? kv("heartbeat", trace.heartbeatTraceId) : null,
      trace.sequenceTraceId !== trace.reconcileTraceId ? kv("sequence", trace.sequenceTraceId) : null,
    ];
    row("trace", ...(ids.some((id) => id !== null) ? ids : [paint("none", "muted")]));
  }
  return `${lines.join("\n")}\n`;
}
