import { expect, test } from "@playwright/test";
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";

test.beforeEach(async () => {
  await resetFake();
});

test("a prompt streams into the code view, the status line moves, and the answer ends as version 1", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("combobox", { name: "Model" })).toHaveValue("fake-coder");
  await submitPrompt(page, "A pomodoro timer with a dark theme [fake:tps=60]");

  await expect(status(page)).toContainText(/Connecting to|Writing…/);
  await expect(status(page)).toContainText("Writing…");
  const code = page.getByTestId("code-view");
  await expect(code).toHaveAttribute("data-writing", "true");
  const early = (await code.textContent()) ?? "";

  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const final = (await code.textContent()) ?? "";
  expect(final).toContain("export default function App()");
  expect(final.length).toBeGreaterThan(early.length);
  expect(final.startsWith(early.slice(0, 20))).toBe(true);
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Version 1");
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("pomodoro");

  const [request] = await completionRequests();
  expect(request.finished).toBe(true);
  expect(final).toContain(request.replyText.split("```tsx\n")[1].split("```")[0].trim().slice(0, 200));
});

test("Shift+Enter adds a line and Enter sends", async ({ page }) => {
  await page.goto("/");
  const box = page.getByRole("textbox", { name: "Describe your app" });
  await box.fill("first line");
  await box.press("Shift+Enter");
  await box.pressSequentially("second line");
  await expect(box).toHaveValue("first line\nsecond line");
  expect(await completionRequests()).toHaveLength(0);
  await box.press("Enter");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const [request] = await completionRequests();
  expect(request.body.messages.at(-1).content).toBe("first line\nsecond line");
});

test("Stop cancels the stream and closes the upstream request", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A slow app [fake:tps=8]");
  await expect(status(page)).toContainText("Writing…");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(status(page)).toContainText("Stopped");
  await expect.poll(async () => (await completionRequests())[0]?.closedByClient, { timeout: 5_000 }).toBe(true);
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Stopped by you");
});

test("an auth error is explained, with a Retry button that works once the provider recovers", async ({ page }) => {
  await page.goto("/");
  // Fails on the chosen provider and on the fallback; the Retry (third request) succeeds.
  await submitPrompt(page, "A counter [fake:status=401][fake:fail-times=2]");
  await expect(status(page)).toContainText("provider_auth");
  await expect(status(page)).toContainText("rejected Kiln's API key");
  await page.getByRole("button", { name: "Retry" }).click();
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  expect(await completionRequests()).toHaveLength(3);
});

test("a follow-up sends the conversation and the new code becomes version 2", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const followUp = page.getByRole("textbox", { name: "Ask for a change" });
  await followUp.fill("Make the buttons bigger [fake:reply=follow-up]");
  await followUp.press("Enter");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Version 2");
  const requests = await completionRequests();
  expect(requests[1].body.messages.map((m: { role: string }) => m.role)).toEqual(["system", "user", "assistant", "user"]);
  await expect(page.getByTestId("code-view")).toContainText(requests[1].replyText.split("```tsx\n")[1].slice(0, 60));
});
