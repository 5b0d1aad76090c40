/**
 * A separate OS process for the store tests (run with `node --import tsx`): real concurrency and
 * real crashes can only be shown across processes.
 *
 *   append <file> <workerId> <count>               append <count> records of varied size, one call each
 *   atomic-loop <file>                              rewrite <file> atomically forever (killed by the test)
 *   lock-cycles <lockPath> <counterFile> <logFile> <workerId> <cycles>
 *                                                   read-increment-write a counter under the lock
 *   hold-lock <lockPath> <staleMs>                  take the lock, print "locked", wait to be killed
 */
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { appendJsonl, withLock, writeJsonAtomic } from "../index.js";
import { appendPayload, atomicDocument } from "./payloads.js";

const [command, ...args] = process.argv.slice(2);

function arg(index: number): string {
  const value = args[index];
  if (value === undefined) throw new Error(`missing argument ${index + 1} for ${command}`);
  return value;
}

async function main(): Promise<void> {
  switch (command) {
    case "append": {
      const [file, workerId, count] = [arg(0), arg(1), Number(arg(2))];
      for (let index = 0; index < count; index += 1) await appendJsonl(file, appendPayload(workerId, index));
      return;
    }
    case "atomic-loop": {
      const file = arg(0);
      for (let generation = 0; ; generation += 1) {
        await writeJsonAtomic(file, atomicDocument(generation));
        if (generation === 0) process.stdout.write("written\n");
      }
    }
    case "lock-cycles": {
      const lockPath = arg(0);
      const counterFile = arg(1);
      const logFile = arg(2);
      const workerId = arg(3);
      const cycles = Number(arg(4));
      for (let cycle = 0; cycle < cycles; cycle += 1) {
        await withLock(
          lockPath,
          async () => {
            await appendFile(logFile, `start ${workerId}\n`);
            const counter = Number(await readFile(counterFile, "utf8"));
            // Widen the race window: without the lock the other worker would read the same value.
            await sleep(5);
            await writeFile(counterFile, String(counter + 1));
            await appendFile(logFile, `end ${workerId}\n`);
          },
          { timeoutMs: 10_000 },
        );
      }
      return;
    }
    case "hold-lock": {
      const [lockPath, staleMs] = [arg(0), Number(arg(1))];
      await withLock(
        lockPath,
        async () => {
          process.stdout.write("locked\n");
          await sleep(60_000);
        },
        { staleMs },
      );
      return;
    }
    default:
      throw new Error(`unknown command: ${command}`);
  }
}

await main();
