/**
 * `ops-manager promotion orchestrate` — spec 33: single entrypoint: evaluate promotion (through the CI wrapper), then apply or roll back.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const promotionOrchestrateCommand = defineCommand({
  name: "orchestrate",
  describe: "Evaluate promotion, then apply or roll back in one step (not implemented yet)",
  flags: {},
  run: () => {
    throw notImplemented("promotion orchestrate");
  },
});
