/**
 * `ops-manager fleet reconcile` — spec 21: run the per-loop reconcile for every registry loop with bounded parallelism.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const fleetReconcileCommand = defineCommand({
  name: "reconcile",
  describe: "Reconcile every registry loop with bounded concurrency",
  flags: {},
  run: () => {
    throw notImplemented("fleet reconcile");
  },
});
