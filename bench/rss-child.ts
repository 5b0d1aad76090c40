/**
 * Child process of the peak-memory measurement: one from-start reconcile of an already generated
 * loop, then one JSON line on stdout with `process.resourceUsage().maxRSS` (KiB) taken after the
 * modules were loaded (`baselineMaxRssKiB`) and after the reconcile (`peakMaxRssKiB`).
 *
 *   node --conditions=@ops/source --import tsx bench/rss-child.ts <repo> <loop> <events>
 */
import { timedReconcile } from "./lib.js";

const [repo, loop, events] = process.argv.slice(2);
if (repo === undefined || loop === undefined || events === undefined) {
  throw new Error("usage: rss-child.ts <repo> <loop> <events>");
}
const expected = Number(events);
const baselineMaxRssKiB = process.resourceUsage().maxRSS;
const { ms } = await timedReconcile(repo, loop, true, expected);
const peakMaxRssKiB = process.resourceUsage().maxRSS;
process.stdout.write(
  `${JSON.stringify({
    events: expected,
    ms,
    baselineMaxRssKiB,
    peakMaxRssKiB,
  })}\n`,
);
