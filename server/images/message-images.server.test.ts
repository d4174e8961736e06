import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatStore } from "../db/chat-store";
import { newId } from "../db/new-id.server";
import { openChatStore } from "../db/open-chat-store.server";
import { IMAGES_NEED_A_CHAT_MESSAGE, imageIdsOf, resolveMessageImages } from "./message-images.server";

const tempDir = mkdtempSync(join(tmpdir(), "kiln-message-images-"));
let store: ChatStore;

beforeAll(async () => {
  store = await openChatStore(`file:${join(tempDir, "kiln.db")}`);
});

afterAll(async () => {
  await store?.close();
  rmSync(tempDir, { recursive: true, force: true });
});

const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

async function chatWithImage(mediaType: "image/png" | "image/jpeg" = "image/png") {
  const chat = await store.createChat({ title: "t", model: "m" });
  const image = await store.saveImage({ chatId: chat.id, mediaType, data: PNG_BYTES, width: 10, height: 10 });
  return { chatId: chat.id, imageId: image.id };
}

/** A store that must not be asked: requests without images never touch the database. */
const untouchable = {
  getImage: async () => {
    throw new Error("the store was asked");
  },
};

describe("resolveMessageImages", () => {
  it("answers an empty map for messages without images, without asking the store, with or without a chat", async () => {
    const messages = [{ images: undefined }, { images: [] }];
    expect(await resolveMessageImages(untouchable, "chat", messages)).toEqual({ ok: true, images: new Map() });
    expect(await resolveMessageImages(untouchable, undefined, messages)).toEqual({ ok: true, images: new Map() });
  });

  it("reads the chat's images as data URLs of their bytes, every message's, each id once", async () => {
    const { chatId, imageId } = await chatWithImage();
    const other = await store.saveImage({ chatId, mediaType: "image/jpeg", data: Buffer.from("jpeg"), width: 1, height: 1 });
    // A request's messages, or saved ones (a replica taking the turn over), whose "none" is null.
    const result = await resolveMessageImages(store, chatId, [
      { images: [imageId] },
      { images: null },
      { images: [other.id, imageId] },
    ]);
    if (!result.ok) throw new Error(result.message);
    expect([...result.images.keys()]).toEqual([imageId, other.id]);
    expect(result.images.get(imageId)).toEqual({
      mediaType: "image/png",
      dataUrl: `data:image/png;base64,${PNG_BYTES.toString("base64")}`,
    });
    expect(result.images.get(other.id)?.dataUrl).toBe(`data:image/jpeg;base64,${Buffer.from("jpeg").toString("base64")}`);
  });

  it("refuses images on a request without a chat: they can only be uploaded to one", async () => {
    expect(await resolveMessageImages(untouchable, undefined, [{ images: ["abc"] }])).toEqual({
      ok: false,
      status: 400,
      code: "bad_request",
      message: IMAGES_NEED_A_CHAT_MESSAGE,
    });
  });

  it("refuses another chat's image as unknown, like an id nobody made: ids are the only key", async () => {
    const mine = await chatWithImage();
    const theirs = await chatWithImage();
    for (const id of [theirs.imageId, newId()]) {
      expect(await resolveMessageImages(store, mine.chatId, [{ images: [mine.imageId, id] }])).toMatchObject({
        ok: false,
        status: 400,
        code: "unknown_image",
        message: "This chat has no such image; attach it again.",
      });
    }
  });
});

describe("imageIdsOf", () => {
  it("lists every id once, in order of appearance", () => {
    expect(imageIdsOf([{ images: ["b", "a"] }, {}, { images: ["a", "c"] }])).toEqual(["b", "a", "c"]);
  });
});
