/**
 * Spec 22 §7.1 (policy `autonomous.governance`) and §8 (governance audit event): pure.
 */
import {
  GovernanceAuditEventType,
  isJsonObject,
  type NormalizedFleetAutonomous,
  type NormalizedFleetGovernance,
} from "@ops/contract";
import type { GovernanceAuditEvent, GovernanceEventType, PolicyGovernance } from "./schemas.js";

type Mode = "advisory" | "guarded_auto";

const AUTHORITY_KEYS = ["actor", "approvalRef", "rationale", "changedAt", "reviewBy"] as const;

/**
 * §7.1 — the registry governance (keys with null values omitted) plus `requiredForGuardedAuto`
 * (always true) and `authorityContextPresent` (true outside guarded_auto; else all five present).
 */
export function policyGovernance(governance: NormalizedFleetGovernance, mode: Mode): PolicyGovernance {
  const declared: Record<string, unknown> = {};
  for (const key of [...AUTHORITY_KEYS, "reviewWindowDays"] as const) {
    const value = governance[key];
    if (value !== undefined && value !== null) declared[key] = value;
  }
  const complete = AUTHORITY_KEYS.every((key) => Object.hasOwn(declared, key));
  return {
    ...(declared as Partial<PolicyGovernance>),
    requiredForGuardedAuto: true,
    authorityContextPresent: mode !== "guarded_auto" || complete,
  };
}

/** Structural equality of JSON values; object key order is irrelevant, array order is not. */
export function jsonDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonDeepEqual(item, b[index]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    // Absent and explicit `undefined` are the same thing in JSON.
    const keysA = Object.keys(a).filter((key) => a[key] !== undefined);
    const keysB = Object.keys(b).filter((key) => b[key] !== undefined);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((key) => Object.hasOwn(b, key) && jsonDeepEqual(a[key], b[key]));
  }
  return false;
}

/** §8 snapshot: `{mode (default "advisory"), controls (default {}), governance (default {})}`. */
export interface GovernanceSnapshot {
  readonly mode: unknown;
  readonly controls: unknown;
  readonly governance: unknown;
}

/** Snapshot of a previous policy state document (any JSON; absent/null fields defaulted). */
export function previousGovernanceSnapshot(previous: unknown): GovernanceSnapshot {
  const document = isJsonObject(previous) ? previous : {};
  const autonomous = isJsonObject(document["autonomous"]) ? document["autonomous"] : {};
  return {
    mode: document["mode"] ?? "advisory",
    controls: autonomous["controls"] ?? {},
    governance: autonomous["governance"] ?? {},
  };
}

/**
 * §8 — which event (if any) a run appends: no previous state → initialized; mode differs →
 * toggled (wins); controls or governance differ → mutated; identical → none.
 */
export function governanceEventType(
  previous: GovernanceSnapshot | null,
  next: GovernanceSnapshot,
): GovernanceEventType | null {
  if (previous === null) return GovernanceAuditEventType.AutonomousPolicyInitialized;
  if (!jsonDeepEqual(previous.mode, next.mode)) return GovernanceAuditEventType.AutonomousModeToggled;
  if (
    !jsonDeepEqual(previous.controls, next.controls) ||
    !jsonDeepEqual(previous.governance, next.governance)
  ) {
    return GovernanceAuditEventType.AutonomousPolicyMutated;
  }
  return null;
}

export interface GovernanceEventInput {
  /** Parsed previous policy state, or null when there was no previous file. */
  readonly previousPolicyState: unknown;
  readonly timestamp: string;
  readonly fleetId: string;
  readonly traceId: string;
  readonly mode: Mode;
  readonly governance: PolicyGovernance;
  readonly controls: NormalizedFleetAutonomous;
  readonly source: GovernanceAuditEvent["source"];
}

/** §8 — the governance audit event of this run, or null (identical snapshots: no line). */
export function governanceAuditEvent(input: GovernanceEventInput): GovernanceAuditEvent | null {
  const previous =
    input.previousPolicyState === null || input.previousPolicyState === undefined
      ? null
      : previousGovernanceSnapshot(input.previousPolicyState);
  const eventType = governanceEventType(previous, {
    mode: input.mode,
    controls: input.controls,
    governance: input.governance,
  });
  if (eventType === null) return null;
  return {
    timestamp: input.timestamp,
    category: "fleet_policy_governance",
    eventType,
    fleetId: input.fleetId,
    traceId: input.traceId,
    mode: input.mode,
    ...(previous === null ? {} : { previousMode: previous.mode }),
    governance: input.governance,
    ...(previous === null ? {} : { previousGovernance: previous.governance }),
    controls: input.controls,
    ...(previous === null ? {} : { previousControls: previous.controls }),
    source: input.source,
  };
}
