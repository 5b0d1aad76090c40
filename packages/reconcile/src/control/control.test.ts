// control (spec 15 §2–§3, §5) against the REAL simulated runtime command (@ops/testkit bin).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Clock, OpsError, opsPaths, ValidationError } from "@ops/contract";
import {
  isProcessAlive,
  makeTempDir,
  readInvocationLog,
  readJsonLines,
  superloopBinPath,
} from "@ops/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type ControlContext, type ControlIntentInput, controlIntent } from "./control.js";
import { ControlInvocationSchema, ControlTelemetrySchema, IntentEntrySchema } from "./schemas.js";
import { cleanupRepos, newRepo, writeScript } from "./test-helpers.js";

afterEach(cleanupRepos);

const BIN = superloopBinPath();
const FIXED = "2026-02-22T10:10:02Z";
const fixedClock: Clock = { now: () => new Date(FIXED) };

function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env, SUPERLOOP_BIN: BIN, USER: "ops-user" };
  for (const key of Object.keys(base))
    if (key.startsWith("OPS_MANAGER_") || key.startsWith("SUPERLOOP_SIM_")) delete base[key];
  return { ...base, ...extra };
}

function ctx(extra: Partial<ControlContext> = {}, envExtra: Record<string, string> = {}): ControlContext {
  return { env: env(envExtra), clock: fixedClock, pid: 4242, generateTraceId: () => "trace-gen", ...extra };
}

function artifacts(repoRoot: string, loop = "demo-loop") {
  const ops = opsPaths(repoRoot, loop);
  return {
    intents: readJsonLines(ops.intents) as Record<string, unknown>[],
    control: readJsonLines(ops.telemetry.control) as Record<string, unknown>[],
    invocations: readJsonLines(ops.telemetry.controlInvocations) as Record<string, unknown>[],
  };
}

function base(repo: string, extra: Partial<ControlIntentInput> = {}): ControlIntentInput {
  return { repo, loop: "demo-loop", traceId: "tc-1", timeoutSeconds: "2", intervalSeconds: "1", ...extra };
}

