/**
 * `ops-manager fleet registry` — spec 20: validate and normalise the fleet registry document.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const fleetRegistryCommand = defineCommand({
  name: "registry",
  describe: "Validate and normalise the fleet registry",
  flags: {},
  run: () => {
    throw notImplemented("fleet registry");
  },
});
