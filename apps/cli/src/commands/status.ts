/**
 * `ops-manager status` — spec 17: one read-only JSON document per loop summarising lifecycle, health, cursor and latest activity.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const statusCommand = defineCommand({
  name: "status",
  describe: "Print the operator status document of one loop",
  flags: {},
  run: () => {
    throw notImplemented("status");
  },
});