describe("control validation (spec 15 §2), nothing written", () => {
  const cases: [ControlIntentInput, string][] = [
    [{}, "--repo is required"],
    [{ repo: "R" }, "--loop is required"],
    [{ repo: "R", loop: "demo-loop" }, "--intent is required"],
    [{ repo: "R", loop: "demo-loop", intent: "resume" }, "intent must be one of: cancel, approve, reject"],
    [
      { repo: "R", loop: "demo-loop", intent: "cancel", transport: "ssh" },
      "--transport must be local or sprite_service",
    ],
    [
      { repo: "R", loop: "demo-loop", intent: "cancel", timeoutSeconds: "abc" },
      "timeout and interval must be non-negative integers",
    ],
    [
      { repo: "R", loop: "demo-loop", intent: "cancel", intervalSeconds: "-2" },
      "timeout and interval must be non-negative integers",
    ],
    [
      { repo: "R", loop: "demo-loop", intent: "cancel", retryAttempts: "0" },
      "--retry-attempts must be an integer >= 1",
    ],
    [
      { repo: "R", loop: "demo-loop", intent: "cancel", retryBackoffSeconds: "1.5" },
      "--retry-backoff-seconds must be a non-negative integer",
    ],
    [
      { repo: "R", loop: "../x", intent: "cancel" },
      `invalid loop id for --loop: "../x" may contain only letters, digits, '.', '_' and '-'`,
    ],
    [
      { repo: "missing-dir", loop: "demo-loop", intent: "cancel" },
      "repo directory not found: <repo>/missing-dir",
    ],
  ];
  it.each(cases)("%j → %s", async (input, message) => {
    const repo = newRepo();
    const resolved = { ...input, ...(input.repo === "R" ? { repo: repo.root } : {}) };
    const error = await controlIntent(resolved, ctx({ cwd: repo.root })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(message.replace("<repo>", repo.root));
    expect((error as ValidationError).exitCode).toBe(1);
    expect(existsSync(path.join(repo.root, ".superloop/ops-manager"))).toBe(false);
  });

  it("sprite_service without a base URL fails after <ops>/ and <ops>/telemetry/ were created", async () => {
    const repo = newRepo();
    const error = await controlIntent(
      { repo: repo.root, loop: "demo-loop", intent: "cancel", transport: "sprite_service" },
      ctx(),
    ).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe("--service-base-url is required when --transport sprite_service");
    const ops = opsPaths(repo.root, "demo-loop");
    expect(existsSync(ops.telemetry.dir)).toBe(true);
    expect(existsSync(ops.intents)).toBe(false);
  });
});

describe("control, local transport (spec 15 §2.1)", () => {
  it("cancel: kills the registered run and confirms from state; three exact records", async () => {
    const repo = newRepo();
    const loop = repo.loop("demo-loop");
    const proc = await loop.startRunProcess({ children: 1 });
    loop.iteration();
    expect(proc.isAlive()).toBe(true);
    const result = await controlIntent(
      base(repo.root, {
        intent: "cancel",
        by: "alice",
        note: "hi",
        timeoutSeconds: "30",
        intervalSeconds: "2",
      }),
      ctx({}, { SUPERLOOP_SIM_KILL_GRACE_MS: "300" }),
    );
    expect(proc.isAlive()).toBe(false);
    expect(result.exitCode).toBe(0);
    const confirm = {
      intent: "cancel",
      confirmed: true,
      reason: "inactive_not_running",
      attempts: 1,
      timeoutSeconds: 30,
      observedStatus: "unknown",
      observedLastEvent: "iteration_end",
      observedApprovalStatus: null,
      observedActive: false,
      observedAt: FIXED,
    };
    const intent = {
      timestamp: FIXED,
      loopId: "demo-loop",
      intent: "cancel",
      traceId: "tc-1",
      requestedBy: "alice",
      note: "hi",
      transport: "local",
      status: "confirmed",
      command: `${BIN} cancel --repo ${repo.root}`,
      idempotencyKey: "cancel-1771755002-4242",
      exitCode: 0,
      confirmExitCode: 0,
      confirmed: true,
      commandOutput: "Cancelled loop state.",
      confirm,
    };
    expect(result.intent).toEqual(intent);
    expect(JSON.stringify(result.intent)).toBe(JSON.stringify(intent)); // key order too
    const written = artifacts(repo.root);
    expect(written.intents).toEqual([intent]);
    expect(JSON.stringify(written.control)).toBe(
      JSON.stringify([
        {
          timestamp: FIXED,
          startedAt: FIXED,
          loopId: "demo-loop",
          intent: "cancel",
          traceId: "tc-1",
          transport: "local",
          status: "confirmed",
          idempotencyKey: "cancel-1771755002-4242",
          requestedBy: "alice",
          exitCode: 0,
          confirmExitCode: 0,
          confirmed: true,
          durationSeconds: 0,
          retryAttempts: 3,
          retryBackoffSeconds: 1,
        },
      ]),
    );
    expect(JSON.stringify(written.invocations)).toBe(
      JSON.stringify([
        {
          schemaVersion: "v1",
          timestamp: FIXED,
          startedAt: FIXED,
          loopId: "demo-loop",
          intent: "cancel",
          traceId: "tc-1",
          transport: "local",
          requestedBy: "alice",
          note: "hi",
          idempotencyKey: "cancel-1771755002-4242",
          request: {
            doConfirm: true,
            timeoutSeconds: 30,
            intervalSeconds: 2,
            retryAttempts: 3,
            retryBackoffSeconds: 1,
          },
          execution: {
            status: "succeeded",
            exitCode: 0,
            command: `${BIN} cancel --repo ${repo.root}`,
            output: "Cancelled loop state.",
            replayed: false,
          },
          confirmation: { attempted: true, status: "confirmed", exitCode: 0, outcome: confirm },
          outcome: { status: "confirmed", confirmed: true, durationSeconds: 0 },
        },
      ]),
    );
    IntentEntrySchema.parse(written.intents[0]);
    ControlTelemetrySchema.parse(written.control[0]);
    ControlInvocationSchema.parse(written.invocations[0]);
  });

  it("approve: confirmed by the recorded decision (not waiting for completion)", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const result = await controlIntent(base(repo.root, { intent: "approve", note: "Looks good" }), ctx());
    expect(result.exitCode).toBe(0);
    expect(result.intent).toMatchObject({
      status: "confirmed",
      requestedBy: "ops-user",
      command: `${BIN} approve --repo ${repo.root} --loop demo-loop --by ops-user --note Looks\\ good`,
      commandOutput: "Recorded approval decision (approved) for loop 'demo-loop'.",
      confirm: {
        reason: "approval_observed",
        observedApprovalStatus: "approved",
        observedLastEvent: "approval_decision",
      },
    });
    expect(repo.loop("demo-loop").readApproval()).toMatchObject({
      status: "approved",
      decided_by: "ops-user",
      decided_note: "Looks good",
    });
  });

  it("reject: confirmed by the rejection", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const result = await controlIntent(base(repo.root, { intent: "reject", note: "nope", by: "bob" }), ctx());
    expect(result.exitCode).toBe(0);
    expect(result.intent).toMatchObject({
      status: "confirmed",
      confirmed: true,
      command: `${BIN} approve --repo ${repo.root} --loop demo-loop --by bob --reject --note nope`,
      confirm: { reason: "rejection_observed", observedApprovalStatus: "rejected" },
    });
  });

  it("--no-confirm: executed_unconfirmed, confirmation skipped, exit 0 (spec example)", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const result = await controlIntent(
      base(repo.root, {
        intent: "reject",
        note: "nope",
        noConfirm: true,
        timeoutSeconds: "30",
        intervalSeconds: "2",
        traceId: "tc-4",
      }),
      ctx(),
    );
    expect(result.exitCode).toBe(0);
    expect(result.intent).not.toHaveProperty("confirm");
    expect(artifacts(repo.root).invocations).toEqual([
      {
        schemaVersion: "v1",
        timestamp: FIXED,
        startedAt: FIXED,
        loopId: "demo-loop",
        intent: "reject",
        traceId: "tc-4",
        transport: "local",
        requestedBy: "ops-user",
        note: "nope",
        idempotencyKey: "reject-1771755002-4242",
        request: {
          doConfirm: false,
          timeoutSeconds: 30,
          intervalSeconds: 2,
          retryAttempts: 3,
          retryBackoffSeconds: 1,
        },
        execution: {
          status: "succeeded",
          exitCode: 0,
          command: `${BIN} approve --repo ${repo.root} --loop demo-loop --by ops-user --reject --note nope`,
          output: "Recorded approval decision (rejected) for loop 'demo-loop'.",
          replayed: false,
        },
        confirmation: { attempted: false, status: "skipped", exitCode: 0 },
        outcome: { status: "executed_unconfirmed", confirmed: false, durationSeconds: 0 },
      },
    ]);
  });

  it("failed_command: the runtime's exit code, reason code, confirmation not attempted, exit 1", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const result = await controlIntent(
      base(repo.root, { intent: "approve" }),
      ctx({}, { SUPERLOOP_SIM_EXIT_CODE: "3" }),
    );
    expect(result.exitCode).toBe(1);
    expect(result.intent).toMatchObject({
      status: "failed_command",
      exitCode: 3,
      confirmExitCode: 0,
      confirmed: false,
    });
    expect(result.intent.commandOutput).toMatch(/^error: simulated runtime failure/);
    const written = artifacts(repo.root);
    expect(written.control[0]).toMatchObject({
      status: "failed_command",
      reasonCode: "control_failed_command",
      exitCode: 3,
    });
    expect(written.invocations[0]).toMatchObject({
      execution: { status: "failed_command", exitCode: 3 },
      confirmation: { attempted: false, status: "not_attempted", exitCode: 0 },
      outcome: { status: "failed_command", confirmed: false, reasonCode: "control_failed_command" },
    });
    expect(repo.loop("demo-loop").readApproval()).toMatchObject({ status: "pending" });
  });

  it("ambiguous: the command succeeds without effect, confirmation times out, exit 2", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const started = Date.now();
    const result = await controlIntent(
      base(repo.root, { intent: "approve", timeoutSeconds: "1", intervalSeconds: "1" }),
      { env: env({ SUPERLOOP_SIM_SKIP_EFFECT: "1" }), pid: 4242 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.exitCode).toBe(2);
    expect(result.intent).toMatchObject({
      status: "ambiguous",
      exitCode: 0,
      confirmExitCode: 1,
      confirmed: false,
      confirm: { confirmed: false, reason: "timeout", observedApprovalStatus: "pending" },
    });
    expect((result.intent.confirm as { attempts: number }).attempts).toBeGreaterThanOrEqual(2);
    const written = artifacts(repo.root);
    expect(written.control[0]).toMatchObject({ reasonCode: "control_ambiguous", confirmExitCode: 1 });
    expect(written.invocations[0]).toMatchObject({
      execution: { status: "succeeded" },
      confirmation: { attempted: true, status: "ambiguous", exitCode: 1 },
      outcome: { status: "ambiguous", reasonCode: "control_ambiguous" },
    });
  });

  it("a runtime command that hangs is killed at the time limit: failed_command, exit code 124", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const log = path.join(repo.root, "invocations.jsonl");
    const result = await controlIntent(
      base(repo.root, { intent: "approve" }),
      ctx(
        { runtimeTimeoutMs: 500, runtimeKillGraceMs: 200 },
        { SUPERLOOP_SIM_SLEEP_MS: "10000", SUPERLOOP_SIM_INVOCATION_LOG: log },
      ),
    );
    expect(result.exitCode).toBe(1);
    expect(result.intent).toMatchObject({ status: "failed_command", exitCode: 124 });
    expect(result.intent.commandOutput).toBe(
      "error: runtime command timed out after 500 ms; its process group was killed",
    );
    const [invocation] = readInvocationLog(log);
    expect(isProcessAlive(invocation?.pid ?? 0)).toBe(false);
    expect(repo.loop("demo-loop").readApproval()).toMatchObject({ status: "pending" });
  });

  it("commandOutput is the last 40 lines with \\r stripped", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const result = await controlIntent(
      base(repo.root, { intent: "approve", noConfirm: true }),
      ctx({}, { SUPERLOOP_SIM_OUTPUT_LINES: "60", SUPERLOOP_SIM_CRLF: "1" }),
    );
    const lines = (result.intent.commandOutput ?? "").split("\n");
    expect(lines).toHaveLength(40);
    expect(lines.at(-1)).toBe("Recorded approval decision (approved) for loop 'demo-loop'.");
    expect(lines.some((line) => line.includes("\r"))).toBe(false);
  });

  it("cancel is refused when another loop is the repository's current run: nothing executed or written", async () => {
    const repo = newRepo();
    repo.scenario("stopped", "demo-loop");
    const other = repo.loop("other-loop");
    const proc = await other.startRunProcess();
    other.iteration();
    const log = path.join(repo.root, "invocations.jsonl");
    const error = await controlIntent(
      base(repo.root, { intent: "cancel" }),
      ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpsError);
    expect((error as OpsError).exitCode).toBe(1);
    expect((error as OpsError).message).toBe(
      `cancel refused: the repository's current run is loop 'other-loop' (active-run.json, pid ${proc.pid}), not 'demo-loop'; the runtime cancel would stop that run, so nothing was executed`,
    );
    expect(readInvocationLog(log)).toEqual([]);
    expect(proc.isAlive()).toBe(true);
    expect(existsSync(opsPaths(repo.root, "demo-loop").intents)).toBe(false);
  });

  it("OPS_MANAGER_CONFIRM_SCRIPT replaces confirm-intent (same arguments, stdout JSON, exit code)", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const argsFile = path.join(repo.root, "confirm-args");
    const confirmed = writeScript(
      repo.root,
      "confirm-ok.sh",
      `echo "$@" > ${argsFile}; echo '{"intent":"approve","confirmed":true,"reason":"stub"}'`,
    );
    const ok = await controlIntent(
      base(repo.root, { intent: "approve", timeoutSeconds: "7", intervalSeconds: "3" }),
      ctx({}, { OPS_MANAGER_CONFIRM_SCRIPT: confirmed }),
    );
    expect(readFileSync(argsFile, "utf8").trim()).toBe(
      `--repo ${repo.root} --loop demo-loop --intent approve --timeout-seconds 7 --interval-seconds 3`,
    );
    expect(ok.exitCode).toBe(0);
    expect(ok.intent).toMatchObject({ status: "confirmed", confirmExitCode: 0, confirm: { reason: "stub" } });

    const other = newRepo();
    other.scenario("awaitingApproval", "demo-loop");
    const failing = writeScript(other.root, "confirm-bad.sh", "echo not-json; exit 3");
    const bad = await controlIntent(
      base(other.root, { intent: "approve" }),
      ctx({}, { OPS_MANAGER_CONFIRM_SCRIPT: failing }),
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.intent).toMatchObject({ status: "ambiguous", confirmExitCode: 3, confirmed: false });
    expect(bad.intent).not.toHaveProperty("confirm");
    expect(artifacts(other.root).invocations[0]).toMatchObject({
      confirmation: { attempted: true, status: "ambiguous", exitCode: 3 },
    });
  });

  it("a confirmation timeout beyond a Node timer's limit does not kill the confirm hook at once", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const slow = writeScript(
      repo.root,
      "confirm-slow.sh",
      `sleep 0.3; echo '{"intent":"approve","confirmed":true,"reason":"stub"}'`,
    );
    const result = await controlIntent(
      base(repo.root, { intent: "approve", timeoutSeconds: "3000000", intervalSeconds: "1" }),
      ctx({}, { OPS_MANAGER_CONFIRM_SCRIPT: slow }),
    );
    expect(result.exitCode).toBe(0);
    expect(result.intent).toMatchObject({
      status: "confirmed",
      confirmExitCode: 0,
      confirm: { reason: "stub" },
    });
  });

  it("defaults: by from $USER (else unknown), trace id from OPS_MANAGER_TRACE_ID, generated key", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const noUser = env({ OPS_MANAGER_TRACE_ID: "trace-env" });
    delete noUser["USER"];
    const result = await controlIntent(
      { repo: repo.root, loop: "demo-loop", intent: "approve", noConfirm: true },
      { env: noUser, clock: fixedClock },
    );
    expect(result.intent).toMatchObject({
      requestedBy: "unknown",
      traceId: "trace-env",
      idempotencyKey: `approve-1771755002-${process.pid}`,
      command: `${BIN} approve --repo ${repo.root} --loop demo-loop --by unknown`,
    });
    const second = newRepo();
    second.scenario("awaitingApproval", "demo-loop");
    const generated = await controlIntent(
      { repo: second.root, loop: "demo-loop", intent: "approve", noConfirm: true },
      { env: env() },
    );
    expect(generated.intent.traceId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(generated.intent.requestedBy).toBe("ops-user");
  });

  it("SUPERLOOP_BIN defaults to <install root>/superloop.sh", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const root = makeTempDir("ops-install-");
    try {
      writeScript(root.path, "superloop.sh", `exec "${process.execPath}" "${BIN}" "$@"`);
      const noBin = env();
      delete noBin["SUPERLOOP_BIN"];
      const result = await controlIntent(base(repo.root, { intent: "approve", noConfirm: true }), {
        env: noBin,
        clock: fixedClock,
        installRoot: root.path,
      });
      expect(result.intent).toMatchObject({
        status: "executed_unconfirmed",
        command: `${root.path}/superloop.sh approve --repo ${repo.root} --loop demo-loop --by ops-user`,
      });
      const error = await controlIntent(base(repo.root, { intent: "approve" }), { env: noBin }).catch(
        (caught: unknown) => caught,
      );
      expect((error as Error).message).toBe(
        "SUPERLOOP_BIN is not set and the ops-manager install root is unknown",
      );
    } finally {
      await root.cleanup();
    }
  });
});

