import { expect, test, type Page } from "@playwright/test";
import { completionRequests, resetFake } from "./fake-requests";

test.beforeEach(async () => {
  await resetFake();
});

async function submitPrompt(page: Page, prompt: string) {
  await page.goto("/");
  const box = page.getByRole("textbox", { name: "Describe your app" });
  await box.fill(prompt);
  await box.press("Enter");
}

const status = (page: Page) => page.getByRole("status");

/** Records every phase the status line shows, however briefly (a short backoff lasts milliseconds). */
async function recordPhases(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { phases: string[] }).phases = seen;
    new MutationObserver(() => {
      const phase = document.querySelector("[data-phase]")?.getAttribute("data-phase");
      if (phase && seen.at(-1) !== phase) seen.push(phase);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  return () => page.evaluate(() => (window as unknown as { phases: string[] }).phases);
}

test("a 429 shows a retry countdown, then the finished app", async ({ page }) => {
  await submitPrompt(page, "A pomodoro timer [fake:status=429][fake:retry-after=3][fake:fail-times=1]");
  const countdown = page.getByTestId("retry-countdown");
  await expect(countdown).toContainText(/rate limited \(429\) — retrying in [1-3] s \(attempt 1\)/);
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Version 1");
  const [first, second] = await completionRequests();
  expect(second.startedAt - first.startedAt).toBeGreaterThanOrEqual(3000);
});

test("a stalled stream recovers by itself and the answer is whole, not doubled", async ({ page }) => {
  await submitPrompt(page, "A pomodoro timer [fake:tps=40][fake:stall-after=10][fake:fail-times=1]");
  await expect(status(page)).toContainText("Writing…");
  const phases = await recordPhases(page);
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  expect(await phases()).toEqual(["retrying", "writing", "done"]);
  const requests = await completionRequests();
  expect(requests).toHaveLength(2);
  const code = (await page.getByTestId("code-view").textContent()) ?? "";
  expect(code.match(/export default function App\(\)/g)).toHaveLength(1);
});

test("when the chosen provider keeps failing, Kiln falls back and says so", async ({ page }) => {
  // The first 4 attempts (1 + 3 retries on the fake provider) fail; the fallback (Together) succeeds.
  await submitPrompt(page, "A pomodoro timer [fake:tps=60][fake:status=503][fake:fail-times=4]");
  await expect(status(page)).toContainText("switched to Together AI", { timeout: 20_000 });
  await expect(status(page)).toContainText("Done in", { timeout: 30_000 });
  const requests = await completionRequests();
  expect(requests.at(-1)!.body.model).not.toBe("fake-coder");
});

test("Switch model recovers a failed turn", async ({ page }) => {
  // Fails on the chosen provider and on the fallback; the third request (the switched model) succeeds.
  await submitPrompt(page, "A pomodoro timer [fake:status=401][fake:fail-times=2]");
  await expect(status(page)).toContainText("provider_auth", { timeout: 20_000 });
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();
  await page.getByRole("combobox", { name: "Switch model" }).selectOption("fake-coder-large");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const requests = await completionRequests();
  expect(requests.at(-1)!.body.model).toBe("fake-coder-large");
  await expect(page.getByRole("combobox", { name: "Model" })).toHaveValue("fake-coder-large");
});

test("Edit puts the failed prompt back in the box", async ({ page }) => {
  await submitPrompt(page, "A pomodoro timer [fake:status=401][fake:fail-times=2]");
  await expect(status(page)).toContainText("provider_auth", { timeout: 20_000 });
  await page.getByRole("button", { name: "Edit prompt" }).click();
  const box = page.getByRole("textbox", { name: "Ask for a change" });
  await expect(box).toHaveValue("A pomodoro timer [fake:status=401][fake:fail-times=2]");
  // The edited prompt replaces the failed turn: after a reload the chat holds it once, answered.
  await box.fill("A pomodoro timer, in green");
  await box.press("Enter");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  await page.reload();
  const userMessages = page.getByRole("list", { name: "Conversation" }).locator(".message.user");
  await expect(userMessages).toHaveText(["A pomodoro timer, in green"]);
});
