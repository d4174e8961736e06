/**
 * `npm test`: every check, in the order that needs least waiting: the house rules (Prettier's
 * formatting, ESLint; each counts as one check), the production build (the integration and browser
 * tests run against it), vitest (unit + integration), then Playwright (on the build, then on the
 * development server for what exists only there, playwright.dev.config.ts). Ends with one summary line,
 * `N passed, N failed`, totalled over all of them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

rmSync("test-results", { recursive: true, force: true });
mkdirSync("test-results", { recursive: true });

function run(command: string, args: string[]): boolean {
  console.log(`\n> ${command} ${args.join(" ")}`);
  return spawnSync(command, args, { stdio: "inherit" }).status === 0;
}

// The JSON reports of vitest and Playwright: read as they come, only the counts are taken.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- two tools' report formats, read for two numbers
function counts(file: string, read: (json: any) => { passed: number; failed: number }) {
  if (!existsSync(file)) return { passed: 0, failed: 0 };
  return read(JSON.parse(readFileSync(file, "utf8")));
}

// Every step runs even when an earlier one fails, so one run reports everything that is wrong.
const formatted = run("npx", ["prettier", "--check", "."]);
const linted = run("npx", ["eslint", "."]);
const houseRules = { passed: Number(formatted) + Number(linted), failed: Number(!formatted) + Number(!linted) };
const built = run("npm", ["run", "build"]);
const unitOk =
  built && run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=test-results/vitest.json"]);
const e2eOk = built && run("npx", ["playwright", "test"]);
const e2eDevOk = built && run("npx", ["playwright", "test", "--config", "playwright.dev.config.ts"]);

const vitest = counts("test-results/vitest.json", (j) => ({ passed: j.numPassedTests, failed: j.numFailedTests }));
const e2e = counts("test-results/e2e.json", (j) => ({ passed: j.stats.expected, failed: j.stats.unexpected + j.stats.flaky }));
const e2eDev = counts("test-results/e2e-dev.json", (j) => ({
  passed: j.stats.expected,
  failed: j.stats.unexpected + j.stats.flaky,
}));
const passed = houseRules.passed + vitest.passed + e2e.passed + e2eDev.passed;
const failed = houseRules.failed + vitest.failed + e2e.failed + e2eDev.failed + (built ? 0 : 1);
console.log(
  `\nformat: ${formatted ? "ok" : "FAILED"}; lint: ${linted ? "ok" : "FAILED"}; vitest: ${vitest.passed} passed, ${vitest.failed} failed; playwright: ${e2e.passed} passed, ${e2e.failed} failed; playwright (dev): ${e2eDev.passed} passed, ${e2eDev.failed} failed`,
);
console.log(`${passed} passed, ${failed} failed`);
process.exit(formatted && linted && built && unitOk && e2eOk && e2eDevOk ? 0 : 1);
