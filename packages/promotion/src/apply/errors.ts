/**
 * A promotion failure whose stderr is more than one `error:` line: a registry failure in apply
 * (the validator's own lines, then `error: failed to read/validate fleet registry`, spec 32 §2
 * steps 12/15) or a failed delegate in orchestration (its captured output, spec 33 §2 steps 3/7).
 * `stderrText` is the complete text to print, verbatim; `exitCode` the status to exit with.
 */
import { OpsError } from "@ops/contract";

export class PromotionStderrError extends OpsError {
  override readonly name = "PromotionStderrError";
  readonly stderrText: string;
  constructor(message: string, stderrText: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { exitCode: options.exitCode ?? 1, kind: "validation", cause: options.cause });
    this.stderrText = stderrText;
  }
}

/** Also true for an instance created by a second copy of this package (duck-typed). */
export function isPromotionStderrError(value: unknown): value is PromotionStderrError {
  return (
    value instanceof Error &&
    typeof (value as { stderrText?: unknown }).stderrText === "string" &&
    Number.isInteger((value as { exitCode?: unknown }).exitCode)
  );
}

/** `text` with a trailing newline unless it is empty or already has one. */
export function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

/**
 * One line saying why a hook executable did not run to an exit status (not found, not executable,
 * killed by a signal): execa's original error (`spawn <file> ENOENT`) when there is one, else its
 * short message, newlines folded — so the caller's `error:` line is a single line.
 */
export function hookFailureReason(result: {
  readonly originalMessage?: string | undefined;
  readonly shortMessage?: string | undefined;
}): string {
  const message = [result.originalMessage, result.shortMessage].find(
    (text): text is string => text !== undefined && text.trim() !== "",
  );
  return (message ?? "the hook did not run").replace(/\s*\n\s*/g, " ").trim();
}
