import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isDirectory, isRegularFile } from "./fs-kind.js";

describe("isDirectory / isRegularFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "fs-kind-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("tells directories from regular files", async () => {
    const file = path.join(dir, "a.json");
    await writeFile(file, "{}");
    const sub = path.join(dir, "sub");
    await mkdir(sub);
    expect(await isDirectory(sub)).toBe(true);
    expect(await isRegularFile(sub)).toBe(false);
    expect(await isRegularFile(file)).toBe(true);
    expect(await isDirectory(file)).toBe(false);
  });

  it("is false for missing paths and paths under a regular file (never throws)", async () => {
    const file = path.join(dir, "a.json");
    await writeFile(file, "{}");
    expect(await isDirectory(path.join(dir, "missing"))).toBe(false);
    expect(await isRegularFile(path.join(dir, "missing"))).toBe(false);
    expect(await isRegularFile(path.join(file, "child"))).toBe(false);
    expect(await isDirectory(path.join(file, "child"))).toBe(false);
  });

  it("follows symlinks", async () => {
    const file = path.join(dir, "a.json");
    await writeFile(file, "{}");
    await symlink(file, path.join(dir, "link"));
    await symlink(path.join(dir, "gone"), path.join(dir, "dangling"));
    expect(await isRegularFile(path.join(dir, "link"))).toBe(true);
    expect(await isRegularFile(path.join(dir, "dangling"))).toBe(false);
  });
});
