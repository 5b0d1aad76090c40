import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { opsPaths, ValidationError } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PAGERDUTY_EVENTS_URL_ENV } from "./deliver.js";
import { type AlertDispatchContext, alertDispatch, pendingDeliveriesFile } from "./dispatch.js";
import { downUrl, type Receiver, startReceiver } from "./http-receiver.test-helper.js";
import { AlertDispatchStateSchema, AlertTelemetryRowSchema, PendingDeliveriesFileSchema } from "./schemas.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const LOOP = "demo-loop";
const NOW = "2026-02-22T11:00:05Z";
const clock = { now: () => new Date(NOW) };

const WEBHOOK_TOKEN = "tok-SECRET-webhook-123";
const PD_KEY = "pdkey-SECRET-routing-456";
const SLACK_SECRET_PATH = "/services/T000/B000/SECRETslack789";

let temp: TempDir;
let repo: string;
let receivers: Receiver[] = [];
let sleeps: number[] = [];
beforeEach(() => {
  temp = makeTempDir("ops-alert-dispatch-");
  repo = temp.path;
  receivers = [];
  sleeps = [];
});
afterEach(async () => {
  for (const r of receivers) await r.close();
  temp.cleanup();
});

const o = () => opsPaths(repo, LOOP);

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

function escalation(category: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: "2026-02-22T11:00:00Z",
    loopId: LOOP,
    traceId: "esc-tr",
    category,
    transport: "local",
    ...extra,
  };
}

function writeEscalations(rows: Array<Record<string, unknown> | string>): void {
  mkdirSync(o().dir, { recursive: true });
  appendFileSync(
    o().escalations,
    rows.map((r) => `${typeof r === "string" ? r : JSON.stringify(r)}\n`).join(""),
  );
}

function writeConfig(
  sinks: Record<string, Record<string, unknown>>,
  routing: Record<string, unknown> = {},
): string {
  const file = path.join(repo, "sinks.json");
  writeFileSync(
    file,
    JSON.stringify({
      schemaVersion: "v1",
      defaultMinSeverity: "warning",
      sinks,
      routing: {
        defaultSinks: Object.keys(sinks),
        categorySeverity: { health_critical: "critical", health_degraded: "warning" },
        routes: [],
        ...routing,
      },
    }),
  );
  return file;
}

const webhookSink = (extra: Record<string, unknown> = {}) => ({
  enabled: true,
  type: "webhook",
  urlEnv: "WH_URL",
  authTokenEnv: "WH_TOKEN",
  headers: { "X-Team": "ops" },
  timeoutSeconds: 2,
  ...extra,
});

function readJsonl(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function ctx(env: Record<string, string>, extra: Partial<AlertDispatchContext> = {}): AlertDispatchContext {
  return {
    clock,
    env,
    cwd: repo,
    installRoot: INSTALL_ROOT,
    delivery: {
      baseBackoffMs: 10,
      maxBackoffMs: 3000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    ...extra,
  };
}

/** Every artifact a dispatch run wrote validates against its schema (schemas.ts). */
function expectArtifactsValid(state: unknown): void {
  expect(AlertDispatchStateSchema.parse(state)).toEqual(state);
  expect(
    AlertDispatchStateSchema.safeParse(JSON.parse(readFileSync(o().alertDispatchState, "utf8"))).error,
  ).toBeUndefined();
  const pendingFile = pendingDeliveriesFile(o().alertDispatchState);
  if (existsSync(pendingFile)) {
    expect(
      PendingDeliveriesFileSchema.safeParse(JSON.parse(readFileSync(pendingFile, "utf8"))).error,
    ).toBeUndefined();
  }
  for (const row of readJsonl(o().telemetry.alerts)) {
    expect(AlertTelemetryRowSchema.safeParse(row).error, JSON.stringify(row)).toBeUndefined();
  }
}

const run = async (
  env: Record<string, string>,
  input: Record<string, string> = {},
  extra: Partial<AlertDispatchContext> = {},
) => {
  const state = await alertDispatch(
    { repo, loop: LOOP, traceId: "trace-alert-dispatch-1", ...input },
    ctx(env, extra),
  );
  expectArtifactsValid(state);
  return state;
};

function sinksOf(row: Record<string, unknown> | undefined): Array<Record<string, unknown>> {
  return (row?.["sinks"] ?? []) as Array<Record<string, unknown>>;
}

/** Every file under the repo, concatenated: secrets must never appear in any artifact. */
function allArtifacts(): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (!full.endsWith("sinks.json")) out.push(readFileSync(full, "utf8"));
    }
  };
  walk(repo);
  return out.join("\n");
}

