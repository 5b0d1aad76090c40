import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ThresholdProfilesCatalogSchema, ValidationError, validateAgainstSchema } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ThresholdProfileDocumentSchema } from "./schemas.js";
import {
  BUILT_IN_HEALTH_THRESHOLDS,
  bundledThresholdProfilesFile,
  resolveHealthThresholds,
  selectThresholdProfilesFile,
  THRESHOLD_PROFILES_FILE_ENV,
  thresholdProfile,
} from "./thresholds.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BUNDLED = path.join(INSTALL_ROOT, "config/ops-manager-threshold-profiles.v1.json");

const CATALOG = {
  schemaVersion: "v1",
  defaultProfile: "balanced",
  profiles: {
    strict: {
      degradedIngestLagSeconds: 120,
      criticalIngestLagSeconds: 300,
      degradedTransportFailureStreak: 1,
      criticalTransportFailureStreak: 2,
      description: "Fast detection for short-feedback loops with high signal confidence",
    },
    balanced: {
      degradedIngestLagSeconds: 300,
      criticalIngestLagSeconds: 900,
      degradedTransportFailureStreak: 2,
      criticalTransportFailureStreak: 4,
      description: "Default dogfood profile balancing alert timeliness and noise",
    },
    relaxed: {
      degradedIngestLagSeconds: 600,
      criticalIngestLagSeconds: 1800,
      degradedTransportFailureStreak: 3,
      criticalTransportFailureStreak: 6,
      description: "Noise-reduction profile for unstable environments or heavy churn",
    },
  },
};

let temp: TempDir;
let dir: string;
beforeEach(() => {
  temp = makeTempDir("ops-thresholds-");
  dir = temp.path;
});
afterEach(() => temp.cleanup());

function writeCatalog(name: string, content: unknown): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const env = {};

describe("threshold-profile: bundled catalog", () => {
  it("the bundled catalog is the spec 18 §1 catalog and passes the contract JSON Schema", () => {
    const bundled: unknown = JSON.parse(readFileSync(BUNDLED, "utf8"));
    expect(bundled).toEqual(CATALOG);
    expect(ThresholdProfilesCatalogSchema.safeParse(bundled).success).toBe(true);
    expect(validateAgainstSchema("ops-manager-threshold-profiles.config.schema.json", bundled)).toEqual({
      ok: true,
    });
  });

  it("reproduces the spec 18 §2 example for strict (sourceFile = bundled absolute path)", async () => {
    const result = await thresholdProfile({ profile: "strict" }, { installRoot: INSTALL_ROOT, env });
    expect(result.kind).toBe("profile");
    if (result.kind !== "profile") return;
    expect(JSON.stringify(result.document)).toBe(
      `{"schemaVersion":"v1","sourceFile":${JSON.stringify(BUNDLED)},"profile":"strict",` +
        '"values":{"degradedIngestLagSeconds":120,"criticalIngestLagSeconds":300,"degradedTransportFailureStreak":1,"criticalTransportFailureStreak":2},' +
        '"description":"Fast detection for short-feedback loops with high signal confidence"}',
    );
    expect(ThresholdProfileDocumentSchema.parse(result.document)).toEqual(result.document);
  });

  it("defaults to the catalog defaultProfile (balanced)", async () => {
    for (const profile of [undefined, ""]) {
      const result = await thresholdProfile({ profile }, { installRoot: INSTALL_ROOT, env });
      expect(result.kind === "profile" && result.document.profile).toBe("balanced");
      expect(result.kind === "profile" && result.document.values).toEqual({
        degradedIngestLagSeconds: 300,
        criticalIngestLagSeconds: 900,
        degradedTransportFailureStreak: 2,
        criticalTransportFailureStreak: 4,
      });
    }
  });

  it("--list prints the names sorted ascending", async () => {
    expect(await thresholdProfile({ list: true }, { installRoot: INSTALL_ROOT, env })).toEqual({
      kind: "list",
      lines: ["balanced", "relaxed", "strict"],
    });
  });
});

