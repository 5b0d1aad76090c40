/**
 * `promotion gates` (spec 30): read fleet status, handoff telemetry and drill evidence, evaluate
 * the five gates, overwrite the promotion state and append one promotion telemetry line, return
 * the decision document and the exit code (2 for `hold` with `--fail-on-hold`, after the writes).
 */
import path from "node:path";
import {
  appendJsonl,
  assertWritable,
  type Clock,
  ensureDirectory,
  fleetPaths,
  formatTimestamp,
  PromotionDecision,
  PromotionFleetStatusSource,
  resolveTraceId,
  systemClock,
  ValidationError,
  writeJsonAtomic,
} from "@ops/contract";
import {
  commandCwd,
  effectivePath,
  nonEmpty,
  type PromotionEvidenceFlags,
  repoDirectory,
} from "../shared/args.js";
import { evaluatePromotionGates } from "./evaluate.js";
import {
  type FleetStatusProducer,
  generateFleetStatus,
  readDrillEvidence,
  readFleetStatusFile,
  readHandoffTelemetry,
  type TextSink,
} from "./evidence.js";
import {
  PROMOTION_SCHEMA_VERSION,
  type PromotionDecisionDocument,
  PromotionDecisionSchema,
  type PromotionThresholds,
} from "./schemas.js";

/** §3 defaults. */
export const PROMOTION_GATE_DEFAULTS = {
  windowExecutions: 20,
  minSampleSize: 20,
  maxAmbiguityRate: 0.2,
  maxFailureRate: 0.2,
  maxManualBacklog: 5,
  maxDrillAgeHours: 168,
} as const satisfies PromotionThresholds;

/** §3 validation messages, in validation order. */
export const PromotionGatesMessage = {
  RepoRequired: "--repo is required",
  WindowExecutions: "--window-executions must be an integer >= 1",
  MinSampleSize: "--min-sample-size must be an integer >= 1",
  MaxAmbiguityRate: "--max-ambiguity-rate must be a number between 0 and 1",
  MaxFailureRate: "--max-failure-rate must be a number between 0 and 1",
  MaxManualBacklog: "--max-manual-backlog must be an integer >= 0",
  MaxDrillAgeHours: "--max-drill-age-hours must be an integer >= 1",
} as const;

/** Flag values as the CLI received them (strings / booleans / undefined). */
export interface PromotionGatesInput extends PromotionEvidenceFlags {
  readonly repo?: string | undefined;
  readonly promotionStateFile?: string | undefined;
  readonly promotionTelemetryFile?: string | undefined;
  readonly traceId?: string | undefined;
  readonly failOnHold?: boolean | undefined;
}

export interface PromotionGatesContext {
  /** "Now", read once per run (default the system clock). */
  readonly clock?: Clock;
  /** Environment (default `process.env`): `OPS_MANAGER_TRACE_ID`, `OPS_MANAGER_FLEET_STATUS_SCRIPT`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory `--repo` and relative path flags resolve against (default `$PWD`). */
  readonly cwd?: string;
  /** Where the fleet status producer's stderr goes (default `process.stderr`). */
  readonly stderr?: TextSink;
  /** Replaces the in-process fleet status projection (ignored when the hook variable is set). */
  readonly fleetStatus?: FleetStatusProducer;
  /** Trace id generator when neither `--trace-id` nor the env variable is set (default a UUID). */
  readonly generateTraceId?: () => string;
}

export interface PromotionGatesOutcome {
  /** The decision document (what the CLI prints; identical to the state file and telemetry line). */
  readonly document: PromotionDecisionDocument;
  /** 0, or 2 when `--fail-on-hold` and the decision is `hold`. */
  readonly exitCode: 0 | 2;
}

const UNSIGNED_INTEGER = /^[0-9]+$/u;
const RATE = /^([0-9]+(\.[0-9]+)?|\.[0-9]+)$/u;

/** Integer flag (§2): `^[0-9]+$`, base 10 (careful Q8: `010` is 10), `>= min`. */
export function parseIntegerFlag(
  value: string | undefined,
  fallback: number,
  min: number,
  message: string,
): number {
  if (value === undefined) return fallback;
  if (!UNSIGNED_INTEGER.test(value)) throw new ValidationError(message);
  const parsed = Number.parseInt(value, 10);
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new ValidationError(message);
  return parsed;
}

/** Rate flag (§2): the rate grammar and `0 <= value <= 1`; echoed as a JSON number. */
export function parseRateFlag(value: string | undefined, fallback: number, message: string): number {
  if (value === undefined) return fallback;
  if (!RATE.test(value)) throw new ValidationError(message);
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new ValidationError(message);
  return parsed;
}

