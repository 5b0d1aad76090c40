#!/usr/bin/env node
import { runSpriteServiceCli } from "./cli.js";

const shutdown = new Promise<NodeJS.Signals>((resolve) => {
  process.once("SIGTERM", () => resolve("SIGTERM"));
  process.once("SIGINT", () => resolve("SIGINT"));
});

process.exitCode = await runSpriteServiceCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  shutdown,
);
