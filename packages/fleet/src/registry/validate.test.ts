// Spec 20 §3: every rule and message of the fleet registry validator, in emission order.
import { FLEET_GOVERNANCE } from "@ops/testkit";
import { describe, expect, it } from "vitest";
import { validateFleetRegistry } from "./validate.js";

type Doc = Record<string, unknown>;

const NOW = Date.parse("2026-04-01T00:00:00Z") / 1000;

function base(): Doc {
  return { schemaVersion: "v1", loops: [{ loopId: "alpha" }, { loopId: "beta" }] };
}

function withLoop(entry: unknown): Doc {
  return { schemaVersion: "v1", loops: [entry] };
}

function withPolicy(policy: unknown): Doc {
  return { ...base(), policy };
}

function withAutonomous(autonomous: unknown): Doc {
  return withPolicy({ autonomous });
}

function withRollout(rollout: unknown): Doc {
  return withAutonomous({ rollout });
}

const validate = (doc: Doc) => validateFleetRegistry(doc, NOW);

describe("validateFleetRegistry: valid documents", () => {
  it("accepts the minimal registry and the spec's example", () => {
    expect(validate(base())).toEqual([]);
    expect(
      validate({
        schemaVersion: "v1",
        fleetId: "fleet-east",
        loops: [
          { loopId: "alpha", transport: "local" },
          {
            loopId: "beta",
            transport: "sprite_service",
            sprite: { id: "spr-17", assignment: "pool-a" },
            service: { baseUrl: "http://127.0.0.1:8787", tokenEnv: "BETA_TOKEN" },
          },
        ],
        policy: {
          mode: "guarded_auto",
          suppressions: { "*": ["health_degraded"] },
          autonomous: { governance: FLEET_GOVERNANCE, rollout: { canaryPercent: 50 } },
        },
      }),
    ).toEqual([]);
  });

  it("accepts null as absent everywhere, unknown keys, fleetId '' and Q8 non-integral retries", () => {
    expect(
      validate({
        schemaVersion: "v1",
        fleetId: "",
        extra: 1,
        loops: [
          {
            loopId: "a",
            enabled: null,
            transport: null,
            sprite: null,
            service: { retryAttempts: 1.5, retryBackoffSeconds: 0.5, tokenEnv: null, other: 1 },
            metadata: null,
            unknown: true,
          },
        ],
        policy: {
          mode: null,
          noiseControls: { dedupeWindowSeconds: 3.0 },
          autonomous: {
            allow: { categories: [], intents: null },
            governance: null,
            rollout: { canaryPercent: 0, autoPause: { ambiguityRateThreshold: 0, failureRateThreshold: 1 } },
            extra: {},
          },
          other: "x",
        },
      }),
    ).toEqual([]);
  });

  it("accepts sprite.serviceBaseUrl as the sprite_service base URL", () => {
    expect(
      validate(
        withLoop({ loopId: "a", transport: "sprite_service", sprite: { serviceBaseUrl: "http://h" } }),
      ),
    ).toEqual([]);
  });
});

describe("validateFleetRegistry: top level (#1–#5)", () => {
  it.each<[string, Doc, string[]]>([
    ["schemaVersion missing", { loops: [{ loopId: "a" }] }, ['schemaVersion must be "v1"']],
    ["schemaVersion v2", { schemaVersion: "v2", loops: [{ loopId: "a" }] }, ['schemaVersion must be "v1"']],
    [
      "fleetId number",
      { schemaVersion: "v1", fleetId: 3, loops: [{ loopId: "a" }] },
      ["fleetId must be a string when present"],
    ],
    [
      "fleetId false (Q6)",
      { schemaVersion: "v1", fleetId: false, loops: [{ loopId: "a" }] },
      ["fleetId must be a string when present"],
    ],
    ["loops missing", { schemaVersion: "v1" }, ["loops must be an array"]],
    ["loops object", { schemaVersion: "v1", loops: {} }, ["loops must be an array"]],
    ["loops empty", { schemaVersion: "v1", loops: [] }, ["loops must include at least one loop entry"]],
    [
      "duplicate loop ids (reported once)",
      { schemaVersion: "v1", loops: [{ loopId: "a" }, { loopId: "a" }, { loopId: "a" }] },
      ["loopId values must be unique"],
    ],
  ])("%s", (_name, doc, expected) => {
    expect(validate(doc)).toEqual(expected);
  });
});