describe("alert-dispatch: cursor and bundled routing (spec 19 §3.1, §3.6)", () => {
  it("bundled config: every category skipped no_dispatchable_sinks; rerun is idempotent", async () => {
    writeEscalations([
      escalation("health_critical"),
      escalation("health_degraded"),
      escalation("divergence_detected"),
      escalation("profile_drift_detected"),
      escalation("ordering_drift_detected"),
    ]);
    const state = await run({});
    expect(state).toEqual({
      schemaVersion: "v1",
      updatedAt: NOW,
      loopId: LOOP,
      traceId: "trace-alert-dispatch-1",
      escalationsFile: o().escalations,
      dispatchTelemetryFile: o().telemetry.alerts,
      status: "success",
      processedCount: 5,
      dispatchedCount: 0,
      skippedCount: 5,
      failedCount: 0,
      failureReasonCodes: [],
      escalationsLineOffset: 5,
      escalationsLineCount: 5,
    });
    expect(JSON.parse(readFileSync(o().alertDispatchState, "utf8"))).toEqual(state);
    const rows = readJsonl(o().telemetry.alerts);
    expect(
      rows.map((r) => [r["escalationCategory"], r["status"], r["reasonCode"], r["eventSeverity"]]),
    ).toEqual([
      ["health_critical", "skipped", "no_dispatchable_sinks", "critical"],
      ["health_degraded", "skipped", "no_dispatchable_sinks", "warning"],
      ["divergence_detected", "skipped", "no_dispatchable_sinks", "warning"],
      ["profile_drift_detected", "skipped", "no_dispatchable_sinks", "warning"],
      ["ordering_drift_detected", "skipped", "no_dispatchable_sinks", "warning"],
    ]);
    expect(rows[0]).toMatchObject({
      timestamp: NOW,
      loopId: LOOP,
      traceId: "trace-alert-dispatch-1",
      category: "alert_dispatch",
      escalationTraceId: "esc-tr",
      escalationTimestamp: "2026-02-22T11:00:00Z",
      sinkCount: 0,
      dispatchedSinkCount: 0,
      failedSinkCount: 0,
    });
    const again = await run({});
    expect(again.status).toBe("no_new_escalations");
    expect(again.processedCount).toBe(0);
    expect(readJsonl(o().telemetry.alerts)).toHaveLength(5);
  });

  it("no_source, bad rows, max-escalations, unterminated tail (Q19-5), blank line (Q19-9), errors", async () => {
    expect((await run({})).status).toBe("no_source");
    writeEscalations([
      "",
      "{not json",
      JSON.stringify({ loopId: LOOP }),
      escalation("health_degraded", { severity: "loud" }),
    ]);
    appendFileSync(o().escalations, JSON.stringify(escalation("health_critical"))); // no newline yet
    const first = await run({}, { maxEscalations: "3" });
    expect(first).toMatchObject({
      status: "failed",
      processedCount: 3,
      skippedCount: 1,
      failedCount: 2,
      escalationsLineOffset: 3,
      escalationsLineCount: 4,
    });
    expect(first.failureReasonCodes).toEqual(["invalid_escalation_json", "missing_escalation_category"]);
    const second = await run({});
    expect(second).toMatchObject({
      status: "failed",
      processedCount: 1,
      failedCount: 1,
      escalationsLineOffset: 4,
      escalationsLineCount: 4,
    });
    expect(second.failureReasonCodes).toEqual(["route_resolution_failed"]);
    const rows = readJsonl(o().telemetry.alerts);
    expect(rows.map((r) => r["reasonCode"])).toEqual([
      "invalid_escalation_json",
      "missing_escalation_category",
      "route_resolution_failed",
    ]);
    expect(rows[0]).toMatchObject({ status: "failed", rawLine: "{not json" });
    expect(rows[2]?.["message"]).toBe("error: --severity must be one of: info, warning, critical");
    // The tail is completed: now it is processed (once).
    appendFileSync(o().escalations, "\n");
    expect(await run({})).toMatchObject({
      status: "success",
      processedCount: 1,
      skippedCount: 1,
      escalationsLineOffset: 5,
    });

    writeFileSync(o().alertDispatchState, JSON.stringify({ escalationsLineOffset: 99 }));
    await expect(run({})).rejects.toThrow(
      new ValidationError("dispatch state offset is ahead of escalation file: 99 > 5"),
    );
    writeFileSync(o().alertDispatchState, "{");
    await expect(run({})).rejects.toThrow(`invalid dispatch state JSON: ${o().alertDispatchState}`);
    // The pending redeliveries fail closed the same way, and stay as they were for the operator.
    writeFileSync(o().alertDispatchState, JSON.stringify({ escalationsLineOffset: 5 }));
    const pendingFile = pendingDeliveriesFile(o().alertDispatchState);
    writeFileSync(pendingFile, "{torn");
    await expect(run({})).rejects.toThrow(
      new ValidationError(`invalid pending deliveries JSON: ${pendingFile}`),
    );
    expect(readFileSync(pendingFile, "utf8")).toBe("{torn");
    rmSync(pendingFile);
    await expect(alertDispatch({ loop: LOOP }, ctx({}))).rejects.toThrow("--repo is required");
    await expect(alertDispatch({ repo }, ctx({}))).rejects.toThrow("--loop is required");
    await expect(alertDispatch({ repo, loop: LOOP, maxEscalations: "-1" }, ctx({}))).rejects.toThrow(
      "--max-escalations must be a non-negative integer",
    );
  });

  it("one file in two roles is refused before anything is read, sent or written", async () => {
    writeEscalations([escalation("health_critical")]);
    const before = readFileSync(o().escalations, "utf8");
    const refused = async (input: Record<string, string>, message: string) =>
      expect(alertDispatch({ repo, loop: LOOP, ...input }, ctx({}))).rejects.toThrow(
        new ValidationError(message),
      );
    await refused(
      { dispatchStateFile: o().escalations },
      `--dispatch-state-file must not be the escalations file: ${o().escalations}`,
    );
    await refused(
      { dispatchTelemetryFile: o().escalations },
      `--dispatch-telemetry-file must not be the escalations file: ${o().escalations}`,
    );
    await refused(
      { dispatchTelemetryFile: o().alertDispatchState },
      `--dispatch-telemetry-file must not be --dispatch-state-file: ${o().alertDispatchState}`,
    );
    const pending = pendingDeliveriesFile(o().alertDispatchState);
    await refused(
      { escalationsFile: pending },
      `the pending deliveries file must not be the escalations file: ${pending}`,
    );
    expect(readFileSync(o().escalations, "utf8")).toBe(before);
    expect(existsSync(o().alertDispatchState)).toBe(false);
    expect(existsSync(o().telemetry.alerts)).toBe(false);
  });

  it("a broken config fails each row with route_resolution_failed", async () => {
    writeEscalations([escalation("health_critical")]);
    const state = await run({}, { alertConfigFile: "missing.json" });
    expect(state).toMatchObject({
      status: "failed",
      failedCount: 1,
      failureReasonCodes: ["route_resolution_failed"],
    });
    expect(readJsonl(o().telemetry.alerts)[0]?.["message"]).toBe(
      "error: alert sink config file not found: missing.json",
    );
  });
});

