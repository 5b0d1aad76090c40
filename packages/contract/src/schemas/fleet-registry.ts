/**
 * The fleet registry (spec 20): `.superloop/ops-manager/fleet/registry.v1.json`, hand-edited by
 * operators. Two schemas live here:
 *
 * - `FleetRegistrySchema` — the *input* document as the JSON Schema companion describes it (§6):
 *   closed top level / `noiseControls` / `autonomous` and its sub-objects, enums, ranges. It is
 *   documentation and an ajv check; the runtime validator in `@ops/fleet` (§3) is authoritative
 *   where the two differ (Q7: the validator accepts unknown keys and `fleetId: ""`).
 * - `NormalizedFleetRegistrySchema` — the normalised form the `fleet registry` command prints (§4)
 *   and every other fleet command (21–24) consumes.
 */
import { z } from "zod";
import { TimestampSchema } from "./common.js";

export const FLEET_REGISTRY_SCHEMA_VERSION = "v1";

export const FleetTransportSchema = z.enum(["local", "sprite_service"]);
export type FleetTransportValue = z.infer<typeof FleetTransportSchema>;

export const FleetPolicyModeSchema = z.enum(["advisory", "guarded_auto"]);
export type FleetPolicyModeValue = z.infer<typeof FleetPolicyModeSchema>;

/** Candidate categories fleet policy knows (spec 20 §2.3, spec 22). */
export const FleetPolicyCategorySchema = z.enum(["reconcile_failed", "health_critical", "health_degraded"]);
export type FleetPolicyCategoryValue = z.infer<typeof FleetPolicyCategorySchema>;

export const FleetPolicyIntentSchema = z.enum(["cancel"]);
export type FleetPolicyIntentValue = z.infer<typeof FleetPolicyIntentSchema>;

export const FleetMinSeveritySchema = z.enum(["critical", "warning", "info"]);
export const FleetMinConfidenceSchema = z.enum(["high", "medium", "low"]);
export type FleetMinSeverity = z.infer<typeof FleetMinSeveritySchema>;
export type FleetMinConfidence = z.infer<typeof FleetMinConfidenceSchema>;

export const FLEET_POLICY_CATEGORIES = FleetPolicyCategorySchema.options;
export const FLEET_POLICY_INTENTS = FleetPolicyIntentSchema.options;
export const FLEET_MIN_SEVERITIES = FleetMinSeveritySchema.options;
export const FLEET_MIN_CONFIDENCES = FleetMinConfidenceSchema.options;

/** Defaults of §2.2 / §2.3, applied only when a field is absent (missing or `null`). */
export const FLEET_REGISTRY_DEFAULTS = {
  fleetId: "default",
  transport: "local",
  retryAttempts: 3,
  retryBackoffSeconds: 1,
  mode: "advisory",
  dedupeWindowSeconds: 300,
  categories: ["reconcile_failed", "health_critical"],
  intents: ["cancel"],
  minSeverity: "critical",
  minConfidence: "high",
  maxActionsPerRun: 1,
  maxActionsPerLoop: 1,
  cooldownSeconds: 300,
  killSwitch: false,
  canaryPercent: 100,
  salt: "fleet-autonomous-rollout-v1",
  pauseManual: false,
  autoPauseEnabled: true,
  lookbackExecutions: 5,
  minSampleSize: 3,
  ambiguityRateThreshold: 0.4,
  failureRateThreshold: 0.4,
} as const;

const NonEmptyString = z.string().min(1);
const Int0 = z.number().int().min(0);
const Int1 = z.number().int().min(1);
const Rate = z.number().min(0).max(1);

// ---------------------------------------------------------------------------------------------
// Input document (JSON Schema companion, §6)

