/**
 * `ops-manager poll-events` — event poller (spec 11 §5): print every not-yet-consumed line of
 * `events.jsonl` as a `loop_run_event` envelope (NDJSON) and advance the cursor file.
 */
import { pollEvents } from "@ops/transport-local";
import { defineCommand } from "../command.js";
import { loopFlag, repoFlag, switchFlag, valueFlag } from "../flags.js";

export const pollEventsCommand = defineCommand({
  name: "poll-events",
  describe: "Print new runtime events as loop_run_event NDJSON and advance the cursor",
  synopsis:
    "--repo <path> --loop <id> [--cursor-file <path>] [--from-start] [--max-events <n>] [--trace-id <id>]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    "cursor-file": valueFlag(
      "Cursor file to read and advance (default: <repo>/.superloop/loops/<loop>/ops-manager.cursor.json)",
    ),
    "from-start": switchFlag("Ignore the cursor file (even if corrupt) and start at line 1"),
    "max-events": valueFlag("Stop after this many envelopes; 0 = unlimited (default: 0)"),
    "trace-id": valueFlag("Trace id stamped on each envelope (default: null)"),
  },
  examples: [
    ["ops-manager poll-events --repo . --loop demo-loop", "Print events since the last poll"],
    ["ops-manager poll-events --repo . --loop demo-loop --from-start --max-events 10", "Replay the first 10"],
  ],
  run: async (flags, ctx) => {
    await pollEvents(
      {
        repo: flags.repo,
        loop: flags.loop,
        cursorFile: flags["cursor-file"],
        fromStart: flags["from-start"],
        maxEvents: flags["max-events"],
        traceId: flags["trace-id"],
      },
      { emit: (envelope) => ctx.printJson(envelope) },
      { env: ctx.io.env, cwd: ctx.io.cwd },
    );
  },
});
