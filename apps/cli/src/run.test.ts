import { ContractError, OpsError, UsageError } from "@ops/contract";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type CommandGroup,
  type CommandNode,
  defineCommand,
  defineGroup,
  type FlagValues,
  type LeafCommand,
} from "./command.js";
import { commandTree } from "./commands/index.js";
import { listFlag, prettyFlag, switchFlag, valueFlag } from "./flags.js";
import { runCli } from "./run.js";
import { captureIo } from "./testing.js";

/** Every leaf of the real tree with its command path. */
function leaves(node: CommandNode, prefix: readonly string[] = []): [string[], LeafCommand][] {
  if (node.kind === "command") return [[[...prefix, node.name], node]];
  return node.commands.flatMap((child) => leaves(child, node === commandTree ? [] : [...prefix, node.name]));
}

const SPEC_00_COMMANDS = [
  "snapshot",
  "poll-events",
  "project-state",
  "reconcile",
  "health",
  "control",
  "confirm-intent",
  "service-client",
  "status",
  "telemetry-summary",
  "threshold-profile",
  "profile-drift",
  "alert-sink-config",
  "alert-dispatch",
  "fleet registry",
  "fleet reconcile",
  "fleet policy",
  "fleet status",
  "fleet handoff",
  "promotion gates",
  "promotion ci",
  "promotion apply",
  "promotion orchestrate",
];

describe("the command tree", () => {
  it("has exactly the commands of spec 00, plus the demo (issue 2)", () => {
    expect(leaves(commandTree).map(([path]) => path.join(" "))).toEqual([...SPEC_00_COMMANDS, "demo"]);
  });

  it("declares the flags of spec 11 for snapshot and poll-events", () => {
    const byName = new Map(leaves(commandTree).map(([path, leaf]) => [path.join(" "), leaf]));
    expect(Object.keys(byName.get("snapshot")?.flags ?? {})).toEqual([
      "repo",
      "loop",
      "run-id",
      "trace-id",
      "pretty",
    ]);
    expect(Object.keys(byName.get("poll-events")?.flags ?? {})).toEqual([
      "repo",
      "loop",
      "cursor-file",
      "from-start",
      "max-events",
      "trace-id",
    ]);
  });
});

