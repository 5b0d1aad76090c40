export { normalizeFleetRegistry } from "./normalize.js";
export {
  FLEET_REGISTRY_SCRIPT_ENV,
  type FleetRegistryContext,
  type FleetRegistryInput,
  FleetRegistryInvalidError,
  fleetRegistry,
  formatFleetRegistryInvalid,
  isFleetRegistryInvalidError,
  loadFleetRegistry,
  type ResolvedRegistryLocation,
  readFleetRegistry,
  resolveRegistryLocation,
} from "./registry.js";
export { declaredLoopIds, isPresent, validateFleetRegistry } from "./validate.js";
