/**
 * Promotion gates (spec 30 §4): reading the three evidence sources. Everything that touches the
 * file system or a child process lives here; the gate logic is in evaluate.ts.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { type Clock, isJsonObject, isRegularFile, ValidationError } from "@ops/contract";
import { fleetStatus } from "@ops/fleet";
import { execa } from "execa";
import { classifyHandoffRecords, type DrillEvidence, type HandoffTelemetryEvidence } from "./evaluate.js";
import { validatePromotionDrillEvidence } from "./schemas.js";

export const FLEET_STATUS_SCRIPT_ENV = "OPS_MANAGER_FLEET_STATUS_SCRIPT";
/** How the in-process producer is named in `failed to read fleet status via <producer>`. */
export const IN_PROCESS_FLEET_STATUS_PRODUCER = "ops-manager fleet status";
export const FLEET_STATUS_OUTPUT_INVALID_MESSAGE = "fleet status output was not valid JSON";

export interface TextSink {
  write(text: string): unknown;
}

/** The in-process fleet status projection (spec 23), called with the repo only. */
export type FleetStatusProducer = (
  input: { readonly repo: string },
  ctx: {
    readonly clock?: Clock;
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly cwd?: string;
    readonly stderr?: TextSink;
  },
) => Promise<unknown>;

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** §4.1 `file` source: `display` is the path as given (used in messages), `file` the resolved one. */
export async function readFleetStatusFile(file: string, display: string): Promise<Record<string, unknown>> {
  if (!(await isRegularFile(file))) throw new ValidationError(`fleet status file not found: ${display}`);
  const parsed = parseJson(await readFile(file, "utf8"));
  // Careful Q3: a document that parses but is not an object is as invalid as broken JSON.
  if (!parsed.ok || !isJsonObject(parsed.value))
    throw new ValidationError(`invalid fleet status JSON: ${display}`);
  return parsed.value;
}

/** The in-process producer: `fleetStatus` of @ops/fleet (spec 23) with all its defaults. */
export const builtInFleetStatusProducer: FleetStatusProducer = (input, ctx) => fleetStatus(input, ctx);

/** One-line (or registry block) stderr text of a producer failure, as the producer's CLI prints it. */
function producerErrorText(error: unknown): string {
  if (isJsonObject(error) || error instanceof Error) {
    const withText = error as { toStderrText?: unknown };
    if (typeof withText.toStderrText === "function") {
      const text = String((withText.toStderrText as () => unknown).call(error));
      return text.endsWith("\n") ? text : `${text}\n`;
    }
  }
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ").trim();
  return `error: ${message || "fleet status failed"}\n`;
}

export interface GeneratedStatusOptions {
  readonly repo: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly clock: Clock;
  readonly stderr: TextSink;
  /** Overrides the in-process producer (tests, embedders). */
  readonly producer?: FleetStatusProducer | undefined;
}

/**
 * §4.1 `generated` source. With `OPS_MANAGER_FLEET_STATUS_SCRIPT` set the hook runs with exactly
 * `--repo <absolute repo>` (its stderr passed through); otherwise the fleet status projection runs
 * in-process with its defaults. A failing producer's own error text precedes ours.
 */
export async function generateFleetStatus(options: GeneratedStatusOptions): Promise<Record<string, unknown>> {
  const script = options.env[FLEET_STATUS_SCRIPT_ENV];
  if (script !== undefined && script !== "") {
    const result = await execa(script, ["--repo", options.repo], {
      env: { ...options.env },
      extendEnv: false,
      cwd: options.cwd,
      reject: false,
      stdin: "ignore",
      stripFinalNewline: false,
      encoding: "utf8",
    });
    const stderr = typeof result.stderr === "string" ? result.stderr : "";
    if (stderr !== "") options.stderr.write(stderr.endsWith("\n") ? stderr : `${stderr}\n`);
    if (result.failed || result.exitCode !== 0) {
      throw new ValidationError(`failed to read fleet status via ${script}`);
    }
    const parsed = parseJson(typeof result.stdout === "string" ? result.stdout : "");
    if (!parsed.ok || !isJsonObject(parsed.value))
      throw new ValidationError(FLEET_STATUS_OUTPUT_INVALID_MESSAGE);
    return parsed.value;
  }

  const producer = options.producer ?? builtInFleetStatusProducer;
  let document: unknown;
  try {
    document = await producer(
      { repo: options.repo },
      { clock: options.clock, env: options.env, cwd: options.cwd, stderr: options.stderr },
    );
  } catch (error) {
    options.stderr.write(producerErrorText(error));
    throw new ValidationError(`failed to read fleet status via ${IN_PROCESS_FLEET_STATUS_PRODUCER}`, {
      cause: error,
    });
  }
  // What the CLI would print must round-trip through JSON (drops `undefined`, rejects cycles).
  let roundTripped: unknown;
  try {
    roundTripped = JSON.parse(JSON.stringify(document) ?? "null");
  } catch {
    roundTripped = null;
  }
  if (!isJsonObject(roundTripped)) throw new ValidationError(FLEET_STATUS_OUTPUT_INVALID_MESSAGE);
  return roundTripped;
}

/**
 * §4.2 — handoff telemetry: missing when not a regular file; invalid when any non-blank line is not
 * JSON or not an object (careful Q3); otherwise the autonomous execute runs in file order. The whole
 * file is read (a final line without `\n` is parsed like any other, so a torn last line makes the
 * file invalid, as §4.2 says).
 */
export async function readHandoffTelemetry(file: string): Promise<HandoffTelemetryEvidence> {
  if (!(await isRegularFile(file))) return { state: "missing" };
  const records: unknown[] = [];
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const parsed = parseJson(line);
      if (!parsed.ok || !isJsonObject(parsed.value)) return { state: "invalid" };
      records.push(parsed.value);
    }
  } finally {
    lines.close();
  }
  return classifyHandoffRecords(records);
}

/**
 * §4.3 — drill evidence: missing when not a regular file; invalid when not JSON, not an object
 * (careful Q3) or structurally broken (ajv: `drills` must be an array of objects when present).
 */
export async function readDrillEvidence(file: string): Promise<DrillEvidence> {
  if (!(await isRegularFile(file))) return { state: "missing" };
  const parsed = parseJson(await readFile(file, "utf8"));
  if (!parsed.ok || !isJsonObject(parsed.value)) return { state: "invalid" };
  if (validatePromotionDrillEvidence(parsed.value).length > 0) return { state: "invalid" };
  const drills = parsed.value["drills"];
  return { state: "ok", drills: Array.isArray(drills) ? drills : [] };
}