describe("--help", () => {
  it.each([["--help"], ["-h"]])("top level %s prints usage on stdout, exit 0", async (flag) => {
    const io = captureIo();
    expect(await runCli([flag], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: ops-manager <command> \[options\]\n/);
    for (const name of ["snapshot", "alert-dispatch", "fleet", "promotion"])
      expect(io.out()).toContain(`ops-manager ${name} `);
    expect(io.out()).toContain("Bundled catalogs (install root ");
    expect(io.err()).toBe("");
  });

  it.each(SPEC_00_COMMANDS)(
    "ops-manager %s --help prints its usage, exit 0, nothing else",
    async (command) => {
      const io = captureIo();
      expect(await runCli([...command.split(" "), "--help"], io)).toBe(0);
      expect(io.out()).toMatch(new RegExp(`^Usage: ops-manager ${command}\\b`));
      expect(io.out()).toContain("--help");
      expect(io.out().endsWith("\n")).toBe(true);
      expect(io.err()).toBe("");
    },
  );

  it.each([["fleet"], ["promotion"]])("%s --help lists its subcommands", async (group) => {
    const io = captureIo();
    expect(await runCli([group, "-h"], io)).toBe(0);
    expect(io.out()).toMatch(new RegExp(`^Usage: ops-manager ${group} <command>`));
    const subcommands = SPEC_00_COMMANDS.filter((c) => c.startsWith(`${group} `));
    for (const command of subcommands) expect(io.out()).toContain(`ops-manager ${command} `);
    expect(io.err()).toBe("");
  });

  it("documents the snapshot flags", async () => {
    const io = captureIo();
    await runCli(["snapshot", "--help"], io);
    for (const flag of ["--repo", "--loop", "--run-id", "--trace-id", "--pretty"])
      expect(io.out()).toContain(flag);
  });

  it("wins over other arguments", async () => {
    const io = captureIo();
    expect(await runCli(["snapshot", "--repo", "/nowhere", "--help"], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: ops-manager snapshot/);
    expect(io.err()).toBe("");
  });
});

describe("usage errors", () => {
  it("unknown argument: usage on stdout, one error line on stderr, exit 1 (per-loop command)", async () => {
    const io = captureIo();
    expect(await runCli(["snapshot", "--repo", ".", "--bogus", "x"], io)).toBe(1);
    expect(io.out()).toMatch(/^Usage: ops-manager snapshot/);
    expect(io.err()).toBe("error: unknown argument: --bogus\n");
  });

  it("reports the first unknown argument as typed", async () => {
    for (const [args, token] of [
      [["poll-events", "extra", "--zzz"], "extra"],
      [["poll-events", "--a=1", "--b"], "--a=1"],
      [["poll-events", "-x"], "-x"],
      [["poll-events", "--Loop", "l"], "--Loop"],
      [["poll-events", "--", "rest"], "--"],
    ] as const) {
      const io = captureIo();
      expect(await runCli(args, io)).toBe(1);
      expect(io.err()).toBe(`error: unknown argument: ${token}\n`);
    }
  });

  it("fleet and promotion commands print usage on stderr, keeping stdout empty (spec 20 Q10, 30 Q6)", async () => {
    for (const args of [
      ["fleet", "registry", "--bogus"],
      ["promotion", "apply", "--bogus"],
    ]) {
      const io = captureIo();
      expect(await runCli(args, io)).toBe(1);
      expect(io.out()).toBe("");
      expect(io.err()).toMatch(/^Usage: ops-manager (fleet registry|promotion apply)/);
      expect(io.err().endsWith("error: unknown argument: --bogus\n")).toBe(true);
    }
  });

  it("unknown command", async () => {
    const io = captureIo();
    expect(await runCli(["bogus"], io)).toBe(1);
    expect(io.out()).toMatch(/^Usage: ops-manager <command>/);
    expect(io.err()).toBe("error: unknown command: bogus\n");

    const fleet = captureIo();
    expect(await runCli(["fleet", "bogus"], fleet)).toBe(1);
    expect(fleet.out()).toBe("");
    expect(fleet.err()).toMatch(
      /^Usage: ops-manager fleet <command>[\s\S]*\nerror: unknown command: bogus\n$/,
    );
  });

  it("missing command", async () => {
    const io = captureIo();
    expect(await runCli([], io)).toBe(1);
    expect(io.out()).toMatch(/^Usage: ops-manager <command>/);
    expect(io.err()).toBe("error: missing command\n");

    const promotion = captureIo();
    expect(await runCli(["promotion"], promotion)).toBe(1);
    expect(promotion.err()).toMatch(
      /^Usage: ops-manager promotion <command>[\s\S]*\nerror: missing promotion command\n$/,
    );
  });

  it("flags before the command are unknown arguments of the group", async () => {
    const io = captureIo();
    expect(await runCli(["--pretty", "snapshot"], io)).toBe(1);
    expect(io.out()).toMatch(/^Usage: ops-manager <command>/);
    expect(io.err()).toBe("error: unknown argument: --pretty\n");

    const fleet = captureIo();
    expect(await runCli(["fleet", "--bogus"], fleet)).toBe(1);
    expect(fleet.out()).toBe("");
    expect(fleet.err().endsWith("error: unknown argument: --bogus\n")).toBe(true);
  });

  it("a value flag given last without a value", async () => {
    const io = captureIo();
    expect(await runCli(["snapshot", "--loop", "l", "--repo"], io)).toBe(1);
    expect(io.out()).toMatch(/^Usage: ops-manager snapshot/);
    expect(io.err()).toBe("error: --repo requires a value\n");
  });

  it("a switch given a value", async () => {
    const io = captureIo();
    expect(await runCli(["snapshot", "--pretty=false"], io)).toBe(1);
    expect(io.err()).toBe("error: --pretty does not take a value\n");
  });

  it("yargs never writes to the real process streams", async () => {
    const writes: string[] = [];
    const original = {
      out: process.stdout.write,
      err: process.stderr.write,
      log: console.log,
      error: console.error,
    };
    const spy = (chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    };
    process.stdout.write = spy as typeof process.stdout.write;
    process.stderr.write = spy as typeof process.stderr.write;
    console.log = spy;
    console.error = spy;
    try {
      for (const args of [
        [],
        ["--help"],
        ["bogus"],
        ["snapshot", "--x"],
        ["fleet"],
        ["snapshot", "--repo"],
      ]) {
        await runCli(args, captureIo());
      }
    } finally {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
      console.log = original.log;
      console.error = original.error;
    }
    expect(writes).toEqual([]);
  });
});

describe("every command without its required flags", () => {
  // health (spec 14 §1), threshold-profile (spec 18 §2) and alert-sink-config (spec 19 §2) have no
  // required flag: they succeed bare
  // (see commands/health-tuning.test.ts).
  const NO_REQUIRED_FLAGS = new Set(["health", "threshold-profile", "alert-sink-config"]);
  // Every command fails on its first required flag (`--repo is required` or similar).
  const commands = SPEC_00_COMMANDS.filter((command) => !NO_REQUIRED_FLAGS.has(command));
  it.each(commands)("%s: one error line, nothing on stdout, exit 1", async (command) => {
    const io = captureIo();
    expect(await runCli(command.split(" "), io)).toBe(1);
    expect(io.out()).toBe("");
    expect(io.err()).toMatch(/^error: --[a-z-]+ is required\n$/);
  });
});

/** A test tree exercising the parser and the error mapping. */
function testTree(record: (flags: unknown) => void): CommandGroup {
  const echo = defineCommand({
    name: "echo",
    describe: "Print the parsed flags as JSON",
    flags: {
      loop: valueFlag("loop"),
      "max-events": valueFlag("integer"),
      note: valueFlag("free text"),
      "no-env-check": switchFlag("a switch that starts with no-"),
      "evidence-ref": listFlag("evidence"),
      pretty: prettyFlag,
    },
    run: (flags, ctx) => {
      record(flags);
      ctx.printJson(flags, { pretty: flags.pretty });
      return undefined;
    },
  });
  const fail = (name: string, error: () => unknown) =>
    defineCommand({
      name,
      describe: name,
      flags: {},
      run: () => {
        throw error();
      },
    });
  return defineGroup({
    name: "ops-manager",
    describe: "test tree",
    commands: [
      echo,
      defineCommand({ name: "exit2", describe: "returns 2", flags: {}, run: async () => 2 }),
      fail("ops-error", () => new OpsError("lock busy: /x", { exitCode: 3, kind: "lock" })),
      fail("contract-error", () => new ContractError("invalid JSON in /repo/a.json")),
      fail("usage-error", () => new UsageError("--intent must be cancel, approve, or reject")),
      fail("plain-error", () => new TypeError("boom\n  at line two")),
      fail("string-thrown", () => "just a string"),
      defineGroup({
        name: "grp",
        describe: "group",
        usageStream: "stderr",
        commands: [fail("leaf", () => new UsageError("bad"))],
      }),
    ],
  });
}

describe("runCli error mapping", () => {
  it("success: output on stdout, nothing on stderr, exit 0", async () => {
    const io = captureIo();
    expect(await runCli(["echo", "--loop", "demo"], io, { commands: testTree(() => {}) })).toBe(0);
    expect(io.out()).toBe('{"loop":"demo","no-env-check":false,"evidence-ref":[],"pretty":false}\n');
    expect(io.err()).toBe("");
  });

  it("--pretty indents by 2 spaces", async () => {
    const io = captureIo();
    await runCli(["echo", "--pretty"], io, { commands: testTree(() => {}) });
    expect(io.out()).toBe('{\n  "no-env-check": false,\n  "evidence-ref": [],\n  "pretty": true\n}\n');
  });

  it("a returned exit code is the exit code", async () => {
    const io = captureIo();
    expect(await runCli(["exit2"], io, { commands: testTree(() => {}) })).toBe(2);
    expect(io.err()).toBe("");
  });

  it("OpsError → error: <message> with its exit code", async () => {
    const tree = testTree(() => {});
    const io = captureIo();
    expect(await runCli(["ops-error"], io, { commands: tree })).toBe(3);
    expect(io.out()).toBe("");
    expect(io.err()).toBe("error: lock busy: /x\n");

    const contract = captureIo();
    expect(await runCli(["contract-error"], contract, { commands: tree })).toBe(1);
    expect(contract.err()).toBe("error: invalid JSON in /repo/a.json\n");
  });

  it("an OpsError of kind usage also prints the command's usage", async () => {
    const tree = testTree(() => {});
    const io = captureIo();
    expect(await runCli(["usage-error"], io, { commands: tree })).toBe(1);
    expect(io.out()).toMatch(/^Usage: ops-manager usage-error/);
    expect(io.err()).toBe("error: --intent must be cancel, approve, or reject\n");

    const grouped = captureIo();
    expect(await runCli(["grp", "leaf"], grouped, { commands: tree })).toBe(1);
    expect(grouped.out()).toBe("");
    expect(grouped.err()).toMatch(/^Usage: ops-manager grp leaf[\s\S]*\nerror: bad\n$/);
  });

  it("any other error → one line, exit 1, no stack trace", async () => {
    const tree = testTree(() => {});
    const io = captureIo();
    expect(await runCli(["plain-error"], io, { commands: tree })).toBe(1);
    expect(io.err()).toBe("error: boom at line two\n");

    const thrown = captureIo();
    expect(await runCli(["string-thrown"], thrown, { commands: tree })).toBe(1);
    expect(thrown.err()).toBe("error: just a string\n");
  });

  it("OPS_MANAGER_DEBUG=1 adds the stack after the error line", async () => {
    const io = captureIo({ OPS_MANAGER_DEBUG: "1" });
    expect(await runCli(["plain-error"], io, { commands: testTree(() => {}) })).toBe(1);
    const [first, ...rest] = io.err().split("\n");
    expect(first).toBe("error: boom at line two");
    expect(rest.join("\n")).toContain("TypeError: boom");
    expect(rest.join("\n")).toMatch(/\n\s+at /);
  });
});

describe("flag parsing", () => {
  async function parse(args: string[]): Promise<unknown> {
    let seen: unknown;
    const io = captureIo();
    const code = await runCli(["echo", ...args], io, { commands: testTree((flags) => (seen = flags)) });
    expect({ code, err: io.err() }).toEqual({ code: 0, err: "" });
    return seen;
  }

  it("keeps values as strings: --loop 007 stays '007', integers are not parsed", async () => {
    expect(await parse(["--loop", "007", "--max-events", "1e3"])).toMatchObject({
      loop: "007",
      "max-events": "1e3",
    });
  });

  it("a later repeat of a flag wins", async () => {
    expect(await parse(["--loop", "a", "--loop", "b"])).toMatchObject({ loop: "b" });
  });

  it("takes the next argument verbatim, even when it starts with a dash", async () => {
    expect(await parse(["--note", "--help", "--max-events", "-1", "--loop", "-"])).toMatchObject({
      note: "--help",
      "max-events": "-1",
      loop: "-",
    });
  });

  it("accepts --name=value and empty values", async () => {
    expect(await parse(["--note=a=b c", "--loop", ""])).toMatchObject({ note: "a=b c", loop: "" });
  });

  it("has no boolean negation, camel-case or dot-notation expansion", async () => {
    const flags = await parse(["--no-env-check", "--loop", "a.b"]);
    expect(flags).toEqual({
      loop: "a.b",
      "max-events": undefined,
      note: undefined,
      "no-env-check": true,
      "evidence-ref": [],
      pretty: false,
    });
  });

  it("collects repeatable flags in order", async () => {
    expect(
      await parse(["--evidence-ref", "a", "--loop", "l", "--evidence-ref=b", "--evidence-ref", ""]),
    ).toMatchObject({
      "evidence-ref": ["a", "b", ""],
    });
  });

  it("types the flags from their declarations", () => {
    const flags = { a: valueFlag("a"), b: switchFlag("b"), c: listFlag("c") } as const;
    expectTypeOf<FlagValues<typeof flags>>().toEqualTypeOf<{
      readonly a: string | undefined;
      readonly b: boolean;
      readonly c: readonly string[];
    }>();
  });
});
