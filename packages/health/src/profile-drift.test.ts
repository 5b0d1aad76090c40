import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { opsPaths, ValidationError } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { evaluateProfileDrift, type ProfileDriftEvaluationInput, profileDrift } from "./profile-drift.js";
import { ProfileDriftDocumentSchema, ProfileDriftHistoryRowSchema } from "./schemas.js";
import { thresholdProfile } from "./thresholds.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const LOOP = "demo-loop";

let temp: TempDir;
let repo: string;
let seconds = 0;
const clock = { now: () => new Date(Date.UTC(2026, 1, 22, 12, 0, seconds)) };
beforeEach(() => {
  temp = makeTempDir("ops-drift-");
  repo = temp.path;
  seconds = 4;
});
afterEach(() => temp.cleanup());

const ctx = () => ({ clock, env: {}, installRoot: INSTALL_ROOT, cwd: repo });
const ops = () => opsPaths(repo, LOOP);
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));
const readRows = (file: string): unknown[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);

const base: ProfileDriftEvaluationInput = {
  loopId: LOOP,
  appliedProfile: "balanced",
  recommendedProfile: "strict",
  recommendationConfidence: "high",
  minimumConfidence: "medium",
  requiredStreak: 3,
  summaryWindow: 200,
  rationale: "",
  now: "2026-02-22T12:00:00Z",
};

describe("evaluateProfileDrift (spec 18 §4 state machine)", () => {
  it("no_recommendation when the recommendation is empty (streak reset)", () => {
    const doc = evaluateProfileDrift(
      { mismatchStreak: 5, driftActive: true },
      { ...base, recommendedProfile: "" },
    );
    expect(doc).toMatchObject({
      status: "no_recommendation",
      mismatch: false,
      mismatchStreak: 0,
      driftActive: false,
    });
    expect(doc.transitioned).toEqual({ toActive: false, toResolved: true });
    expect("recommendedProfile" in doc).toBe(false);
    expect("action" in doc).toBe(false);
    expect("reasonCode" in doc).toBe(false);
  });

  it("aligned when names are equal or the applied profile is empty", () => {
    expect(evaluateProfileDrift({}, { ...base, recommendedProfile: "balanced" }).status).toBe("aligned");
    const noApplied = evaluateProfileDrift({}, { ...base, appliedProfile: "" });
    expect(noApplied.status).toBe("aligned");
    expect("appliedProfile" in noApplied).toBe(false);
  });

  it("insufficient_confidence (rank below minimum) resets the streak", () => {
    const doc = evaluateProfileDrift({ mismatchStreak: 2 }, { ...base, recommendationConfidence: "low" });
    expect(doc).toMatchObject({
      status: "insufficient_confidence",
      recommendationRank: 1,
      minimumRank: 2,
      confidenceOk: false,
      mismatch: true,
      eligibleMismatch: false,
      mismatchStreak: 0,
      action: "collect_more_confident_telemetry",
    });
  });

  it("mismatch_pending then drift_active at the required streak; equal ranks are ok", () => {
    const first = evaluateProfileDrift({}, { ...base, recommendationConfidence: "medium" });
    expect(first).toMatchObject({
      status: "mismatch_pending",
      mismatchStreak: 1,
      confidenceOk: true,
      action: "monitor_additional_windows",
    });
    const third = evaluateProfileDrift({ mismatchStreak: 2 }, base);
    expect(third).toMatchObject({
      status: "drift_active",
      reasonCode: "profile_drift_detected",
      mismatchStreak: 3,
      driftActive: true,
      transitioned: { toActive: true, toResolved: false },
      action: "review_threshold_profile",
    });
    const fourth = evaluateProfileDrift({ mismatchStreak: 3, driftActive: true }, base);
    expect(fourth.transitioned).toEqual({ toActive: false, toResolved: false });
  });

  it("a non-integer previous streak counts as 0; driftActive must be literally true", () => {
    expect(evaluateProfileDrift({ mismatchStreak: "2" }, base).mismatchStreak).toBe(1);
    expect(evaluateProfileDrift({ mismatchStreak: 1.5 }, base).mismatchStreak).toBe(1);
    expect(
      evaluateProfileDrift({ driftActive: "true" }, { ...base, recommendedProfile: "" }).transitioned
        .toResolved,
    ).toBe(false);
  });

  it("resolution: aligned after drift → toResolved", () => {
    const doc = evaluateProfileDrift(
      { mismatchStreak: 9, driftActive: true },
      { ...base, recommendedProfile: "balanced" },
    );
    expect(doc).toMatchObject({
      status: "aligned",
      driftActive: false,
      transitioned: { toActive: false, toResolved: true },
    });
  });

  it("Q18-5: summaryWindow is metadata only", () => {
    const a = evaluateProfileDrift({}, { ...base, summaryWindow: 1 });
    const b = evaluateProfileDrift({}, { ...base, summaryWindow: 999 });
    expect({ ...a, summaryWindow: 0 }).toEqual({ ...b, summaryWindow: 0 });
  });
});

