/**
 * `ops-manager status` — spec 17: one read-only document per loop summarising lifecycle, health,
 * cursor, latest control and reconcile outcomes, tuning, drift, alerts, visibility and file paths.
 * `--format table` prints a short human-readable view instead (JSON stays the default).
 */
import { formatStatusTable, loopStatus } from "@ops/reconcile";
import { defineCommand } from "../command.js";
import { formatFlag, loopFlag, parseOutputFormat, prettyFlag, repoFlag, valueFlag } from "../flags.js";
import { colorEnabled } from "../io.js";
import { tableLines } from "../output.js";

export const statusCommand = defineCommand({
  name: "status",
  describe: "Print the operator status document of one loop (read-only)",
  synopsis:
    "--repo <path> --loop <id> [--summary-window <n>] [--format json|table] [--pretty] [file overrides]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    "state-file": valueFlag("State file (default: <ops>/state.json)"),
    "cursor-file": valueFlag("Cursor file (default: <ops>/cursor.json)"),
    "health-file": valueFlag("Health file (default: <ops>/health.json)"),
    "intents-file": valueFlag("Intent log (default: <ops>/intents.jsonl)"),
    "heartbeat-state-file": valueFlag("Heartbeat state (default: <ops>/heartbeat.json)"),
    "heartbeat-telemetry-file": valueFlag("Heartbeat telemetry (default: <ops>/telemetry/heartbeat.jsonl)"),
    "sequence-state-file": valueFlag("Sequence state (default: <ops>/sequence-state.json)"),
    "sequence-telemetry-file": valueFlag("Sequence telemetry (default: <ops>/telemetry/sequence.jsonl)"),
    "control-invocations-file": valueFlag(
      "Control invocation audit (default: <ops>/telemetry/control-invocations.jsonl)",
    ),
    "drift-state-file": valueFlag("Profile drift state (default: <ops>/profile-drift.json)"),
    "drift-history-file": valueFlag(
      "Profile drift history, reported only (default: <ops>/telemetry/profile-drift.jsonl)",
    ),
    "alert-dispatch-state-file": valueFlag("Alert dispatch state (default: <ops>/alert-dispatch-state.json)"),
    "alert-dispatch-telemetry-file": valueFlag("Alert telemetry (default: <ops>/telemetry/alerts.jsonl)"),
    "summary-window": valueFlag("Telemetry window for the tuning summary, integer >= 1 (default: 200)"),
    format: formatFlag(),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager status --repo . --loop demo-loop --pretty", "The first read during an incident"],
    ["ops-manager status --repo . --loop demo-loop --format table", "A short view for a terminal"],
  ],
  run: async (flags, ctx) => {
    const format = parseOutputFormat(flags.format);
    const document = await loopStatus(
      {
        repo: flags.repo,
        loop: flags.loop,
        stateFile: flags["state-file"],
        cursorFile: flags["cursor-file"],
        healthFile: flags["health-file"],
        intentsFile: flags["intents-file"],
        heartbeatStateFile: flags["heartbeat-state-file"],
        heartbeatTelemetryFile: flags["heartbeat-telemetry-file"],
        sequenceStateFile: flags["sequence-state-file"],
        sequenceTelemetryFile: flags["sequence-telemetry-file"],
        controlInvocationsFile: flags["control-invocations-file"],
        driftStateFile: flags["drift-state-file"],
        driftHistoryFile: flags["drift-history-file"],
        alertDispatchStateFile: flags["alert-dispatch-state-file"],
        alertDispatchTelemetryFile: flags["alert-dispatch-telemetry-file"],
        summaryWindow: flags["summary-window"],
      },
      { env: ctx.io.env, cwd: ctx.io.cwd },
    );
    if (format === "table") {
      const table = formatStatusTable(document, { color: colorEnabled(ctx.io.stdout, ctx.io.env) });
      ctx.printLines(tableLines(table));
      return;
    }
    ctx.printJson(document, { pretty: flags.pretty });
  },
});
