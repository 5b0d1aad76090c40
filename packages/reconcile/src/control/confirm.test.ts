import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ValidationError } from "@ops/contract";
import { runSuperloop } from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { confirmIntent, runConfirmation } from "./confirm.js";
import { ConfirmResultSchema } from "./schemas.js";
import { cleanupRepos, manualTime, newRepo, writeScript } from "./test-helpers.js";

afterEach(cleanupRepos);

describe("confirm-intent validation (spec 15 §4)", () => {
  const cases: [Record<string, string | undefined>, string][] = [
    [{}, "--repo is required"],
    [{ repo: "." }, "--loop is required"],
    [{ repo: ".", loop: "demo-loop" }, "--intent is required"],
    [{ repo: ".", loop: "demo-loop", intent: "pause" }, "intent must be one of: cancel, approve, reject"],
    [
      { repo: ".", loop: "demo-loop", intent: "cancel", timeoutSeconds: "-1" },
      "timeout and interval must be non-negative integers",
    ],
    [
      { repo: ".", loop: "demo-loop", intent: "cancel", intervalSeconds: "1.5" },
      "timeout and interval must be non-negative integers",
    ],
    [
      { repo: "/nonexistent-ops-repo", loop: "demo-loop", intent: "cancel" },
      "repo directory not found: /nonexistent-ops-repo",
    ],
  ];
  it.each(cases)("%j → %s", async (input, message) => {
    const error = await confirmIntent(input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe(message);
    expect((error as ValidationError).exitCode).toBe(1);
  });
});

describe("confirm-intent evidence", () => {
  it("cancel: confirmed once the run is really gone (state deleted, process killed)", async () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop");
    const proc = await loop.startRunProcess();
    loop.iteration();
    const params = {
      repoPath: repo.root,
      loopId: "demo-loop",
      intent: "cancel" as const,
      timeoutSeconds: 0,
      intervalSeconds: 1,
    };
    const before = await runConfirmation(params);
    expect(before.exitCode).toBe(1);
    expect(before.document).toMatchObject({
      confirmed: false,
      reason: "timeout",
      attempts: 1,
      observedStatus: "running",
      observedActive: true,
    });
    const cancel = await runSuperloop(["cancel", "--repo", repo.root], {
      sim: { SUPERLOOP_SIM_KILL_GRACE_MS: 200 },
    });
    expect(cancel.exitCode).toBe(0);
    const after = await runConfirmation(params);
    expect(proc.isAlive()).toBe(false);
    expect(after.exitCode).toBe(0);
    expect(after.document).toMatchObject({
      intent: "cancel",
      confirmed: true,
      reason: "inactive_not_running",
      attempts: 1,
      timeoutSeconds: 0,
      observedActive: false,
      observedApprovalStatus: null,
    });
    // No event comes from cancel: the last event stays what was running.
    expect(after.document.observedLastEvent).toBe("iteration_end");
    expect(ConfirmResultSchema.parse(after.document)).toEqual(after.document);
  });

  it("cancel: not confirmed while active-run.json still registers a live process of this loop", async () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop");
    await loop.startRunProcess();
    loop.iteration();
    // The state says inactive, but the registered run is alive.
    repo.writeState({
      active: false,
      loop_index: 0,
      iteration: 2,
      current_loop_id: "demo-loop",
      updated_at: "2026-02-22T10:00:30Z",
    });
    const params = {
      repoPath: repo.root,
      loopId: "demo-loop",
      intent: "cancel" as const,
      timeoutSeconds: 0,
      intervalSeconds: 1,
    };
    expect((await runConfirmation(params)).document.confirmed).toBe(false);
    // A probe that reports the pid dead confirms.
    expect((await runConfirmation(params, { processAlive: () => false })).document.reason).toBe(
      "inactive_not_running",
    );
  });

  it("cancel: another loop's active state does not hold back the confirmation", async () => {
    const repo = newRepo();
    repo.scenario("stopped", "demo-loop");
    repo.scenario("running", "other-loop");
    const result = await runConfirmation({
      repoPath: repo.root,
      loopId: "demo-loop",
      intent: "cancel",
      timeoutSeconds: 0,
      intervalSeconds: 1,
    });
    expect(result.document).toMatchObject({
      confirmed: true,
      observedActive: true,
      observedStatus: "stopped",
    });
  });

  it("approve: confirmed by the recorded decision, completion reported when observed", async () => {
    const repo = newRepo();
    const loop = repo.scenario("awaitingApproval", "demo-loop");
    const params = {
      repoPath: repo.root,
      loopId: "demo-loop",
      intent: "approve" as const,
      timeoutSeconds: 0,
      intervalSeconds: 1,
    };
    expect((await runConfirmation(params)).document).toMatchObject({
      confirmed: false,
      observedStatus: "awaiting_approval",
      observedApprovalStatus: "pending",
      observedLastEvent: "approval_requested",
    });
    await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "alice"]);
    expect((await runConfirmation(params)).document).toMatchObject({
      confirmed: true,
      reason: "approval_observed",
      observedApprovalStatus: "approved",
      observedLastEvent: "approval_decision",
    });
    expect(loop.resumeAfterDecision()).toBe("approved");
    expect((await runConfirmation(params)).document).toMatchObject({
      confirmed: true,
      reason: "completion_observed",
      observedStatus: "complete",
      observedLastEvent: "loop_complete",
    });
  });

  it("reject: confirmed by the rejection, never by an approve decision (Q15-5)", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const reject = {
      repoPath: repo.root,
      loopId: "demo-loop",
      intent: "reject" as const,
      timeoutSeconds: 0,
      intervalSeconds: 1,
    };
    await runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--by", "alice"]);
    // Final event approval_decision, but the decision is an approval.
    expect((await runConfirmation(reject)).document).toMatchObject({
      confirmed: false,
      observedLastEvent: "approval_decision",
      observedApprovalStatus: "approved",
    });
    const other = newRepo();
    const loop = other.scenario("awaitingApproval", "demo-loop");
    await runSuperloop(["approve", "--repo", other.root, "--loop", "demo-loop", "--by", "bob", "--reject"]);
    const params = { ...reject, repoPath: other.root };
    expect((await runConfirmation(params)).document).toMatchObject({
      confirmed: true,
      reason: "rejection_observed",
      observedApprovalStatus: "rejected",
    });
    expect(loop.resumeAfterDecision()).toBe("rejected");
    expect((await runConfirmation(params)).document).toMatchObject({
      confirmed: true,
      reason: "rejection_observed",
      observedLastEvent: "approval_rejected",
      observedApprovalStatus: null,
    });
  });

  it("polls every interval until the timeout; interval 0 counts as 1 s", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const time = manualTime();
    const result = await runConfirmation(
      { repoPath: repo.root, loopId: "demo-loop", intent: "approve", timeoutSeconds: 3, intervalSeconds: 0 },
      { clock: time.clock, sleep: time.sleep },
    );
    expect(time.sleeps).toEqual([1000, 1000, 1000]);
    expect(result).toEqual({
      exitCode: 1,
      document: {
        intent: "approve",
        confirmed: false,
        reason: "timeout",
        attempts: 4,
        timeoutSeconds: 3,
        observedStatus: "awaiting_approval",
        observedLastEvent: "approval_requested",
        observedApprovalStatus: "pending",
        observedActive: false,
        observedAt: "2026-02-22T10:10:03Z",
      },
    });
  });

  it("stops as soon as the evidence appears (real timers)", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    setTimeout(
      () => void runSuperloop(["approve", "--repo", repo.root, "--loop", "demo-loop", "--reject"]),
      300,
    );
    const started = Date.now();
    const result = await confirmIntent({
      repo: repo.root,
      loop: "demo-loop",
      intent: "reject",
      timeoutSeconds: "15",
      intervalSeconds: "1",
    });
    expect(result.exitCode).toBe(0);
    expect(result.document.attempts).toBeGreaterThanOrEqual(2);
    // Evidence lands after ~0.3 s; polling on to the 15 s limit would take far longer than this
    // generous bound (wide, so a loaded CI machine cannot trip it).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("uses OPS_MANAGER_SNAPSHOT_SCRIPT; a failing snapshot keeps the previous observations", async () => {
    const repo = newRepo();
    repo.loop("demo-loop");
    const counter = path.join(repo.root, "count");
    writeFileSync(counter, "0");
    const args = path.join(repo.root, "args");
    // Attempt 1: a stopped snapshot with state active; attempt 2: fails; attempt 3: not JSON.
    const script = writeScript(
      repo.root,
      "snapshot.sh",
      `n=$(($(cat ${counter}) + 1)); echo $n > ${counter}; echo "$@" > ${args}
if [ $n -eq 1 ]; then echo '{"run":{"status":"stopped"},"health":{"lastEventName":"loop_stop"},"runtime":{"superloopState":{"active":true},"approval":{"status":""}}}'; exit 0; fi
if [ $n -eq 2 ]; then echo 'error: boom' >&2; exit 1; fi
echo 'not json'`,
    );
    const time = manualTime();
    const result = await confirmIntent(
      { repo: repo.root, loop: "demo-loop", intent: "cancel", timeoutSeconds: "4", intervalSeconds: "2" },
      { env: { ...process.env, OPS_MANAGER_SNAPSHOT_SCRIPT: script }, clock: time.clock, sleep: time.sleep },
    );
    expect(readFileSync(args, "utf8").trim()).toBe(`--repo ${repo.root} --loop demo-loop`);
    expect(result.document).toEqual({
      intent: "cancel",
      confirmed: false,
      reason: "timeout",
      attempts: 3,
      timeoutSeconds: 4,
      observedStatus: "stopped",
      observedLastEvent: "loop_stop",
      observedApprovalStatus: null,
      observedActive: true,
      observedAt: "2026-02-22T10:10:00Z",
    });
  });

  it("never confirms from a snapshot that never succeeds", async () => {
    const repo = newRepo();
    // No loop directory: every snapshot fails.
    const result = await confirmIntent({
      repo: repo.root,
      loop: "ghost",
      intent: "cancel",
      timeoutSeconds: "0",
    });
    expect(result).toEqual({
      exitCode: 1,
      document: {
        intent: "cancel",
        confirmed: false,
        reason: "timeout",
        attempts: 1,
        timeoutSeconds: 0,
        observedStatus: "unknown",
        observedLastEvent: null,
        observedApprovalStatus: null,
        observedActive: false,
        observedAt: null,
      },
    });
  });
});
