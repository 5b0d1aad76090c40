/**
 * `ops-manager fleet registry` — spec 20: validate and normalise the fleet registry document and
 * print the normalised form. Read-only; reads no environment variable. A validation failure
 * prints the §3.1 block (`error: invalid fleet registry: <path>` + one ` - <message>` line per
 * problem) on stderr and exits 1; every other failure is one `error:` line.
 */
import {
  fleetRegistry,
  formatFleetRegistryInvalid,
  isFleetRegistryHookFailedError,
  isFleetRegistryInvalidError,
} from "@ops/fleet";
import { defineCommand } from "../command.js";
import { prettyFlag, repoFlag, valueFlag } from "../flags.js";
import type { TextSink } from "../io.js";

/**
 * Runs a fleet command body; an invalid registry (spec 20 §3.1) prints its block on `stderr` and
 * exits 1 — the same for every fleet command. A failed `OPS_MANAGER_FLEET_REGISTRY_SCRIPT` hook
 * that explained itself on stderr (passed through unchanged, spec 20 §5) exits with its status and
 * no extra `error:` line. Other errors propagate to the one-line `error:` path.
 */
export async function withFleetRegistryErrors(stderr: TextSink, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (isFleetRegistryHookFailedError(error) && error.hookWroteStderr) return error.exitCode;
    if (!isFleetRegistryInvalidError(error)) throw error;
    stderr.write(formatFleetRegistryInvalid(error));
    return 1;
  }
}

export const fleetRegistryCommand = defineCommand({
  name: "registry",
  describe: "Validate and normalise the fleet registry (read-only)",
  synopsis: "--repo <path> [--registry-file <path>] [--loop <id>] [--pretty]",
  flags: {
    repo: repoFlag,
    "registry-file": valueFlag(
      "Registry file (default: <repo>/.superloop/ops-manager/fleet/registry.v1.json)",
    ),
    loop: valueFlag("Keep only this loop's entry (policy is unaffected; no match is an error)"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager fleet registry --repo /srv/repo --pretty", "Check the registry after editing it"],
    ["ops-manager fleet registry --repo /srv/repo --loop beta", "The normalised entry of one loop"],
  ],
  run: async (flags, ctx) => {
    return withFleetRegistryErrors(ctx.io.stderr, async () => {
      const registry = await fleetRegistry(
        { repo: flags.repo, registryFile: flags["registry-file"], loop: flags.loop },
        { env: ctx.io.env, cwd: ctx.io.cwd },
      );
      ctx.printJson(registry, { pretty: flags.pretty });
      return 0;
    });
  },
});
