// Sprite-service transport: HTTP client and the request handlers served by the sprite-service app.
export { isAuthorized, tokensEqual } from "./auth.js";
export {
  buildServicePath,
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_TIME_SECONDS,
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_RETRY_BACKOFF_SECONDS,
  isIdempotentRequest,
  MAX_TIMER_MS,
  redactUrl,
  type ServiceAttempt,
  type ServiceMethod,
  type ServiceRequestInput,
  type ServiceResponse,
  serviceFailureMessage,
  serviceRequest,
  serviceUrl,
  sleepLong,
  TRANSIENT_STATUSES,
  TRANSPORT_ERROR_CODE,
  type TransportFailureKind,
} from "./client.js";
export {
  CONTROL_INTENTS,
  type ControlIntentName,
  type ControlOutcome,
  type ControlRequest,
  type ControlRunArgs,
  type ControlRunResult,
  ControlService,
  type ControlServiceOptions,
  controlHttpStatus,
  controlResponse,
  controlRunArgs,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  PENDING_KEY_REASON,
  parseControlRequest,
  type RunControl,
} from "./control.js";
export {
  type AccessLogEntry,
  createSpriteServiceHandler,
  type SpriteServiceHandler,
  type SpriteServiceHandlerOptions,
} from "./handler.js";
export { DEFAULT_MAX_BODY_BYTES, type ErrorBody, errorBody, HttpError, readBody, sendJson } from "./http.js";
export {
  type ControlFingerprint,
  claimIdempotencyKey,
  fingerprintConflicts,
  IDEMPOTENCY_FILE_NAME,
  type IdempotencyClaim,
  type IdempotencyStore,
  isPendingEntry,
  PENDING_STATUS,
  type PendingEntry,
  readIdempotencyStore,
  storedFingerprint,
  storeIdempotentResponse,
  writeIdempotencyStore,
} from "./idempotency.js";
export {
  resolveServiceClientRequest,
  type ServiceClientContext,
  type ServiceClientInput,
  type ServiceClientRequest,
  type ServiceClientResult,
  ServiceRequestError,
  serviceClient,
} from "./service-client.js";
export { lastJsonObjectLine, lastLines, lastNonBlankLines, TAIL_LINES } from "./text.js";
