// The end-to-end demo of ops-manager: a simulated fleet managed by the real packages.
export * from "./demo.js";
export * from "./fleet.js";
