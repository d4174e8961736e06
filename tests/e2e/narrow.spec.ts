/**
 * Phones and narrow windows: below 800 px the workspace shows chat, code and preview one at a time
 * under a tab bar and the share page stacks the preview above the code; at 390 px (and at 1280 px,
 * where the layout keeps its columns) nothing makes the page scroll sideways or sticks out of it.
 */
import type { FrameLocator, Page } from "@playwright/test";
import { resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

const PHONE = { width: 390, height: 844 };
const WIDE = { width: 1280, height: 800 };
/** A word too long for a phone's line: it must wrap in the conversation, not widen the page. */
const LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis".repeat(2);

/** The frame on screen (the spare one loading beside it has no test id). */
const app = (page: Page): FrameLocator => page.frameLocator('[data-testid="preview-frame"]');
const conversation = (page: Page) => page.getByRole("list", { name: "Conversation" });
const tab = (page: Page, name: "Chat" | "Code" | "Preview") => page.getByRole("tab", { name });

async function startChat(page: Page) {
  await page.goto("/");
  await submitPrompt(page, `A pomodoro timer called ${LONG_WORD}`);
  await expect(page).toHaveURL(/\/chats\/[A-Za-z0-9_-]{22}$/);
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
}

/**
 * Fails listing every visible element that reaches past the window's left or right edge, after
 * clipping it by the boxes that clip it (a <pre> scrolling its long lines is fine, a page that
 * scrolls sideways is not), and when the page itself is wider than the window.
 */
async function expectNothingOverflows(page: Page) {
  const problems = await page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const found: string[] = [];
    if (root.scrollWidth > width) found.push(`the page is ${root.scrollWidth} px wide in a ${width} px window`);
    for (const element of document.body.querySelectorAll("*")) {
      if (!element.checkVisibility({ visibilityProperty: true })) continue;
      const rect = element.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      let { left, right } = rect;
      for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX === "visible") continue;
        const box = parent.getBoundingClientRect();
        left = Math.max(left, box.left);
        right = Math.min(right, box.right);
      }
      if (right <= left) continue;
      if (left < -1 || right > width + 1) {
        const name = `${element.tagName.toLowerCase()}${element.className && typeof element.className === "string" ? `.${element.className.trim().replace(/\s+/g, ".")}` : ""}`;
        const text = (element.textContent ?? "").trim().slice(0, 40);
        found.push(`${name} "${text}" spans ${Math.round(left)}–${Math.round(right)} px of ${width}`);
      }
    }
    return found;
  });
  expect(problems, "elements outside the window").toEqual([]);
}

