/**
 * `ops-manager service-client` (spec 16 §4) as a library function: validate the flags in the
 * spec's order, send the request through `serviceRequest`, and return the raw response body
 * (printed verbatim by the CLI) — or throw a `ServiceRequestError` whose message is the spec's
 * `service request failed (method=… url=… code=…): <body excerpt>` (exit 1).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isRegularFile, OpsError, ValidationError } from "@ops/contract";
import {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_TIME_SECONDS,
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_RETRY_BACKOFF_SECONDS,
  type ServiceMethod,
  type ServiceResponse,
  serviceFailureMessage,
  serviceRequest,
  serviceUrl,
} from "./client.js";

/** Flag values as the CLI received them. */
export interface ServiceClientInput {
  /** `--method` `GET` | `POST` (required; case-insensitive). */
  readonly method?: string | undefined;
  /** `--base-url` (required). */
  readonly baseUrl?: string | undefined;
  /** `--path` including the query string (required). */
  readonly path?: string | undefined;
  readonly token?: string | undefined;
  readonly traceId?: string | undefined;
  /** `--body-file`: required for POST, sent verbatim. */
  readonly bodyFile?: string | undefined;
  /** `--retry-attempts`, integer >= 1 (default 3). */
  readonly retryAttempts?: string | undefined;
  /** `--retry-backoff-seconds`, integer >= 0 (default 1). */
  readonly retryBackoffSeconds?: string | undefined;
  /** `--connect-timeout-seconds`, integer >= 0 (default 5); see `serviceClient`. */
  readonly connectTimeoutSeconds?: string | undefined;
  /** `--max-time-seconds`, integer >= 0 (default 30; 0 = no limit): whole-request limit per attempt. */
  readonly maxTimeSeconds?: string | undefined;
}

export interface ServiceClientContext {
  /** Directory a relative `--body-file` resolves against (default `$PWD`). */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Sleep between attempts (tests); default a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

/** The resolved, validated request (what `serviceClient` sends). */
export interface ServiceClientRequest {
  readonly method: ServiceMethod;
  readonly baseUrl: string;
  readonly path: string;
  readonly url: string;
  readonly token: string;
  readonly traceId: string;
  readonly body: Buffer | undefined;
  readonly retryAttempts: number;
  readonly retryBackoffSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly maxTimeSeconds: number;
}

export interface ServiceClientResult {
  /** The raw 2xx response body (what the CLI prints). */
  readonly body: string;
  readonly status: number;
  readonly url: string;
  readonly attempts: number;
  readonly response: ServiceResponse;
}

/** A failed request after the retries (non-2xx or transport error): exit 1. */
export class ServiceRequestError extends OpsError {
  override readonly name = "ServiceRequestError";
  constructor(readonly response: ServiceResponse) {
    super(serviceFailureMessage(response), {
      exitCode: 1,
      kind: "transport",
      reasonCode: "service_request_failed",
    });
  }
}

const UNSIGNED = /^[0-9]+$/;

function given(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function unsigned(value: string | undefined, fallback: number, message: string): number {
  if (value === undefined) return fallback;
  if (!UNSIGNED.test(value) || !Number.isSafeInteger(Number(value))) throw new ValidationError(message);
  return Number(value);
}

/** Validation in the spec's order; reads the body file. */
export async function resolveServiceClientRequest(
  input: ServiceClientInput,
  ctx: ServiceClientContext = {},
): Promise<ServiceClientRequest> {
  const methodText = given(input.method);
  if (methodText === undefined) throw new ValidationError("--method is required");
  const method = methodText.toUpperCase();
  if (method !== "GET" && method !== "POST") throw new ValidationError("--method must be GET or POST");
  const baseUrl = given(input.baseUrl);
  if (baseUrl === undefined) throw new ValidationError("--base-url is required");
  const requestPath = given(input.path);
  if (requestPath === undefined) throw new ValidationError("--path is required");
  const retryAttempts = unsigned(
    input.retryAttempts,
    DEFAULT_RETRY_ATTEMPTS,
    "--retry-attempts must be an integer >= 1",
  );
  if (retryAttempts < 1) throw new ValidationError("--retry-attempts must be an integer >= 1");
  const numbers = "timeout/backoff values must be non-negative integers";
  const retryBackoffSeconds = unsigned(input.retryBackoffSeconds, DEFAULT_RETRY_BACKOFF_SECONDS, numbers);
  const connectTimeoutSeconds = unsigned(
    input.connectTimeoutSeconds,
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    numbers,
  );
  const maxTimeSeconds = unsigned(input.maxTimeSeconds, DEFAULT_MAX_TIME_SECONDS, numbers);
  const url = serviceUrl(baseUrl, requestPath);

  let body: Buffer | undefined;
  if (method === "POST") {
    const bodyFile = given(input.bodyFile);
    if (bodyFile === undefined) throw new ValidationError("--body-file is required for POST");
    const cwd = ctx.cwd ?? process.env["PWD"] ?? process.cwd();
    const file = path.resolve(cwd, bodyFile);
    if (!(await isRegularFile(file))) throw new ValidationError(`body file not found: ${bodyFile}`);
    body = await readFile(file);
  }
  return {
    method,
    baseUrl,
    path: requestPath,
    url,
    token: input.token ?? "",
    traceId: input.traceId ?? "",
    body,
    retryAttempts,
    retryBackoffSeconds,
    connectTimeoutSeconds,
    maxTimeSeconds,
  };
}

/**
 * The service-client command. `--connect-timeout-seconds` is validated and recorded, but the global
 * `fetch` has no separate connect phase limit: connecting is bounded by `--max-time-seconds` (and by
 * fetch's own 10 s connect timeout).
 */
export async function serviceClient(
  input: ServiceClientInput,
  ctx: ServiceClientContext = {},
): Promise<ServiceClientResult> {
  const request = await resolveServiceClientRequest(input, ctx);
  const response = await serviceRequest({
    baseUrl: request.baseUrl,
    path: request.path,
    method: request.method,
    token: request.token,
    traceId: request.traceId,
    body: request.body,
    retryAttempts: request.retryAttempts,
    retryBackoffSeconds: request.retryBackoffSeconds,
    timeoutSeconds: request.maxTimeSeconds,
    sleep: ctx.sleep,
    signal: ctx.signal,
  });
  if (!response.ok) throw new ServiceRequestError(response);
  return {
    body: response.body,
    status: response.status,
    url: response.url,
    attempts: response.attempts,
    response,
  };
}
