export * from "./errors.js";
export * from "./paths.js";
export * from "./time.js";
