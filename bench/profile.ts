/**
 * CPU profile of the reconcile cycles the benchmark measures, recorded with the V8 sampling profiler
 * around the measured calls only (workload generation and warm-up are not in the profile), then
 * summarised by `bench/cpuprofile-summary.ts`.
 *
 *   node --conditions=@ops/source --import tsx bench/profile.ts [--mode from-start|incremental]
 *        [--events 100000] [--reps 5] [--append 100]
 *
 * Writes `bench/.out/<mode>-<events>.cpuprofile` (open it in Chrome DevTools / speedscope) and
 * prints the self-time summary. `node --cpu-prof` over `bench/run.ts` gives the same picture with
 * the generator and the baseline mixed in.
 */
import { writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateWorkload, makeTempDir } from "../packages/testkit/src/index.js";
import { RACY_MTIME_WINDOW_MS } from "../packages/transport-local/src/index.js";
import { printSummary, summarizeProfile } from "./cpuprofile-summary.js";
import { BENCH_DIR, EventAppender, median, round, timedReconcile } from "./lib.js";

const { values: flags } = parseArgs({
  options: {
    mode: { type: "string", default: "from-start" },
    events: { type: "string", default: "100000" },
    reps: { type: "string", default: "5" },
    append: { type: "string", default: "100" },
    seed: { type: "string", default: "20260222" },
  },
  strict: true,
});
const mode = flags.mode;
if (mode !== "from-start" && mode !== "incremental")
  throw new Error("--mode must be from-start or incremental");
const events = Number(flags.events);
const reps = Number(flags.reps);
const append = Number(flags.append);

const temp = makeTempDir("ops-bench-profile-");
try {
  const workload = await generateWorkload({
    seed: Number(flags.seed),
    loops: 1,
    eventsPerLoop: events,
    root: temp.path,
  });
  const loop = workload.loops[0];
  if (loop === undefined) throw new Error("no loop generated");
  const appender = new EventAppender(loop.eventsFile, loop.loopId, Number(flags.seed) + 2);
  // The snapshot caches a runtime JSON file only once its mtime is RACY_MTIME_WINDOW_MS old; the
  // workload was just written, so wait that long first (outside the profile) as a running loop would.
  await new Promise((resolve) => setTimeout(resolve, RACY_MTIME_WINDOW_MS + 100));
  const cycle = async () => {
    if (mode === "from-start") return timedReconcile(temp.path, loop.loopId, true, events);
    appender.append(append);
    return timedReconcile(temp.path, loop.loopId, false, append);
  };
  // Warm-up (and, for incremental, the from-start run that puts the cursor at the end).
  await timedReconcile(temp.path, loop.loopId, true, events);
  await cycle();

  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  const times: number[] = [];
  for (let rep = 0; rep < reps; rep += 1) times.push((await cycle()).ms);
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();

  const outDir = path.join(BENCH_DIR, ".out");
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `${mode}-${events}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  process.stdout.write(
    `${mode} reconcile of ${events} events: median ${round(median(times))} ms over ${reps} cycles\n` +
      `profile: ${path.relative(process.cwd(), file)}\n\n`,
  );
  printSummary(summarizeProfile(profile));
} finally {
  await temp.cleanup();
}
