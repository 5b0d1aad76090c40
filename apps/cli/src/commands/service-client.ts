/**
 * `ops-manager service-client` — spec 16 §4: send one request to a sprite service (auth headers,
 * retries with linear backoff, per-attempt time limit). Success (2xx): the raw response body on
 * stdout, exit 0. Failure after the retries: `error: service request failed (method=… url=… code=…):
 * <body excerpt>` on stderr, exit 1 (code `000` for connection errors and timeouts).
 */
import { serviceClient } from "@ops/transport-sprite";
import { defineCommand } from "../command.js";
import { valueFlag } from "../flags.js";

export const serviceClientCommand = defineCommand({
  name: "service-client",
  describe: "Send one request to a sprite service (auth, retries, timeouts)",
  synopsis: "--method GET|POST --base-url <url> --path <path> [--body-file <file>] [options]",
  flags: {
    method: valueFlag("GET or POST (required)"),
    "base-url": valueFlag("Service base URL, e.g. http://127.0.0.1:8787 (required; trailing / removed)"),
    path: valueFlag(
      "Request path including the query string, e.g. /ops/snapshot?loopId=demo-loop (required)",
    ),
    token: valueFlag("Service token, sent as Authorization: Bearer and X-Ops-Token (default: none)"),
    "trace-id": valueFlag("Trace id, sent as X-Trace-Id (default: none)"),
    "body-file": valueFlag("JSON request body, sent verbatim (required for POST)"),
    "retry-attempts": valueFlag("Total attempts, integer >= 1 (default: 3)"),
    "retry-backoff-seconds": valueFlag(
      "Linear backoff base: sleep backoff x attempt between attempts, integer >= 0 (default: 1)",
    ),
    "connect-timeout-seconds": valueFlag(
      "Connect timeout, integer >= 0 (default: 5; connecting is also bounded by --max-time-seconds)",
    ),
    "max-time-seconds": valueFlag("Whole-request limit per attempt, integer >= 0, 0 = none (default: 30)"),
  },
  examples: [
    [
      "ops-manager service-client --method GET --base-url http://127.0.0.1:8787 --path '/ops/snapshot?loopId=demo-loop'",
      "Fetch a snapshot envelope from a sprite service",
    ],
    [
      "ops-manager service-client --method POST --base-url http://127.0.0.1:8787 --path /ops/control --body-file intent.json",
      "Send a control intent (body: {loopId, intent, idempotencyKey, …})",
    ],
  ],
  run: async (flags, ctx) => {
    const result = await serviceClient(
      {
        method: flags.method,
        baseUrl: flags["base-url"],
        path: flags.path,
        token: flags.token,
        traceId: flags["trace-id"],
        bodyFile: flags["body-file"],
        retryAttempts: flags["retry-attempts"],
        retryBackoffSeconds: flags["retry-backoff-seconds"],
        connectTimeoutSeconds: flags["connect-timeout-seconds"],
        maxTimeSeconds: flags["max-time-seconds"],
      },
      { env: ctx.io.env, cwd: ctx.io.cwd },
    );
    // The raw response body, as received (newline-terminated for the terminal).
    ctx.io.stdout.write(result.body === "" || result.body.endsWith("\n") ? result.body : `${result.body}\n`);
  },
});