export const FleetRegistryLoopSchema = z.looseObject({
  loopId: NonEmptyString,
  enabled: z.boolean().optional(),
  transport: FleetTransportSchema.optional(),
  sprite: z
    .looseObject({
      id: NonEmptyString.optional(),
      assignment: z.unknown().optional(),
      serviceBaseUrl: z.string().optional(),
    })
    .optional(),
  service: z
    .looseObject({
      baseUrl: z.string().optional(),
      tokenEnv: NonEmptyString.optional(),
      retryAttempts: z.number().min(1).optional(),
      retryBackoffSeconds: z.number().min(0).optional(),
    })
    .optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const FleetGovernanceInputSchema = z.strictObject({
  actor: NonEmptyString.optional(),
  approvalRef: NonEmptyString.optional(),
  rationale: NonEmptyString.optional(),
  changedAt: TimestampSchema.optional(),
  reviewBy: TimestampSchema.optional(),
});

export const FleetAutonomousInputSchema = z.strictObject({
  allow: z
    .strictObject({
      categories: z.array(FleetPolicyCategorySchema).optional(),
      intents: z.array(FleetPolicyIntentSchema).optional(),
    })
    .optional(),
  thresholds: z
    .strictObject({
      minSeverity: FleetMinSeveritySchema.optional(),
      minConfidence: FleetMinConfidenceSchema.optional(),
    })
    .optional(),
  safety: z
    .strictObject({
      maxActionsPerRun: Int0.optional(),
      maxActionsPerLoop: Int0.optional(),
      cooldownSeconds: Int0.optional(),
      killSwitch: z.boolean().optional(),
    })
    .optional(),
  governance: FleetGovernanceInputSchema.optional(),
  rollout: z
    .strictObject({
      canaryPercent: z.number().int().min(0).max(100).optional(),
      scope: z.strictObject({ loopIds: z.array(NonEmptyString).optional() }).optional(),
      selector: z.strictObject({ salt: NonEmptyString.optional() }).optional(),
      pause: z.strictObject({ manual: z.boolean().optional() }).optional(),
      autoPause: z
        .strictObject({
          enabled: z.boolean().optional(),
          lookbackExecutions: Int1.optional(),
          minSampleSize: Int1.optional(),
          ambiguityRateThreshold: Rate.optional(),
          failureRateThreshold: Rate.optional(),
        })
        .optional(),
    })
    .optional(),
});

export const FleetPolicyInputSchema = z.strictObject({
  mode: FleetPolicyModeSchema.optional(),
  suppressions: z.record(z.string(), z.array(FleetPolicyCategorySchema)).optional(),
  noiseControls: z.strictObject({ dedupeWindowSeconds: Int0.optional() }).optional(),
  autonomous: FleetAutonomousInputSchema.optional(),
});

/** `.superloop/ops-manager/fleet/registry.v1.json` as the JSON Schema companion describes it. */
export const FleetRegistrySchema = z.strictObject({
  schemaVersion: z.literal(FLEET_REGISTRY_SCHEMA_VERSION),
  fleetId: NonEmptyString.optional(),
  loops: z.array(FleetRegistryLoopSchema).min(1),
  policy: FleetPolicyInputSchema.optional(),
});
export type FleetRegistryDocument = z.infer<typeof FleetRegistrySchema>;

// ---------------------------------------------------------------------------------------------
// Normalised registry (§4): the `fleet registry` output and what fleet commands 21–24 consume.

export const NormalizedFleetLoopSchema = z.object({
  loopId: NonEmptyString,
  enabled: z.boolean(),
  transport: FleetTransportSchema,
  // `serviceBaseUrl` / `baseUrl` are echoed verbatim: the validator only guarantees a non-empty
  // string for `service.baseUrl` of `sprite_service` loops (rule #16), so consumers check the type.
  sprite: z.object({
    id: NonEmptyString.optional(),
    assignment: z.unknown().optional(),
    serviceBaseUrl: z.unknown().optional(),
  }),
  service: z.object({
    baseUrl: z.unknown().optional(),
    tokenEnv: NonEmptyString.optional(),
    retryAttempts: z.number(),
    retryBackoffSeconds: z.number(),
  }),
  metadata: z.record(z.string(), z.unknown()),
});
export type NormalizedFleetLoop = z.infer<typeof NormalizedFleetLoopSchema>;

export const NormalizedFleetGovernanceSchema = z.object({
  actor: NonEmptyString.optional(),
  approvalRef: NonEmptyString.optional(),
  rationale: NonEmptyString.optional(),
  changedAt: TimestampSchema.optional(),
  reviewBy: TimestampSchema.optional(),
  reviewWindowDays: z.number().int().optional(),
});
export type NormalizedFleetGovernance = z.infer<typeof NormalizedFleetGovernanceSchema>;

/** The normalised `policy.autonomous` object; fleet policy stores it as `autonomous.controls` (22). */
export const NormalizedFleetAutonomousSchema = z.object({
  enabled: z.boolean(),
  allow: z.object({
    categories: z.array(FleetPolicyCategorySchema),
    intents: z.array(FleetPolicyIntentSchema),
  }),
  thresholds: z.object({ minSeverity: FleetMinSeveritySchema, minConfidence: FleetMinConfidenceSchema }),
  safety: z.object({
    maxActionsPerRun: Int0,
    maxActionsPerLoop: Int0,
    cooldownSeconds: Int0,
    killSwitch: z.boolean(),
  }),
  governance: NormalizedFleetGovernanceSchema,
  rollout: z.object({
    canaryPercent: z.number().int().min(0).max(100),
    scope: z.object({ loopIds: z.array(NonEmptyString) }),
    selector: z.object({ salt: NonEmptyString }),
    pause: z.object({ manual: z.boolean() }),
    autoPause: z.object({
      enabled: z.boolean(),
      lookbackExecutions: Int1,
      minSampleSize: Int1,
      ambiguityRateThreshold: Rate,
      failureRateThreshold: Rate,
    }),
  }),
});
export type NormalizedFleetAutonomous = z.infer<typeof NormalizedFleetAutonomousSchema>;

export const NormalizedFleetPolicySchema = z.object({
  mode: FleetPolicyModeSchema,
  suppressions: z.record(z.string(), z.array(FleetPolicyCategorySchema)),
  noiseControls: z.object({ dedupeWindowSeconds: Int0 }),
  autonomous: NormalizedFleetAutonomousSchema,
});
export type NormalizedFleetPolicy = z.infer<typeof NormalizedFleetPolicySchema>;

export const NormalizedFleetRegistrySchema = z.object({
  schemaVersion: z.literal(FLEET_REGISTRY_SCHEMA_VERSION),
  sourceFile: z.string(),
  fleetId: z.string(),
  loops: z.array(NormalizedFleetLoopSchema),
  policy: NormalizedFleetPolicySchema,
  loopCount: Int0,
});
export type NormalizedFleetRegistry = z.infer<typeof NormalizedFleetRegistrySchema>;
