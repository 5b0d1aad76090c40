/**
 * The `ops-manager` command tree: every command of spec 00's table, one module per command.
 * Per-loop commands (specs 11–19) print usage errors to stdout (spec 10 §1.2); the fleet and
 * promotion groups use the careful behaviour of spec 20 Q10 / spec 30 Q6 (usage to stderr).
 */
import { type CommandGroup, defineGroup } from "../command.js";
import { ALERT_SINKS_CATALOG, THRESHOLD_PROFILES_CATALOG, tryInstallRoot } from "../install-root.js";
import { alertDispatchCommand } from "./alert-dispatch.js";
import { alertSinkConfigCommand } from "./alert-sink-config.js";
import { confirmIntentCommand } from "./confirm-intent.js";
import { controlCommand } from "./control.js";
import { demoCommand } from "./demo.js";
import { fleetHandoffCommand } from "./fleet-handoff.js";
import { fleetPolicyCommand } from "./fleet-policy.js";
import { fleetReconcileCommand } from "./fleet-reconcile.js";
import { fleetRegistryCommand } from "./fleet-registry.js";
import { fleetStatusCommand } from "./fleet-status.js";
import { healthCommand } from "./health.js";
import { pollEventsCommand } from "./poll-events.js";
import { profileDriftCommand } from "./profile-drift.js";
import { projectStateCommand } from "./project-state.js";
import { promotionApplyCommand } from "./promotion-apply.js";
import { promotionCiCommand } from "./promotion-ci.js";
import { promotionGatesCommand } from "./promotion-gates.js";
import { promotionOrchestrateCommand } from "./promotion-orchestrate.js";
import { reconcileCommand } from "./reconcile.js";
import { serviceClientCommand } from "./service-client.js";
import { snapshotCommand } from "./snapshot.js";
import { statusCommand } from "./status.js";
import { telemetrySummaryCommand } from "./telemetry-summary.js";
import { thresholdProfileCommand } from "./threshold-profile.js";

export const fleetGroup = defineGroup({
  name: "fleet",
  describe: "Operate many loop runs as a fleet (registry, reconcile, policy, status, handoff)",
  usageStream: "stderr",
  commands: [
    fleetRegistryCommand,
    fleetReconcileCommand,
    fleetPolicyCommand,
    fleetStatusCommand,
    fleetHandoffCommand,
  ],
});

export const promotionGroup = defineGroup({
  name: "promotion",
  describe: "Evidence-gated promotion of the autonomous rollout (gates, ci, apply, orchestrate)",
  usageStream: "stderr",
  commands: [promotionGatesCommand, promotionCiCommand, promotionApplyCommand, promotionOrchestrateCommand],
});

/** Top-level help ends with where the bundled catalogs were found (spec 10 §1.1, quirk Q10-2). */
function catalogsEpilogue(): string {
  const found = tryInstallRoot();
  if (found === null) {
    return "Bundled catalogs: not found; pass --thresholds-file / --alert-config-file (or the env variables).";
  }
  return [
    `Bundled catalogs (install root ${found.root}):`,
    `  ${THRESHOLD_PROFILES_CATALOG}`,
    `  ${ALERT_SINKS_CATALOG}`,
  ].join("\n");
}

export const commandTree: CommandGroup = defineGroup({
  name: "ops-manager",
  describe: "Operations layer for Superloop loop runs",
  usageStream: "stdout",
  epilogue: catalogsEpilogue,
  commands: [
    snapshotCommand,
    pollEventsCommand,
    projectStateCommand,
    reconcileCommand,
    healthCommand,
    controlCommand,
    confirmIntentCommand,
    serviceClientCommand,
    statusCommand,
    telemetrySummaryCommand,
    thresholdProfileCommand,
    profileDriftCommand,
    alertSinkConfigCommand,
    alertDispatchCommand,
    fleetGroup,
    promotionGroup,
    demoCommand,
  ],
});
