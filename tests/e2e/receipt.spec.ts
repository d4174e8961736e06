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

/** Seconds as the receipt writes them, e.g. `0.4 s`. */
const SECONDS = String.raw`\d+\.\d s`;
/** A token count, thousands grouped with a narrow no-break space. */
const COUNT = String.raw`\d{1,3}(?:\u202f\d{3})*`;

test("the receipt shows the fallback provider after a fallback, and the same after a reload", async ({ page }) => {
  // The first 4 attempts (1 + 3 retries on the fake provider) fail; the fallback (Together) answers.
  await submitPrompt(page, "A pomodoro timer [fake:tps=100][fake:status=503][fake:fail-times=4]");
  await expect(status(page)).toContainText("Done in", { timeout: 30_000 });
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Version 1");
  const answeredWith = (await completionRequests()).at(-1)!.body.model as string;
  expect(answeredWith).not.toBe("fake-coder");

  const receipt = page.getByTestId("version-receipt");
  await expect(receipt).toHaveCount(1);
  const line = new RegExp(
    `^Together AI · ${answeredWith.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} · first token ${SECONDS} · ${SECONDS} · ` +
      `${COUNT} → ${COUNT} tokens · 3 retries · fell back from Fake provider \\(local\\)$`,
  );
  await expect(receipt).toHaveText(line);

  // Saved with the answer: a reload shows the server's receipt of the same answer.
  await page.reload();
  await expect(page.getByTestId("version-receipt")).toHaveCount(1);
  await expect(page.getByTestId("version-receipt")).toHaveText(line);
});

test("an answer without trouble has a receipt naming its provider, with no retries or fallback", async ({ page }) => {
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const receipt = page.getByTestId("version-receipt");
  await expect(receipt).toHaveText(
    new RegExp(`^Fake provider \\(local\\) · fake-coder · first token ${SECONDS} · ${SECONDS} · ${COUNT} → ${COUNT} tokens$`),
  );
});
