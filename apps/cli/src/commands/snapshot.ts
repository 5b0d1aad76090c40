/**
 * `ops-manager snapshot` — loop-run-snapshot (spec 11 §4): read the runtime artifacts of one loop and
 * print one `loop_run_snapshot` envelope. Pure read.
 *
 * This module is the model for every command: declare the flags (names exactly as the spec gives),
 * and let `run` call ONE package function with the verbatim flag values and print its result:
 *
 *   run: async (flags, ctx) => {
 *     const envelope = await loopRunSnapshot(
 *       { repo: flags.repo, loop: flags.loop, runId: flags["run-id"], traceId: flags["trace-id"] },
 *       { env: ctx.io.env, cwd: ctx.io.cwd },
 *     );
 *     ctx.printJson(envelope, { pretty: flags.pretty });
 *   },
 *
 * Validation (`--repo is required`, …) happens in the package function, which throws OpsErrors;
 * run.ts turns them into `error: <message>` + exit code. NDJSON commands pass
 * `emit: (doc) => ctx.printJson(doc)`; commands with their own exit codes return them.
 */
import { loopRunSnapshot } from "@ops/transport-local";
import { defineCommand } from "../command.js";
import { loopFlag, prettyFlag, repoFlag, valueFlag } from "../flags.js";

export const snapshotCommand = defineCommand({
  name: "snapshot",
  describe: "Print a loop_run_snapshot envelope for one loop (read-only)",
  synopsis: "--repo <path> --loop <id> [--run-id <id>] [--trace-id <id>] [--pretty]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    "run-id": valueFlag("Run id to report instead of resolving it from the run summary / events"),
    "trace-id": valueFlag("Trace id echoed as traceId (default: null)"),
    pretty: prettyFlag,
  },
  examples: [["ops-manager snapshot --repo . --loop demo-loop", "Snapshot demo-loop of the current repo"]],
  run: async (flags, ctx) => {
    const envelope = await loopRunSnapshot(
      { repo: flags.repo, loop: flags.loop, runId: flags["run-id"], traceId: flags["trace-id"] },
      { env: ctx.io.env, cwd: ctx.io.cwd },
    );
    ctx.printJson(envelope, { pretty: flags.pretty });
  },
});
