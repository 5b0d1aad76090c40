import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { formatShellCommand, outputTail, shellQuote } from "./quote.js";

describe("shellQuote / formatShellCommand", () => {
  it("renders the spec's example exactly", () => {
    expect(
      formatShellCommand([
        "/opt/sl/superloop.sh",
        "approve",
        "--repo",
        "/srv/repo",
        "--loop",
        "demo-loop",
        "--by",
        "ops-user",
        "--note",
        "Looks good",
      ]),
    ).toBe(
      "/opt/sl/superloop.sh approve --repo /srv/repo --loop demo-loop --by ops-user --note Looks\\ good",
    );
  });

  it("leaves safe tokens alone and quotes the rest", () => {
    expect(shellQuote("a-b_c.d/e:f,g+h=i@j%k")).toBe("a-b_c.d/e:f,g+h=i@j%k");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("it's $HOME & `x`")).toBe("it\\'s\\ \\$HOME\\ \\&\\ \\`x\\`");
    expect(shellQuote("~user#1")).toBe("\\~user\\#1");
    expect(shellQuote("line1\nline2")).toBe("'line1\nline2'");
    expect(shellQuote("tab\there's")).toBe("'tab\there'\\''s'");
    expect(shellQuote("héllo wörld")).toBe("héllo\\ wörld");
    expect(formatShellCommand(["/x=y/bin", "a=b"])).toBe("/x\\=y/bin a=b");
  });

  it("round-trips through a real POSIX shell", () => {
    const tokens = [
      "plain",
      "",
      "two words",
      "it's",
      'say "hi"',
      "$HOME",
      "`id`",
      "a\\b",
      "multi\nline",
      "tab\tand 'quote'",
      "*?[x]",
      "!bang",
      "{a,b}",
      "~",
      "#c",
      "ünï cödé",
      "-n",
    ];
    const line = formatShellCommand(["printf", "%s\\0", ...tokens]);
    const out = execFileSync("/bin/sh", ["-c", line], { encoding: "utf8" });
    expect(out.split("\0").slice(0, -1)).toEqual(tokens);
  });
});

describe("outputTail", () => {
  it("keeps the last 40 lines, strips \\r per line and trailing newlines", () => {
    const lines = Array.from({ length: 45 }, (_, i) => `line ${i + 1}`);
    const tail = outputTail(`${lines.join("\r\n")}\r\n`);
    expect(tail.split("\n")).toEqual(lines.slice(5));
    expect(outputTail("")).toBe("");
    expect(outputTail("\n\n")).toBe("");
    expect(outputTail("a\n\nb\n\n")).toBe("a\n\nb");
    expect(outputTail("only\r")).toBe("only");
    expect(outputTail("x\ny", 1)).toBe("y");
  });
});
