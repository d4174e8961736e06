/**
 * `npm test`: every test, in the order that needs least waiting: build the production app (the
 * integration and browser tests run against it), then vitest (unit + integration), then Playwright.
 * Ends with one summary line, `N passed, N failed`, totalled over both runners.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

rmSync("test-results", { recursive: true, force: true });
mkdirSync("test-results", { recursive: true });

function run(command: string, args: string[]): boolean {
  console.log(`\n> ${command} ${args.join(" ")}`);
  return spawnSync(command, args, { stdio: "inherit" }).status === 0;
}

function counts(file: string, read: (json: any) => { passed: number; failed: number }) {
  if (!existsSync(file)) return { passed: 0, failed: 0 };
  return read(JSON.parse(readFileSync(file, "utf8")));
}

const built = run("npm", ["run", "build"]);
const unitOk =
  built && run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=test-results/vitest.json"]);
const e2eOk = built && run("npx", ["playwright", "test"]);

const vitest = counts("test-results/vitest.json", (j) => ({ passed: j.numPassedTests, failed: j.numFailedTests }));
const e2e = counts("test-results/e2e.json", (j) => ({ passed: j.stats.expected, failed: j.stats.unexpected + j.stats.flaky }));
const passed = vitest.passed + e2e.passed;
const failed = vitest.failed + e2e.failed + (built ? 0 : 1);
console.log(`\nvitest: ${vitest.passed} passed, ${vitest.failed} failed; playwright: ${e2e.passed} passed, ${e2e.failed} failed`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(built && unitOk && e2eOk ? 0 : 1);
