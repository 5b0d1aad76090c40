/**
 * Promotion CI (spec 31 §3): the evaluator invocation. The argument vector is built once; the
 * built-in evaluator runs in-process on exactly that vector (parsed back into `promotionGates`
 * input), a replacement named by `OPS_MANAGER_PROMOTION_GATES_SCRIPT` runs as a child process with
 * it (each value one argument, never re-split — careful Q4). Either way the result is what a
 * process would have produced: exit status, stdout text and stderr text, kept apart (careful Q2).
 */
import { type Clock, errorMessage, formatJson, isOpsError } from "@ops/contract";
import { execa } from "execa";
import { hookFailureReason, withNewline } from "../apply/errors.js";
import type { FleetStatusProducer } from "../gates/evidence.js";
import { type PromotionGatesInput, promotionGates } from "../gates/promotion-gates.js";

export const PROMOTION_GATES_SCRIPT_ENV = "OPS_MANAGER_PROMOTION_GATES_SCRIPT";

/** What the wrapper forwards (§1 "Forwarded to evaluator?"), already reduced to effective values. */
export interface EvaluatorForward {
  readonly repo: string;
  readonly handoffTelemetryFile: string;
  readonly drillStateFile: string;
  readonly promotionStateFile: string;
  readonly promotionTelemetryFile: string;
  readonly fleetStatusFile?: string | undefined;
  readonly windowExecutions?: string | undefined;
  readonly minSampleSize?: string | undefined;
  readonly maxAmbiguityRate?: string | undefined;
  readonly maxFailureRate?: string | undefined;
  readonly maxManualBacklog?: string | undefined;
  readonly maxDrillAgeHours?: string | undefined;
  readonly traceId?: string | undefined;
  readonly pretty?: boolean | undefined;
  readonly failOnHold?: boolean | undefined;
}

/** Optional value flags in §3 order, with the input key each maps to. */
const OPTIONAL_VALUE_FLAGS = [
  ["--fleet-status-file", "fleetStatusFile"],
  ["--window-executions", "windowExecutions"],
  ["--min-sample-size", "minSampleSize"],
  ["--max-ambiguity-rate", "maxAmbiguityRate"],
  ["--max-failure-rate", "maxFailureRate"],
  ["--max-manual-backlog", "maxManualBacklog"],
  ["--max-drill-age-hours", "maxDrillAgeHours"],
  ["--trace-id", "traceId"],
] as const;

/** Every value flag of the evaluator and its input key (for parsing the vector back). */
const VALUE_FLAGS: Readonly<Record<string, keyof PromotionGatesInput>> = {
  "--repo": "repo",
  "--handoff-telemetry-file": "handoffTelemetryFile",
  "--drill-state-file": "drillStateFile",
  "--promotion-state-file": "promotionStateFile",
  "--promotion-telemetry-file": "promotionTelemetryFile",
  ...Object.fromEntries(OPTIONAL_VALUE_FLAGS),
};

/** §3 — the evaluator's argument vector, in the spec's order. Values are forwarded only when non-empty. */
export function promotionEvaluatorArgs(forward: EvaluatorForward): string[] {
  const args = [
    "--repo",
    forward.repo,
    "--handoff-telemetry-file",
    forward.handoffTelemetryFile,
    "--drill-state-file",
    forward.drillStateFile,
    "--promotion-state-file",
    forward.promotionStateFile,
    "--promotion-telemetry-file",
    forward.promotionTelemetryFile,
  ];
  for (const [flag, key] of OPTIONAL_VALUE_FLAGS) {
    const value = forward[key];
    if (value !== undefined && value !== "") args.push(flag, value);
  }
  if (forward.pretty === true) args.push("--pretty");
  if (forward.failOnHold === true) args.push("--fail-on-hold");
  return args;
}

export interface ParsedEvaluatorArgs {
  readonly input: PromotionGatesInput;
  readonly pretty: boolean;
}

/** Parses an evaluator argument vector the way `ops-manager promotion gates` does (last value wins). */
export function parsePromotionEvaluatorArgs(args: readonly string[]): ParsedEvaluatorArgs {
  const input: Record<string, string | boolean> = {};
  let pretty = false;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === "--pretty") pretty = true;
    else if (arg === "--fail-on-hold") input["failOnHold"] = true;
    else {
      const key = Object.hasOwn(VALUE_FLAGS, arg) ? VALUE_FLAGS[arg] : undefined;
      const value = args[index + 1];
      if (key === undefined) throw new TypeError(`unknown evaluator argument: ${arg}`);
      if (value === undefined) throw new TypeError(`${arg} requires a value`);
      input[key] = value;
      index += 1;
    }
  }
  return { input: input as PromotionGatesInput, pretty };
}

/** What the evaluator produced, as a process would have. */
export interface EvaluatorRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface EvaluatorContext {
  readonly clock?: Clock | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** In-process fleet status producer override (passed to `promotionGates`). */
  readonly fleetStatus?: FleetStatusProducer | undefined;
  readonly generateTraceId?: (() => string) | undefined;
}

/** Runs the built-in evaluator in-process on `args`, capturing what its CLI would print. */
async function runInProcess(args: readonly string[], ctx: EvaluatorContext): Promise<EvaluatorRun> {
  const { input, pretty } = parsePromotionEvaluatorArgs(args);
  let stderr = "";
  try {
    const outcome = await promotionGates(input, {
      ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
      ...(ctx.fleetStatus === undefined ? {} : { fleetStatus: ctx.fleetStatus }),
      ...(ctx.generateTraceId === undefined ? {} : { generateTraceId: ctx.generateTraceId }),
      env: ctx.env,
      cwd: ctx.cwd,
      stderr: { write: (text: string) => (stderr += text) },
    });
    return { exitCode: outcome.exitCode, stdout: formatJson(outcome.document, { pretty }), stderr };
  } catch (error) {
    stderr += `error: ${errorMessage(error) || "unexpected error"}\n`;
    const code = isOpsError(error) ? error.exitCode : 1;
    return { exitCode: Number.isInteger(code) && code >= 1 && code <= 255 ? code : 1, stdout: "", stderr };
  }
}

/** Runs the evaluator: the hook when `OPS_MANAGER_PROMOTION_GATES_SCRIPT` is set, else in-process. */
export async function runPromotionEvaluator(
  args: readonly string[],
  ctx: EvaluatorContext,
): Promise<EvaluatorRun> {
  const script = ctx.env[PROMOTION_GATES_SCRIPT_ENV];
  if (script === undefined || script === "") return runInProcess(args, ctx);
  const result = await execa(script, [...args], {
    env: { ...ctx.env },
    extendEnv: false,
    cwd: ctx.cwd,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    encoding: "utf8",
  });
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  let stderr = typeof result.stderr === "string" ? result.stderr : "";
  let exitCode = result.exitCode;
  if (exitCode === undefined) {
    // Could not start (missing / not executable) or killed by a signal: a failed evaluation.
    stderr = `${withNewline(stderr)}error: ${hookFailureReason(result)}\n`;
    exitCode = 1;
  }
  return { exitCode, stdout, stderr };
}
