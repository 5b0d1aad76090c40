export * from "./fleet-reconcile.js";
export * from "./schemas.js";
