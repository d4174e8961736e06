/**
 * The statechart inspectors of the development server (playwright.dev.config.ts), with the internet
 * cut off (tests/e2e/offline.ts): `?inspect=panel` works with no network at all, and `?inspect`
 * still opens Stately's popup, which keeps its opener under the development opener policy.
 */
import type { Page } from "@playwright/test";
import { expect, test } from "../e2e/offline";

/** A new, empty chat owned by this browser, made the way the home page makes one. */
async function newChat(page: Page): Promise<string> {
  await page.goto("/");
  return page.evaluate(async () => {
    const response = await fetch("/api/chats", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "fake-coder", title: "Inspector" }),
    });
    return ((await response.json()) as { id: string }).id;
  });
}

const panel = (page: Page) => page.getByTestId("kiln-statechart-inspector");
const machineState = (page: Page, machine: string) => panel(page).getByTestId(`inspector-state-${machine}`);

/** Sends a prompt from a chat page's own prompt box. */
async function ask(page: Page, prompt: string) {
  const box = page.getByRole("textbox", { name: "Ask for a change" });
  await box.fill(prompt);
  await box.press("Enter");
}

// A dev server with no dependency cache yet optimises each dependency the first time a page asks
// for it (the chat page's, then the code view's highlighter once code streams) and reloads the page,
// and such a visit may break (two copies of React). So before any test, one whole turn is run, and
// run again until it, and a reload after it, go through unbroken.
test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await browser.newPage();
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(`/chats/${await newChat(page)}?inspect=panel`);
      await expect(machineState(page, "chat")).toHaveText("idle", { timeout: 15_000 });
      await ask(page, "A pomodoro timer");
      await expect(machineState(page, "preview")).toHaveText("running", { timeout: 20_000 });
      await page.reload();
      await expect(machineState(page, "preview")).toHaveText("running", { timeout: 15_000 });
      break;
    } catch (error) {
      if (attempt === 4) throw error;
    }
  }
  await page.close();
});

test("?inspect=panel shows the chat and preview machines live, and the events that moved them, offline", async ({
  page,
  internet,
}) => {
  await page.goto(`/chats/${await newChat(page)}?inspect=panel`);
  await expect(machineState(page, "chat")).toHaveText("idle");
  await expect(machineState(page, "preview")).toHaveText("idle");

  await ask(page, "A pomodoro timer with a dark theme");
  await expect(machineState(page, "chat")).toHaveText("active.streaming");
  await expect(machineState(page, "chat")).toHaveText("done", { timeout: 20_000 });
  await expect(machineState(page, "preview")).toHaveText("running", { timeout: 20_000 });

  const chat = panel(page).getByRole("region", { name: "chat machine" });
  await expect(chat).toContainText(/messages\s*2/);
  await expect(chat).toContainText(/versions\s*1/);
  await expect(chat).toContainText(/model\s*fake-coder/);
  const preview = panel(page).getByRole("region", { name: "preview machine" });
  await expect(preview).toContainText(/version\s*1/);
  await expect(preview).toContainText(/code\s*[1-9]\d* chars/);

  const log = panel(page).getByRole("list", { name: "Inspected events" });
  await expect(log).toContainText("SUBMIT → active.requesting");
  // The deltas are counted on one line, sent by the stream actor the chat machine invoked.
  await expect(log.getByRole("listitem").filter({ hasText: "server.delta" }).first()).toContainText(/×\d+ from chatStream/);
  await expect(log).toContainText("server.done from chatStream → done");
  await expect(log.getByRole("listitem").filter({ hasText: /preview\s*SHOW/ })).toContainText(/\(\d+ chars\)/);
  expect(internet.blocked).toEqual([]);
});

test("the collapsed panel leaves the prompt box uncovered, in a wide and in a narrow window", async ({ page }) => {
  await page.goto(`/chats/${await newChat(page)}?inspect=panel`);
  await page.getByRole("button", { name: "Hide inspector" }).click();
  const toggle = page.getByRole("button", { name: "Inspector" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(panel(page).getByText("Statechart inspector")).toHaveCount(0);
  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 390, height: 844 },
  ]) {
    await page.setViewportSize(viewport);
    const box = (await page.getByRole("textbox", { name: "Ask for a change" }).boundingBox())!;
    const button = (await toggle.boundingBox())!;
    const overlaps =
      button.x < box.x + box.width &&
      box.x < button.x + button.width &&
      button.y < box.y + box.height &&
      box.y < button.y + button.height;
    expect(overlaps, `${viewport.width} px wide`).toBe(false);
  }
  await toggle.click();
  await expect(machineState(page, "chat")).toHaveText("idle");
});

test("?inspect still opens Stately's inspector: a popup that keeps its opener in development", async ({
  page,
  context,
  internet,
}) => {
  const response = await page.goto("/");
  expect(response?.headers()["cross-origin-opener-policy"]).toBe("same-origin-allow-popups");
  // Another origin serving no opener policy, as stately.ai's page: under `same-origin` its opener would be null.
  const [other] = await Promise.all([
    context.waitForEvent("page"),
    page.evaluate(() => void window.open("http://127.0.0.1:3998/v1/models", "other-origin")),
  ]);
  await other.waitForLoadState();
  expect(await other.evaluate(() => window.opener !== null)).toBe(true);
  await other.close();

  const chatId = await newChat(page);
  const [popup] = await Promise.all([context.waitForEvent("page"), page.goto(`/chats/${chatId}?inspect`)]);
  await expect.poll(() => internet.blocked.some((url) => url.startsWith("https://stately.ai/inspect"))).toBe(true);
  expect(popup.url()).toMatch(/^(about:blank|https:\/\/stately\.ai\/inspect|chrome-error:)/);
  await expect(panel(page)).toHaveCount(0);
});
