/**
 * Machine output (spec 10 §1.3): one JSON document per write, compact by default, 2-space indented
 * with `--pretty`, always newline-terminated, never mixed with other text.
 */
export interface JsonOutputOptions {
  readonly pretty?: boolean | undefined;
}

export function formatJson(value: unknown, options: JsonOutputOptions = {}): string {
  const text = options.pretty === true ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  if (text === undefined) throw new TypeError("value is not representable as JSON");
  return `${text}\n`;
}

/** NDJSON: one compact document per line (poll-events output, JSONL rows). */
export function formatJsonLines(values: Iterable<unknown>): string {
  let out = "";
  for (const value of values) out += formatJson(value);
  return out;
}

/** Plain lines (e.g. `--list` modes), each newline-terminated. */
export function formatLines(lines: Iterable<string>): string {
  let out = "";
  for (const line of lines) out += `${line}\n`;
  return out;
}

/** A rendered table as the lines `printLines` prints (one trailing newline dropped, none added twice). */
export function tableLines(table: string): string[] {
  return table.replace(/\n$/, "").split("\n");
}
