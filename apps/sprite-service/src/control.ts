/**
 * How the service runs control (spec 16 §3.4 step 2): the in-process `controlIntent` of
 * `@ops/reconcile`, local transport, with the service's environment (`SUPERLOOP_BIN`,
 * `OPS_MANAGER_CONFIRM_SCRIPT`, … are inherited), default confirmation (30 s / 2 s unless the request
 * forwards its own), and control's own generated idempotency key. Its result is reported the way the
 * control CLI would have: stdout = the intent entry JSON line, stderr = `error: <message>` lines,
 * exit code 0 / 1 / 2.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { errorMessage, isOpsError } from "@ops/contract";
import { controlIntent } from "@ops/reconcile";
import type { ControlRunArgs, ControlRunResult, RunControl } from "@ops/transport-sprite";

/** Marker of the install root (the directory whose `superloop.sh` is the default `SUPERLOOP_BIN`). */
const INSTALL_ROOT_MARKER = "config/ops-manager-threshold-profiles.v1.json";

/** Nearest directory at or above this module that holds the bundled catalogs, or undefined. */
export function findInstallRoot(start = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, INSTALL_ROOT_MARKER))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface InProcessControlOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default `SUPERLOOP_BIN` = `<installRoot>/superloop.sh` (default: found from this module). */
  readonly installRoot?: string | undefined;
}

/** `runControl` over the in-process control of @ops/reconcile. */
export function inProcessControl(options: InProcessControlOptions): RunControl {
  const installRoot = options.installRoot ?? findInstallRoot();
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
          ...(installRoot === undefined ? {} : { installRoot }),
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
