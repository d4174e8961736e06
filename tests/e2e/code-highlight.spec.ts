/**
 * The code view colours the code (app/components/tsx-highlight.ts, loaded once there is code) and
 * keeps up with a long stream, its text always exactly the reply's code.
 */
import type { Locator } from "@playwright/test";
import { completionRequests, resetFake } from "./fake-requests";
import { status, submitPrompt } from "./home-page";
import { expect, test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

/** The code inside the reply's ```tsx fence. */
const fencedCode = (reply: string) => reply.split("```tsx\n")[1].split("\n```")[0];

/** The distinct text colours of the code view's token spans. */
const tokenColours = (code: Locator) =>
  code.evaluate((pre) => [...new Set([...pre.querySelectorAll(".code-block span")].map((span) => getComputedStyle(span).color))]);

test("a version's code shows several token colours, and its text is the reply's code", async ({ page, internet }) => {
  await page.goto("/");
  await submitPrompt(page, "A pomodoro timer");
  await expect(status(page)).toContainText("Done in", { timeout: 20_000 });
  const code = page.getByTestId("code-view");

  await expect.poll(async () => (await tokenColours(code)).length).toBeGreaterThanOrEqual(3);
  const colours = await tokenColours(code);
  const plain = await code.evaluate((pre) => getComputedStyle(pre).color);
  expect(colours).not.toContain(plain);
  await expect(code.locator(".hl-keyword").first()).toHaveText("import");
  await expect(code.locator(".hl-tag").first()).toBeVisible();

  const [request] = await completionRequests();
  expect(await code.textContent()).toBe(fencedCode(request.replyText));
  expect(internet.blocked).toEqual([]);
});

test("a 20 000-token stream is coloured while it is written, and ends with the reply's code, coloured to the last line", async ({
  page,
}) => {
  test.setTimeout(90_000);
  await page.goto("/");
  await submitPrompt(page, "A long table [fake:reply=long:20000][fake:tps=1500]");
  const code = page.getByTestId("code-view");

  // Colours arrive while the answer is still being written, not only once it is done.
  await page.waitForFunction(
    () => {
      const pre = document.querySelector<HTMLElement>('[data-testid="code-view"]');
      return pre?.dataset.writing === "true" && (pre.textContent ?? "").length > 4000 && pre.querySelector(".hl-string") !== null;
    },
    undefined,
    { timeout: 30_000 },
  );

  await expect(status(page)).toContainText("Done in", { timeout: 60_000 });
  const [request] = await completionRequests();
  const expected = fencedCode(request.replyText);
  expect(expected.length).toBeGreaterThan(70_000);
  expect(await code.textContent()).toBe(expected);
  // The last block, written last, is coloured too: the table's closing JSX.
  const last = code.locator(".code-block").last();
  await expect(last.locator(".hl-tag", { hasText: /^table$/ })).toHaveCount(1);
  await expect(last.locator(".hl-attribute", { hasText: "className" })).toHaveCount(1);
  expect((await tokenColours(code)).length).toBeGreaterThanOrEqual(3);
});
