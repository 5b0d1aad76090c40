/**
 * The in-process CI wrapper delegate (spec 33 §3.1): `promotionCi` of this package, called with the
 * input `ops-manager promotion ci <args>` would build from the §3.1 argument vector. Its outcome
 * already carries what the command prints and its exit status; its own input errors (thrown) become
 * the `error:` line and exit status the CLI would give.
 */
import { type PromotionCiInput, promotionCi } from "../ci/index.js";
import { argumentsToInput, type DelegateRunner, failureOutcome } from "./delegates.js";

export const runCiInProcess: DelegateRunner = async (args, ctx) => {
  const input = argumentsToInput(args, {
    switches: ["--skip-on-missing-evidence", "--fail-on-hold"],
  }) as PromotionCiInput;
  try {
    const outcome = await promotionCi(input, {
      env: ctx.env,
      cwd: ctx.cwd,
      ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
    });
    return {
      exitCode: outcome.exitCode,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      output: outcome.stdout + outcome.stderr,
    };
  } catch (error) {
    return failureOutcome(error);
  }
};
