// Spec 20 §3.1, §4, §5: loading real registry files from temp repos, normalisation and defaults.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Clock, fleetPaths, NormalizedFleetRegistrySchema, validateAgainstSchema } from "@ops/contract";
import { defaultFleetPolicy, FLEET_GOVERNANCE, writeFleetRegistry } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  FleetRegistryInvalidError,
  fleetRegistry,
  isFleetRegistryHookFailedError,
  loadFleetRegistry,
} from "./registry.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const clock: Clock = { now: () => new Date("2026-04-01T00:00:00Z") };

function newRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "fleet-registry-"));
  dirs.push(dir);
  return dir;
}

/** The example registry of spec 20 §2.4. */
function specExample(): Record<string, unknown> {
  return {
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
      autonomous: {
        governance: FLEET_GOVERNANCE,
        rollout: { canaryPercent: 50 },
      },
    },
  };
}

describe("fleetRegistry: normalisation (§4)", () => {
  it("prints the spec's example output, key order included", async () => {
    const repo = newRepo();
    const file = writeFleetRegistry(repo, specExample());
    const result = await fleetRegistry({ repo }, { clock, cwd: repo });
    const expected = {
      schemaVersion: "v1",
      sourceFile: file,
      fleetId: "fleet-east",
      loops: [
        {
          loopId: "alpha",
          enabled: true,
          transport: "local",
          sprite: {},
          service: { retryAttempts: 3, retryBackoffSeconds: 1 },
          metadata: {},
        },
        {
          loopId: "beta",
          enabled: true,
          transport: "sprite_service",
          sprite: { id: "spr-17", assignment: "pool-a", serviceBaseUrl: "http://127.0.0.1:8787" },
          service: {
            baseUrl: "http://127.0.0.1:8787",
            tokenEnv: "BETA_TOKEN",
            retryAttempts: 3,
            retryBackoffSeconds: 1,
          },
          metadata: {},
        },
      ],
      policy: {
        mode: "guarded_auto",
        suppressions: { "*": ["health_degraded"] },
        noiseControls: { dedupeWindowSeconds: 300 },
        autonomous: {
          enabled: true,
          allow: { categories: ["reconcile_failed", "health_critical"], intents: ["cancel"] },
          thresholds: { minSeverity: "critical", minConfidence: "high" },
          safety: { maxActionsPerRun: 1, maxActionsPerLoop: 1, cooldownSeconds: 300, killSwitch: false },
          governance: { ...FLEET_GOVERNANCE, reviewWindowDays: 92 },
          rollout: {
            canaryPercent: 50,
            scope: { loopIds: [] },
            selector: { salt: "fleet-autonomous-rollout-v1" },
            pause: { manual: false },
            autoPause: {
              enabled: true,
              lookbackExecutions: 5,
              minSampleSize: 3,
              ambiguityRateThreshold: 0.4,
              failureRateThreshold: 0.4,
            },
          },
        },
      },
      loopCount: 2,
    };
    expect(JSON.stringify(result)).toBe(JSON.stringify(expected));
    expect(NormalizedFleetRegistrySchema.parse(result)).toEqual(result);
  });

  it("applies every default to a minimal registry (advisory, autonomous disabled)", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, { schemaVersion: "v1", loops: [{ loopId: "a" }], ignored: { x: 1 } });
    const result = await fleetRegistry({ repo }, { clock, cwd: repo });
    expect(result.fleetId).toBe("default");
    expect(result).not.toHaveProperty("ignored");
    expect(result.policy).toEqual(defaultFleetPolicy());
  });

  it("honours enabled:false (Q1), autoPause.enabled:false (Q2) and keeps explicit 0 / [] / false", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, {
      schemaVersion: "v1",
      fleetId: "",
      loops: [
        { loopId: "a", enabled: false, metadata: { team: "x" } },
        { loopId: "b", enabled: null },
      ],
      policy: {
        noiseControls: { dedupeWindowSeconds: 0 },
        autonomous: {
          allow: { categories: [] },
          safety: { maxActionsPerRun: 0, cooldownSeconds: 0, killSwitch: true },
          rollout: {
            canaryPercent: 0,
            scope: { loopIds: ["a"] },
            pause: { manual: true },
            autoPause: { enabled: false, ambiguityRateThreshold: 0 },
          },
        },
      },
    });
    const result = await fleetRegistry({ repo }, { clock, cwd: repo });
    expect(result.fleetId).toBe("");
    expect(result.loops.map((loop) => [loop.loopId, loop.enabled])).toEqual([
      ["a", false],
      ["b", true],
    ]);
    expect(result.loops[0]?.metadata).toEqual({ team: "x" });
    const { noiseControls, autonomous } = result.policy;
    expect(noiseControls.dedupeWindowSeconds).toBe(0);
    expect(autonomous.allow).toEqual({ categories: [], intents: ["cancel"] });
    expect(autonomous.safety).toEqual({
      maxActionsPerRun: 0,
      maxActionsPerLoop: 1,
      cooldownSeconds: 0,
      killSwitch: true,
    });
    expect(autonomous.rollout.canaryPercent).toBe(0);
    expect(autonomous.rollout.scope.loopIds).toEqual(["a"]);
    expect(autonomous.rollout.pause.manual).toBe(true);
    expect(autonomous.rollout.autoPause.enabled).toBe(false);
    expect(autonomous.rollout.autoPause.ambiguityRateThreshold).toBe(0);
  });

  it("falls back between service.baseUrl and sprite.serviceBaseUrl and drops unknown sprite/service keys", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, {
      schemaVersion: "v1",
      loops: [
        {
          loopId: "s",
          transport: "sprite_service",
          sprite: { serviceBaseUrl: "http://sprite:1", extra: 1, assignment: null },
          service: { retryAttempts: 1.5, retryBackoffSeconds: 0.5, other: true },
        },
      ],
    });
    const [loop] = (await fleetRegistry({ repo }, { clock, cwd: repo })).loops;
    expect(loop?.sprite).toEqual({ serviceBaseUrl: "http://sprite:1" });
    // Q8: non-integral retry values pass validation and are forwarded verbatim.
    expect(loop?.service).toEqual({
      baseUrl: "http://sprite:1",
      retryAttempts: 1.5,
      retryBackoffSeconds: 0.5,
    });
  });

  it("computes reviewWindowDays only when both timestamps are present (floor of whole days)", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, {
      schemaVersion: "v1",
      loops: [{ loopId: "a" }],
      policy: {
        autonomous: { governance: { changedAt: "2026-03-01T12:00:00Z", reviewBy: "2026-03-03T11:59:59Z" } },
      },
    });
    expect((await fleetRegistry({ repo }, { clock, cwd: repo })).policy.autonomous.governance).toEqual({
      changedAt: "2026-03-01T12:00:00Z",
      reviewBy: "2026-03-03T11:59:59Z",
      reviewWindowDays: 1,
    });
    writeFleetRegistry(repo, {
      schemaVersion: "v1",
      loops: [{ loopId: "a" }],
      policy: { autonomous: { governance: { actor: "me", reviewBy: "2026-03-03T11:59:59Z" } } },
    });
    expect((await fleetRegistry({ repo }, { clock, cwd: repo })).policy.autonomous.governance).toEqual({
      actor: "me",
      reviewBy: "2026-03-03T11:59:59Z",
    });
  });
});

