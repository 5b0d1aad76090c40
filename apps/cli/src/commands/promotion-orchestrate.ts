/**
 * `ops-manager promotion orchestrate` — spec 33: evaluate promotion through the CI wrapper, then
 * preview (`dry_run`), apply a rollout progression (`apply`) or force the safety rollback
 * (`rollback`) through promotion apply; write the result JSON and Markdown summary (also appended
 * to `$GITHUB_STEP_SUMMARY`) and print the result. A failed delegate's captured output is copied
 * to stderr and its exit status returned (e.g. 2 for hold with `--fail-on-hold`).
 */
import { isPromotionStderrError, promotionOrchestrate } from "@ops/promotion";
import { defineCommand } from "../command.js";
import { listFlag, prettyFlag, repoFlag, switchFlag, valueFlag } from "../flags.js";

export const promotionOrchestrateCommand = defineCommand({
  name: "orchestrate",
  describe: "Evaluate promotion (CI wrapper), then preview, apply or roll back the rollout in one step",
  synopsis: "--repo <path> --mode <dry_run|apply|rollback> [options]",
  flags: {
    repo: repoFlag,
    mode: valueFlag("dry_run (evaluate only), apply (expand/resume) or rollback (manual pause) (required)"),
    "apply-intent": valueFlag("Intent of mode apply: expand or resume (default expand)"),
    "expand-step": valueFlag("Canary points added by apply/expand, integer 1..100 (default 25)"),
    "fleet-status-file": valueFlag("Forwarded to the CI wrapper"),
    "handoff-telemetry-file": valueFlag("Forwarded to the CI wrapper"),
    "drill-state-file": valueFlag("Forwarded to the CI wrapper"),
    "window-executions": valueFlag("Forwarded to the CI wrapper (validated there)"),
    "min-sample-size": valueFlag("Forwarded to the CI wrapper"),
    "max-ambiguity-rate": valueFlag("Forwarded to the CI wrapper"),
    "max-failure-rate": valueFlag("Forwarded to the CI wrapper"),
    "max-manual-backlog": valueFlag("Forwarded to the CI wrapper"),
    "max-drill-age-hours": valueFlag("Forwarded to the CI wrapper"),
    "skip-on-missing-evidence": switchFlag("CI wrapper decides skipped when evidence files are missing"),
    "fail-on-hold": switchFlag("CI wrapper exits 2 on hold, which stops every mode (including rollback)"),
    "promotion-ci-result-file": valueFlag(
      "CI result, also apply's decision source (default: <repo>/.superloop/ops-manager/fleet/promotion-ci-result.json)",
    ),
    "promotion-ci-summary-file": valueFlag(
      "CI summary (default: <repo>/.superloop/ops-manager/fleet/promotion-ci-summary.md)",
    ),
    "result-file": valueFlag(
      "Result output (default: <repo>/.superloop/ops-manager/fleet/promotion-orchestrate-result.json)",
    ),
    "summary-file": valueFlag(
      "Summary output (default: <repo>/.superloop/ops-manager/fleet/promotion-orchestrate-summary.md)",
    ),
    "idempotency-key": valueFlag("Forwarded to apply (a repeated key replays the earlier apply)"),
    "trace-id": valueFlag("Forwarded to the CI wrapper and apply"),
    "loop-id": valueFlag("Forwarded to apply (seam field)"),
    "horizon-ref": valueFlag("Forwarded to apply (seam field)"),
    "evidence-ref": listFlag("Forwarded to apply as its own --evidence-ref"),
    by: valueFlag("Governance actor (required for apply/rollback)"),
    "approval-ref": valueFlag("Approval / change reference (required for apply/rollback)"),
    rationale: valueFlag("Why (required for apply/rollback)"),
    "review-by": valueFlag(
      "Review deadline, YYYY-MM-DDTHH:MM:SSZ in the future (required for apply/rollback)",
    ),
    pretty: prettyFlag,
  },
  examples: [
    [
      "ops-manager promotion orchestrate --repo /srv/repo --mode dry_run --skip-on-missing-evidence --pretty",
      "Evaluate the gates and preview, nothing mutated",
    ],
    [
      'ops-manager promotion orchestrate --repo /srv/repo --mode apply --apply-intent expand --expand-step 25 --idempotency-key rollout-2027-01-02 --trace-id tr-1 --by oncall-ana --approval-ref CAB-311 --rationale "promotion rollout mutation" --review-by 2027-03-30T00:00:00Z',
      "Evaluate, then widen the canary if the decision is promote",
    ],
  ],
  run: async (flags, ctx) => {
    try {
      const result = await promotionOrchestrate(
        {
          repo: flags.repo,
          mode: flags.mode,
          applyIntent: flags["apply-intent"],
          expandStep: flags["expand-step"],
          fleetStatusFile: flags["fleet-status-file"],
          handoffTelemetryFile: flags["handoff-telemetry-file"],
          drillStateFile: flags["drill-state-file"],
          windowExecutions: flags["window-executions"],
          minSampleSize: flags["min-sample-size"],
          maxAmbiguityRate: flags["max-ambiguity-rate"],
          maxFailureRate: flags["max-failure-rate"],
          maxManualBacklog: flags["max-manual-backlog"],
          maxDrillAgeHours: flags["max-drill-age-hours"],
          skipOnMissingEvidence: flags["skip-on-missing-evidence"],
          failOnHold: flags["fail-on-hold"],
          promotionCiResultFile: flags["promotion-ci-result-file"],
          promotionCiSummaryFile: flags["promotion-ci-summary-file"],
          resultFile: flags["result-file"],
          summaryFile: flags["summary-file"],
          idempotencyKey: flags["idempotency-key"],
          traceId: flags["trace-id"],
          loopId: flags["loop-id"],
          horizonRef: flags["horizon-ref"],
          evidenceRefs: flags["evidence-ref"],
          by: flags.by,
          approvalRef: flags["approval-ref"],
          rationale: flags.rationale,
          reviewBy: flags["review-by"],
        },
        { env: ctx.io.env, cwd: ctx.io.cwd, stderr: ctx.io.stderr },
      );
      ctx.printJson(result, { pretty: flags.pretty });
      return 0;
    } catch (error) {
      if (isPromotionStderrError(error)) {
        ctx.io.stderr.write(error.stderrText);
        return error.exitCode;
      }
      throw error;
    }
  },
});
