/**
 * Images attached to a chat, through the production server: the owner uploads one as the raw body,
 * it is stored cleaned (no metadata, at most 2048 px) in the database and read back by anyone with the
 * chat's link; bad input is refused with a stable code and nothing is stored. SQLite, and Postgres
 * with TEST_DATABASE_URL.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UploadedImage } from "../../machines/images";
import { sqlitePath } from "../../server/db/open-chat-store.server";
import { cookieJar, type CookieJar } from "../support/cookie-jar";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { pacedUpload } from "../support/paced-upload";

const MODEL = "deepseek-ai/DeepSeek-V3";
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const databases: Array<[string, string]> = [
  ["sqlite", `file:${join(mkdtempSync(join(tmpdir(), "kiln-images-")), "kiln.db")}`],
  ...(process.env.TEST_DATABASE_URL ? [["postgres", process.env.TEST_DATABASE_URL] as [string, string]] : []),
];

/** A screenshot as a phone saves it: EXIF with the device and GPS coordinates. */
function screenshot(width = 640, height = 480) {
  return sharp({ create: { width, height, channels: 3, background: { r: 15, g: 23, b: 42 } } })
    .withExif({
      IFD0: { Make: "Pixelphone", Model: "Pixelphone 9" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 24/1", GPSLongitudeRef: "E", GPSLongitude: "2/1 21/1 3/1" },
    })
    .png()
    .toBuffer();
}

async function errorCode(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { error?: { code?: string } }).error?.code;
}

