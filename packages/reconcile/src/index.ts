// Lifecycle projection, reconcile pipeline, visibility projections, control intents and status.
export {};
