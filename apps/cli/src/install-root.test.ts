import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  ALERT_SINKS_CATALOG,
  findInstallRoot,
  installRoot,
  THRESHOLD_PROFILES_CATALOG,
} from "./install-root.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("findInstallRoot", () => {
  const temp = mkdtempSync(path.join(tmpdir(), "ops-install-root-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("walks up to the nearest directory holding config/ops-manager-threshold-profiles.v1.json", () => {
    mkdirSync(path.join(temp, "config"));
    writeFileSync(path.join(temp, THRESHOLD_PROFILES_CATALOG), "{}");
    const deep = path.join(temp, "apps", "cli", "dist");
    mkdirSync(deep, { recursive: true });
    expect(findInstallRoot(deep)).toEqual({
      root: temp,
      thresholdProfilesFile: path.join(temp, "config", "ops-manager-threshold-profiles.v1.json"),
      alertSinksFile: path.join(temp, "config", "ops-manager-alert-sinks.v1.json"),
    });
  });

  it("returns null when no ancestor has the catalog", () => {
    const bare = mkdtempSync(path.join(tmpdir(), "ops-no-root-"));
    try {
      // The temp dir's ancestors (/tmp, /) hold no catalog.
      expect(findInstallRoot(bare)).toBeNull();
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe("installRoot (this checkout)", () => {
  it("is the monorepo root, found from the CLI's own file", () => {
    expect(installRoot()).toEqual({
      root: repoRoot,
      thresholdProfilesFile: path.join(repoRoot, THRESHOLD_PROFILES_CATALOG),
      alertSinksFile: path.join(repoRoot, ALERT_SINKS_CATALOG),
    });
  });
});

describe("bundled catalogs", () => {
  const read = (file: string): unknown => JSON.parse(readFileSync(path.join(repoRoot, file), "utf8"));

  it("threshold profiles carry the values of spec 14 §6 / spec 18 §1", () => {
    expect(read(THRESHOLD_PROFILES_CATALOG)).toEqual({
      schemaVersion: "v1",
      defaultProfile: "balanced",
      profiles: {
        strict: {
          degradedIngestLagSeconds: 120,
          criticalIngestLagSeconds: 300,
          degradedTransportFailureStreak: 1,
          criticalTransportFailureStreak: 2,
          description: "Fast detection for short-feedback loops with high signal confidence",
        },
        balanced: {
          degradedIngestLagSeconds: 300,
          criticalIngestLagSeconds: 900,
          degradedTransportFailureStreak: 2,
          criticalTransportFailureStreak: 4,
          description: "Default dogfood profile balancing alert timeliness and noise",
        },
        relaxed: {
          degradedIngestLagSeconds: 600,
          criticalIngestLagSeconds: 1800,
          degradedTransportFailureStreak: 3,
          criticalTransportFailureStreak: 6,
          description: "Noise-reduction profile for unstable environments or heavy churn",
        },
      },
    });
  });

  it("alert sinks are the spec 19 §1 default: three disabled sinks and the default routes", () => {
    const catalog = read(ALERT_SINKS_CATALOG) as {
      sinks: Record<string, { enabled: boolean; type: string; timeoutSeconds: number }>;
      routing: { routes: { category: string; sinks: string[]; minSeverity: string; enabled: boolean }[] };
    };
    expect(
      Object.entries(catalog.sinks).map(([id, sink]) => [id, sink.type, sink.enabled, sink.timeoutSeconds]),
    ).toEqual([
      ["webhook-default", "webhook", false, 5],
      ["slack-default", "slack", false, 5],
      ["pagerduty-default", "pagerduty_events", false, 5],
    ]);
    expect(catalog).toMatchObject({
      schemaVersion: "v1",
      defaultMinSeverity: "warning",
      sinks: {
        "webhook-default": {
          urlEnv: "OPS_MANAGER_ALERT_WEBHOOK_URL",
          authTokenEnv: "OPS_MANAGER_ALERT_WEBHOOK_TOKEN",
          headers: { "Content-Type": "application/json" },
        },
        "slack-default": {
          webhookUrlEnv: "OPS_MANAGER_ALERT_SLACK_WEBHOOK_URL",
          channel: "#ops-alerts",
          username: "ops-manager",
          iconEmoji: ":rotating_light:",
        },
        "pagerduty-default": {
          routingKeyEnv: "OPS_MANAGER_ALERT_PAGERDUTY_ROUTING_KEY",
          source: "superloop-ops-manager",
          component: "ops-manager",
          group: "loop-run",
          class: "escalation",
        },
      },
      routing: {
        defaultSinks: ["webhook-default"],
        categorySeverity: {
          divergence_detected: "warning",
          health_degraded: "warning",
          health_critical: "critical",
          profile_drift_detected: "warning",
        },
      },
    });
    expect(catalog.routing.routes).toEqual([
      {
        category: "health_critical",
        enabled: true,
        minSeverity: "critical",
        sinks: ["pagerduty-default", "slack-default"],
      },
      { category: "health_degraded", enabled: true, minSeverity: "warning", sinks: ["slack-default"] },
      { category: "divergence_detected", enabled: true, minSeverity: "warning", sinks: ["slack-default"] },
      { category: "profile_drift_detected", enabled: true, minSeverity: "warning", sinks: ["slack-default"] },
    ]);
  });
});
