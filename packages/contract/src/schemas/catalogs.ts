/**
 * Operator-edited catalogs shipped under `config/` (spec 18 §1, spec 19 §1). Their JSON Schemas are
 * generated from these zod schemas and used with ajv to report every problem of a file at once.
 */
import { z } from "zod";
import { NonNegativeIntSchema, SeveritySchema } from "./common.js";

export const ThresholdProfileValuesSchema = z.strictObject({
  degradedIngestLagSeconds: NonNegativeIntSchema,
  criticalIngestLagSeconds: NonNegativeIntSchema,
  degradedTransportFailureStreak: NonNegativeIntSchema,
  criticalTransportFailureStreak: NonNegativeIntSchema,
});
export type ThresholdProfileValues = z.infer<typeof ThresholdProfileValuesSchema>;

export const ThresholdProfileSchema = ThresholdProfileValuesSchema.extend({
  description: z.string().optional(),
});

/** `config/ops-manager-threshold-profiles.v1.json` (spec 18 §1). */
export const ThresholdProfilesCatalogSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  defaultProfile: z.string().min(1).optional(),
  profiles: z.record(z.string().min(1), ThresholdProfileSchema),
});
export type ThresholdProfilesCatalog = z.infer<typeof ThresholdProfilesCatalogSchema>;

const EnvVarNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/);
const SinkTimeoutSchema = z.number().int().min(1).max(120);

export const WebhookSinkSchema = z.looseObject({
  enabled: z.boolean(),
  type: z.literal("webhook"),
  timeoutSeconds: SinkTimeoutSchema.optional(),
  urlEnv: EnvVarNameSchema,
  authTokenEnv: EnvVarNameSchema.optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

export const SlackSinkSchema = z.looseObject({
  enabled: z.boolean(),
  type: z.literal("slack"),
  timeoutSeconds: SinkTimeoutSchema.optional(),
  webhookUrlEnv: EnvVarNameSchema,
  channel: z.string().optional(),
  username: z.string().optional(),
  iconEmoji: z.string().optional(),
});

export const PagerDutySinkSchema = z.looseObject({
  enabled: z.boolean(),
  type: z.literal("pagerduty_events"),
  timeoutSeconds: SinkTimeoutSchema.optional(),
  routingKeyEnv: EnvVarNameSchema,
  source: z.string().optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
});

export const AlertSinkSchema = z.discriminatedUnion("type", [
  WebhookSinkSchema,
  SlackSinkSchema,
  PagerDutySinkSchema,
]);
export type AlertSink = z.infer<typeof AlertSinkSchema>;

const SinkIdSchema = z.string().min(1);

export const AlertRouteSchema = z.strictObject({
  category: z.string().min(1),
  enabled: z.boolean().optional(),
  minSeverity: SeveritySchema.optional(),
  sinks: z.array(SinkIdSchema).optional(),
});

/** `config/ops-manager-alert-sinks.v1.json` (spec 19 §1.1; the schema is the strict variant). */
export const AlertSinksCatalogSchema = z.strictObject({
  schemaVersion: z.literal("v1"),
  defaultMinSeverity: SeveritySchema,
  sinks: z.record(SinkIdSchema, AlertSinkSchema),
  routing: z.strictObject({
    defaultSinks: z.array(SinkIdSchema),
    categorySeverity: z.record(z.string(), SeveritySchema),
    routes: z.array(AlertRouteSchema).optional(),
  }),
});
export type AlertSinksCatalog = z.infer<typeof AlertSinksCatalogSchema>;