describe("fleetRegistry: flags and load failures (§3.1, §5)", () => {
  it("requires --repo, then an existing directory", async () => {
    await expect(fleetRegistry({}, { clock })).rejects.toThrow(/^--repo is required$/);
    await expect(fleetRegistry({ repo: "" }, { clock })).rejects.toThrow(/^--repo is required$/);
    const repo = newRepo();
    await expect(fleetRegistry({ repo: "missing" }, { clock, cwd: repo })).rejects.toThrow(
      `repo directory not found: ${path.join(repo, "missing")}`,
    );
  });

  it("resolves a relative --repo against the working directory and defaults the registry path", async () => {
    const parent = newRepo();
    const repo = path.join(parent, "r");
    mkdirSync(repo);
    const file = writeFleetRegistry(repo, { schemaVersion: "v1", loops: [{ loopId: "a" }] });
    expect((await fleetRegistry({ repo: "r" }, { clock, cwd: parent })).sourceFile).toBe(file);
  });

  it("uses --registry-file verbatim (relative to the working directory, not the repo) and echoes it", async () => {
    const cwd = newRepo();
    const repo = newRepo();
    writeFileSync(
      path.join(cwd, "reg.json"),
      JSON.stringify({ schemaVersion: "v1", loops: [{ loopId: "a" }] }),
    );
    const result = await fleetRegistry({ repo, registryFile: "reg.json" }, { clock, cwd });
    expect(result.sourceFile).toBe("reg.json");
    await expect(fleetRegistry({ repo, registryFile: "reg.json" }, { clock, cwd: repo })).rejects.toThrow(
      /^fleet registry file not found: reg\.json$/,
    );
  });

  it("reports a missing file, malformed JSON and a non-object document (Q4)", async () => {
    const repo = newRepo();
    const file = fleetPaths(repo).registry;
    await expect(fleetRegistry({ repo }, { clock })).rejects.toThrow(
      `fleet registry file not found: ${file}`,
    );
    for (const content of ["{not json", "", "[]", "null", "42", '"v1"', "true"]) {
      writeFleetRegistry(repo, content);
      await expect(fleetRegistry({ repo }, { clock }), content).rejects.toThrow(
        `invalid fleet registry JSON: ${file}`,
      );
    }
  });

  it("throws one error carrying every validation message, and writes nothing", async () => {
    const repo = newRepo();
    const file = writeFleetRegistry(repo, {
      schemaVersion: "v2",
      loops: [{ loopId: "../etc" }, 3],
      policy: { mode: "auto", suppressions: { ghost: [] } },
    });
    const error = await fleetRegistry({ repo }, { clock }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FleetRegistryInvalidError);
    const invalid = error as FleetRegistryInvalidError;
    expect(invalid.exitCode).toBe(1);
    expect(invalid.message).toBe(`invalid fleet registry: ${file}`);
    expect(invalid.problems).toEqual([
      'schemaVersion must be "v1"',
      `loops[0]: loopId "../etc" may contain only letters, digits, '.', '_' and '-'`,
      "loops[1]: entry must be an object",
      "loops[1]: loopId must be a non-empty string",
      "policy.mode must be advisory or guarded_auto",
      "policy.suppressions.ghost key must reference a declared loopId or *",
    ]);
    expect(invalid.toStderrText()).toBe(
      [
        `error: invalid fleet registry: ${file}`,
        ' - schemaVersion must be "v1"',
        ` - loops[0]: loopId "../etc" may contain only letters, digits, '.', '_' and '-'`,
        " - loops[1]: entry must be an object",
        " - loops[1]: loopId must be a non-empty string",
        " - policy.mode must be advisory or guarded_auto",
        " - policy.suppressions.ghost key must reference a declared loopId or *",
        "",
      ].join("\n"),
    );
    expect(readdirSync(path.dirname(file))).toEqual(["registry.v1.json"]);
  });

  it("a guarded_auto registry becomes invalid by itself once its review deadline passes (#48)", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, specExample());
    await expect(fleetRegistry({ repo }, { clock })).resolves.toMatchObject({ loopCount: 2 });
    const later: Clock = { now: () => new Date("2026-06-01T00:00:00Z") };
    const error = (await fleetRegistry({ repo }, { clock: later }).catch(
      (e: unknown) => e,
    )) as FleetRegistryInvalidError;
    expect(error.problems).toEqual([
      "policy.autonomous.governance.reviewBy must be in the future when policy.mode is guarded_auto",
    ]);
  });

  it("filters by --loop; policy unaffected; no match and unsafe ids are errors", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, specExample());
    const result = await fleetRegistry({ repo, loop: "beta" }, { clock });
    expect(result.loops.map((loop) => loop.loopId)).toEqual(["beta"]);
    expect(result.loopCount).toBe(1);
    expect(result.policy.suppressions).toEqual({ "*": ["health_degraded"] });
    await expect(fleetRegistry({ repo, loop: "gamma" }, { clock })).rejects.toThrow(
      /^loop not found in registry: gamma$/,
    );
    await expect(fleetRegistry({ repo, loop: "../alpha" }, { clock })).rejects.toThrow(
      /invalid loop id for --loop/,
    );
  });

  it("reads no environment variable: the hook is ignored by the command itself", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, { schemaVersion: "v1", loops: [{ loopId: "a" }] });
    const env = { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: "/nonexistent/hook" };
    await expect(fleetRegistry({ repo }, { clock, env })).resolves.toMatchObject({ loopCount: 1 });
  });
});

