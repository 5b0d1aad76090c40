// `ops-manager fleet status` end to end through runCli (spec 23): a real fleet reconciled by
// `ops-manager fleet reconcile` in a testkit repo, then status as JSON and as a table.
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fleetPaths } from "@ops/contract";
import { FLEET_STATUS_KEYS, FleetStatusDocumentSchema } from "@ops/fleet";
import {
  createSimulatedRepo,
  envWithoutOpsManager,
  type SimulatedRepo,
  writeFleetRegistry,
} from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../io.js";
import { runCli } from "../run.js";

const ESC = "\u001b";
let repo: SimulatedRepo;

beforeEach(() => {
  repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
});

afterEach(async () => {
  await repo.cleanup();
});

async function cli(args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text), ...(options.tty === true ? { isTTY: true } : {}) },
    stderr: { write: (text: string) => (err += text) },
    env: envWithoutOpsManager(options.env, ["NO_COLOR"]),
    cwd: repo.root,
  };
  const code = await runCli(["fleet", ...args], io);
  return { code, out, err };
}

/** Ages ("3s", "(0s ago)") depend on when each run happens; compare tables without them. */
function withoutAges(table: string): string {
  return table.replace(/\b\d+[smhd]\b/g, "<age>");
}

async function reconcileFleet(): Promise<void> {
  repo.scenario("running", "alpha");
  writeFleetRegistry(repo.root, {
    schemaVersion: "v1",
    fleetId: "fleet-east",
    loops: [{ loopId: "alpha" }, { loopId: "ghost" }, { loopId: "off", enabled: false }],
  });
  const run = await cli(["reconcile", "--repo", repo.root, "--trace-id", "fx-1"]);
  expect(run.code).toBe(0);
}

function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .sort()
    .map((entry) => `${entry} ${statSync(path.join(dir, entry)).mtimeMs}`);
}

