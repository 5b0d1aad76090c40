// promotion apply (spec 32) over real temp repos: a registry checked with the real fleet
// validator, promotion decisions shaped like the evaluator / CI wrapper output, real JSONL audit.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Clock, fleetPaths, isJsonObject, parseTimestamp } from "@ops/contract";
import { fleetRegistry } from "@ops/fleet";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type PromotionApplyContext, type PromotionApplyInput, promotionApply } from "./apply.js";
import { isPromotionStderrError } from "./errors.js";
import { PromotionApplyRecordSchema, PromotionApplyTelemetryRowSchema } from "./schemas.js";
import {
  evaluatedDecision,
  guardedRegistry,
  readJson,
  readLines,
  skippedDecision,
  storedRegistry,
  valueAt,
  writeJson,
  writeRegistry,
} from "./test-fixtures.js";

const NOW = "2026-03-02T10:15:00Z";
const NOW_EPOCH = parseTimestamp(NOW) as number;
const clock: Clock = { now: () => new Date(`${NOW.slice(0, -1)}.750Z`) };

let temp: TempDir;
let repo: string;
let fleet: ReturnType<typeof fleetPaths>;
let stderr: string;

function ctx(extra: Partial<PromotionApplyContext> = {}): PromotionApplyContext {
  return {
    clock,
    env: {},
    cwd: repo,
    stderr: { write: (text: string) => (stderr += text) },
    generateTraceId: () => "GEN-TRACE",
    ...extra,
  };
}

function input(extra: Partial<PromotionApplyInput> = {}): PromotionApplyInput {
  return {
    repo,
    intent: "expand",
    by: "oncall-ana",
    approvalRef: "CAB-311",
    rationale: "widen canary",
    reviewBy: "2026-03-30T00:00:00Z",
    ...extra,
  };
}

function setDecision(decision: "promote" | "hold" | "skipped", file = fleet.promotionState): string {
  return writeJson(file, decision === "skipped" ? skippedDecision(repo) : evaluatedDecision(repo, decision));
}

function registryText(): string {
  return readFileSync(fleet.registry, "utf8");
}

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { exitCode?: number; stderrText?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the apply to fail");
}

beforeEach(() => {
  temp = makeTempDir("promotion-apply-");
  repo = temp.path;
  fleet = fleetPaths(repo);
  stderr = "";
  writeRegistry(repo, guardedRegistry(), NOW_EPOCH);
});

afterEach(async () => {
  await temp.cleanup();
});