describe("threshold-profile: catalog path selection", () => {
  it("flag → env → ctx.thresholdProfilesFile → <installRoot>/config/…; sourceFile as given", async () => {
    const flagFile = writeCatalog("flag.json", { ...CATALOG, defaultProfile: "strict" });
    writeCatalog("env.json", { ...CATALOG, defaultProfile: "relaxed" });
    const envWith = { [THRESHOLD_PROFILES_FILE_ENV]: "env.json" };
    const viaFlag = await thresholdProfile({ profilesFile: flagFile }, { env: envWith, cwd: dir });
    expect(viaFlag.kind === "profile" && [viaFlag.document.sourceFile, viaFlag.document.profile]).toEqual([
      flagFile,
      "strict",
    ]);
    const viaEnv = await thresholdProfile({}, { env: envWith, cwd: dir, installRoot: INSTALL_ROOT });
    expect(viaEnv.kind === "profile" && [viaEnv.document.sourceFile, viaEnv.document.profile]).toEqual([
      "env.json",
      "relaxed",
    ]);
    // Empty flag / env values count as not given.
    const viaDefault = await thresholdProfile(
      { profilesFile: "" },
      { env: { [THRESHOLD_PROFILES_FILE_ENV]: "" }, cwd: dir, installRoot: INSTALL_ROOT },
    );
    expect(viaDefault.kind === "profile" && viaDefault.document.sourceFile).toBe(BUNDLED);
    const explicitDefault = writeCatalog("explicit.json", CATALOG);
    expect(
      selectThresholdProfilesFile(undefined, {
        env: {},
        thresholdProfilesFile: explicitDefault,
        installRoot: "/nowhere",
      }),
    ).toBe(explicitDefault);
  });

  it("without an install root or explicit default the bundled path is unknown", () => {
    expect(() => bundledThresholdProfilesFile({})).toThrow(/no install root/);
    expect(() => selectThresholdProfilesFile(undefined, { env: {} })).toThrow(/no install root/);
  });
});