describe("control idempotency (careful §5 / Q15-7)", () => {
  it("a caller-supplied key that already has an outcome replays it without running the runtime again", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const log = path.join(repo.root, "invocations.jsonl");
    const input = base(repo.root, {
      intent: "approve",
      idempotencyKey: "fleet-handoff-t1-demo-loop-approve",
    });
    const first = await controlIntent(input, ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log }));
    expect(first.exitCode).toBe(0);
    const second = await controlIntent(
      { ...input, traceId: "tc-2", by: "carol" },
      ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log }),
    );
    expect(readInvocationLog(log)).toHaveLength(1);
    expect(second.exitCode).toBe(0);
    const { confirm, ...rest } = first.intent;
    expect(second.intent).toEqual({ ...rest, traceId: "tc-2", requestedBy: "carol", confirm });
    const written = artifacts(repo.root);
    expect(written.intents).toHaveLength(2);
    expect(written.invocations[1]).toMatchObject({
      traceId: "tc-2",
      execution: { status: "succeeded", replayed: true },
      confirmation: { attempted: true, status: "confirmed" },
      outcome: { status: "confirmed", confirmed: true },
    });
    // A different intent under the same key is a conflict: nothing runs, nothing is written.
    const conflict = await controlIntent(
      { ...input, intent: "reject" },
      ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log }),
    ).catch((caught: unknown) => caught);
    expect((conflict as Error).message).toBe(
      `--idempotency-key "fleet-handoff-t1-demo-loop-approve" was already used for intent 'approve' on loop 'demo-loop'; use a new key`,
    );
    expect(readInvocationLog(log)).toHaveLength(1);
    expect(artifacts(repo.root).intents).toHaveLength(2);
  });

  it("replays failures too (exit code follows the replayed status); generated keys never replay", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const log = path.join(repo.root, "invocations.jsonl");
    const failing = await controlIntent(
      base(repo.root, { intent: "approve", idempotencyKey: "k-1" }),
      ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log, SUPERLOOP_SIM_EXIT_CODE: "5" }),
    );
    expect(failing.exitCode).toBe(1);
    const replay = await controlIntent(
      base(repo.root, { intent: "approve", idempotencyKey: "k-1" }),
      ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log }),
    );
    expect(replay.exitCode).toBe(1);
    expect(replay.intent).toMatchObject({ status: "failed_command", exitCode: 5 });
    expect(artifacts(repo.root).invocations[1]).toMatchObject({
      execution: { status: "failed_command", exitCode: 5, replayed: true },
      confirmation: { attempted: false, status: "not_attempted" },
      outcome: { reasonCode: "control_failed_command" },
    });
    expect(readInvocationLog(log)).toHaveLength(1);
    // Same generated key twice (fixed clock + pid): both run.
    await controlIntent(
      base(repo.root, { intent: "approve", noConfirm: true }),
      ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log, SUPERLOOP_SIM_SKIP_EFFECT: "1" }),
    );
    await controlIntent(
      base(repo.root, { intent: "approve", noConfirm: true }),
      ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log, SUPERLOOP_SIM_SKIP_EFFECT: "1" }),
    );
    expect(readInvocationLog(log)).toHaveLength(3);
  });

  it("keys recorded by the sprite_service transport are not replayed locally", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const ops = opsPaths(repo.root, "demo-loop");
    mkdirSync(ops.dir, { recursive: true });
    writeFileSync(
      ops.intents,
      `${JSON.stringify({ timestamp: FIXED, loopId: "demo-loop", intent: "approve", traceId: "t", requestedBy: "x", transport: "sprite_service", status: "failed_command", command: "POST http://h/ops/control", idempotencyKey: "k-2", exitCode: 1, confirmExitCode: 0, confirmed: false })}\n`,
    );
    const result = await controlIntent(base(repo.root, { intent: "approve", idempotencyKey: "k-2" }), ctx());
    expect(result.intent).toMatchObject({ status: "confirmed", transport: "local" });
  });

  it("concurrent calls with one key execute once (per-loop control lock)", async () => {
    const repo = newRepo();
    repo.scenario("awaitingApproval", "demo-loop");
    const log = path.join(repo.root, "invocations.jsonl");
    const input = base(repo.root, { intent: "approve", idempotencyKey: "k-3" });
    const context = ctx({}, { SUPERLOOP_SIM_INVOCATION_LOG: log, SUPERLOOP_SIM_SLEEP_MS: "200" });
    const results = await Promise.all([controlIntent(input, context), controlIntent(input, context)]);
    expect(readInvocationLog(log)).toHaveLength(1);
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    const invocations = artifacts(repo.root).invocations as { execution: { replayed: boolean } }[];
    expect(invocations.map((row) => row.execution.replayed).sort()).toEqual([false, true]);
  });
});
