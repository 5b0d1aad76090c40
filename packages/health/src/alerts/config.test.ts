import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AlertSinksCatalogSchema, ValidationError } from "@ops/contract";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertSinkConfig, alertSinkConfigSchemaIssues, selectAlertSinksFile } from "./config.js";

const INSTALL_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const BUNDLED = path.join(INSTALL_ROOT, "config/ops-manager-alert-sinks.v1.json");
const bundled = (): Record<string, unknown> =>
  JSON.parse(readFileSync(BUNDLED, "utf8")) as Record<string, unknown>;

let temp: TempDir;
beforeEach(() => {
  temp = makeTempDir("ops-alert-config-");
});
afterEach(() => temp.cleanup());

function write(name: string, content: unknown): string {
  const file = path.join(temp.path, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const ctx = (env: Record<string, string> = {}) => ({ env, cwd: temp.path, installRoot: INSTALL_ROOT });

describe("alert sink config path (spec 19 §1)", () => {
  it("flag → env → bundled", () => {
    expect(selectAlertSinksFile("a.json", ctx({ OPS_MANAGER_ALERT_SINKS_FILE: "b.json" }))).toBe("a.json");
    expect(selectAlertSinksFile(undefined, ctx({ OPS_MANAGER_ALERT_SINKS_FILE: "b.json" }))).toBe("b.json");
    expect(selectAlertSinksFile("", ctx())).toBe(BUNDLED);
  });

  it("the bundled config passes the contract schema and the zod schema", () => {
    expect(alertSinkConfigSchemaIssues(bundled())).toEqual([]);
    expect(AlertSinksCatalogSchema.safeParse(bundled()).success).toBe(true);
  });
});

describe("alert-sink-config (spec 19 §2)", () => {
  it("summary mode over the bundled config", async () => {
    const result = await alertSinkConfig({}, ctx({ OPS_MANAGER_ALERT_WEBHOOK_URL: "http://x" }));
    expect(result.kind).toBe("document");
    if (result.kind !== "document") return;
    expect(result.document).toEqual({
      schemaVersion: "v1",
      sourceFile: BUNDLED,
      defaultMinSeverity: "warning",
      sinks: [
        {
          id: "webhook-default",
          enabled: false,
          type: "webhook",
          timeoutSeconds: 5,
          secretRefs: {
            urlEnv: "OPS_MANAGER_ALERT_WEBHOOK_URL",
            authTokenEnv: "OPS_MANAGER_ALERT_WEBHOOK_TOKEN",
          },
        },
        {
          id: "slack-default",
          enabled: false,
          type: "slack",
          timeoutSeconds: 5,
          secretRefs: { webhookUrlEnv: "OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL" },
        },
        {
          id: "pagerduty-default",
          enabled: false,
          type: "pagerduty_events",
          timeoutSeconds: 5,
          secretRefs: { routingKeyEnv: "OPS_MANAGER_ALERT_PAGERDUTY_ROUTING_KEY" },
        },
      ],
      enabledSinkCount: 0,
      routing: bundled()["routing"],
      envStatus: {
        OPS_MANAGER_ALERT_PAGERDUTY_ROUTING_KEY: { present: false },
        OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL: { present: false },
        OPS_MANAGER_ALERT_WEBHOOK_TOKEN: { present: false },
        OPS_MANAGER_ALERT_WEBHOOK_URL: { present: true },
      },
      validation: { envCheckEnabled: true },
    });
  });

  it("--list-sinks", async () => {
    expect(await alertSinkConfig({ listSinks: true }, ctx())).toEqual({
      kind: "list",
      lines: [
        "webhook-default\twebhook\tfalse",
        "slack-default\tslack\tfalse",
        "pagerduty-default\tpagerduty_events\tfalse",
      ],
    });
  });

  it("category mode: route, mapped severity, dispatchable sinks; relative sourceFile kept (Q19-10)", async () => {
    const config = bundled();
    (config["sinks"] as Record<string, Record<string, unknown>>)["slack-default"]!["enabled"] = true;
    write("cfg/sinks.json", config);
    const result = await alertSinkConfig(
      { configFile: "cfg/sinks.json", category: "health_critical" },
      ctx({ OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL: "https://hooks.example/secret" }),
    );
    if (result.kind !== "document") throw new Error("expected a document");
    const doc = result.document;
    expect(doc["sourceFile"]).toBe("cfg/sinks.json");
    expect(doc["eventSeverity"]).toBe("critical");
    expect(doc["categoryMappedSeverity"]).toBe("critical");
    expect(doc["minSeverity"]).toBe("critical");
    expect(doc["shouldDispatch"]).toBe(true);
    expect(doc["selectedSinks"]).toEqual([
      {
        id: "pagerduty-default",
        type: "pagerduty_events",
        enabled: false,
        timeoutSeconds: 5,
        secretRefs: { routingKeyEnv: "OPS_MANAGER_ALERT_PAGERDUTY_ROUTING_KEY" },
        config: {
          source: "superloop-ops-manager",
          component: "ops-manager",
          group: "loop-run",
          class: "escalation",
        },
      },
      {
        id: "slack-default",
        type: "slack",
        enabled: true,
        timeoutSeconds: 5,
        secretRefs: { webhookUrlEnv: "OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL" },
        config: { channel: "#ops-alerts", username: "ops-manager", iconEmoji: ":rotating_light:" },
      },
    ]);
    expect((doc["dispatchableSinks"] as Array<{ id: string }>).map((s) => s.id)).toEqual(["slack-default"]);
    expect(JSON.stringify(doc)).not.toContain("hooks.example");
    // Below minimum: nothing dispatchable.
    const low = await alertSinkConfig(
      { configFile: "cfg/sinks.json", category: "health_critical", severity: "warning" },
      ctx({ OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL: "x" }),
    );
    if (low.kind !== "document") throw new Error("expected a document");
    expect(low.document["shouldDispatch"]).toBe(false);
    expect(low.document["dispatchableSinks"]).toEqual([]);
    // No route: default sinks, default min severity; absent keys omitted.
    const none = await alertSinkConfig({ category: "ordering_drift_detected", noEnvCheck: true }, ctx());
    if (none.kind !== "document") throw new Error("expected a document");
    expect(none.document).not.toHaveProperty("route");
    expect(none.document).not.toHaveProperty("categoryMappedSeverity");
    expect(none.document["eventSeverity"]).toBe("warning");
    expect((none.document["selectedSinks"] as Array<{ id: string }>).map((s) => s.id)).toEqual([
      "webhook-default",
    ]);
  });

  it("validation order and exact messages", async () => {
    const reject = async (input: Parameters<typeof alertSinkConfig>[0], message: string, env = {}) => {
      await expect(alertSinkConfig(input, ctx(env))).rejects.toThrow(new ValidationError(message));
    };
    await reject(
      { listSinks: true, category: "x", severity: "bad" },
      "--list-sinks cannot be combined with --category",
    );
    await reject({ severity: "bad" }, "--severity requires --category");
    await reject({ category: "x", severity: "bad" }, "--severity must be one of: info, warning, critical");
    await reject({ configFile: "nope.json" }, "alert sink config file not found: nope.json");
    write("bad.json", "{");
    await reject({ configFile: "bad.json" }, "invalid alert sink config JSON: bad.json");
    write("top.json", { ...bundled(), sinks: {} });
    await reject({ configFile: "top.json" }, "alert sink config has invalid top-level shape");
    const badSink = bundled();
    (badSink["sinks"] as Record<string, Record<string, unknown>>)["webhook-default"]!["urlEnv"] =
      "lower-case";
    write("sink.json", badSink);
    await reject({ configFile: "sink.json" }, "alert sink config sink definitions are invalid");
    const badRoute = bundled();
    (badRoute["routing"] as Record<string, unknown>)["defaultSinks"] = ["missing"];
    write("route.json", badRoute);
    await reject({ configFile: "route.json" }, "alert sink config routing is invalid");
    const enabled = bundled();
    for (const sink of Object.values(enabled["sinks"] as Record<string, Record<string, unknown>>))
      sink["enabled"] = true;
    write("enabled.json", enabled);
    await reject(
      { configFile: "enabled.json", listSinks: true },
      "enabled sink secret env var(s) are unset: OPS_MANAGER_ALERT_PAGERDUTY_ROUTING_KEY OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL OPS_MANAGER_ALERT_WEBHOOK_TOKEN OPS_MANAGER_ALERT_WEBHOOK_URL",
    );
    await expect(
      alertSinkConfig({ configFile: "enabled.json", noEnvCheck: true }, ctx()),
    ).resolves.toBeTruthy();
    const mapped = bundled();
    (mapped["routing"] as Record<string, unknown>)["categorySeverity"] = {};
    mapped["defaultMinSeverity"] = "warning";
    write("ok.json", mapped);
  });

  it("Q19-11: runtime validation stays looser than the schema (decision: do not reject)", async () => {
    const loose: Record<string, unknown> = { ...bundled(), extraTopLevel: true };
    (loose["sinks"] as Record<string, Record<string, unknown>>)["webhook-default"]!["timeoutSeconds"] = 2.5;
    write("loose.json", loose);
    const result = await alertSinkConfig({ configFile: "loose.json" }, ctx());
    expect(result.kind).toBe("document");
    expect(alertSinkConfigSchemaIssues(loose).length).toBeGreaterThan(0);
  });
});
