/**
 * `ops-manager health` — spec 14 §1: compute the reason-coded `healthy|degraded|critical` health
 * document of one loop from manager artifacts. Writes nothing.
 */
import { health } from "@ops/health";
import { defineCommand } from "../command.js";
import { prettyFlag, valueFlag } from "../flags.js";

export const healthCommand = defineCommand({
  name: "health",
  describe: "Compute the reason-coded health document of one loop",
  synopsis:
    "[--state-file <path>] [--heartbeat-state-file <path>] [--sequence-state-file <path>] [--transport-health-file <path>] [--intents-file <path>] [--transport local|sprite_service] [--ingest-status success|failed] [--now <timestamp>] [options]",
  flags: {
    "state-file": valueFlag("Manager state.json (missing file = {})"),
    "heartbeat-state-file": valueFlag("heartbeat.json (missing file = {})"),
    "sequence-state-file": valueFlag("sequence-state.json (missing file = {})"),
    "transport-health-file": valueFlag("transport-health.json (missing file = {})"),
    "intents-file": valueFlag("Control intents.jsonl; only its last line is read"),
    "trace-id": valueFlag("Trace id echoed as traceId (default: null)"),
    transport: valueFlag("local | sprite_service; label only (default: local)"),
    "threshold-profile": valueFlag("Profile name reported as thresholds.profile; label only"),
    "ingest-status": valueFlag("success | failed (default: success)"),
    "failure-code": valueFlag("Failure code of this ingest (default: none)"),
    "degraded-ingest-lag-seconds": valueFlag("Degraded ingest lag threshold in seconds (default: 300)"),
    "critical-ingest-lag-seconds": valueFlag("Critical ingest lag threshold in seconds (default: 900)"),
    "degraded-heartbeat-lag-seconds": valueFlag("Degraded heartbeat lag threshold in seconds (default: 120)"),
    "critical-heartbeat-lag-seconds": valueFlag("Critical heartbeat lag threshold in seconds (default: 300)"),
    "degraded-transport-failure-streak": valueFlag(
      "Degraded transport failure streak threshold (default: 2)",
    ),
    "critical-transport-failure-streak": valueFlag(
      "Critical transport failure streak threshold (default: 4)",
    ),
    now: valueFlag("Reference clock, ISO-8601 UTC timestamp (default: current time)"),
    pretty: prettyFlag,
  },
  examples: [
    [
      "ops-manager health --state-file .superloop/ops-manager/demo-loop/state.json",
      "Health of demo-loop from its projected state",
    ],
    [
      "ops-manager health --ingest-status failed --failure-code snapshot_unavailable --now 2026-02-22T12:10:00Z",
      "Health after a failed ingest at a fixed time",
    ],
  ],
  run: async (flags, ctx) => {
    const document = await health(
      {
        stateFile: flags["state-file"],
        heartbeatStateFile: flags["heartbeat-state-file"],
        sequenceStateFile: flags["sequence-state-file"],
        transportHealthFile: flags["transport-health-file"],
        intentsFile: flags["intents-file"],
        traceId: flags["trace-id"],
        transport: flags.transport,
        thresholdProfile: flags["threshold-profile"],
        ingestStatus: flags["ingest-status"],
        failureCode: flags["failure-code"],
        degradedIngestLagSeconds: flags["degraded-ingest-lag-seconds"],
        criticalIngestLagSeconds: flags["critical-ingest-lag-seconds"],
        degradedHeartbeatLagSeconds: flags["degraded-heartbeat-lag-seconds"],
        criticalHeartbeatLagSeconds: flags["critical-heartbeat-lag-seconds"],
        degradedTransportFailureStreak: flags["degraded-transport-failure-streak"],
        criticalTransportFailureStreak: flags["critical-transport-failure-streak"],
        now: flags.now,
      },
      ctx.packageContext(),
    );
    ctx.printJson(document, { pretty: flags.pretty });
  },
});
