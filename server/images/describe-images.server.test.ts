/** The describer against the fake provider over real HTTP: what it asks, what it returns, how it fails. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_IMAGE_DESCRIPTION, startFakeProvider, type FakeProvider } from "../../tests/support/fake-provider";
import { loadConfig } from "../config.server";
import type { MessageImage } from "../context-builder";
import { createProviderFactory, type ProviderFactory } from "../providers/factory.server";
import {
  DESCRIBE_SYSTEM_PROMPT,
  DESCRIPTION_MAX_TOKENS,
  describeImages,
  promptWithDescription,
  type DescribeImagesOptions,
} from "./describe-images.server";

let fake: FakeProvider;
let providers: ProviderFactory;

beforeAll(async () => {
  fake = await startFakeProvider();
  const file = { providers: [{ id: "vision", label: "Vision host", baseURL: fake.url, models: [{ id: "seer", vision: true }] }] };
  providers = createProviderFactory(loadConfig({ KILN_PROVIDERS: "/providers.json" }, () => JSON.stringify(file)));
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const screenshot = (bytes: Buffer): MessageImage => ({
  mediaType: "image/png",
  dataUrl: `data:image/png;base64,${bytes.toString("base64")}`,
});

function describeFor(prompt: string, overrides: Partial<DescribeImagesOptions> = {}) {
  return describeImages({
    providers,
    visionModel: "seer",
    images: [screenshot(Buffer.alloc(2048, 1))],
    prompt,
    signal: new AbortController().signal,
    settings: { firstByteTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
    ...overrides,
  });
}

describe("describeImages", () => {
  it("sends the images to the vision model as image_url parts with the describer's prompt, and returns its description", async () => {
    const result = await describeFor("a timer like this one", {
      images: [screenshot(Buffer.alloc(2048, 1)), { mediaType: "image/jpeg", dataUrl: `data:image/jpeg;base64,${"AAAA"}` }],
    });
    expect(result).toEqual({ ok: true, description: FAKE_IMAGE_DESCRIPTION });
    const [request] = fake.requests;
    expect(request.body.model).toBe("seer");
    expect(request.body.max_tokens).toBe(DESCRIPTION_MAX_TOKENS);
    expect(request.body.messages[0]).toEqual({ role: "system", content: DESCRIBE_SYSTEM_PROMPT });
    expect(request.body.messages[1].content[0]).toEqual({
      type: "text",
      text: "The user's request, for context: a timer like this one",
    });
    expect(request.images).toEqual([
      { messageIndex: 1, mediaType: "image/png", bytes: 2048 },
      { messageIndex: 1, mediaType: "image/jpeg", bytes: 3 },
    ]);
  });

  it("maps the vision model's failures to the provider error codes, naming what failed", async () => {
    expect(await describeFor("a timer [fake:status=401]")).toMatchObject({
      ok: false,
      code: "provider_auth",
      retryable: false,
      message: expect.stringMatching(/^Kiln could not describe the image: Vision host/),
    });
    expect(await describeFor("a timer [fake:status=503]")).toMatchObject({
      ok: false,
      code: "provider_unavailable",
      retryable: true,
    });
    expect(
      await describeFor("a timer [fake:first-byte-ms=2000]", { settings: { firstByteTimeoutMs: 200, idleTimeoutMs: 200 } }),
    ).toMatchObject({ ok: false, code: "first_byte_timeout", retryable: true });
  });

  it("refuses a vision model no provider serves, without calling any", async () => {
    expect(await describeFor("a timer", { visionModel: "nobody" })).toMatchObject({ ok: false, code: "unknown_model" });
    expect(fake.requests).toHaveLength(0);
  });

  it("rethrows the abort when the browser leaves mid-description", async () => {
    const controller = new AbortController();
    const pending = describeFor("a timer [fake:first-byte-ms=3000]", { signal: controller.signal });
    await fake.waitForRequests(1);
    controller.abort(new Error("client gone"));
    await expect(pending).rejects.toThrow();
  });
});

describe("promptWithDescription", () => {
  it("puts the description after the user's words, saying how many screenshots it covers", () => {
    expect(promptWithDescription("make this", "A dark card.", 1)).toBe(
      "make this\n\nThe user attached a screenshot. Its description:\nA dark card.",
    );
    expect(promptWithDescription("make this", "Two cards.", 2)).toBe(
      "make this\n\nThe user attached 2 screenshots. Their description:\nTwo cards.",
    );
  });
});
