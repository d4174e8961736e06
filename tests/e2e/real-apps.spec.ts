/**
 * Real model output in Kiln's preview: each of the 27 LLM-written apps of ../shared/real-apps (copied
 * unmodified from public repositories, see its README) runs in the preview frame with the internet
 * cut off, and must render with no error and show something. An app that is broken itself must be
 * reported as an error of the right kind, never as a blank pane: those are listed in `appBugs`.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { PreviewErrorKind } from "../../machines/preview-protocol";
import { expect, runInPreviewFrame, test } from "./preview-harness";

// CI runs in a fresh clone with shared/ beside the repository.
const REAL_APPS = resolve(process.cwd(), "../shared/real-apps");
if (!existsSync(resolve(REAL_APPS, "index.json"))) {
  throw new Error(`The real apps are missing: expected ${REAL_APPS}/index.json (shared/ beside the repository).`);
}

interface RealApp {
  file: string;
  generator: string;
}

const apps = JSON.parse(readFileSync(resolve(REAL_APPS, "index.json"), "utf8")) as RealApp[];

interface AppBug {
  /** What is wrong with the app's own code. */
  bug: string;
  kind: Exclude<PreviewErrorKind, "timeout">;
  message: RegExp;
}

/**
 * Apps that are broken themselves, by file. Empty: every one of the 27 renders with no error (they
 * come from repositories whose owners ran them, so broken outputs had already been weeded out).
 */
const appBugs: Partial<Record<string, AppBug>> = {};

const strays = Object.keys(appBugs).filter((file) => !apps.some((app) => app.file === file));
if (apps.length === 0 || strays.length > 0) {
  throw new Error(`${REAL_APPS}/index.json lists no apps, or appBugs names files it does not list: ${strays.join(", ")}`);
}

// A second and a bit after `rendered`: the first tick of a one-second interval falls inside it.
const TIMING = { settleMs: 1_200, timeoutMs: 10_000 };

for (const app of apps) {
  const bug = appBugs[app.file];
  const title = bug
    ? `real app ${app.file} (${app.generator}) is reported as a ${bug.kind} error: ${bug.bug}`
    : `real app ${app.file} (${app.generator}) renders with no error`;

  test(title, async ({ page, internet }) => {
    const code = readFileSync(resolve(REAL_APPS, app.file), "utf8");
    const { messages, paintedPixels } = await runInPreviewFrame(page, code, TIMING);
    const reports = messages.filter((message) => message.type !== "ready");

    if (bug) {
      expect(reports.filter((message) => message.type === "error")).toEqual([
        expect.objectContaining({ type: "error", version: 1, kind: bug.kind, message: expect.stringMatching(bug.message) }),
      ]);
    } else {
      expect(reports, "the frame's reports").toEqual([{ kiln: "preview", protocol: 1, type: "rendered", version: 1 }]);
      expect(paintedPixels, "pixels painted in the frame (0: a blank pane)").toBeGreaterThan(0);
    }
    expect(internet.blocked, "requests to the internet").toEqual([]);
  });
}
