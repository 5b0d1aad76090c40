/**
 * Spec 13 §4.1: ingest over the local transport — the snapshot adapter (with the digest cache) and
 * the poll adapter, streamed into the shared batch (ingest-batch.ts). The poller's new cursor is
 * returned by the poll, not written, and committed only after projection (careful Q13-3).
 */
import type { Clock, LoopRunSnapshot } from "@ops/contract";
import {
  type EventBatchResult,
  eventBatch,
  loopRunSnapshot,
  type CommandContext as TransportContext,
  writePollCursor,
} from "@ops/transport-local";
import type { ReconcileContext } from "./context.js";
import {
  formatSnapshotDigestCache,
  readSnapshotDigestCache,
  snapshotDigestCachePath,
  writeSnapshotDigestCache,
} from "./digest-cache.js";
import { IngestBatch, type IngestOutcome, ingestFailure } from "./ingest-batch.js";
import type { ReconcileOptions } from "./options.js";
import { stepErrorOutput } from "./util.js";

export async function ingestLocal(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  clock: Clock,
): Promise<IngestOutcome> {
  const transportCtx: TransportContext = {
    clock,
    cwd: options.cwd,
    ...(ctx.tornReadRetries === undefined ? {} : { tornReadRetries: ctx.tornReadRetries }),
    ...(ctx.tornReadDelayMs === undefined ? {} : { tornReadDelayMs: ctx.tornReadDelayMs }),
  };

  // §4.1 step 1: snapshot, with the digests kept from the previous cycles (O(new bytes)).
  let snapshot: LoopRunSnapshot;
  try {
    snapshot = await snapshotWithDigestCache(options, ctx, transportCtx);
  } catch (error) {
    return ingestFailure("snapshot_unavailable", stepErrorOutput(error));
  }

  // §4.1 step 2: poll, streamed. The new cursor is returned, not written (Q13-3).
  const batch = await IngestBatch.open(options, ctx);
  let polled: EventBatchResult;
  try {
    const envelopes = eventBatch(
      {
        repo: options.repoPath,
        loop: options.loopId,
        cursorFile: options.files.cursor.path,
        fromStart: options.fromStart,
        maxEvents: options.maxEvents,
        traceId: options.traceId,
      },
      transportCtx,
    );
    for (;;) {
      const step = await envelopes.next();
      if (step.done === true) {
        polled = step.value;
        break;
      }
      await batch.add(step.value);
    }
  } catch (error) {
    await batch.discard();
    // Q13-7: envelopes read before the failure were not ingested.
    return ingestFailure("events_unavailable", stepErrorOutput(error));
  }

  // Step 5, then the poller's cursor (the poller's own document, spec 11 §5).
  return batch.project(snapshot, ctx, clock, () => writePollCursor(polled.cursorFile, polled.cursor));
}

/**
 * The cycle's snapshot. Unless `ctx.snapshotDigestCache` is false, the digest cache is read from
 * `<ops>/snapshot-digest-cache.json` (anything invalid → empty), passed to the snapshot, and written
 * back when the snapshot changed it, also when the snapshot failed (its entries describe the files
 * as they were read). A failure to write the cache is only a warning: it costs the next cycle a
 * full read.
 */
async function snapshotWithDigestCache(
  options: ReconcileOptions,
  ctx: ReconcileContext,
  transportCtx: TransportContext,
): Promise<LoopRunSnapshot> {
  const input = { repo: options.repoPath, loop: options.loopId, traceId: options.traceId };
  if (ctx.snapshotDigestCache === false) return loopRunSnapshot(input, transportCtx);
  const file = snapshotDigestCachePath(options.repoPath, options.loopId);
  const digestCache = await readSnapshotDigestCache(file);
  const before = formatSnapshotDigestCache(digestCache);
  try {
    return await loopRunSnapshot(input, { ...transportCtx, digestCache });
  } finally {
    const after = formatSnapshotDigestCache(digestCache);
    if (after !== before) {
      await writeSnapshotDigestCache(file, after).catch((error: unknown) => {
        ctx.warn?.(`snapshot digest cache not saved (reconcile continues): ${stepErrorOutput(error)}`);
      });
    }
  }
}
