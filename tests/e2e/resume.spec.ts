/**
 * A chat's answer outlives the page's connection: a reload mid-answer shows the text so far and goes
 * on to Done with no Regenerate, and a network that drops for a few seconds reconnects by itself,
 * keeping what arrived — one provider request either way.
 */
import { expect } from "@playwright/test";
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { test } from "./offline";
import { startFlakyLink } from "../support/flaky-link";

test.beforeEach(async () => {
  await resetFake();
});

const conversation = (page: import("@playwright/test").Page) => page.getByRole("list", { name: "Conversation" });

test("a reload mid-answer shows the text so far, writing, then Done, with no Regenerate", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer [fake:reply=no-code][fake:tps=8]");
  await expect(status(page)).toContainText("Writing", { timeout: 15_000 });
  await expect(conversation(page)).toContainText("A pomodoro is a 25-minute");
  await page.reload();
  // Attached again: the text so far at once, still being written.
  await expect(conversation(page)).toContainText("A pomodoro is a 25-minute", { timeout: 10_000 });
  await expect(status(page)).toContainText("Writing");
  await expect(status(page)).toContainText("Reconnected");
  await expect(status(page)).toContainText("Done in", { timeout: 30_000 });
  await expect(conversation(page)).toContainText("ポモドーロ・テクニック");
  await expect(page.getByRole("button", { name: "Regenerate" })).toHaveCount(0);
  expect(await completionRequests()).toHaveLength(1);
});

test("the network dropping for 3 s reconnects by itself and keeps the text", async ({ page, baseURL }) => {
  test.setTimeout(60_000);
  const link = await startFlakyLink(Number(new URL(baseURL!).port));
  try {
    await page.goto(`${link.url}/`);
    await submitPrompt(page, "A pomodoro timer [fake:reply=no-code][fake:tps=4]");
    await expect(conversation(page)).toContainText("A pomodoro is a 25-minute", { timeout: 15_000 });
    // The answer takes ~18 s: still being written when the page gets back after the cut and its backoff.
    await link.cut(3_000);
    await expect(status(page)).toContainText("Reconnected", { timeout: 15_000 });
    await expect(status(page)).toContainText("Done in", { timeout: 40_000 });
    const text = await conversation(page).innerText();
    // The whole answer once: nothing lost, nothing twice.
    expect(text.split("A pomodoro is a 25-minute").length).toBe(2);
    expect(text).toContain("ポモドーロ・テクニック");
    expect(await completionRequests()).toHaveLength(1);
  } finally {
    await link.close();
  }
});