test.describe("on a phone (390 × 844)", () => {
  test.use({ viewport: PHONE });

  test("at 390 px nothing overflows: the home page, and the workspace's chat, code and preview shown one at a time under tabs", async ({
    page,
  }) => {
    await page.goto("/");
    await expectNothingOverflows(page);

    await startChat(page);
    const tabs = page.getByRole("tablist", { name: "Workspace" });
    await expect(tabs).toBeVisible();
    await expect(tabs.getByRole("tab")).toHaveText([/^Chat/, /^Code/, /^Preview/]);
    await expect(tab(page, "Chat")).toHaveAttribute("aria-selected", "true");
    // One panel at a time, the others out of sight.
    await expect(page.getByRole("tabpanel")).toHaveCount(1);
    await expect(page.getByRole("tabpanel", { name: "Chat" })).toBeVisible();
    await expect(conversation(page)).toContainText(LONG_WORD);
    await expect(page.getByTestId("code-view")).toBeHidden();
    await expect(page.getByTestId("preview-frame")).toBeHidden();
    await expectNothingOverflows(page);

    await tab(page, "Code").click();
    await expect(tab(page, "Code")).toHaveAttribute("aria-selected", "true");
    await expect(page.getByRole("tabpanel", { name: "Code" })).toBeVisible();
    await expect(page.getByTestId("code-view")).toContainText("export default function App()");
    await expect(conversation(page)).toBeHidden();
    await expectNothingOverflows(page);

    // The arrows move between the tabs and select them.
    await page.keyboard.press("ArrowRight");
    await expect(tab(page, "Preview")).toBeFocused();
    await expect(tab(page, "Preview")).toHaveAttribute("aria-selected", "true");
    await expect(tab(page, "Code")).toHaveAttribute("aria-selected", "false");
    await expect(page.getByRole("tabpanel", { name: "Preview" })).toBeVisible();
    await expect(page.getByTestId("code-view")).toBeHidden();
    const start = app(page).getByRole("button", { name: "Start" });
    await start.click();
    await expect(app(page).getByRole("button", { name: "Pause" })).toBeVisible();
    await expectNothingOverflows(page);

    // Away and back: the app was not reloaded, the timer still runs. (The click focused the frame.)
    await tab(page, "Preview").focus();
    await page.keyboard.press("ArrowRight");
    await expect(tab(page, "Chat")).toBeFocused();
    await expect(conversation(page)).toBeVisible();
    await expect(page.getByTestId("preview-frame")).toBeHidden();
    await page.keyboard.press("End");
    await expect(tab(page, "Preview")).toBeFocused();
    await page.keyboard.press("ArrowLeft");
    await expect(tab(page, "Code")).toHaveAttribute("aria-selected", "true");
    await page.keyboard.press("Home");
    await expect(tab(page, "Chat")).toHaveAttribute("aria-selected", "true");
    await page.keyboard.press("ArrowLeft");
    await expect(tab(page, "Preview")).toHaveAttribute("aria-selected", "true");
    await expect(app(page).getByRole("button", { name: "Pause" })).toBeVisible();
    await expect(app(page).getByRole("button", { name: "Start" })).toHaveCount(0);
    await expect(app(page).getByText(/24:[45]\d/)).toBeVisible({ timeout: 5_000 });

    // The home page with this chat in its recent list (a long word in its title).
    await page.goto("/");
    await expect(page.getByRole("navigation", { name: "Your recent chats" })).toContainText(LONG_WORD);
    await expectNothingOverflows(page);
  });

  test("a version finishing while the preview is out of sight marks its tab and does not switch to it", async ({ page }) => {
    await startChat(page);
    await expect(tab(page, "Chat")).toHaveAttribute("aria-selected", "true");
    await expect(tab(page, "Preview").getByTestId("new-version-dot")).toBeVisible();
    await tab(page, "Preview").click();
    await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible();
    await expect(page.getByTestId("new-version-dot")).toHaveCount(0);

    await tab(page, "Chat").click();
    await expect(page.getByTestId("new-version-dot")).toHaveCount(0);
    const box = page.getByRole("textbox", { name: "Ask for a change" });
    await box.fill("Make the buttons bigger [fake:reply=follow-up]");
    await box.press("Enter");
    await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
    await expect(conversation(page)).toContainText("Version 2");
    await expect(tab(page, "Chat")).toHaveAttribute("aria-selected", "true");
    await expect(tab(page, "Preview").getByTestId("new-version-dot")).toBeVisible();
    await tab(page, "Code").click();
    await expect(tab(page, "Preview").getByTestId("new-version-dot")).toBeVisible();
    await tab(page, "Preview").click();
    await expect(page.getByTestId("new-version-dot")).toHaveCount(0);
  });

  test("at 390 px the share page stacks the preview above the code and nothing overflows", async ({ page }) => {
    await startChat(page);
    await tab(page, "Code").click();
    await page.getByRole("button", { name: "Share v1" }).click();
    const link = page.getByRole("textbox", { name: "Share link" });
    await expect(link).toBeVisible();
    await expectNothingOverflows(page);
    const url = await link.inputValue();

    await page.goto(url);
    await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible();
    await expect(page.getByTestId("code-view")).toContainText("export default function App()");
    const preview = await page.getByRole("region", { name: "Preview" }).boundingBox();
    const code = await page.getByRole("region", { name: "Code" }).boundingBox();
    expect(preview && code).toBeTruthy();
    expect(preview!.y + preview!.height).toBeLessThanOrEqual(code!.y + 1);
    expect(preview!.width).toBeGreaterThan((await page.evaluate(() => document.documentElement.clientWidth)) - 2);
    await expectNothingOverflows(page);
  });
});

test.describe("in a wide window (1280 px)", () => {
  test.use({ viewport: WIDE });

  test("the workspace keeps the chat beside the code and the preview, with no tab bar, and nothing overflows", async ({
    page,
  }) => {
    await page.goto("/");
    await expectNothingOverflows(page);

    await startChat(page);
    await expect(page.locator(".workspace-tabs")).toBeHidden();
    await expect(page.getByRole("tabpanel")).toHaveCount(0);
    await expect(conversation(page)).toBeVisible();
    await expect(page.getByTestId("code-view")).toBeVisible();
    await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible();
    const chat = await page.getByRole("region", { name: "Chat" }).boundingBox();
    const code = await page.getByRole("region", { name: "Code" }).boundingBox();
    const preview = await page.getByRole("region", { name: "Preview" }).boundingBox();
    expect(chat!.x + chat!.width).toBeLessThanOrEqual(code!.x + 1);
    expect(code!.y + code!.height).toBeLessThanOrEqual(preview!.y + 1);
    await expectNothingOverflows(page);

    await page.getByRole("button", { name: "Share v1" }).click();
    const url = await page.getByRole("textbox", { name: "Share link" }).inputValue();
    await page.goto(url);
    await expect(page.getByTestId("code-view")).toContainText("export default function App()");
    const sharedPreview = await page.getByRole("region", { name: "Preview" }).boundingBox();
    const sharedCode = await page.getByRole("region", { name: "Code" }).boundingBox();
    // Side by side, as before.
    expect(sharedPreview!.x + sharedPreview!.width).toBeLessThanOrEqual(sharedCode!.x + 1);
    await expectNothingOverflows(page);
  });
});
