/**
 * How the service runs control (spec 16 §3.4 step 2): `inProcessRunControl` of `@ops/reconcile`
 * with the service's environment and the install root found next to this app.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findInstallRoot } from "@ops/contract";
import { inProcessRunControl } from "@ops/reconcile";
import type { RunControl } from "@ops/transport-sprite";

/** The install root above this module (its `superloop.sh` is the default `SUPERLOOP_BIN`). */
function installRootOfThisApp(): string | undefined {
  return findInstallRoot(path.dirname(fileURLToPath(import.meta.url)))?.root;
}

export interface InProcessControlOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default `SUPERLOOP_BIN` = `<installRoot>/superloop.sh` (default: found from this module). */
  readonly installRoot?: string | undefined;
}

/** `runControl` over the in-process control of @ops/reconcile. */
export function inProcessControl(options: InProcessControlOptions): RunControl {
  return inProcessRunControl({
    env: options.env,
    installRoot: options.installRoot ?? installRootOfThisApp(),
  });
}
