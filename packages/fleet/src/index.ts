// Fleet registry, bounded-concurrency reconcile fan-out, fleet status and handoff.
export * from "./reconcile/index.js";
export * from "./registry/index.js";
