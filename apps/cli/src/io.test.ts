import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { logicalCwd } from "./io.js";

describe("logicalCwd", () => {
  const temp = mkdtempSync(path.join(tmpdir(), "ops-cwd-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("keeps a symlinked $PWD that names the working directory (cd + pwd semantics)", () => {
    const link = path.join(temp, "link");
    symlinkSync(process.cwd(), link);
    expect(logicalCwd({ PWD: link })).toBe(link);
  });

  it("ignores a stale, relative or missing $PWD", () => {
    expect(logicalCwd({ PWD: temp })).toBe(process.cwd());
    expect(logicalCwd({ PWD: "relative/dir" })).toBe(process.cwd());
    expect(logicalCwd({ PWD: path.join(temp, "gone") })).toBe(process.cwd());
    expect(logicalCwd({})).toBe(process.cwd());
  });
});
