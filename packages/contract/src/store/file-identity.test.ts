import { appendFile, rename, truncate, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classifyFileChange, type FileIdentity, fileIdentity } from "./file-identity.js";
import { makeTempDir } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

async function identityOf(file: string): Promise<FileIdentity> {
  const identity = await fileIdentity(file);
  if (identity === null) throw new Error(`expected ${file} to exist`);
  return identity;
}

describe("fileIdentity / classifyFileChange", () => {
  it("is null for a missing file", async () => {
    expect(await fileIdentity(path.join(dir, "none.jsonl"))).toBeNull();
  });

  it("tells appended, truncated, replaced and unchanged files apart", async () => {
    const file = path.join(dir, "events.jsonl");
    await writeFile(file, "1\n2\n");
    const original = await identityOf(file);
    expect(original.size).toBe(4);
    expect(classifyFileChange(original, await identityOf(file))).toBe("unchanged");

    await appendFile(file, "3\n");
    const appended = await identityOf(file);
    expect(classifyFileChange(original, appended)).toBe("appended");

    await truncate(file, 2);
    expect(classifyFileChange(appended, await identityOf(file))).toBe("truncated");

    const replacement = path.join(dir, "events.jsonl.new");
    await writeFile(replacement, "1\n2\n3\n");
    await rename(replacement, file);
    expect(classifyFileChange(appended, await identityOf(file))).toBe("replaced");
  });

  it("flags a same-size rewrite by its mtime", async () => {
    const file = path.join(dir, "events.jsonl");
    await writeFile(file, "1\n");
    const before = await identityOf(file);
    await writeFile(file, "2\n");
    await utimes(file, new Date(), new Date(before.mtimeMs + 5_000));
    expect(classifyFileChange(before, await identityOf(file))).toBe("modified_same_size");
  });
});
