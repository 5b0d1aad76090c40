import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { opsPaths, ValidationError } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelemetrySummaryDocumentSchema } from "./schemas.js";
import {
  percentile,
  RECOMMENDATION_RATIONALE,
  reasonCodeFrequency,
  recommendProfile,
  summarizeTelemetry,
  summaryConfidence,
  telemetrySummary,
} from "./telemetry-summary.js";

const clock = { now: () => new Date("2026-02-22T12:00:00Z") };
const LOOP = "demo-loop";

let temp: TempDir;
let repo: string;
beforeEach(() => {
  temp = makeTempDir("ops-summary-");
  repo = temp.path;
});
afterEach(() => temp.cleanup());

const jsonl = (rows: unknown[]) =>
  rows.map((row) => `${typeof row === "string" ? row : JSON.stringify(row)}\n`).join("");

function writeFile(file: string, content: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const ops = () => opsPaths(repo, LOOP);

describe("telemetry-summary: spec 18 §3 example", () => {
  it("reproduces the example document exactly", async () => {
    writeFile(
      ops().telemetry.reconcile,
      jsonl([
        { status: "success", healthStatus: "healthy", healthReasonCodes: [], durationSeconds: 1 },
        {
          status: "success",
          healthStatus: "degraded",
          healthReasonCodes: ["c_code", "a_code"],
          durationSeconds: 3,
        },
        {
          status: "failed",
          healthStatus: "critical",
          healthReasonCodes: ["c_code", "b_code"],
          durationSeconds: 5,
        },
        { status: "success", healthStatus: "healthy", healthReasonCodes: [], durationSeconds: 3 },
      ]),
    );
    writeFile(
      ops().telemetry.control,
      jsonl([{ status: "confirmed" }, { status: "ambiguous", reasonCode: "control_ambiguous" }]),
    );
    const doc = await telemetrySummary({ repo, loop: LOOP }, { clock });
    const dir = `${repo}/.superloop/ops-manager/demo-loop/telemetry`;
    expect(JSON.stringify(doc)).toBe(
      '{"schemaVersion":"v1","generatedAt":"2026-02-22T12:00:00Z",' +
        `"source":{"repoPath":${JSON.stringify(repo)},"loopId":"demo-loop","reconcileTelemetryFile":"${dir}/reconcile.jsonl","controlTelemetryFile":"${dir}/control.jsonl","window":200},` +
        '"observed":{"reconcileAttempts":4,"reconcileSuccessCount":3,"reconcileFailedCount":1,' +
        '"health":{"degradedCount":1,"criticalCount":1,"degradedRate":0.25,"criticalRate":0.25,' +
        '"reasonCodeFrequency":[{"code":"c_code","count":2},{"code":"b_code","count":1},{"code":"a_code","count":1}]},' +
        '"control":{"ambiguousCount":1},' +
        '"durationSeconds":{"p50":3,"p95":3,"max":5}},' +
        '"recommendedProfile":"relaxed","confidence":"low",' +
        '"rationale":"Observed high critical/failure rates; reduce alert noise while stabilizing"}',
    );
    expect(TelemetrySummaryDocumentSchema.parse(doc)).toEqual(doc);
  });
});

describe("telemetry-summary: algorithm pieces", () => {
  it("percentile = element at floor((n − 1) × p)", () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.95)).toBe(7);
    const values = Array.from({ length: 21 }, (_, i) => i);
    expect(percentile(values, 0.5)).toBe(10);
    expect(percentile(values, 0.95)).toBe(19);
    expect(percentile([1, 2], 0.95)).toBe(1);
  });

  it("confidence boundaries 30 and 100", () => {
    expect([0, 29, 30, 99, 100, 1000].map(summaryConfidence)).toEqual([
      "low",
      "low",
      "medium",
      "medium",
      "high",
      "high",
    ]);
  });

  it("Q18-3: frequency sorted by count desc, ties in descending code order", () => {
    expect(reasonCodeFrequency(["a", "b", "c", "b", "z", "a"])).toEqual([
      { code: "b", count: 2 },
      { code: "a", count: 2 },
      { code: "z", count: 1 },
      { code: "c", count: 1 },
    ]);
  });

  it("recommendation table with its boundaries (first match)", () => {
    const base = { attempts: 100, criticalRate: 0, degradedRate: 0, failedRate: 0, ambiguousCount: 0 };
    expect(recommendProfile({ ...base, attempts: 0, criticalRate: 1 })).toEqual({
      recommendedProfile: "balanced",
      rationale: RECOMMENDATION_RATIONALE.noTelemetry,
    });
    expect(recommendProfile({ ...base, criticalRate: 0.2 }).recommendedProfile).toBe("relaxed");
    expect(recommendProfile({ ...base, criticalRate: 0.19 }).recommendedProfile).toBe("balanced");
    expect(recommendProfile({ ...base, failedRate: 0.25 }).recommendedProfile).toBe("relaxed");
    expect(recommendProfile({ ...base, failedRate: 0.24 }).recommendedProfile).toBe("balanced");
    expect(recommendProfile(base)).toEqual({
      recommendedProfile: "strict",
      rationale: RECOMMENDATION_RATIONALE.stable,
    });
    expect(recommendProfile({ ...base, degradedRate: 0.05, failedRate: 0.02 }).recommendedProfile).toBe(
      "strict",
    );
    expect(recommendProfile({ ...base, degradedRate: 0.051 }).recommendedProfile).toBe("balanced");
    expect(recommendProfile({ ...base, failedRate: 0.021 }).recommendedProfile).toBe("balanced");
    expect(recommendProfile({ ...base, ambiguousCount: 1 })).toEqual({
      recommendedProfile: "balanced",
      rationale: RECOMMENDATION_RATIONALE.mixed,
    });
    expect(recommendProfile({ ...base, criticalRate: 0.01 }).recommendedProfile).toBe("balanced");
  });

  it("exact rationale texts", () => {
    expect(RECOMMENDATION_RATIONALE).toEqual({
      noTelemetry: "No telemetry window yet; keep balanced defaults",
      highFailure: "Observed high critical/failure rates; reduce alert noise while stabilizing",
      stable: "Observed stable healthy runs; tighten thresholds for faster detection",
      mixed: "Observed mixed signals; keep balanced thresholds",
    });
  });

  it("unrounded rates, skipped non-numeric durations and non-string codes", () => {
    const summary = summarizeTelemetry(
      [
        {
          status: "success",
          healthStatus: "degraded",
          durationSeconds: "3",
          healthReasonCodes: ["x", 5, null],
        },
        { status: "success", healthStatus: "healthy", durationSeconds: 2.5 },
        { status: "weird", durationSeconds: null },
      ],
      [
        { status: "confirmed", reasonCode: "control_ambiguous" },
        { status: "ambiguous" },
        { status: "failed_command" },
      ],
    );
    expect(summary.observed.health.degradedRate).toBe(0.3333333333333333);
    expect(summary.observed.reconcileSuccessCount).toBe(2);
    expect(summary.observed.reconcileFailedCount).toBe(0);
    expect(summary.observed.health.reasonCodeFrequency).toEqual([{ code: "x", count: 1 }]);
    expect(summary.observed.durationSeconds).toEqual({ p50: 2.5, p95: 2.5, max: 2.5 });
    expect(summary.observed.control.ambiguousCount).toBe(2);
  });

  it("no records: balanced, low, zero rates, null durations", () => {
    expect(summarizeTelemetry([], [])).toEqual({
      observed: {
        reconcileAttempts: 0,
        reconcileSuccessCount: 0,
        reconcileFailedCount: 0,
        health: {
          degradedCount: 0,
          criticalCount: 0,
          degradedRate: 0,
          criticalRate: 0,
          reasonCodeFrequency: [],
        },
        control: { ambiguousCount: 0 },
        durationSeconds: { p50: null, p95: null, max: null },
      },
      recommendedProfile: "balanced",
      confidence: "low",
      rationale: "No telemetry window yet; keep balanced defaults",
    });
  });

  it("Q18-2: one healthy reconcile recommends strict with low confidence", () => {
    const summary = summarizeTelemetry(
      [{ status: "success", healthStatus: "healthy", healthReasonCodes: [] }],
      [],
    );
    expect([summary.recommendedProfile, summary.confidence]).toEqual(["strict", "low"]);
  });
});

