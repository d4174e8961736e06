/** What the browser tests do on Kiln's home page and read on every chat page. */
import type { Page } from "@playwright/test";

/** Types a prompt into the home page's box and sends it (Enter), which opens the new chat. */
export async function submitPrompt(page: Page, prompt: string) {
  const box = page.getByRole("textbox", { name: "Describe your app" });
  await box.fill(prompt);
  await box.press("Enter");
}

/** The chat's status line. */
export const status = (page: Page) => page.getByRole("status");
