/**
 * The snapshot's digest cache (`ctx.digestCache`): the cached path must give the same envelope as
 * the plain one (byte for byte; same clock, so `emittedAt` agrees too, but it is left out of the
 * comparison on purpose), after appends, replacements, truncations and with broken entries. The
 * cache is passed through JSON between calls, as reconcile persists it.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ContractError, type LoopRunSnapshot, runtimePaths } from "@ops/contract";
import { withTempDir } from "@ops/testkit";
import { describe, expect, it } from "vitest";
import { digestEventsResumable, digestFileStreaming, EVENTS_TAIL_CHECK_BYTES } from "./file-digest.js";
import {
  emptySnapshotDigestCache,
  loopRunSnapshot,
  RACY_MTIME_WINDOW_MS,
  type SnapshotDigestCache,
} from "./snapshot.js";
import { expectRejection, fixedClock, simulatedRepos } from "./test-helpers.js";

const LOOP = "demo-loop";
const clock = fixedClock("2026-02-22T10:00:06Z");
/** mtimes safely outside the racy window: from one hour ago, whole seconds (exactly restorable). */
const OLD_MTIME_S = Math.floor(Date.now() / 1000) - 3600;
let agedMtimeS = OLD_MTIME_S;

const simRepo = simulatedRepos();

const JSON_FILES = ["state", "activeRun", "approval", "runSummary", "heartbeat"] as const;

/**
 * Move the mtime of every runtime JSON file written since the last call an hour back (each call a
 * second later than the previous one, so a rewritten file still gets a new mtime, as in reality):
 * they are then old enough to be cached.
 */
function ageJsonFiles(root: string, loop = LOOP): void {
  const paths = runtimePaths(root, loop);
  agedMtimeS += 1;
  for (const key of JSON_FILES) {
    if (!fs.existsSync(paths[key])) continue;
    if (fs.statSync(paths[key]).mtimeMs / 1000 > OLD_MTIME_S + 600) {
      fs.utimesSync(paths[key], agedMtimeS, agedMtimeS);
    }
  }
}

function withoutEmittedAt(envelope: LoopRunSnapshot): string {
  const { emittedAt: _emittedAt, ...rest } = envelope;
  return JSON.stringify(rest);
}

/** Round-trip through JSON, as the cache file does. */
function persisted(cache: SnapshotDigestCache): SnapshotDigestCache {
  return JSON.parse(JSON.stringify(cache)) as SnapshotDigestCache;
}

/**
 * Snapshot with and without the cache; assert the envelopes are identical. Returns the cached
 * envelope and the updated cache (after a JSON round trip).
 */
async function compare(
  root: string,
  cache: SnapshotDigestCache,
  loop = LOOP,
): Promise<{ envelope: LoopRunSnapshot; cache: SnapshotDigestCache }> {
  const digestCache = persisted(cache);
  const cached = await loopRunSnapshot({ repo: root, loop, traceId: "t" }, { clock, digestCache });
  const plain = await loopRunSnapshot({ repo: root, loop, traceId: "t" }, { clock });
  expect(withoutEmittedAt(cached)).toBe(withoutEmittedAt(plain));
  return { envelope: cached, cache: persisted(digestCache) };
}

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Replace `file` atomically (new inode) with `content`, like the runtime does for run-summary.json. */
function replaceAtomically(file: string, content: string | Buffer): void {
  const temp = `${file}.tmp-test`;
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, file);
}

