import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type RequestLogEntry, type SpriteService, startSpriteService } from "./server.js";

const repo = mkdtempSync(path.join(tmpdir(), "ops-sprite-repo-"));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

let service: SpriteService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function start(
  options: { token?: string; log?: (entry: RequestLogEntry) => void } = {},
): Promise<SpriteService> {
  service = await startSpriteService({ repo, port: 0, ...options });
  return service;
}

describe("startSpriteService", () => {
  it("binds 127.0.0.1 by default and reports the bound port", async () => {
    const { url, host, port } = await start();
    expect(host).toBe("127.0.0.1");
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
  });

  it("GET /healthz → 200 {ok:true}, compact JSON with Content-Length", async () => {
    const { url } = await start();
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("content-length")).toBe("11");
    expect(await response.text()).toBe('{"ok":true}');
    expect((await fetch(`${url}/healthz?probe=1`)).status).toBe(200);
  });

  it("unknown paths → 404 not_found, for GET and POST (with a body)", async () => {
    const { url } = await start();
    const expected = '{"ok":false,"error":{"code":"not_found","message":"endpoint not found"}}';
    const get = await fetch(`${url}/ops/nothing`);
    expect([get.status, await get.text()]).toEqual([404, expected]);
    const post = await fetch(`${url}/ops/nothing`, { method: "POST", body: JSON.stringify({ loopId: "x" }) });
    expect([post.status, await post.text()]).toEqual([404, expected]);
  });

  it("known paths with another method → 405 method_not_allowed", async () => {
    const { url } = await start();
    const post = await fetch(`${url}/healthz`, { method: "POST", body: JSON.stringify({ loopId: "x" }) });
    expect([post.status, post.headers.get("allow"), await post.text()]).toEqual([
      405,
      "GET",
      '{"ok":false,"error":{"code":"method_not_allowed","message":"method not allowed"}}',
    ]);
  });

  describe("with a token", () => {
    const unauthorized = '{"ok":false,"error":{"code":"unauthorized","message":"missing or invalid token"}}';

    it("rejects requests without the token first, even /healthz and unknown paths", async () => {
      const { url } = await start({ token: "s3cret" });
      for (const [pathName, headers] of [
        ["/healthz", {}],
        ["/nope", {}],
        ["/healthz", { authorization: "Bearer wrong" }],
        ["/healthz", { authorization: "Basic s3cret" }],
        ["/healthz", { "x-ops-token": "S3CRET" }],
      ] as const) {
        const response = await fetch(`${url}${pathName}`, { headers });
        expect([response.status, await response.text()]).toEqual([401, unauthorized]);
      }
    });

    it("accepts Authorization: Bearer (any case, trimmed) or X-Ops-Token", async () => {
      const { url } = await start({ token: "s3cret" });
      for (const headers of [
        { authorization: "Bearer s3cret" },
        { authorization: "bEaReR   s3cret  " },
        { "x-ops-token": "s3cret" },
      ]) {
        expect((await fetch(`${url}/healthz`, { headers })).status).toBe(200);
      }
      expect((await fetch(`${url}/nope`, { headers: { "x-ops-token": "s3cret" } })).status).toBe(404);
    });
  });

  it("logs one entry per request", async () => {
    const entries: RequestLogEntry[] = [];
    const { url } = await start({ log: (entry) => entries.push(entry) });
    await (await fetch(`${url}/healthz`)).text();
    await (await fetch(`${url}/x?y=1`)).text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(entries.map(({ method, path: p, status }) => [method, p, status])).toEqual([
      ["GET", "/healthz", 200],
      ["GET", "/x", 404],
    ]);
    expect(entries[0]?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("close() lets an in-flight keep-alive connection finish and then stops listening", async () => {
    const { url } = await start();
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${url}/healthz`,
        { agent: false, headers: { connection: "keep-alive" } },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(body).toBe('{"ok":true}');
    await service?.close();
    service = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("rejects when the port is taken", async () => {
    const first = await start();
    await expect(startSpriteService({ repo, port: first.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
