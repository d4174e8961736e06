/**
 * An answer cut off at the model's output-token limit with its code still open: Kiln asks the model
 * for the rest, says so, and the app that runs is the whole one; an answer cut off every time is kept
 * as a failed partial answer with Retry, never shown as finished. The fake provider here has no
 * assistant-prefix continuation, so Kiln asks for the rest and cuts the repetition.
 */
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

test("a cut-off answer is continued, the status says so, and the whole app runs", async ({ page, internet }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer [fake:length-at=60][fake:fail-times=1]");
  await expect(status(page)).toContainText("The answer was cut off; asking the model for the rest (attempt 1)…", {
    timeout: 20_000,
  });
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });

  const app = page.frameLocator('[data-testid="preview-frame"]');
  await expect(app.getByRole("heading")).toHaveText("🍅 Pomodoro — 集中");
  await app.getByRole("button", { name: "Start" }).click();
  await expect(app.getByRole("button", { name: "Pause" })).toBeVisible();
  await expect(page.getByTestId("preview-error")).toHaveCount(0);
  expect(await completionRequests()).toHaveLength(2);
  expect(internet.blocked).toEqual([]);
});

test("an answer cut off every time ends in answer_truncated, with Retry offered", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer [fake:length-at=60]");
  await expect(status(page)).toContainText("answer_truncated", { timeout: 20_000 });
  await expect(status(page)).toContainText("the partial code is kept");
  await expect(status(page).getByRole("button", { name: "Retry" })).toBeVisible();
  expect(await completionRequests()).toHaveLength(3);
});
