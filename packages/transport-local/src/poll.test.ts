import fs from "node:fs";
import path from "node:path";
import {
  ContractError,
  type LoopRunEvent,
  LoopRunEventSchema,
  type PollCursor,
  PollCursorSchema,
  runtimePaths,
  ValidationError,
} from "@ops/contract";
import { withTempDir } from "@ops/testkit";
import { describe, expect, it } from "vitest";
import type { CommandContext } from "./context.js";
import {
  type EventBatchResult,
  eventBatch,
  type PollEventsInput,
  pollEvents,
  readEventBatch,
  writePollCursor,
} from "./poll.js";
import { expectRejection, fixedClock, simulatedRepos } from "./test-helpers.js";

const clock = fixedClock("2026-02-22T10:00:21Z");
const simRepo = simulatedRepos();

const L1 =
  '{"timestamp":"2026-02-22T10:00:00Z","event":"loop_start","loop_id":"demo-loop","run_id":"run-123","iteration":1,"data":{}}';
const L2 =
  '{"timestamp":"2026-02-22T10:00:05Z","event":"iteration_start","loop_id":"demo-loop","run_id":"run-123","iteration":2,"data":{"started_at":"2026-02-22T10:00:05Z"}}';
const L3 =
  '{"timestamp":"2026-02-22T10:00:20Z","event":"role_end","loop_id":"demo-loop","run_id":"run-123","iteration":2,"role":"planner","status":"ok","data":{"duration_ms":1200}}';
const ev = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ timestamp: "2026-02-22T10:01:00Z", event: name, run_id: "run-9", iteration: 1, ...extra });

function setup(root: string, events: string, loop = "demo-loop") {
  const paths = runtimePaths(root, loop);
  fs.mkdirSync(paths.loopDir, { recursive: true });
  fs.writeFileSync(paths.events, events);
  return paths;
}

interface PollOutcome {
  readonly envelopes: LoopRunEvent[];
  readonly result: EventBatchResult;
}

async function poll(input: PollEventsInput, ctx: CommandContext = { clock }): Promise<PollOutcome> {
  const envelopes: LoopRunEvent[] = [];
  const result = await pollEvents(input, { emit: (envelope) => void envelopes.push(envelope) }, ctx);
  return { envelopes, result };
}

/** Poll expecting a failure; returns the envelopes printed before it (Q11-7). */
async function pollFailing(
  input: PollEventsInput,
  type: abstract new (...args: never[]) => Error,
  message: string | RegExp,
): Promise<LoopRunEvent[]> {
  const envelopes: LoopRunEvent[] = [];
  await expectRejection(
    pollEvents(input, { emit: (envelope) => void envelopes.push(envelope) }, { clock }),
    type,
    message,
  );
  return envelopes;
}

function readCursor(file: string): PollCursor {
  return PollCursorSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
}

const lineNumbers = (envelopes: LoopRunEvent[]) => envelopes.map((envelope) => envelope.sequence.value);

