/**
 * Typed errors of the ops manager. Every failure a command can report is an OpsError carrying the
 * exit code the spec gives; the CLI maps them to `error: <message>` + exit code in one place.
 */
export type OpsErrorKind =
  /** Unknown argument or malformed flag: the CLI prints usage first. */
  | "usage"
  /** A fail-closed validation of operator input (flags, config files). */
  | "validation"
  /** A runtime artifact is missing or violates the contract. */
  | "contract"
  /** An I/O failure reading or writing manager artifacts. */
  | "io"
  /** A transport (HTTP, child process) failure. */
  | "transport"
  /** A lock on a loop's artifacts could not be acquired in time. */
  | "lock";

export interface OpsErrorOptions {
  readonly exitCode?: number;
  readonly kind?: OpsErrorKind;
  /** Stable machine-readable reason code, when the spec defines one for this failure. */
  readonly reasonCode?: string;
  readonly cause?: unknown;
}

export class OpsError extends Error {
  override readonly name: string = "OpsError";
  readonly exitCode: number;
  readonly kind: OpsErrorKind;
  readonly reasonCode: string | undefined;

  constructor(message: string, options: OpsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
    this.kind = options.kind ?? "validation";
    this.reasonCode = options.reasonCode;
  }
}

/** Unknown argument / bad flag shape: usage goes to stdout, `error: <message>` to stderr, exit 1. */
export class UsageError extends OpsError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(message, { exitCode: 1, kind: "usage" });
  }
}

/** Fail-closed validation error (spec 10 §1.2): one `error:` line, exit 1, nothing written. */
export class ValidationError extends OpsError {
  override readonly name = "ValidationError";
  constructor(message: string, options: Omit<OpsErrorOptions, "kind"> = {}) {
    super(message, { ...options, kind: "validation" });
  }
}

/** A runtime artifact is missing, unreadable or breaks the contract (e.g. an invalid event line). */
export class ContractError extends OpsError {
  override readonly name = "ContractError";
  constructor(message: string, options: Omit<OpsErrorOptions, "kind"> = {}) {
    super(message, { ...options, kind: "contract" });
  }
}

export class LockTimeoutError extends OpsError {
  override readonly name = "LockTimeoutError";
  constructor(message: string, options: Omit<OpsErrorOptions, "kind"> = {}) {
    super(message, { ...options, kind: "lock" });
  }
}

export function isOpsError(value: unknown): value is OpsError {
  return value instanceof OpsError;
}

/** One-line description of any thrown value, for `error: <message>` output. */
export function errorMessage(value: unknown): string {
  const text = value instanceof Error ? value.message : String(value);
  return text.replace(/\s*\n\s*/g, " ").trim();
}