/** §3 threshold validation, in the spec's order. */
export function parsePromotionThresholds(input: PromotionGatesInput): PromotionThresholds {
  const d = PROMOTION_GATE_DEFAULTS;
  const m = PromotionGatesMessage;
  return {
    windowExecutions: parseIntegerFlag(input.windowExecutions, d.windowExecutions, 1, m.WindowExecutions),
    minSampleSize: parseIntegerFlag(input.minSampleSize, d.minSampleSize, 1, m.MinSampleSize),
    maxAmbiguityRate: parseRateFlag(input.maxAmbiguityRate, d.maxAmbiguityRate, m.MaxAmbiguityRate),
    maxFailureRate: parseRateFlag(input.maxFailureRate, d.maxFailureRate, m.MaxFailureRate),
    maxManualBacklog: parseIntegerFlag(input.maxManualBacklog, d.maxManualBacklog, 0, m.MaxManualBacklog),
    maxDrillAgeHours: parseIntegerFlag(input.maxDrillAgeHours, d.maxDrillAgeHours, 1, m.MaxDrillAgeHours),
  };
}

/** Validate `--repo` (presence only) — the first check after argument parsing. */
function requireRepo(repo: string | undefined): string {
  if (!nonEmpty(repo)) throw new ValidationError(PromotionGatesMessage.RepoRequired);
  return repo;
}

export async function promotionGates(
  input: PromotionGatesInput,
  ctx: PromotionGatesContext = {},
): Promise<PromotionGatesOutcome> {
  const repoFlag = requireRepo(input.repo);
  const thresholds = parsePromotionThresholds(input);
  const env = ctx.env ?? process.env;
  const cwd = commandCwd(ctx);
  const repo = await repoDirectory(repoFlag, cwd);

  // "Now" once, whole seconds: generatedAt and every age computation.
  const nowEpochSeconds = Math.floor((ctx.clock ?? systemClock).now().getTime() / 1000);
  const clock: Clock = { now: () => new Date(nowEpochSeconds * 1000) };
  const stderr = ctx.stderr ?? process.stderr;

  const defaults = fleetPaths(repo);
  const statusFlag = nonEmpty(input.fleetStatusFile) ? input.fleetStatusFile : undefined;
  const handoff = effectivePath(input.handoffTelemetryFile, defaults.telemetry.handoff, cwd);
  const drills = effectivePath(input.drillStateFile, defaults.promotionDrills, cwd);
  const stateFile = effectivePath(input.promotionStateFile, defaults.promotionState, cwd);
  const telemetryFile = effectivePath(input.promotionTelemetryFile, defaults.telemetry.promotion, cwd);

  const fleetStatus =
    statusFlag === undefined
      ? await generateFleetStatus({ repo, env, cwd, clock, stderr, producer: ctx.fleetStatus })
      : await readFleetStatusFile(path.resolve(cwd, statusFlag), statusFlag);

  const [handoffEvidence, drillEvidence] = await Promise.all([
    readHandoffTelemetry(handoff.file),
    readDrillEvidence(drills.file),
  ]);
  const { summary, gates } = evaluatePromotionGates(
    { fleetStatus, handoff: handoffEvidence, drills: drillEvidence },
    thresholds,
    nowEpochSeconds,
  );

  const document: PromotionDecisionDocument = {
    schemaVersion: PROMOTION_SCHEMA_VERSION,
    generatedAt: formatTimestamp(nowEpochSeconds),
    traceId: resolveTraceId(input.traceId, env, ctx.generateTraceId),
    source: {
      repoPath: repo,
      fleetStatusSource:
        statusFlag === undefined ? PromotionFleetStatusSource.Generated : PromotionFleetStatusSource.File,
      fleetStatusFile: statusFlag ?? null,
      handoffTelemetryFile: handoff.shown,
      drillStateFile: drills.shown,
      promotionStateFile: stateFile.shown,
      promotionTelemetryFile: telemetryFile.shown,
    },
    thresholds,
    summary,
    gates,
  };
  // The document we write must be the schema's; a mismatch is a bug, never written.
  PromotionDecisionSchema.parse(document);

  // §7: state (atomic replace, careful Q12) then telemetry, before stdout and the --fail-on-hold exit.
  // Both destinations are prepared and checked first: the state is never replaced without its
  // history line (a telemetry path under a file, or a directory, fails before any write).
  await ensureDirectory(path.dirname(stateFile.file));
  await ensureDirectory(path.dirname(telemetryFile.file));
  await assertWritable([stateFile.file, telemetryFile.file]);
  await writeJsonAtomic(stateFile.file, document);
  await appendJsonl(telemetryFile.file, document);

  const hold = summary.decision === PromotionDecision.Hold;
  return { document, exitCode: hold && input.failOnHold === true ? 2 : 0 };
}
