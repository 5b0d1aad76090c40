/**
 * The ops-manager install root: the directory whose `config/` holds the bundled catalogs (spec 00,
 * spec 10 §1.1). Found by walking up from this module's own file, so it is the same from the sources
 * (tsx, vitest), from the tsup bundle (`apps/cli/dist/index.js`) and from any working directory.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findInstallRoot, type InstallRoot, OpsError, THRESHOLD_PROFILES_CATALOG } from "@ops/contract";

export {
  ALERT_SINKS_CATALOG,
  findInstallRoot,
  type InstallRoot,
  THRESHOLD_PROFILES_CATALOG,
} from "@ops/contract";

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