describe("validateFleetRegistry: loop entries (#6–#17)", () => {
  it.each<[string, unknown, string[]]>([
    [
      "null entry",
      null,
      ["loops[0]: entry must be an object", "loops[0]: loopId must be a non-empty string"],
    ],
    [
      "number entry (Q4)",
      7,
      ["loops[0]: entry must be an object", "loops[0]: loopId must be a non-empty string"],
    ],
    [
      "string entry (Q4)",
      "a",
      ["loops[0]: entry must be an object", "loops[0]: loopId must be a non-empty string"],
    ],
    [
      "array entry (Q4)",
      [],
      ["loops[0]: entry must be an object", "loops[0]: loopId must be a non-empty string"],
    ],
    [
      "true entry (Q4)",
      true,
      ["loops[0]: entry must be an object", "loops[0]: loopId must be a non-empty string"],
    ],
    ["loopId missing", {}, ["loops[0]: loopId must be a non-empty string"]],
    ["loopId empty", { loopId: "" }, ["loops[0]: loopId must be a non-empty string"]],
    ["loopId number", { loopId: 5 }, ["loops[0]: loopId must be a non-empty string"]],
    [
      "path-traversing loopId",
      { loopId: "../escape" },
      [`loops[0]: loopId "../escape" may contain only letters, digits, '.', '_' and '-'`],
    ],
    ["loopId ..", { loopId: ".." }, [`loops[0]: loopId ".." must not be '.' or '..'`]],
    [
      "loopId fleet (the fleet's own directory)",
      { loopId: "fleet" },
      [`loops[0]: loopId "fleet" is reserved for the fleet's own directory`],
    ],
    [
      "loopId Fleet (case-insensitive file systems)",
      { loopId: "Fleet" },
      [`loops[0]: loopId "Fleet" is reserved for the fleet's own directory`],
    ],
    [
      "loopId too long",
      { loopId: "x".repeat(129) },
      [`loops[0]: loopId "${"x".repeat(129)}" must be at most 128 characters`],
    ],
    ["enabled string", { loopId: "a", enabled: "no" }, ["loops[0]: enabled must be boolean when present"]],
    [
      "transport bogus",
      { loopId: "a", transport: "ssh" },
      ["loops[0]: transport must be local or sprite_service"],
    ],
    [
      "transport false (Q6)",
      { loopId: "a", transport: false },
      ["loops[0]: transport must be local or sprite_service"],
    ],
    [
      "sprite string (Q3)",
      { loopId: "a", sprite: "spr" },
      ["loops[0]: sprite must be an object when present"],
    ],
    ["sprite array (Q3)", { loopId: "a", sprite: [] }, ["loops[0]: sprite must be an object when present"]],
    [
      "sprite.id empty",
      { loopId: "a", sprite: { id: "" } },
      ["loops[0]: sprite.id must be a non-empty string when present"],
    ],
    [
      "sprite.id false (Q6)",
      { loopId: "a", sprite: { id: false } },
      ["loops[0]: sprite.id must be a non-empty string when present"],
    ],
    [
      "service true (Q3)",
      { loopId: "a", service: true },
      ["loops[0]: service must be an object when present"],
    ],
    [
      "service.tokenEnv empty",
      { loopId: "a", service: { tokenEnv: "" } },
      ["loops[0]: service.tokenEnv must be a non-empty string when present"],
    ],
    [
      "service.retryAttempts 0",
      { loopId: "a", service: { retryAttempts: 0 } },
      ["loops[0]: service.retryAttempts must be >= 1 when present"],
    ],
    [
      "service.retryAttempts string",
      { loopId: "a", service: { retryAttempts: "3" } },
      ["loops[0]: service.retryAttempts must be >= 1 when present"],
    ],
    [
      "service.retryAttempts 1e400 (parses as Infinity)",
      { loopId: "a", service: { retryAttempts: JSON.parse("1e400") as number } },
      ["loops[0]: service.retryAttempts must be >= 1 when present"],
    ],
    [
      "service.retryBackoffSeconds 1e400 (parses as Infinity)",
      { loopId: "a", service: { retryBackoffSeconds: JSON.parse("1e400") as number } },
      ["loops[0]: service.retryBackoffSeconds must be >= 0 when present"],
    ],
    [
      "service.retryBackoffSeconds -1",
      { loopId: "a", service: { retryBackoffSeconds: -1 } },
      ["loops[0]: service.retryBackoffSeconds must be >= 0 when present"],
    ],
    [
      "sprite_service without a URL",
      { loopId: "a", transport: "sprite_service" },
      ["loops[0]: sprite_service loops require service.baseUrl or sprite.serviceBaseUrl"],
    ],
    [
      "sprite_service with service.baseUrl '' (present, fails, no fallback)",
      {
        loopId: "a",
        transport: "sprite_service",
        service: { baseUrl: "" },
        sprite: { serviceBaseUrl: "http://h" },
      },
      ["loops[0]: sprite_service loops require service.baseUrl or sprite.serviceBaseUrl"],
    ],
    [
      "sprite_service with a non-object service (Q3)",
      { loopId: "a", transport: "sprite_service", service: "http://h" },
      [
        "loops[0]: service must be an object when present",
        "loops[0]: sprite_service loops require service.baseUrl or sprite.serviceBaseUrl",
      ],
    ],
    ["metadata array", { loopId: "a", metadata: [] }, ["loops[0]: metadata must be an object when present"]],
  ])("%s", (_name, entry, expected) => {
    expect(validate(withLoop(entry))).toEqual(expected);
  });

  it("reports every check of one entry in order, then the next entry", () => {
    expect(
      validate({
        schemaVersion: "v1",
        loops: [
          {
            loopId: "",
            enabled: 1,
            transport: "sprite_service",
            sprite: { id: 3 },
            service: { tokenEnv: 1, retryAttempts: 0, retryBackoffSeconds: -2 },
            metadata: "m",
          },
          null,
        ],
      }),
    ).toEqual([
      "loops[0]: loopId must be a non-empty string",
      "loops[0]: enabled must be boolean when present",
      "loops[0]: sprite.id must be a non-empty string when present",
      "loops[0]: service.tokenEnv must be a non-empty string when present",
      "loops[0]: service.retryAttempts must be >= 1 when present",
      "loops[0]: service.retryBackoffSeconds must be >= 0 when present",
      "loops[0]: sprite_service loops require service.baseUrl or sprite.serviceBaseUrl",
      "loops[0]: metadata must be an object when present",
      "loops[1]: entry must be an object",
      "loops[1]: loopId must be a non-empty string",
    ]);
  });
});

