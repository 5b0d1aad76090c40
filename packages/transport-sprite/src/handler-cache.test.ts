/**
 * The handler's per-loop in-memory state (snapshot digest cache, remembered events cursors): every
 * answer must equal the answer of a handler without it (`maxCachedLoops: 0`), across appends and a
 * replaced events.jsonl; the events route must actually resume by byte from a remembered cursor.
 */
import fs from "node:fs";
import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { AccessLogEntry } from "./handler.js";
import { fixedClock, type Running, serveHandler } from "./test-helpers.js";

const clock = fixedClock("2026-02-22T11:00:06Z");
const unusedControl = async () => ({ exitCode: 1, stdout: "", stderr: "unused" });

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Services {
  repo: SimulatedRepo;
  cached: Running;
  plain: Running;
  logs: AccessLogEntry[];
}

async function services(maxCachedLoops?: number): Promise<Services> {
  const repo = createSimulatedRepo();
  repo.scenario("running", "demo-loop");
  repo.scenario("awaitingApproval", "other-loop");
  cleanup.push(() => repo.cleanup());
  const logs: AccessLogEntry[] = [];
  const cached = await serveHandler({
    repo: repo.root,
    runControl: unusedControl,
    clock,
    log: (entry) => logs.push(entry),
    ...(maxCachedLoops === undefined ? {} : { maxCachedLoops }),
  });
  cleanup.push(() => cached.close());
  const plain = await serveHandler({ repo: repo.root, runControl: unusedControl, clock, maxCachedLoops: 0 });
  cleanup.push(() => plain.close());
  return { repo, cached, plain, logs };
}

async function text(service: Running, target: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${service.url}${target}`);
  return { status: response.status, body: await response.text() };
}

/** The same request to both services; the answers must be byte-identical. Returns the answer. */
async function same(s: Services, target: string): Promise<{ status: number; body: string }> {
  const cached = await text(s.cached, target);
  const plain = await text(s.plain, target);
  expect(cached).toEqual(plain);
  return cached;
}

function cursorOf(body: string): number {
  return (JSON.parse(body) as { cursor: { eventLineOffset: number } }).cursor.eventLineOffset;
}

function lastResume(s: Services): AccessLogEntry["eventsResume"] {
  return s.logs.at(-1)?.eventsResume;
}

function appendSome(repo: SimulatedRepo, loopId: string, count: number): void {
  const loop = repo.loop(loopId);
  for (let i = 0; i < count; i += 1) loop.appendEvent("role_start", { role: "tester" });
}

describe("sprite-service per-loop state", () => {
  it("events: a remembered cursor resumes by byte; answers equal the uncached ones after appends", async () => {
    const s = await services();
    let cursor = cursorOf((await same(s, "/ops/events?loopId=demo-loop&maxEvents=3")).body);
    expect(cursor).toBe(3);
    expect(lastResume(s)).toBe("start");
    for (let round = 0; round < 4; round += 1) {
      const answer = await same(s, `/ops/events?loopId=demo-loop&cursor=${cursor}&maxEvents=4`);
      expect(answer.status).toBe(200);
      expect(lastResume(s)).toBe("byte_offset");
      cursor = cursorOf(answer.body);
      appendSome(s.repo, "demo-loop", 2);
    }
    // A cursor never served: the line walk, same answer.
    await same(s, "/ops/events?loopId=demo-loop&cursor=1&maxEvents=2");
    expect(lastResume(s)).toBe("line_offset");
    // An earlier served cursor is still remembered.
    await same(s, "/ops/events?loopId=demo-loop&cursor=3&maxEvents=1");
    expect(lastResume(s)).toBe("byte_offset");
    // Beyond the end: the same error both ways.
    const beyond = await same(s, "/ops/events?loopId=demo-loop&cursor=100000");
    expect(beyond.status).toBe(502);
  });

  it("events and snapshot: a replaced events.jsonl gives the uncached answers", async () => {
    const s = await services();
    const eventsFile = s.repo.loop("demo-loop").paths.events;
    await same(s, "/ops/snapshot?loopId=demo-loop");
    const cursor = cursorOf((await same(s, "/ops/events?loopId=demo-loop")).body);
    await same(s, "/ops/snapshot?loopId=demo-loop");

    // Replaced by a longer file (new inode) whose lines differ from the old ones.
    const lines = fs.readFileSync(eventsFile, "utf8").split("\n").slice(0, -1);
    const replacement = [...lines, ...lines].map((line) => line.replace('"role', '"role_x'));
    fs.writeFileSync(`${eventsFile}.new`, `${replacement.join("\n")}\n`);
    fs.renameSync(`${eventsFile}.new`, eventsFile);
    await same(s, "/ops/snapshot?loopId=demo-loop");
    const after = await same(s, `/ops/events?loopId=demo-loop&cursor=${cursor}`);
    expect(after.status).toBe(200);
    expect(lastResume(s)).toBe("line_offset");
    expect(cursorOf(after.body)).toBe(replacement.length);

    // Replaced by a shorter file: the same "cursor exceeds" failure both ways.
    fs.writeFileSync(`${eventsFile}.new`, `${lines.slice(0, 2).join("\n")}\n`);
    fs.renameSync(`${eventsFile}.new`, eventsFile);
    await same(s, "/ops/snapshot?loopId=demo-loop");
    expect((await same(s, `/ops/events?loopId=demo-loop&cursor=${replacement.length}`)).status).toBe(502);

    // Truncated in place, then appended to.
    fs.truncateSync(eventsFile, 0);
    appendSome(s.repo, "demo-loop", 3);
    await same(s, "/ops/snapshot?loopId=demo-loop");
    await same(s, "/ops/events?loopId=demo-loop&cursor=2");
  });

  it("snapshot: equal to the uncached answer across appends and run-summary changes", async () => {
    const s = await services();
    for (let round = 0; round < 3; round += 1) {
      expect((await same(s, "/ops/snapshot?loopId=demo-loop")).status).toBe(200);
      await same(s, "/ops/snapshot?loopId=other-loop");
      appendSome(s.repo, "demo-loop", 3);
      s.repo.loop("demo-loop").iteration(); // events and a rewritten run-summary.json
    }
    // An unterminated final line (not counted), then completed.
    s.repo
      .loop("demo-loop")
      .appendRawLine('{"timestamp":"2026-02-22T11:00:00Z","event":"x"', { newline: false });
    await same(s, "/ops/snapshot?loopId=demo-loop");
    await same(s, "/ops/events?loopId=demo-loop&cursor=1");
    s.repo.loop("demo-loop").appendRawLine("}");
    await same(s, "/ops/snapshot?loopId=demo-loop");
    const concurrent = await Promise.all(
      Array.from({ length: 6 }, () => text(s.cached, "/ops/snapshot?loopId=demo-loop")),
    );
    const reference = await text(s.plain, "/ops/snapshot?loopId=demo-loop");
    for (const answer of concurrent) expect(answer).toEqual(reference);
  });

  it("the per-loop state is bounded (least recently used loop evicted)", async () => {
    const s = await services(1);
    const cursor = cursorOf((await same(s, "/ops/events?loopId=demo-loop&maxEvents=2")).body);
    await same(s, `/ops/events?loopId=demo-loop&cursor=${cursor}&maxEvents=1`);
    expect(lastResume(s)).toBe("byte_offset");
    await same(s, "/ops/events?loopId=other-loop&maxEvents=1");
    await same(s, `/ops/events?loopId=demo-loop&cursor=${cursor}&maxEvents=1`);
    expect(lastResume(s)).toBe("line_offset");
  });
});
