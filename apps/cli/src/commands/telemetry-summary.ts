/**
 * `ops-manager telemetry-summary` — spec 18 §3: summarise the reconcile/control telemetry of one
 * loop over a window and recommend a threshold profile. Pure read.
 */
import { telemetrySummary } from "@ops/health";
import { defineCommand } from "../command.js";
import { loopFlag, prettyFlag, repoFlag, valueFlag } from "../flags.js";

export const telemetrySummaryCommand = defineCommand({
  name: "telemetry-summary",
  describe: "Summarise reconcile and control telemetry over a window",
  synopsis:
    "--repo <path> --loop <id> [--reconcile-telemetry-file <path>] [--control-telemetry-file <path>] [--window <n>] [--pretty]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    "reconcile-telemetry-file": valueFlag(
      "Reconcile telemetry JSONL (default: <repo>/.superloop/ops-manager/<loop>/telemetry/reconcile.jsonl)",
    ),
    "control-telemetry-file": valueFlag(
      "Control telemetry JSONL; missing = empty (default: <repo>/.superloop/ops-manager/<loop>/telemetry/control.jsonl)",
    ),
    window: valueFlag("Number of last lines of each file to summarise, >= 1 (default: 200)"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager telemetry-summary --repo . --loop demo-loop", "Summarise the last 200 reconciles"],
    ["ops-manager telemetry-summary --repo . --loop demo-loop --window 25 --pretty", "A shorter window"],
  ],
  run: async (flags, ctx) => {
    const summary = await telemetrySummary(
      {
        repo: flags.repo,
        loop: flags.loop,
        reconcileTelemetryFile: flags["reconcile-telemetry-file"],
        controlTelemetryFile: flags["control-telemetry-file"],
        window: flags.window,
      },
      ctx.packageContext(),
    );
    ctx.printJson(summary, { pretty: flags.pretty });
  },
});
