/**
 * Follow-ups answered with edit blocks, in the browser: the change streams as a diff against the
 * current version, the complete new version runs in the preview and survives a reload, and edit
 * blocks that do not apply are announced, replaced by one whole-file answer, and never shown as a
 * half-applied version.
 */
import type { Page } from "@playwright/test";
import { extractReply } from "../../machines/code-fence";
import { fakeReply } from "../support/fake-reply";
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

const EXPECTED = extractReply(fakeReply("follow-up")).code;

async function followUp(page: Page, prompt: string) {
  const box = page.getByRole("textbox", { name: "Ask for a change" });
  await box.fill(prompt);
  await box.press("Enter");
}

async function firstVersion(page: Page) {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const app = page.frameLocator('[data-testid="preview-frame"]');
  await expect(app.getByRole("heading")).toHaveText("🍅 Pomodoro — 集中");
}

/** The class list of the preview's Start button: the follow-up makes it bigger. */
const startButtonClass = (page: Page) =>
  page.frameLocator('[data-testid="preview-frame"]').getByRole("button", { name: "Start" }).getAttribute("class");

test("edit blocks stream as a diff, then the complete new version runs, is copied whole and survives a reload", async ({
  page,
  internet,
}) => {
  await firstVersion(page);
  // Slow enough to see the diff while it streams.
  await followUp(page, "Make the buttons bigger [fake:reply=edit][fake:tps=40]");
  const diff = page.getByTestId("edit-diff");
  await expect(diff).toBeVisible({ timeout: 10_000 });
  await expect(diff.locator('[data-kind="removed"]').first()).toContainText("px-4 py-2");
  await expect(diff.locator('[data-kind="added"]').first()).toContainText("px-8 py-4 text-xl");
  await expect(diff.getByTestId("diff-hunk").first()).toContainText("line 33");
  await expect(page.getByRole("button", { name: "Copy code" })).toBeDisabled();

  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const code = page.getByTestId("code-view");
  await expect(code).toHaveAttribute("data-version", "2");
  await expect(page.getByTestId("edit-diff")).toHaveCount(0);
  expect(await code.textContent()).toBe(EXPECTED);
  await expect.poll(() => startButtonClass(page)).toContain("px-8 py-4 text-xl");

  await page.reload();
  await expect(page.getByRole("group", { name: "Versions" }).getByRole("button")).toHaveText(["v1", "v2"]);
  expect(await page.getByTestId("code-view").textContent()).toBe(EXPECTED);
  await expect.poll(() => startButtonClass(page)).toContain("px-8 py-4 text-xl");
  expect(internet.blocked).toEqual([]);
});

test("a bad edit is announced, answered by one whole-file request, and never runs half-applied", async ({ page }) => {
  await firstVersion(page);
  await followUp(page, "Make the buttons bigger [fake:reply=bad-edit][fake:then-reply=follow-up]");
  await expect(status(page)).toContainText("The edit did not apply; asking for the whole file", { timeout: 10_000 });
  // Meanwhile the preview still runs version 1.
  expect(await startButtonClass(page)).toContain("px-4 py-2");
  await expect(status(page)).toContainText("Done in", { timeout: 30_000 });
  expect(await page.getByTestId("code-view").textContent()).toBe(EXPECTED);
  await expect.poll(() => startButtonClass(page)).toContain("px-8 py-4 text-xl");
  await expect(page.getByRole("group", { name: "Versions" }).getByRole("button")).toHaveText(["v1", "v2"]);
  expect(await completionRequests()).toHaveLength(3);
});

test("a bad edit twice ends in edit_failed with Retry, and version 1 stays", async ({ page }) => {
  await firstVersion(page);
  await followUp(page, "Make the buttons bigger [fake:reply=bad-edit]");
  await expect(status(page)).toContainText("edit_failed", { timeout: 20_000 });
  await expect(status(page).getByRole("button", { name: "Retry" })).toBeVisible();
  await expect(page.getByRole("group", { name: "Versions" }).getByRole("button")).toHaveText(["v1"]);
  expect(await startButtonClass(page)).toContain("px-4 py-2");
});
