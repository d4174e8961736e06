/**
 * Browser tests of what exists only in development (the offline statechart inspector): Debian's
 * chromium against Kiln's development server (Vite in middleware mode, as `npm run dev` runs it),
 * wired to its own fake provider. Ports apart from playwright.config.ts's, so both can run at once.
 * The preview runtime must be built (`npm run build`, or `npm run build:preview`; npm test does).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { debianChromium } from "./tests/support/debian-chromium";

const KILN_PORT = 4180;
// The fake's port is fixed by tests/support/fake-providers.dev.json.
const FAKE_URL = "http://127.0.0.1:3998/v1";

export default defineConfig({
  testDir: "tests/e2e-dev",
  // Playwright empties its output folder; keep it apart from the other runners' results.
  outputDir: "test-results/playwright-dev",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/e2e-dev.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${KILN_PORT}`,
    ...debianChromium,
    trace: "retain-on-failure",
  },
  webServer: [
    {
      command: "node --import tsx tests/support/fake-provider-cli.ts --port 3998 --tokens-per-second 150 --first-token-ms 150",
      url: `${FAKE_URL}/models`,
      reuseExistingServer: false,
      timeout: 20_000,
    },
    {
      command: "node --import tsx server/main.ts",
      url: `http://127.0.0.1:${KILN_PORT}/healthz`,
      reuseExistingServer: false,
      // Vite's start-up, and its first dependency scan, can take a while on a busy machine.
      timeout: 60_000,
      env: {
        NODE_ENV: "development",
        DATABASE_URL: `file:${join(tmpdir(), `kiln-dev-e2e-${process.pid}`, "kiln.db")}`,
        PORT: String(KILN_PORT),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        TOGETHER_API_KEY: "e2e-test-key",
        TOGETHER_BASE_URL: FAKE_URL,
        KILN_PROVIDERS: "tests/support/fake-providers.dev.json",
        KILN_DEFAULT_MODEL: "fake-coder",
        KILN_RATE_LIMIT_PER_MINUTE: "0",
      },
    },
  ],
});