describe("alert-dispatch: delivery to real HTTP receivers (spec 19 §3.4)", () => {
  it("webhook: exact request, Bearer token, one Content-Type (Q19-6), telemetry; no secrets written", async () => {
    const wh = await receiver([{ status: 202, body: "accepted\nthanks" }]);
    const config = writeConfig({
      wh: webhookSink({ headers: { "content-type": "application/json", "X-Team": "ops" } }),
    });
    writeEscalations([escalation("health_critical")]);
    const env = { WH_URL: `${wh.url}?token=${WEBHOOK_TOKEN}`, WH_TOKEN: WEBHOOK_TOKEN };
    const state = await run(env, { alertConfigFile: config });
    expect(state).toMatchObject({
      status: "success",
      dispatchedCount: 1,
      failedCount: 0,
      failureReasonCodes: [],
    });
    expect(wh.requests).toHaveLength(1);
    const req = wh.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.headers["authorization"]).toBe(`Bearer ${WEBHOOK_TOKEN}`);
    expect(req.headers["x-team"]).toBe("ops");
    expect(req.rawHeaders.filter((h) => h.toLowerCase() === "content-type")).toHaveLength(1);
    expect(req.json).toEqual({
      schemaVersion: "v1",
      emittedAt: NOW,
      source: { repoPath: repo, loopId: LOOP, channel: "ops_manager_alert_dispatch", traceId: "esc-tr" },
      event: { category: "health_critical", severity: "critical" },
      sink: { id: "wh", type: "webhook" },
      escalation: escalation("health_critical"),
    });
    const [row] = readJsonl(o().telemetry.alerts);
    expect(row).toMatchObject({
      status: "dispatched",
      escalationCategory: "health_critical",
      eventSeverity: "critical",
      sinkCount: 1,
      dispatchedSinkCount: 1,
      failedSinkCount: 0,
      sinks: [
        {
          id: "wh",
          type: "webhook",
          status: "success",
          httpStatus: 202,
          reasonCode: null,
          message: "accepted thanks",
          attempts: [{ attempt: 1, httpStatus: 202, reasonCode: null }],
        },
      ],
    });
    expect(row).not.toHaveProperty("reasonCode");
    expect(allArtifacts()).not.toContain(WEBHOOK_TOKEN);
    expect(allArtifacts()).not.toContain(wh.url);
  });

  it("Slack: exact body with escaped plain text and a real line break (Q19-3 careful)", async () => {
    const slack = await receiver([{ status: 200, body: "ok" }], SLACK_SECRET_PATH);
    const config = writeConfig({
      sl: {
        enabled: true,
        type: "slack",
        webhookUrlEnv: "SLACK_URL",
        channel: "#c",
        username: "u",
        iconEmoji: ":rotating_light:",
      },
    });
    writeEscalations([
      escalation("a<b>&c"),
      escalation("health_degraded", { timestamp: undefined, traceId: undefined }),
    ]);
    await run({ SLACK_URL: slack.url }, { alertConfigFile: config });
    const text = "[ops-manager][warning] a&lt;b&gt;&amp;c loop=demo-loop trace=esc-tr";
    expect(slack.requests[0]?.json).toEqual({
      text,
      channel: "#c",
      username: "u",
      icon_emoji: ":rotating_light:",
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: `*Ops Manager Alert*\nCategory: \`${text}\`` } },
        {
          type: "context",
          elements: [
            { type: "mrkdwn", text: "Escalation timestamp: `2026-02-22T11:00:00Z`" },
            { type: "mrkdwn", text: "Trace: `esc-tr`" },
          ],
        },
      ],
    });
    const second = slack.requests[1]?.json as {
      text: string;
      blocks: Array<{ elements?: Array<{ text: string }> }>;
    };
    expect(second.text).toBe(
      "[ops-manager][warning] health_degraded loop=demo-loop trace=trace-alert-dispatch-1",
    );
    expect(second.blocks[1]?.elements?.[0]?.text).toBe("Escalation timestamp unavailable");
    expect(allArtifacts()).not.toContain("SECRETslack789");
  });

  it("PagerDuty Events v2: overridable endpoint, exact body, stable dedup_key ≤ 255", async () => {
    const pd = await receiver([{ status: 202, body: '{"status":"success","dedup_key":"x"}' }], "/v2/enqueue");
    const config = writeConfig({
      pd: {
        enabled: true,
        type: "pagerduty_events",
        routingKeyEnv: "PD_KEY",
        component: "c",
        timeoutSeconds: 3,
      },
    });
    const longLoop = "L".repeat(300);
    writeEscalations([escalation("health_critical"), escalation("health_critical", { loopId: longLoop })]);
    await run({ PD_KEY, [PAGERDUTY_EVENTS_URL_ENV]: pd.url }, { alertConfigFile: config });
    expect(pd.requests[0]?.json).toEqual({
      routing_key: PD_KEY,
      event_action: "trigger",
      dedup_key: "demo-loop:health_critical:2026-02-22T11:00:00Z",
      payload: {
        summary: "ops-manager health_critical (critical) loop=demo-loop",
        severity: "critical",
        source: "superloop-ops-manager",
        component: "c",
        group: "loop-run",
        class: "escalation",
        custom_details: { escalation: escalation("health_critical"), traceId: "esc-tr" },
      },
    });
    const longKey = String((pd.requests[1]?.json as { dedup_key?: string } | undefined)?.dedup_key);
    expect(longKey.length).toBeLessThanOrEqual(255);
    expect(allArtifacts()).not.toContain(PD_KEY);
  });

  it("500 then success: retried with backoff, each attempt recorded", async () => {
    const wh = await receiver([
      { status: 500, body: "boom" },
      { status: 200, body: "" },
    ]);
    writeEscalations([escalation("health_critical")]);
    const state = await run(
      { WH_URL: wh.url, WH_TOKEN: WEBHOOK_TOKEN },
      { alertConfigFile: writeConfig({ wh: webhookSink() }) },
    );
    expect(state.status).toBe("success");
    expect(wh.requests).toHaveLength(2);
    expect(sleeps).toEqual([10]);
    const sink = (sinksOf(readJsonl(o().telemetry.alerts)[0]) as Array<Record<string, unknown>>)[0];
    expect(sink).toMatchObject({ status: "success", httpStatus: 200, message: null });
    expect(sink?.["attempts"]).toMatchObject([
      { attempt: 1, httpStatus: 500, reasonCode: "http_error", retryInMs: 10 },
      { attempt: 2, httpStatus: 200, reasonCode: null },
    ]);
  });

  it("429 honours Retry-After (capped)", async () => {
    const wh = await receiver([
      { status: 429, headers: { "Retry-After": "2" } },
      { status: 429, headers: { "Retry-After": "3600" } },
      { status: 204 },
    ]);
    writeEscalations([escalation("health_critical")]);
    await run(
      { WH_URL: wh.url },
      { alertConfigFile: writeConfig({ wh: webhookSink({ authTokenEnv: undefined }) }) },
    );
    expect(sleeps).toEqual([2000, 3000]);
    expect(wh.requests).toHaveLength(3);
    expect(wh.requests[0]?.headers["authorization"]).toBeUndefined();
    expect(readJsonl(o().telemetry.alerts)[0]).toMatchObject({ status: "dispatched" });
  });

  it("400 is not retried; the failed sink is redelivered on the next run, the accepting sink is not", async () => {
    const bad = await receiver([
      { status: 400, body: `bad request for ${WEBHOOK_TOKEN}` },
      { status: 200, body: "ok" },
    ]);
    const good = await receiver([{ status: 200, body: "ok" }]);
    const config = writeConfig({
      a: webhookSink({ urlEnv: "A_URL" }),
      b: webhookSink({ urlEnv: "B_URL" }),
    });
    const env = { A_URL: good.url, B_URL: bad.url, WH_TOKEN: WEBHOOK_TOKEN };
    writeEscalations([escalation("health_critical")]);
    const first = await run(env, { alertConfigFile: config });
    expect(first).toMatchObject({
      status: "partial",
      dispatchedCount: 1,
      failedCount: 1,
      failureReasonCodes: ["http_error"],
    });
    expect(bad.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const row = readJsonl(o().telemetry.alerts)[0]!;
    expect(row).toMatchObject({
      status: "partial",
      reasonCode: "partial_dispatch_failure",
      sinkCount: 2,
      dispatchedSinkCount: 1,
      failedSinkCount: 1,
    });
    expect((row["sinks"] as Array<Record<string, unknown>>)[1]).toMatchObject({
      id: "b",
      status: "failed",
      reasonCode: "http_error",
      httpStatus: 400,
      message: "bad request for [redacted]",
    });
    expect(
      JSON.parse(readFileSync(pendingDeliveriesFile(o().alertDispatchState), "utf8")).pending,
    ).toMatchObject([{ line: 1, sinks: ["b"], delivered: ["a"], runs: 0 }]);

    // A run with a broken config keeps what is owed (nothing sent, nothing dropped).
    await run(env, { alertConfigFile: "missing.json" });
    expect(bad.requests).toHaveLength(1);
    expect(
      JSON.parse(readFileSync(pendingDeliveriesFile(o().alertDispatchState), "utf8")).pending,
    ).toHaveLength(1);

    const second = await run(env, { alertConfigFile: config });
    expect(second.status).toBe("no_new_escalations");
    expect(good.requests).toHaveLength(1);
    expect(bad.requests).toHaveLength(2);
    expect(readJsonl(o().telemetry.alerts)[1]).toMatchObject({
      status: "dispatched",
      redelivery: { line: 1, run: 1, pendingSinks: [] },
      sinks: [{ id: "b", status: "success" }],
    });
    expect(JSON.parse(readFileSync(pendingDeliveriesFile(o().alertDispatchState), "utf8")).pending).toEqual(
      [],
    );
    // Nothing left: a third run neither sends nor records anything.
    await run(env, { alertConfigFile: config });
    expect(good.requests.length + bad.requests.length).toBe(3);
    expect(readJsonl(o().telemetry.alerts)).toHaveLength(2);
    expect(allArtifacts()).not.toContain(WEBHOOK_TOKEN);
  });

  it("redelivery commits each entry as it goes: a crash mid-run never re-sends an accepted entry", async () => {
    const a = await receiver([{ status: 400 }, { status: 400 }, { status: 200 }, { hang: true }]);
    const config = writeConfig({ a: webhookSink({ urlEnv: "A_URL", timeoutSeconds: 1 }) });
    const env = { A_URL: a.url, WH_TOKEN: WEBHOOK_TOKEN };
    writeEscalations([escalation("health_critical"), escalation("health_degraded")]);
    await run(env, { alertConfigFile: config });
    const pendingFile = pendingDeliveriesFile(o().alertDispatchState);
    const owed = () =>
      (JSON.parse(readFileSync(pendingFile, "utf8")) as { pending: Array<{ line: number }> }).pending.map(
        (p) => p.line,
      );
    expect(owed()).toEqual([1, 2]);
    // Line 1 is accepted, line 2 hangs: while it hangs (the moment a crash would lose the run),
    // the pending file already no longer owes line 1.
    const second = alertDispatch(
      { repo, loop: LOOP, traceId: "t2", alertConfigFile: config },
      ctx(env, { delivery: { maxAttempts: 1 } }),
    );
    for (let i = 0; i < 500 && a.requests.length < 4; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(a.requests).toHaveLength(4);
    expect(owed()).toEqual([2]);
    await second;
    expect(owed()).toEqual([2]);
  });

  it("a hung endpoint hits the timeout; a receiver that is down fails fast; both stay pending, none lost", async () => {
    const hung = await receiver([{ hang: true }]);
    const down = await downUrl();
    const config = writeConfig({
      h: webhookSink({ urlEnv: "H_URL", timeoutSeconds: 1 }),
      d: webhookSink({ urlEnv: "D_URL" }),
    });
    const env = { H_URL: hung.url, D_URL: down, WH_TOKEN: WEBHOOK_TOKEN };
    writeEscalations([escalation("health_critical"), escalation("health_degraded")]);
    // No wall-clock bound here (flaky on a loaded CI machine): a timeout that never fires runs
    // into the test's own time limit; the "timed out after 1s" message proves the 1 s limit applied.
    const state = await run(
      env,
      { alertConfigFile: config },
      { delivery: { maxAttempts: 2, baseBackoffMs: 1, sleep: async () => {} } },
    );
    expect(state).toMatchObject({
      status: "failed",
      dispatchedCount: 0,
      failedCount: 2,
      failureReasonCodes: ["request_failed"],
    });
    const rows = readJsonl(o().telemetry.alerts);
    const sinks = rows[0]?.["sinks"] as Array<Record<string, unknown>>;
    expect(sinks[0]).toMatchObject({
      id: "h",
      status: "failed",
      reasonCode: "request_failed",
      httpStatus: null,
      message: "request timed out after 1s",
    });
    expect(sinks[0]?.["attempts"]).toHaveLength(2);
    expect(sinks[1]).toMatchObject({
      id: "d",
      status: "failed",
      reasonCode: "request_failed",
      message: "request failed: ECONNREFUSED",
    });
    // Second row: the sinks are known down in this run, one attempt each.
    expect((sinksOf(rows[1]) as Array<{ attempts: unknown[] }>).map((s) => s.attempts.length)).toEqual([
      1, 1,
    ]);
    expect(hung.requests).toHaveLength(3);
    const pending = JSON.parse(readFileSync(pendingDeliveriesFile(o().alertDispatchState), "utf8")).pending;
    expect(pending.map((p: { line: number; sinks: string[] }) => [p.line, p.sinks])).toEqual([
      [1, ["h", "d"]],
      [2, ["h", "d"]],
    ]);
    // Recovery: both endpoints now answer; each escalation reaches each sink exactly once more.
    const up = await receiver([{ status: 200 }]);
    hung.replies = [{ status: 200 }];
    await run({ ...env, D_URL: up.url }, { alertConfigFile: config });
    expect(up.requests.map((r) => (r.json as { event: { category: string } }).event.category)).toEqual([
      "health_critical",
      "health_degraded",
    ]);
    expect(
      hung.requests.slice(3).map((r) => (r.json as { event: { category: string } }).event.category),
    ).toEqual(["health_critical", "health_degraded"]);
    expect(JSON.parse(readFileSync(pendingDeliveriesFile(o().alertDispatchState), "utf8")).pending).toEqual(
      [],
    );
    expect(allArtifacts()).not.toContain(down);
  });

  it("a 2xx with an endless or stalled body is delivered once: the status stands, the body read is capped", async () => {
    const endless = await receiver([{ status: 200, endless: true }]);
    const stalled = await receiver([{ status: 202, stallAfter: "accepted\nso far" }]);
    const config = writeConfig({
      e: webhookSink({ urlEnv: "E_URL", timeoutSeconds: 1 }),
      s: webhookSink({ urlEnv: "S_URL", timeoutSeconds: 1 }),
    });
    writeEscalations([escalation("health_critical")]);
    const state = await run(
      { E_URL: endless.url, S_URL: stalled.url, WH_TOKEN: WEBHOOK_TOKEN },
      { alertConfigFile: config },
    );
    expect(state).toMatchObject({ status: "success", dispatchedCount: 1, failedCount: 0 });
    // Accepted by both receivers: never retried in this run, nothing owed for later runs.
    expect(endless.requests).toHaveLength(1);
    expect(stalled.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const sinks = sinksOf(readJsonl(o().telemetry.alerts)[0]);
    expect(sinks[0]).toMatchObject({ id: "e", status: "success", httpStatus: 200, message: "x".repeat(300) });
    expect(sinks[1]).toMatchObject({
      id: "s",
      status: "success",
      httpStatus: 202,
      message: "accepted so far",
    });
    expect(existsSync(pendingDeliveriesFile(o().alertDispatchState))).toBe(false);
    await run({ E_URL: endless.url, S_URL: stalled.url }, { alertConfigFile: config });
    expect(endless.requests.length + stalled.requests.length).toBe(2);
  });

  it("nothing is sent while its telemetry or state cannot be written, so a re-run never sends twice", async () => {
    const wh = await receiver([{ status: 200, body: "ok" }]);
    const config = writeConfig({ wh: webhookSink() });
    const env = { WH_URL: wh.url, WH_TOKEN: WEBHOOK_TOKEN };
    writeEscalations([escalation("health_critical")]);
    const telemetryDir = path.join(repo, "telemetry-dir");
    mkdirSync(telemetryDir);
    const aFile = path.join(repo, "a-file");
    writeFileSync(aFile, "");
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(
        alertDispatch(
          { repo, loop: LOOP, alertConfigFile: config, dispatchTelemetryFile: telemetryDir },
          ctx(env),
        ),
      ).rejects.toThrow(`cannot write ${telemetryDir} (EISDIR)`);
      await expect(
        alertDispatch(
          { repo, loop: LOOP, alertConfigFile: config, dispatchStateFile: path.join(aFile, "state.json") },
          ctx(env),
        ),
      ).rejects.toThrow(`cannot create directory ${aFile} (ENOTDIR)`);
    }
    expect(wh.requests).toHaveLength(0);
    await expect(
      alertDispatch({ repo, loop: LOOP, alertConfigFile: config, escalationsFile: telemetryDir }, ctx(env)),
    ).rejects.toThrow(`cannot read ${telemetryDir} (EISDIR)`);
    expect((await run(env, { alertConfigFile: config })).dispatchedCount).toBe(1);
    expect((await run(env, { alertConfigFile: config })).status).toBe("no_new_escalations");
    expect(wh.requests).toHaveLength(1);
  });

  it("a sink URL fetch cannot use fails at once with its reason, without retries or the URL", async () => {
    const config = writeConfig({
      a: webhookSink({ urlEnv: "A_URL", authTokenEnv: undefined }),
      b: webhookSink({ urlEnv: "B_URL", authTokenEnv: undefined }),
      c: webhookSink({ urlEnv: "C_URL", authTokenEnv: undefined }),
    });
    writeEscalations([escalation("health_critical")]);
    const state = await run(
      {
        A_URL: "not a url SECRETa",
        B_URL: "ftp://127.0.0.1/SECRETb",
        C_URL: "http://u:SECRETc@127.0.0.1:9/",
      },
      { alertConfigFile: config },
    );
    expect(state).toMatchObject({ status: "failed", failureReasonCodes: ["request_failed"] });
    expect(sleeps).toEqual([]);
    expect(sinksOf(readJsonl(o().telemetry.alerts)[0])).toMatchObject([
      {
        id: "a",
        status: "failed",
        reasonCode: "request_failed",
        message: "request failed: invalid URL",
        attempts: [],
      },
      {
        id: "b",
        reasonCode: "request_failed",
        message: "request failed: URL scheme is not http or https",
        attempts: [],
      },
      {
        id: "c",
        reasonCode: "request_failed",
        message: "request failed: URL must not contain credentials",
        attempts: [],
      },
    ]);
    expect(allArtifacts()).not.toContain("SECRET");
  });

  it("a sink listed twice in a route is sent each escalation once", async () => {
    const wh = await receiver([{ status: 200 }]);
    const config = writeConfig({ wh: webhookSink() }, { defaultSinks: ["wh", "wh"] });
    writeEscalations([escalation("health_critical")]);
    const state = await run({ WH_URL: wh.url, WH_TOKEN: WEBHOOK_TOKEN }, { alertConfigFile: config });
    expect(state).toMatchObject({ status: "success", dispatchedCount: 1 });
    expect(wh.requests).toHaveLength(1);
    expect(readJsonl(o().telemetry.alerts)[0]).toMatchObject({ sinkCount: 1, dispatchedSinkCount: 1 });
  });

  it("missing_secret per selected sink (Q19-1 careful); unrouted enabled sinks do not block", async () => {
    const config = writeConfig(
      {
        wh: webhookSink({ authTokenEnv: undefined }),
        other: webhookSink({ urlEnv: "OTHER_URL", authTokenEnv: undefined }),
      },
      { defaultSinks: ["wh"] },
    );
    writeEscalations([escalation("health_critical")]);
    const state = await run({}, { alertConfigFile: config });
    expect(state).toMatchObject({ status: "failed", failureReasonCodes: ["missing_secret"] });
    expect((sinksOf(readJsonl(o().telemetry.alerts)[0]) as unknown[])[0]).toMatchObject({
      id: "wh",
      reasonCode: "missing_secret",
      message: "webhook url env is unset",
    });
  });
});

