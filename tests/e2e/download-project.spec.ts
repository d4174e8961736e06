/**
 * "Download project" in the browser: the button saves `<slug>-v<N>.zip`, a Vite project whose
 * src/App.tsx is the version on screen, byte for byte (for a follow-up answered with edit blocks, the
 * complete file they made); the ZIP code loads only when the button is clicked. That the project
 * installs and builds is tests/integration/project-build.test.ts.
 */
import { readFile } from "node:fs/promises";
import type { Download, Page } from "@playwright/test";
import { strFromU8, unzipSync } from "fflate";
import { extractReply } from "../../machines/code-fence";
import { fakeReply } from "../support/fake-reply";
import { resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

/** The chunk Vite makes of app/lib/project-zip.ts (and fflate), loaded on the first click. */
const ZIP_CHUNK = /\/project-zip-[\w-]+\.js$/;

async function downloadProject(page: Page): Promise<{ download: Download; files: Record<string, string> }> {
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download project" }).click();
  const download = await downloading;
  const bytes = await readFile((await download.path())!);
  const files = Object.fromEntries(
    Object.entries(unzipSync(new Uint8Array(bytes))).map(([path, data]) => [path, strFromU8(data)]),
  );
  return { download, files };
}

test("Download project saves <title>-v1.zip holding a Vite project with the version's code as src/App.tsx", async ({ page }) => {
  const scripts: string[] = [];
  page.on("request", (request) => {
    if (request.resourceType() === "script") scripts.push(new URL(request.url()).pathname);
  });
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  expect(
    scripts.filter((path) => ZIP_CHUNK.test(path)),
    "the ZIP code is not loaded before the click",
  ).toEqual([]);

  const { download, files } = await downloadProject(page);
  expect(download.suggestedFilename()).toBe("a-pomodoro-timer-v1.zip");
  expect(files["src/App.tsx"]).toBe(extractReply(fakeReply("default")).code);
  expect(Object.keys(files)).toEqual(
    expect.arrayContaining([
      "package.json",
      "index.html",
      "src/main.tsx",
      "src/index.css",
      "tailwind.config.js",
      "postcss.config.js",
      "README.md",
    ]),
  );
  expect(JSON.parse(files["package.json"]).scripts.build).toBe("vite build");
  expect(files["README.md"]).toContain("npm install && npm run dev");
  expect(
    scripts.some((path) => ZIP_CHUNK.test(path)),
    "the click loaded the ZIP code",
  ).toBe(true);

  // The single file is still there.
  await expect(page.getByRole("button", { name: "Download App.tsx" })).toBeEnabled();
});

test("after a follow-up in edit blocks, the project of v2 holds the complete new file", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const box = page.getByRole("textbox", { name: "Ask for a change" });
  await box.fill("Bigger buttons [fake:reply=edit]");
  await box.press("Enter");
  await expect(page.getByTestId("code-view")).toHaveAttribute("data-version", "2");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });

  const { download, files } = await downloadProject(page);
  expect(download.suggestedFilename()).toBe("a-pomodoro-timer-v2.zip");
  expect(files["src/App.tsx"]).toBe(extractReply(fakeReply("follow-up")).code);

  await page.getByRole("group", { name: "Versions" }).getByRole("button", { name: "v1" }).click();
  const first = await downloadProject(page);
  expect(first.download.suggestedFilename()).toBe("a-pomodoro-timer-v1.zip");
  expect(first.files["src/App.tsx"]).toBe(extractReply(fakeReply("default")).code);
});