describe("threshold-profile: errors in order (spec 18 §2)", () => {
  const run = (input: Parameters<typeof thresholdProfile>[0]) =>
    thresholdProfile(input, { env, cwd: dir }).catch((e: unknown) => e as ValidationError);

  it("threshold profiles file not found (also for a directory)", async () => {
    const error = await run({ profilesFile: "nope.json" });
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe("threshold profiles file not found: nope.json");
    mkdirSync(path.join(dir, "a-dir"));
    expect(((await run({ profilesFile: "a-dir", list: true })) as Error).message).toBe(
      "threshold profiles file not found: a-dir",
    );
  });

  it("invalid threshold profiles JSON", async () => {
    const file = writeCatalog("bad.json", "{nope");
    expect(((await run({ profilesFile: file })) as Error).message).toBe(
      `invalid threshold profiles JSON: ${file}`,
    );
    const empty = writeCatalog("empty.json", "");
    expect(((await run({ profilesFile: empty, list: true })) as Error).message).toBe(
      `invalid threshold profiles JSON: ${empty}`,
    );
  });

  it.each([
    ["array", [1]],
    ["no schemaVersion", { profiles: CATALOG.profiles }],
    ["wrong schemaVersion", { ...CATALOG, schemaVersion: "v2" }],
    ["profiles missing", { schemaVersion: "v1" }],
    ["profiles empty", { schemaVersion: "v1", profiles: {} }],
    ["profiles array", { schemaVersion: "v1", profiles: [CATALOG.profiles.strict] }],
  ])("invalid shape: %s", async (_name, content) => {
    const file = writeCatalog("shape.json", content);
    expect(((await run({ profilesFile: file })) as Error).message).toBe(
      "threshold profiles file has invalid shape",
    );
    expect(((await run({ profilesFile: file, list: true })) as Error).message).toBe(
      "threshold profiles file has invalid shape",
    );
  });

  it("profile name required when defaultProfile is missing — but not for --list", async () => {
    const file = writeCatalog("nodefault.json", {
      schemaVersion: "v1",
      profiles: { b: CATALOG.profiles.strict, a: {} },
    });
    expect(((await run({ profilesFile: file })) as Error).message).toBe(
      "profile name is required and defaultProfile is missing",
    );
    expect(await run({ profilesFile: file, list: true })).toEqual({ kind: "list", lines: ["a", "b"] });
    const emptyDefault = writeCatalog("emptydefault.json", { ...CATALOG, defaultProfile: "" });
    expect(((await run({ profilesFile: emptyDefault })) as Error).message).toBe(
      "profile name is required and defaultProfile is missing",
    );
  });

  it("unknown threshold profile (flag or defaultProfile)", async () => {
    const file = writeCatalog("catalog.json", CATALOG);
    expect(((await run({ profilesFile: file, profile: "nope" })) as Error).message).toBe(
      "unknown threshold profile: nope",
    );
    expect(((await run({ profilesFile: file, profile: "__proto__" })) as Error).message).toBe(
      "unknown threshold profile: __proto__",
    );
    const badDefault = writeCatalog("baddefault.json", { ...CATALOG, defaultProfile: "ghost" });
    expect(((await run({ profilesFile: badDefault })) as Error).message).toBe(
      "unknown threshold profile: ghost",
    );
  });

  it.each([
    ["critical ingest < degraded", { ...CATALOG.profiles.strict, criticalIngestLagSeconds: 119 }],
    ["critical streak < degraded", { ...CATALOG.profiles.strict, criticalTransportFailureStreak: 0 }],
    [
      "missing field",
      { degradedIngestLagSeconds: 1, criticalIngestLagSeconds: 2, degradedTransportFailureStreak: 1 },
    ],
    ["string value", { ...CATALOG.profiles.strict, degradedIngestLagSeconds: "120" }],
    ["boolean value", { ...CATALOG.profiles.strict, criticalTransportFailureStreak: true }],
    ["not an object", 42],
  ])("threshold profile values are invalid: %s", async (_name, entry) => {
    const file = writeCatalog("values.json", { ...CATALOG, profiles: { ...CATALOG.profiles, odd: entry } });
    expect(((await run({ profilesFile: file, profile: "odd" })) as Error).message).toBe(
      "threshold profile values are invalid: odd",
    );
    // Other profiles of the same catalog still resolve (only the used profile is checked).
    expect(((await run({ profilesFile: file, profile: "strict" })) as { kind: string }).kind).toBe("profile");
  });

  it("equal critical and degraded values are valid; decimals pass here (numeric), description optional", async () => {
    const file = writeCatalog("edge.json", {
      schemaVersion: "v1",
      defaultProfile: "flat",
      profiles: {
        flat: {
          degradedIngestLagSeconds: 1.5,
          criticalIngestLagSeconds: 1.5,
          degradedTransportFailureStreak: 0,
          criticalTransportFailureStreak: 0,
          extra: true,
        },
      },
    });
    const result = await run({ profilesFile: file });
    expect(result).toEqual({
      kind: "profile",
      document: {
        schemaVersion: "v1",
        sourceFile: file,
        profile: "flat",
        values: {
          degradedIngestLagSeconds: 1.5,
          criticalIngestLagSeconds: 1.5,
          degradedTransportFailureStreak: 0,
          criticalTransportFailureStreak: 0,
        },
      },
    });
    expect(JSON.stringify((result as { document: object }).document)).not.toContain("description");
  });
});

