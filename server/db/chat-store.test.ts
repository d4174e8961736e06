/**
 * One suite, every backend: SQLite (a temp file, fresh for this test file) always, Postgres when
 * TEST_DATABASE_URL is set (`export TEST_DATABASE_URL=$(bash scripts/start-test-postgres.sh)`).
 * The Postgres run creates a fresh database next to TEST_DATABASE_URL's (kiln_store_<random>) and drops
 * it afterwards, so every run migrates from scratch and never touches tables other test files use
 * concurrently. Without the CREATEDB privilege it runs in TEST_DATABASE_URL's database itself, which
 * works too: every test creates its own chats under fresh random ids.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BucketState, remainingTokens, take } from "../token-bucket";
import type { ChatStore, RateLimitDecision, StoredMessage } from "./chat-store";
import { newId } from "./new-id.server";
import { openChatStore, redactDatabaseUrl, sqlitePath } from "./open-chat-store.server";
import { MAX_KEY_LENGTH, PRUNE_INTERVAL_MS } from "./rate-limits.server";

const tempDir = mkdtempSync(join(tmpdir(), "kiln-store-test-"));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl && !/^postgres(ql)?:\/\//.test(pgUrl)) throw new Error("TEST_DATABASE_URL must be postgres://…");

interface Backend {
  name: string;
  /** Returns the URL to open, and how to clean up afterwards. */
  prepare(): Promise<{ url: string; cleanUp(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "sqlite",
    prepare: async () => ({ url: `file:${join(tempDir, "suite", "kiln.db")}`, cleanUp: async () => {} }),
  },
];
if (pgUrl) backends.push({ name: "postgres", prepare: () => freshPostgresDatabase(pgUrl) });

