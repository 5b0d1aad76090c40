// Alert sinks and alert dispatch (spec 19).
export * from "./config.js";
export * from "./deliver.js";
export * from "./dispatch.js";
export * from "./schemas.js";