describe("ops-manager fleet status", () => {
  it("JSON by default: one compact document + newline, schema-valid, nothing written", async () => {
    await reconcileFleet();
    const before = listing(repo.root);
    const { code, out, err } = await cli(["status", "--repo", "."]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(listing(repo.root)).toEqual(before);
    expect(out.endsWith("}\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    const document = JSON.parse(out);
    expect(FleetStatusDocumentSchema.parse(document)).toEqual(document);
    expect(Object.keys(document)).toEqual([...FLEET_STATUS_KEYS]);
    expect(document.source).toEqual({ repoPath: repo.root, fleetId: "fleet-east" });
    expect(document.fleet).toMatchObject({ status: "partial_failure", loopCount: 3, partialFailure: true });
    expect(document.exceptions).toMatchObject({ reconcileFailures: ["ghost"], skippedLoops: ["off"] });
    expect(document.latestTelemetry.status).toBe("partial_failure");

    const pretty = await cli(["status", "--repo", repo.root, "--pretty"]);
    expect(pretty.code).toBe(0);
    expect(pretty.out.startsWith('{\n  "schemaVersion": "v1",\n  "generatedAt": ')).toBe(true);
    expect({ ...JSON.parse(pretty.out), generatedAt: null }).toEqual({ ...document, generatedAt: null });
  });

  it("--format table: plain without a terminal, coloured on a TTY, plain again with NO_COLOR", async () => {
    await reconcileFleet();
    const plain = await cli(["status", "--repo", repo.root, "--format", "table"]);
    expect({ code: plain.code, err: plain.err }).toEqual({ code: 0, err: "" });
    expect(plain.out).not.toContain(ESC);
    const lines = plain.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^fleet {5}fleet-east {2}partial_failure {2}fleet_/);
    expect(lines).toContain("loops     3  success 1  failed 1  skipped 1");
    const header = lines.findIndex((line) => line.startsWith("LOOP"));
    expect(lines[header]).toMatch(/^LOOP +TRANSPORT +LIFECYCLE +HEALTH +REASON +AGE$/);
    expect(lines.slice(header + 1).map((line) => line.split(/ +/)[0])).toEqual(["alpha", "ghost", "off"]);
    expect(lines[header + 2]).toContain("transport_unreachable");

    const tty = await cli(["status", "--repo", repo.root, "--format", "table"], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.out).toContain(`${ESC}[`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI sequences
    expect(withoutAges(tty.out.replace(/\u001b\[[0-9;]*m/g, ""))).toBe(withoutAges(plain.out));

    const noColor = await cli(["status", "--repo", repo.root, "--format", "table"], {
      tty: true,
      env: { NO_COLOR: "1" },
    });
    expect(withoutAges(noColor.out)).toBe(withoutAges(plain.out));

    const json = await cli(["status", "--repo", repo.root, "--format", "json"], { tty: true });
    expect(JSON.parse(json.out).schemaVersion).toBe("v1");
  });

  it("argument errors: exit 1, nothing on stdout", async () => {
    await reconcileFleet();
    const bad = await cli(["status", "--repo", repo.root, "--format", "xml"]);
    expect(bad).toEqual({ code: 1, out: "", err: "error: --format must be json or table\n" });

    const unknown = await cli(["status", "--repo", repo.root, "--bogus"]);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toBe("");
    expect(unknown.err).toContain("error: unknown argument: --bogus");

    const missing = await cli(["status"]);
    expect(missing).toEqual({ code: 1, out: "", err: "error: --repo is required\n" });

    const noValue = await cli(["status", "--repo", repo.root, "--fleet-state-file"]);
    expect(noValue.code).toBe(1);
    expect(noValue.out).toBe("");
    expect(noValue.err).toContain("--fleet-state-file");

    const help = await cli(["status", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--handoff-telemetry-file");
    expect(help.out).toContain("--format");
  });

  it("file errors: state missing, registry block, invalid policy state", async () => {
    const registry = writeFleetRegistry(repo.root, {
      schemaVersion: "v1",
      loops: [{ loopId: "a", transport: "carrier-pigeon" }],
    });
    const state = fleetPaths(repo.root).state;
    const missing = await cli(["status", "--repo", repo.root]);
    expect(missing).toEqual({ code: 1, out: "", err: `error: fleet state file not found: ${state}\n` });

    writeFileSync(state, JSON.stringify({ results: [] }));
    const invalid = await cli(["status", "--repo", repo.root]);
    expect(invalid.code).toBe(1);
    expect(invalid.out).toBe("");
    expect(invalid.err.startsWith(`error: invalid fleet registry: ${registry}\n - `)).toBe(true);

    writeFleetRegistry(repo.root, { schemaVersion: "v1", loops: [{ loopId: "a" }] });
    writeFileSync(fleetPaths(repo.root).policyState, "{");
    const policy = await cli(["status", "--repo", repo.root, "--format", "table"]);
    expect(policy).toEqual({
      code: 1,
      out: "",
      err: `error: invalid policy state JSON: ${fleetPaths(repo.root).policyState}\n`,
    });
  });

  it("a failing registry hook: its stderr passes through unchanged, with no second error line", async () => {
    mkdirSync(fleetPaths(repo.root).dir, { recursive: true });
    writeFileSync(fleetPaths(repo.root).state, JSON.stringify({ results: [] }));
    const explained = path.join(repo.root, "explained.sh");
    writeFileSync(
      explained,
      '#!/bin/sh\necho "error: invalid fleet registry: x" >&2\necho " - boom" >&2\nexit 7\n',
    );
    chmodSync(explained, 0o755);
    const loud = await cli(["status", "--repo", repo.root], {
      env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: explained },
    });
    expect(loud).toEqual({ code: 7, out: "", err: "error: invalid fleet registry: x\n - boom\n" });

    const silent = path.join(repo.root, "silent.sh");
    writeFileSync(silent, "#!/bin/sh\nexit 3\n");
    chmodSync(silent, 0o755);
    const quiet = await cli(["status", "--repo", repo.root], {
      env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: silent },
    });
    expect(quiet).toEqual({
      code: 3,
      out: "",
      err: `error: fleet registry hook failed with exit status 3: ${silent}\n`,
    });
  });
});
