// Simulated Superloop runtime, artifact driver and workload generator for tests, benchmarks and the demo.
export * from "./clock.js";
export * from "./driver.js";
export * from "./events.js";
export * from "./fleet-fixtures.js";
export {
  readJsonFile,
  readJsonLines,
  type TornMode,
  type TornWrite,
  type TornWriteOptions,
  tornWrite,
} from "./fsutil.js";
export * from "./prng.js";
export * from "./process.js";
export * from "./promotion-evidence.js";
export * from "./runtime-command.js";
export * from "./scenarios.js";
export * from "./temp.js";
export * from "./workload.js";
