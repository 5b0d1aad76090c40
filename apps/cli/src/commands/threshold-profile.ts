/**
 * `ops-manager threshold-profile` — spec 18 §2: resolve one threshold profile (or `--list` them) from the bundled or given catalog.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const thresholdProfileCommand = defineCommand({
  name: "threshold-profile",
  describe: "Resolve a threshold profile from the catalog",
  flags: {},
  run: () => {
    throw notImplemented("threshold-profile");
  },
});
