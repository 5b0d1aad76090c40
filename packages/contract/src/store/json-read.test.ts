import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpsError } from "../errors.js";
import { readJsonFile, readJsonFileStrict } from "./json-read.js";
import { makeTempDir } from "./test-fixtures/worker-process.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

function later(ms: number, action: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => setTimeout(() => action().then(resolve, reject), ms));
}

describe("readJsonFile", () => {
  it("returns the parsed value and the text", async () => {
    const file = path.join(dir, "state.json");
    await writeFile(file, '{"active":true,"iteration":2}\n');
    expect(await readJsonFile(file)).toEqual({
      kind: "ok",
      value: { active: true, iteration: 2 },
      text: '{"active":true,"iteration":2}\n',
    });
  });

  it("reports a missing file (and a missing parent) as missing", async () => {
    expect(await readJsonFile(path.join(dir, "nope.json"))).toEqual({ kind: "missing" });
    await writeFile(path.join(dir, "plain"), "x");
    expect(await readJsonFile(path.join(dir, "plain", "nope.json"))).toEqual({ kind: "missing" });
  });

  it("re-reads an empty file that the writer fills a few ms later (torn read)", async () => {
    const file = path.join(dir, "state.json");
    await writeFile(file, "");
    const [result] = await Promise.all([
      readJsonFile(file, { retries: 20, retryDelayMs: 5 }),
      later(15, () => writeFile(file, '{"active":false}')),
    ]);
    expect(result).toMatchObject({ kind: "ok", value: { active: false } });
  });

  it("re-reads a half-written file until it is complete", async () => {
    const file = path.join(dir, "active-run.json");
    await writeFile(file, '{"pid":12');
    const [result] = await Promise.all([
      readJsonFile(file, { retries: 20, retryDelayMs: 5 }),
      later(15, () => writeFile(file, '{"pid":1200}')),
    ]);
    expect(result).toMatchObject({ kind: "ok", value: { pid: 1200 } });
  });

  it("reports invalid once the retries are used up, without waiting for a later fix", async () => {
    const file = path.join(dir, "approval.json");
    await writeFile(file, "{not json");
    const fixLater = later(40, () => writeFile(file, "{}"));
    const result = await readJsonFile(file, { retries: 2, retryDelayMs: 1 });
    expect(result.kind).toBe("invalid");
    if (result.kind === "invalid") expect(result.error).toBeInstanceOf(SyntaxError);
    await fixLater;
    expect(await readJsonFile(file, { retries: 0 })).toMatchObject({ kind: "ok", value: {} });
  });

  it("treats an empty file that stays empty as invalid", async () => {
    const file = path.join(dir, "state.json");
    await writeFile(file, "  \n");
    expect(await readJsonFile(file, { retries: 1, retryDelayMs: 1 })).toMatchObject({ kind: "invalid" });
  });

  it("reports missing when the file is deleted between retries", async () => {
    const file = path.join(dir, "state.json");
    await writeFile(file, "");
    const [result] = await Promise.all([
      readJsonFile(file, { retries: 20, retryDelayMs: 5 }),
      later(15, () => rm(file)),
    ]);
    expect(result).toEqual({ kind: "missing" });
  });

  it("throws an io OpsError for a path that cannot be read as a file", async () => {
    await mkdir(path.join(dir, "a-directory.json"));
    await expect(readJsonFile(path.join(dir, "a-directory.json"))).rejects.toMatchObject({ kind: "io" });
  });
});

describe("readJsonFileStrict", () => {
  it("returns the value, or undefined when missing", async () => {
    const file = path.join(dir, "health.json");
    expect(await readJsonFileStrict(file)).toBeUndefined();
    await writeFile(file, '{"status":"healthy"}');
    expect(await readJsonFileStrict(file)).toEqual({ status: "healthy" });
  });

  it("throws `invalid JSON in <file>` at once for corrupt content", async () => {
    const file = path.join(dir, "health.json");
    await writeFile(file, "");
    const error = await readJsonFileStrict(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpsError);
    expect((error as OpsError).message).toBe(`invalid JSON in ${file}`);
  });
});
