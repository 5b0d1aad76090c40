/** Records the worker writes, shared with the tests that check them. */

/** Deterministic payload sizes from tiny to several chunks, so whole-line atomicity is tested at scale. */
export function appendPayload(
  workerId: string,
  index: number,
): { worker: string; index: number; pad: string } {
  const sizes = [0, 10, 200, 5_000, 70_000];
  const size = sizes[index % sizes.length] ?? 0;
  return { worker: workerId, index, pad: workerId.repeat(size) };
}

/** Documents the atomic-write test alternates between: both large enough to need several writes. */
export function atomicDocument(generation: number): { generation: number; body: string } {
  return { generation, body: String(generation % 10).repeat(512 * 1024) };
}
