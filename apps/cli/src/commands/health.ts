/**
 * `ops-manager health` — spec 14: compute the reason-coded `healthy|degraded|critical` health document from manager artifacts (writes nothing).
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const healthCommand = defineCommand({
  name: "health",
  describe: "Compute the reason-coded health document of one loop",
  flags: {},
  run: () => {
    throw notImplemented("health");
  },
});