describe("resolveHealthThresholds (precedence flag → profile → built-in, spec 13 §1/§2, 14 §6)", () => {
  const strict = CATALOG.profiles.strict;

  it("built-in defaults without flags or profile", () => {
    expect(resolveHealthThresholds({})).toEqual(BUILT_IN_HEALTH_THRESHOLDS);
    expect(BUILT_IN_HEALTH_THRESHOLDS).toEqual({
      degradedIngestLagSeconds: 300,
      criticalIngestLagSeconds: 900,
      degradedHeartbeatLagSeconds: 120,
      criticalHeartbeatLagSeconds: 300,
      degradedTransportFailureStreak: 2,
      criticalTransportFailureStreak: 4,
    });
  });

  it("profile values replace the four profile-backed defaults; heartbeat stays built-in", () => {
    expect(resolveHealthThresholds({}, strict)).toEqual({
      degradedIngestLagSeconds: 120,
      criticalIngestLagSeconds: 300,
      degradedHeartbeatLagSeconds: 120,
      criticalHeartbeatLagSeconds: 300,
      degradedTransportFailureStreak: 1,
      criticalTransportFailureStreak: 2,
    });
  });

  it("explicit flags win over the profile (even when equal to a default)", () => {
    expect(
      resolveHealthThresholds(
        {
          degradedIngestLagSeconds: "300",
          criticalTransportFailureStreak: "9",
          degradedHeartbeatLagSeconds: "5",
        },
        strict,
      ),
    ).toEqual({
      degradedIngestLagSeconds: 300,
      criticalIngestLagSeconds: 300,
      degradedHeartbeatLagSeconds: 5,
      criticalHeartbeatLagSeconds: 300,
      degradedTransportFailureStreak: 1,
      criticalTransportFailureStreak: 9,
    });
  });

  it("profile decimals are rejected with the flag's message (reconcile rejects decimals)", () => {
    expect(() => resolveHealthThresholds({}, { ...strict, criticalIngestLagSeconds: 300.5 })).toThrow(
      "critical-ingest-lag-seconds must be a non-negative integer",
    );
    expect(() => resolveHealthThresholds({}, { ...strict, degradedTransportFailureStreak: -1 })).toThrow(
      "degraded-transport-failure-streak must be a non-negative integer",
    );
    // …unless an explicit flag replaces the bad value.
    expect(
      resolveHealthThresholds(
        { criticalIngestLagSeconds: "300" },
        { ...strict, criticalIngestLagSeconds: 300.5 },
      ),
    ).toMatchObject({ criticalIngestLagSeconds: 300 });
  });

  it("integer check covers all six before the invariants, in flag order", () => {
    expect(() =>
      resolveHealthThresholds({
        criticalTransportFailureStreak: "x",
        degradedHeartbeatLagSeconds: "y",
        criticalIngestLagSeconds: "0",
      }),
    ).toThrow("degraded-heartbeat-lag-seconds must be a non-negative integer");
    expect(() =>
      resolveHealthThresholds({ criticalTransportFailureStreak: "x", criticalIngestLagSeconds: "0" }),
    ).toThrow("critical-transport-failure-streak must be a non-negative integer");
    expect(() => resolveHealthThresholds({ degradedIngestLagSeconds: "99999999999999999999" })).toThrow(
      "degraded-ingest-lag-seconds must be a non-negative integer",
    );
  });

  it("critical ≥ degraded invariant: equal is fine, one less fails, ingest → heartbeat → transport", () => {
    expect(resolveHealthThresholds({ degradedIngestLagSeconds: "900" }).criticalIngestLagSeconds).toBe(900);
    expect(() =>
      resolveHealthThresholds({
        degradedIngestLagSeconds: "901",
        degradedHeartbeatLagSeconds: "301",
        degradedTransportFailureStreak: "5",
      }),
    ).toThrow("critical ingest lag threshold must be >= degraded threshold");
    expect(() =>
      resolveHealthThresholds({ degradedHeartbeatLagSeconds: "301", degradedTransportFailureStreak: "5" }),
    ).toThrow("critical heartbeat lag threshold must be >= degraded threshold");
    expect(() => resolveHealthThresholds({ degradedTransportFailureStreak: "5" })).toThrow(
      "critical transport failure threshold must be >= degraded threshold",
    );
    // A flag against a profile value can break the invariant too.
    expect(() => resolveHealthThresholds({ degradedIngestLagSeconds: "301" }, strict)).toThrow(
      "critical ingest lag threshold must be >= degraded threshold",
    );
  });
});
