import fc from "fast-check";

// Property tests draw a fresh random seed on every run, which is how they find new cases.
// `FC_SEED` pins it (scripts/test.sh does, so the CI gate is reproducible) and `FC_NUM_RUNS`
// raises the default run count (scripts/fuzz.sh does, to explore many seeds).
const seed = process.env["FC_SEED"];
const numRuns = process.env["FC_NUM_RUNS"];
fc.configureGlobal({
  ...(seed !== undefined && seed !== "" ? { seed: Number(seed) } : {}),
  ...(numRuns !== undefined && numRuns !== "" ? { numRuns: Number(numRuns) } : {}),
});