async function freshPostgresDatabase(url: string) {
  const name = `kiln_store_${newId()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } catch (error) {
    if ((error as { code?: string }).code !== "42501") throw error; // insufficient_privilege
    return { url, cleanUp: async () => {} };
  } finally {
    await admin.end();
  }
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return {
    url: fresh.href,
    async cleanUp() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

const BASE64URL_128_BITS = /^[A-Za-z0-9_-]{22}$/;

describe.each(backends.map((backend) => [backend.name, backend] as const))("%s", (_name, backend) => {
  let store: ChatStore;
  const db = { url: "" };

  beforeAll(async () => {
    const prepared = await backend.prepare();
    db.url = prepared.url;
    store = await openChatStore(db.url);
    return async () => {
      await store.close();
      await prepared.cleanUp();
    };
  });

  async function chatWith(count: number) {
    const chat = await store.createChat({ title: "a timer", model: "m" });
    const appended: StoredMessage[] = [];
    for (let i = 0; i < count; i++) {
      appended.push(
        await store.appendMessage({
          chatId: chat.id,
          role: i % 2 ? "assistant" : "user",
          content: `message ${i}`,
          state: "complete",
        }),
      );
    }
    return { chat, appended };
  }

  it("answers ping", async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("creates a chat and reads it back; an unknown id gives undefined", async () => {
    const before = Date.now();
    const chat = await store.createChat({ title: "A pomodoro timer", model: "meta-llama/Llama-3.3-70B" });
    expect(chat).toEqual({
      id: expect.stringMatching(BASE64URL_128_BITS),
      title: "A pomodoro timer",
      model: "meta-llama/Llama-3.3-70B",
      createdAt: expect.any(Number),
      ownerHash: null,
    });
    expect(chat.createdAt).toBeGreaterThanOrEqual(before);
    expect(chat.createdAt).toBeLessThanOrEqual(Date.now());
    expect(await store.getChat(chat.id)).toEqual(chat);
    expect(await store.getChat(newId())).toBeUndefined();
    expect(await store.getChat("")).toBeUndefined();
  });

  it("appends at positions 0, 1, 2 and lists messages in position order", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const first = await store.appendMessage({ chatId: chat.id, role: "user", content: "make a timer", state: "complete" });
    const second = await store.appendMessage({
      chatId: chat.id,
      role: "assistant",
      content: "```tsx\nexport default function App() {}\n```",
      state: "stopped",
      provider: "together",
      model: "meta-llama/Llama-3.3-70B",
    });
    const third = await store.appendMessage({ chatId: chat.id, role: "user", content: "bigger buttons", state: "complete" });
    expect([first.position, second.position, third.position]).toEqual([0, 1, 2]);
    expect(first).toMatchObject({ chatId: chat.id, role: "user", state: "complete", provider: null, model: null });
    expect(second).toMatchObject({
      role: "assistant",
      state: "stopped",
      provider: "together",
      model: "meta-llama/Llama-3.3-70B",
    });
    expect(await store.listMessages(chat.id)).toEqual([first, second, third]);
  });

  it("keeps chats apart: positions restart at 0 and lists hold only their own chat", async () => {
    const a = await chatWith(3);
    const b = await chatWith(2);
    expect((await store.listMessages(b.chat.id)).map((m) => m.position)).toEqual([0, 1]);
    expect((await store.listMessages(a.chat.id)).map((m) => m.id)).toEqual(a.appended.map((m) => m.id));
    expect(await store.listMessages(newId())).toEqual([]);
  });

  it("refuses to append to a chat that does not exist", async () => {
    await expect(store.appendMessage({ chatId: newId(), role: "user", content: "x", state: "complete" })).rejects.toThrow(
      /no such chat/,
    );
  });

  it("gets a message by id; an unknown id gives undefined", async () => {
    const { appended } = await chatWith(2);
    expect(await store.getMessage(appended[1].id)).toEqual(appended[1]);
    expect(await store.getMessage(newId())).toBeUndefined();
  });

  describe("images", () => {
    /** Some bytes that cover every byte value and are larger than a page: a blob or bytea must keep them exactly. */
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + (i >> 8)) % 256));

    it("saves an image of a chat under a new unguessable id and reads it back, bytes exact", async () => {
      const chat = await store.createChat({ title: "t", model: "m" });
      const before = Date.now();
      const saved = await store.saveImage({ chatId: chat.id, mediaType: "image/png", data: bytes, width: 640, height: 480 });
      expect(saved).toEqual({
        id: expect.stringMatching(BASE64URL_128_BITS),
        chatId: chat.id,
        mediaType: "image/png",
        width: 640,
        height: 480,
        bytes: bytes.length,
        createdAt: expect.any(Number),
      });
      expect(saved.createdAt).toBeGreaterThanOrEqual(before);
      const read = await store.getImage(saved.id);
      expect(read).toEqual({ ...saved, data: expect.any(Buffer) });
      expect(Buffer.compare(read!.data, bytes)).toBe(0);
      expect(await store.getImage(newId())).toBeUndefined();
      expect(await store.getImage("")).toBeUndefined();
    });

    it("refuses an image for a chat that does not exist, and stores nothing", async () => {
      await expect(
        store.saveImage({ chatId: newId(), mediaType: "image/jpeg", data: bytes, width: 1, height: 1 }),
      ).rejects.toThrow(/no such chat/);
    });

    it("keeps the ids of a user message's images, in order; none is null, and an empty list is none", async () => {
      const chat = await store.createChat({ title: "t", model: "m" });
      const [a, b] = await Promise.all(
        ["image/png", "image/webp"].map((mediaType) =>
          store.saveImage({ chatId: chat.id, mediaType: mediaType as "image/png", data: bytes, width: 2, height: 2 }),
        ),
      );
      const withImages = await store.appendMessage({
        chatId: chat.id,
        role: "user",
        content: "make this",
        state: "complete",
        images: [b.id, a.id],
      });
      expect(withImages.images).toEqual([b.id, a.id]);
      const answer = await store.appendMessage({ chatId: chat.id, role: "assistant", content: "ok", state: "complete" });
      const empty = await store.appendMessage({ chatId: chat.id, role: "user", content: "x", state: "complete", images: [] });
      expect(answer.images).toBeNull();
      expect(empty.images).toBeNull();
      expect((await store.listMessages(chat.id)).map((m) => m.images)).toEqual([[b.id, a.id], null, null]);
      expect(await store.getMessage(withImages.id)).toEqual(withImages);
    });

    it("updateMessage replaces the images when given, keeps them when not, and clears them with null or []", async () => {
      const chat = await store.createChat({ title: "t", model: "m" });
      const image = await store.saveImage({ chatId: chat.id, mediaType: "image/png", data: bytes, width: 2, height: 2 });
      const other = await store.saveImage({ chatId: chat.id, mediaType: "image/png", data: bytes, width: 2, height: 2 });
      const prompt = await store.appendMessage({
        chatId: chat.id,
        role: "user",
        content: "v1",
        state: "complete",
        images: [image.id],
      });
      const imagesNow = async () => (await store.getMessage(prompt.id))?.images;
      await store.updateMessage(prompt.id, { content: "v2", state: "complete" });
      expect(await imagesNow()).toEqual([image.id]);
      await store.updateMessage(prompt.id, { content: "v3", state: "complete", images: [other.id, image.id] });
      expect(await imagesNow()).toEqual([other.id, image.id]);
      await store.updateMessage(prompt.id, { content: "v4", state: "complete", images: [] });
      expect(await imagesNow()).toBeNull();
      await store.updateMessage(prompt.id, { content: "v5", state: "complete", images: [image.id] });
      await store.updateMessage(prompt.id, { content: "v6", state: "complete", images: null });
      expect(await imagesNow()).toBeNull();
    });

    it("deletes a chat's images with the chat", async () => {
      const chat = await store.createChat({ title: "t", model: "m" });
      const image = await store.saveImage({ chatId: chat.id, mediaType: "image/png", data: bytes, width: 2, height: 2 });
      await deleteChatDirectly(db.url, chat.id);
      expect(await store.getChat(chat.id)).toBeUndefined();
      expect(await store.getImage(image.id)).toBeUndefined();
    });
  });

  it("updateMessage replaces content and state, keeps provider/model unless given, and is false for an unknown id", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const answer = await store.appendMessage({
      chatId: chat.id,
      role: "assistant",
      content: "partial",
      state: "failed",
      provider: "a",
      model: "m1",
    });

    expect(await store.updateMessage(answer.id, { content: "the whole answer", state: "complete" })).toBe(true);
    expect(await store.getMessage(answer.id)).toEqual({ ...answer, content: "the whole answer", state: "complete" });

    expect(await store.updateMessage(answer.id, { content: "retried", state: "stopped", provider: "b", model: "m2" })).toBe(true);
    expect(await store.getMessage(answer.id)).toEqual({
      ...answer,
      content: "retried",
      state: "stopped",
      provider: "b",
      model: "m2",
    });

    expect(await store.updateMessage(answer.id, { content: "", state: "failed", provider: null, model: null })).toBe(true);
    expect(await store.getMessage(answer.id)).toEqual({ ...answer, content: "", state: "failed", provider: null, model: null });

    expect(await store.updateMessage(newId(), { content: "x", state: "complete" })).toBe(false);
  });

  it("saves an answer's receipt with it and reads it back unchanged; a user message, or an answer saved without one, has none", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const prompt = await store.appendMessage({ chatId: chat.id, role: "user", content: "a timer", state: "complete" });
    const receipt = {
      firstTokenMs: 412,
      totalMs: 6_249,
      retries: 1,
      fallbacks: 1,
      fellBackFrom: "together",
      inputTokens: 812,
      outputTokens: 1_934,
    };
    const answer = await store.appendMessage({
      chatId: chat.id,
      role: "assistant",
      content: "the answer",
      state: "complete",
      provider: "backup",
      model: "backup-model",
      receipt,
    });
    const older = await store.appendMessage({ chatId: chat.id, role: "assistant", content: "older", state: "complete" });
    expect(answer.receipt).toEqual(receipt);
    expect(prompt.receipt).toBeNull();
    expect(older.receipt).toBeNull();
    expect(await store.getMessage(answer.id)).toEqual(answer);
    expect((await store.listMessages(chat.id)).map((m) => m.receipt)).toEqual([null, receipt, null]);
    // Only what was known: no usage reported, no text before the end.
    const bare = { totalMs: 80, retries: 0, fallbacks: 0 };
    const stopped = await store.appendMessage({
      chatId: chat.id,
      role: "assistant",
      content: "x",
      state: "stopped",
      receipt: bare,
    });
    expect((await store.getMessage(stopped.id))!.receipt).toEqual(bare);
  });

  it("updateMessage replaces the receipt when given, keeps it when not, and clears it with null", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const first = { totalMs: 900, retries: 2, fallbacks: 0 };
    const answer = await store.appendMessage({
      chatId: chat.id,
      role: "assistant",
      content: "partial",
      state: "failed",
      receipt: first,
    });
    expect(await store.updateMessage(answer.id, { content: "partial, edited", state: "failed" })).toBe(true);
    expect((await store.getMessage(answer.id))!.receipt).toEqual(first);
    const second = { firstTokenMs: 300, totalMs: 4_000, retries: 0, fallbacks: 0, inputTokens: 10, outputTokens: 20 };
    expect(await store.updateMessage(answer.id, { content: "whole", state: "complete", receipt: second })).toBe(true);
    expect(await store.getMessage(answer.id)).toEqual({ ...answer, content: "whole", state: "complete", receipt: second });
    expect(await store.updateMessage(answer.id, { content: "whole", state: "complete", receipt: null })).toBe(true);
    expect((await store.getMessage(answer.id))!.receipt).toBeNull();
  });

  it("creates a share for a message, holding its frozen snapshot, and reads it back; unknown share → undefined; unknown message → rejected", async () => {
    const { appended } = await chatWith(2);
    const snapshot = { code: "export default function App() {}", title: "A timer", summary: "A timer.", model: "m", version: 1 };
    const share = await store.createShare(appended[1].id, snapshot);
    expect(share).toEqual({
      id: expect.stringMatching(BASE64URL_128_BITS),
      messageId: appended[1].id,
      createdAt: expect.any(Number),
      ...snapshot,
    });
    expect(await store.getShare(share.id)).toEqual(share);
    // The message changing later (a regenerated answer) leaves the share as it was.
    await store.updateMessage(appended[1].id, { content: "something else", state: "complete" });
    expect(await store.getShare(share.id)).toEqual(share);
    const again = await store.createShare(appended[1].id, snapshot);
    expect(again.id).not.toBe(share.id);
    expect(await store.getShare(newId())).toBeUndefined();
    await expect(store.createShare(newId(), snapshot)).rejects.toThrow(/no such message/);
  });

  it("appends at an expected position only when it is the next one; otherwise nothing is written", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const first = await store.appendMessage({
      chatId: chat.id,
      role: "user",
      content: "a",
      state: "complete",
      expectedPosition: 0,
    });
    expect(first.position).toBe(0);
    await expect(
      store.appendMessage({ chatId: chat.id, role: "user", content: "b", state: "complete", expectedPosition: 0 }),
    ).rejects.toThrow(/the next position is 1, not 0/);
    await expect(
      store.appendMessage({ chatId: chat.id, role: "user", content: "c", state: "complete", expectedPosition: 2 }),
    ).rejects.toThrow(/the next position is 1, not 2/);
    expect((await store.listMessages(chat.id)).map((m) => m.content)).toEqual(["a"]);
  });

  it("keeps a chat's owner hash, and lets only an ownerless chat be claimed, once", async () => {
    const owned = await store.createChat({ title: "t", model: "m", ownerHash: "a".repeat(64) });
    expect((await store.getChat(owned.id))?.ownerHash).toBe("a".repeat(64));
    expect(await store.claimChat(owned.id, "b".repeat(64))).toBe(false);
    expect((await store.getChat(owned.id))?.ownerHash).toBe("a".repeat(64));
    const legacy = await store.createChat({ title: "t", model: "m" });
    expect(legacy.ownerHash).toBeNull();
    expect(await store.claimChat(legacy.id, "c".repeat(64))).toBe(true);
    expect(await store.claimChat(legacy.id, "d".repeat(64))).toBe(false);
    expect((await store.getChat(legacy.id))?.ownerHash).toBe("c".repeat(64));
    expect(await store.claimChat(newId(), "c".repeat(64))).toBe(false);
  });

  it("gives every chat, message and share a distinct 22-character base64url id", async () => {
    const { chat, appended } = await chatWith(10);
    const share = await store.createShare(appended[0].id, { code: "x", title: "t", summary: "", model: null, version: 1 });
    const ids = [chat.id, ...appended.map((m) => m.id), share.id];
    for (const id of ids) expect(id).toMatch(BASE64URL_128_BITS);
    expect(new Set(ids).size).toBe(ids.length);
    const many = Array.from({ length: 1000 }, newId);
    expect(new Set(many).size).toBe(1000);
  });

  it("gives 20 concurrent appends to one chat 20 distinct consecutive positions", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.appendMessage({ chatId: chat.id, role: "user", content: `concurrent ${i}`, state: "complete" }),
      ),
    );
    expect(results.map((m) => m.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const listed = await store.listMessages(chat.id);
    expect(listed.map((m) => m.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(listed.map((m) => m.content)).size).toBe(20);
  });

  it("keeps positions distinct when two stores (two servers) append to one chat at once", async () => {
    const other = await openChatStore(db.url);
    try {
      const chat = await store.createChat({ title: "t", model: "m" });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store).appendMessage({ chatId: chat.id, role: "user", content: `from ${i % 2}`, state: "complete" }),
        ),
      );
      expect((await store.listMessages(chat.id)).map((m) => m.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await other.close();
    }
  });

  it("round-trips content exactly: emoji, CJK, RTL, newlines, quotes, backslashes, 200 KB", async () => {
    const samples = [
      "🔥 Kiln 👩🏽‍💻 🇰🇷",
      "中文 日本語 한국어",
      "עברית العربية",
      "line 1\nline 2\r\nline 3\n\n\ttabbed\n",
      `quotes ' " \` and backslashes \\ \\n %s $1 ?`,
      "'; drop table chats; --",
      "x".repeat(200 * 1024 - 3) + "末尾",
      "",
    ];
    const chat = await store.createChat({ title: "타이머 ⏱️ «timer»", model: "модель" });
    for (const content of samples) {
      await store.appendMessage({ chatId: chat.id, role: "assistant", content, state: "complete" });
    }
    expect((await store.listMessages(chat.id)).map((m) => m.content)).toEqual(samples);
    expect(await store.getChat(chat.id)).toMatchObject({ title: "타이머 ⏱️ «timer»", model: "модель" });
  });

  it("migrations are idempotent: opening the same database again finds the data and changes nothing", async () => {
    const { chat, appended } = await chatWith(2);
    for (let i = 0; i < 2; i++) {
      const again = await openChatStore(db.url);
      expect(await again.getChat(chat.id)).toEqual(chat);
      expect(await again.listMessages(chat.id)).toEqual(appended);
      await again.close();
    }
  });

  describe("rate limits", () => {
    const T0 = 1_780_000_000_000;
    /** A namespace of its own per test: stores prune full buckets per namespace, with the caller's limits. */
    const namespace = () => `t${newId().replace(/[^A-Za-z0-9]/g, "")}:`;
    const allowedCount = (results: RateLimitDecision[]) => results.filter((r) => r.allowed).length;

    /** How many rows a key has, read with a connection of its own (not through the store). */
    async function rowsFor(keys: string[]): Promise<string[]> {
      if (db.url.startsWith("file:")) {
        const raw = new Database(sqlitePath(db.url), { readonly: true });
        try {
          return keys.filter((key) => raw.prepare("select 1 from rate_limits where key = ?").get(key));
        } finally {
          raw.close();
        }
      }
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ key: string }>("select key from rate_limits where key = any($1)", [keys]);
        return keys.filter((key) => rows.some((row) => row.key === key));
      } finally {
        await client.end();
      }
    }

    it("allows capacity requests at once, then refuses with retryAfterMs = 1/refill", async () => {
      const key = `${namespace()}203.0.113.7`;
      const limits = { capacity: 3, refillPerSecond: 2 };
      const results: RateLimitDecision[] = [];
      for (let i = 0; i < 5; i++) results.push(await store.takeRateLimitToken(key, limits, T0));
      expect(results).toEqual([
        { allowed: true, retryAfterMs: 0, remaining: 2 },
        { allowed: true, retryAfterMs: 0, remaining: 1 },
        { allowed: true, retryAfterMs: 0, remaining: 0 },
        { allowed: false, retryAfterMs: 500, remaining: 0 },
        { allowed: false, retryAfterMs: 500, remaining: 0 },
      ]);
    });

    it("uses the real clock when no time is given: retryAfterMs close to 1/refill", async () => {
      const key = `${namespace()}198.51.100.1`;
      const limits = { capacity: 2, refillPerSecond: 0.5 };
      const before = Date.now();
      expect(await store.takeRateLimitToken(key, limits)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 1 });
      expect(await store.takeRateLimitToken(key, limits)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
      const refused = await store.takeRateLimitToken(key, limits);
      const elapsed = Date.now() - before;
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(2000);
      expect(refused.retryAfterMs).toBeGreaterThanOrEqual(2000 - elapsed - 1);
    });

    it("refills with time: refused 1 ms early, allowed on time, never above capacity", async () => {
      const key = `${namespace()}192.0.2.1`;
      const limits = { capacity: 2, refillPerSecond: 4 };
      await store.takeRateLimitToken(key, limits, T0);
      await store.takeRateLimitToken(key, limits, T0);
      expect(await store.takeRateLimitToken(key, limits, T0 + 100)).toEqual({ allowed: false, retryAfterMs: 150, remaining: 0 });
      expect(await store.takeRateLimitToken(key, limits, T0 + 249)).toEqual({ allowed: false, retryAfterMs: 1, remaining: 0 });
      expect(await store.takeRateLimitToken(key, limits, T0 + 250)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
      // An hour later the bucket is full (2), not 14 400 tokens.
      const later = [];
      for (let i = 0; i < 3; i++) later.push(await store.takeRateLimitToken(key, limits, T0 + 3_600_000));
      expect(later.map((r) => [r.allowed, r.remaining])).toEqual([
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
    });

    it("treats the clock going backwards (another server's clock) as no time passing", async () => {
      const key = `${namespace()}192.0.2.2`;
      const limits = { capacity: 1, refillPerSecond: 1 };
      expect((await store.takeRateLimitToken(key, limits, T0)).allowed).toBe(true);
      expect(await store.takeRateLimitToken(key, limits, T0 - 30_000)).toEqual({
        allowed: false,
        retryAfterMs: 1000,
        remaining: 0,
      });
      expect(await store.takeRateLimitToken(key, limits, T0 + 999)).toEqual({ allowed: false, retryAfterMs: 1, remaining: 0 });
      expect((await store.takeRateLimitToken(key, limits, T0 + 1000)).allowed).toBe(true);
    });

    it("keeps keys independent: one client's empty bucket does not limit another, or another limit", async () => {
      const ns = namespace();
      const other = namespace();
      const limits = { capacity: 2, refillPerSecond: 1 };
      for (let i = 0; i < 3; i++) await store.takeRateLimitToken(`${ns}10.0.0.1`, limits, T0);
      expect((await store.takeRateLimitToken(`${ns}10.0.0.1`, limits, T0)).allowed).toBe(false);
      expect(await store.takeRateLimitToken(`${ns}10.0.0.2`, limits, T0)).toEqual({
        allowed: true,
        retryAfterMs: 0,
        remaining: 1,
      });
      expect(await store.takeRateLimitToken(`${ns}2001:db8::1`, limits, T0)).toEqual({
        allowed: true,
        retryAfterMs: 0,
        remaining: 1,
      });
      expect(await store.takeRateLimitToken(`${other}10.0.0.1`, limits, T0)).toEqual({
        allowed: true,
        retryAfterMs: 0,
        remaining: 1,
      });
    });

    it("gives exactly the pure token bucket's answers, step by step (fractional rates, clock jumps)", async () => {
      const key = `${namespace()}203.0.113.9`;
      const limits = { capacity: 3, refillPerSecond: 1 / 3 };
      const times = [
        0, 0, 0, 0, 1, 2999, 3000, 3001, 4500, 4500, 1000, 9000, 9001, 9002, 60_000, 60_000, 60_000, 60_000, 60_001, 63_000,
        62_999,
      ];
      let state: BucketState | undefined;
      const expected = [];
      const actual = [];
      for (const t of times) {
        const model = take(state, T0 + t, limits);
        if (model.allowed) state = model;
        expected.push({
          allowed: model.allowed,
          retryAfterMs: model.retryAfterMs,
          remaining: model.allowed ? remainingTokens(model.tokens) : 0,
        });
        actual.push(await store.takeRateLimitToken(key, limits, T0 + t));
      }
      expect(actual).toEqual(expected);
      expect(allowedCount(actual)).toBeGreaterThan(5);
      expect(actual.length - allowedCount(actual)).toBeGreaterThan(5);
    });

    it("50 concurrent takes on one key with capacity 10 allow exactly 10", async () => {
      const key = `${namespace()}203.0.113.50`;
      const limits = { capacity: 10, refillPerSecond: 1 };
      const results = await Promise.all(Array.from({ length: 50 }, () => store.takeRateLimitToken(key, limits, T0)));
      expect(allowedCount(results)).toBe(10);
      expect(
        results
          .filter((r) => r.allowed)
          .map((r) => r.remaining)
          .sort((a, b) => a - b),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs === 1000 && r.remaining === 0)).toBe(true);
    });

    it("two stores (two servers) sharing the database share the limit: 50 concurrent takes, exactly 10 allowed", async () => {
      const other = await openChatStore(db.url);
      try {
        for (let round = 0; round < 3; round++) {
          const key = `${namespace()}203.0.113.51`;
          const limits = { capacity: 10, refillPerSecond: 1 };
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) => (i % 2 ? other : store).takeRateLimitToken(key, limits, T0 + round)),
          );
          expect(allowedCount(results)).toBe(10);
          // A second later, one more, for either of them.
          const next = await Promise.all([
            store.takeRateLimitToken(key, limits, T0 + 1000 + round),
            other.takeRateLimitToken(key, limits, T0 + 1000 + round),
          ]);
          expect(allowedCount(next)).toBe(1);
        }
      } finally {
        await other.close();
      }
    });

    it("separate processes sharing the database share the limit: 4 × 25 concurrent takes, exactly 10 allowed", async () => {
      const key = `${namespace()}203.0.113.52`;
      const workers = Array.from({ length: 4 }, () =>
        spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            fileURLToPath(new URL("./take-tokens.fixture.ts", import.meta.url)),
            db.url,
            key,
            "25",
            "10",
            "1",
            String(T0),
          ],
          {
            cwd: fileURLToPath(new URL("../..", import.meta.url)),
            stdio: ["pipe", "pipe", "inherit"],
          },
        ),
      );
      const lines = workers.map(lineReader);
      try {
        expect(await Promise.all(lines.map((l) => l.next()))).toEqual(["ready", "ready", "ready", "ready"]);
        for (const child of workers) child.stdin!.write("go\n");
        const outputs = await Promise.all(lines.map((l) => l.next()));
        const allowed = outputs.map((line) => (JSON.parse(line) as { allowed: number }).allowed);
        expect(allowed.reduce((a, b) => a + b, 0)).toBe(10);
        expect(await Promise.all(lines.map((l) => l.exited))).toEqual([0, 0, 0, 0]);
      } finally {
        for (const child of workers) if (child.exitCode === null) child.kill();
      }
    });

    /** Reads a child's stdout line by line; `next` rejects if the child exits before the line comes. */
    function lineReader(child: ReturnType<typeof spawn>) {
      const lines: string[] = [];
      let buffered = "";
      let wake = () => {};
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        lines.push(...parts);
        wake();
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => (resolve(code), wake())));
      let exitCode: number | null | undefined;
      void exited.then((code) => (exitCode = code));
      return {
        exited,
        async next(): Promise<string> {
          for (;;) {
            if (lines.length) return lines.shift()!;
            if (exitCode !== undefined) throw new Error(`worker exited (${exitCode}) before printing a line`);
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
      };
    }

    it("keeps the buckets when the store is closed and opened again (a restart)", async () => {
      const key = `${namespace()}203.0.113.60`;
      const limits = { capacity: 2, refillPerSecond: 0.5 };
      const first = await openChatStore(db.url);
      await first.takeRateLimitToken(key, limits, T0);
      await first.takeRateLimitToken(key, limits, T0 + 500);
      await first.close();
      const second = await openChatStore(db.url);
      try {
        expect(await second.takeRateLimitToken(key, limits, T0 + 1000)).toEqual({
          allowed: false,
          retryAfterMs: 1000,
          remaining: 0,
        });
        expect(await second.takeRateLimitToken(key, limits, T0 + 2000)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
      } finally {
        await second.close();
      }
    });

    it("deletes buckets that have refilled to capacity, in the caller's namespace only, which changes no answer", async () => {
      const ns = namespace();
      const elsewhere = `${namespace()}x`;
      const limits = { capacity: 2, refillPerSecond: 1 }; // full 2 s after the last take
      const pruner = await openChatStore(db.url); // its own schedule: the first call prunes, then once a minute
      try {
        await pruner.takeRateLimitToken(`${ns}a`, limits, T0);
        await pruner.takeRateLimitToken(`${ns}b`, limits, T0 + 1000);
        await pruner.takeRateLimitToken(`${ns}d`, limits, T0 + 59_500);
        await pruner.takeRateLimitToken(`${ns}d`, limits, T0 + 59_500); // empty
        await pruner.takeRateLimitToken(elsewhere, { capacity: 1, refillPerSecond: 0.001 }, T0);
        expect(await rowsFor([`${ns}a`, `${ns}b`, `${ns}d`, elsewhere])).toEqual([`${ns}a`, `${ns}b`, `${ns}d`, elsewhere]);
        // A minute after the first call: a and b are full (idle ≥ 2 s) and go; d (idle 1.5 s) stays.
        await pruner.takeRateLimitToken(`${ns}c`, limits, T0 + PRUNE_INTERVAL_MS + 1000);
        expect(await rowsFor([`${ns}a`, `${ns}b`, `${ns}c`, `${ns}d`, elsewhere])).toEqual([`${ns}c`, `${ns}d`, elsewhere]);
        // A deleted bucket answers like the full bucket it was; d kept its state (1.5 tokens by now, 0.5 after this take).
        const now = T0 + PRUNE_INTERVAL_MS + 1000;
        expect(await pruner.takeRateLimitToken(`${ns}a`, limits, now)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 1 });
        expect(await pruner.takeRateLimitToken(`${ns}d`, limits, now)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
      } finally {
        await pruner.close();
      }
    });

    it("stores a long key under a short hash: same key, same bucket; different keys, different buckets", async () => {
      const ns = namespace();
      const long = `${ns}${"x".repeat(MAX_KEY_LENGTH * 4)}`;
      const longToo = `${long.slice(0, -1)}y`;
      const limits = { capacity: 1, refillPerSecond: 1 };
      expect((await store.takeRateLimitToken(long, limits, T0)).allowed).toBe(true);
      expect((await store.takeRateLimitToken(long, limits, T0)).allowed).toBe(false);
      expect((await store.takeRateLimitToken(longToo, limits, T0)).allowed).toBe(true);
      expect(await rowsFor([long, longToo])).toEqual([]);
    });

    it("refuses nonsense arguments", async () => {
      const key = `${namespace()}1`;
      await expect(store.takeRateLimitToken("", { capacity: 1, refillPerSecond: 1 })).rejects.toThrow(/key/);
      await expect(store.takeRateLimitToken(key, { capacity: 0, refillPerSecond: 1 })).rejects.toThrow(/capacity/);
      await expect(store.takeRateLimitToken(key, { capacity: 1, refillPerSecond: 0 })).rejects.toThrow(/refillPerSecond/);
      await expect(store.takeRateLimitToken(key, { capacity: 1, refillPerSecond: 1 }, 1.5)).rejects.toThrow(/now/);
    });
  });

  it("close can be called twice", async () => {
    const extra = await openChatStore(db.url);
    await extra.close();
    await expect(extra.close()).resolves.toBeUndefined();
  });
});

