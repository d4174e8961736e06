/**
 * "Download project" gives a project that builds: the ZIP the button makes (app/lib/project-zip.ts,
 * the same code) is unzipped into a temporary folder, `npm install` fetches its pinned packages from
 * the npm registry, and `npm run build` builds it, for the pomodoro timer (lucide-react) and the
 * chart (recharts). One install serves both: their package.json lists the same packages, so the
 * second app's files are unzipped over the first's. The install is the slow part (about a minute on
 * an empty npm cache).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectZip } from "../../app/lib/project-zip";
import { libraryOf } from "../../machines/allowed-libraries";
import { extractReply } from "../../machines/code-fence";
import { fakeReply } from "../support/fake-reply";

const run = promisify(execFile);

const INSTALL_TIMEOUT_MS = 8 * 60_000;
const BUILD_TIMEOUT_MS = 3 * 60_000;

/** npm and Vite as a user would run them: none of the npm, Vitest or NODE_ENV settings of this run. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm_|VITEST|NODE_ENV$)/i.test(key)),
) as NodeJS.ProcessEnv;

const apps = {
  pomodoro: { title: "A pomodoro timer", code: extractReply(fakeReply("default")).code },
  chart: { title: "Weekly focus hours", code: extractReply(fakeReply("chart")).code },
};

let dir: string;

/** Unzips the project the button would download into `dir`, over what is there. */
function unzipProject(app: { title: string; code: string }): Record<string, Uint8Array> {
  const files = unzipSync(projectZip({ ...app, version: 1 }).bytes);
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return files;
}

async function npm(args: string[], timeout: number): Promise<number> {
  const started = performance.now();
  try {
    await run("npm", args, { cwd: dir, env, timeout, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? ""}`, { cause: error });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`project-build: npm ${args.join(" ")} took ${seconds.toFixed(1)} s`);
  return seconds;
}

/** What `npm run build` wrote: dist/index.html, and the text of its JS and CSS assets. */
function built(): { html: string; js: string; css: string } {
  const html = readFileSync(join(dir, "dist/index.html"), "utf8");
  const assets = readdirSync(join(dir, "dist/assets"));
  const read = (ext: string) =>
    assets
      .filter((name) => name.endsWith(ext))
      .map((name) => readFileSync(join(dir, "dist/assets", name), "utf8"))
      .join("\n");
  return { html, js: read(".js"), css: read(".css") };
}

/** A substring check that, when it fails, names what is missing instead of printing a whole bundle. */
function expectIn(text: string, what: string, needle: string, present = true) {
  expect(text.includes(needle), `${what} ${present ? "holds" : "does not hold"} ${JSON.stringify(needle)}`).toBe(present);
}

describe("the downloaded project installs and builds", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kiln-project-"));
    const files = unzipProject(apps.pomodoro);
    expect(Object.keys(files)).toContain("src/App.tsx");
    await npm(["install", "--no-audit", "--no-fund"], INSTALL_TIMEOUT_MS);
  }, INSTALL_TIMEOUT_MS + 30_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    "the pomodoro timer (lucide-react): dist/index.html loads the app, and Tailwind made its classes",
    async () => {
      await npm(["run", "build"], BUILD_TIMEOUT_MS);
      const { html, js, css } = built();
      expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
      expect(html).toContain("<title>A pomodoro timer</title>");
      expectIn(js, "the JS", "font-mono text-7xl tabular-nums");
      expectIn(js, "the JS", "When the bell rings");
      // lucide-react keeps its licence line: the pinned version is the one bundled.
      expectIn(js, "the JS", `@license lucide-react v${libraryOf("lucide-react")!.version}`);
      expectIn(css, "the CSS", ".tabular-nums");
      expectIn(css, "the CSS", ".bg-slate-900");
      expectIn(css, "the CSS", "@tailwind", false);
    },
    BUILD_TIMEOUT_MS + 10_000,
  );

  it(
    "the chart (recharts), built with the same install",
    async () => {
      const installed = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      const files = unzipProject(apps.chart);
      const pkg = JSON.parse(new TextDecoder().decode(files["package.json"]));
      // The same packages, so the pomodoro's node_modules serve it.
      expect([pkg.dependencies, pkg.devDependencies]).toEqual([installed.dependencies, installed.devDependencies]);
      rmSync(join(dir, "dist"), { recursive: true, force: true });

      await npm(["run", "build"], BUILD_TIMEOUT_MS);
      const { html, js, css } = built();
      expect(existsSync(join(dir, "dist/index.html"))).toBe(true);
      expect(html).toContain("<title>Weekly focus hours</title>");
      expectIn(js, "the JS", "Add a week");
      expectIn(js, "the JS", "recharts-bar");
      expectIn(js, "the JS", "font-mono text-7xl tabular-nums", false);
      expectIn(css, "the CSS", ".bg-rose-500");
    },
    BUILD_TIMEOUT_MS + 10_000,
  );
});
