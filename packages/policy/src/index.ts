// Fleet policy evaluation (spec 22): candidates, suppression, autonomy gates, safety rails, rollout
// and governance — pure functions and the zod schemas of the artifacts they produce. No file I/O
// (the `fleet policy` command in @ops/fleet reads the inputs and writes the outputs).
export * from "./cohort.js";
export * from "./evaluate.js";
export * from "./governance.js";
export * from "./inputs.js";
export * from "./schemas.js";
export * from "./table.js";
