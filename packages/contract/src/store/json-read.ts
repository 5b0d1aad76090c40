/**
 * Reading whole JSON documents. Runtime files (`state.json`, `active-run.json`, `approval.json`, …)
 * are written in place by another process, so a read can catch them empty or half-written
 * (spec 10a §3–4.1); `readJsonFile` re-reads before it reports them invalid. Manager-owned files are
 * replaced atomically (see atomic-write.ts), so `readJsonFileStrict` reads once and fails loudly.
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { OpsError } from "../errors.js";
import { errnoCode, isNotFoundError } from "./fs-errors.js";

export type JsonReadResult =
  | { readonly kind: "missing" }
  | { readonly kind: "ok"; readonly value: unknown; readonly text: string }
  | { readonly kind: "invalid"; readonly error: Error };

export interface ReadJsonFileOptions {
  /** Extra reads after an empty or unparseable one (default 4). */
  readonly retries?: number;
  /** Pause before each extra read, in ms (default 5). */
  readonly retryDelayMs?: number;
}

export const DEFAULT_TORN_READ_RETRIES = 4;
export const DEFAULT_TORN_READ_DELAY_MS = 5;

/**
 * Read a JSON file another process may be rewriting in place. Empty or invalid content is re-read
 * up to `retries` times before it is reported `invalid`; a file that disappears meanwhile is
 * `missing`. Other I/O errors (permissions, a directory) throw an OpsError of kind "io".
 */
export async function readJsonFile(file: string, options: ReadJsonFileOptions = {}): Promise<JsonReadResult> {
  const retries = options.retries ?? DEFAULT_TORN_READ_RETRIES;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_TORN_READ_DELAY_MS;
  let attempt = 0;
  for (;;) {
    const result = await readJsonOnce(file);
    if (result.kind !== "invalid" || attempt >= retries) return result;
    attempt += 1;
    await sleep(retryDelayMs);
  }
}

/**
 * Read a manager-owned JSON file: `undefined` when it does not exist, otherwise its parsed value.
 * Those files are replaced atomically, so bad content is real corruption: no retry, and an OpsError
 * (kind "io") with the message `invalid JSON in <file>`.
 */
export async function readJsonFileStrict(file: string): Promise<unknown> {
  const result = await readJsonOnce(file);
  if (result.kind === "missing") return undefined;
  if (result.kind === "invalid") {
    throw new OpsError(`invalid JSON in ${file}`, { kind: "io", cause: result.error });
  }
  return result.value;
}

async function readJsonOnce(file: string): Promise<JsonReadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isNotFoundError(error)) return { kind: "missing" };
    throw new OpsError(`cannot read ${file} (${errnoCode(error) ?? String(error)})`, {
      kind: "io",
      cause: error,
    });
  }
  // An empty file is what a reader sees between the runtime's truncate and its write.
  if (text.trim().length === 0)
    return { kind: "invalid", error: new SyntaxError(`empty JSON file: ${file}`) };
  try {
    return { kind: "ok", value: JSON.parse(text) as unknown, text };
  } catch (error) {
    return { kind: "invalid", error: error instanceof Error ? error : new SyntaxError(String(error)) };
  }
}
