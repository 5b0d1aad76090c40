/**
 * How status reads its inputs (spec 17 §1): JSON state files must be valid when they exist; for every
 * JSONL input only the **last line** is read, and a blank or unparseable last line counts as absent.
 */
import { open, stat } from "node:fs/promises";
import { ContractError, type JsonObject, readJsonFile, readLastCompleteLine } from "@ops/contract";
import { parseJsonObjectLine } from "@ops/health";
import { isJsonObject } from "./coalesce.js";

const NEWLINE = 0x0a;

/** True when something exists at `file` (any kind): the §1 "file exists" test. */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * A manager JSON state file: null when it does not exist, its object otherwise. Existing content
 * that is not a JSON object (unparseable, empty, an array/scalar, or not readable as a file) throws
 * `invalid <label> JSON: <file>` (exit 1). Empty/invalid content is re-read a few times first (the
 * store's torn-read policy) so a writer caught mid-write is not reported as corruption.
 */
export async function readStatusJsonFile(file: string, label: string): Promise<JsonObject | null> {
  let result: Awaited<ReturnType<typeof readJsonFile>>;
  try {
    result = await readJsonFile(file);
  } catch (error) {
    // Exists but cannot be read as a file (a directory, no permission).
    throw new ContractError(`invalid ${label} JSON: ${file}`, { cause: error });
  }
  if (result.kind === "missing") return null;
  if (result.kind === "ok" && isJsonObject(result.value)) return result.value;
  throw new ContractError(`invalid ${label} JSON: ${file}`);
}

/**
 * The last line of a JSONL file as a JSON object, or null ("absent") when the file is missing or
 * unreadable, has no complete line, or its last line is blank, unparseable or not an object.
 *
 * "Last line" is the last `\n`-terminated line (Q17-6: a trailing blank or corrupt line hides the
 * record before it — no fallback). An unterminated fragment after it is a record still being
 * appended and is ignored (spec 10 Q10-1 careful form, as in the contract store). Cost: the tail
 * of the file only (`readLastCompleteLine` reads backwards), never the whole file.
 */
export async function readLastJsonlObject(file: string): Promise<JsonObject | null> {
  try {
    const { size } = await stat(file);
    const last = await readLastCompleteLine(file, { endByte: size });
    if (last === null) return null;
    // readLastCompleteLine skips empty lines; if an empty line follows the one it found, the file's
    // real last line is blank.
    if (last.byteEnd < size && (await byteAt(file, last.byteEnd)) === NEWLINE) return null;
    return parseJsonObjectLine(last.text);
  } catch {
    return null;
  }
}

async function byteAt(file: string, position: number): Promise<number | undefined> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(1);
    const { bytesRead } = await handle.read(buffer, 0, 1, position);
    return bytesRead === 1 ? buffer[0] : undefined;
  } finally {
    await handle.close();
  }
}
