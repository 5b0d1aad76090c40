// Promotion gates, CI wrapper, audited apply and orchestration.
export * from "./apply/index.js";
export * from "./ci/index.js";
export * from "./gates/index.js";
export * from "./orchestrate/index.js";