describe("loadFleetRegistry: OPS_MANAGER_FLEET_REGISTRY_SCRIPT hook (§5)", () => {
  function hook(dir: string, body: string): string {
    const file = path.join(dir, "hook.sh");
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it("without the hook runs the same validation + normalisation", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, specExample());
    const loaded = await loadFleetRegistry({ repo }, { clock, env: {} });
    expect(loaded).toEqual(await fleetRegistry({ repo }, { clock }));
  });

  it("invokes the hook with --repo and --registry-file and takes its stdout", async () => {
    const repo = newRepo();
    const normalized = await (async () => {
      writeFleetRegistry(repo, specExample());
      return fleetRegistry({ repo }, { clock });
    })();
    writeFileSync(path.join(repo, "out.json"), JSON.stringify({ ...normalized, fleetId: "from-hook" }));
    const script = hook(repo, `echo "$@" > "${repo}/args.txt"; cat "${repo}/out.json"`);
    const loaded = await loadFleetRegistry(
      { repo, registryFile: "custom.json" },
      { clock, env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: script } },
    );
    expect(loaded.fleetId).toBe("from-hook");
    expect(readFileSync(path.join(repo, "args.txt"), "utf8")).toBe(
      `--repo ${repo} --registry-file custom.json\n`,
    );
  });

  it("a non-zero hook exit aborts with that exit status; stderr passes through", async () => {
    const repo = newRepo();
    const script = hook(repo, 'echo "error: invalid fleet registry: x" >&2; exit 7');
    let stderr = "";
    const error = await loadFleetRegistry(
      { repo },
      {
        clock,
        env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: script },
        stderr: { write: (t: string) => (stderr += t) },
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 7, hookWroteStderr: true });
    expect(isFleetRegistryHookFailedError(error)).toBe(true);
    expect(stderr).toBe("error: invalid fleet registry: x\n");

    // A silent hook: the caller has to explain the failure itself.
    const silent = hook(repo, "exit 3");
    const quiet = await loadFleetRegistry(
      { repo },
      { clock, env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: silent }, stderr: { write: () => true } },
    ).catch((e: unknown) => e);
    expect(quiet).toMatchObject({ exitCode: 3, hookWroteStderr: false });
  });

  it("rejects hook output that is not a normalised registry", async () => {
    const repo = newRepo();
    const script = hook(repo, 'echo "{}"');
    await expect(
      loadFleetRegistry({ repo }, { clock, env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: script } }),
    ).rejects.toThrow(/invalid fleet registry JSON/);
  });
});

