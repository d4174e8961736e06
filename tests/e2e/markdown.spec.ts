/**
 * The model's explanation is Markdown: the fake's default reply ends with "Press **Start** to
 * begin…", which must show as bold, never as asterisks: not once the answer is saved, not after a
 * reload, and not for a moment while it streams (half-written Markdown is held back until it is
 * complete: app/lib/settled-markdown.ts). A MutationObserver installed before the page's own
 * scripts records every state of the conversation the page ever committed.
 */
import type { Page } from "@playwright/test";
import { expect, test } from "@playwright/test";
import { resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";

test.beforeEach(async () => {
  await resetFake();
});

const conversation = (page: Page) => page.getByRole("list", { name: "Conversation" });

declare global {
  interface Window {
    /** Texts of the conversation, as committed to the page, that held an asterisk. */
    __asterisksSeen?: string[];
  }
}

test("bold renders as bold and no asterisks remain, while streaming, once saved and after a reload", async ({ page }) => {
  await page.addInitScript(() => {
    window.__asterisksSeen = [];
    new MutationObserver(() => {
      const text = document.querySelector('[aria-label="Conversation"]')?.textContent ?? "";
      if (text.includes("*")) window.__asterisksSeen?.push(text.slice(-80));
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });

  await page.goto("/");
  // Slow enough that each streamed piece of "**Start**" is a render of its own.
  await submitPrompt(page, "A pomodoro timer [fake:tps=60]");
  await expect(page.getByTestId("streaming-answer")).toBeVisible();
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });

  const bold = conversation(page).locator(".message.assistant strong");
  await expect(bold).toHaveText(["Start"]);
  await expect(conversation(page)).toContainText("Press Start to begin");
  await expect(conversation(page)).not.toContainText("*");
  expect(await page.evaluate(() => window.__asterisksSeen)).toEqual([]);

  // The saved answer, rendered from the database.
  await page.reload();
  await expect(conversation(page).locator(".message.assistant strong")).toHaveText(["Start"]);
  await expect(conversation(page)).not.toContainText("*");
  expect(await page.evaluate(() => window.__asterisksSeen)).toEqual([]);
});
