/**
 * Machine output (spec 10 §1.3): one JSON document per write, compact by default, 2-space indented
 * with `--pretty`, always newline-terminated, never mixed with other text.
 */
import { formatJson as formatJsonDocument } from "@ops/contract";

export interface JsonOutputOptions {
  readonly pretty?: boolean | undefined;
}

/** The same serialisation as every manager artifact (`formatJson` of @ops/contract). */
export function formatJson(value: unknown, options: JsonOutputOptions = {}): string {
  return formatJsonDocument(value, { pretty: options.pretty === true });
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
