/**
 * `ops-manager promotion gates` — spec 30: evaluate the five promotion gates (governance, outcome
 * reliability, manual backlog, safety suppression, drill recency) from fleet status, handoff
 * telemetry and drill evidence; write the promotion state and one promotion telemetry line; print
 * the decision document. Exit 0 for any decision, 2 for `hold` with `--fail-on-hold` (after the
 * writes), 1 on bad input. A failing fleet status producer's own stderr precedes our `error:` line.
 */
import { promotionGates } from "@ops/promotion";
import { defineCommand } from "../command.js";
import { prettyFlag, repoFlag, switchFlag, valueFlag } from "../flags.js";

export const promotionGatesCommand = defineCommand({
  name: "gates",
  describe: "Evaluate the promotion gates of guarded autonomous mode (decision: promote or hold)",
  synopsis: "--repo <path> [--fleet-status-file <path>] [--fail-on-hold] [--pretty] [options]",
  flags: {
    repo: repoFlag,
    "fleet-status-file": valueFlag(
      "Fleet status document to read (default: generated in-process, or by $OPS_MANAGER_FLEET_STATUS_SCRIPT)",
    ),
    "handoff-telemetry-file": valueFlag(
      "Handoff telemetry (default: <repo>/.superloop/ops-manager/fleet/telemetry/handoff.jsonl)",
    ),
    "drill-state-file": valueFlag(
      "Drill evidence (default: <repo>/.superloop/ops-manager/fleet/drills/promotion.v1.json)",
    ),
    "promotion-state-file": valueFlag(
      "Decision output, overwritten (default: <repo>/.superloop/ops-manager/fleet/promotion-state.json)",
    ),
    "promotion-telemetry-file": valueFlag(
      "Decision history, appended (default: <repo>/.superloop/ops-manager/fleet/telemetry/promotion.jsonl)",
    ),
    "window-executions": valueFlag("Latest autonomous handoff runs considered, integer >= 1 (default 20)"),
    "min-sample-size": valueFlag("Autonomous runs required in the window, integer >= 1 (default 20)"),
    "max-ambiguity-rate": valueFlag("Highest ambiguous/attempted ratio that passes, 0..1 (default 0.2)"),
    "max-failure-rate": valueFlag("Highest failed/attempted ratio that passes, 0..1 (default 0.2)"),
    "max-manual-backlog": valueFlag("Highest manual backlog that passes, integer >= 0 (default 5)"),
    "max-drill-age-hours": valueFlag(
      "Oldest drill completion that passes, in hours, integer >= 1 (default 168)",
    ),
    "trace-id": valueFlag("Trace id (default: $OPS_MANAGER_TRACE_ID, else a new UUID)"),
    "fail-on-hold": switchFlag("Exit 2 when the decision is hold (after writing the artifacts)"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager promotion gates --repo /srv/repo --pretty", "Evaluate with the default thresholds"],
    [
      "ops-manager promotion gates --repo /srv/repo --fleet-status-file status.json --fail-on-hold",
      "CI enforcement from a saved fleet status document (exit 2 on hold)",
    ],
  ],
  run: async (flags, ctx) => {
    const { document, exitCode } = await promotionGates(
      {
        repo: flags.repo,
        fleetStatusFile: flags["fleet-status-file"],
        handoffTelemetryFile: flags["handoff-telemetry-file"],
        drillStateFile: flags["drill-state-file"],
        promotionStateFile: flags["promotion-state-file"],
        promotionTelemetryFile: flags["promotion-telemetry-file"],
        windowExecutions: flags["window-executions"],
        minSampleSize: flags["min-sample-size"],
        maxAmbiguityRate: flags["max-ambiguity-rate"],
        maxFailureRate: flags["max-failure-rate"],
        maxManualBacklog: flags["max-manual-backlog"],
        maxDrillAgeHours: flags["max-drill-age-hours"],
        traceId: flags["trace-id"],
        failOnHold: flags["fail-on-hold"],
      },
      { env: ctx.io.env, cwd: ctx.io.cwd, stderr: ctx.io.stderr },
    );
    ctx.printJson(document, { pretty: flags.pretty });
    return exitCode;
  },
});
