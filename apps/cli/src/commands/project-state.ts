/**
 * `ops-manager project-state` — spec 12 §3: derive the outer lifecycle state of one loop from a
 * snapshot envelope and the batch of event envelopes ingested this cycle; write `<ops>/state.json`.
 */
import { projectState } from "@ops/reconcile";
import { defineCommand } from "../command.js";
import { loopFlag, prettyFlag, repoFlag, valueFlag } from "../flags.js";

export const projectStateCommand = defineCommand({
  name: "project-state",
  describe: "Project the lifecycle state of one loop from snapshot and event envelopes",
  synopsis:
    "--repo <path> --loop <id> [--snapshot-file <path>] [--events-file <path>] [--state-file <path>] [--pretty]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    "snapshot-file": valueFlag(
      "Existing loop_run_snapshot JSON (default: take a snapshot now, kept as <ops>/snapshot.json)",
    ),
    "events-file": valueFlag("NDJSON of loop_run_event envelopes ingested this cycle (default: none)"),
    "state-file": valueFlag("Output state file (default: <repo>/.superloop/ops-manager/<loop>/state.json)"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager project-state --repo . --loop demo-loop", "Project from a fresh snapshot, no events"],
    [
      "ops-manager poll-events --repo . --loop demo-loop > batch.ndjson && ops-manager project-state --repo . --loop demo-loop --events-file batch.ndjson",
      "Project with this cycle's events",
    ],
  ],
  run: async (flags, ctx) => {
    const state = await projectState(
      {
        repo: flags.repo,
        loop: flags.loop,
        snapshotFile: flags["snapshot-file"],
        eventsFile: flags["events-file"],
        stateFile: flags["state-file"],
        pretty: flags.pretty,
      },
      { env: ctx.io.env, cwd: ctx.io.cwd },
    );
    ctx.printJson(state, { pretty: flags.pretty });
  },
});
