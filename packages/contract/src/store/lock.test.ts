import { mkdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LockTimeoutError } from "../errors.js";
import { withLock } from "./lock.js";
import { makeTempDir, runWorker, spawnWorker, waitForOutput } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe("withLock", () => {
  it("runs fn under a lock directory it creates (with parents) and removes afterwards", async () => {
    const loopDir = path.join(dir, ".superloop", "ops-manager", "demo-loop");
    const lockPath = path.join(loopDir, ".lock");
    const result = await withLock(lockPath, async () => {
      expect((await stat(lockPath)).isDirectory()).toBe(true);
      return 42;
    });
    expect(result).toBe(42);
    expect(await exists(lockPath)).toBe(false);
  });

  it("releases the lock when fn throws, and rethrows fn's error", async () => {
    const lockPath = path.join(dir, ".lock");
    await expect(
      withLock(lockPath, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await exists(lockPath)).toBe(false);
  });

  it("serialises concurrent holders in one process", async () => {
    const lockPath = path.join(dir, ".lock");
    const events: string[] = [];
    await Promise.all(
      ["a", "b", "c"].map((id) =>
        withLock(lockPath, async () => {
          events.push(`start ${id}`);
          await sleep(20);
          events.push(`end ${id}`);
        }),
      ),
    );
    for (let index = 0; index < events.length; index += 2) {
      expect(events[index]?.replace("start", "end")).toBe(events[index + 1]);
    }
  });

  it("serialises two real processes: no interleaving, no lost update", async () => {
    const lockPath = path.join(dir, "loop", ".lock");
    const counterFile = path.join(dir, "counter");
    const logFile = path.join(dir, "log");
    await writeFile(counterFile, "0");
    const cycles = 15;
    await Promise.all(
      ["p1", "p2"].map((id) =>
        runWorker(["lock-cycles", lockPath, counterFile, logFile, id, String(cycles)]),
      ),
    );
    expect(await readFile(counterFile, "utf8")).toBe(String(2 * cycles));
    const log = (await readFile(logFile, "utf8")).trim().split("\n");
    expect(log).toHaveLength(4 * cycles);
    for (let index = 0; index < log.length; index += 2) {
      expect(log[index]).toMatch(/^start p[12]$/);
      expect(log[index + 1]).toBe(log[index]?.replace("start", "end"));
    }
  });

  it("times out with a one-line LockTimeoutError naming the loop dir, then recovers a crashed holder's lock", async () => {
    const loopDir = path.join(dir, ".superloop", "ops-manager", "demo-loop");
    const lockPath = path.join(loopDir, ".lock");
    const holder = spawnWorker(["hold-lock", lockPath, "2000"]);
    try {
      await waitForOutput(holder, "locked");
    } finally {
      holder.kill("SIGKILL"); // a crash: no exit handler removes the lock directory
      await new Promise((resolve) => holder.once("exit", resolve));
    }
    expect(await exists(lockPath)).toBe(true);

    // Fresh (not yet stale) lock of a dead process: waiters give up at the timeout.
    const error = await withLock(lockPath, () => "acquired", { timeoutMs: 300, staleMs: 2000 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).message).toContain(loopDir);
    expect((error as LockTimeoutError).message).not.toContain("\n");
    expect((error as LockTimeoutError).exitCode).toBe(1);

    // Nobody refreshes it any more; once older than staleMs it is taken over.
    const past = new Date(Date.now() - 5_000);
    await utimes(lockPath, past, past);
    expect(await withLock(lockPath, () => "acquired", { timeoutMs: 1000, staleMs: 2000 })).toBe("acquired");
    expect(await exists(lockPath)).toBe(false);
  });

  it("does not treat a live holder that outlasts staleMs as stale", async () => {
    const lockPath = path.join(dir, ".lock");
    await mkdir(dir, { recursive: true });
    const order: string[] = [];
    const holder = withLock(
      lockPath,
      async (lockLost) => {
        await sleep(2_600);
        order.push(lockLost.aborted ? "holder lost the lock" : "holder done");
      },
      { staleMs: 2000 },
    );
    await sleep(2_100); // past staleMs: only the holder's refreshes keep the lock fresh
    await withLock(lockPath, () => order.push("contender"), { staleMs: 2000, timeoutMs: 3000 });
    await holder;
    expect(order).toEqual(["holder done", "contender"]);
  });
});
