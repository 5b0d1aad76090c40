// Smoke test of the built binaries, run from a directory outside the repo.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const elsewhere = mkdtempSync(path.join(tmpdir(), "ops-smoke-"));
try {
  for (const bin of ["apps/cli/dist/index.js", "apps/sprite-service/dist/index.js"]) {
    const out = execFileSync(process.execPath, [path.join(root, bin), "--help"], {
      cwd: elsewhere,
      encoding: "utf8",
    });
    if (!out.includes("--help")) throw new Error(`${bin} --help printed no usage`);
    process.stdout.write(`smoke: ${bin} --help ok\n`);
  }
} finally {
  rmSync(elsewhere, { recursive: true, force: true });
}