describe("pollEvents: validation errors in the spec's order (11 §5 step 1, 3)", () => {
  it("flags, then the loop id, then the filesystem", async () => {
    await pollFailing({}, ValidationError, "--repo is required");
    await pollFailing({ repo: "/nonexistent" }, ValidationError, "--loop is required");
    for (const maxEvents of ["-1", "1.5", "abc", "", " 1", "+1"]) {
      // --max-events is checked before the loop id and before the repo exists.
      await pollFailing(
        { repo: "/nonexistent", loop: "../x", maxEvents },
        ValidationError,
        "--max-events must be a non-negative integer",
      );
    }
    await pollFailing(
      { repo: "/x", loop: "a", maxEvents: -1 },
      ValidationError,
      "--max-events must be a non-negative integer",
    );
    await pollFailing(
      { repo: "/nonexistent", loop: "../x" },
      ValidationError,
      /^invalid loop id for --loop: "..\/x"/,
    );
    await pollFailing(
      { repo: "/nonexistent", loop: "demo-loop" },
      ValidationError,
      "repo directory not found: /nonexistent",
    );
  });

  it("loop directory, events file", async () => {
    await withTempDir(async (root) => {
      const paths = runtimePaths(root, "demo-loop");
      await pollFailing(
        { repo: root, loop: "demo-loop" },
        ContractError,
        `required artifact root missing: ${paths.loopDir}`,
      );
      fs.mkdirSync(paths.loopDir, { recursive: true });
      await pollFailing(
        { repo: root, loop: "demo-loop" },
        ContractError,
        `required artifact missing: ${paths.events}`,
      );
      expect(fs.existsSync(paths.standaloneCursor)).toBe(false);
    });
  });

  it("a path-traversing loop id never reaches the filesystem", async () => {
    await withTempDir(async (root) => {
      // `../demo-loop` from a fake loop dir would reach a real events file.
      setup(root, `${L1}\n`);
      fs.mkdirSync(path.join(root, ".superloop", "loops", "x"), { recursive: true });
      await pollFailing(
        { repo: root, loop: "x/../demo-loop" },
        ValidationError,
        /^invalid loop id for --loop: /,
      );
      await pollFailing({ repo: root, loop: ".." }, ValidationError, /^invalid loop id for --loop: "\.\."/);
    });
  });

  it("cursor file: invalid JSON, invalid offset, offset beyond the log", async () => {
    await withTempDir(async (root) => {
      setup(root, `${L1}\n${L2}\n`);
      const cursorFile = path.join(root, "cursor.json");
      fs.writeFileSync(cursorFile, "{not json");
      await pollFailing(
        { repo: root, loop: "demo-loop", cursorFile },
        ContractError,
        `invalid JSON in cursor file: ${cursorFile}`,
      );
      // A cursor path that is a directory is not a valid JSON cursor either (same message).
      const cursorDir = path.join(root, "cursor-dir");
      fs.mkdirSync(cursorDir);
      await pollFailing(
        { repo: root, loop: "demo-loop", cursorFile: cursorDir },
        ContractError,
        `invalid JSON in cursor file: ${cursorDir}`,
      );
      for (const offset of ["-1", "1.5", '"abc"', '"-2"', "true", "[1]", '{"n":1}']) {
        fs.writeFileSync(cursorFile, `{"eventLineOffset":${offset}}`);
        await pollFailing(
          { repo: root, loop: "demo-loop", cursorFile },
          ContractError,
          `invalid cursor offset in ${cursorFile}`,
        );
      }
      fs.writeFileSync(cursorFile, "[3]");
      await pollFailing(
        { repo: root, loop: "demo-loop", cursorFile },
        ContractError,
        `invalid cursor offset in ${cursorFile}`,
      );
      fs.writeFileSync(cursorFile, '{"eventLineOffset":3}');
      await pollFailing(
        { repo: root, loop: "demo-loop", cursorFile },
        ContractError,
        "cursor offset (3) exceeds available events (2); reset cursor or use --from-start",
      );
      // The failing polls left the cursor alone.
      expect(fs.readFileSync(cursorFile, "utf8")).toBe('{"eventLineOffset":3}');
      // --from-start ignores the cursor entirely, even a corrupt one.
      fs.writeFileSync(cursorFile, "{not json");
      const { envelopes } = await poll({ repo: root, loop: "demo-loop", cursorFile, fromStart: true });
      expect(lineNumbers(envelopes)).toEqual([1, 2]);
      // Missing/null offset is 0; a digit string is accepted (jq printed it the same way).
      fs.writeFileSync(cursorFile, '{"eventLineOffset":null}');
      expect(lineNumbers((await poll({ repo: root, loop: "demo-loop", cursorFile })).envelopes)).toEqual([
        1, 2,
      ]);
      fs.writeFileSync(cursorFile, '{"eventLineOffset":"1"}');
      expect(lineNumbers((await poll({ repo: root, loop: "demo-loop", cursorFile })).envelopes)).toEqual([2]);
    });
  });
});

