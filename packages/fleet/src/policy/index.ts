export * from "./fleet-policy.js";
