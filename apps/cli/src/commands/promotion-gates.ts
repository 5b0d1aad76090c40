/**
 * `ops-manager promotion gates` — spec 30: decide whether guarded autonomous mode may be promoted beyond its current scope.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const promotionGatesCommand = defineCommand({
  name: "gates",
  describe: "Evaluate the promotion gates of guarded autonomous mode (not implemented yet)",
  flags: {},
  run: () => {
    throw notImplemented("promotion gates");
  },
});