describe("snapshot digest cache: same envelope as without it", () => {
  it("across iterations and raw appends (terminated or not), with files replaced and rewritten", async () => {
    const repo = simRepo();
    const loop = repo.scenario("running", LOOP, { iterations: 3, heartbeat: true });
    ageJsonFiles(repo.root);
    let { cache } = await compare(repo.root, emptySnapshotDigestCache());
    // Every present file was cached (all are old); events hashed up to the last complete line.
    const paths = runtimePaths(repo.root, LOOP);
    expect(cache.events).toMatchObject({
      hashedBytes: fs.statSync(paths.events).size,
      lineCount: loop.readEvents().length,
    });
    for (const key of JSON_FILES) {
      expect(cache.files[key] !== null, key).toBe(fs.existsSync(paths[key]));
    }
    expect(cache.files.runSummary).not.toBeNull();
    expect(cache.files.heartbeat).not.toBeNull();

    for (let round = 0; round < 4; round += 1) {
      loop.iteration(); // appends events, replaces run-summary.json, rewrites state.json in place
      if (round % 2 === 0) ageJsonFiles(repo.root);
      ({ cache } = await compare(repo.root, cache));
      loop.appendRawLine('{"timestamp":"2026-02-22T10:00:0', { newline: false }); // not yet written
      ({ cache } = await compare(repo.root, cache));
      loop.appendRawLine('5Z","event":"role_start","iteration":9}'); // now it is
      ({ cache } = await compare(repo.root, cache));
    }
    const { envelope } = await compare(repo.root, cache);
    expect(envelope.artifacts.events.sha256).toBe(sha256(paths.events));
    expect(envelope.health.lastEventName).toBe("role_start");
  });

  it("run-summary.json replaced atomically: a new inode is re-read even with the same size and mtime", async () => {
    const repo = simRepo();
    repo.scenario("running", LOOP, { iterations: 2 });
    const paths = runtimePaths(repo.root, LOOP);
    ageJsonFiles(repo.root);
    let { cache, envelope } = await compare(repo.root, emptySnapshotDigestCache());
    expect(cache.files.runSummary).not.toBeNull();
    const before = fs.statSync(paths.runSummary);
    // Same length, different content: only the inode tells the files apart.
    const text = fs.readFileSync(paths.runSummary, "utf8");
    const changed = text.replace(
      /"run_id":"([^"]*)"/g,
      (_match, id: string) => `"run_id":"${"x".repeat(id.length)}"`,
    );
    expect(changed).not.toBe(text);
    expect(Buffer.byteLength(changed)).toBe(before.size);
    replaceAtomically(paths.runSummary, changed);
    fs.utimesSync(paths.runSummary, before.atime, before.mtime);
    expect(fs.statSync(paths.runSummary).mtimeMs).toBe(before.mtimeMs);
    const previousRunId = envelope.run.runId;
    ({ cache, envelope } = await compare(repo.root, cache));
    expect(envelope.run.runId).not.toBe(previousRunId);
    expect(envelope.artifacts.runSummary.sha256).toBe(sha256(paths.runSummary));
    expect(cache.files.runSummary?.ino).toBe(fs.statSync(paths.runSummary).ino);
  });

  it("a file whose identity is unchanged is not read again (the identity is what the cache trusts)", async () => {
    const repo = simRepo();
    repo.scenario("running", LOOP);
    const paths = runtimePaths(repo.root, LOOP);
    ageJsonFiles(repo.root);
    const { cache } = await compare(repo.root, emptySnapshotDigestCache());
    const original = JSON.parse(fs.readFileSync(paths.state, "utf8")) as Record<string, unknown>;
    // Rewrite state.json in place with the same size, then put the old mtime back: same identity.
    const text = fs.readFileSync(paths.state, "utf8");
    const flipped = text.includes('"active":true')
      ? text.replace('"active":true', '"active":1234')
      : text.replace(/"iteration":\d/, '"iteration":7');
    expect(flipped).not.toBe(text);
    expect(Buffer.byteLength(flipped)).toBe(Buffer.byteLength(text));
    const { atime, mtime } = fs.statSync(paths.state);
    fs.writeFileSync(paths.state, flipped);
    fs.utimesSync(paths.state, atime, mtime);
    const stale = await loopRunSnapshot(
      { repo: repo.root, loop: LOOP },
      { clock, digestCache: persisted(cache) },
    );
    expect(stale.runtime.superloopState).toStrictEqual(original);
    // Any change of identity (here: a new mtime) is seen.
    fs.utimesSync(paths.state, atime, mtime.getTime() / 1000 + 1);
    const { envelope } = await compare(repo.root, cache);
    expect(envelope.runtime.superloopState).toStrictEqual(JSON.parse(flipped));
  });

  it("files written within the racy window are read but not cached", async () => {
    const repo = simRepo();
    repo.scenario("awaitingApproval", LOOP);
    const paths = runtimePaths(repo.root, LOOP);
    // Just written: too recent to trust the mtime. Pinned a minute ahead rather than relying on
    // the scenario having run less than RACY_MTIME_WINDOW_MS ago (a loaded CI machine can be slower).
    const recentS = Math.floor(Date.now() / 1000) + 60;
    for (const key of JSON_FILES) {
      if (fs.existsSync(paths[key])) fs.utimesSync(paths[key], recentS, recentS);
    }
    expect(fs.statSync(paths.approval).mtimeMs).toBeGreaterThan(Date.now() - RACY_MTIME_WINDOW_MS);
    let { cache } = await compare(repo.root, emptySnapshotDigestCache());
    expect(cache.files.approval).toBeNull();
    expect(cache.files.state).toBeNull();
    ageJsonFiles(repo.root);
    ({ cache } = await compare(repo.root, cache));
    expect(cache.files.approval).toMatchObject({
      sha256: sha256(paths.approval),
      document: { status: "pending" },
    });
  });

  it("absent files, files that appear, vanish, or hold JSON null", async () => {
    const repo = simRepo();
    repo.scenario("running", LOOP);
    const paths = runtimePaths(repo.root, LOOP);
    fs.rmSync(paths.heartbeat, { force: true });
    ageJsonFiles(repo.root);
    let { cache } = await compare(repo.root, emptySnapshotDigestCache());
    expect(cache.files.heartbeat).toBeNull();
    repo.loop(LOOP).writeHeartbeat();
    ageJsonFiles(repo.root);
    ({ cache } = await compare(repo.root, cache));
    expect(cache.files.heartbeat).not.toBeNull();
    fs.rmSync(paths.heartbeat);
    ({ cache } = await compare(repo.root, cache));
    expect(cache.files.heartbeat).toBeNull();
    fs.writeFileSync(paths.approval, "null\n");
    ageJsonFiles(repo.root);
    ({ cache } = await compare(repo.root, cache));
    expect(cache.files.approval).toMatchObject({ document: null, lineCount: 1 });
    ({ cache } = await compare(repo.root, cache));
  });

  it("an invalid file is the same error with a cache, and is not cached", async () => {
    const repo = simRepo();
    repo.scenario("running", LOOP);
    const paths = runtimePaths(repo.root, LOOP);
    ageJsonFiles(repo.root);
    const { cache } = await compare(repo.root, emptySnapshotDigestCache());
    fs.writeFileSync(paths.activeRun, "{");
    ageJsonFiles(repo.root);
    const digestCache = persisted(cache);
    await expectRejection(
      loopRunSnapshot({ repo: repo.root, loop: LOOP }, { digestCache, tornReadRetries: 0 }),
      ContractError,
      `invalid JSON in ${paths.activeRun}`,
    );
    // The entries read before the error stay valid; the invalid file's entry is not refreshed.
    expect(digestCache.files.activeRun?.sha256).toBe(cache.files.activeRun?.sha256);
    fs.writeFileSync(paths.activeRun, "{}\n");
    await compare(repo.root, digestCache);
  });
});

