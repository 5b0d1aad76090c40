/**
 * The real in-process alert dispatch (spec 13 §10 → spec 19 §3): `alertDispatch` of @ops/health,
 * run inside reconcile's loop lock (`holdsLoopLock: true`, the lock is not re-entrant), with the
 * cycle's clock, env, cwd and install root (for the bundled sink config).
 */
import { alertDispatch } from "@ops/health";
import type { AlertDispatchFunction } from "./context.js";

export const inProcessAlertDispatch: AlertDispatchFunction = async (request) => {
  await alertDispatch(
    {
      repo: request.repoPath,
      loop: request.loopId,
      traceId: request.traceId,
      escalationsFile: request.escalationsFile,
      dispatchStateFile: request.dispatchStateFile,
      dispatchTelemetryFile: request.dispatchTelemetryFile,
      ...(request.alertConfigFile === null ? {} : { alertConfigFile: request.alertConfigFile }),
    },
    {
      clock: request.clock,
      env: request.env,
      cwd: request.cwd,
      ...(request.installRoot === null ? {} : { installRoot: request.installRoot }),
      holdsLoopLock: true,
    },
  );
  return { status: "completed" };
};
