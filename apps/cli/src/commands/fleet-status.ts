/**
 * `ops-manager fleet status` — spec 23: the read-only operator surface joining the fleet reconcile
 * state, the registry, policy and handoff state and the last fleet reconcile / handoff telemetry
 * lines into one JSON document (promotion gates consume it). Writes nothing.
 * `--format table` prints a short human-readable view instead (JSON stays the default; colour only
 * when stdout is a terminal and NO_COLOR is unset). A registry validation failure prints the
 * spec 20 §3.1 block; every other failure is one `error:` line, exit 1.
 */
import { fleetStatus, readFleetStatusLoopDetails, renderFleetStatusTable } from "@ops/fleet";
import { defineCommand } from "../command.js";
import { formatFlag, parseOutputFormat, prettyFlag, repoFlag, valueFlag } from "../flags.js";
import { colorEnabled } from "../io.js";
import { tableLines } from "../output.js";
import { withFleetRegistryErrors } from "./fleet-registry.js";

export const fleetStatusCommand = defineCommand({
  name: "status",
  describe:
    "Print the fleet status projection: health rollup, exceptions, policy, handoff, autonomy (read-only)",
  synopsis: "--repo <path> [--format json|table] [--pretty] [file overrides]",
  flags: {
    repo: repoFlag,
    "registry-file": valueFlag(
      "Registry file (default: <repo>/.superloop/ops-manager/fleet/registry.v1.json)",
    ),
    "fleet-state-file": valueFlag(
      "Fleet reconcile state, must exist (default: <repo>/.superloop/ops-manager/fleet/state.json)",
    ),
    "policy-state-file": valueFlag(
      "Fleet policy state, optional (default: <repo>/.superloop/ops-manager/fleet/policy-state.json)",
    ),
    "fleet-telemetry-file": valueFlag(
      "Fleet reconcile telemetry, last line only (default: <repo>/.superloop/ops-manager/fleet/telemetry/reconcile.jsonl)",
    ),
    "handoff-state-file": valueFlag(
      "Fleet handoff state, optional (default: <repo>/.superloop/ops-manager/fleet/handoff-state.json)",
    ),
    "handoff-telemetry-file": valueFlag(
      "Fleet handoff telemetry, last line only (default: <repo>/.superloop/ops-manager/fleet/telemetry/handoff.jsonl)",
    ),
    format: formatFlag(),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager fleet status --repo /srv/repo --pretty", "The whole fleet at a glance, as JSON"],
    ["ops-manager fleet status --repo /srv/repo --format table", "One row per loop for a terminal"],
  ],
  run: async (flags, ctx) => {
    const format = parseOutputFormat(flags.format);
    return withFleetRegistryErrors(ctx.io.stderr, async () => {
      const document = await fleetStatus(
        {
          repo: flags.repo,
          registryFile: flags["registry-file"],
          fleetStateFile: flags["fleet-state-file"],
          policyStateFile: flags["policy-state-file"],
          fleetTelemetryFile: flags["fleet-telemetry-file"],
          handoffStateFile: flags["handoff-state-file"],
          handoffTelemetryFile: flags["handoff-telemetry-file"],
        },
        { env: ctx.io.env, cwd: ctx.io.cwd, stderr: ctx.io.stderr },
      );
      if (format === "table") {
        const table = renderFleetStatusTable(document, {
          color: colorEnabled(ctx.io.stdout, ctx.io.env),
          loopDetails: await readFleetStatusLoopDetails(document),
        });
        ctx.printLines(tableLines(table));
        return 0;
      }
      ctx.printJson(document, { pretty: flags.pretty });
      return 0;
    });
  },
});
