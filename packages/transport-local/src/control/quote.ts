/**
 * POSIX-shell quoting for the `command` recorded by control (spec 15 §2.1 step 5): the executed argv
 * joined by single spaces, each token quoted so that pasting the line into `sh` runs the same argv.
 *
 * Printable tokens use backslash escapes like bash's `printf %q` (`Looks good` → `Looks\ good`,
 * the spec's example). Tokens containing control characters (newline, tab, ESC, …) use single quotes
 * instead (`'a'\''b'` style), because a backslash before a newline is a line continuation in `sh`
 * and `$'…'` is not POSIX. The empty token is `''`.
 */

/** Characters that never need quoting in any position. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** C0 controls and DEL (a JS regex over code units; non-ASCII text passes through unquoted). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/** ASCII characters with a meaning to the shell (anywhere in a word). */
const SPECIAL = /[\s!"#$&'()*;<>?[\\\]^`{|}~]/g;

/** Quote one token for a POSIX shell. */
export function shellQuote(token: string): string {
  if (token.length === 0) return "''";
  if (SAFE.test(token)) return token;
  if (CONTROL.test(token)) return `'${token.replace(/'/g, `'\\''`)}'`;
  return token.replace(SPECIAL, (char) => `\\${char}`);
}

/**
 * The recorded command line: tokens quoted and joined by single spaces. In the first word `=` is
 * escaped too, so a program path containing `=` cannot read as a variable assignment.
 */
export function formatShellCommand(argv: readonly string[]): string {
  return argv
    .map((token, index) => {
      const quoted = shellQuote(token);
      return index === 0 && quoted === token && token.includes("=") ? token.replace(/=/g, "\\=") : quoted;
    })
    .join(" ");
}

/**
 * The last `maxLines` lines of a command's combined output (spec 15 §2.1 step 4): trailing newlines
 * dropped first (as `$(…)` does), a trailing `\r` stripped from every line, no final newline.
 */
export function outputTail(text: string, maxLines = 40): string {
  const trimmed = text.replace(/\n+$/, "");
  if (trimmed.length === 0) return "";
  const lines = trimmed.split("\n");
  return lines
    .slice(Math.max(0, lines.length - maxLines))
    .map((line) => line.replace(/\r$/, ""))
    .join("\n")
    .replace(/\n+$/, "");
}
