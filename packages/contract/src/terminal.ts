/**
 * Terminal mechanics shared by the `--format table` renderers: tones and their ANSI codes, a
 * control-character sanitizer for values coming from artifacts, a status-word tone classifier, and
 * column alignment by visible width (ANSI codes do not count). Colour is the caller's choice (the
 * CLI: stdout is a TTY and `NO_COLOR` is unset); with `color: false` nothing here emits ESC.
 */

export type Tone = "good" | "warn" | "bad" | "muted" | "plain";

/** SGR codes of the tones (`plain` has none). */
export const ANSI_TONES: Readonly<Record<Exclude<Tone, "plain">, string>> = {
  good: "\u001b[32m",
  warn: "\u001b[33m",
  bad: "\u001b[31m",
  muted: "\u001b[2m",
};
export const ANSI_BOLD = "\u001b[1m";
export const ANSI_RESET = "\u001b[0m";

/** Printable text: control characters (C0, DEL, C1 — ESC included) become `?`; non-strings are JSON. */
export function sanitize(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

export interface ToneRules {
  readonly good?: Iterable<string>;
  readonly warn?: Iterable<string>;
  readonly bad?: Iterable<string>;
  readonly muted?: Iterable<string>;
}

/** A status-word classifier: null/undefined are `muted`, listed words get their tone, others `plain`. */
export function toneClassifier(rules: ToneRules): (value: string | null | undefined) => Tone {
  const tones = new Map<string, Tone>();
  for (const tone of ["muted", "bad", "warn", "good"] as const) {
    for (const word of rules[tone] ?? []) tones.set(word, tone);
  }
  return (value) => (value === null || value === undefined ? "muted" : (tones.get(value) ?? "plain"));
}

/** Paints text in a tone, or bold; both are the identity when colour is off. */
export interface Terminal {
  readonly color: boolean;
  paint(text: string, tone: Tone): string;
  bold(text: string): string;
}

export function terminal(color: boolean): Terminal {
  return {
    color,
    paint: (text, tone) => (color && tone !== "plain" ? `${ANSI_TONES[tone]}${text}${ANSI_RESET}` : text),
    bold: (text) => (color ? `${ANSI_BOLD}${text}${ANSI_RESET}` : text),
  };
}

// CSI sequences (SGR colours included): ESC [ parameters intermediates final-byte.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point
const CSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;

/** Width of the text on a terminal line, ANSI codes not counted (one column per UTF-16 unit). */
export function visibleWidth(text: string): number {
  return text.replace(CSI, "").length;
}

/** The text followed by spaces up to `width` visible columns (unchanged when already as wide). */
export function padVisible(text: string, width: number): string {
  return `${text}${" ".repeat(Math.max(0, width - visibleWidth(text)))}`;
}

/**
 * `label` padded to `width` (bold with colour), then the non-empty parts joined by two spaces;
 * trailing blanks trimmed.
 */
export function labelledLine(
  term: Terminal,
  label: string,
  width: number,
  parts: readonly (string | null | undefined)[],
): string {
  const text = parts.filter((part): part is string => part !== null && part !== undefined && part !== "");
  return `${term.bold(padVisible(label, width))}${text.join("  ")}`.trimEnd();
}

export interface Cell {
  readonly text: string;
  readonly tone: Tone;
}

export interface ColumnsOptions {
  /**
   * What the colour codes wrap. `text` (default): each cell's text, padding outside, header cells
   * bold one by one. `padded`: each padded cell, and the header line is one bold run.
   */
  readonly spans?: "text" | "padded";
}

/**
 * A header line plus one line per row, aligned: every column but the last is padded to its widest
 * visible width (header included), cells are joined by two spaces, trailing blanks are trimmed.
 * Cell texts should already be sanitized.
 */
export function formatColumns(
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
  term: Terminal,
  options: ColumnsOptions = {},
): string[] {
  const widths = header.map((title, column) =>
    Math.max(visibleWidth(title), ...rows.map((cells) => visibleWidth(cells[column]?.text ?? ""))),
  );
  const last = header.length - 1;
  const pad = (text: string, column: number) =>
    column >= last ? text : padVisible(text, widths[column] ?? 0);
  const line = (cells: readonly string[]) => cells.join("  ").trimEnd();
  if (options.spans === "padded") {
    return [
      term.bold(line(header.map(pad))),
      ...rows.map((cells) =>
        line(cells.map((cell, column) => term.paint(pad(cell.text, column), cell.tone))),
      ),
    ];
  }
  return [
    line(header.map((title, column) => pad(term.bold(title), column))),
    ...rows.map((cells) => line(cells.map((cell, column) => pad(term.paint(cell.text, cell.tone), column)))),
  ];
}

/** Whole seconds as a compact duration for tables: `45s`, `12m05s`, `3h04m`, `2234d00h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}
