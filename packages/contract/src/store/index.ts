/** The file store: how every package reads and writes `.superloop/` files. */
export { formatJson, type WriteJsonOptions, writeFileAtomic, writeJsonAtomic } from "./atomic-write.js";
export { ensureDirectory } from "./directories.js";
export { classifyFileChange, type FileChange, type FileIdentity, fileIdentity } from "./file-identity.js";
export { errnoCode, isNotFoundError } from "./fs-errors.js";
export { isDirectory, isRegularFile } from "./fs-kind.js";
export {
  DEFAULT_TORN_READ_DELAY_MS,
  DEFAULT_TORN_READ_RETRIES,
  type JsonReadResult,
  type ReadJsonFileOptions,
  readJsonFile,
  readJsonFileStrict,
} from "./json-read.js";
export { appendJsonl, formatJsonlRecord, type JsonlRecord } from "./jsonl-append.js";
export {
  countNewlines,
  DEFAULT_CHUNK_SIZE,
  forEachJsonlLine,
  type JsonlLine,
  type JsonlLineVisitor,
  type JsonlPosition,
  type JsonlReadOptions,
  type LastLine,
  type LastLineOptions,
  readJsonlLines,
  readLastCompleteLine,
} from "./jsonl-read.js";
export { readTailLines, TAIL_CHUNK_SIZE, type TailLines, type TailOptions } from "./jsonl-tail.js";
export { DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, type WithLockOptions, withLock } from "./lock.js";
export { assertWritable, type WriteTarget } from "./preflight.js";
