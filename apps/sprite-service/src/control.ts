/**
 * How the service runs control (spec 16 §3.4 step 2): `inProcessRunControl` of `@ops/reconcile`
 * with the service's environment and the install root found next to this app.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inProcessRunControl } from "@ops/reconcile";
import type { RunControl } from "@ops/transport-sprite";

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
  return inProcessRunControl({ env: options.env, installRoot: options.installRoot ?? findInstallRoot() });
}
