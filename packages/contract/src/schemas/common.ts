import { z } from "zod";

/** Strict whole-second UTC timestamp (spec 10 §1.4); JSON Schema `format: date-time`. */
export const TimestampSchema = z.iso.datetime({ precision: 0 });

export const NonNegativeIntSchema = z.number().int().min(0);

/** Any JSON object; used for pass-through payloads that accept any keys. */
export const JsonObjectSchema = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObjectSchema>;

/** A plain JSON object (not null, not an array): the narrowing every reader of artifacts needs. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const SeveritySchema = z.enum(["info", "warning", "critical"]);
export type Severity = z.infer<typeof SeveritySchema>;
