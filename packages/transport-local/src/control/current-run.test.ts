import { createSimulatedRepo, type SimulatedRepo } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { assertCancelTarget, checkCancelTarget, readCurrentRun } from "./current-run.js";

const repos: SimulatedRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
});
function newRepo(): SimulatedRepo {
  const repo = createSimulatedRepo(undefined, { start: "2026-02-22T10:00:00Z" });
  repos.push(repo);
  return repo;
}

describe("readCurrentRun / checkCancelTarget", () => {
  it("no runtime files: no current run, cancel allowed", async () => {
    const repo = newRepo();
    expect(await readCurrentRun(repo.root)).toEqual({ kind: "none" });
    expect((await checkCancelTarget(repo.root, "demo-loop")).ok).toBe(true);
  });

  it("active-run.json names the loop: allowed", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    const current = await readCurrentRun(repo.root);
    expect(current).toMatchObject({ kind: "loop", loopId: "demo-loop", source: "active-run.json" });
    expect((await checkCancelTarget(repo.root, "demo-loop")).ok).toBe(true);
  });

  it("another loop registered last: refused with a clear one-line reason", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    repo.scenario("running", "other-loop");
    const check = await checkCancelTarget(repo.root, "demo-loop");
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.message).toBe(
      "cancel refused: the repository's current run is loop 'other-loop' (active-run.json, pid 4194999), not 'demo-loop'; the runtime cancel would stop that run, so nothing was executed",
    );
    await expect(assertCancelTarget(repo.root, "demo-loop")).rejects.toMatchObject({
      exitCode: 1,
      reasonCode: "control_cancel_target_mismatch",
    });
  });

  it("falls back to state.json when active-run.json is absent", async () => {
    const repo = newRepo();
    repo.scenario("stopped", "other-loop");
    expect(await readCurrentRun(repo.root)).toMatchObject({
      kind: "loop",
      loopId: "other-loop",
      source: "state.json",
      active: false,
    });
    const check = await checkCancelTarget(repo.root, "demo-loop");
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toContain("(state.json, active: false)");
  });

  it("a torn active-run.json is re-read; one that stays invalid refuses", async () => {
    const repo = newRepo();
    repo.scenario("running", "demo-loop");
    repo.tear("activeRun", "half", { healAfterMs: 15 });
    expect(await readCurrentRun(repo.root, { tornReadRetries: 20, tornReadDelayMs: 5 })).toMatchObject({
      kind: "loop",
      loopId: "demo-loop",
    });
    repo.tear("activeRun", "empty");
    const check = await checkCancelTarget(repo.root, "demo-loop", { tornReadRetries: 1, tornReadDelayMs: 1 });
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.message).toMatch(
        /^cancel refused: cannot tell which loop .*active-run\.json is not a valid JSON object/,
      );
    }
  });
});
