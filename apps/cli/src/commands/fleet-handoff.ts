/**
 * `ops-manager fleet handoff` — spec 24: map unsuppressed policy candidates to per-loop control intents (a plan) and execute them.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const fleetHandoffCommand = defineCommand({
  name: "handoff",
  describe: "Plan and execute operator handoff intents (not implemented yet)",
  flags: {},
  run: () => {
    throw notImplemented("fleet handoff");
  },
});
