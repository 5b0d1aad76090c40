/**
 * Where a from-start reconcile's time goes, measured with the packages' own public functions on the
 * same events.jsonl (medians after one warm-up each). Each step adds one layer to the previous one:
 *
 *   line scan (contract `forEachJsonlLine`, visitor)         bytes → lines
 *   line scan (contract `readJsonlLines`, async generator)   + one generator step per line
 *   poll drain (transport-local `readEventBatch`, no-op sink) + JSON.parse, envelope, per-line await
 *   poll drain + `JSON.stringify(envelope)`                   + what the opt-in batch copy serialises
 *   reconcile from-start (default)                            + snapshot, project-state, health, …
 *                                                               (digest cache warm: the file is unchanged)
 *   reconcile from-start, digest cache cold                   + the cache file removed before each run:
 *                                                               events.jsonl hashed from 0 (hash-wasm)
 *   reconcile from-start, `snapshotDigestCache: false`        the pre-cache snapshot (node:crypto, no cache)
 *   reconcile from-start, `persistEventBatch: true`           the opt-in: events-batch.ndjson written + fsync
 *
 * and, for the incremental comparison, on the large and the small loop:
 *
 *   poll of the new events only (`readEventBatch` against reconcile's cursor, resumed at its byte
 *   offset; the cursor is not written, so every repetition reads the same new events)
 *   snapshot alone without a cache (the standalone command: hashes all of events.jsonl, reads and
 *   hashes all of run-summary.json)
 *   snapshot alone with the digest cache reconcile keeps, as it was before the new events (each
 *   repetition starts from a copy of it, so it hashes exactly the new events' bytes)
 *   the same, with run-summary.json's entry dropped: what a cycle pays when the runtime replaced
 *   run-summary.json since the last one (the file is read, parsed and hashed in full)
 */
import { rmSync, statSync } from "node:fs";
import { forEachJsonlLine, opsPaths, readJsonlLines, runtimePaths } from "../packages/contract/src/index.js";
import {
  eventBatchEvidencePath,
  readSnapshotDigestCache,
  snapshotDigestCachePath,
} from "../packages/reconcile/src/index.js";
import {
  loopRunSnapshot,
  readEventBatch,
  type SnapshotDigestCache,
} from "../packages/transport-local/src/index.js";
import { type EventAppender, median, round, timedReconcile } from "./lib.js";

export interface BreakdownLoop {
  readonly repo: string;
  readonly loopId: string;
  readonly eventsFile: string;
  /** Events in the file now (its cursor is at the end). */
  readonly events: number;
  readonly appender: EventAppender;
}

export interface BreakdownStep {
  readonly step: string;
  readonly medianMs: number;
  readonly ms: readonly number[];
}

export interface Breakdown {
  readonly events: number;
  readonly eventsFileBytes: number;
  readonly evidenceFileBytes: number;
  readonly steps: readonly BreakdownStep[];
  readonly incremental: {
    readonly newEvents: number;
    readonly largeEvents: number;
    readonly smallEvents: number;
    readonly pollLargeMedianMs: number;
    readonly pollSmallMedianMs: number;
    readonly snapshotLargeMedianMs: number;
    readonly snapshotSmallMedianMs: number;
    readonly snapshotCachedLargeMedianMs: number;
    readonly snapshotCachedSmallMedianMs: number;
    readonly snapshotSummaryMissLargeMedianMs: number;
    readonly snapshotSummaryMissSmallMedianMs: number;
    readonly runSummaryBytesLarge: number;
  };
}

async function timeIt(
  reps: number,
  run: () => Promise<number | undefined>,
  expect?: number,
): Promise<number[]> {
  const once = async () => {
    const t0 = performance.now();
    const result = await run();
    const ms = performance.now() - t0;
    if (expect !== undefined && result !== expect)
      throw new Error(`breakdown: expected ${expect}, got ${result}`);
    return ms;
  };
  await once(); // warm-up
  const times: number[] = [];
  for (let rep = 0; rep < reps; rep += 1) times.push(await once());
  return times;
}

/**
 * Appends `append` events to both loops, measures their incremental poll and snapshot, then the
 * from-start layers on `large` (whose from-start runs leave its cursor at the end again).
 */
