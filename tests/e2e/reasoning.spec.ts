/**
 * A reasoning model in the browser: while it thinks the status line says so and its reasoning can
 * be read in a collapsed panel; then the answer streams and the app runs in the preview, built from
 * the answer only (the fake's reasoning holds a code sketch that must never reach the code view or
 * the preview). Offline, like every preview test (offline.ts).
 */
import type { FrameLocator, Page } from "@playwright/test";
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

const app = (page: Page): FrameLocator => page.frameLocator('[data-testid="preview-frame"]');

test("a model that reasons shows Thinking… and its reasoning, then the app runs in the preview", async ({ page, internet }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer [fake:reasoning-ms=3000]");

  await expect(status(page)).toContainText(/Thinking… \d/);
  const panel = page.getByTestId("reasoning");
  await expect(panel).toBeVisible();
  const reasoning = panel.locator(".reasoning-text");
  await expect(reasoning).toBeHidden();
  await panel.getByText("Thinking…").click();
  await expect(reasoning).toBeVisible();
  await expect(reasoning).toContainText("The user wants a small React app");

  await expect(status(page)).toContainText("Writing…", { timeout: 10_000 });
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  await expect(app(page).getByRole("heading")).toHaveText("🍅 Pomodoro — 集中");
  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible();
  await expect(page.getByTestId("preview-error")).toHaveCount(0);

  // The reasoning was the streaming turn's: the conversation and the code keep the answer only.
  await expect(panel).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Version 1");
  await expect(page.getByRole("list", { name: "Conversation" })).not.toContainText("only a sketch");
  await expect(page.getByTestId("code-view")).toContainText("export default function App()");
  await expect(page.getByTestId("code-view")).not.toContainText("Sketch");

  const requests = await completionRequests();
  expect(requests).toHaveLength(1);
  expect(requests[0].reasoningText).toContain("only a sketch");
  expect(internet.blocked).toEqual([]);
});

test("a <think> block opening the answer is shown as reasoning, never as the answer", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer [fake:think]");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible();
  const conversation = page.getByRole("list", { name: "Conversation" });
  await expect(conversation).not.toContainText("<think>");
  await expect(conversation).not.toContainText("only a sketch");
  await expect(page.getByTestId("code-view")).not.toContainText("Sketch");
});
