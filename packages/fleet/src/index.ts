// Fleet registry, bounded-concurrency reconcile fan-out, fleet status and handoff.
export * from "./handoff/index.js";
export * from "./policy/index.js";
export * from "./reconcile/index.js";
export * from "./registry/index.js";
export * from "./status/index.js";