describe("validateFleetRegistry: policy structure and simple fields (#18–#33)", () => {
  it.each<[string, Doc, string[]]>([
    ["policy string (Q3)", withPolicy("strict"), ["policy must be an object when present"]],
    ["policy array (Q3)", withPolicy([]), ["policy must be an object when present"]],
    ["mode bogus", withPolicy({ mode: "auto" }), ["policy.mode must be advisory or guarded_auto"]],
    ["mode false (Q6)", withPolicy({ mode: false }), ["policy.mode must be advisory or guarded_auto"]],
    [
      "noiseControls number",
      withPolicy({ noiseControls: 5 }),
      ["policy.noiseControls must be an object when present"],
    ],
    [
      "dedupeWindowSeconds 1.5",
      withPolicy({ noiseControls: { dedupeWindowSeconds: 1.5 } }),
      ["policy.noiseControls.dedupeWindowSeconds must be an integer >= 0 when present"],
    ],
    [
      "dedupeWindowSeconds '3'",
      withPolicy({ noiseControls: { dedupeWindowSeconds: "3" } }),
      ["policy.noiseControls.dedupeWindowSeconds must be an integer >= 0 when present"],
    ],
    ["autonomous true (Q3)", withAutonomous(true), ["policy.autonomous must be an object when present"]],
    [
      "allow string",
      withAutonomous({ allow: "all" }),
      ["policy.autonomous.allow must be an object when present"],
    ],
    [
      "allow.categories false (Q6)",
      withAutonomous({ allow: { categories: false } }),
      ["policy.autonomous.allow.categories must be an array when present"],
    ],
    [
      "allow.categories non-string entry (chain stops)",
      withAutonomous({ allow: { categories: [1, "bogus"] } }),
      ["policy.autonomous.allow.categories entries must be strings"],
    ],
    [
      "allow.categories unsupported",
      withAutonomous({ allow: { categories: ["health_critical", "bogus"] } }),
      ["policy.autonomous.allow.categories contains unsupported categories"],
    ],
    [
      "allow.intents object",
      withAutonomous({ allow: { intents: {} } }),
      ["policy.autonomous.allow.intents must be an array when present"],
    ],
    [
      "allow.intents non-string",
      withAutonomous({ allow: { intents: [null] } }),
      ["policy.autonomous.allow.intents entries must be strings"],
    ],
    [
      "allow.intents approve",
      withAutonomous({ allow: { intents: ["cancel", "approve"] } }),
      ["policy.autonomous.allow.intents contains unsupported intents"],
    ],
    [
      "thresholds array",
      withAutonomous({ thresholds: [] }),
      ["policy.autonomous.thresholds must be an object when present"],
    ],
    [
      "minSeverity number",
      withAutonomous({ thresholds: { minSeverity: 2 } }),
      ["policy.autonomous.thresholds.minSeverity must be a string when present"],
    ],
    [
      "minSeverity bogus",
      withAutonomous({ thresholds: { minSeverity: "high" } }),
      ["policy.autonomous.thresholds.minSeverity must be one of critical, warning, info"],
    ],
    [
      "minConfidence number",
      withAutonomous({ thresholds: { minConfidence: 1 } }),
      ["policy.autonomous.thresholds.minConfidence must be a string when present"],
    ],
    [
      "minConfidence bogus",
      withAutonomous({ thresholds: { minConfidence: "critical" } }),
      ["policy.autonomous.thresholds.minConfidence must be one of high, medium, low"],
    ],
    [
      "safety string",
      withAutonomous({ safety: "on" }),
      ["policy.autonomous.safety must be an object when present"],
    ],
    [
      "safety integers and killSwitch",
      withAutonomous({
        safety: { maxActionsPerRun: -1, maxActionsPerLoop: 0.5, cooldownSeconds: "300", killSwitch: "yes" },
      }),
      [
        "policy.autonomous.safety.maxActionsPerRun must be an integer >= 0 when present",
        "policy.autonomous.safety.maxActionsPerLoop must be an integer >= 0 when present",
        "policy.autonomous.safety.cooldownSeconds must be an integer >= 0 when present",
        "policy.autonomous.safety.killSwitch must be boolean when present",
      ],
    ],
  ])("%s", (_name, doc, expected) => {
    expect(validate(doc)).toEqual(expected);
  });

  it("skips every check nested under a non-object policy (Q3), including suppressions", () => {
    expect(validate(withPolicy(42))).toEqual(["policy must be an object when present"]);
  });
});

