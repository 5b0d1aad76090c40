/**
 * `ops-manager fleet handoff` — spec 24: map unsuppressed fleet policy candidates to per-loop
 * control intents (a plan), and optionally execute them: by an operator (`--execute --confirm`) or
 * autonomously for policy-eligible intents only (`--autonomous-execute`, guarded_auto). Writes
 * `fleet/handoff-state.json`, appends `fleet/telemetry/handoff.jsonl` and prints the document.
 * Exit 0 whenever the state was written, whatever the control outcomes. `--format table` prints a
 * one-row-per-intent view instead (colour only on a TTY and never with NO_COLOR).
 */
import { fleetHandoff, formatHandoffTable } from "@ops/fleet";
import { defineCommand } from "../command.js";
import {
  formatFlag,
  listFlag,
  parseOutputFormat,
  prettyFlag,
  repoFlag,
  switchFlag,
  valueFlag,
} from "../flags.js";
import { colorEnabled } from "../io.js";
import { tableLines } from "../output.js";
import { withFleetRegistryErrors } from "./fleet-registry.js";

export const fleetHandoffCommand = defineCommand({
  name: "handoff",
  describe: "Plan fleet remediation intents from policy candidates and execute them with confirmation",
  synopsis:
    "--repo <path> [--execute --confirm | --autonomous-execute] [--loop <id>]... [--intent-id <id>]... [--by <actor>] [--note <text>] [--format json|table] [--pretty] [options]",
  flags: {
    repo: repoFlag,
    "registry-file": valueFlag(
      "Registry file (default: <repo>/.superloop/ops-manager/fleet/registry.v1.json)",
    ),
    "policy-state-file": valueFlag(
      "Policy state input, must exist (default: <repo>/.superloop/ops-manager/fleet/policy-state.json)",
    ),
    "handoff-state-file": valueFlag(
      "Handoff state, read as previous then overwritten (default: <repo>/.superloop/ops-manager/fleet/handoff-state.json)",
    ),
    "handoff-telemetry-file": valueFlag(
      "Handoff telemetry log (default: <repo>/.superloop/ops-manager/fleet/telemetry/handoff.jsonl)",
    ),
    "trace-id": valueFlag(
      "Handoff trace id (default: the policy state's trace, else $OPS_MANAGER_TRACE_ID, else a new UUID)",
    ),
    "idempotency-prefix": valueFlag("First segment of the idempotency keys (default: fleet-handoff)"),
    execute: switchFlag("Execute the pending intents (requires --confirm)"),
    confirm: switchFlag("Explicit operator confirmation for --execute"),
    "autonomous-execute": switchFlag(
      "Execute autonomous-eligible intents only (policy and registry mode guarded_auto)",
    ),
    loop: listFlag("Restrict execution to this loop id"),
    "intent-id": listFlag("Restrict execution to this intent id"),
    by: valueFlag("Actor recorded and forwarded to control (default: $USER, else unknown)"),
    note: valueFlag("Free text attached to executed intents"),
    "timeout-seconds": valueFlag("Runtime confirmation timeout forwarded to control (default 30)"),
    "interval-seconds": valueFlag("Confirmation poll interval forwarded to control (default 2)"),
    "no-runtime-confirm": switchFlag("Skip runtime confirmation polling in control"),
    format: formatFlag(),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager fleet handoff --repo /srv/repo --pretty", "Build the plan (nothing is executed)"],
    [
      "ops-manager fleet handoff --repo /srv/repo --execute --confirm --intent-id beta:health_critical:cancel --by alice --note 'incident-7: remediation'",
      "Operator-confirmed execution of one intent",
    ],
    [
      "ops-manager fleet handoff --repo /srv/repo --autonomous-execute --by ops-manager",
      "Guarded autonomous execution of the eligible intents",
    ],
    ["ops-manager fleet handoff --repo /srv/repo --format table", "One row per intent for a terminal"],
  ],
  run: async (flags, ctx) => {
    const format = parseOutputFormat(flags.format);
    return withFleetRegistryErrors(ctx.io.stderr, async () => {
      const document = await fleetHandoff(
        {
          repo: flags.repo,
          registryFile: flags["registry-file"],
          policyStateFile: flags["policy-state-file"],
          handoffStateFile: flags["handoff-state-file"],
          handoffTelemetryFile: flags["handoff-telemetry-file"],
          traceId: flags["trace-id"],
          idempotencyPrefix: flags["idempotency-prefix"],
          execute: flags.execute,
          confirm: flags.confirm,
          autonomousExecute: flags["autonomous-execute"],
          loop: flags.loop,
          intentId: flags["intent-id"],
          by: flags.by,
          note: flags.note,
          timeoutSeconds: flags["timeout-seconds"],
          intervalSeconds: flags["interval-seconds"],
          noRuntimeConfirm: flags["no-runtime-confirm"],
        },
        {
          env: ctx.io.env,
          cwd: ctx.io.cwd,
          stderr: ctx.io.stderr,
          get installRoot() {
            return ctx.installRoot().root;
          },
        },
      );
      if (format === "table") {
        const table = formatHandoffTable(document, { color: colorEnabled(ctx.io.stdout, ctx.io.env) });
        ctx.printLines(tableLines(table));
        return 0;
      }
      ctx.printJson(document, { pretty: flags.pretty });
      return 0;
    });
  },
});
