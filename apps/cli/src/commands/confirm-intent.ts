/**
 * `ops-manager confirm-intent` — spec 15: confirmation of a control intent against the runtime artifacts.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const confirmIntentCommand = defineCommand({
  name: "confirm-intent",
  describe: "Check whether a control intent took effect",
  flags: {},
  run: () => {
    throw notImplemented("confirm-intent");
  },
});