describe("validateFleetRegistry: governance (#34–#48)", () => {
  const G = "policy.autonomous.governance";
  it.each<[string, Doc, string[]]>([
    [
      "governance string (advisory)",
      withAutonomous({ governance: "x" }),
      [`${G} must be an object when present`],
    ],
    [
      "empty strings and bad timestamps (advisory)",
      withAutonomous({
        governance: {
          actor: "",
          approvalRef: 1,
          rationale: false,
          changedAt: "2026-03-01T00:00:00.000Z",
          reviewBy: "2026-02-30T00:00:00Z",
        },
      }),
      [
        `${G}.actor must be a non-empty string when present`,
        `${G}.approvalRef must be a non-empty string when present`,
        `${G}.rationale must be a non-empty string when present`,
        `${G}.changedAt must be an ISO-8601 timestamp when present`,
        `${G}.reviewBy must be an ISO-8601 timestamp when present`,
      ],
    ],
    [
      "lenient forms are rejected (Q9)",
      withAutonomous({ governance: { changedAt: "2026-3-1T1:2:3Z", reviewBy: " 2026-06-01T00:00:00Z" } }),
      [
        `${G}.changedAt must be an ISO-8601 timestamp when present`,
        `${G}.reviewBy must be an ISO-8601 timestamp when present`,
      ],
    ],
    [
      "reviewBy not after changedAt (advisory)",
      withAutonomous({ governance: { changedAt: "2026-03-01T00:00:00Z", reviewBy: "2026-03-01T00:00:00Z" } }),
      [`${G}.reviewBy must be after ${G}.changedAt`],
    ],
    [
      "guarded_auto without governance",
      withPolicy({ mode: "guarded_auto" }),
      [
        `${G} is required when policy.mode is guarded_auto`,
        `${G}.actor is required when policy.mode is guarded_auto`,
        `${G}.approvalRef is required when policy.mode is guarded_auto`,
        `${G}.rationale is required when policy.mode is guarded_auto`,
        `${G}.changedAt must be an ISO-8601 timestamp when policy.mode is guarded_auto`,
        `${G}.reviewBy must be an ISO-8601 timestamp when policy.mode is guarded_auto`,
      ],
    ],
    [
      "guarded_auto with the same defects twice (#35+#42, #40+#47)",
      withPolicy({
        mode: "guarded_auto",
        autonomous: {
          governance: { ...FLEET_GOVERNANCE, actor: "", reviewBy: "2026-02-01T00:00:00Z" },
        },
      }),
      [
        `${G}.actor must be a non-empty string when present`,
        `${G}.reviewBy must be after ${G}.changedAt`,
        `${G}.actor is required when policy.mode is guarded_auto`,
        `${G}.reviewBy must be after ${G}.changedAt when policy.mode is guarded_auto`,
        `${G}.reviewBy must be in the future when policy.mode is guarded_auto`,
      ],
    ],
    [
      "guarded_auto with an expired review deadline (#48)",
      withPolicy({
        mode: "guarded_auto",
        autonomous: { governance: { ...FLEET_GOVERNANCE, reviewBy: "2026-04-01T00:00:00Z" } },
      }),
      [`${G}.reviewBy must be in the future when policy.mode is guarded_auto`],
    ],
    [
      "guarded_auto with a non-object governance",
      withPolicy({ mode: "guarded_auto", autonomous: { governance: [] } }),
      [
        `${G} must be an object when present`,
        `${G} is required when policy.mode is guarded_auto`,
        `${G}.actor is required when policy.mode is guarded_auto`,
        `${G}.approvalRef is required when policy.mode is guarded_auto`,
        `${G}.rationale is required when policy.mode is guarded_auto`,
        `${G}.changedAt must be an ISO-8601 timestamp when policy.mode is guarded_auto`,
        `${G}.reviewBy must be an ISO-8601 timestamp when policy.mode is guarded_auto`,
      ],
    ],
  ])("%s", (_name, doc, expected) => {
    expect(validate(doc)).toEqual(expected);
  });

  it("an expired deadline in advisory mode is fine; the same registry fails closed in guarded_auto", () => {
    const governance = { ...FLEET_GOVERNANCE, reviewBy: "2026-03-15T00:00:00Z" };
    expect(validate(withPolicy({ mode: "advisory", autonomous: { governance } }))).toEqual([]);
    expect(validate(withPolicy({ mode: "guarded_auto", autonomous: { governance } }))).toHaveLength(1);
    // "now" is compared in whole seconds: reviewBy == now is not in the future.
    const atNow = { ...FLEET_GOVERNANCE, reviewBy: "2026-04-01T00:00:01Z" };
    expect(
      validateFleetRegistry(withPolicy({ mode: "guarded_auto", autonomous: { governance: atNow } }), NOW),
    ).toEqual([]);
    expect(
      validateFleetRegistry(withPolicy({ mode: "guarded_auto", autonomous: { governance: atNow } }), NOW + 1),
    ).toHaveLength(1);
  });
});

