import { describe, expect, it } from "vitest";
import {
  ANSI_BOLD,
  ANSI_RESET,
  ANSI_TONES,
  type Cell,
  formatColumns,
  formatDuration,
  labelledLine,
  padVisible,
  sanitize,
  terminal,
  toneClassifier,
  visibleWidth,
} from "./terminal.js";

const ESC = "\u001b";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point
const strip = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "");

describe("terminal", () => {
  it("sanitize: control characters (C0, DEL, C1, ESC) become `?`; non-strings are JSON", () => {
    expect(sanitize("a\tb\u009bc")).toBe("a?b?c");
    expect(sanitize(`${ESC}[31mred\u0007\u007f`)).toBe("?[31mred??");
    expect(sanitize("ünïcode — ok")).toBe("ünïcode — ok");
    expect(sanitize(12)).toBe("12");
    expect(sanitize({ a: "\n" })).toBe('{"a":"\\n"}');
    expect(sanitize(undefined)).toBe("undefined");
  });

  it("toneClassifier: null/undefined muted, listed words their tone, the rest plain", () => {
    const tone = toneClassifier({ good: ["ok"], warn: ["meh"], bad: ["down"], muted: ["unknown"] });
    expect([tone("ok"), tone("meh"), tone("down"), tone("unknown")]).toEqual([
      "good",
      "warn",
      "bad",
      "muted",
    ]);
    expect([tone(null), tone(undefined), tone("other"), tone("")]).toEqual([
      "muted",
      "muted",
      "plain",
      "plain",
    ]);
    expect(toneClassifier({ good: ["x"], bad: ["x"] })("x")).toBe("good");
    expect(toneClassifier({})("unknown")).toBe("plain");
  });

  it("terminal: paints and bolds only with colour", () => {
    const on = terminal(true);
    expect(on.paint("up", "good")).toBe(`${ANSI_TONES.good}up${ANSI_RESET}`);
    expect(on.paint("x", "muted")).toBe(`${ESC}[2mx${ESC}[0m`);
    expect(on.paint("x", "plain")).toBe("x");
    expect(on.bold("H")).toBe(`${ANSI_BOLD}H${ANSI_RESET}`);
    const off = terminal(false);
    expect(off.paint("up", "bad")).toBe("up");
    expect(off.bold("H")).toBe("H");
  });

  it("visibleWidth and padVisible ignore ANSI codes", () => {
    const painted = terminal(true).paint("abc", "warn");
    expect(painted.length).toBeGreaterThan(3);
    expect(visibleWidth(painted)).toBe(3);
    expect(visibleWidth(`${ESC}[1;31mab${ESC}[0m—`)).toBe(3);
    expect(padVisible(painted, 5)).toBe(`${painted}  `);
    expect(padVisible("abcdef", 3)).toBe("abcdef");
  });

  it("labelledLine: padded bold label, non-empty parts joined by two spaces, trimmed", () => {
    expect(labelledLine(terminal(false), "loop", 8, ["a", null, "", undefined, "b"])).toBe("loop    a  b");
    expect(labelledLine(terminal(false), "empty", 8, [null])).toBe("empty");
    expect(labelledLine(terminal(true), "loop", 6, ["a"])).toBe(`${ESC}[1mloop  ${ESC}[0ma`);
  });

  describe("formatColumns", () => {
    const header = ["NAME", "STATE", "NOTE"];
    const rows: Cell[][] = [
      [
        { text: "alpha", tone: "plain" },
        { text: "ok", tone: "good" },
        { text: "-", tone: "muted" },
      ],
      [
        { text: "b", tone: "plain" },
        { text: "degraded", tone: "warn" },
        { text: "", tone: "plain" },
      ],
    ];

    it("aligns columns by visible width; the last column is not padded; lines are trimmed", () => {
      expect(formatColumns(header, rows, terminal(false))).toEqual([
        "NAME   STATE     NOTE",
        "alpha  ok        -",
        "b      degraded",
      ]);
      expect(formatColumns(header, rows, terminal(false), { spans: "padded" })).toEqual(
        formatColumns(header, rows, terminal(false)),
      );
      expect(formatColumns(header, [], terminal(false))).toEqual(["NAME  STATE  NOTE"]);
    });

    it("colour wraps the text (padding outside) or the padded cell; same text once stripped", () => {
      const plain = formatColumns(header, rows, terminal(false));
      const text = formatColumns(header, rows, terminal(true));
      expect(text[0]).toBe(`${ESC}[1mNAME${ESC}[0m   ${ESC}[1mSTATE${ESC}[0m     ${ESC}[1mNOTE${ESC}[0m`);
      expect(text[1]).toBe(`alpha  ${ESC}[32mok${ESC}[0m        ${ESC}[2m-${ESC}[0m`);
      expect(text.map(strip)).toEqual(plain);
      const padded = formatColumns(header, rows, terminal(true), { spans: "padded" });
      expect(padded[0]).toBe(`${ESC}[1mNAME   STATE     NOTE${ESC}[0m`);
      expect(padded[1]).toBe(`alpha  ${ESC}[32mok      ${ESC}[0m  ${ESC}[2m-${ESC}[0m`);
      expect(padded.map(strip)).toEqual(plain);
    });
  });
});

describe("formatDuration", () => {
  it("compacts whole seconds; negative clamps to 0s", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(65)).toBe("1m05s");
    expect(formatDuration(3599)).toBe("59m59s");
    expect(formatDuration(3600 * 3 + 240)).toBe("3h04m");
    expect(formatDuration(86_400 * 2 + 3600)).toBe("2d01h");
    expect(formatDuration(193017600)).toBe("2234d00h");
    expect(formatDuration(-5)).toBe("0s");
  });
});