export async function measureBreakdown(
  large: BreakdownLoop,
  small: BreakdownLoop,
  append: number,
  reps: number,
  cheapReps: number,
): Promise<Breakdown> {
  const pollNew = (loop: BreakdownLoop) => async () => {
    const result = await readEventBatch(
      {
        repo: loop.repo,
        loop: loop.loopId,
        cursorFile: opsPaths(loop.repo, loop.loopId).cursor,
        traceId: "bench",
      },
      { emit: () => undefined },
    );
    if (result.resume !== "byte_offset")
      throw new Error(`poll of ${loop.loopId} resumed by ${result.resume}`);
    return result.emitted;
  };
  const snapshotOf = (loop: BreakdownLoop, cache?: SnapshotDigestCache) => async () => {
    const snapshot = await loopRunSnapshot(
      { repo: loop.repo, loop: loop.loopId, traceId: "bench" },
      cache === undefined ? {} : { digestCache: structuredClone(cache) },
    );
    return snapshot.artifacts.events.lineCount;
  };
  // The caches reconcile left for the files as they are before the new events.
  const cacheOf = async (loop: BreakdownLoop) => {
    const cache = await readSnapshotDigestCache(snapshotDigestCachePath(loop.repo, loop.loopId));
    // (run-summary.json's entry is null when it was just rewritten: --rewrite-summary.)
    if (cache.events === null) throw new Error(`no digest cache for ${loop.loopId}`);
    return cache;
  };
  const cacheLarge = await cacheOf(large);
  const cacheSmall = await cacheOf(small);
  const withoutSummary = (cache: SnapshotDigestCache): SnapshotDigestCache => ({
    ...cache,
    files: { ...cache.files, runSummary: null },
  });
  large.appender.append(append);
  small.appender.append(append);
  const pollLarge = await timeIt(cheapReps, pollNew(large), append);
  const pollSmall = await timeIt(cheapReps, pollNew(small), append);
  const nLarge = large.events + append;
  const nSmall = small.events + append;
  const snapshotLarge = await timeIt(cheapReps, snapshotOf(large), nLarge);
  const snapshotSmall = await timeIt(cheapReps, snapshotOf(small), nSmall);
  const cachedLarge = await timeIt(cheapReps, snapshotOf(large, cacheLarge), nLarge);
  const cachedSmall = await timeIt(cheapReps, snapshotOf(small, cacheSmall), nSmall);
  const missLarge = await timeIt(cheapReps, snapshotOf(large, withoutSummary(cacheLarge)), nLarge);
  const missSmall = await timeIt(cheapReps, snapshotOf(small, withoutSummary(cacheSmall)), nSmall);
  // Consume the small loop's new events too, so both cursors are at the end afterwards.
  await timedReconcile(small.repo, small.loopId, false, append);

  const n = large.events + append;
  const steps: BreakdownStep[] = [];
  const step = async (name: string, run: () => Promise<number | undefined>, expect?: number) => {
    const ms = await timeIt(reps, run, expect);
    steps.push({ step: name, medianMs: round(median(ms)), ms: ms.map((v) => round(v)) });
  };
  const pollInput = { repo: large.repo, loop: large.loopId, fromStart: true, traceId: "bench" };

  await step(
    "line scan: forEachJsonlLine (contract)",
    async () => {
      let lines = 0;
      await forEachJsonlLine(large.eventsFile, () => {
        lines += 1;
      });
      return lines;
    },
    n,
  );
  await step(
    "line scan: readJsonlLines (contract, async generator)",
    async () => {
      let lines = 0;
      for await (const _line of readJsonlLines(large.eventsFile)) lines += 1;
      return lines;
    },
    n,
  );
  await step(
    "poll drain: readEventBatch, no-op sink (transport-local)",
    async () => (await readEventBatch(pollInput, { emit: () => undefined })).emitted,
    n,
  );
  await step(
    "poll drain + JSON.stringify(envelope)",
    async () => {
      let bytes = 0;
      const result = await readEventBatch(pollInput, {
        emit: (envelope) => {
          bytes += JSON.stringify(envelope).length;
        },
      });
      return bytes > 0 ? result.emitted : -1;
    },
    n,
  );
  await step(
    "reconcile from-start (default: digest cache warm)",
    async () => (await timedReconcile(large.repo, large.loopId, true, n)).row.eventsIngested,
    n,
  );
  await step(
    "reconcile from-start, digest cache cold",
    async () => {
      rmSync(snapshotDigestCachePath(large.repo, large.loopId), { force: true });
      return (await timedReconcile(large.repo, large.loopId, true, n)).row.eventsIngested;
    },
    n,
  );
  await step(
    "reconcile from-start, snapshotDigestCache: false",
    async () =>
      (await timedReconcile(large.repo, large.loopId, true, n, { snapshotDigestCache: false })).row
        .eventsIngested,
    n,
  );
  await step(
    "reconcile from-start, persistEventBatch: true (opt-in)",
    async () =>
      (await timedReconcile(large.repo, large.loopId, true, n, { persistEventBatch: true })).row
        .eventsIngested,
    n,
  );

  return {
    events: n,
    eventsFileBytes: statSync(large.eventsFile).size,
    evidenceFileBytes: statSync(eventBatchEvidencePath(large.repo, large.loopId)).size,
    steps,
    incremental: {
      newEvents: append,
      largeEvents: large.events,
      smallEvents: small.events,
      pollLargeMedianMs: round(median(pollLarge)),
      pollSmallMedianMs: round(median(pollSmall)),
      snapshotLargeMedianMs: round(median(snapshotLarge)),
      snapshotSmallMedianMs: round(median(snapshotSmall)),
      snapshotCachedLargeMedianMs: round(median(cachedLarge), 2),
      snapshotCachedSmallMedianMs: round(median(cachedSmall), 2),
      snapshotSummaryMissLargeMedianMs: round(median(missLarge)),
      snapshotSummaryMissSmallMedianMs: round(median(missSmall)),
      runSummaryBytesLarge: statSync(runSummaryFile(large)).size,
    },
  };
}

function runSummaryFile(loop: BreakdownLoop): string {
  return runtimePaths(loop.repo, loop.loopId).runSummary;
}