describe("alert-dispatch: OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT (spec 10 §4.1)", () => {
  function stub(name: string, body: string): string {
    const file = path.join(repo, name);
    writeFileSync(file, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 });
    return file;
  }

  it("non-zero exit → route_resolution_failed; non-JSON → invalid_route_resolution; JSON → routed", async () => {
    const wh = await receiver([{ status: 200 }]);
    writeEscalations([escalation("health_degraded")]);
    const failing = stub("fail", 'process.stderr.write("error: config\\nbroken\\n"); process.exit(1);');
    expect(await run({ OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT: failing })).toMatchObject({
      failureReasonCodes: ["route_resolution_failed"],
    });
    expect(readJsonl(o().telemetry.alerts)[0]).toMatchObject({ message: "error: config broken " });
    writeEscalations([escalation("health_degraded")]);
    const garbage = stub("garbage", 'console.log("not json");');
    expect(await run({ OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT: garbage })).toMatchObject({
      failureReasonCodes: ["invalid_route_resolution"],
    });
    expect(readJsonl(o().telemetry.alerts)[1]).toMatchObject({ message: "not json\n" });
    writeEscalations([escalation("health_degraded")]);
    const argsFile = path.join(repo, "args.json");
    const routed = stub(
      "routed",
      `require("node:fs").writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)));
console.log(JSON.stringify({ eventSeverity: "warning", shouldDispatch: true, dispatchableSinks: [
  { id: "wh", type: "webhook", enabled: true, timeoutSeconds: 2, secretRefs: { urlEnv: "WH_URL", authTokenEnv: null }, config: { headers: {} } },
] }));`,
    );
    expect(
      await run(
        { OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT: routed, WH_URL: wh.url },
        { alertConfigFile: "x.json" },
      ),
    ).toMatchObject({
      status: "success",
      dispatchedCount: 1,
    });
    expect(JSON.parse(readFileSync(argsFile, "utf8"))).toEqual([
      "--config-file",
      "x.json",
      "--category",
      "health_degraded",
    ]);
    expect(wh.requests).toHaveLength(1);
  });
});

