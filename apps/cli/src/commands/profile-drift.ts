/**
 * `ops-manager profile-drift` — spec 18 §4: track whether the applied threshold profile keeps disagreeing with the recommendation.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const profileDriftCommand = defineCommand({
  name: "profile-drift",
  describe: "Evaluate threshold-profile drift against a recommendation",
  flags: {},
  run: () => {
    throw notImplemented("profile-drift");
  },
});
