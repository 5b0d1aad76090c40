/**
 * Property: whatever lines the runtime (or a broken writer) appends — valid, malformed, truncated,
 * blank, whitespace-only, unterminated — the poller only ever fails with ContractError /
 * ValidationError, a failed poll leaves the cursor file untouched, successful polls never move the
 * cursor backwards or past the line count, and the byte-offset resume behaves exactly like the
 * spec's line-number walk and like a simple reference model of spec 11 §5.
 */
import fs from "node:fs";
import path from "node:path";
import {
  ContractError,
  type LoopRunEvent,
  LoopRunEventSchema,
  PollCursorSchema,
  runtimePaths,
  ValidationError,
} from "@ops/contract";
import { withTempDir } from "@ops/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pollEvents } from "./poll.js";
import { fixedClock } from "./test-helpers.js";

const clock = fixedClock("2026-02-22T10:00:21Z");

const validEvent = fc
  .record({
    timestamp: fc.constantFrom("2026-02-22T10:00:00Z", "2026-02-22T10:00:00.5Z", "x"),
    event: fc.constantFrom("loop_start", "role_end", "iteration_end", "loop_stop", "é✓"),
    run_id: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
    iteration: fc.option(fc.oneof(fc.integer({ min: -3, max: 40 }), fc.string({ maxLength: 3 })), {
      nil: undefined,
    }),
    role: fc.option(fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)), { nil: undefined }),
    message: fc.option(fc.oneof(fc.string({ maxLength: 6 }), fc.object({ maxDepth: 1 })), { nil: undefined }),
    data: fc.option(
      fc.oneof(fc.object({ maxDepth: 2 }), fc.constant(false), fc.array(fc.integer()), fc.string()),
      {
        nil: undefined,
      },
    ),
  })
  .map((event) => JSON.stringify(event));

/** One piece of text appended to events.jsonl (without its newline). */
const linePiece = fc.oneof(
  { weight: 6, arbitrary: validEvent },
  { weight: 1, arbitrary: validEvent.chain((line) => fc.nat(line.length).map((cut) => line.slice(0, cut))) },
  { weight: 1, arbitrary: fc.constantFrom("", "", "   ", "\t") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "{",
      "not json",
      "[1,2]",
      "42",
      "null",
      '"s"',
      '{"event":"x"}',
      '{"timestamp":"t"}',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }).filter((text) => !text.includes("\n")) },
);

type Op =
  | { readonly kind: "append"; readonly pieces: string[]; readonly terminated: boolean }
  | { readonly kind: "poll"; readonly maxEvents: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("append" as const),
    pieces: fc.array(linePiece, { minLength: 1, maxLength: 5 }),
    terminated: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("poll" as const), maxEvents: fc.nat(4) }),
);

/** Reference model of spec 11 §5 steps 2–4 over the file text (unterminated tail not yet written). */
function reference(text: string, start: number, maxEvents: number, eventsFile: string) {
  const lines = text.split("\n");
  lines.pop(); // the unterminated tail (or "" after a final newline)
  const total = lines.length;
  if (start > total)
    return {
      error: `cursor offset (${start}) exceeds available events (${total}); reset cursor or use --from-start`,
    };
  const emitted: number[] = [];
  for (let n = start + 1; n <= total; n += 1) {
    const line = lines[n - 1] as string;
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (line.trim() === "") return { error: `missing event name at line ${n} in ${eventsFile}`, emitted };
      return { error: `invalid JSON event at line ${n} in ${eventsFile}`, emitted };
    }
    const record =
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
    const name = [record["event"], record["type"]].find(
      (candidate) => typeof candidate === "string" && candidate !== "",
    );
    if (name === undefined) return { error: `missing event name at line ${n} in ${eventsFile}`, emitted };
    if (typeof record["timestamp"] !== "string" || record["timestamp"] === "") {
      return { error: `missing event timestamp at line ${n} in ${eventsFile}`, emitted };
    }
    emitted.push(n);
    if (maxEvents > 0 && emitted.length >= maxEvents) break;
  }
  return { emitted, total, offset: emitted.at(-1) ?? start };
}

async function runPoll(repo: string, cursorFile: string, maxEvents: number) {
  const envelopes: LoopRunEvent[] = [];
  try {
    await pollEvents(
      { repo, loop: "demo-loop", cursorFile, maxEvents: String(maxEvents) },
      { emit: (e) => void envelopes.push(e) },
      { clock },
    );
    return { ok: true as const, envelopes };
  } catch (error) {
    // The only acceptable failures.
    expect(error instanceof ContractError || error instanceof ValidationError, String(error)).toBe(true);
    return { ok: false as const, envelopes, message: (error as Error).message };
  }
}

describe("pollEvents property: random event logs", () => {
  it("fails only with contract errors, never moves the cursor backwards, byte mode == line mode == model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        await withTempDir(async (root) => {
          const paths = runtimePaths(root, "demo-loop");
          fs.mkdirSync(paths.loopDir, { recursive: true });
          fs.writeFileSync(paths.events, "");
          const byteCursor = path.join(root, "byte.json");
          const lineCursor = path.join(root, "line.json");
          let text = "";
          let offset = 0;
          for (const step of [...ops, { kind: "poll", maxEvents: 0 } as const]) {
            if (step.kind === "append") {
              const chunk = step.pieces.join("\n") + (step.terminated ? "\n" : "");
              fs.appendFileSync(paths.events, chunk);
              text += chunk;
              continue;
            }
            const before = fs.existsSync(byteCursor) ? fs.readFileSync(byteCursor, "utf8") : null;
            if (fs.existsSync(lineCursor)) {
              const {
                eventByteOffset: _b,
                eventsFileIdentity: _i,
                ...lineOnly
              } = PollCursorSchema.parse(JSON.parse(fs.readFileSync(lineCursor, "utf8")));
              fs.writeFileSync(lineCursor, JSON.stringify(lineOnly));
            }
            const expected = reference(text, offset, step.maxEvents, paths.events);
            const byByte = await runPoll(root, byteCursor, step.maxEvents);
            const byLine = await runPoll(root, lineCursor, step.maxEvents);
            expect(byLine).toEqual(byByte);
            expect(byByte.envelopes.map((e) => e.sequence.value)).toEqual(expected.emitted ?? []);
            if (!byByte.ok) {
              expect(byByte.message).toBe(expected.error);
              expect(fs.existsSync(byteCursor) ? fs.readFileSync(byteCursor, "utf8") : null).toBe(before);
              continue;
            }
            expect(expected.error).toBeUndefined();
            const cursor = PollCursorSchema.parse(JSON.parse(fs.readFileSync(byteCursor, "utf8")));
            expect(cursor.eventLineOffset).toBeGreaterThanOrEqual(offset);
            expect(cursor.eventLineOffset).toBeLessThanOrEqual(cursor.eventLineCount);
            expect(cursor.eventLineOffset).toBe(expected.offset);
            expect(cursor.eventLineCount).toBe(expected.total);
            for (const envelope of byByte.envelopes) {
              expect(LoopRunEventSchema.safeParse(envelope).success).toBe(true);
              expect(envelope.cursor.eventLineCount).toBe(expected.total);
            }
            offset = cursor.eventLineOffset;
          }
        });
      }),
      { numRuns: 120 },
    );
  });
});
