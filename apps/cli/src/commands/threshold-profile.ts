/**
 * `ops-manager threshold-profile` — spec 18 §2: resolve one threshold profile (or `--list` the
 * profile names) from the given, env-selected or bundled catalog. Pure read.
 */
import { thresholdProfile } from "@ops/health";
import { defineCommand } from "../command.js";
import { prettyFlag, switchFlag, valueFlag } from "../flags.js";

export const thresholdProfileCommand = defineCommand({
  name: "threshold-profile",
  describe: "Resolve a threshold profile from the catalog",
  synopsis: "[--profiles-file <path>] [--profile <name>] [--list] [--pretty]",
  flags: {
    "profiles-file": valueFlag(
      "Threshold profile catalog (default: $OPS_MANAGER_THRESHOLD_PROFILES_FILE, else the bundled catalog)",
    ),
    profile: valueFlag("Profile to resolve (default: the catalog's defaultProfile)"),
    list: switchFlag("Print the profile names, one per line, sorted"),
    pretty: prettyFlag,
  },
  examples: [
    ["ops-manager threshold-profile --profile strict", "Values of the strict profile"],
    ["ops-manager threshold-profile --list", "List the profiles of the bundled catalog"],
  ],
  run: async (flags, ctx) => {
    const result = await thresholdProfile(
      { profilesFile: flags["profiles-file"], profile: flags.profile, list: flags.list },
      ctx.packageContext(),
    );
    if (result.kind === "list") ctx.printLines(result.lines);
    else ctx.printJson(result.document, { pretty: flags.pretty });
  },
});
