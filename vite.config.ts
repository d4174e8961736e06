/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import remixOptions from "./remix.config.js";

export default defineConfig({
  // Vitest runs plain modules; the Remix plugin would try to build routes.
  plugins: process.env.VITEST ? [] : [remix(remixOptions)],
  resolve: { alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) } },
  server: { port: 3000 },
  test: {
    include: ["{app,machines,server,tests,bench}/**/*.test.{ts,tsx}"],
    exclude: ["node_modules", "build", "tests/e2e/**"],
    testTimeout: 20_000,
    // Two files at a time, also on a 2-core machine (vitest's default there is one): the integration
    // suites mostly wait on their servers and the fake provider, so CI takes ~3 min instead of ~5.5.
    maxWorkers: 2,
    hookTimeout: 60_000,
  },
});
