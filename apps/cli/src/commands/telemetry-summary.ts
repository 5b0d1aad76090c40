/**
 * `ops-manager telemetry-summary` — spec 18 §3: summarise the reconcile/control telemetry of one loop over a window and recommend a threshold profile.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const telemetrySummaryCommand = defineCommand({
  name: "telemetry-summary",
  describe: "Summarise reconcile and control telemetry over a window",
  flags: {},
  run: () => {
    throw notImplemented("telemetry-summary");
  },
});
