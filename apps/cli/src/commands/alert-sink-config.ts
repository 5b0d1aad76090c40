/**
 * `ops-manager alert-sink-config` — spec 19 §2: validate the alert sink config, list sinks, or resolve the route of a category.
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const alertSinkConfigCommand = defineCommand({
  name: "alert-sink-config",
  describe: "Validate the alert sink config and resolve routes",
  flags: {},
  run: () => {
    throw notImplemented("alert-sink-config");
  },
});