describe("validateFleetRegistry: rollout (#49–#62)", () => {
  const R = "policy.autonomous.rollout";
  it.each<[string, Doc, string[]]>([
    ["rollout number", withRollout(1), [`${R} must be an object when present`]],
    [
      "canary 101",
      withRollout({ canaryPercent: 101 }),
      [`${R}.canaryPercent must be an integer between 0 and 100 when present`],
    ],
    [
      "canary 12.5",
      withRollout({ canaryPercent: 12.5 }),
      [`${R}.canaryPercent must be an integer between 0 and 100 when present`],
    ],
    [
      "canary -1",
      withRollout({ canaryPercent: -1 }),
      [`${R}.canaryPercent must be an integer between 0 and 100 when present`],
    ],
    ["scope string", withRollout({ scope: "all" }), [`${R}.scope must be an object when present`]],
    [
      "scope.loopIds string",
      withRollout({ scope: { loopIds: "alpha" } }),
      [`${R}.scope.loopIds must be an array when present`],
    ],
    [
      "scope.loopIds number",
      withRollout({ scope: { loopIds: [1] } }),
      [`${R}.scope.loopIds entries must be strings`],
    ],
    [
      "scope.loopIds empty",
      withRollout({ scope: { loopIds: ["alpha", ""] } }),
      [`${R}.scope.loopIds entries must be non-empty strings`],
    ],
    [
      "scope.loopIds dup",
      withRollout({ scope: { loopIds: ["alpha", "alpha"] } }),
      [`${R}.scope.loopIds entries must be unique`],
    ],
    [
      "scope.loopIds undeclared",
      withRollout({ scope: { loopIds: ["alpha", "gamma"] } }),
      [`${R}.scope.loopIds entries must reference declared loopIds`],
    ],
    ["selector array", withRollout({ selector: [] }), [`${R}.selector must be an object when present`]],
    [
      "salt number",
      withRollout({ selector: { salt: 5 } }),
      [`${R}.selector.salt must be a string when present`],
    ],
    [
      "salt empty",
      withRollout({ selector: { salt: "" } }),
      [`${R}.selector.salt must be non-empty when present`],
    ],
    ["pause string", withRollout({ pause: "yes" }), [`${R}.pause must be an object when present`]],
    [
      "pause.manual string",
      withRollout({ pause: { manual: "true" } }),
      [`${R}.pause.manual must be boolean when present`],
    ],
    ["autoPause true", withRollout({ autoPause: true }), [`${R}.autoPause must be an object when present`]],
    [
      "autoPause fields",
      withRollout({
        autoPause: {
          enabled: "no",
          lookbackExecutions: 0,
          minSampleSize: 2.5,
          ambiguityRateThreshold: 1.1,
          failureRateThreshold: "0.4",
        },
      }),
      [
        `${R}.autoPause.enabled must be boolean when present`,
        `${R}.autoPause.lookbackExecutions must be an integer >= 1 when present`,
        `${R}.autoPause.minSampleSize must be an integer >= 1 when present`,
        `${R}.autoPause.ambiguityRateThreshold must be a number between 0 and 1 when present`,
        `${R}.autoPause.failureRateThreshold must be a number between 0 and 1 when present`,
      ],
    ],
  ])("%s", (_name, doc, expected) => {
    expect(validate(doc)).toEqual(expected);
  });
});