describe("alert-dispatch: a hanging OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT", () => {
  it("is killed after its time limit: route_resolution_failed, the run ends", async () => {
    const file = path.join(repo, "hang");
    writeFileSync(file, "#!/usr/bin/env node\nsetInterval(() => {}, 1000);\n", { mode: 0o755 });
    writeEscalations([escalation("health_degraded")]);
    const state = await run(
      { OPS_MANAGER_ALERT_SINK_CONFIG_SCRIPT: file },
      {},
      { resolverHookTimeoutMs: 500 },
    );
    expect(state).toMatchObject({ status: "failed", failureReasonCodes: ["route_resolution_failed"] });
    expect(readJsonl(o().telemetry.alerts)[0]).toMatchObject({
      reasonCode: "route_resolution_failed",
      message: "error: alert sink config hook timed out after 500 ms",
    });
  });
});

describe("alert-dispatch: artifacts validate against schemas.ts", () => {
  it("redelivery rows (exhausted, source changed) validate; the schemas reject foreign values", async () => {
    const bad = await receiver([{ status: 400 }, { status: 400 }]);
    const config = writeConfig({ b: webhookSink({ urlEnv: "B_URL" }) });
    writeEscalations([escalation("health_critical"), escalation("health_degraded")]);
    await run({ B_URL: bad.url }, { alertConfigFile: config }, { maxRedeliveryRuns: 1 });
    // Line 2 is rewritten: its pending entry is abandoned; line 1 is exhausted after one run.
    const lines = readFileSync(o().escalations, "utf8").split("\n");
    lines[1] = JSON.stringify(escalation("health_degraded", { traceId: "other" }));
    writeFileSync(o().escalations, lines.join("\n"));
    await run({ B_URL: bad.url }, { alertConfigFile: config }, { maxRedeliveryRuns: 1 });
    const rows = readJsonl(o().telemetry.alerts);
    expect(rows.slice(2).map((r) => [r["status"], r["reasonCode"]])).toEqual([
      ["abandoned", "redelivery_exhausted"],
      ["abandoned", "redelivery_source_changed"],
    ]);
    const [first] = rows;
    expect(AlertTelemetryRowSchema.safeParse({ ...first, reasonCode: "made_up" }).success).toBe(false);
    expect(AlertTelemetryRowSchema.safeParse({ ...first, extra: 1 }).success).toBe(false);
    const state = JSON.parse(readFileSync(o().alertDispatchState, "utf8"));
    expect(AlertDispatchStateSchema.safeParse({ ...state, status: "done" }).success).toBe(false);
  });
});