describe("pollEvents: spec 11 §3 / §5 examples", () => {
  it("emits the example envelope and writes the example cursor", async () => {
    await withTempDir(async (root) => {
      setup(root, `${L1}\n${L2}\n${L3}\n`);
      const cursorFile = path.join(root, ".superloop", "ops-manager", "demo-loop", "cursor.json");
      const { envelopes, result } = await poll({
        repo: root,
        loop: "demo-loop",
        cursorFile,
        traceId: "trace-events-1",
      });
      expect(envelopes).toHaveLength(3);
      expect(envelopes[2]).toStrictEqual({
        schemaVersion: "v1",
        envelopeType: "loop_run_event",
        emittedAt: "2026-02-22T10:00:21Z",
        traceId: "trace-events-1",
        source: { repoPath: root, loopId: "demo-loop" },
        sequence: { source: "cursor_event_line_offset", value: 3 },
        cursor: { eventLineOffset: 3, eventLineCount: 3 },
        run: { runId: "run-123", iteration: 2 },
        event: {
          timestamp: "2026-02-22T10:00:20Z",
          name: "role_end",
          role: "planner",
          status: "ok",
          message: null,
          payload: { duration_ms: 1200 },
          raw: JSON.parse(L3),
        },
      });
      // Same serialisation (key order) as the spec's example line.
      expect(JSON.stringify(envelopes[2])).toBe(
        `{"schemaVersion":"v1","envelopeType":"loop_run_event","emittedAt":"2026-02-22T10:00:21Z","traceId":"trace-events-1","source":{"repoPath":${JSON.stringify(root)},"loopId":"demo-loop"},"sequence":{"source":"cursor_event_line_offset","value":3},"cursor":{"eventLineOffset":3,"eventLineCount":3},"run":{"runId":"run-123","iteration":2},"event":{"timestamp":"2026-02-22T10:00:20Z","name":"role_end","role":"planner","status":"ok","message":null,"payload":{"duration_ms":1200},"raw":${L3}}}`,
      );
      for (const envelope of envelopes) expect(LoopRunEventSchema.safeParse(envelope).success).toBe(true);

      const text = fs.readFileSync(cursorFile, "utf8");
      expect(text.startsWith('{\n  "schemaVersion": "v1",\n')).toBe(true); // written indented
      const cursor = readCursor(cursorFile);
      expect(cursor).toMatchObject({
        schemaVersion: "v1",
        repoPath: root,
        loopId: "demo-loop",
        eventsFile: ".superloop/loops/demo-loop/events.jsonl",
        eventLineOffset: 3,
        eventLineCount: 3,
        updatedAt: "2026-02-22T10:00:21Z",
      });
      expect(Object.keys(cursor).slice(0, 7)).toEqual([
        "schemaVersion",
        "repoPath",
        "loopId",
        "eventsFile",
        "eventLineOffset",
        "eventLineCount",
        "updatedAt",
      ]);
      const size = fs.statSync(runtimePaths(root, "demo-loop").events).size;
      expect(cursor.eventByteOffset).toBe(size);
      expect(cursor.eventsFileIdentity?.sizeBytes).toBe(size);
      expect(result).toMatchObject({ emitted: 3, startOffset: 0, resume: "start", cursorFile });
      // Without --trace-id the key is present and null.
      const again = await poll({ repo: root, loop: "demo-loop", fromStart: true, maxEvents: "1" });
      expect(again.envelopes[0]?.traceId).toBeNull();
    });
  });

  it("defaults the cursor file to the loop directory", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n`);
      const { result } = await poll({ repo: root, loop: "demo-loop" });
      expect(result.cursorFile).toBe(paths.standaloneCursor);
      expect(readCursor(paths.standaloneCursor).eventLineOffset).toBe(1);
    });
  });

  it("resolves a relative --cursor-file against the working directory and creates parents", async () => {
    await withTempDir(async (root) => {
      setup(root, `${L1}\n`);
      const { result } = await poll({ repo: ".", loop: "demo-loop", cursorFile: "a/b/c.json" }, {
        clock,
        cwd: root,
      } as never);
      expect(result.cursorFile).toBe(path.join(root, "a", "b", "c.json"));
      expect(readCursor(result.cursorFile).repoPath).toBe(root);
    });
  });
});

describe("pollEvents: replay and idempotency (11 §5)", () => {
  it("no new lines → nothing emitted, offset unchanged, cursor rewritten", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      await poll({ repo: root, loop: "demo-loop" }, { clock: fixedClock("2026-02-22T10:00:00Z") });
      const first = readCursor(paths.standaloneCursor);
      const { envelopes, result } = await poll({ repo: root, loop: "demo-loop" });
      expect(envelopes).toEqual([]);
      const second = readCursor(paths.standaloneCursor);
      expect(second).toStrictEqual({ ...first, updatedAt: "2026-02-22T10:00:21Z" });
      expect(result.resume).toBe("byte_offset");
    });
  });

  it("--max-events 1 after one appended line prints exactly that line and moves the offset by one", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      await poll({ repo: root, loop: "demo-loop" });
      fs.appendFileSync(paths.events, `${L3}\n`);
      const { envelopes } = await poll({ repo: root, loop: "demo-loop", maxEvents: "1" });
      expect(lineNumbers(envelopes)).toEqual([3]);
      expect(readCursor(paths.standaloneCursor)).toMatchObject({ eventLineOffset: 3, eventLineCount: 3 });
    });
  });

  it("--max-events pages through a backlog one line at a time", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n${L3}\n`);
      const seen: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const { envelopes } = await poll({ repo: root, loop: "demo-loop", maxEvents: 1 });
        seen.push(...lineNumbers(envelopes));
        expect(readCursor(paths.standaloneCursor).eventLineCount).toBe(3);
      }
      expect(seen).toEqual([1, 2, 3]);
      expect(readCursor(paths.standaloneCursor).eventLineOffset).toBe(3);
    });
  });

  it("cursor reset = delete the cursor file or --from-start", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      await poll({ repo: root, loop: "demo-loop" });
      expect(lineNumbers((await poll({ repo: root, loop: "demo-loop", fromStart: true })).envelopes)).toEqual(
        [1, 2],
      );
      fs.rmSync(paths.standaloneCursor);
      expect(lineNumbers((await poll({ repo: root, loop: "demo-loop" })).envelopes)).toEqual([1, 2]);
    });
  });

  it("a shrunk events file is a hard error until the cursor is reset", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n${L3}\n`);
      await poll({ repo: root, loop: "demo-loop" });
      const before = fs.readFileSync(paths.standaloneCursor, "utf8");
      fs.truncateSync(paths.events, Buffer.byteLength(`${L1}\n`));
      for (let i = 0; i < 2; i += 1) {
        await pollFailing(
          { repo: root, loop: "demo-loop" },
          ContractError,
          "cursor offset (3) exceeds available events (1); reset cursor or use --from-start",
        );
      }
      expect(fs.readFileSync(paths.standaloneCursor, "utf8")).toBe(before);
      expect(lineNumbers((await poll({ repo: root, loop: "demo-loop", fromStart: true })).envelopes)).toEqual(
        [1],
      );
    });
  });

  it("a replaced file (new inode) falls back to line numbers", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      await poll({ repo: root, loop: "demo-loop" });
      // Rotation: a new file with a different first line, more lines than the cursor offset.
      const replacement = `${ev("a")}\n${ev("b")}\n${ev("c")}\n`;
      fs.writeFileSync(`${paths.events}.new`, replacement);
      fs.renameSync(`${paths.events}.new`, paths.events);
      const { envelopes, result } = await poll({ repo: root, loop: "demo-loop" });
      expect(result.resume).toBe("line_offset");
      expect(envelopes.map((envelope) => envelope.event.name)).toEqual(["c"]);
      expect(lineNumbers(envelopes)).toEqual([3]);
      const cursor = readCursor(paths.standaloneCursor);
      expect(cursor.eventByteOffset).toBe(Buffer.byteLength(replacement));
      expect(cursor.eventsFileIdentity?.ino).toBe(fs.statSync(paths.events).ino);
      // Replaced by a shorter file: the spec's error.
      fs.writeFileSync(`${paths.events}.new`, `${ev("z")}\n`);
      fs.renameSync(`${paths.events}.new`, paths.events);
      await pollFailing(
        { repo: root, loop: "demo-loop" },
        ContractError,
        "cursor offset (3) exceeds available events (1); reset cursor or use --from-start",
      );
    });
  });

  it("truncate-and-regrow of the same inode is caught when the offset is no longer a line start", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${ev("a")}\n${ev("b")}\n`);
      await poll({ repo: root, loop: "demo-loop" });
      fs.writeFileSync(paths.events, `${ev("x", { data: { pad: "p" } })}\n${ev("y")}\n${ev("z")}\n`); // same inode
      const { envelopes, result } = await poll({ repo: root, loop: "demo-loop" });
      expect(result.resume).toBe("line_offset");
      expect(envelopes.map((envelope) => envelope.event.name)).toEqual(["z"]);
    });
  });

  it("byte-offset resume counts only new bytes (the prefix is not rescanned)", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      await poll({ repo: root, loop: "demo-loop" });
      // Overwrite the first newline in place (same inode, same size): a full rescan would count one
      // line fewer; the byte-offset resume does not look at those bytes again.
      const fd = fs.openSync(paths.events, "r+");
      fs.writeSync(fd, " ", Buffer.byteLength(L1));
      fs.closeSync(fd);
      fs.appendFileSync(paths.events, `${L3}\n`);
      const { envelopes, result } = await poll({ repo: root, loop: "demo-loop" });
      expect(result.resume).toBe("byte_offset");
      expect(lineNumbers(envelopes)).toEqual([3]);
      expect(envelopes[0]?.cursor.eventLineCount).toBe(3);
      // Without the byte fields the spec's full walk runs (and sees the damage).
      const cursor = readCursor(paths.standaloneCursor);
      const { eventByteOffset: _b, eventsFileIdentity: _i, ...lineOnly } = cursor;
      fs.writeFileSync(paths.standaloneCursor, JSON.stringify(lineOnly));
      await pollFailing(
        { repo: root, loop: "demo-loop" },
        ContractError,
        "cursor offset (3) exceeds available events (2); reset cursor or use --from-start",
      );
    });
  });
});

