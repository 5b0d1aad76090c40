/**
 * `ops-manager control` — spec 15 §2: turn an operator intent (`cancel|approve|reject`) into one
 * runtime command (local) or one `POST /ops/control` (sprite_service), confirm it unless
 * `--no-confirm`, and record it in intents.jsonl + control telemetry + the audit log.
 * Stdout = the compact intent entry (no `--pretty`); exit 0 confirmed/executed_unconfirmed,
 * 2 ambiguous, 1 otherwise. Service client errors are passed through on stderr.
 */
import { controlIntent } from "@ops/reconcile";
import { defineCommand } from "../command.js";
import { loopFlag, repoFlag, switchFlag, valueFlag } from "../flags.js";

export const controlCommand = defineCommand({
  name: "control",
  describe: "Issue a control intent (cancel, approve, reject) with confirmation",
  synopsis:
    "--repo <path> --loop <id> --intent cancel|approve|reject [--transport local|sprite_service] [--no-confirm] [options]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    intent: valueFlag("cancel | approve | reject (required)"),
    transport: valueFlag("local (default: runs $SUPERLOOP_BIN) or sprite_service (POST /ops/control)"),
    "service-base-url": valueFlag("Sprite service base URL (required with --transport sprite_service)"),
    "service-token": valueFlag("Sprite service token (default: $OPS_MANAGER_SERVICE_TOKEN)"),
    "idempotency-key": valueFlag(
      "Idempotency key (default: <intent>-<epochSeconds>-<pid>); a reused key replays its recorded outcome",
    ),
    "trace-id": valueFlag("Trace id (default: $OPS_MANAGER_TRACE_ID, else a new UUID)"),
    "retry-attempts": valueFlag("Service client attempts, integer >= 1 (default: 3)"),
    "retry-backoff-seconds": valueFlag("Service client linear backoff base, integer >= 0 (default: 1)"),
    by: valueFlag("Actor recorded and passed to approve/reject (default: $USER, else unknown)"),
    note: valueFlag("Note passed to approve/reject when non-empty"),
    "timeout-seconds": valueFlag("Confirmation timeout, integer >= 0 (default: 30)"),
    "interval-seconds": valueFlag("Confirmation poll interval, integer >= 0 (default: 2)"),
    "no-confirm": switchFlag("Skip confirmation (status executed_unconfirmed on success)"),
  },
  examples: [
    [
      "ops-manager control --repo /srv/repo --loop demo-loop --intent cancel --by alice",
      "Cancel the loop's run and wait for the runtime to show it stopped",
    ],
    [
      'ops-manager control --repo /srv/repo --loop demo-loop --intent approve --note "Looks good"',
      "Approve the pending approval; confirmed by the recorded decision",
    ],
  ],
  run: async (flags, ctx) => {
    const result = await controlIntent(
      {
        repo: flags.repo,
        loop: flags.loop,
        intent: flags.intent,
        transport: flags.transport,
        serviceBaseUrl: flags["service-base-url"],
        serviceToken: flags["service-token"],
        idempotencyKey: flags["idempotency-key"],
        traceId: flags["trace-id"],
        retryAttempts: flags["retry-attempts"],
        retryBackoffSeconds: flags["retry-backoff-seconds"],
        by: flags.by,
        note: flags.note,
        timeoutSeconds: flags["timeout-seconds"],
        intervalSeconds: flags["interval-seconds"],
        noConfirm: flags["no-confirm"],
      },
      {
        env: ctx.io.env,
        cwd: ctx.io.cwd,
        // Read only when SUPERLOOP_BIN is unset (finding the install root may fail).
        get installRoot() {
          return ctx.installRoot().root;
        },
        stderr: (text) => ctx.io.stderr.write(text),
      },
    );
    ctx.printJson(result.intent);
    return result.exitCode;
  },
});
