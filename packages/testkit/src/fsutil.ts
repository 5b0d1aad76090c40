import fs from "node:fs";
import path from "node:path";

/** Compact JSON + newline: the format the simulated runtime uses for its JSON state files. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** Rewrite in place (truncate + write), like the runtime does for state/active-run/approval/stuck. */
export function writeInPlace(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Replace atomically (temp file + rename), like the runtime does for run-summary.json. */
export function writeAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

export function appendText(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, text);
}

export function removeFile(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Parsed JSON, `null` when the file is absent. Throws on invalid JSON (tests want to see torn files). */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  return JSON.parse(text);
}

/** Every complete (newline-terminated) line of a JSONL file, parsed. Unterminated tail is skipped. */
export function readJsonLines(file: string): unknown[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  lines.pop();
  return lines.filter((line) => line.length > 0).map((line) => JSON.parse(line) as unknown);
}

export type TornMode = "empty" | "half";

export interface TornWrite {
  readonly file: string;
  /** The content a completed write would have produced. */
  readonly content: string;
  /** Finish the write now (idempotent). */
  heal(): void;
  /** Resolves once healed (immediately pending until `heal()` or the `healAfterMs` timer). */
  readonly healed: Promise<void>;
}

export interface TornWriteOptions {
  /** Complete the write automatically after this many ms (tests of read-retry logic). */
  healAfterMs?: number;
}

/**
 * Leave `file` as a reader would see it in the middle of an in-place rewrite (spec 10a §3): empty
 * (just truncated) or the first half of `content`. Nothing is written until `heal()`.
 */
export function tornWrite(
  file: string,
  content: string,
  mode: TornMode,
  options: TornWriteOptions = {},
): TornWrite {
  const bytes = Buffer.from(content, "utf8");
  const partial = mode === "empty" ? Buffer.alloc(0) : bytes.subarray(0, Math.floor(bytes.length / 2));
  writeInPlaceBytes(file, partial);
  let done = false;
  let resolveHealed: () => void = () => {};
  const healed = new Promise<void>((resolve) => {
    resolveHealed = resolve;
  });
  let timer: NodeJS.Timeout | undefined;
  const heal = () => {
    if (done) return;
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    writeInPlaceBytes(file, bytes);
    resolveHealed();
  };
  if (options.healAfterMs !== undefined) timer = setTimeout(heal, options.healAfterMs);
  return { file, content, heal, healed };
}

function writeInPlaceBytes(file: string, bytes: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}
