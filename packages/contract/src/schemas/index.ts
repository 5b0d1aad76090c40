export * from "./catalogs.js";
export * from "./common.js";
export * from "./envelopes.js";
export * from "./fleet-registry.js";
export * from "./json-schema.js";
export * from "./runtime.js";
export * from "./validate.js";
