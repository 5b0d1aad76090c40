export * from "./errors.js";
export * from "./paths.js";
export * from "./reason-codes.js";
export * from "./schemas/index.js";
export * from "./store/index.js";
export * from "./terminal.js";
export * from "./time.js";
export * from "./trace-id.js";
