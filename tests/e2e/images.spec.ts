/**
 * Screenshot → app in the browser: an image attached on the home page reaches a vision model as an
 * `image_url` part and shows in the conversation; a file that is not an image, or too large, is
 * refused in the prompt box with a sentence, and nothing is sent.
 */
import { expect } from "@playwright/test";
import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { completionRequests, resetFake } from "./fake-requests";
import { status } from "./home-page";
import { test } from "./offline";

test.beforeEach(async () => {
  await resetFake();
});

async function png(width = 400, height = 300): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: "#22aa88" } })
    .png()
    .toBuffer();
}

test("an attached screenshot reaches the vision model as an image_url part and shows in the conversation", async ({ page }) => {
  await page.goto("/");
  await page.getByLabel("Model").selectOption("fake-vision");
  await page.locator('input[type="file"]').setInputFiles({ name: "mockup.png", mimeType: "image/png", buffer: await png() });
  await expect(page.getByRole("list", { name: "Attached images" }).getByRole("img")).toHaveCount(1);
  const box = page.getByRole("textbox", { name: "Describe your app" });
  await box.fill("An app like this mockup [fake:tps=150]");
  await box.press("Enter");
  await expect(status(page)).toContainText("Done in", { timeout: 30_000 });
  const [request] = await completionRequests();
  expect(request.body.model).toBe("fake-vision");
  expect(request.images).toEqual([expect.objectContaining({ mediaType: "image/png" })]);
  // Shown with the prompt, served by Kiln (the page is offline to anything else), and after a reload.
  const conversation = page.getByRole("list", { name: "Conversation" });
  await expect(conversation.getByRole("img")).toHaveCount(1);
  await page.reload();
  await expect(conversation.getByRole("img")).toHaveCount(1);
  const loaded = await conversation.getByRole("img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth);
  expect(loaded).toBe(400);
});

test("a file that is not an image, or too large, is refused with a sentence and nothing is sent", async ({ page }) => {
  await page.goto("/");
  await page.getByLabel("Model").selectOption("fake-vision");
  const input = page.locator('input[type="file"]');
  await input.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image") });
  await expect(page.getByRole("alert").or(page.getByText(/PNG, JPEG or WebP/))).toBeVisible();
  await expect(page.getByRole("list", { name: "Attached images" })).toHaveCount(0);
  // 6 MB of PNG (random pixels do not compress), over the 5 MiB limit.
  const noise = randomBytes(1400 * 1400 * 3);
  const large = await sharp(noise, { raw: { width: 1400, height: 1400, channels: 3 } })
    .png()
    .toBuffer();
  expect(large.length).toBeGreaterThan(5 * 1024 * 1024);
  await input.setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: large });
  await expect(page.getByText(/larger than/)).toBeVisible();
  await expect(page.getByRole("list", { name: "Attached images" })).toHaveCount(0);
  expect(await completionRequests()).toHaveLength(0);
});
