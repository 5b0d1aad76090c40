import { fileURLToPath } from "node:url";
import type { ViteUserConfig } from "vitest/config";

// CI asks for a JSON report per package so scripts/test-summary.mjs can print one closing line.
const reportDir = process.env["OPS_TEST_REPORT_DIR"];
const packageName = process.cwd().split("/").slice(-2).join("-");

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

// Tests run on the TypeScript sources: `@ops/<name>` resolves to packages/<name>/src/index.ts,
// so no package has to be built before another package's tests run.
export const sharedConfig: ViteUserConfig = {
  resolve: {
    alias: [{ find: /^@ops\/([a-z-]+)$/, replacement: `${repoRoot}packages/$1/src/index.ts` }],
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    setupFiles: [`${repoRoot}config/vitest.setup.ts`],
    reporters: reportDir
      ? ["default", ["json", { outputFile: `${reportDir}/${packageName}.json` }]]
      : ["default"],
  },
};
