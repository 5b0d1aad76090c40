/**
 * How a sprite service runs control (spec 16 §3.4 step 2): the in-process `controlIntent`, local
 * transport, with the service's environment (`SUPERLOOP_BIN`, `OPS_MANAGER_CONFIRM_SCRIPT`, … are
 * inherited), default confirmation unless the request forwards its own, and control's own generated
 * idempotency key. The result is reported the way the control CLI would have: stdout = the intent
 * entry JSON line, stderr = `error: <message>` lines, exit code 0 / 1 / 2.
 */
import { type Clock, errorMessage, isOpsError } from "@ops/contract";
import type { ControlRunArgs, ControlRunResult, RunControl } from "@ops/transport-sprite";
import { controlIntent } from "./control.js";

export interface InProcessRunControlOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Install root: its `superloop.sh` is the default `SUPERLOOP_BIN`. */
  readonly installRoot?: string | undefined;
  readonly clock?: Clock | undefined;
}

/** A `RunControl` (the sprite-service handler's control seam) over the in-process control. */
export function inProcessRunControl(options: InProcessRunControlOptions): RunControl {
  return async (args: ControlRunArgs): Promise<ControlRunResult> => {
    let stderr = "";
    try {
      const result = await controlIntent(
        {
          repo: args.repo,
          loop: args.loop,
          intent: args.intent,
          transport: "local",
          by: args.by,
          ...(args.note === null ? {} : { note: args.note }),
          ...(args.traceId === null ? {} : { traceId: args.traceId }),
          ...(args.timeoutSeconds === null ? {} : { timeoutSeconds: args.timeoutSeconds }),
          ...(args.intervalSeconds === null ? {} : { intervalSeconds: args.intervalSeconds }),
          noConfirm: args.noConfirm,
        },
        {
          env: options.env,
          cwd: args.repo,
          ...(options.installRoot === undefined ? {} : { installRoot: options.installRoot }),
          ...(options.clock === undefined ? {} : { clock: options.clock }),
          stderr: (text) => {
            stderr += text;
          },
        },
      );
      return { exitCode: result.exitCode, stdout: `${JSON.stringify(result.intent)}\n`, stderr };
    } catch (error) {
      const exitCode = isOpsError(error) && error.exitCode >= 1 && error.exitCode <= 255 ? error.exitCode : 1;
      return { exitCode, stdout: "", stderr: `${stderr}error: ${errorMessage(error) || "control failed"}\n` };
    }
  };
}