describe("pollEvents: a cursor edited by hand", () => {
  it.each([
    ["after a full poll", 0],
    ["after a --max-events poll", 2],
  ])("a lowered eventLineOffset with the old byte fields replays from that line (%s)", async (_when, max) => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n${L3}\n${ev("d")}\n`);
      await poll({ repo: root, loop: "demo-loop", maxEvents: max });
      const cursor = readCursor(paths.standaloneCursor);
      expect(cursor.eventByteOffset).toBeGreaterThan(0);
      // The operator rewinds the line offset only (spec 11 §5: start = eventLineOffset).
      fs.writeFileSync(paths.standaloneCursor, JSON.stringify({ ...cursor, eventLineOffset: 1 }));
      fs.appendFileSync(paths.events, `${ev("e")}\n`);
      const { envelopes, result } = await poll({ repo: root, loop: "demo-loop" });
      expect(result.resume).toBe("line_offset");
      expect(lineNumbers(envelopes)).toEqual([2, 3, 4, 5]);
      expect(envelopes.map((envelope) => envelope.event.name)).toEqual([
        "iteration_start",
        "role_end",
        "d",
        "e",
      ]);
      // The rewritten cursor is consistent again: the next poll resumes at the byte offset.
      fs.appendFileSync(paths.events, `${ev("f")}\n`);
      const next = await poll({ repo: root, loop: "demo-loop" });
      expect(next.result.resume).toBe("byte_offset");
      expect(lineNumbers(next.envelopes)).toEqual([6]);
    });
  });
});

describe("pollEvents: the cursor file is never a runtime file", () => {
  it("a --cursor-file naming events.jsonl (or another runtime file, or a link to one) fails before anything is written", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      fs.writeFileSync(paths.runSummary, '{"entries":[]}');
      fs.symlinkSync(paths.events, path.join(root, "events-link.json"));
      const cases = [paths.events, paths.runSummary, paths.state, path.join(root, "events-link.json")];
      for (const cursorFile of cases) {
        for (const fromStart of [true, false]) {
          const envelopes = await pollFailing(
            { repo: root, loop: "demo-loop", cursorFile, fromStart },
            ValidationError,
            `--cursor-file must not be a runtime artifact: ${cursorFile}`,
          );
          expect(envelopes).toEqual([]);
        }
      }
      expect(fs.readFileSync(paths.events, "utf8")).toBe(`${L1}\n${L2}\n`);
      expect(fs.readFileSync(paths.runSummary, "utf8")).toBe('{"entries":[]}');
      expect(fs.existsSync(paths.state)).toBe(false);
    });
  });
});

describe("pollEvents: line handling", () => {
  it("an unterminated last line is not yet written; it is emitted once completed (Q10-1, Q11-2)", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2.slice(0, 40)}`);
      const first = await poll({ repo: root, loop: "demo-loop" });
      expect(lineNumbers(first.envelopes)).toEqual([1]);
      expect(first.envelopes[0]?.cursor.eventLineCount).toBe(1);
      expect(readCursor(paths.standaloneCursor)).toMatchObject({ eventLineOffset: 1, eventLineCount: 1 });
      fs.appendFileSync(paths.events, `${L2.slice(40)}`);
      expect((await poll({ repo: root, loop: "demo-loop" })).envelopes).toEqual([]);
      fs.appendFileSync(paths.events, "\n");
      const second = await poll({ repo: root, loop: "demo-loop" });
      expect(lineNumbers(second.envelopes)).toEqual([2]);
      expect(second.envelopes[0]?.event.raw).toStrictEqual(JSON.parse(L2));
      expect(readCursor(paths.standaloneCursor)).toMatchObject({ eventLineOffset: 2, eventLineCount: 2 });
      // And the next poll still works (the original failed closed forever here).
      expect((await poll({ repo: root, loop: "demo-loop" })).envelopes).toEqual([]);
    });
  });

  it("blank lines consume numbers but never move the cursor by themselves (Q11-1)", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n\n${L2}\n\n\n`);
      const first = await poll({ repo: root, loop: "demo-loop" });
      expect(lineNumbers(first.envelopes)).toEqual([1, 3]);
      expect(readCursor(paths.standaloneCursor)).toMatchObject({ eventLineOffset: 3, eventLineCount: 5 });
      fs.appendFileSync(paths.events, `${L3}\n`);
      const second = await poll({ repo: root, loop: "demo-loop" });
      expect(lineNumbers(second.envelopes)).toEqual([6]);
      expect(second.envelopes[0]?.cursor).toStrictEqual({ eventLineOffset: 6, eventLineCount: 6 });
    });
  });

  it("fails closed on a bad line: earlier envelopes stay emitted, the cursor is not written (Q11-7)", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n{"event":\n${L3}\n`);
      const emitted = await pollFailing(
        { repo: root, loop: "demo-loop" },
        ContractError,
        `invalid JSON event at line 2 in ${paths.events}`,
      );
      expect(lineNumbers(emitted)).toEqual([1]);
      expect(fs.existsSync(paths.standaloneCursor)).toBe(false);
    });
  });

  it("name, timestamp and whitespace-only lines", async () => {
    await withTempDir(async (root) => {
      const cases: Array<[string, string]> = [
        ['{"timestamp":"2026-02-22T10:00:00Z","data":{}}', "missing event name"],
        ['{"timestamp":"2026-02-22T10:00:00Z","event":""}', "missing event name"],
        ["[1,2]", "missing event name"],
        ["42", "missing event name"],
        ["   ", "missing event name"],
        ['{"event":"x"}', "missing event timestamp"],
        ['{"event":"x","timestamp":""}', "missing event timestamp"],
        ['{"event":"x","timestamp":5}', "missing event timestamp"],
        ["{'event':'x'}", "invalid JSON event"],
      ];
      for (const [index, [line, message]] of cases.entries()) {
        const loop = `loop-${index}`;
        const paths = setup(root, `${L1}\n${line}\n`, loop);
        await pollFailing({ repo: root, loop }, ContractError, `${message} at line 2 in ${paths.events}`);
      }
      // Name falls back to `type`; a timestamp is not format-checked.
      setup(root, '{"type":"custom","timestamp":"soon"}\n', "typed");
      const { envelopes } = await poll({ repo: root, loop: "typed" });
      expect(envelopes[0]?.event).toMatchObject({ name: "custom", timestamp: "soon" });
    });
  });

  it("maps event fields (Q11-5, Q11-6, non-object data)", async () => {
    await withTempDir(async (root) => {
      const lines = [
        ev("a", { data: false }),
        ev("b", { data: [1, 2] }),
        ev("c", { data: "text" }),
        ev("d", { data: {} }),
        ev("e", { message: { code: 7, detail: ["x"] }, role: "", status: null }),
        ev("f", { message: "plain", role: 3, status: true }),
        JSON.stringify({ timestamp: "2026-02-22T10:00:00Z", event: "g", iteration: "12" }),
        JSON.stringify({ timestamp: "2026-02-22T10:00:00Z", event: "h", iteration: "twelve", run_id: "" }),
      ];
      setup(root, `${lines.join("\n")}\n`);
      const { envelopes } = await poll({ repo: root, loop: "demo-loop" });
      for (const envelope of envelopes) expect(LoopRunEventSchema.safeParse(envelope).success).toBe(true);
      const byName = Object.fromEntries(envelopes.map((envelope) => [envelope.event.name, envelope]));
      expect(byName["a"]?.event.payload).toBeNull();
      expect(byName["a"]?.event.raw["data"]).toBe(false);
      expect(byName["b"]?.event.payload).toBeNull();
      expect(byName["b"]?.event.raw["data"]).toEqual([1, 2]);
      expect(byName["c"]?.event.payload).toBeNull();
      expect(byName["d"]?.event.payload).toEqual({});
      expect(byName["e"]?.event).toMatchObject({
        message: '{"code":7,"detail":["x"]}',
        role: null,
        status: null,
      });
      expect(byName["f"]?.event).toMatchObject({ message: "plain", role: "3", status: "true" });
      expect(byName["g"]?.run).toStrictEqual({ runId: "unknown", iteration: 12 });
      expect(byName["h"]?.run).toStrictEqual({ runId: "unknown", iteration: 0 });
    });
  });
});

