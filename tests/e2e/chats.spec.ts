import { expect, test, type Page } from "@playwright/test";
import { completionRequests, resetFake } from "./fake-requests";

test.beforeEach(async () => {
  await resetFake();
});

const conversation = (page: Page) => page.getByRole("list", { name: "Conversation" });

async function startChat(page: Page, prompt: string) {
  await page.goto("/");
  const box = page.getByRole("textbox", { name: "Describe your app" });
  await box.fill(prompt);
  await box.press("Enter");
  await expect(page).toHaveURL(/\/chats\/[A-Za-z0-9_-]{22}$/);
}

async function followUp(page: Page, prompt: string) {
  const box = page.getByRole("textbox", { name: "Ask for a change" });
  await box.fill(prompt);
  await box.press("Enter");
  await expect(page.getByRole("status")).toContainText("Done in", { timeout: 20_000 });
}

test("a chat keeps every version across follow-ups and reloads, and versions can be picked", async ({ page }) => {
  await startChat(page, "A pomodoro timer");
  await expect(page.getByRole("status")).toContainText("Done in", { timeout: 20_000 });
  await followUp(page, "Make the buttons bigger [fake:reply=follow-up]");
  await followUp(page, "Now a counter please [fake:reply=no-code]");

  const versions = page.getByRole("group", { name: "Versions" });
  await expect(versions.getByRole("button")).toHaveText(["v1", "v2"]);
  const code = page.getByTestId("code-view");
  await expect(code).toHaveAttribute("data-version", "2");
  await versions.getByRole("button", { name: "v1" }).click();
  await expect(code).toHaveAttribute("data-version", "1");
  const v1 = (await completionRequests())[0].replyText;
  await expect(code).toContainText(v1.split("```tsx\n")[1].split("\n")[0]);

  await page.reload();
  await expect(conversation(page).locator(".message.user")).toHaveCount(3);
  await expect(conversation(page)).toContainText("Version 1");
  await expect(conversation(page)).toContainText("Version 2");
  await expect(page.getByRole("group", { name: "Versions" }).getByRole("button")).toHaveText(["v1", "v2"]);

  await page.goto("/");
  await expect(page.getByRole("navigation", { name: "Your recent chats" })).toContainText("A pomodoro timer");
});

test("a follow-up on an older version sends that version's code to the model", async ({ page }) => {
  await startChat(page, "A pomodoro timer");
  await expect(page.getByRole("status")).toContainText("Done in", { timeout: 20_000 });
  await followUp(page, "Bigger buttons [fake:reply=follow-up]");
  await page.getByRole("group", { name: "Versions" }).getByRole("button", { name: "v1" }).click();
  await followUp(page, "Make it blue");
  const last = (await completionRequests()).at(-1)!;
  const prompt = last.body.messages.at(-1).content as string;
  expect(prompt).toContain("Start from version 1");
  expect(prompt).toContain("Make it blue");
  await expect(conversation(page).locator(".message.user").last()).toContainText("on an earlier version");
});

test("a share link opens the version read-only in a fresh browser", async ({ page, browser }) => {
  await startChat(page, "A pomodoro timer");
  await expect(page.getByRole("status")).toContainText("Done in", { timeout: 20_000 });
  await page.getByRole("button", { name: "Share v1" }).click();
  const url = await page.getByRole("textbox", { name: "Share link" }).inputValue();
  expect(url).toMatch(/\/share\/[A-Za-z0-9_-]{22}$/);

  const stranger = await browser.newContext();
  const shared = await stranger.newPage();
  await shared.goto(url);
  await expect(shared).toHaveTitle("A pomodoro timer — made with Kiln");
  await expect(shared.locator('meta[name="description"]')).toHaveAttribute("content", /pomodoro/);
  await expect(shared.locator('meta[property="og:title"]')).toHaveAttribute("content", /A pomodoro timer/);
  await expect(shared.getByTestId("code-view")).toContainText("export default function App()");
  await expect(shared.getByRole("textbox")).toHaveCount(0);
  await stranger.close();
});

test("reloading during a stream attaches to it; after Stop, a reload offers to regenerate", async ({ page }) => {
  await startChat(page, "A slow timer [fake:tps=10]");
  await expect(page.getByRole("status")).toContainText("Writing…");
  await page.reload();
  // The answer went on on the server: the page attaches to it and never sends the prompt again.
  await expect(conversation(page).locator(".message.user")).toHaveText(["A slow timer [fake:tps=10]"]);
  await expect(page.getByRole("status")).toContainText("Writing…");
  expect(await completionRequests()).toHaveLength(1);
  // Stop is said to the server: the provider call ends, the answer so far is saved as stopped.
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByRole("status")).toContainText("Stopped");
  await expect.poll(async () => (await completionRequests())[0].closedByClient).toBe(true);
  await page.reload();
  await expect(page.getByRole("button", { name: "Regenerate" })).toBeVisible();
  await page.getByRole("button", { name: "Regenerate" }).click();
  await expect(page.getByRole("status")).toContainText("Writing…");
  const requests = await completionRequests();
  expect(requests).toHaveLength(2);
  expect(requests[1].body.messages.at(-1).content).toBe("A slow timer [fake:tps=10]");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(page.getByRole("status")).toContainText("Stopped");
});

test("a chat id that does not exist gives a proper 404 page", async ({ page }) => {
  const response = await page.goto("/chats/AAAAAAAAAAAAAAAAAAAAAA");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("404 Not Found");
  await expect(page.getByText("There is no chat at this address.")).toBeVisible();
  expect((await page.goto("/share/nope"))?.status()).toBe(404);
});
