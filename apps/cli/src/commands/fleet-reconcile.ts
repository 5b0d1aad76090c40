/**
 * `ops-manager fleet reconcile` — spec 21: run the per-loop reconcile for every registry loop with
 * bounded parallelism, write `fleet/state.json` + one telemetry line and print the fleet state
 * (one JSON document on stdout). Progress lines go to stderr only when stderr is a terminal.
 * Exit 0 whenever the state was written, whatever the rollup; a registry validation failure prints
 * the spec 20 §3.1 block and exits 1.
 */
import { fleetReconcile } from "@ops/fleet";
import { defineCommand } from "../command.js";
import { prettyFlag, repoFlag, switchFlag, valueFlag } from "../flags.js";
import { withFleetRegistryErrors } from "./fleet-registry.js";

export const fleetReconcileCommand = defineCommand({
  name: "reconcile",
  describe: "Reconcile every registry loop with bounded concurrency",
  synopsis:
    "--repo <path> [--registry-file <path>] [--fleet-state-file <path>] [--fleet-telemetry-file <path>] [--max-parallel <n>] [--deterministic-order] [--max-events <n>] [--from-start] [--trace-id <id>] [--pretty]",
  flags: {
    repo: repoFlag,
    "registry-file": valueFlag(
      "Registry file (default: <repo>/.superloop/ops-manager/fleet/registry.v1.json)",
    ),
    "fleet-state-file": valueFlag(
      "Fleet state output (default: <repo>/.superloop/ops-manager/fleet/state.json)",
    ),
    "fleet-telemetry-file": valueFlag(
      "Fleet telemetry log (default: <repo>/.superloop/ops-manager/fleet/telemetry/reconcile.jsonl)",
    ),
    "max-parallel": valueFlag("Loops reconciled at once, integer >= 1 (default 2)"),
    "deterministic-order": switchFlag("Process loops sorted by loopId instead of registry order"),
    "max-events": valueFlag("Forwarded to every per-loop reconcile (integer >= 0)"),
    "from-start": switchFlag("Replay every loop from the start of its event log"),
    "trace-id": valueFlag("Fleet trace id (default: $OPS_MANAGER_TRACE_ID, else a new UUID)"),
    pretty: prettyFlag,
  },
  examples: [
    [
      "ops-manager fleet reconcile --repo /srv/repo --max-parallel 4 --deterministic-order",
      "Reconcile the whole fleet, four loops at a time",
    ],
    [
      "OPS_MANAGER_TRACE_ID=fx-1 ops-manager fleet reconcile --repo /srv/repo --from-start",
      "Replay every loop with a reproducible trace id",
    ],
  ],
  run: async (flags, ctx) => {
    const stderr = ctx.io.stderr;
    const progress = stderr.isTTY === true;
    return withFleetRegistryErrors(stderr, async () => {
      const state = await fleetReconcile(
        {
          repo: flags.repo,
          registryFile: flags["registry-file"],
          fleetStateFile: flags["fleet-state-file"],
          fleetTelemetryFile: flags["fleet-telemetry-file"],
          maxParallel: flags["max-parallel"],
          deterministicOrder: flags["deterministic-order"],
          maxEvents: flags["max-events"],
          fromStart: flags["from-start"],
          traceId: flags["trace-id"],
        },
        {
          env: ctx.io.env,
          cwd: ctx.io.cwd,
          stderr,
          get installRoot() {
            return ctx.installRoot().root;
          },
          ...(progress
            ? {
                onProgress: (event) => {
                  const position = `[${event.index + 1}/${event.total}]`;
                  if (event.kind === "start") stderr.write(`${position} ${event.loopId}: reconciling\n`);
                  else {
                    const reason = event.reasonCode === undefined ? "" : ` (${event.reasonCode})`;
                    stderr.write(`${position} ${event.loopId}: ${event.status}${reason}\n`);
                  }
                },
              }
            : {}),
        },
      );
      ctx.printJson(state, { pretty: flags.pretty });
      return 0;
    });
  },
});
