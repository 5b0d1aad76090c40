// Control through the runtime command (spec 15 §1–§2.1, spec 10a §3–4.3).
export {
  assertCancelTarget,
  CANCEL_TARGET_REFUSED_REASON,
  type CancelTargetCheck,
  type CurrentRun,
  type CurrentRunOptions,
  checkCancelTarget,
  readCurrentRun,
} from "./current-run.js";
export { formatShellCommand, outputTail, shellQuote } from "./quote.js";
export {
  CONTROL_INTENTS,
  type ControlIntent,
  DEFAULT_RUNTIME_KILL_GRACE_MS,
  DEFAULT_RUNTIME_TIMEOUT_MS,
  isControlIntent,
  RUNTIME_NOT_EXECUTABLE_EXIT_CODE,
  RUNTIME_NOT_FOUND_EXIT_CODE,
  RUNTIME_TIMEOUT_EXIT_CODE,
  type RunRuntimeCommandOptions,
  type RuntimeArgvInput,
  type RuntimeCommandResult,
  runRuntimeCommand,
  runtimeControlArgv,
} from "./runtime-command.js";
