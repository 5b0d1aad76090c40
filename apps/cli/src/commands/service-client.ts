/**
 * `ops-manager service-client` — spec 16 §4: generic HTTP request helper for the sprite service (auth headers, retries, timeouts).
 * Flags are added with the package function that implements it (see snapshot.ts for the pattern).
 */
import { defineCommand, notImplemented } from "../command.js";

export const serviceClientCommand = defineCommand({
  name: "service-client",
  describe: "Send one request to a sprite service (auth, retries, timeouts)",
  flags: {},
  run: () => {
    throw notImplemented("service-client");
  },
});
