/**
 * `ops-manager reconcile` — spec 13: one supervision cycle for one loop: ingest a snapshot plus new events (local or sprite-service transport), project state, compute health, raise escalations and dispatch alerts.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const reconcileCommand = defineCommand({
  name: "reconcile",
  describe: "Run one supervision cycle: ingest, project, health, escalate, alert",
  flags: {},
  run: () => {
    throw notImplemented("reconcile");
  },
});
