/**
 * The ops-manager install root: the directory whose `config/` holds the bundled catalogs (spec 00,
 * spec 10 §1.1). Found by walking up from this module's own file, so it is the same from the sources
 * (tsx, vitest), from the tsup bundle (`apps/cli/dist/index.js`) and from any working directory.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OpsError } from "@ops/contract";

export const THRESHOLD_PROFILES_CATALOG = "config/ops-manager-threshold-profiles.v1.json";
export const ALERT_SINKS_CATALOG = "config/ops-manager-alert-sinks.v1.json";

export interface InstallRoot {
  /** Absolute install root directory (the monorepo root in this repository). */
  readonly root: string;
  /** Absolute path of the bundled threshold-profile catalog (spec 18 §1, values of spec 14 §6). */
  readonly thresholdProfilesFile: string;
  /** Absolute path of the bundled alert-sink config (spec 19 §1). */
  readonly alertSinksFile: string;
}

/** Nearest directory at or above `start` that contains the threshold-profile catalog, or null. */
export function findInstallRoot(start: string): InstallRoot | null {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, THRESHOLD_PROFILES_CATALOG))) {
      return {
        root: dir,
        thresholdProfilesFile: path.join(dir, THRESHOLD_PROFILES_CATALOG),
        alertSinksFile: path.join(dir, ALERT_SINKS_CATALOG),
      };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const moduleDir = path.dirname(fileURLToPath(import.meta.url));
let cached: InstallRoot | null | undefined;

/** The install root of the running CLI (searched from this module's directory), or null. */
export function tryInstallRoot(): InstallRoot | null {
  if (cached === undefined) cached = findInstallRoot(moduleDir);
  return cached;
}

/** The install root of the running CLI; throws a one-line OpsError when the catalogs are missing. */
export function installRoot(): InstallRoot {
  const found = tryInstallRoot();
  if (found === null) {
    throw new OpsError(
      `ops-manager install root not found: no ${THRESHOLD_PROFILES_CATALOG} above ${moduleDir}`,
      {
        kind: "io",
      },
    );
  }
  return found;
}
