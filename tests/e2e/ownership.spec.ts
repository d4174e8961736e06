/**
 * A chat's link in another browser: it reads the chat and runs its app, cannot change it, and can
 * continue in a copy of its own; the owner's chat is left as it was.
 */
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

test("a second browser reads the chat, cannot send, and continues in its own copy", async ({ page, browser }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(page).toHaveURL(/\/chats\/[A-Za-z0-9_-]{22}$/);
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const link = page.url();

  const other = await browser.newContext();
  const visitor = await other.newPage();
  await visitor.goto(link);
  await expect(visitor.getByRole("list", { name: "Conversation" })).toContainText("A pomodoro timer");
  await expect(visitor.frameLocator('[data-testid="preview-frame"]').getByRole("heading")).toHaveText("🍅 Pomodoro — 集中");
  await expect(visitor.getByRole("note", { name: "Read-only chat" })).toContainText("belongs to another browser");
  await expect(visitor.getByRole("textbox", { name: "Ask for a change" })).toHaveCount(0);
  await expect(visitor.getByRole("button", { name: /^Share/ })).toHaveCount(0);

  await visitor.getByRole("button", { name: "Continue in my own chat" }).click();
  await expect(visitor).not.toHaveURL(link);
  await expect(visitor).toHaveURL(/\/chats\/[A-Za-z0-9_-]{22}$/);
  await expect(visitor.getByRole("group", { name: "Versions" }).getByRole("button")).toHaveText(["v1"]);
  const box = visitor.getByRole("textbox", { name: "Ask for a change" });
  await box.fill("Make the buttons bigger [fake:reply=follow-up]");
  await box.press("Enter");
  await expect(status(visitor)).toContainText("Done in", { timeout: 20_000 });
  await expect(visitor.getByRole("group", { name: "Versions" }).getByRole("button")).toHaveText(["v1", "v2"]);
  expect(await completionRequests()).toHaveLength(2);

  // The owner's chat did not change, and the owner can still write to it.
  await page.reload();
  await expect(page.getByRole("group", { name: "Versions" }).getByRole("button")).toHaveText(["v1"]);
  await expect(page.getByRole("textbox", { name: "Ask for a change" })).toBeVisible();
  await other.close();
});