describe("snapshot digest cache: events.jsonl replaced, truncated or rewritten", () => {
  const line = (i: number) =>
    `${JSON.stringify({ timestamp: "2026-02-22T10:00:00Z", event: "role_end", run_id: "r", iteration: i, data: { pad: "y".repeat(i % 13) } })}\n`;
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => line(from + k)).join("");

  async function primed(root: string, text: string) {
    const paths = runtimePaths(root, LOOP);
    fs.mkdirSync(paths.loopDir, { recursive: true });
    fs.writeFileSync(paths.events, text);
    return { paths, ...(await compare(root, emptySnapshotDigestCache())) };
  }

  it("replaced by a new, longer file (new inode)", async () => {
    await withTempDir(async (root) => {
      const { paths, cache } = await primed(root, lines(0, 50));
      replaceAtomically(paths.events, lines(100, 200));
      const { envelope } = await compare(root, cache);
      expect(envelope.health.eventCount).toBe(100);
      expect(envelope.run.iteration).toBe(199);
    });
  });

  it("replaced by a file that differs only before the checked tail: the new inode decides", async () => {
    await withTempDir(async (root) => {
      const { paths, cache } = await primed(root, lines(0, 50));
      const text = lines(0, 50);
      const changed = `${text.replace("role_end", "role_beg")}${lines(50, 60)}`;
      expect(changed.slice(0, text.length).slice(-EVENTS_TAIL_CHECK_BYTES)).toBe(
        text.slice(-EVENTS_TAIL_CHECK_BYTES),
      );
      replaceAtomically(paths.events, changed);
      const { envelope } = await compare(root, cache);
      expect(envelope.artifacts.events.sha256).toBe(sha256(paths.events));
    });
  });

  it("truncated (same inode, shrunk), then regrown past the cached offset with other bytes", async () => {
    await withTempDir(async (root) => {
      const { paths, cache } = await primed(root, lines(0, 50));
      const ino = fs.statSync(paths.events).ino;
      fs.truncateSync(paths.events, 0);
      fs.appendFileSync(paths.events, lines(0, 10));
      let next = (await compare(root, cache)).cache;
      expect(next.events).toMatchObject({ lineCount: 10 });
      // Regrow the same inode beyond the old offset; the bytes before it differ.
      fs.truncateSync(paths.events, 0);
      fs.appendFileSync(paths.events, lines(500, 600));
      expect(fs.statSync(paths.events).ino).toBe(ino);
      expect(fs.statSync(paths.events).size).toBeGreaterThan(cache.events?.hashedBytes ?? 0);
      next = (await compare(root, cache)).cache; // the old entry against the regrown file
      expect(next.events).toMatchObject({ lineCount: 100 });
    });
  });

  it("a byte changed inside the checked tail before the offset", async () => {
    await withTempDir(async (root) => {
      const { paths, cache } = await primed(root, lines(0, 50));
      const bytes = fs.readFileSync(paths.events);
      const at = bytes.length - 10;
      bytes[at] = bytes[at] === 0x79 ? 0x7a : 0x79;
      fs.writeFileSync(paths.events, Buffer.concat([bytes, Buffer.from(lines(50, 60))]));
      await compare(root, cache);
    });
  });

  it("broken or foreign entries are ignored, never an error", async () => {
    await withTempDir(async (root) => {
      const { paths, cache } = await primed(root, lines(0, 40));
      fs.appendFileSync(paths.events, lines(40, 45));
      const events = cache.events;
      if (events === null) throw new Error("no events entry");
      const broken: SnapshotDigestCache["events"][] = [
        { ...events, state: Buffer.from("not a hash-wasm state").toString("base64") },
        { ...events, state: "" },
        { ...events, tail: Buffer.from("x\n").toString("base64") },
        { ...events, tail: "" },
        { ...events, hashedBytes: events.hashedBytes + 1 },
        { ...events, hashedBytes: 10 ** 9 },
        { ...events, lineCount: 0 },
        { ...events, hashedBytes: -1 },
        { ...events, ino: events.ino + 1 },
        { ...events, dev: events.dev + 1 },
      ];
      for (const entry of broken) {
        const { cache: after } = await compare(root, { ...cache, events: entry });
        expect(after.events?.lineCount).toBe(45);
      }
      const foreignFile = {
        dev: 1,
        ino: 2,
        size: 3,
        mtimeMs: 4,
        sizeBytes: 3,
        lineCount: 0,
        sha256: "0".repeat(64),
      };
      await compare(root, {
        ...cache,
        files: {
          state: { ...foreignFile, document: { status: "bogus" } },
          activeRun: null,
          approval: null,
          runSummary: { ...foreignFile, latestEntry: { run_id: "bogus" }, updatedAt: "bogus" },
          heartbeat: null,
        },
      });
    });
  });
});

