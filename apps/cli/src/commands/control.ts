/**
 * `ops-manager control` — spec 15: turn an operator intent (`cancel|approve|reject`) into one runtime command and confirm it; stdout = intent JSON, exit 0/1/2.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const controlCommand = defineCommand({
  name: "control",
  describe: "Issue a control intent (cancel, approve, reject) with confirmation",
  flags: {},
  run: () => {
    throw notImplemented("control");
  },
});
