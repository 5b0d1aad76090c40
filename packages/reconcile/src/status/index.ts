// Operator status surface (spec 17) and runtime process visibility (spec 10a §4.5).

export { isRuntimeProcessAlive, type ProcessProbe, runtimeProcessStatus } from "./runtime-process.js";
export * from "./schemas.js";
export {
  type BuildStatusDocumentArgs,
  buildStatusDocument,
  DEFAULT_STATUS_SUMMARY_WINDOW,
  type LoopStatusContext,
  type LoopStatusInput,
  loopStatus,
  type StatusInputs,
  statusFiles,
} from "./status.js";
export { formatStatusTable, type StatusTableOptions } from "./table.js";
export { DEFAULT_SUMMARY_HOOK_TIMEOUT_MS, TELEMETRY_SUMMARY_SCRIPT_ENV } from "./telemetry.js";
