// Lifecycle projection, reconcile pipeline, visibility projections, control intents and status.

export * from "./control/index.js";
export * from "./envelope-inputs.js";
export * from "./lifecycle.js";
export * from "./pipeline/index.js";
export * from "./project-state.js";
export * from "./schemas.js";
export * from "./status/index.js";