describe("eventBatch / readEventBatch (in-process form for reconcile)", () => {
  it("returns the cursor without writing it; writePollCursor persists it", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      const names: string[] = [];
      const result = await readEventBatch(
        { repo: root, loop: "demo-loop" },
        {
          emit: async (envelope) => {
            await new Promise((resolve) => setTimeout(resolve, 2)); // slow consumer is awaited
            names.push(envelope.event.name);
          },
        },
        { clock },
      );
      expect(names).toEqual(["loop_start", "iteration_start"]);
      expect(fs.existsSync(paths.standaloneCursor)).toBe(false);
      expect(result.cursor).toMatchObject({ eventLineOffset: 2, eventLineCount: 2 });
      await writePollCursor(result.cursorFile, result.cursor);
      expect(readCursor(paths.standaloneCursor)).toStrictEqual(result.cursor);
    });
  });

  it("the generator yields lazily and closes the file when abandoned", async () => {
    await withTempDir(async (root) => {
      setup(root, `${L1}\n${L2}\n${L3}\n`);
      const batch = eventBatch({ repo: root, loop: "demo-loop" }, { clock });
      const first = await batch.next();
      expect(first.done).toBe(false);
      expect(first.done === false && first.value.sequence.value).toBe(1);
      const closed = await batch.return(undefined as never);
      expect(closed.done).toBe(true);
      let last: IteratorResult<LoopRunEvent, EventBatchResult>;
      const full = eventBatch({ repo: root, loop: "demo-loop", maxEvents: "2" }, { clock });
      do last = await full.next();
      while (last.done !== true);
      expect(last.value).toMatchObject({ emitted: 2, cursor: { eventLineOffset: 2, eventLineCount: 3 } });
    });
  });

  it("an emit failure rejects before the cursor is written", async () => {
    await withTempDir(async (root) => {
      const paths = setup(root, `${L1}\n${L2}\n`);
      await expect(
        pollEvents(
          { repo: root, loop: "demo-loop" },
          {
            emit: () => {
              throw new Error("EPIPE");
            },
          },
          { clock },
        ),
      ).rejects.toThrow("EPIPE");
      expect(fs.existsSync(paths.standaloneCursor)).toBe(false);
    });
  });
});

