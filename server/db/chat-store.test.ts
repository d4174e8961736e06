/**
 * One suite, every backend: SQLite (a temp file, fresh for this test file) always, Postgres when
 * TEST_DATABASE_URL is set (`export TEST_DATABASE_URL=$(bash scripts/start-test-postgres.sh)`).
 * The Postgres run creates a fresh database next to TEST_DATABASE_URL's (kiln_store_<random>) and drops
 * it afterwards, so every run migrates from scratch and never touches tables other test files use
 * concurrently. Without the CREATEDB privilege it runs in TEST_DATABASE_URL's database itself, which
 * works too: every test creates its own chats under fresh random ids.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatStore, StoredMessage } from "./chat-store.server";
import { newId } from "./new-id.server";
import { openChatStore, redactDatabaseUrl, sqlitePath } from "./open-chat-store.server";

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
  const name = `kiln_store_${newId().toLowerCase().replace(/[^a-z0-9]/g, "")}`;
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
        await store.appendMessage({ chatId: chat.id, role: i % 2 ? "assistant" : "user", content: `message ${i}`, state: "complete" }),
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
    expect(chat).toEqual({ id: expect.stringMatching(BASE64URL_128_BITS), title: "A pomodoro timer", model: "meta-llama/Llama-3.3-70B", createdAt: expect.any(Number) });
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
    expect(second).toMatchObject({ role: "assistant", state: "stopped", provider: "together", model: "meta-llama/Llama-3.3-70B" });
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
    await expect(store.appendMessage({ chatId: newId(), role: "user", content: "x", state: "complete" })).rejects.toThrow(/no such chat/);
  });

  it("gets a message by id; an unknown id gives undefined", async () => {
    const { appended } = await chatWith(2);
    expect(await store.getMessage(appended[1].id)).toEqual(appended[1]);
    expect(await store.getMessage(newId())).toBeUndefined();
  });

  it("updateMessage replaces content and state, keeps provider/model unless given, and is false for an unknown id", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const answer = await store.appendMessage({ chatId: chat.id, role: "assistant", content: "partial", state: "failed", provider: "a", model: "m1" });

    expect(await store.updateMessage(answer.id, { content: "the whole answer", state: "complete" })).toBe(true);
    expect(await store.getMessage(answer.id)).toEqual({ ...answer, content: "the whole answer", state: "complete" });

    expect(await store.updateMessage(answer.id, { content: "retried", state: "stopped", provider: "b", model: "m2" })).toBe(true);
    expect(await store.getMessage(answer.id)).toEqual({ ...answer, content: "retried", state: "stopped", provider: "b", model: "m2" });

    expect(await store.updateMessage(answer.id, { content: "", state: "failed", provider: null, model: null })).toBe(true);
    expect(await store.getMessage(answer.id)).toEqual({ ...answer, content: "", state: "failed", provider: null, model: null });

    expect(await store.updateMessage(newId(), { content: "x", state: "complete" })).toBe(false);
  });

  it("creates a share for a message and reads it back; unknown share → undefined; unknown message → rejected", async () => {
    const { appended } = await chatWith(2);
    const share = await store.createShare(appended[1].id);
    expect(share).toEqual({ id: expect.stringMatching(BASE64URL_128_BITS), messageId: appended[1].id, createdAt: expect.any(Number) });
    expect(await store.getShare(share.id)).toEqual(share);
    const again = await store.createShare(appended[1].id);
    expect(again.id).not.toBe(share.id);
    expect(await store.getShare(newId())).toBeUndefined();
    await expect(store.createShare(newId())).rejects.toThrow(/no such message/);
  });

  it("gives every chat, message and share a distinct 22-character base64url id", async () => {
    const { chat, appended } = await chatWith(10);
    const share = await store.createShare(appended[0].id);
    const ids = [chat.id, ...appended.map((m) => m.id), share.id];
    for (const id of ids) expect(id).toMatch(BASE64URL_128_BITS);
    expect(new Set(ids).size).toBe(ids.length);
    const many = Array.from({ length: 1000 }, newId);
    expect(new Set(many).size).toBe(1000);
  });

  it("gives 20 concurrent appends to one chat 20 distinct consecutive positions", async () => {
    const chat = await store.createChat({ title: "t", model: "m" });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.appendMessage({ chatId: chat.id, role: "user", content: `concurrent ${i}`, state: "complete" })),
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
        expect(reader.prepare("select content, position from messages where id = ?").get(message.id)).toEqual({ content: "hi 👋", position: 0 });
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
          writer.prepare("insert into messages (id, chat_id, position, role, content, state, created_at) values (?, ?, 0, 'user', '', 'complete', 0)").run(newId(), newId()),
        ).toThrow(/FOREIGN KEY/);
        expect(() =>
          writer.prepare("insert into messages (id, chat_id, position, role, content, state, created_at) values (?, ?, 9, 'user', '', 'bogus', 0)").run(newId(), chat.id),
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
    await expect(openChatStore("mysql://root:pw@db/kiln")).rejects.toThrow(/^DATABASE_URL mysql:\/\/\*\*\*@db\/kiln: must be file:<path> \(SQLite\) or postgres:\/\/…$/);
  });

  it("redacts credentials in user info and in a password parameter", () => {
    expect(redactDatabaseUrl("postgres://kiln:pw@db:5432/kiln")).toBe("postgres://***@db:5432/kiln");
    expect(redactDatabaseUrl("postgresql://kiln@db/kiln?sslmode=require&password=pw")).toBe("postgresql://***@db/kiln?sslmode=require&password=***");
    expect(redactDatabaseUrl("postgres://kiln:p@ss@db/kiln")).toBe("postgres://***@db/kiln");
    expect(redactDatabaseUrl("postgres://db/kiln")).toBe("postgres://db/kiln");
    expect(redactDatabaseUrl("file:./data/kiln.db")).toBe("file:./data/kiln.db");
  });
});
