/**
 * Flag constructors and the flags many commands share, so their `--help` text is worded once.
 * Values arrive verbatim (strings); the package function each command calls validates them with
 * the spec's exact messages and order.
 */
import { ValidationError } from "@ops/contract";
import type { ListFlag, SwitchFlag, ValueFlag } from "./command.js";

export function valueFlag(describe: string): ValueFlag {
  return { kind: "value", describe };
}

export function switchFlag(describe: string): SwitchFlag {
  return { kind: "switch", describe };
}

export function listFlag(describe: string): ListFlag {
  return { kind: "list", describe: `${describe} (repeatable)` };
}

export const repoFlag = valueFlag("Managed repository containing .superloop/ (required)");
export const loopFlag = valueFlag("Loop id (required)");
export const prettyFlag = switchFlag("Indent the JSON output by 2 spaces");

/** `--format json|table`; `tableView` says what the table shows (the help text names it). */
export function formatFlag(tableView = "for a terminal"): ValueFlag {
  return valueFlag(`Output format: json (default) or table (${tableView}; colour only on a TTY)`);
}

export type OutputFormat = "json" | "table";

/** The `--format` value: absent → json; anything but json/table → ValidationError. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = value ?? "json";
  if (format !== "json" && format !== "table") throw new ValidationError("--format must be json or table");
  return format;
}
