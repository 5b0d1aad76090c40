export { normalizeFleetRegistry } from "./normalize.js";
export {
  FLEET_REGISTRY_SCRIPT_ENV,
  type FleetRegistryContext,
  FleetRegistryHookFailedError,
  type FleetRegistryInput,
  FleetRegistryInvalidError,
  fleetRegistry,
  formatFleetRegistryInvalid,
  isFleetRegistryHookFailedError,
  isFleetRegistryInvalidError,
  loadFleetRegistry,
  type ResolvedRegistryLocation,
  readFleetRegistry,
  resolveRegistryLocation,
} from "./registry.js";
export { declaredLoopIds, isPresent, validateFleetRegistry } from "./validate.js";
