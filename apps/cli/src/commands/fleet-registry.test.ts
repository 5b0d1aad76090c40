// `ops-manager fleet registry` end to end through runCli, on real registry files in temp repos.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { FLEET_GOVERNANCE, writeFleetRegistry } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../run.js";
import { captureIo } from "../testing.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "cli-fleet-registry-"));
  dirs.push(dir);
  return dir;
}

/** Every file under `dir`, relative, sorted: proves a run wrote nothing. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

async function cli(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const io = captureIo(env, cwd);
  const code = await runCli(["fleet", "registry", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const REGISTRY = {
  schemaVersion: "v1",
  fleetId: "fleet-east",
  loops: [
    { loopId: "alpha", transport: "local", enabled: false },
    {
      loopId: "beta",
      transport: "sprite_service",
      sprite: { id: "spr-17", assignment: "pool-a" },
      service: { baseUrl: "http://127.0.0.1:8787", tokenEnv: "BETA_TOKEN" },
    },
  ],
  policy: {
    mode: "guarded_auto",
    autonomous: {
      governance: { ...FLEET_GOVERNANCE, reviewBy: "2099-06-01T00:00:00Z" },
      rollout: { autoPause: { enabled: false } },
    },
  },
};

describe("ops-manager fleet registry", () => {
  it("exit 0: one compact JSON document + newline, nothing on stderr, nothing written", async () => {
    const repo = newRepo();
    const file = writeFleetRegistry(repo, REGISTRY);
    const before = listing(repo);
    const { code, out, err } = await cli(["--repo", repo], repo);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.endsWith("}\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    const document = JSON.parse(out);
    expect(document).toMatchObject({
      schemaVersion: "v1",
      sourceFile: file,
      fleetId: "fleet-east",
      loopCount: 2,
      policy: {
        mode: "guarded_auto",
        autonomous: { enabled: true, governance: { reviewWindowDays: 26755 } },
      },
    });
    expect(document.loops[0].enabled).toBe(false);
    expect(document.policy.autonomous.rollout.autoPause.enabled).toBe(false);
    expect(listing(repo)).toEqual(before);
  });

  it("--pretty indents by 2 spaces; --loop filters", async () => {
    const repo = newRepo();
    writeFleetRegistry(repo, REGISTRY);
    const { code, out } = await cli(["--repo", repo, "--loop", "beta", "--pretty"], repo);
    expect(code).toBe(0);
    expect(out.startsWith('{\n  "schemaVersion": "v1",\n')).toBe(true);
    const document = JSON.parse(out);
    expect(document.loops.map((loop: { loopId: string }) => loop.loopId)).toEqual(["beta"]);
    expect(document.loopCount).toBe(1);
  });

  it("exit 1 with every validation message in one block; stdout empty; nothing written", async () => {
    const repo = newRepo();
    const file = writeFleetRegistry(repo, {
      schemaVersion: "v1",
      loops: [
        { loopId: "../../etc", enabled: "yes" },
        { loopId: "b", transport: "sprite_service" },
      ],
      policy: { mode: "guarded_auto", autonomous: { rollout: "all" } },
    });
    const before = listing(repo);
    const { code, out, err } = await cli(["--repo", repo], repo);
    expect(code).toBe(1);
    expect(out).toBe("");
    const G = "policy.autonomous.governance";
    expect(err).toBe(
      [
        `error: invalid fleet registry: ${file}`,
        ` - loops[0]: loopId "../../etc" may contain only letters, digits, '.', '_' and '-'`,
        " - loops[0]: enabled must be boolean when present",
        " - loops[1]: sprite_service loops require service.baseUrl or sprite.serviceBaseUrl",
        ` - ${G} is required when policy.mode is guarded_auto`,
        ` - ${G}.actor is required when policy.mode is guarded_auto`,
        ` - ${G}.approvalRef is required when policy.mode is guarded_auto`,
        ` - ${G}.rationale is required when policy.mode is guarded_auto`,
        ` - ${G}.changedAt must be an ISO-8601 timestamp when policy.mode is guarded_auto`,
        ` - ${G}.reviewBy must be an ISO-8601 timestamp when policy.mode is guarded_auto`,
        " - policy.autonomous.rollout must be an object when present",
        "",
      ].join("\n"),
    );
    expect(listing(repo)).toEqual(before);
  });

  it.each([
    ["malformed JSON", '{"schemaVersion": ', "invalid fleet registry JSON"],
    ["a top-level array (Q4)", "[1, 2]", "invalid fleet registry JSON"],
  ])("exit 1 for %s", async (_name, content, prefix) => {
    const repo = newRepo();
    const file = writeFleetRegistry(repo, content);
    expect(await cli(["--repo", repo], repo)).toEqual({
      code: 1,
      out: "",
      err: `error: ${prefix}: ${file}\n`,
    });
  });

  it("exit 1 for a missing file, a missing --repo, a missing repo directory, an unknown --loop", async () => {
    const repo = newRepo();
    expect(await cli(["--repo", repo], repo)).toEqual({
      code: 1,
      out: "",
      err: `error: fleet registry file not found: ${fleetPaths(repo).registry}\n`,
    });
    expect(await cli([], repo)).toEqual({ code: 1, out: "", err: "error: --repo is required\n" });
    expect(await cli(["--repo", "nope"], repo)).toEqual({
      code: 1,
      out: "",
      err: `error: repo directory not found: ${path.join(repo, "nope")}\n`,
    });
    writeFleetRegistry(repo, REGISTRY);
    expect(await cli(["--repo", repo, "--loop", "gamma"], repo)).toEqual({
      code: 1,
      out: "",
      err: "error: loop not found in registry: gamma\n",
    });
  });

  it("--registry-file resolves against the working directory and is echoed verbatim", async () => {
    const repo = newRepo();
    const cwd = newRepo();
    writeFileSync(path.join(cwd, "fleet.json"), JSON.stringify(REGISTRY));
    const { code, out } = await cli(["--repo", repo, "--registry-file", "fleet.json"], cwd);
    expect(code).toBe(0);
    expect(JSON.parse(out).sourceFile).toBe("fleet.json");
  });

  it("usage errors go to stderr with exit 1 (Q10); --help prints usage on stdout, exit 0", async () => {
    const repo = newRepo();
    const unknown = await cli(["--repo", repo, "--bogus"], repo);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toBe("");
    expect(unknown.err).toMatch(/error: unknown argument: --bogus\n$/);
    const help = await cli(["--help"], repo);
    expect(help.code).toBe(0);
    expect(help.err).toBe("");
    expect(help.out).toContain("--registry-file");
  });
});
