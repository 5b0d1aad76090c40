import path from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import {
  assertValidLoopId,
  fleetPaths,
  loopIdProblem,
  opsPaths,
  resolveRepoPath,
  runtimeRelativePaths,
} from "./paths.js";

describe("loop id validation (spec 10 quirk Q10-3)", () => {
  it.each(["demo-loop", "loop_1", "v1.2", "A-b.c_d"])("accepts %j", (id) => {
    expect(loopIdProblem(id)).toBeNull();
    expect(assertValidLoopId(id)).toBe(id);
  });

  it.each([
    ["", "empty"],
    [".", "dot_segment"],
    ["..", "dot_segment"],
    ["../x", "invalid_characters"],
    ["a/b", "invalid_characters"],
    ["a b", "invalid_characters"],
    ["a&b", "invalid_characters"],
    ["x".repeat(129), "too_long"],
    ["fleet", "reserved"],
    ["FLEET", "reserved"],
  ])("rejects %j as %s with a one-line ValidationError", (id, problem) => {
    expect(loopIdProblem(id)).toBe(problem);
    expect(() => assertValidLoopId(id)).toThrow(ValidationError);
    try {
      assertValidLoopId(id);
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
      expect((error as ValidationError).exitCode).toBe(1);
    }
  });

  it("names the fleet's own directory when refusing `fleet`", () => {
    expect(() => assertValidLoopId("fleet")).toThrow(
      `invalid loop id for --loop: "fleet" is reserved for the fleet's own directory`,
    );
    expect(loopIdProblem("fleets")).toBeNull();
  });
});

describe("artifact layout (spec 10 §2–3)", () => {
  it("records runtime paths relative to the repo", () => {
    const rel = runtimeRelativePaths("demo-loop");
    expect(rel.events).toBe(".superloop/loops/demo-loop/events.jsonl");
    expect(rel.heartbeat).toBe(".superloop/loops/demo-loop/heartbeat.v1.json");
    expect(rel.state).toBe(".superloop/state.json");
    expect(rel.standaloneCursor).toBe(".superloop/loops/demo-loop/ops-manager.cursor.json");
  });

  it("places manager artifacts under .superloop/ops-manager/<loop>", () => {
    const ops = opsPaths("/srv/repo", "demo-loop");
    expect(ops.state).toBe("/srv/repo/.superloop/ops-manager/demo-loop/state.json");
    expect(ops.telemetry.transportHealth).toBe(
      "/srv/repo/.superloop/ops-manager/demo-loop/telemetry/transport-health.json",
    );
    expect(fleetPaths("/srv/repo").registry).toBe("/srv/repo/.superloop/ops-manager/fleet/registry.v1.json");
  });

  it("resolves --repo logically against the working directory", () => {
    expect(resolveRepoPath("repo", "/srv")).toBe(path.join("/srv", "repo"));
    expect(resolveRepoPath("/abs/../abs/repo", "/srv")).toBe("/abs/repo");
  });
});