/** How many images the database holds for a chat, read directly: a refusal must have stored none. */
async function storedImages(databaseUrl: string, chatId: string): Promise<number> {
  if (databaseUrl.startsWith("file:")) {
    const sqlite = new Database(sqlitePath(databaseUrl), { readonly: true });
    try {
      return (sqlite.prepare("select count(*) as n from images where chat_id = ?").get(chatId) as { n: number }).n;
    } finally {
      sqlite.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("select count(*) as n from images where chat_id = $1", [chatId]);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/** `total` bytes typed image/png in 64 kB writes (tests/support/paced-upload.ts). */
function uploadImageBytes(url: string, total: number, headers: Record<string, string>) {
  return pacedUpload(url, { total, headers: { "Content-Type": "image/png", ...headers }, piece: Buffer.alloc(64 * 1024, 0x42) });
}

describe.each(databases)("images (%s)", (_name, databaseUrl) => {
  let fake: FakeProvider;
  let kiln: KilnServer;

  beforeAll(async () => {
    fake = await startFakeProvider();
    kiln = await startKilnServer({
      DATABASE_URL: databaseUrl,
      TOGETHER_API_KEY: "test-key",
      TOGETHER_BASE_URL: fake.url,
      KILN_MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES),
    });
  });

  afterAll(async () => {
    await kiln?.stop();
    await fake?.close();
  });

  async function newChat(browser: CookieJar) {
    const response = await browser.fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "Like this screenshot" }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  const upload = (browser: CookieJar, chatId: string, body: Uint8Array | string, type: string) =>
    browser.fetch(`${kiln.url}/api/chats/${chatId}/images`, {
      method: "POST",
      headers: { "Content-Type": type },
      body: typeof body === "string" ? body : new Uint8Array(body),
    });

  it("the owner uploads a PNG: 201 with its id and size, and anyone with the link reads it back as image/png without its metadata", async () => {
    const owner = cookieJar();
    const chatId = await newChat(owner);
    const original = await screenshot();
    expect((await sharp(original).metadata()).exif).toBeDefined();

    const response = await upload(owner, chatId, original, "image/png");
    expect(response.status).toBe(201);
    const image = (await response.json()) as UploadedImage;
    expect(image).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      mediaType: "image/png",
      width: 640,
      height: 480,
      bytes: expect.any(Number),
    });

    // A link holder: no cookie at all.
    const read = await fetch(`${kiln.url}/api/chats/${chatId}/images/${image.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toBe("image/png");
    expect(read.headers.get("x-content-type-options")).toMatch(/nosniff/);
    expect(read.headers.get("content-security-policy")).toMatch(/(^|, )sandbox($|,)/);
    expect(read.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    const bytes = Buffer.from(await read.arrayBuffer());
    expect(bytes.length).toBe(image.bytes);
    const metadata = await sharp(bytes).metadata();
    expect(metadata).toMatchObject({ format: "png", width: 640, height: 480 });
    expect(metadata.exif).toBeUndefined();
    expect(bytes.includes(Buffer.from("Pixelphone"))).toBe(false);
  });

  it("downscales a 4000×3000 upload to 2048×1536", async () => {
    const owner = cookieJar();
    const chatId = await newChat(owner);
    const large = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: "#ffffff" } })
      .jpeg()
      .toBuffer();
    const response = await upload(owner, chatId, large, "image/jpeg");
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ mediaType: "image/jpeg", width: 2048, height: 1536 });
  });

  it("refuses what is not a PNG, JPEG or WebP with 415 unsupported_image_type, and stores nothing", async () => {
    const owner = cookieJar();
    const chatId = await newChat(owner);
    const text = await upload(owner, chatId, "just some notes", "text/plain");
    expect(text.status).toBe(415);
    expect(await errorCode(text)).toBe("unsupported_image_type");
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#000" } })
      .gif()
      .toBuffer();
    const claimingPng = await upload(owner, chatId, gif, "image/png");
    expect(claimingPng.status).toBe(415);
    expect(await errorCode(claimingPng)).toBe("unsupported_image_type");
    expect(await storedImages(databaseUrl, chatId)).toBe(0);
  });

  it("refuses bytes that claim a type Kiln takes but do not decode with 422 image_unreadable, and stores nothing", async () => {
    const owner = cookieJar();
    const chatId = await newChat(owner);
    const garbage = await upload(owner, chatId, "a text file renamed screenshot.png", "image/png");
    expect(garbage.status).toBe(422);
    const refusal = (await garbage.json()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe("image_unreadable");
    expect(refusal.error.message).toMatch(/^[A-Z][^\n]+\.$/);
    const whole = await screenshot();
    const truncated = await upload(owner, chatId, whole.subarray(0, Math.floor(whole.length / 2)), "image/png");
    expect(truncated.status).toBe(422);
    expect(await storedImages(databaseUrl, chatId)).toBe(0);
  });

  it("refuses a 6 MiB upload with 413 image_too_large from its Content-Length, before the body has arrived", async () => {
    const owner = cookieJar();
    const chatId = await newChat(owner);
    const total = 6 * 1024 * 1024;
    const result = await uploadImageBytes(`${kiln.url}/api/chats/${chatId}/images`, total, {
      "Content-Length": String(total),
      Cookie: owner.cookie!,
    });
    expect(result).toMatchObject({ status: 413, code: "image_too_large", connection: "close" });
    expect(result.sent).toBeLessThan(total / 2);
    expect(await storedImages(databaseUrl, chatId)).toBe(0);
  });

  it("refuses an upload sent without Content-Length once the limit has arrived, never reading on", async () => {
    const owner = cookieJar();
    const chatId = await newChat(owner);
    // Far past the limit, so that socket buffers (megabytes on loopback) cannot hide whether it read on.
    const total = 16 * 1024 * 1024;
    const result = await uploadImageBytes(`${kiln.url}/api/chats/${chatId}/images`, total, { Cookie: owner.cookie! });
    expect(result).toMatchObject({ status: 413, code: "image_too_large" });
    expect(result.sent).toBeLessThan(12 * 1024 * 1024);
  });

  it("refuses an upload from another browser with 403 not_chat_owner, and stores nothing", async () => {
    const owner = cookieJar();
    const chatId = await newChat(owner);
    const stranger = cookieJar();
    const response = await upload(stranger, chatId, await screenshot(), "image/png");
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe("not_chat_owner");
    expect(await storedImages(databaseUrl, chatId)).toBe(0);
  });

  it("answers 404 chat_not_found for an upload to a chat that does not exist", async () => {
    const response = await upload(cookieJar(), "no-such-chat", await screenshot(), "image/png");
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe("chat_not_found");
  });

  it("answers 404 image_not_found for another chat's image id, or an id nobody made", async () => {
    const owner = cookieJar();
    const mine = await newChat(owner);
    const other = await newChat(owner);
    const response = await upload(owner, other, await screenshot(), "image/png");
    const { id } = (await response.json()) as UploadedImage;
    for (const imageId of [id, "AAAAAAAAAAAAAAAAAAAAAA"]) {
      const read = await fetch(`${kiln.url}/api/chats/${mine}/images/${imageId}`);
      expect(read.status).toBe(404);
      expect(await errorCode(read)).toBe("image_not_found");
    }
    expect((await fetch(`${kiln.url}/api/chats/${other}/images/${id}`)).status).toBe(200);
  });
});