describe("telemetry-summary command", () => {
  it("window = last W lines of each file", async () => {
    const rows = [
      ...Array.from({ length: 5 }, () => ({
        status: "failed",
        healthStatus: "critical",
        durationSeconds: 100,
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        status: "success",
        healthStatus: "healthy",
        durationSeconds: i + 1,
      })),
    ];
    writeFile(ops().telemetry.reconcile, jsonl(rows));
    writeFile(
      ops().telemetry.control,
      jsonl([
        { status: "ambiguous" },
        { status: "confirmed" },
        { status: "confirmed" },
        { status: "confirmed" },
      ]),
    );
    const doc = await telemetrySummary({ repo, loop: LOOP, window: "3" }, { clock });
    expect(doc.source.window).toBe(3);
    expect(doc.observed.reconcileAttempts).toBe(3);
    expect(doc.observed.reconcileFailedCount).toBe(0);
    expect(doc.observed.durationSeconds).toEqual({ p50: 2, p95: 2, max: 3 });
    expect(doc.observed.control.ambiguousCount).toBe(0);
    expect(doc.recommendedProfile).toBe("strict");
    const wider = await telemetrySummary({ repo, loop: LOOP, window: "4" }, { clock });
    expect(wider.observed.reconcileFailedCount).toBe(1);
    expect(wider.recommendedProfile).toBe("relaxed");
  });

  it("reads the window from the end with tiny chunks (lines across chunk boundaries, UTF-8)", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      status: "success",
      healthStatus: i % 2 === 0 ? "healthy" : "degraded",
      healthReasonCodes: i % 2 === 0 ? [] : [`ünïcode_😀_${i % 3}`],
      durationSeconds: i,
    }));
    writeFile(ops().telemetry.reconcile, jsonl(rows));
    for (const chunkSize of [1, 3, 7, 64, 1 << 16]) {
      const doc = await telemetrySummary({ repo, loop: LOOP, window: "10" }, { clock }, { chunkSize });
      expect(doc.observed.reconcileAttempts).toBe(10);
      expect(doc.observed.health.degradedCount).toBe(5);
      expect(doc.observed.durationSeconds).toEqual({ p50: 44, p95: 48, max: 49 });
      expect(doc.observed.health.reasonCodeFrequency.map((f) => f.code).sort()).toEqual(
        ["ünïcode_😀_0", "ünïcode_😀_1", "ünïcode_😀_2"].sort(),
      );
    }
  });

  it("a window larger than the file reads everything", async () => {
    writeFile(ops().telemetry.reconcile, jsonl([{ status: "success" }, { status: "failed" }]));
    const doc = await telemetrySummary({ repo, loop: LOOP }, { clock });
    expect(doc.observed.reconcileAttempts).toBe(2);
  });

  it("Q18-4 careful: unparseable lines are skipped (they keep their slot in the window)", async () => {
    const warnings: string[] = [];
    writeFile(
      ops().telemetry.reconcile,
      jsonl([{ status: "failed" }, "{corrupt", { status: "success" }, "", "[1]", { status: "success" }]),
    );
    writeFile(ops().telemetry.control, jsonl(["not json", { status: "ambiguous" }]));
    const doc = await telemetrySummary(
      { repo, loop: LOOP, window: "5" },
      { clock, warn: (m) => warnings.push(m) },
    );
    expect(doc.observed.reconcileAttempts).toBe(2);
    expect(doc.observed.reconcileFailedCount).toBe(0);
    expect(doc.observed.control.ambiguousCount).toBe(1);
    expect(warnings).toEqual([
      `skipped 2 unparseable line(s) in ${ops().telemetry.reconcile}`,
      `skipped 1 unparseable line(s) in ${ops().telemetry.control}`,
    ]);
    const all = await telemetrySummary({ repo, loop: LOOP, window: "6" }, { clock });
    expect(all.observed.reconcileFailedCount).toBe(1);
  });

  it("an unterminated final line is not yet written (Q10-1), complete or not", async () => {
    writeFile(
      ops().telemetry.reconcile,
      `${jsonl([{ status: "success" }, { status: "success" }])}{"status":"failed"}`,
    );
    const complete = await telemetrySummary({ repo, loop: LOOP, window: "2" }, { clock });
    expect([complete.observed.reconcileAttempts, complete.observed.reconcileFailedCount]).toEqual([2, 0]);
    writeFile(
      ops().telemetry.reconcile,
      `${jsonl([{ status: "success" }, { status: "success" }])}{"status":"fai`,
    );
    const torn = await telemetrySummary({ repo, loop: LOOP, window: "2" }, { clock });
    expect([torn.observed.reconcileAttempts, torn.observed.reconcileFailedCount]).toEqual([2, 0]);
  });

  it("missing control telemetry = empty; explicit files are echoed as given and resolved against cwd", async () => {
    writeFile(path.join(repo, "custom", "r.jsonl"), jsonl([{ status: "success", healthStatus: "healthy" }]));
    const doc = await telemetrySummary(
      {
        repo: ".",
        loop: LOOP,
        reconcileTelemetryFile: "custom/r.jsonl",
        controlTelemetryFile: "custom/none.jsonl",
      },
      { clock, cwd: repo },
    );
    expect(doc.source).toEqual({
      repoPath: repo,
      loopId: LOOP,
      reconcileTelemetryFile: "custom/r.jsonl",
      controlTelemetryFile: "custom/none.jsonl",
      window: 200,
    });
    expect(doc.observed.control.ambiguousCount).toBe(0);
  });

  it("is a pure read (no files created)", async () => {
    writeFile(ops().telemetry.reconcile, jsonl([{ status: "success" }]));
    await telemetrySummary({ repo, loop: LOOP }, { clock });
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(ops().telemetry.dir)).toEqual(["reconcile.jsonl"]);
  });

  describe("errors in order", () => {
    const message = (input: Parameters<typeof telemetrySummary>[0]) =>
      telemetrySummary(input, { clock, cwd: repo }).then(
        () => "no error",
        (e: unknown) => {
          expect(e).toBeInstanceOf(ValidationError);
          return (e as Error).message;
        },
      );

    it("messages", async () => {
      expect(await message({ loop: LOOP, window: "0" })).toBe("--repo is required");
      expect(await message({ repo: "", loop: LOOP })).toBe("--repo is required");
      expect(await message({ repo, window: "0" })).toBe("--loop is required");
      for (const window of ["0", "-1", "1.5", "", "abc", " 5"]) {
        expect(await message({ repo: "/does/not/exist", loop: LOOP, window })).toBe(
          "--window must be an integer >= 1",
        );
      }
      expect(await message({ repo, loop: "../escape" })).toMatch(/^invalid loop id for --loop/);
      expect(await message({ repo: "missing-dir", loop: LOOP })).toBe(
        `repo directory not found: ${path.join(repo, "missing-dir")}`,
      );
      expect(await message({ repo, loop: LOOP })).toBe(
        `reconcile telemetry file not found: ${ops().telemetry.reconcile}`,
      );
      expect(await message({ repo, loop: LOOP, reconcileTelemetryFile: "r.jsonl" })).toBe(
        "reconcile telemetry file not found: r.jsonl",
      );
    });
  });
});