describe("fresh apply", () => {
  it("expand: canary 10 + 15 → 25, governance rewritten, record per §5 written, printed and audited", async () => {
    setDecision("promote");
    const record = await promotionApply(
      input({
        expandStep: "15",
        idempotencyKey: "expand-1",
        evidenceRefs: ["change://CAB-311", "", "artifact://b"],
      }),
      ctx(),
    );
    expect(record).toEqual({
      schemaVersion: "v1",
      timestamp: NOW,
      category: "promotion_apply",
      fleetId: "fleet-main",
      traceId: "gen-trace",
      loopId: null,
      horizonRef: null,
      evidenceRefs: [fleet.promotionState, "artifact://b", "change://CAB-311"],
      idempotencyKey: "expand-1",
      status: "applied",
      intent: "expand",
      decision: "promote",
      governance: {
        actor: "oncall-ana",
        approvalRef: "CAB-311",
        rationale: "widen canary",
        changedAt: NOW,
        reviewBy: "2026-03-30T00:00:00Z",
      },
      rollout: {
        before: { canaryPercent: 10, manualPause: false },
        after: { canaryPercent: 25, manualPause: false },
        changed: { canaryPercent: true, manualPause: false },
      },
      files: {
        registryFile: fleet.registry,
        promotionStateFile: fleet.promotionState,
        applyStateFile: fleet.promotionApplyState,
        applyTelemetryFile: fleet.telemetry.promotionApply,
      },
      reasonCodes: [],
    });
    // Field order is the spec's (§5), and it is what the files hold.
    expect(Object.keys(record)).toEqual(Object.keys(PromotionApplyTelemetryRowSchema.shape));
    expect(readFileSync(fleet.promotionApplyState, "utf8")).toBe(`${JSON.stringify(record)}\n`);
    expect(readFileSync(fleet.telemetry.promotionApply, "utf8")).toBe(`${JSON.stringify(record)}\n`);
    expect(stderr).toBe("");
  });

  it("persists the normalised registry with the real sourceFile, unknown fields and explicit false kept", async () => {
    setDecision("promote");
    await promotionApply(input({ expandStep: "15" }), ctx());
    const stored = readJson(fleet.registry);
    expect(registryText()).toBe(`${JSON.stringify(stored)}\n`);
    expect(valueAt(stored, "sourceFile")).toBe(fleet.registry);
    expect(valueAt(stored, "loopCount")).toBe(2);
    // Unknown fields survive, where they were.
    expect(valueAt(stored, "owner")).toBe("team-ops");
    expect(valueAt(stored, "loops", 0)).toMatchObject({ loopId: "alpha", enabled: false, note: "keep me" });
    expect(valueAt(stored, "loops", 1, "sprite")).toEqual({
      id: "spr-17",
      assignment: "pool-a",
      serviceBaseUrl: "http://127.0.0.1:8787",
      rack: "r2",
    });
    expect(valueAt(stored, "loops", 1, "service", "region")).toBe("eu");
    expect(valueAt(stored, "policy", "reviewers")).toEqual(["ana", "bo"]);
    expect(valueAt(stored, "policy", "autonomous", "governance")).toEqual({
      actor: "oncall-ana",
      approvalRef: "CAB-311",
      rationale: "widen canary",
      changedAt: NOW,
      reviewBy: "2026-03-30T00:00:00Z",
      reviewWindowDays: 27,
      ticketUrl: "https://tickets.example/CHG-42",
    });
    expect(valueAt(stored, "policy", "autonomous", "rollout")).toMatchObject({
      canaryPercent: 25,
      pause: { manual: false },
      autoPause: { enabled: false, lookbackExecutions: 5 },
      comment: "rollout notes",
    });
    // Explicit false / 0 are not flipped to their defaults.
    expect(valueAt(stored, "policy", "autonomous", "safety")).toEqual({
      maxActionsPerRun: 0,
      maxActionsPerLoop: 1,
      cooldownSeconds: 300,
      killSwitch: false,
    });
    expect(valueAt(stored, "policy", "autonomous", "enabled")).toBe(true);
    // The rewritten registry is still valid for every fleet command, and normalises the same way.
    const reloaded = await fleetRegistry({ repo }, { clock, cwd: repo });
    expect(reloaded.loops[0]?.enabled).toBe(false);
    expect(reloaded.policy.autonomous.rollout.autoPause.enabled).toBe(false);
    expect(reloaded.policy.autonomous.rollout.canaryPercent).toBe(25);
    expect(reloaded.policy.suppressions).toEqual({ "*": ["health_degraded"] });
  });

  it.each([
    { canary: 95, step: "10", after: 100, changed: true },
    { canary: 100, step: undefined, after: 100, changed: false },
    { canary: 0, step: "010", after: 10, changed: true },
  ])("expand caps at 100 and parses the step in base 10 (canary $canary, step $step)", async (row) => {
    writeRegistry(repo, guardedRegistry({ canaryPercent: row.canary, manual: true }), NOW_EPOCH);
    setDecision("promote");
    const record = await promotionApply(input({ expandStep: row.step }), ctx());
    expect(record.rollout).toEqual({
      before: { canaryPercent: row.canary, manualPause: true },
      after: { canaryPercent: row.after, manualPause: false },
      changed: { canaryPercent: row.changed, manualPause: true },
    });
  });

  it("expand with the canary defaulted (absent) starts from 100", async () => {
    const document = guardedRegistry();
    delete (document.policy.autonomous.rollout as { canaryPercent?: number }).canaryPercent;
    writeRegistry(repo, document, NOW_EPOCH);
    setDecision("promote");
    const record = await promotionApply(input(), ctx());
    expect(record.rollout.before.canaryPercent).toBe(100);
    expect(record.rollout.changed.canaryPercent).toBe(false);
  });

  it("resume unpauses and leaves the canary alone (the default is not written out as a mutation)", async () => {
    writeRegistry(repo, guardedRegistry({ canaryPercent: 40, manual: true }), NOW_EPOCH);
    setDecision("promote");
    const record = await promotionApply(input({ intent: "resume", expandStep: "100" }), ctx());
    expect(record.rollout).toEqual({
      before: { canaryPercent: 40, manualPause: true },
      after: { canaryPercent: 40, manualPause: false },
      changed: { canaryPercent: false, manualPause: true },
    });
  });

  it.each(["hold", "skipped"] as const)(
    "rollback is allowed with decision %s: canary kept, manual pause on",
    async (decision) => {
      writeRegistry(repo, guardedRegistry({ canaryPercent: 40 }), NOW_EPOCH);
      setDecision(decision);
      const record = await promotionApply(
        input({ intent: "rollback", rationale: "incident rollback to manual pause" }),
        ctx(),
      );
      expect(record).toMatchObject({
        intent: "rollback",
        decision,
        rollout: {
          before: { canaryPercent: 40, manualPause: false },
          after: { canaryPercent: 40, manualPause: true },
          changed: { canaryPercent: false, manualPause: true },
        },
      });
      expect(storedRegistry(fleet.registry).policy.autonomous.rollout.pause.manual).toBe(true);
    },
  );

  it("rollback stays possible when the current governance review has expired (careful Q2)", async () => {
    writeRegistry(repo, guardedRegistry({ reviewBy: "2026-03-01T00:00:00Z" }), undefined);
    setDecision("hold");
    // Every fleet command refuses the expired registry …
    await expect(fleetRegistry({ repo }, { clock, cwd: repo })).rejects.toThrow(/invalid fleet registry/);
    // … the safety rollback does not, and renews governance with the new --review-by.
    const record = await promotionApply(
      input({ intent: "rollback", reviewBy: "2026-04-01T00:00:00Z" }),
      ctx(),
    );
    expect(record.rollout.after.manualPause).toBe(true);
    const reloaded = await fleetRegistry({ repo }, { clock, cwd: repo });
    expect(reloaded.policy.autonomous.governance.reviewBy).toBe("2026-04-01T00:00:00Z");
  });

  it("expand on an expired registry still fails closed with rule #48 listed", async () => {
    writeRegistry(repo, guardedRegistry({ reviewBy: "2026-03-01T00:00:00Z" }), undefined);
    setDecision("promote");
    const before = registryText();
    const error = await failure(promotionApply(input(), ctx()));
    expect(error.message).toBe("failed to read/validate fleet registry");
    expect(error.stderrText).toBe(
      [
        `error: invalid fleet registry: ${fleet.registry}`,
        " - policy.autonomous.governance.reviewBy must be in the future when policy.mode is guarded_auto",
        "error: failed to read/validate fleet registry",
        "",
      ].join("\n"),
    );
    expect(registryText()).toBe(before);
    expect(existsSync(fleet.telemetry.promotionApply)).toBe(false);
  });

  it("trace id precedence: flag, then OPS_MANAGER_TRACE_ID, then a generated lowercase UUID", async () => {
    setDecision("promote");
    const env = { OPS_MANAGER_TRACE_ID: "env-trace" };
    expect((await promotionApply(input({ traceId: "flag-trace" }), ctx({ env }))).traceId).toBe("flag-trace");
    expect((await promotionApply(input({ traceId: "" }), ctx({ env }))).traceId).toBe("env-trace");
    const generated = await promotionApply(input(), { clock, env: {}, cwd: repo });
    expect(generated.traceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("explicit relative paths resolve against the working directory and are echoed verbatim", async () => {
    const work = path.join(repo, "work");
    writeRegistry(repo, guardedRegistry(), NOW_EPOCH, path.join(work, "reg.json"));
    setDecision("promote", path.join(work, "decision.json"));
    const record = await promotionApply(
      input({
        repo: "..",
        registryFile: "reg.json",
        promotionStateFile: "decision.json",
        applyStateFile: "out/apply.json",
        applyTelemetryFile: "out/apply.jsonl",
        loopId: "alpha",
        horizonRef: "h-1",
      }),
      ctx({ cwd: work }),
    );
    expect(record.files).toEqual({
      registryFile: "reg.json",
      promotionStateFile: "decision.json",
      applyStateFile: "out/apply.json",
      applyTelemetryFile: "out/apply.jsonl",
    });
    expect(record.evidenceRefs).toEqual(["decision.json"]);
    expect(record).toMatchObject({ loopId: "alpha", horizonRef: "h-1" });
    expect(storedRegistry(path.join(work, "reg.json")).sourceFile).toBe("reg.json");
    expect(readLines(path.join(work, "out/apply.jsonl"))).toHaveLength(1);
    expect(existsSync(fleet.telemetry.promotionApply)).toBe(false);
  });

  it("empty path flags count as not given: the fleet's default files are used", async () => {
    setDecision("promote");
    const record = await promotionApply(
      input({ registryFile: "", promotionStateFile: "", applyStateFile: "", applyTelemetryFile: "" }),
      ctx(),
    );
    expect(record.files).toEqual({
      registryFile: fleet.registry,
      promotionStateFile: fleet.promotionState,
      applyStateFile: fleet.promotionApplyState,
      applyTelemetryFile: fleet.telemetry.promotionApply,
    });
    expect(readLines(fleet.telemetry.promotionApply)).toHaveLength(1);
  });
});

describe("fail-closed processing order (§2): first failure wins, exit 1, nothing mutated", () => {
  it.each<[string, Partial<PromotionApplyInput>, string]>([
    ["repo", { repo: "", intent: "bogus" }, "--repo is required"],
    [
      "intent absent",
      { intent: undefined, expandStep: "0" },
      "--intent must be one of expand, resume, rollback",
    ],
    ["intent unknown", { intent: "Expand" }, "--intent must be one of expand, resume, rollback"],
    ["step 0", { expandStep: "0", by: "" }, "--expand-step must be an integer between 1 and 100"],
    ["step 101", { expandStep: "101" }, "--expand-step must be an integer between 1 and 100"],
    ["step 1.5", { expandStep: "1.5" }, "--expand-step must be an integer between 1 and 100"],
    ["step -1", { expandStep: "-1" }, "--expand-step must be an integer between 1 and 100"],
    [
      "step for rollback",
      { intent: "rollback", expandStep: "abc" },
      "--expand-step must be an integer between 1 and 100",
    ],
    ["by", { by: "", approvalRef: "" }, "--by is required"],
    ["approval-ref", { approvalRef: undefined, rationale: "" }, "--approval-ref is required"],
    ["rationale", { rationale: "", reviewBy: "" }, "--rationale is required"],
    ["review-by", { reviewBy: "", repo: "/nonexistent/repo" }, "--review-by is required"],
    [
      "repo dir",
      { repo: "/nonexistent/repo", reviewBy: "soon" },
      "repo directory not found: /nonexistent/repo",
    ],
  ])("%s", async (_name, overrides, message) => {
    const before = registryText();
    const error = await failure(promotionApply(input(overrides), ctx()));
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(1);
    expect(registryText()).toBe(before);
  });

  it("an unwritable apply record path fails before the registry changes (no change without its audit line)", async () => {
    setDecision("promote");
    const before = registryText();
    const occupied = path.join(repo, "occupied");
    mkdirSync(occupied);
    const error = await failure(promotionApply(input({ applyStateFile: occupied }), ctx()));
    expect(error.message).toBe(`cannot write promotion apply record: ${occupied}`);
    expect(error.exitCode).toBe(1);
    expect(registryText()).toBe(before);
    expect(existsSync(fleet.telemetry.promotionApply)).toBe(false);
  });

  it.runIf(process.getuid?.() !== 0)(
    "a read-only apply telemetry file fails before the registry changes",
    async () => {
      setDecision("promote");
      const before = registryText();
      mkdirSync(path.dirname(fleet.telemetry.promotionApply), { recursive: true });
      writeFileSync(fleet.telemetry.promotionApply, "");
      chmodSync(fleet.telemetry.promotionApply, 0o444);
      const error = await failure(promotionApply(input(), ctx()));
      expect(error.message).toBe(`cannot write promotion apply record: ${fleet.telemetry.promotionApply}`);
      expect(registryText()).toBe(before);
      expect(existsSync(fleet.promotionApplyState)).toBe(false);
    },
  );

  it("promotion state: missing, not JSON, no decision (absent, null, false)", async () => {
    const missing = await failure(promotionApply(input({ reviewBy: "bad" }), ctx()));
    expect(missing.message).toBe(`promotion state file not found: ${fleet.promotionState}`);
    // Q5 (kept): the output directories were created before the check.
    expect(existsSync(path.dirname(fleet.telemetry.promotionApply))).toBe(true);

    writeFileSync(fleet.promotionState, "{not json");
    expect((await failure(promotionApply(input(), ctx()))).message).toBe(
      `invalid promotion state JSON: ${fleet.promotionState}`,
    );
    for (const state of [{}, { summary: { decision: null } }, { summary: { decision: false } }, []]) {
      writeJson(fleet.promotionState, state);
      expect((await failure(promotionApply(input({ intent: "rollback" }), ctx()))).message).toBe(
        "promotion state missing summary.decision",
      );
    }
  });

  it.each(["hold", "skipped"] as const)(
    "decision %s refuses expand and resume (before review-by checks)",
    async (decision) => {
      setDecision(decision);
      const before = registryText();
      for (const intent of ["expand", "resume"]) {
        const error = await failure(promotionApply(input({ intent, reviewBy: "not-a-time" }), ctx()));
        expect(error.message).toBe(
          `intent ${intent} requires promotion decision promote (found: ${decision})`,
        );
      }
      expect(registryText()).toBe(before);
      expect(existsSync(fleet.promotionApplyState)).toBe(false);
      expect(existsSync(fleet.telemetry.promotionApply)).toBe(false);
    },
  );

  it("a non-string decision is stringified and never unlocks expand (Q10)", async () => {
    writeJson(fleet.promotionState, { summary: { decision: 1 } });
    expect((await failure(promotionApply(input(), ctx()))).message).toBe(
      "intent expand requires promotion decision promote (found: 1)",
    );
    const record = await promotionApply(input({ intent: "rollback" }), ctx());
    expect(record.decision).toBe("1");
  });

  it.each([
    ["2026-03-30T00:00:00.000Z", "--review-by must be an ISO-8601 timestamp"],
    ["2026-03-30T00:00:00+00:00", "--review-by must be an ISO-8601 timestamp"],
    ["2026-02-30T00:00:00Z", "--review-by must be an ISO-8601 timestamp"],
    ["2026-3-30T00:00:00Z", "--review-by must be an ISO-8601 timestamp"],
    [NOW, "--review-by must be in the future"],
    ["2026-03-02T10:14:59Z", "--review-by must be in the future"],
  ])("--review-by %s", async (reviewBy, message) => {
    setDecision("hold");
    expect((await failure(promotionApply(input({ intent: "rollback", reviewBy }), ctx()))).message).toBe(
      message,
    );
  });

  it("registry: not found, not JSON, invalid (the validator's lines, then the apply error)", async () => {
    setDecision("promote");
    const otherRegistry = path.join(repo, "missing", "registry.json");
    const notFound = await failure(promotionApply(input({ registryFile: otherRegistry }), ctx()));
    expect(notFound.stderrText).toBe(
      `error: fleet registry file not found: ${otherRegistry}\nerror: failed to read/validate fleet registry\n`,
    );
    // No lock directory was created for a registry whose directory does not exist.
    expect(existsSync(path.dirname(otherRegistry))).toBe(false);

    writeFileSync(fleet.registry, "[1,2]");
    expect((await failure(promotionApply(input(), ctx()))).stderrText).toBe(
      `error: invalid fleet registry JSON: ${fleet.registry}\nerror: failed to read/validate fleet registry\n`,
    );

    const document = guardedRegistry();
    (document.policy.autonomous.rollout as Record<string, unknown>)["canaryPercent"] = 150;
    (document.loops[0] as Record<string, unknown>)["enabled"] = "no";
    writeRegistry(repo, document);
    const invalid = await failure(promotionApply(input(), ctx()));
    expect(isPromotionStderrError(invalid)).toBe(true);
    expect(invalid.stderrText).toBe(
      [
        `error: invalid fleet registry: ${fleet.registry}`,
        " - loops[0]: enabled must be boolean when present",
        " - policy.autonomous.rollout.canaryPercent must be an integer between 0 and 100 when present",
        "error: failed to read/validate fleet registry",
        "",
      ].join("\n"),
    );
  });

  it.each(["expand", "rollback"])("policy.mode advisory refuses every intent (%s)", async (intent) => {
    const document = guardedRegistry();
    document.policy.mode = "advisory";
    writeRegistry(repo, document, NOW_EPOCH);
    setDecision("promote");
    const before = registryText();
    expect((await failure(promotionApply(input({ intent }), ctx()))).message).toBe(
      "promotion apply requires policy.mode guarded_auto",
    );
    expect(registryText()).toBe(before);
  });
});

describe("idempotency replay (§4)", () => {
  it("a replay is a pure replay: prior record + replayed, no registry write, no audit line", async () => {
    setDecision("promote");
    const first = await promotionApply(input({ idempotencyKey: "k-1", evidenceRefs: ["change://1"] }), ctx());
    const registryAfterFirst = registryText();
    const mtime = statSync(fleet.registry).mtimeMs;
    const again = await promotionApply(
      input({
        idempotencyKey: "k-1",
        expandStep: "50",
        loopId: "alpha",
        horizonRef: "h-9",
        traceId: "other",
      }),
      ctx({ clock: { now: () => new Date("2026-03-02T11:00:00Z") } }),
    );
    // Null seam fields of the prior record are filled from the current call (Q3, kept).
    expect(again).toEqual({ ...first, loopId: "alpha", horizonRef: "h-9", replayed: true });
    expect(Object.keys(again).at(-1)).toBe("replayed");
    expect(registryText()).toBe(registryAfterFirst);
    expect(statSync(fleet.registry).mtimeMs).toBe(mtime);
    expect(readLines(fleet.telemetry.promotionApply)).toEqual([first]);
    expect(readJson(fleet.promotionApplyState)).toEqual(again);
    expect(PromotionApplyRecordSchema.safeParse(again).success).toBe(true);
    expect(stderr).toBe("");
  });

  it("takes the last matching record, keeps its non-null seam fields, and warns on an intent mismatch", async () => {
    setDecision("promote");
    await promotionApply(input({ idempotencyKey: "k" }), ctx());
    const second = await promotionApply(input({ intent: "resume" }), ctx());
    const keyed = await promotionApply(
      input({ intent: "resume", idempotencyKey: "k2", loopId: "beta", evidenceRefs: ["x"] }),
      ctx(),
    );
    expect(second.idempotencyKey).toBeNull();
    const replayed = await promotionApply(
      input({ intent: "rollback", idempotencyKey: "k2", loopId: "gamma", evidenceRefs: ["y"] }),
      ctx(),
    );
    expect(replayed).toMatchObject({ intent: "resume", loopId: "beta", replayed: true });
    expect(replayed.evidenceRefs).toEqual(keyed.evidenceRefs);
    expect(replayed.rollout).toEqual(keyed.rollout);
    expect(stderr).toBe(
      'warning: idempotency key "k2" replays an earlier resume apply; --intent rollback was not applied\n',
    );
    expect(readLines(fleet.telemetry.promotionApply)).toHaveLength(3);
  });

  it("the last of several matching lines wins", async () => {
    setDecision("promote");
    const first = await promotionApply(input({ idempotencyKey: "dup" }), ctx());
    const later = { ...first, traceId: "later-trace", intent: "resume" };
    writeFileSync(fleet.telemetry.promotionApply, `${JSON.stringify(first)}\n\n${JSON.stringify(later)}\n`);
    const again = await promotionApply(input({ idempotencyKey: "dup", intent: "resume" }), ctx());
    expect(again).toMatchObject({ traceId: "later-trace", intent: "resume", replayed: true });
  });

  it("gating runs before the lookup: a replayed expand fails once the decision is hold, or on a past review-by", async () => {
    setDecision("promote");
    await promotionApply(input({ idempotencyKey: "k-1" }), ctx());
    expect(
      (
        await failure(
          promotionApply(input({ idempotencyKey: "k-1", reviewBy: "2026-03-01T00:00:00Z" }), ctx()),
        )
      ).message,
    ).toBe("--review-by must be in the future");
    setDecision("hold");
    expect((await failure(promotionApply(input({ idempotencyKey: "k-1" }), ctx()))).message).toBe(
      "intent expand requires promotion decision promote (found: hold)",
    );
    // A rollback under the expand's key replays the expand (Q3) with a warning.
    const replayed = await promotionApply(input({ intent: "rollback", idempotencyKey: "k-1" }), ctx());
    expect(replayed).toMatchObject({ intent: "expand", replayed: true });
  });

  it("an unparseable telemetry file fails closed when a key is given (careful Q4), and is ignored without one", async () => {
    setDecision("promote");
    await promotionApply(input({ idempotencyKey: "k-1" }), ctx());
    const original = readFileSync(fleet.telemetry.promotionApply, "utf8");
    writeFileSync(fleet.telemetry.promotionApply, `${original}{broken\n`);
    const before = registryText();
    expect((await failure(promotionApply(input({ idempotencyKey: "k-1" }), ctx()))).message).toBe(
      `invalid promotion apply telemetry JSONL: ${fleet.telemetry.promotionApply}`,
    );
    writeFileSync(fleet.telemetry.promotionApply, `${original}[1]\n`);
    expect((await failure(promotionApply(input({ idempotencyKey: "k-2" }), ctx()))).message).toBe(
      `invalid promotion apply telemetry JSONL: ${fleet.telemetry.promotionApply}`,
    );
    expect(registryText()).toBe(before);
    // Without a key there is no lookup: the append-only log just grows.
    await promotionApply(input(), ctx());
    expect(readFileSync(fleet.telemetry.promotionApply, "utf8").startsWith(`${original}[1]\n`)).toBe(true);
  });

  it("a torn last line (an append cut short by a crash) fails closed when a key is given", async () => {
    setDecision("promote");
    await promotionApply(input({ idempotencyKey: "k-1" }), ctx());
    const original = readFileSync(fleet.telemetry.promotionApply, "utf8");
    // The record of an apply that mutated the registry, cut off mid-line: retrying its key must
    // not mutate the registry a second time.
    writeFileSync(fleet.telemetry.promotionApply, `${original}{"idempotencyKey":"k-2","status":"appl`);
    const before = registryText();
    expect((await failure(promotionApply(input({ idempotencyKey: "k-2" }), ctx()))).message).toBe(
      `invalid promotion apply telemetry JSONL: ${fleet.telemetry.promotionApply}`,
    );
    expect(registryText()).toBe(before);
    // Trailing blanks without a newline are not a torn record: the replay still works.
    writeFileSync(fleet.telemetry.promotionApply, `${original}\n  `);
    expect(await promotionApply(input({ idempotencyKey: "k-1" }), ctx())).toMatchObject({ replayed: true });
  });

  it("a matching line that is not an apply record fails closed", async () => {
    setDecision("promote");
    writeJson(fleet.telemetry.promotionApply, { idempotencyKey: "k-1", status: "applied" });
    expect((await failure(promotionApply(input({ idempotencyKey: "k-1" }), ctx()))).message).toBe(
      `invalid promotion apply telemetry JSONL: ${fleet.telemetry.promotionApply}`,
    );
  });

  it("concurrent applies with one key: one mutation, one audit line, one replay (registry lock)", async () => {
    setDecision("promote");
    const results = await Promise.all([
      promotionApply(input({ idempotencyKey: "race" }), ctx()),
      promotionApply(input({ idempotencyKey: "race" }), ctx()),
    ]);
    expect(results.filter((r) => r.replayed === true)).toHaveLength(1);
    expect(readLines(fleet.telemetry.promotionApply)).toHaveLength(1);
    expect(storedRegistry(fleet.registry).policy.autonomous.rollout.canaryPercent).toBe(35);
  });
});

describe("OPS_MANAGER_FLEET_REGISTRY_SCRIPT", () => {
  function hook(body: string): string {
    const file = path.join(repo, "registry-hook.mjs");
    writeFileSync(
      file,
      `#!/usr/bin/env node
import { appendFileSync, readFileSync } from "node:fs";
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(path.join(repo, "hook-calls.jsonl"))}, JSON.stringify(args) + "\\n");
const file = args[3];
const doc = JSON.parse(readFileSync(file, "utf8"));
${body}
`,
    );
    chmodSync(file, 0o755);
    return file;
  }

  const NORMALISE = `
const p = doc.policy, a = p.autonomous, r = a.rollout ?? {};
process.stdout.write(JSON.stringify({ schemaVersion: "v1", sourceFile: file, fleetId: doc.fleetId ?? "default",
  loops: doc.loops.map((l) => ({ loopId: l.loopId, enabled: l.enabled ?? true, transport: l.transport ?? "local", sprite: {}, service: { retryAttempts: 3, retryBackoffSeconds: 1 }, metadata: {} })),
  policy: { mode: p.mode, suppressions: {}, noiseControls: { dedupeWindowSeconds: 300 }, autonomous: { enabled: p.mode === "guarded_auto",
    allow: { categories: ["reconcile_failed"], intents: ["cancel"] }, thresholds: { minSeverity: "critical", minConfidence: "high" },
    safety: { maxActionsPerRun: 1, maxActionsPerLoop: 1, cooldownSeconds: 300, killSwitch: false }, governance: a.governance,
    rollout: { canaryPercent: r.canaryPercent ?? 100, scope: { loopIds: [] }, selector: { salt: "s" }, pause: { manual: r.pause?.manual ?? false },
      autoPause: { enabled: true, lookbackExecutions: 5, minSampleSize: 3, ambiguityRateThreshold: 0.4, failureRateThreshold: 0.4 } } } },
  loopCount: doc.loops.length }));`;

  it("validates the current and the mutated registry through the hook (the latter via a temporary file)", async () => {
    setDecision("promote");
    const script = hook(NORMALISE);
    const record = await promotionApply(input(), ctx({ env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: script } }));
    expect(record.rollout.after).toEqual({ canaryPercent: 35, manualPause: false });
    const calls = readLines(path.join(repo, "hook-calls.jsonl")) as string[][];
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual(["--repo", repo, "--registry-file", fleet.registry]);
    expect(calls[1]?.slice(0, 3)).toEqual(["--repo", repo, "--registry-file"]);
    expect(path.dirname(calls[1]?.[3] ?? "")).toBe(fleet.dir);
    expect(existsSync(calls[1]?.[3] ?? "")).toBe(false);
    const stored = readJson(fleet.registry);
    expect(valueAt(stored, "sourceFile")).toBe(fleet.registry);
    expect(valueAt(stored, "owner")).toBe("team-ops");
    expect(valueAt(stored, "policy", "autonomous", "rollout", "canaryPercent")).toBe(35);
  });

  it("a hook that cannot be started: one reason line, then the step's error line", async () => {
    setDecision("promote");
    const missing = path.join(repo, "no-such-hook");
    const error = await failure(
      promotionApply(input(), ctx({ env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: missing } })),
    );
    expect(error.stderrText).toBe(
      `error: spawn ${missing} ENOENT\nerror: failed to read/validate fleet registry\n`,
    );
  });

  it("a failing hook: its stderr, then the step's error line; the mutated check has its own message", async () => {
    setDecision("promote");
    const before = registryText();
    const rejectAll = hook(
      `process.stderr.write("error: invalid fleet registry: " + file + "\\n - nope\\n"); process.exit(1);`,
    );
    const first = await failure(
      promotionApply(input(), ctx({ env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: rejectAll } })),
    );
    expect(first.stderrText).toBe(
      `error: invalid fleet registry: ${fleet.registry}\n - nope\nerror: failed to read/validate fleet registry\n`,
    );
    const rejectTemp = hook(
      `if (file.includes("apply-check")) { process.stderr.write("error: reviewBy too close\\n"); process.exit(1); }\n${NORMALISE}`,
    );
    const second = await failure(
      promotionApply(input(), ctx({ env: { OPS_MANAGER_FLEET_REGISTRY_SCRIPT: rejectTemp } })),
    );
    expect(second.message).toBe("mutated registry failed validation");
    expect(second.stderrText).toBe("error: reviewBy too close\nerror: mutated registry failed validation\n");
    expect(registryText()).toBe(before);
    expect(existsSync(fleet.telemetry.promotionApply)).toBe(false);
  });
});

describe("apply state", () => {
  it("is overwritten by every run (fresh and replay) while the telemetry only grows on fresh runs", async () => {
    setDecision("promote");
    const first = await promotionApply(input({ idempotencyKey: "a" }), ctx());
    const second = await promotionApply(input({ intent: "resume" }), ctx());
    expect(readJson(fleet.promotionApplyState)).toEqual(second);
    await promotionApply(input({ idempotencyKey: "a" }), ctx());
    expect(readJson(fleet.promotionApplyState)).toEqual({ ...first, replayed: true });
    const lines = readLines(fleet.telemetry.promotionApply);
    expect(lines).toEqual([first, second]);
    for (const line of lines) expect(isJsonObject(line) && !("replayed" in line)).toBe(true);
  });
});