describe("byte-offset resume is equivalent to a from-start read (simulated runtime)", () => {
  it("paged polls while the runtime writes == one from-start poll == line-number polls", async () => {
    const repo = simRepo();
    const loop = repo.loop("demo-loop");
    const byteCursor = path.join(repo.root, "byte-cursor.json");
    const lineCursor = path.join(repo.root, "line-cursor.json");
    const paged: string[] = [];
    const viaLines: string[] = [];
    const steps = [
      () => loop.startRun(),
      () => loop.iterations(2),
      () => loop.iteration({ haltAfter: { event: "tests_start" } }),
      () => loop.appendRawLine(""),
      () => loop.fail("timeout"),
      () => loop.requestApproval(),
      () => loop.waitOnApproval(),
      () => loop.appendRawLine('{"event":"partial","timestamp":"2026-', { newline: false }),
      () => loop.appendRawLine('02-22T12:00:00Z"}'),
      () => loop.complete(),
    ];
    const strip = (envelope: LoopRunEvent) =>
      JSON.stringify({ ...envelope, cursor: { ...envelope.cursor, eventLineCount: 0 } });
    let pageSize = 1;
    for (const step of steps) {
      step();
      for (let i = 0; i < 3; i += 1) {
        const byte = await poll({
          repo: repo.root,
          loop: "demo-loop",
          cursorFile: byteCursor,
          maxEvents: pageSize,
        });
        paged.push(...byte.envelopes.map(strip));
        // The line-mode twin: same cursor without the byte fields.
        if (fs.existsSync(lineCursor)) {
          const { eventByteOffset: _b, eventsFileIdentity: _i, ...lineOnly } = readCursor(lineCursor);
          fs.writeFileSync(lineCursor, JSON.stringify(lineOnly));
        }
        const line = await poll({
          repo: repo.root,
          loop: "demo-loop",
          cursorFile: lineCursor,
          maxEvents: pageSize,
        });
        viaLines.push(...line.envelopes.map(strip));
        if (i > 0 || step !== steps[0]) expect(byte.result.resume).toBe("byte_offset");
        // The line-number walk arrives at the very same cursor, byte fields included.
        expect(readCursor(lineCursor)).toStrictEqual(readCursor(byteCursor));
        pageSize = (pageSize % 7) + 1;
      }
    }
    // Drain the rest.
    paged.push(
      ...(await poll({ repo: repo.root, loop: "demo-loop", cursorFile: byteCursor })).envelopes.map(strip),
    );
    viaLines.push(
      ...(await poll({ repo: repo.root, loop: "demo-loop", cursorFile: lineCursor })).envelopes.map(strip),
    );
    const fromStart = (await poll({ repo: repo.root, loop: "demo-loop", fromStart: true })).envelopes.map(
      strip,
    );
    expect(fromStart.length).toBe(loop.readEvents().length);
    expect(paged).toEqual(fromStart);
    expect(viaLines).toEqual(fromStart);
  });
});