if (!pgUrl) {
  describe.skip("postgres (set TEST_DATABASE_URL to run)", () => {
    it("runs the same suite against Postgres: export TEST_DATABASE_URL=$(bash scripts/start-test-postgres.sh)", () => {});
  });
}

describe("sqlite file", () => {
  it("creates the folder of a file: path that does not exist yet, relative to the working directory", async () => {
    const target = join(tempDir, "not", "yet", "there", "kiln.db");
    const url = `file:./${relative(process.cwd(), target)}`;
    const store = await openChatStore(url);
    try {
      const chat = await store.createChat({ title: "t", model: "m" });
      expect(await store.getChat(chat.id)).toEqual(chat);
      const raw = new Database(target, { readonly: true });
      expect(raw.prepare("select title from chats where id = ?").get(chat.id)).toEqual({ title: "t" });
      raw.close();
    } finally {
      await store.close();
    }
  });

  it("accepts file:///absolute URLs", async () => {
    const target = join(tempDir, "url-form", "kiln.db");
    const store = await openChatStore(`file://${target}`);
    await store.close();
    expect(sqlitePath(`file://${target}`)).toBe(target);
    expect(sqlitePath("file:./data/kiln.db")).toBe("./data/kiln.db");
  });

  it("runs in WAL mode with foreign keys on, and a second connection reads while the first is open", async () => {
    const target = join(tempDir, "wal", "kiln.db");
    const store = await openChatStore(`file:${target}`);
    try {
      const chat = await store.createChat({ title: "seen from outside", model: "m" });
      const message = await store.appendMessage({ chatId: chat.id, role: "user", content: "hi 👋", state: "complete" });

      const reader = new Database(target, { readonly: true });
      try {
        expect(reader.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(reader.prepare("select title from chats where id = ?").get(chat.id)).toEqual({ title: "seen from outside" });
        expect(reader.prepare("select content, position from messages where id = ?").get(message.id)).toEqual({
          content: "hi 👋",
          position: 0,
        });
        // Writes made after the reader opened are visible to it too (committed, not held back).
        const later = await store.appendMessage({ chatId: chat.id, role: "assistant", content: "hello", state: "stopped" });
        expect(reader.prepare("select state from messages where id = ?").get(later.id)).toEqual({ state: "stopped" });
      } finally {
        reader.close();
      }

      const writer = new Database(target);
      try {
        expect(writer.pragma("journal_mode", { simple: true })).toBe("wal");
        writer.pragma("foreign_keys = ON");
        expect(() =>
          writer
            .prepare(
              "insert into messages (id, chat_id, position, role, content, state, created_at) values (?, ?, 0, 'user', '', 'complete', 0)",
            )
            .run(newId(), newId()),
        ).toThrow(/FOREIGN KEY/);
        expect(() =>
          writer
            .prepare(
              "insert into messages (id, chat_id, position, role, content, state, created_at) values (?, ?, 9, 'user', '', 'bogus', 0)",
            )
            .run(newId(), chat.id),
        ).toThrow(/CHECK/);
      } finally {
        writer.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe("openChatStore errors", () => {
  it("names DATABASE_URL in one line and never shows the password", async () => {
    const error: Error = await openChatStore("postgres://kiln:hunter2-secret@127.0.0.1:1/kiln").then(
      () => {
        throw new Error("expected a failure");
      },
      (e) => e,
    );
    expect(error.message).toMatch(/^DATABASE_URL postgres:\/\/\*\*\*@127\.0\.0\.1:1\/kiln: cannot open the database: /);
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("\n");
  });

  it("refuses a URL that is neither file: nor postgres://", async () => {
    await expect(openChatStore("mysql://root:pw@db/kiln")).rejects.toThrow(
      /^DATABASE_URL mysql:\/\/\*\*\*@db\/kiln: must be file:<path> \(SQLite\) or postgres:\/\/…$/,
    );
  });

  it("redacts credentials in user info and in a password parameter", () => {
    expect(redactDatabaseUrl("postgres://kiln:pw@db:5432/kiln")).toBe("postgres://***@db:5432/kiln");
    expect(redactDatabaseUrl("postgresql://kiln@db/kiln?sslmode=require&password=pw")).toBe(
      "postgresql://***@db/kiln?sslmode=require&password=***",
    );
    expect(redactDatabaseUrl("postgres://kiln:p@ss@db/kiln")).toBe("postgres://***@db/kiln");
    expect(redactDatabaseUrl("postgres://db/kiln")).toBe("postgres://db/kiln");
    expect(redactDatabaseUrl("file:./data/kiln.db")).toBe("file:./data/kiln.db");
  });
});

/** Kiln never deletes a chat itself (yet); an operator may, with SQL, and the chat's rows must go with it. */
async function deleteChatDirectly(url: string, chatId: string) {
  if (url.startsWith("file:")) {
    const sqlite = new Database(sqlitePath(url));
    try {
      sqlite.pragma("foreign_keys = ON");
      sqlite.prepare("delete from chats where id = ?").run(chatId);
    } finally {
      sqlite.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("delete from chats where id = $1", [chatId]);
  } finally {
    await client.end();
  }
}
