/**
 * `ops-manager alert-dispatch` — spec 19 §3: cursor-based delivery of new escalation rows to
 * webhook / Slack / PagerDuty sinks, plus redelivery of earlier failed sink deliveries (see
 * packages/health/src/alerts/README.md). Takes the loop lock; exit 0 whenever it reaches the end.
 */
import { alertDispatch } from "@ops/health";
import { defineCommand } from "../command.js";
import { loopFlag, prettyFlag, repoFlag, valueFlag } from "../flags.js";

export const alertDispatchCommand = defineCommand({
  name: "alert-dispatch",
  describe: "Deliver new escalations to the configured alert sinks",
  synopsis:
    "--repo <path> --loop <id> [--alert-config-file <path>] [--max-escalations <n>] [--pretty] [options]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    "escalations-file": valueFlag("Escalations log (default: <ops>/escalations.jsonl)"),
    "dispatch-state-file": valueFlag("Dispatch state (default: <ops>/alert-dispatch-state.json)"),
    "dispatch-telemetry-file": valueFlag("Alert telemetry (default: <ops>/telemetry/alerts.jsonl)"),
    "trace-id": valueFlag("Trace id of this run (default: $OPS_MANAGER_TRACE_ID, else a new UUID)"),
    "alert-config-file": valueFlag(
      "Alert sink config (default: $OPS_MANAGER_ALERT_SINKS_FILE, else the bundled config)",
    ),
    "max-escalations": valueFlag("Process at most this many new rows, 0 = all (default: 0)"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager alert-dispatch --repo /srv/repo --loop demo-loop --pretty", "Deliver the backlog"],
  ],
  run: async (flags, ctx) => {
    const state = await alertDispatch(
      {
        repo: flags.repo,
        loop: flags.loop,
        escalationsFile: flags["escalations-file"],
        dispatchStateFile: flags["dispatch-state-file"],
        dispatchTelemetryFile: flags["dispatch-telemetry-file"],
        traceId: flags["trace-id"],
        alertConfigFile: flags["alert-config-file"],
        maxEscalations: flags["max-escalations"],
      },
      ctx.packageContext(),
    );
    ctx.printJson(state, { pretty: flags.pretty });
  },
});
