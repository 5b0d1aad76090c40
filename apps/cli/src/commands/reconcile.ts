/**
 * `ops-manager reconcile` — spec 13: one supervision cycle for one loop: ingest a snapshot and the
 * new events, project the lifecycle, update transport/heartbeat/sequence projections, compute
 * health, write escalations and telemetry, evaluate profile drift, and run the alert-dispatch step.
 * Every step runs in-process unless its `OPS_MANAGER_<STEP>_SCRIPT` hook is set.
 */
import { reconcile } from "@ops/reconcile";
import { defineCommand } from "../command.js";
import { loopFlag, prettyFlag, repoFlag, switchFlag, valueFlag } from "../flags.js";

export const reconcileCommand = defineCommand({
  name: "reconcile",
  describe: "Run one supervision cycle: ingest, project, health, escalate, alert",
  synopsis:
    "--repo <path> --loop <id> [--transport local|sprite_service] [--from-start] [--pretty] [options]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    transport: valueFlag("local (default) or sprite_service"),
    "service-base-url": valueFlag("Sprite service base URL (required with --transport sprite_service)"),
    "service-token": valueFlag("Sprite service token (default: $OPS_MANAGER_SERVICE_TOKEN)"),
    "trace-id": valueFlag("Trace id of this cycle (default: $OPS_MANAGER_TRACE_ID, else a new UUID)"),
    "retry-attempts": valueFlag("Service client attempts, integer >= 1 (default: 3)"),
    "retry-backoff-seconds": valueFlag("Service client linear backoff base, integer >= 0 (default: 1)"),
    "cursor-file": valueFlag("Cursor file (default: <ops>/cursor.json)"),
    "state-file": valueFlag("State file (default: <ops>/state.json)"),
    "max-events": valueFlag("Ingest at most this many events, 0 = all (default: 0)"),
    "from-start": switchFlag("Replay the event log from line 1, ignoring the cursor"),
    "threshold-profile": valueFlag(
      "Threshold profile name (default: $OPS_MANAGER_THRESHOLD_PROFILE, else the catalog default)",
    ),
    "thresholds-file": valueFlag(
      "Threshold profile catalog (default: $OPS_MANAGER_THRESHOLD_PROFILES_FILE, else the bundled catalog)",
    ),
    "drift-min-confidence": valueFlag(
      "low|medium|high: minimum recommendation confidence for drift (default: medium)",
    ),
    "drift-required-streak": valueFlag(
      "Mismatching cycles before drift is active, integer >= 1 (default: 3)",
    ),
    "drift-summary-window": valueFlag("Telemetry window for the recommendation, integer >= 1 (default: 200)"),
    "drift-state-file": valueFlag("Profile drift state (default: <ops>/profile-drift.json)"),
    "drift-history-file": valueFlag("Profile drift history (default: <ops>/telemetry/profile-drift.jsonl)"),
    "sequence-state-file": valueFlag("Sequence state (default: <ops>/sequence-state.json)"),
    "sequence-telemetry-file": valueFlag("Sequence telemetry (default: <ops>/telemetry/sequence.jsonl)"),
    "heartbeat-state-file": valueFlag("Heartbeat state (default: <ops>/heartbeat.json)"),
    "heartbeat-telemetry-file": valueFlag("Heartbeat telemetry (default: <ops>/telemetry/heartbeat.jsonl)"),
    "alerts-enabled": valueFlag(
      "true|false: run alert dispatch (default: $OPS_MANAGER_ALERTS_ENABLED, else true)",
    ),
    "alert-config-file": valueFlag(
      "Alert sink config forwarded to dispatch (default: $OPS_MANAGER_ALERT_SINKS_FILE)",
    ),
    "alert-dispatch-state-file": valueFlag("Alert dispatch state (default: <ops>/alert-dispatch-state.json)"),
    "alert-dispatch-telemetry-file": valueFlag("Alert telemetry (default: <ops>/telemetry/alerts.jsonl)"),
    "degraded-ingest-lag-seconds": valueFlag("Override the profile's degraded ingest lag"),
    "critical-ingest-lag-seconds": valueFlag("Override the profile's critical ingest lag"),
    "degraded-transport-failure-streak": valueFlag(
      "Override the profile's degraded transport failure streak",
    ),
    "critical-transport-failure-streak": valueFlag(
      "Override the profile's critical transport failure streak",
    ),
    "degraded-heartbeat-lag-seconds": valueFlag("Degraded heartbeat lag, seconds (default: 120)"),
    "critical-heartbeat-lag-seconds": valueFlag("Critical heartbeat lag, seconds (default: 300)"),
    pretty: prettyFlag,
  },
  examples: [
    [
      "ops-manager reconcile --repo /srv/repo --loop demo-loop --pretty",
      "One cycle over the local transport",
    ],
    [
      "ops-manager reconcile --repo /srv/repo --loop demo-loop --from-start",
      "Replay the whole event log (after a cursor reset)",
    ],
  ],
  run: async (flags, ctx) => {
    const result = await reconcile(
      {
        repo: flags.repo,
        loop: flags.loop,
        transport: flags.transport,
        serviceBaseUrl: flags["service-base-url"],
        serviceToken: flags["service-token"],
        traceId: flags["trace-id"],
        retryAttempts: flags["retry-attempts"],
        retryBackoffSeconds: flags["retry-backoff-seconds"],
        cursorFile: flags["cursor-file"],
        stateFile: flags["state-file"],
        maxEvents: flags["max-events"],
        fromStart: flags["from-start"],
        thresholdProfile: flags["threshold-profile"],
        thresholdsFile: flags["thresholds-file"],
        driftMinConfidence: flags["drift-min-confidence"],
        driftRequiredStreak: flags["drift-required-streak"],
        driftSummaryWindow: flags["drift-summary-window"],
        driftStateFile: flags["drift-state-file"],
        driftHistoryFile: flags["drift-history-file"],
        sequenceStateFile: flags["sequence-state-file"],
        sequenceTelemetryFile: flags["sequence-telemetry-file"],
        heartbeatStateFile: flags["heartbeat-state-file"],
        heartbeatTelemetryFile: flags["heartbeat-telemetry-file"],
        alertsEnabled: flags["alerts-enabled"],
        alertConfigFile: flags["alert-config-file"],
        alertDispatchStateFile: flags["alert-dispatch-state-file"],
        alertDispatchTelemetryFile: flags["alert-dispatch-telemetry-file"],
        degradedIngestLagSeconds: flags["degraded-ingest-lag-seconds"],
        criticalIngestLagSeconds: flags["critical-ingest-lag-seconds"],
        degradedTransportFailureStreak: flags["degraded-transport-failure-streak"],
        criticalTransportFailureStreak: flags["critical-transport-failure-streak"],
        degradedHeartbeatLagSeconds: flags["degraded-heartbeat-lag-seconds"],
        criticalHeartbeatLagSeconds: flags["critical-heartbeat-lag-seconds"],
      },
      ctx.packageContext(),
    );
    // Spec 13 §11: the merged state on success, the health document on an ingest failure (exit 1).
    ctx.printJson(result.document, { pretty: flags.pretty });
    return result.exitCode;
  },
});
