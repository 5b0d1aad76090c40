export * from "./fleet-handoff.js";
export * from "./plan.js";
export * from "./schemas.js";
export * from "./table.js";
