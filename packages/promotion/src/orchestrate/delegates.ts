/**
 * How orchestration runs its two delegates (spec 33 §3): the CI wrapper and promotion apply.
 * In-process by default — the package function is called with the input its CLI would build from
 * exactly the §3.1 / §3.2 argument vector — or, when `OPS_MANAGER_PROMOTION_CI_SCRIPT` /
 * `OPS_MANAGER_PROMOTION_APPLY_SCRIPT` names an executable, that executable via execa with that
 * argument vector (each value exactly one argument, careful Q1; no shell). Either way the outcome
 * is what a process would give: exit status, stdout, stderr.
 */
import { type Clock, errorMessage, formatJson } from "@ops/contract";
import { execa } from "execa";
import { type PromotionApplyInput, promotionApply } from "../apply/apply.js";
import { hookFailureReason, isPromotionStderrError, withNewline } from "../apply/errors.js";

export const PROMOTION_CI_SCRIPT_ENV = "OPS_MANAGER_PROMOTION_CI_SCRIPT";
export const PROMOTION_APPLY_SCRIPT_ENV = "OPS_MANAGER_PROMOTION_APPLY_SCRIPT";

export interface DelegateOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr in the order they were written (what is relayed on failure). */
  readonly output: string;
}

export interface DelegateContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly clock?: Clock | undefined;
}

/** A delegate: argument vector in, process-like outcome out. */
export type DelegateRunner = (args: readonly string[], ctx: DelegateContext) => Promise<DelegateOutcome>;

/** Runs `hook` with `args` (no shell, env = `ctx.env` only); stdin closed. */
export async function runHook(
  hook: string,
  args: readonly string[],
  ctx: DelegateContext,
): Promise<DelegateOutcome> {
  const result = await execa(hook, [...args], {
    all: true,
    reject: false,
    cwd: ctx.cwd,
    env: { ...ctx.env } as NodeJS.ProcessEnv,
    extendEnv: false,
    stdin: "ignore",
  });
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  const all = typeof result.all === "string" ? result.all : `${stdout}${stderr}`;
  if (result.exitCode === undefined) {
    // Not run at all (ENOENT, EACCES) or killed by a signal: a failure with a reason.
    const why = `error: ${hookFailureReason(result)}\n`;
    return { exitCode: 1, stdout, stderr: withNewline(stderr) + why, output: withNewline(all) + why };
  }
  return { exitCode: result.exitCode, stdout, stderr, output: all };
}

/**
 * Parses an argument vector of value flags (`--name value`), switches and repeatable flags into an
 * input object: `--approval-ref` → `approvalRef`. Only for vectors this module builds itself.
 */
export function argumentsToInput(
  args: readonly string[],
  spec: { readonly switches?: readonly string[]; readonly lists?: Readonly<Record<string, string>> },
): Record<string, string | boolean | string[]> {
  const out: Record<string, string | boolean | string[]> = {};
  const camel = (flag: string) => flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i] as string;
    if (spec.switches?.includes(flag) === true) {
      out[camel(flag)] = true;
      continue;
    }
    const value = args[i + 1];
    if (!flag.startsWith("--") || value === undefined)
      throw new Error(`malformed delegate arguments at ${flag}`);
    i += 1;
    const list = spec.lists?.[flag];
    if (list !== undefined) {
      const collected = out[list];
      out[list] = [...(Array.isArray(collected) ? collected : []), value];
    } else {
      out[camel(flag)] = value;
    }
  }
  return out;
}

/** What the CLI would have written for a failed in-process command. */
export function failureOutcome(error: unknown, stderrSoFar = ""): DelegateOutcome {
  const text = isPromotionStderrError(error)
    ? error.stderrText
    : `error: ${errorMessage(error) || "unexpected error"}\n`;
  const code = (error as { exitCode?: unknown }).exitCode;
  const exitCode =
    Number.isInteger(code) && (code as number) >= 1 && (code as number) <= 255 ? (code as number) : 1;
  const stderr = stderrSoFar + text;
  return { exitCode, stdout: "", stderr, output: stderr };
}

/** Promotion apply in-process, with the input `ops-manager promotion apply <args>` would build. */
export const runApplyInProcess: DelegateRunner = async (args, ctx) => {
  const input = argumentsToInput(args, {
    lists: { "--evidence-ref": "evidenceRefs" },
  }) as PromotionApplyInput;
  let stderr = "";
  try {
    const record = await promotionApply(input, {
      env: ctx.env,
      cwd: ctx.cwd,
      ...(ctx.clock === undefined ? {} : { clock: ctx.clock }),
      stderr: { write: (text: string) => (stderr += text) },
    });
    const stdout = formatJson(record);
    return { exitCode: 0, stdout, stderr, output: stdout + stderr };
  } catch (error) {
    return failureOutcome(error, stderr);
  }
};