describe("JSON Schema companion (§6)", () => {
  it("validates the spec's example registry with ajv", () => {
    expect(validateAgainstSchema("ops-manager-fleet-registry.schema.json", specExample())).toEqual({
      ok: true,
    });
  });

  it("is stricter than the validator where the spec says so (Q7)", () => {
    const result = validateAgainstSchema("ops-manager-fleet-registry.schema.json", {
      schemaVersion: "v1",
      fleetId: "",
      extra: true,
      loops: [{ loopId: "a", transport: "ssh" }],
      policy: {
        mode: "auto",
        autonomous: { rollout: { canaryPercent: 101, scope: { loopIds: ["a", "a"] } }, bogus: 1 },
      },
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toEqual(
      expect.arrayContaining([
        "(root) must NOT have additional properties: extra",
        "/fleetId must NOT have fewer than 1 characters",
        "/loops/0/transport must be equal to one of the allowed values",
        "/policy/mode must be equal to one of the allowed values",
        "/policy/autonomous must NOT have additional properties: bogus",
        "/policy/autonomous/rollout/canaryPercent must be <= 100",
      ]),
    );
    expect(
      errors.some((e) => e.startsWith("/policy/autonomous/rollout/scope/loopIds must NOT have duplicate")),
    ).toBe(true);
    expect(
      validateAgainstSchema("ops-manager-fleet-registry.schema.json", { schemaVersion: "v1", loops: [] }).ok,
    ).toBe(false);
  });
});
