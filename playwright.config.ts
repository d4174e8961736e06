/**
 * Browser tests: Debian's chromium (Playwright's own browser download is not available here) against
 * Kiln's production build, wired to the fake provider. `npm run build` must have run (npm test does).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { debianChromium } from "./tests/support/debian-chromium";

const KILN_PORT = Number(process.env.KILN_E2E_PORT ?? 4173);
/** A second Kiln, in Sandpack preview mode; the test workers find it in KILN_E2E_SANDPACK_URL. */
const SANDPACK_PORT = KILN_PORT + 1;
process.env.KILN_E2E_SANDPACK_URL = `http://127.0.0.1:${SANDPACK_PORT}`;
// The fake's port is fixed by tests/support/fake-providers.json, shared with `npm run dev:fake`.
const FAKE_URL = "http://127.0.0.1:3999/v1";

export default defineConfig({
  testDir: "tests/e2e",
  // Playwright empties its output folder; keep it apart from the other runners' results.
  outputDir: "test-results/playwright",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${KILN_PORT}`,
    ...debianChromium,
    trace: "retain-on-failure",
  },
  webServer: [
    {
      command: "node --import tsx tests/support/fake-provider-cli.ts --port 3999 --tokens-per-second 150 --first-token-ms 150",
      url: `${FAKE_URL}/models`,
      reuseExistingServer: false,
      timeout: 20_000,
    },
    kilnServer({ port: KILN_PORT, name: "kiln-e2e", env: { KILN_PREVIEW_TIMEOUT_MS: "10000" } }),
    // The same app with KILN_PREVIEW=sandpack, for the test of that mode (offline: its bundler is unreachable).
    kilnServer({
      port: SANDPACK_PORT,
      name: "kiln-e2e-sandpack",
      env: { KILN_PREVIEW: "sandpack", KILN_PREVIEW_TIMEOUT_MS: "3000" },
    }),
  ],
});

/** Kiln's production server wired to the fake provider, as every browser test uses it. */
function kilnServer({ port, name, env }: { port: number; name: string; env: Record<string, string> }) {
  return {
    command: "node --import tsx server/main.ts",
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    env: {
      NODE_ENV: "production",
      DATABASE_URL: `file:${join(tmpdir(), `${name}-${process.pid}`, "kiln.db")}`,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      TOGETHER_API_KEY: "e2e-test-key",
      TOGETHER_BASE_URL: FAKE_URL,
      KILN_PROVIDERS: "tests/support/fake-providers.json",
      KILN_DEFAULT_MODEL: "fake-coder",
      // Short waits so recovery is quick to watch; the policy is the same as with the defaults.
      KILN_IDLE_TIMEOUT_MS: "1500",
      KILN_RETRY_BASE_MS: "200",
      KILN_FALLBACK: "together",
      KILN_RATE_LIMIT_PER_MINUTE: "0",
      ...env,
    },
  };
}
