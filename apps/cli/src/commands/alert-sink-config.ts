/**
 * `ops-manager alert-sink-config` — spec 19 §2: validate the alert sink config, list sinks, or
 * resolve the route of a category. Pure read; prints secret variable *names* only.
 */
import { alertSinkConfig } from "@ops/health";
import { defineCommand } from "../command.js";
import { prettyFlag, switchFlag, valueFlag } from "../flags.js";

export const alertSinkConfigCommand = defineCommand({
  name: "alert-sink-config",
  describe: "Validate the alert sink config and resolve routes",
  synopsis:
    "[--config-file <path>] [--category <c> [--severity info|warning|critical]] [--list-sinks] [--no-env-check] [--pretty]",
  flags: {
    "config-file": valueFlag(
      "Alert sink config (default: $OPS_MANAGER_ALERT_SINKS_FILE, else the bundled config)",
    ),
    category: valueFlag("Resolve the route of this escalation category"),
    severity: valueFlag("info|warning|critical: event severity (requires --category)"),
    "list-sinks": switchFlag("Print one line per sink: <id>\\t<type>\\t<enabled>"),
    "no-env-check": switchFlag("Do not require the secret env variables of enabled sinks"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager alert-sink-config --pretty", "Validate the config and show sinks, routing and env status"],
    [
      "ops-manager alert-sink-config --category health_critical",
      "Which sinks a health_critical escalation would reach",
    ],
  ],
  run: async (flags, ctx) => {
    const result = await alertSinkConfig(
      {
        configFile: flags["config-file"],
        category: flags.category,
        severity: flags.severity,
        listSinks: flags["list-sinks"],
        noEnvCheck: flags["no-env-check"],
      },
      ctx.packageContext(),
    );
    if (result.kind === "list") ctx.printLines(result.lines);
    else ctx.printJson(result.document, { pretty: flags.pretty });
  },
});