describe("digestEventsResumable", () => {
  it("equals digestFileStreaming from 0 and when resumed, whatever the chunk size", async () => {
    await withTempDir(async (root) => {
      const file = path.join(root, "events.jsonl");
      const text = Array.from({ length: 300 }, (_, i) => `{"i":${i},"pad":"${"z".repeat(i % 40)}"}\n`).join(
        "",
      );
      fs.writeFileSync(file, `${text}{"partial":`);
      for (const chunkSize of [1, 7, 64, 1000, 65536]) {
        const plain = await digestFileStreaming(file, chunkSize);
        const first = await digestEventsResumable(file, null, chunkSize);
        expect(first.resumed).toBe(false);
        expect(first.digest).toStrictEqual(plain);
        expect(first.entry).toMatchObject({ hashedBytes: Buffer.byteLength(text), lineCount: 300 });
        expect(Buffer.from(first.entry?.tail ?? "", "base64").length).toBe(EVENTS_TAIL_CHECK_BYTES);
        const again = await digestEventsResumable(file, first.entry, chunkSize);
        expect(again.resumed).toBe(true);
        expect(again.digest).toStrictEqual(plain);
        expect(again.entry).toStrictEqual(first.entry);
      }
      // Append (completing the partial line and more): resumed, only new bytes, same as from 0.
      const previous = await digestEventsResumable(file, null);
      fs.appendFileSync(file, '1}\n{"i":301}\n{"i":302');
      const resumed = await digestEventsResumable(file, previous.entry, 5);
      expect(resumed.resumed).toBe(true);
      expect(resumed.digest).toStrictEqual(await digestFileStreaming(file));
      expect(resumed.entry?.lineCount).toBe(302);
    });
  });

  it("short files: no newline yet, then a first line", async () => {
    await withTempDir(async (root) => {
      const file = path.join(root, "events.jsonl");
      fs.writeFileSync(file, "");
      const empty = await digestEventsResumable(file, null);
      expect(empty.digest).toStrictEqual(await digestFileStreaming(file));
      expect(empty.entry).toMatchObject({ hashedBytes: 0, lineCount: 0, tail: "" });
      fs.appendFileSync(file, '{"a":');
      const partial = await digestEventsResumable(file, empty.entry);
      expect(partial.resumed).toBe(true);
      expect(partial.digest).toStrictEqual(await digestFileStreaming(file));
      fs.appendFileSync(file, "1}\n");
      const one = await digestEventsResumable(file, partial.entry);
      expect(one.resumed).toBe(true);
      expect(one.digest).toStrictEqual(await digestFileStreaming(file));
      expect(one.entry).toMatchObject({ hashedBytes: 8, lineCount: 1 });
    });
  });
});
