/**
 * `ops-manager fleet policy` — spec 22: turn the latest fleet reconcile state into ranked,
 * reason-coded candidates, apply suppressions and cooldowns, classify guarded autonomy, and write
 * the policy state, history, telemetry and governance audit. Prints the policy state (one JSON
 * document), or with `--format table` one row per candidate (colour only on a TTY, never with
 * NO_COLOR). Never dispatches a control action. A registry validation failure prints the spec 20
 * §3.1 block and exits 1.
 */
import { fleetPolicy } from "@ops/fleet";
import { formatPolicyTable } from "@ops/policy";
import { defineCommand } from "../command.js";
import { formatFlag, parseOutputFormat, prettyFlag, repoFlag, valueFlag } from "../flags.js";
import { colorEnabled } from "../io.js";
import { tableLines } from "../output.js";
import { withFleetRegistryErrors } from "./fleet-registry.js";

export const fleetPolicyCommand = defineCommand({
  name: "policy",
  describe: "Evaluate fleet remediation policy into ranked, reason-coded candidates",
  synopsis:
    "--repo <path> [--registry-file <path>] [--fleet-state-file <path>] [--policy-state-file <path>] [--governance-audit-file <path>] [--handoff-telemetry-file <path>] [--policy-telemetry-file <path>] [--policy-history-file <path>] [--dedupe-window-seconds <n>] [--trace-id <id>] [--format json|table] [--pretty]",
  flags: {
    repo: repoFlag,
    "registry-file": valueFlag(
      "Registry file (default: <repo>/.superloop/ops-manager/fleet/registry.v1.json)",
    ),
    "fleet-state-file": valueFlag(
      "Fleet state input, must exist (default: <repo>/.superloop/ops-manager/fleet/state.json)",
    ),
    "policy-state-file": valueFlag(
      "Policy state, read as previous then overwritten (default: <repo>/.superloop/ops-manager/fleet/policy-state.json)",
    ),
    "governance-audit-file": valueFlag(
      "Governance audit log (default: <repo>/.superloop/ops-manager/fleet/telemetry/policy-governance.jsonl)",
    ),
    "handoff-telemetry-file": valueFlag(
      "Handoff telemetry input for auto-pause (default: <repo>/.superloop/ops-manager/fleet/telemetry/handoff.jsonl)",
    ),
    "policy-telemetry-file": valueFlag(
      "Policy telemetry log (default: <repo>/.superloop/ops-manager/fleet/telemetry/policy.jsonl)",
    ),
    "policy-history-file": valueFlag(
      "Candidate history, read then appended (default: <repo>/.superloop/ops-manager/fleet/telemetry/policy-history.jsonl)",
    ),
    "dedupe-window-seconds": valueFlag(
      "Advisory cooldown window, integer >= 0 (default: registry policy.noiseControls.dedupeWindowSeconds, 300)",
    ),
    "trace-id": valueFlag(
      "Trace id (default: the fleet state's, then $OPS_MANAGER_TRACE_ID, else a new UUID)",
    ),
    format: formatFlag("one row per candidate"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager fleet policy --repo /srv/repo --pretty", "Evaluate policy after a fleet reconcile"],
    ["ops-manager fleet policy --repo /srv/repo --format table", "One row per candidate for a terminal"],
    [
      "ops-manager fleet policy --repo /srv/repo --dedupe-window-seconds 0",
      "Evaluate without advisory dedupe (history-independent with cooldownSeconds 0)",
    ],
  ],
  run: async (flags, ctx) => {
    const format = parseOutputFormat(flags.format);
    return withFleetRegistryErrors(ctx.io.stderr, async () => {
      const state = await fleetPolicy(
        {
          repo: flags.repo,
          registryFile: flags["registry-file"],
          fleetStateFile: flags["fleet-state-file"],
          policyStateFile: flags["policy-state-file"],
          governanceAuditFile: flags["governance-audit-file"],
          handoffTelemetryFile: flags["handoff-telemetry-file"],
          policyTelemetryFile: flags["policy-telemetry-file"],
          policyHistoryFile: flags["policy-history-file"],
          dedupeWindowSeconds: flags["dedupe-window-seconds"],
          traceId: flags["trace-id"],
        },
        { env: ctx.io.env, cwd: ctx.io.cwd, stderr: ctx.io.stderr },
      );
      if (format === "table") {
        const table = formatPolicyTable(state, { color: colorEnabled(ctx.io.stdout, ctx.io.env) });
        ctx.printLines(tableLines(table));
        return 0;
      }
      ctx.printJson(state, { pretty: flags.pretty });
      return 0;
    });
  },
});
