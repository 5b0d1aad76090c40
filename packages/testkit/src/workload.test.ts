import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseTimestamp } from "@ops/contract";
import { afterEach, describe, expect, it } from "vitest";
import { createSimulatedRepo } from "./driver.js";
import type { RunSummary, RuntimeEvent } from "./events.js";
import { mulberry32 } from "./prng.js";
import { makeTempDir, type TempDir } from "./temp.js";
import { generateWorkload } from "./workload.js";

const temps: TempDir[] = [];
function tempDir(): string {
  const temp = makeTempDir();
  temps.push(temp);
  return temp.path;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((temp) => temp.cleanup()));
});

function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(root, full)] = createHash("sha256").update(fs.readFileSync(full)).digest("hex");
    }
  };
  walk(root);
  return out;
}

describe("mulberry32", () => {
  it("is a pure function of the seed", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    for (const value of seqA) expect(value >= 0 && value < 1).toBe(true);
  });
});

describe("generateWorkload", () => {
  it("same seed → byte-identical files; another seed → different files", async () => {
    const options = { seed: 7, loops: 3, eventsPerLoop: 500 };
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    await generateWorkload({ ...options, root: a });
    await generateWorkload({ ...options, root: b });
    await generateWorkload({ ...options, seed: 8, root: c });
    const hashA = hashTree(a);
    expect(Object.keys(hashA)).toEqual([
      ".superloop/loops/loop-0001/events.jsonl",
      ".superloop/loops/loop-0001/run-summary.json",
      ".superloop/loops/loop-0002/events.jsonl",
      ".superloop/loops/loop-0002/run-summary.json",
      ".superloop/loops/loop-0003/events.jsonl",
      ".superloop/loops/loop-0003/run-summary.json",
      ".superloop/state.json",
    ]);
    expect(hashTree(b)).toEqual(hashA);
    expect(hashTree(c)[".superloop/loops/loop-0001/events.jsonl"]).not.toBe(
      hashA[".superloop/loops/loop-0001/events.jsonl"],
    );
  });

  it("writes exactly E realistic, newline-terminated lines per loop in driver order", async () => {
    const root = tempDir();
    const result = await generateWorkload({ seed: 1, loops: 2, eventsPerLoop: 1000, root });
    expect(result.totalEvents).toBe(2000);
    const driverRepo = createSimulatedRepo(tempDir());
    const reference = driverRepo.loop("ref").startRun().iteration().readEvents();
    const iterationOrder = reference.slice(1).map((event) => event.event);

    for (const loop of result.loops) {
      const raw = fs.readFileSync(loop.eventsFile, "utf8");
      expect(raw.endsWith("\n")).toBe(true);
      expect(Buffer.byteLength(raw)).toBe(loop.bytes);
      const events = raw
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as RuntimeEvent);
      expect(events).toHaveLength(1000);
      expect(events[0]?.event).toBe("loop_start");
      expect(events.at(-1)?.event).toBe(loop.lastEvent);
      let previous = 0;
      for (const event of events) {
        expect(Object.keys(event).slice(0, 5)).toEqual([
          "timestamp",
          "event",
          "loop_id",
          "run_id",
          "iteration",
        ]);
        expect(Object.values(event)).not.toContain(null);
        const at = parseTimestamp(event.timestamp);
        expect(at).not.toBeNull();
        expect(at!).toBeGreaterThan(previous);
        previous = at!;
      }
      // Every complete iteration has the same event sequence as the driver writes.
      const starts = events.flatMap((event, index) => (event.event === "iteration_start" ? [index] : []));
      const first = starts[0]!;
      expect(events.slice(first, first + iterationOrder.length).map((event) => event.event)).toEqual(
        iterationOrder,
      );
      const summary = JSON.parse(
        fs.readFileSync(path.join(path.dirname(loop.eventsFile), "run-summary.json"), "utf8"),
      ) as RunSummary;
      expect(summary.entries).toHaveLength(loop.completedIterations);
      expect(events.filter((event) => event.event === "iteration_end")).toHaveLength(
        loop.completedIterations,
      );
      expect(Object.keys(summary.entries[0]?.gates ?? {})).toHaveLength(7);
    }
    const state = JSON.parse(fs.readFileSync(path.join(root, ".superloop/state.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(state["current_loop_id"]).toBe("loop-0002");
    await driverRepo.cleanup();
  });

  // Its speed is measured by the benchmarks (bench/), not asserted here: a timed unit test flakes.
  it("writes 100k events across 10 loops", async () => {
    const root = tempDir();
    const result = await generateWorkload({ seed: 99, loops: 10, eventsPerLoop: 10_000, root });
    expect(result.totalEvents).toBe(100_000);
  });

  it("validates its counts", async () => {
    await expect(generateWorkload({ seed: 1, loops: -1, eventsPerLoop: 1, root: tempDir() })).rejects.toThrow(
      /loops/,
    );
  });
});
