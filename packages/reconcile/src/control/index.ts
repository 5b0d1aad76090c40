// Control intents (spec 15): control, confirm-intent, and the schemas of their artifacts.
export {
  type ConfirmContext,
  type ConfirmIntentInput,
  type ConfirmIntentResult,
  type ConfirmParameters,
  confirmIntent,
  DEFAULT_CONFIRM_INTERVAL_SECONDS,
  DEFAULT_CONFIRM_TIMEOUT_SECONDS,
  runConfirmation,
  SNAPSHOT_SCRIPT_ENV,
} from "./confirm.js";
export {
  CONFIRM_SCRIPT_ENV,
  type ControlContext,
  type ControlIntentInput,
  type ControlIntentResult,
  type ControlOptions,
  controlIntent,
  controlLockPath,
  resolveControlOptions,
  resolveSuperloopBin,
  SUPERLOOP_BIN_ENV,
} from "./control.js";
export { findRecordedLocalIntent, type RecordedIntent } from "./idempotency.js";
export {
  buildControlRecords,
  type ControlOutcome,
  type ControlRecords,
  type ControlRequestFacts,
  controlExitCode,
  controlReasonCode,
} from "./records.js";
export { type InProcessRunControlOptions, inProcessRunControl } from "./run-control.js";
export * from "./schemas.js";
export {
  type AttemptDelivery,
  attemptDelivery,
  confirmationStatusFor,
  defaultServiceControlClient,
  executionStatusFor,
  interpretServiceControlResponse,
  type ServiceControlAttempt,
  type ServiceControlBody,
  type ServiceControlClient,
  type ServiceControlOutcome,
  type ServiceControlReply,
  type ServiceControlRequest,
  sendServiceControl,
  serviceControlCommand,
  serviceMaxTimeSeconds,
} from "./service.js";
