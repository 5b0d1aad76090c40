/**
 * `ops-manager promotion apply` — spec 32: the only promotion command that mutates fleet policy.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const promotionApplyCommand = defineCommand({
  name: "apply",
  describe: "Apply (or roll back) a promotion decision to fleet policy (not implemented yet)",
  flags: {},
  run: () => {
    throw notImplemented("promotion apply");
  },
});
