/**
 * `ops-manager alert-dispatch` — spec 19 §3: cursor-based delivery of new escalation rows to webhook / Slack / PagerDuty sinks.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const alertDispatchCommand = defineCommand({
  name: "alert-dispatch",
  describe: "Deliver new escalations to the configured alert sinks",
  flags: {},
  run: () => {
    throw notImplemented("alert-dispatch");
  },
});
