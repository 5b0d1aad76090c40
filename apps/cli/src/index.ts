#!/usr/bin/env node
import { processIo } from "./io.js";
import { runCli } from "./run.js";

// A closed pipe (`ops-manager … | head`) is not an error of the command.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), processIo());
