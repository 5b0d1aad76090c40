/**
 * `ops-manager project-state` — spec 12: lifecycle projection: derive the outer lifecycle state of one loop from contract envelopes and write `<ops>/state.json`.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const projectStateCommand = defineCommand({
  name: "project-state",
  describe: "Project the lifecycle state of one loop from snapshot and event envelopes",
  flags: {},
  run: () => {
    throw notImplemented("project-state");
  },
});
