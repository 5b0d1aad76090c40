/**
 * `ops-manager promotion ci` — spec 31: CI-friendly wrapper around the promotion gates evaluator.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const promotionCiCommand = defineCommand({
  name: "ci",
  describe: "CI wrapper around the promotion gates evaluator (not implemented yet)",
  flags: {},
  run: () => {
    throw notImplemented("promotion ci");
  },
});
