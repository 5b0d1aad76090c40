/**
 * `ops-manager confirm-intent` — spec 15 §4: poll the loop's snapshot (or
 * `OPS_MANAGER_SNAPSHOT_SCRIPT`) until the runtime shows that a control intent took effect.
 * Stdout = the compact confirmation document; exit 0 confirmed, 1 not confirmed. Writes no files.
 */
import { confirmIntent } from "@ops/reconcile";
import { defineCommand } from "../command.js";
import { loopFlag, repoFlag, valueFlag } from "../flags.js";

export const confirmIntentCommand = defineCommand({
  name: "confirm-intent",
  describe: "Check whether a control intent took effect",
  synopsis:
    "--repo <path> --loop <id> --intent cancel|approve|reject [--timeout-seconds <n>] [--interval-seconds <n>]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    intent: valueFlag("cancel | approve | reject (required)"),
    "timeout-seconds": valueFlag(
      "Give up after this many seconds, integer >= 0 (default: 30; 0 = one attempt)",
    ),
    "interval-seconds": valueFlag("Seconds between attempts, integer >= 0 (default: 2; 0 counts as 1)"),
  },
  examples: [
    [
      "ops-manager confirm-intent --repo /srv/repo --loop demo-loop --intent cancel --timeout-seconds 10",
      "Wait up to 10 s for the cancelled run to be gone",
    ],
  ],
  run: async (flags, ctx) => {
    const result = await confirmIntent(
      {
        repo: flags.repo,
        loop: flags.loop,
        intent: flags.intent,
        timeoutSeconds: flags["timeout-seconds"],
        intervalSeconds: flags["interval-seconds"],
      },
      { env: ctx.io.env, cwd: ctx.io.cwd },
    );
    ctx.printJson(result.document);
    return result.exitCode;
  },
});
