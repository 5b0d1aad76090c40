// Simulated Superloop runtime, artifact driver and workload generator for tests, benchmarks and the demo.
export {};
