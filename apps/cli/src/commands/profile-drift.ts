/**
 * `ops-manager profile-drift` — spec 18 §4: track whether the applied threshold profile keeps
 * disagreeing with the recommendation. Stateful: updates `<ops>/profile-drift.json` and appends a
 * history row on every call.
 */
import { profileDrift } from "@ops/health";
import { defineCommand } from "../command.js";
import { loopFlag, prettyFlag, repoFlag, valueFlag } from "../flags.js";

export const profileDriftCommand = defineCommand({
  name: "profile-drift",
  describe: "Evaluate threshold-profile drift against a recommendation",
  synopsis:
    "--repo <path> --loop <id> [--applied-profile <name>] [--recommended-profile <name>] [--recommendation-confidence low|medium|high] [options]",
  flags: {
    repo: repoFlag,
    loop: loopFlag,
    "applied-profile": valueFlag("Threshold profile currently applied (default: none)"),
    "recommended-profile": valueFlag("Profile recommended by telemetry-summary (default: none)"),
    "thresholds-file": valueFlag(
      "Threshold profile catalog (default: $OPS_MANAGER_THRESHOLD_PROFILES_FILE, else the bundled catalog)",
    ),
    "recommendation-confidence": valueFlag(
      "Confidence of the recommendation: low | medium | high (default: low)",
    ),
    "min-confidence": valueFlag(
      "Minimum confidence for a mismatch to count: low | medium | high (default: medium)",
    ),
    "required-streak": valueFlag("Consecutive eligible mismatches that activate drift, >= 1 (default: 3)"),
    "summary-window": valueFlag("Telemetry window size recorded as metadata, >= 1 (default: 200)"),
    rationale: valueFlag("Rationale of the recommendation, recorded verbatim (default: none)"),
    "drift-state-file": valueFlag(
      "Drift state file to read and update (default: <repo>/.superloop/ops-manager/<loop>/profile-drift.json)",
    ),
    "drift-history-file": valueFlag(
      "Drift history JSONL to append to (default: <repo>/.superloop/ops-manager/<loop>/telemetry/profile-drift.jsonl)",
    ),
    pretty: prettyFlag,
  },
  examples: [
    [
      "ops-manager profile-drift --repo . --loop demo-loop --applied-profile balanced --recommended-profile strict --recommendation-confidence high",
      "Record one evaluation of balanced vs. a confident strict recommendation",
    ],
  ],
  run: async (flags, ctx) => {
    const drift = await profileDrift(
      {
        repo: flags.repo,
        loop: flags.loop,
        appliedProfile: flags["applied-profile"],
        recommendedProfile: flags["recommended-profile"],
        thresholdsFile: flags["thresholds-file"],
        recommendationConfidence: flags["recommendation-confidence"],
        minConfidence: flags["min-confidence"],
        requiredStreak: flags["required-streak"],
        summaryWindow: flags["summary-window"],
        rationale: flags.rationale,
        driftStateFile: flags["drift-state-file"],
        driftHistoryFile: flags["drift-history-file"],
      },
      ctx.packageContext(),
    );
    ctx.printJson(drift, { pretty: flags.pretty });
  },
});
