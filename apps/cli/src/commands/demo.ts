/**
 * `ops-manager demo` — simulate a small fleet of loop runs with the testkit and manage it end to
 * end with the real packages; print a short human-readable summary (or the report as JSON).
 */
import path from "node:path";
import { formatDemoReport, runDemo } from "@ops/demo";
import { defineCommand } from "../command.js";
import { switchFlag, valueFlag } from "../flags.js";

export const demoCommand = defineCommand({
  name: "demo",
  describe: "Simulate a small fleet of loop runs and manage it end to end",
  synopsis: "[--dir <path>] [--json]",
  flags: {
    dir: valueFlag("New or empty directory to build the demo in (default: a fresh temporary directory)"),
    json: switchFlag("Print the demo report as JSON instead of the summary"),
  },
  examples: [["ops-manager demo --dir ./demo-out", "Build the demo fleet under ./demo-out and manage it"]],
  run: async (flags, ctx) => {
    const report = await runDemo({ dir: flags.dir, installRoot: ctx.installRoot().root });
    if (flags.json) ctx.printJson(report);
    else ctx.io.stdout.write(formatDemoReport(report, invocation(ctx.io.cwd)));
  },
});

/** How the reader ran this CLI, for the follow-up commands the summary suggests. */
function invocation(cwd: string): string {
  const script = process.argv[1];
  if (script === undefined || !/\.(m?js|ts)$/.test(script)) return "ops-manager";
  const relative = path.relative(cwd, script);
  return `node ${relative.startsWith("..") ? script : relative}`;
}
