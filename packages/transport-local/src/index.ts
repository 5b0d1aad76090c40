// Local transport: snapshot and event-poll adapters over .superloop/ files.
export type { CommandContext } from "./context.js";
export * from "./control/index.js";
export {
  buildEventEnvelope,
  type EventEnvelopeFrame,
  type ParsedEventLine,
  parseEventLine,
} from "./event-envelope.js";
export {
  absentArtifactRef,
  artifactRefFromText,
  artifactRefWithIdentity,
  digestEventsResumable,
  digestFileStreaming,
  EVENTS_TAIL_CHECK_BYTES,
  type EventsDigestEntry,
  type ResumableDigest,
  type StreamedDigest,
} from "./file-digest.js";
export { isRuntimeArtifact } from "./inputs.js";
export {
  type BatchResume,
  type EventBatchResult,
  type EventSink,
  eventBatch,
  type PollEventsInput,
  parseCursorOffset,
  parseMaxEvents,
  pollEvents,
  readEventBatch,
  writePollCursor,
} from "./poll.js";
export {
  deriveRunStatus,
  ERROR_EVENT_STATUSES,
  type RunStatusInputs,
  STOP_EVENT_NAMES,
} from "./run-status.js";
export {
  type CachedDocumentFile,
  type CachedFileRef,
  type CachedRunSummaryFile,
  emptySnapshotDigestCache,
  type LoopRunSnapshotContext,
  type LoopRunSnapshotInput,
  latestSummaryEntry,
  loopRunSnapshot,
  normalizeGates,
  normalizeStuck,
  RACY_MTIME_WINDOW_MS,
  type SnapshotDigestCache,
} from "./snapshot.js";
export { eventNameOf, isJsonObject, nonEmptyString, textField, toIteration } from "./values.js";
