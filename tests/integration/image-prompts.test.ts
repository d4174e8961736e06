/**
 * A prompt with a screenshot, through the production server: a vision model receives it as an
 * OpenAI `image_url` part (a data URL of the cleaned image); a text-only model gets a vision model's
 * description of it in the prompt, announced in `meta`; without a describer a text-only model is
 * refused before anything is saved; an image id that is not the chat's is refused.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UploadedImage } from "../../machines/images";
import { cookieJar } from "../support/cookie-jar";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const VISION = "fake-vision";
const TEXT_ONLY = "fake-coder";

describe("prompts with images", () => {
  const owner = cookieJar();
  let fake: FakeProvider;
  let kiln: KilnServer;
  let noDescriber: KilnServer;

  beforeAll(async () => {
    fake = await startFakeProvider();
    const dir = mkdtempSync(join(tmpdir(), "kiln-image-prompts-"));
    const providersFile = join(dir, "providers.json");
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          {
            id: "fake",
            label: "Fake",
            baseURL: fake.url,
            models: [{ id: TEXT_ONLY }, { id: VISION, vision: true }],
          },
        ],
      }),
    );
    const env = { KILN_PROVIDERS: providersFile, KILN_FALLBACK: "fake", KILN_MAX_RETRIES: "0" };
    [kiln, noDescriber] = await Promise.all([startKilnServer({ ...env, KILN_VISION_MODEL: VISION }), startKilnServer(env)]);
  });

  afterAll(async () => {
    await Promise.all([kiln?.stop(), noDescriber?.stop()]);
    await fake?.close();
  });

  async function chatWithImage(server: KilnServer) {
    const created = await owner.fetch(`${server.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: VISION, title: "Like this" }),
    });
    const { id } = (await created.json()) as { id: string };
    const png = await sharp({ create: { width: 320, height: 200, channels: 3, background: "#3366cc" } })
      .png()
      .toBuffer();
    const uploaded = await owner.fetch(`${server.url}/api/chats/${id}/images`, {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: new Uint8Array(png),
    });
    expect(uploaded.status).toBe(201);
    return { chatId: id, image: (await uploaded.json()) as UploadedImage };
  }

  const ask = (server: KilnServer, chatId: string, model: string, images: string[]) =>
    owner.fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model, chatId, messages: [{ role: "user", content: "an app like this screenshot", images }] }),
    });

  const completions = () => fake.requests.filter((r) => r.path === "/v1/chat/completions");

  it("a vision model receives the image as an image_url part with the cleaned PNG", async () => {
    fake.reset();
    const { chatId, image } = await chatWithImage(kiln);
    const answer = await readSse(await ask(kiln, chatId, VISION, [image.id]));
    expect(answer.sequence.at(-1)).toBe("done");
    const [request] = completions();
    expect(request.images).toEqual([expect.objectContaining({ mediaType: "image/png", bytes: image.bytes })]);
    const prompt = request.body.messages.at(-1);
    expect(prompt.content).toEqual([
      { type: "text", text: "an app like this screenshot" },
      { type: "image_url", image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } },
    ]);
  });

  it("a text-only model gets the vision model's description in its prompt, announced in meta", async () => {
    fake.reset();
    const { chatId, image } = await chatWithImage(kiln);
    const answer = await readSse(await ask(kiln, chatId, TEXT_ONLY, [image.id]));
    expect(answer.sequence.at(-1)).toBe("done");
    expect(answer.events[0]).toMatchObject({ event: "meta", data: { model: TEXT_ONLY, imagesDescribedBy: VISION } });
    const [describer, coder] = completions();
    expect(describer.body.model).toBe(VISION);
    expect(describer.images).toHaveLength(1);
    expect(coder.body.model).toBe(TEXT_ONLY);
    expect(coder.images).toEqual([]);
    const prompt = coder.body.messages.at(-1).content as string;
    expect(prompt.startsWith("an app like this screenshot\n\nThe user attached a screenshot. Its description:\n")).toBe(true);
    expect(prompt.length).toBeGreaterThan(120);
  });

  it("without a describer, a text-only model is refused with model_cannot_see before anything is saved", async () => {
    fake.reset();
    const { chatId, image } = await chatWithImage(noDescriber);
    const refused = await ask(noDescriber, chatId, TEXT_ONLY, [image.id]);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "model_cannot_see" } });
    expect(completions()).toHaveLength(0);
    const page = await (await owner.fetch(`${noDescriber.url}/chats/${chatId}`)).text();
    expect(page).not.toContain("an app like this screenshot");
  });

  it("an image id that is not one of the chat's is refused with unknown_image", async () => {
    const first = await chatWithImage(kiln);
    const second = await chatWithImage(kiln);
    const refused = await ask(kiln, second.chatId, VISION, [first.image.id]);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "unknown_image" } });
  });
});