describe("validateFleetRegistry: suppressions (#63–#64)", () => {
  it("rejects a non-object with one message and no per-key checks", () => {
    expect(validate(withPolicy({ suppressions: ["alpha"] }))).toEqual([
      "policy.suppressions must be an object mapping loopId to category arrays",
    ]);
  });

  it("evaluates the 64a–d chain per key in document order, one message per key", () => {
    expect(
      validate(
        withPolicy({
          suppressions: {
            gamma: "not even an array",
            alpha: "health_critical",
            "*": [1],
            beta: ["health_degraded", "bogus"],
            ok: null,
          },
        }),
      ),
    ).toEqual([
      "policy.suppressions.gamma key must reference a declared loopId or *",
      "policy.suppressions.alpha must be an array",
      "policy.suppressions.* entries must be strings",
      "policy.suppressions.beta contains unknown categories",
      "policy.suppressions.ok key must reference a declared loopId or *",
    ]);
  });
});

describe("validateFleetRegistry: every error of one registry at once", () => {
  it("reports top-level, loop, policy, governance, rollout and suppression errors in one run", () => {
    const errors = validate({
      schemaVersion: "v0",
      fleetId: 1,
      loops: [{ loopId: "a", transport: "x" }, { loopId: "a" }, 5],
      policy: {
        mode: "guarded_auto",
        noiseControls: { dedupeWindowSeconds: -1 },
        autonomous: {
          allow: { categories: ["nope"] },
          safety: { killSwitch: 1 },
          governance: { ...FLEET_GOVERNANCE },
          rollout: { canaryPercent: 500, scope: { loopIds: ["zzz"] } },
        },
        suppressions: { zzz: [] },
      },
    });
    expect(errors).toEqual([
      'schemaVersion must be "v1"',
      "fleetId must be a string when present",
      "loopId values must be unique",
      "loops[0]: transport must be local or sprite_service",
      "loops[2]: entry must be an object",
      "loops[2]: loopId must be a non-empty string",
      "policy.noiseControls.dedupeWindowSeconds must be an integer >= 0 when present",
      "policy.autonomous.allow.categories contains unsupported categories",
      "policy.autonomous.safety.killSwitch must be boolean when present",
      "policy.autonomous.rollout.canaryPercent must be an integer between 0 and 100 when present",
      "policy.autonomous.rollout.scope.loopIds entries must reference declared loopIds",
      "policy.suppressions.zzz key must reference a declared loopId or *",
    ]);
  });
});
