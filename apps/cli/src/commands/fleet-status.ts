/**
 * `ops-manager fleet status` — spec 23: read-only operator surface joining fleet reconcile, policy and handoff state.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const fleetStatusCommand = defineCommand({
  name: "status",
  describe: "Print the fleet status projection (not implemented yet)",
  flags: {},
  run: () => {
    throw notImplemented("fleet status");
  },
});
