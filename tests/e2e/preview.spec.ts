/**
 * The preview runs the app with Kiln's own runtime, with the internet cut off (offline.ts): the
 * runtime, React, lucide-react, recharts and Tailwind all come from Kiln's server.
 */
import type { FrameLocator, Page } from "@playwright/test";
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

/** The frame on screen (the spare one loading beside it is hidden and has no test id). */
const app = (page: Page): FrameLocator => page.frameLocator('[data-testid="preview-frame"]');

test("once the code block closes, the app runs offline: clicks work, Tailwind styles it, icons and text are whole", async ({
  page,
  internet,
}) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer with a dark theme");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });

  const start = app(page).getByRole("button", { name: "Start" });
  await expect(start).toBeVisible();
  await expect(app(page).getByRole("heading")).toHaveText("🍅 Pomodoro — 集中");
  // bg-slate-900 is #0f172a in Tailwind 3.
  await expect(app(page).locator("div.bg-slate-900")).toHaveCSS("background-color", "rgb(15, 23, 42)");
  await expect(start.locator("svg.lucide")).toHaveCount(1);

  await start.click();
  await expect(app(page).getByRole("button", { name: "Pause" })).toBeVisible();
  await expect(app(page).getByText(/24:5\d/)).toBeVisible({ timeout: 5_000 });
  await expect(page.getByTestId("preview-error")).toHaveCount(0);
  expect(internet.blocked).toEqual([]);
});

test("a recharts chart renders and re-renders when its data changes", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A chart of my focus hours [fake:reply=chart]");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const bars = app(page).locator(".recharts-bar-rectangle");
  await expect(bars).toHaveCount(3);
  await app(page).getByRole("button", { name: "Add a week" }).click();
  await expect(bars).toHaveCount(4);
  await expect(app(page).getByRole("heading")).toHaveText("Focus hours — 集中時間");
});

test("a runtime error shows once with its line, and the automatic fix asks exactly once and the fixed version runs", async ({
  page,
}) => {
  await page.goto("/");
  await submitPrompt(page, "A tally counter [fake:reply=runtime-error]");
  const error = page.getByTestId("preview-error");
  await expect(error).toContainText("Runtime error at line 7: The ledger is missing", { timeout: 20_000 });
  await expect(error).toHaveCount(1);
  await expect(status(page)).toContainText("Fixing the error automatically…");

  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible({ timeout: 20_000 });
  await expect(error).toHaveCount(0);
  const requests = await completionRequests();
  expect(requests).toHaveLength(2);
  const fixPrompt = requests[1].body.messages.at(-1).content as string;
  expect(fixPrompt).toMatch(/^The app fails with this error:/);
  expect(fixPrompt).toContain("Runtime error at line 7: The ledger is missing");
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Version 2");
});

test("a fix that fails again is not fixed automatically again: the Fix button is offered instead", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A tally counter [fake:reply=runtime-error-again]");
  await expect(page.getByRole("list", { name: "Conversation" })).toContainText("Version 2", { timeout: 30_000 });
  await expect(status(page)).toContainText("Done in");
  const error = page.getByTestId("preview-error");
  await expect(error).toContainText("The ledger is missing");
  const fix = error.getByRole("button", { name: "Fix it" });
  await expect(fix).toBeVisible();
  // The auto-fix decision is taken as the error arrives; give a wrong one time to show anyway.
  await page.waitForTimeout(1_000);
  expect(await completionRequests()).toHaveLength(2);

  await fix.click();
  await expect.poll(async () => (await completionRequests()).length).toBe(3);
});

test("a compile error shows once with its line and column; the fixed version runs, and the broken one can still be looked at", async ({
  page,
}) => {
  await page.goto("/");
  await submitPrompt(page, "A greeting card [fake:reply=compile-error]");
  const error = page.getByTestId("preview-error");
  await expect(error).toContainText(/Compile error at line 7, column 3: Unexpected token/, { timeout: 20_000 });
  await expect(error).toHaveCount(1);
  // Fixed automatically (the fake's default reply), and the fixed version runs.
  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible({ timeout: 20_000 });

  // Picking the broken version shows its code and its error again, and asks for no fix by itself.
  await page.getByRole("group", { name: "Versions" }).getByRole("button", { name: "v1" }).click();
  await expect(page.getByTestId("code-view")).toContainText('const name: string = "Zoë";');
  await expect(error).toContainText("Compile error at line 7, column 3");
  await expect(error.getByRole("button", { name: "Fix it" })).toBeVisible();
  await page.waitForTimeout(500);
  expect(await completionRequests()).toHaveLength(2);
});

test("an import the preview cannot provide is an import error naming the line: a package, or an icon lucide-react lacks", async ({
  page,
}) => {
  await page.goto("/");
  await submitPrompt(page, "An animated card [fake:reply=import-error]");
  const error = page.getByTestId("preview-error");
  await expect(error).toContainText('Import error at line 2: "framer-motion" is not available in the preview', {
    timeout: 20_000,
  });
  await expect(error).toContainText('"react", "react-dom", "lucide-react", "recharts"');

  await page.goto("/");
  await submitPrompt(page, "A weather badge [fake:reply=unknown-icon]");
  await expect(error).toContainText('Import error at line 1: lucide-react 0.460.0 has no export "SunnyCloudy"', {
    timeout: 20_000,
  });
});