describe("profile-drift command", () => {
  it("reproduces the spec 18 §4 example exactly, writes state (compact) and one history row", async () => {
    const doc = await profileDrift(
      {
        repo,
        loop: LOOP,
        appliedProfile: "balanced",
        recommendedProfile: "strict",
        recommendationConfidence: "low",
        minConfidence: "low",
        requiredStreak: "1",
        summaryWindow: "25",
        rationale: "Observed stable healthy runs; tighten thresholds for faster detection",
      },
      ctx(),
    );
    const expected =
      '{"schemaVersion":"v1","updatedAt":"2026-02-22T12:00:04Z","loopId":"demo-loop","status":"drift_active","reasonCode":"profile_drift_detected","appliedProfile":"balanced","recommendedProfile":"strict","recommendationConfidence":"low","minimumConfidence":"low","recommendationRank":1,"minimumRank":1,"requiredStreak":1,"summaryWindow":25,"mismatch":true,"confidenceOk":true,"eligibleMismatch":true,"mismatchStreak":1,"driftActive":true,"transitioned":{"toActive":true,"toResolved":false},"rationale":"Observed stable healthy runs; tighten thresholds for faster detection","action":"review_threshold_profile"}';
    expect(JSON.stringify(doc)).toBe(expected);
    expect(readFileSync(ops().profileDrift, "utf8")).toBe(`${expected}\n`);
    const rows = readRows(ops().telemetry.profileDrift);
    expect(rows).toEqual([
      { timestamp: "2026-02-22T12:00:04Z", loopId: LOOP, category: "profile_drift_evaluation", drift: doc },
    ]);
    expect(ProfileDriftHistoryRowSchema.parse(rows[0])).toEqual(rows[0]);
    expect(ProfileDriftDocumentSchema.parse(doc)).toEqual(doc);
    // No lock directory is left behind.
    expect(existsSync(`${ops().profileDrift}.lock`)).toBe(false);
  });

  it("§5 idempotency: identical calls with --required-streak 2 → pending, active (toActive), active", async () => {
    const input = {
      repo,
      loop: LOOP,
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      recommendationConfidence: "high",
      requiredStreak: "2",
    };
    const first = await profileDrift(input, ctx());
    seconds = 5;
    const second = await profileDrift(input, ctx());
    seconds = 6;
    const third = await profileDrift(input, ctx());
    expect([first.status, first.mismatchStreak, first.transitioned.toActive]).toEqual([
      "mismatch_pending",
      1,
      false,
    ]);
    expect([second.status, second.mismatchStreak, second.transitioned.toActive]).toEqual([
      "drift_active",
      2,
      true,
    ]);
    expect([third.status, third.mismatchStreak, third.transitioned.toActive]).toEqual([
      "drift_active",
      3,
      false,
    ]);
    expect(readJson(ops().profileDrift)).toEqual(third);
    const rows = readRows(ops().telemetry.profileDrift) as { timestamp: string; drift: unknown }[];
    expect(rows.map((row) => row.timestamp)).toEqual([
      "2026-02-22T12:00:04Z",
      "2026-02-22T12:00:05Z",
      "2026-02-22T12:00:06Z",
    ]);
    expect(rows.map((row) => row.drift)).toEqual([first, second, third]);
  });

  it("defaults: low vs medium → insufficient_confidence (Q18-1); streak 3; window 200", async () => {
    const doc = await profileDrift(
      { repo, loop: LOOP, appliedProfile: "balanced", recommendedProfile: "strict" },
      ctx(),
    );
    expect(doc).toMatchObject({
      status: "insufficient_confidence",
      recommendationConfidence: "low",
      minimumConfidence: "medium",
      requiredStreak: 3,
      summaryWindow: 200,
      action: "collect_more_confident_telemetry",
    });
    expect("rationale" in doc).toBe(false);
  });

  it("no recommendation: minimal document (empty names/rationale omitted)", async () => {
    const doc = await profileDrift(
      { repo, loop: LOOP, appliedProfile: "", recommendedProfile: "", rationale: "" },
      ctx(),
    );
    expect(Object.keys(doc)).toEqual([
      "schemaVersion",
      "updatedAt",
      "loopId",
      "status",
      "recommendationConfidence",
      "minimumConfidence",
      "recommendationRank",
      "minimumRank",
      "requiredStreak",
      "summaryWindow",
      "mismatch",
      "confidenceOk",
      "eligibleMismatch",
      "mismatchStreak",
      "driftActive",
      "transitioned",
    ]);
    expect(doc.status).toBe("no_recommendation");
  });

  it("explicit state/history files (relative to cwd) and env catalog fallback", async () => {
    const catalog = path.join(repo, "catalog.json");
    writeFileSync(catalog, JSON.stringify({ profiles: { mine: {}, other: {} } }));
    const doc = await profileDrift(
      {
        repo,
        loop: LOOP,
        appliedProfile: "mine",
        recommendedProfile: "other",
        recommendationConfidence: "medium",
        driftStateFile: "state/drift.json",
        driftHistoryFile: "state/drift.jsonl",
      },
      { ...ctx(), env: { OPS_MANAGER_THRESHOLD_PROFILES_FILE: "catalog.json" } },
    );
    expect(doc.status).toBe("mismatch_pending");
    expect(readJson(path.join(repo, "state/drift.json"))).toEqual(doc);
    expect(readRows(path.join(repo, "state/drift.jsonl"))).toHaveLength(1);
    expect(existsSync(ops().profileDrift)).toBe(false);
  });

  it("Q18-6: a catalog without schemaVersion is fine for drift but not for threshold-profile", async () => {
    const catalog = path.join(repo, "loose.json");
    writeFileSync(catalog, JSON.stringify({ profiles: { balanced: {}, strict: {} } }));
    const doc = await profileDrift(
      { repo, loop: LOOP, thresholdsFile: catalog, appliedProfile: "balanced", recommendedProfile: "strict" },
      ctx(),
    );
    expect(doc.status).toBe("insufficient_confidence");
    await expect(thresholdProfile({ profilesFile: catalog, list: true }, ctx())).rejects.toThrow(
      "threshold profiles file has invalid shape",
    );
  });

  describe("errors in order (nothing written)", () => {
    const message = async (input: Parameters<typeof profileDrift>[0], extra: object = {}) => {
      try {
        await profileDrift(input, { ...ctx(), ...extra });
        return "no error";
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as Error).message;
      }
    };
    const allBad = {
      requiredStreak: "0",
      summaryWindow: "0",
      recommendationConfidence: "very",
      minConfidence: "very",
      thresholdsFile: "/nope.json",
      appliedProfile: "ghost",
      recommendedProfile: "phantom",
    };

    it("walks the list one fix at a time", async () => {
      expect(await message({ loop: LOOP, ...allBad })).toBe("--repo is required");
      expect(await message({ repo, ...allBad })).toBe("--loop is required");
      expect(await message({ repo, loop: LOOP, ...allBad })).toBe(
        "--required-streak must be an integer >= 1",
      );
      expect(await message({ repo, loop: LOOP, ...allBad, requiredStreak: "2" })).toBe(
        "--summary-window must be an integer >= 1",
      );
      const streaks = { requiredStreak: "2", summaryWindow: "10" };
      expect(await message({ repo, loop: LOOP, ...allBad, ...streaks })).toBe(
        "--recommendation-confidence must be one of: low, medium, high",
      );
      expect(
        await message({ repo, loop: LOOP, ...allBad, ...streaks, recommendationConfidence: "high" }),
      ).toBe("--min-confidence must be one of: low, medium, high");
      const flags = { ...allBad, ...streaks, recommendationConfidence: "high", minConfidence: "low" };
      expect(await message({ repo: "missing", loop: LOOP, ...flags })).toBe(
        `repo directory not found: ${path.join(repo, "missing")}`,
      );
      expect(await message({ repo, loop: LOOP, ...flags })).toBe(
        "invalid threshold profiles file: /nope.json",
      );
      const bundled = { ...flags, thresholdsFile: undefined };
      expect(await message({ repo, loop: LOOP, ...bundled })).toBe("unknown applied profile: ghost");
      expect(await message({ repo, loop: LOOP, ...bundled, appliedProfile: "strict" })).toBe(
        "unknown recommended profile: phantom",
      );
      mkdirSync(ops().dir, { recursive: true });
      writeFileSync(ops().profileDrift, "{broken");
      expect(
        await message({
          repo,
          loop: LOOP,
          ...bundled,
          appliedProfile: "strict",
          recommendedProfile: "strict",
        }),
      ).toBe(`invalid drift state JSON: ${ops().profileDrift}`);
      expect(existsSync(ops().telemetry.profileDrift)).toBe(false);
      expect(readFileSync(ops().profileDrift, "utf8")).toBe("{broken");
      expect(existsSync(`${ops().profileDrift}.lock`)).toBe(false);
    });

    it("integer and confidence flag shapes", async () => {
      for (const value of ["", "-1", "1.0", "x"]) {
        expect(await message({ repo, loop: LOOP, requiredStreak: value })).toBe(
          "--required-streak must be an integer >= 1",
        );
        expect(await message({ repo, loop: LOOP, summaryWindow: value })).toBe(
          "--summary-window must be an integer >= 1",
        );
      }
      for (const value of ["", "LOW", "Medium"]) {
        expect(await message({ repo, loop: LOOP, recommendationConfidence: value })).toBe(
          "--recommendation-confidence must be one of: low, medium, high",
        );
        expect(await message({ repo, loop: LOOP, minConfidence: value })).toBe(
          "--min-confidence must be one of: low, medium, high",
        );
      }
      expect(await message({ repo, loop: "a/b" })).toMatch(/^invalid loop id for --loop/);
    });

    it("invalid threshold profiles file: missing, bad JSON, profiles not an object", async () => {
      for (const [name, content] of [
        ["bad.json", "{nope"],
        ["array.json", JSON.stringify({ profiles: [] })],
        ["null.json", JSON.stringify({ profiles: null })],
        ["none.json", JSON.stringify({ schemaVersion: "v1" })],
        ["top-array.json", "[]"],
      ] as const) {
        writeFileSync(path.join(repo, name), content);
        expect(await message({ repo, loop: LOOP, thresholdsFile: name })).toBe(
          `invalid threshold profiles file: ${name}`,
        );
      }
      expect(await message({ repo, loop: LOOP }, { installRoot: path.join(repo, "no-root") })).toBe(
        `invalid threshold profiles file: ${path.join(repo, "no-root", "config/ops-manager-threshold-profiles.v1.json")}`,
      );
      expect(existsSync(ops().dir)).toBe(false);
    });

    it("existing drift state that is not a JSON object is invalid; a missing one is {}", async () => {
      mkdirSync(ops().dir, { recursive: true });
      writeFileSync(ops().profileDrift, "[]");
      expect(await message({ repo, loop: LOOP, driftStateFile: ops().profileDrift })).toBe(
        `invalid drift state JSON: ${ops().profileDrift}`,
      );
      writeFileSync(path.join(repo, "rel.json"), "");
      expect(await message({ repo, loop: LOOP, driftStateFile: "rel.json" })).toBe(
        "invalid drift state JSON: rel.json",
      );
    });
  });

  it("the history file may not be the state file (the state would be corrupted)", async () => {
    const input = { repo, loop: LOOP, appliedProfile: "balanced", recommendedProfile: "strict" };
    await expect(
      profileDrift(
        { ...input, driftStateFile: "same.json", driftHistoryFile: path.join(repo, "same.json") },
        ctx(),
      ),
    ).rejects.toThrow(
      new ValidationError(
        `--drift-history-file must not be --drift-state-file: ${path.join(repo, "same.json")}`,
      ),
    );
    expect(existsSync(path.join(repo, "same.json"))).toBe(false);
  });

  it("an unwritable history file fails the call without advancing the streak", async () => {
    const input = {
      repo,
      loop: LOOP,
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      recommendationConfidence: "high",
      requiredStreak: "2",
    };
    expect((await profileDrift(input, ctx())).mismatchStreak).toBe(1);
    const before = readFileSync(ops().profileDrift, "utf8");
    const historyDir = path.join(repo, "history-dir");
    mkdirSync(historyDir);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(profileDrift({ ...input, driftHistoryFile: historyDir }, ctx())).rejects.toThrow(
        `cannot write ${historyDir} (EISDIR)`,
      );
    }
    expect(readFileSync(ops().profileDrift, "utf8")).toBe(before);
    const next = await profileDrift(input, ctx());
    expect([next.mismatchStreak, next.transitioned.toActive]).toEqual([2, true]);
  });

  it("concurrent invocations serialise on the state file (streak counts every call)", async () => {
    const input = {
      repo,
      loop: LOOP,
      appliedProfile: "balanced",
      recommendedProfile: "strict",
      recommendationConfidence: "high",
      requiredStreak: "50",
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => profileDrift(input, ctx())));
    expect(results.map((doc) => doc.mismatchStreak).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((readJson(ops().profileDrift) as { mismatchStreak: number }).mismatchStreak).toBe(6);
    expect(readRows(ops().telemetry.profileDrift)).toHaveLength(6);
  });
});
