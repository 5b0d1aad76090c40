/**
 * `ops-manager promotion apply` — spec 32: the only promotion command that mutates fleet policy.
 * Turns the promotion decision into a governed rollout change of the fleet registry (`expand`,
 * `resume`, `rollback`), writes the apply state, appends the audit line and prints the record.
 * Every failure exits 1; a registry failure prints the validator's lines before the `error:` line.
 */
import { isPromotionStderrError, promotionApply } from "@ops/promotion";
import { defineCommand } from "../command.js";
import { listFlag, prettyFlag, repoFlag, valueFlag } from "../flags.js";

export const promotionApplyCommand = defineCommand({
  name: "apply",
  describe:
    "Apply a promotion decision to the fleet rollout (expand, resume) or roll it back to manual pause",
  synopsis:
    "--repo <path> --intent <expand|resume|rollback> --by <actor> --approval-ref <id> --rationale <text> --review-by <timestamp> [options]",
  flags: {
    repo: repoFlag,
    intent: valueFlag(
      "expand (raise canary, unpause), resume (unpause) or rollback (manual pause) (required)",
    ),
    "expand-step": valueFlag("Canary percentage points added by expand, integer 1..100 (default 25)"),
    by: valueFlag("Governance actor: who authorises the change (required)"),
    "approval-ref": valueFlag("Approval / change ticket reference (required)"),
    rationale: valueFlag("Why the change is made (required)"),
    "review-by": valueFlag("Governance review deadline, YYYY-MM-DDTHH:MM:SSZ in the future (required)"),
    "registry-file": valueFlag(
      "Registry read and rewritten (default: <repo>/.superloop/ops-manager/fleet/registry.v1.json)",
    ),
    "promotion-state-file": valueFlag(
      "Decision source (default: <repo>/.superloop/ops-manager/fleet/promotion-state.json)",
    ),
    "apply-state-file": valueFlag(
      "Apply record output (default: <repo>/.superloop/ops-manager/fleet/promotion-apply-state.json)",
    ),
    "apply-telemetry-file": valueFlag(
      "Audit log and idempotency index (default: <repo>/.superloop/ops-manager/fleet/telemetry/promotion-apply.jsonl)",
    ),
    "idempotency-key": valueFlag("Replay the earlier record of this key instead of mutating again"),
    "trace-id": valueFlag("Trace id (default: $OPS_MANAGER_TRACE_ID, else a new UUID)"),
    "loop-id": valueFlag("Seam field recorded for context (no loop is touched)"),
    "horizon-ref": valueFlag("Seam field recorded for context"),
    "evidence-ref": listFlag("Evidence reference recorded in evidenceRefs"),
    pretty: prettyFlag,
  },
  examples: [
    [
      'ops-manager promotion apply --repo /srv/repo --intent expand --expand-step 25 --by oncall-ana --approval-ref CAB-311 --rationale "guarded rollout expansion" --review-by 2027-03-30T00:00:00Z --idempotency-key expand-2027-01-02',
      "Widen the canary by 25 points (decision must be promote)",
    ],
    [
      'ops-manager promotion apply --repo /srv/repo --intent rollback --by oncall-ana --approval-ref INC-7 --rationale "incident rollback to manual pause" --review-by 2027-01-09T00:00:00Z',
      "Force the manual pause (allowed with any decision)",
    ],
  ],
  run: async (flags, ctx) => {
    try {
      const record = await promotionApply(
        {
          repo: flags.repo,
          intent: flags.intent,
          expandStep: flags["expand-step"],
          by: flags.by,
          approvalRef: flags["approval-ref"],
          rationale: flags.rationale,
          reviewBy: flags["review-by"],
          registryFile: flags["registry-file"],
          promotionStateFile: flags["promotion-state-file"],
          applyStateFile: flags["apply-state-file"],
          applyTelemetryFile: flags["apply-telemetry-file"],
          idempotencyKey: flags["idempotency-key"],
          traceId: flags["trace-id"],
          loopId: flags["loop-id"],
          horizonRef: flags["horizon-ref"],
          evidenceRefs: flags["evidence-ref"],
        },
        { env: ctx.io.env, cwd: ctx.io.cwd, stderr: ctx.io.stderr },
      );
      ctx.printJson(record, { pretty: flags.pretty });
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
