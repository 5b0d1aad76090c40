/**
 * `ops-manager promotion ci` — spec 31: CI wrapper around `promotion gates`. Writes the CI result
 * JSON and a Markdown summary (also appended to $GITHUB_STEP_SUMMARY), or a `skipped` result when
 * evidence files are missing and `--skip-on-missing-evidence` is set. The evaluator runs in-process
 * unless $OPS_MANAGER_PROMOTION_GATES_SCRIPT names a replacement. Exit: 0, 2 (hold with
 * `--fail-on-hold`), or the evaluator's failure status with its stderr relayed.
 */
import { promotionCi } from "@ops/promotion";
import { defineCommand } from "../command.js";
import { prettyFlag, repoFlag, switchFlag, valueFlag } from "../flags.js";

export const promotionCiCommand = defineCommand({
  name: "ci",
  describe: "CI wrapper around the promotion gates: result JSON, Markdown summary, skip mode",
  synopsis:
    "--repo <path> [--skip-on-missing-evidence] [--fail-on-hold] [--result-file <path>] [--summary-file <path>] [options]",
  flags: {
    repo: repoFlag,
    "fleet-status-file": valueFlag("Fleet status document (default: the evaluator generates it)"),
    "handoff-telemetry-file": valueFlag(
      "Handoff telemetry (default: <repo>/.superloop/ops-manager/fleet/telemetry/handoff.jsonl)",
    ),
    "drill-state-file": valueFlag(
      "Drill evidence (default: <repo>/.superloop/ops-manager/fleet/drills/promotion.v1.json)",
    ),
    "promotion-state-file": valueFlag(
      "Evaluator decision output (default: <repo>/.superloop/ops-manager/fleet/promotion-state.json)",
    ),
    "promotion-telemetry-file": valueFlag(
      "Evaluator decision history (default: <repo>/.superloop/ops-manager/fleet/telemetry/promotion.jsonl)",
    ),
    "summary-file": valueFlag(
      "Markdown summary output (default: <repo>/.superloop/ops-manager/fleet/promotion-ci-summary.md)",
    ),
    "result-file": valueFlag(
      "Result JSON output (default: <repo>/.superloop/ops-manager/fleet/promotion-ci-result.json)",
    ),
    "window-executions": valueFlag("Forwarded to the evaluator when non-empty (default 20)"),
    "min-sample-size": valueFlag("Forwarded to the evaluator when non-empty (default 20)"),
    "max-ambiguity-rate": valueFlag("Forwarded to the evaluator when non-empty (default 0.2)"),
    "max-failure-rate": valueFlag("Forwarded to the evaluator when non-empty (default 0.2)"),
    "max-manual-backlog": valueFlag("Forwarded to the evaluator when non-empty (default 5)"),
    "max-drill-age-hours": valueFlag("Forwarded to the evaluator when non-empty (default 168)"),
    "trace-id": valueFlag(
      "Forwarded to the evaluator when non-empty (else it uses $OPS_MANAGER_TRACE_ID or a UUID)",
    ),
    "fail-on-hold": switchFlag("Exit 2 when the decision is hold (never for skipped)"),
    "skip-on-missing-evidence": switchFlag(
      "Write a skipped result instead of evaluating when evidence files are missing",
    ),
    pretty: prettyFlag,
  },
  examples: [
    [
      "ops-manager promotion ci --repo /srv/repo --skip-on-missing-evidence",
      "Scheduled check: skipped (exit 0) in a repo without evidence",
    ],
    ["ops-manager promotion ci --repo /srv/repo --fail-on-hold", "Enforcing check: exit 2 on hold"],
  ],
  run: async (flags, ctx) => {
    const outcome = await promotionCi(
      {
        repo: flags.repo,
        fleetStatusFile: flags["fleet-status-file"],
        handoffTelemetryFile: flags["handoff-telemetry-file"],
        drillStateFile: flags["drill-state-file"],
        promotionStateFile: flags["promotion-state-file"],
        promotionTelemetryFile: flags["promotion-telemetry-file"],
        summaryFile: flags["summary-file"],
        resultFile: flags["result-file"],
        windowExecutions: flags["window-executions"],
        minSampleSize: flags["min-sample-size"],
        maxAmbiguityRate: flags["max-ambiguity-rate"],
        maxFailureRate: flags["max-failure-rate"],
        maxManualBacklog: flags["max-manual-backlog"],
        maxDrillAgeHours: flags["max-drill-age-hours"],
        traceId: flags["trace-id"],
        failOnHold: flags["fail-on-hold"],
        skipOnMissingEvidence: flags["skip-on-missing-evidence"],
        pretty: flags.pretty,
      },
      { env: ctx.io.env, cwd: ctx.io.cwd },
    );
    if (outcome.stderr !== "") ctx.io.stderr.write(outcome.stderr);
    if (outcome.stdout !== "") ctx.io.stdout.write(outcome.stdout);
    return outcome.exitCode;
  },
});
