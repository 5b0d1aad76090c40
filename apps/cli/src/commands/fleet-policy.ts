/**
 * `ops-manager fleet policy` — spec 22: turn the latest fleet reconcile state into ranked, reason-coded action candidates.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const fleetPolicyCommand = defineCommand({
  name: "policy",
  describe: "Evaluate fleet remediation policy into ranked candidates (not implemented yet)",
  flags: {},
  run: () => {
    throw notImplemented("fleet policy");
  },
});
