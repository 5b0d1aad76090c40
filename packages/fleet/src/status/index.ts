export {
  type FleetStatusContext,
  type FleetStatusInput,
  fleetStatus,
  type ResolvedFleetStatusFiles,
  readLastTelemetryRecord,
  resolveFleetStatusFiles,
} from "./fleet-status.js";
export {
  type FleetStatusSources,
  projectFleetStatus,
  REVIEW_DUE_SOON_SECONDS,
  statusGovernancePosture,
  statusOutcomeRollup,
  statusRolloutPosture,
  statusSafetyGateDecisions,
} from "./project.js";
export * from "./schemas.js";
export {
  type FleetStatusLoopDetail,
  type FleetStatusTableOptions,
  readFleetStatusLoopDetails,
  renderFleetStatusTable,
} from "./table.js";