test("an error in an event handler, after the app rendered, is reported too", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A counter [fake:reply=handler-error]");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  await app(page).getByRole("button", { name: "Add" }).click();
  await expect(app(page).getByText("Count: 1")).toBeVisible();
  await app(page).getByRole("button", { name: "Reset" }).click();
  await expect(page.getByTestId("preview-error")).toContainText("Runtime error at line 6: Reset is not implemented");
});

test("the generated app cannot reach Kiln: not its page, not its cookies or storage, not its API", async ({ page, context }) => {
  await page.goto("/");
  await context.addCookies([{ name: "kiln_probe", value: "secret", url: page.url() }]);
  await submitPrompt(page, "A pomodoro timer");
  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible({ timeout: 20_000 });
  const frame = await (await page.locator("iframe[data-testid=preview-frame]").elementHandle())?.contentFrame();
  expect(frame).toBeTruthy();
  const attempts = await frame!.evaluate(async () => {
    const attempt = async (what: () => unknown) => {
      try {
        return `reached: ${String(await what())}`;
      } catch (error) {
        return `blocked: ${(error as Error).name}`;
      }
    };
    return {
      parentDocument: await attempt(() => window.parent.document.title),
      cookie: await attempt(() => document.cookie),
      localStorage: await attempt(() => window.localStorage.length),
      api: await attempt(async () => (await fetch("/api/models")).status),
      origin: window.origin,
    };
  });
  expect(attempts.parentDocument).toMatch(/^blocked: SecurityError/);
  expect(attempts.cookie).toMatch(/^blocked: SecurityError/);
  expect(attempts.localStorage).toMatch(/^blocked: SecurityError/);
  expect(attempts.api).toMatch(/^blocked: TypeError/);
  expect(attempts.origin).toBe("null");
  await expect(page.locator("iframe[data-testid=preview-frame]")).toHaveAttribute(
    "sandbox",
    "allow-scripts allow-forms allow-modals",
  );
});

test("picking an older version runs that one, and a share link runs its version", async ({ page, browser }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const followUp = page.getByRole("textbox", { name: "Ask for a change" });
  await followUp.fill("Now a chart [fake:reply=chart]");
  await followUp.press("Enter");
  await expect(app(page).locator(".recharts-bar-rectangle")).toHaveCount(3, { timeout: 20_000 });

  await page.getByRole("group", { name: "Versions" }).getByRole("button", { name: "v1" }).click();
  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible();

  await page.getByRole("button", { name: "Share v1" }).click();
  const link = await page.getByRole("textbox", { name: "Share link" }).inputValue();
  const visitor = await browser.newPage();
  await visitor.goto(link);
  await expect(app(visitor).getByRole("button", { name: "Start" })).toBeVisible({ timeout: 15_000 });
  await expect(visitor.getByTestId("preview-error")).toHaveCount(0);
  await expect(visitor.getByRole("button", { name: "Fix it" })).toHaveCount(0);
  await visitor.close();
});

test("when the runtime's files cannot be loaded, the preview says so with the reason, never a blank pane", async ({ page }) => {
  await page.route("**/preview/assets/react-*.js", (route) => route.fulfill({ status: 404, body: "gone" }));
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const unavailable = page.getByTestId("preview-unavailable");
  await expect(unavailable).toContainText(
    /Preview unavailable: Kiln's server answered 404 for \/preview\/assets\/react-\w+\.js/,
    {
      timeout: 20_000,
    },
  );
  await expect(page.getByTestId("code-view")).toContainText("export default function App()");

  await page.unroute("**/preview/assets/react-*.js");
  await unavailable.getByRole("button", { name: "Try again" }).click();
  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible({ timeout: 15_000 });
});

test("KILN_PREVIEW=sandpack keeps Sandpack: offline, it says the bundler cannot be reached and the code stays visible", async ({
  page,
}) => {
  await page.goto(process.env.KILN_E2E_SANDPACK_URL!);
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  await expect(page.getByTestId("preview-unavailable")).toContainText(
    "Preview unavailable: cannot reach the bundler at https://2-19-8-sandpack.codesandbox.io/",
    { timeout: 15_000 },
  );
  await expect(page.getByTestId("code-view")).toContainText("export default function App()");
  await expect(page.getByRole("button", { name: "Copy code" })).toBeEnabled();
});

test("a tab hidden while the answer streams still receives it, and the app runs with no false error", async ({ page }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer [fake:tps=40]");
  await expect(status(page)).toContainText("Writing…");
  const code = page.getByTestId("code-view");
  // What a background tab is to the page: hidden, and never painting, so animation frames never come.
  // (Headless chromium keeps every tab visible, so the page is told so the way a browser would.)
  await page.evaluate(() => {
    window.requestAnimationFrame = () => 0;
    Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
    Object.defineProperty(document, "hidden", { get: () => true });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  const hiddenAt = (await code.textContent())?.length ?? 0;
  await expect.poll(async () => (await code.textContent())?.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(hiddenAt + 200);
  await expect(status(page)).toContainText("Done in", { timeout: 30_000 });
  await expect(app(page).getByRole("button", { name: "Start" })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId("preview-error")).toHaveCount(0);
  await expect(page.getByTestId("preview-unavailable")).toHaveCount(0);
});
