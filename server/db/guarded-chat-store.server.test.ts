import { mkdtempSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { DrizzleQueryError } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ChatStore } from "./chat-store";
import {
  guardChatStore,
  STORAGE_RETRY_AFTER_SECONDS,
  STORAGE_UNAVAILABLE_MESSAGE,
  StorageUnavailable,
} from "./guarded-chat-store.server";
import { openSqliteChatStore } from "./sqlite-chat-store.server";

const fakeLogger = () => ({ error: vi.fn(), info: vi.fn() });

/** A store whose every method fails with `error` (only the methods a test calls matter). */
function failingStore(error: () => unknown): ChatStore {
  const fail = async () => {
    throw error();
  };
  return new Proxy({} as ChatStore, { get: (_target, property) => (property === "close" ? async () => {} : fail) });
}

async function thrownBy(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}

describe("guardChatStore", () => {
  let raw: ChatStore;

  beforeAll(async () => {
    raw = await openSqliteChatStore(join(mkdtempSync(join(tmpdir(), "kiln-guard-")), "kiln.db"));
  });

  afterAll(async () => {
    await raw?.close();
  });

  it("passes calls and results through while the storage works", async () => {
    const store = guardChatStore(raw, fakeLogger());
    const chat = await store.createChat({ title: "A timer", model: "m" });
    expect(await store.getChat(chat.id)).toMatchObject({ id: chat.id, title: "A timer" });
    expect(await store.getChat("no-such-chat")).toBeUndefined();
  });

  it("turns a storage failure into a thrown 503 storage_unavailable Response with Retry-After", async () => {
    const logger = fakeLogger();
    const cause = new Database.SqliteError("disk I/O error", "SQLITE_IOERR_WRITE");
    const store = guardChatStore(
      failingStore(() => cause),
      logger,
    );
    const thrown = await thrownBy(store.createChat({ title: "t", model: "m" }));
    expect(thrown).toBeInstanceOf(StorageUnavailable);
    expect(thrown).toBeInstanceOf(Response);
    const response = thrown as StorageUnavailable;
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe(String(STORAGE_RETRY_AFTER_SECONDS));
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ error: { code: "storage_unavailable", message: STORAGE_UNAVAILABLE_MESSAGE } });
    expect(response.cause).toBe(cause);
    expect(logger.error).toHaveBeenCalledWith(
      { err: cause, code: "SQLITE_IOERR_WRITE", operation: "createChat" },
      "storage unavailable",
    );
  });

  it("logs the driver's error, never drizzle's wrapper, whose message holds the query's parameters", async () => {
    const logger = fakeLogger();
    const cause = new Database.SqliteError("database or disk is full", "SQLITE_FULL");
    const store = guardChatStore(
      failingStore(() => new DrizzleQueryError("insert into messages …", ["a secret prompt"], cause)),
      logger,
    );
    await expect(
      store.appendMessage({ chatId: "c", role: "user", content: "a secret prompt", state: "complete" }),
    ).rejects.toBeInstanceOf(StorageUnavailable);
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain("a secret prompt");
    expect(logger.error.mock.calls[0][0].err).toBe(cause);
  });

  it("guards the image methods too: a full disk while saving an image is a 503, reading one too", async () => {
    const logger = fakeLogger();
    const store = guardChatStore(
      failingStore(() => new Database.SqliteError("database or disk is full", "SQLITE_FULL")),
      logger,
    );
    const image = { chatId: "c", mediaType: "image/png" as const, data: Buffer.from("png bytes"), width: 1, height: 1 };
    await expect(store.saveImage(image)).rejects.toBeInstanceOf(StorageUnavailable);
    await expect(store.getImage("i")).rejects.toBeInstanceOf(StorageUnavailable);
    expect(logger.error.mock.calls.map(([fields]) => fields.operation)).toEqual(["saveImage", "getImage"]);
  });

  it("rethrows programming errors untouched: an unknown row, a bad argument, a constraint violation", async () => {
    const logger = fakeLogger();
    const store = guardChatStore(raw, logger);
    const unknownRow = await thrownBy(
      store.appendMessage({ chatId: "no-such-chat", role: "user", content: "x", state: "complete" }),
    );
    expect(unknownRow).toMatchObject({ name: "UnknownRowError" });
    const badArgument = await thrownBy(store.takeRateLimitToken("chat:1", { capacity: 0, refillPerSecond: 1 }));
    expect(badArgument).toBeInstanceOf(RangeError);
    const constraint = new Database.SqliteError("UNIQUE constraint failed: messages.id", "SQLITE_CONSTRAINT_PRIMARYKEY");
    expect(
      await thrownBy(
        guardChatStore(
          failingStore(() => constraint),
          logger,
        ).getChat("x"),
      ),
    ).toBe(constraint);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it("a real better-sqlite3 failure (a database that cannot be opened) is a storage failure", async () => {
    const store = guardChatStore(
      failingStore(() => {
        try {
          new Database(tmpdir());
        } catch (error) {
          return error;
        }
      }),
      fakeLogger(),
    );
    await expect(store.getShare("x")).rejects.toBeInstanceOf(StorageUnavailable);
  });

  it("a real node-postgres failure (nothing listening on the port) is a storage failure", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const pool = new pg.Pool({ connectionString: `postgres://kiln@127.0.0.1:${port}/kiln`, connectionTimeoutMillis: 2_000 });
    pool.on("error", () => {});
    try {
      const logger = fakeLogger();
      const store = guardChatStore(
        { ...failingStore(() => undefined), ping: async () => void (await pool.query("select 1")) },
        logger,
      );
      await expect(store.ping()).rejects.toBeInstanceOf(StorageUnavailable);
      expect(logger.error.mock.calls[0][0].code).toBe("ECONNREFUSED");
    } finally {
      await pool.end();
    }
  });

  it("goes back to the database on every call: once it recovers, calls succeed and the recovery is logged", async () => {
    const logger = fakeLogger();
    let down = true;
    const store = guardChatStore(
      {
        ...failingStore(() => undefined),
        getChat: async (id: string) => {
          if (down) throw new Error("Connection terminated unexpectedly");
          return { id, title: "t", model: "m", createdAt: 0 } as Awaited<ReturnType<ChatStore["getChat"]>>;
        },
      },
      logger,
    );
    await expect(store.getChat("a")).rejects.toBeInstanceOf(StorageUnavailable);
    await expect(store.getChat("a")).rejects.toBeInstanceOf(StorageUnavailable);
    down = false;
    expect(await store.getChat("a")).toMatchObject({ id: "a" });
    expect(await store.getChat("a")).toMatchObject({ id: "a" });
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(logger.info).toHaveBeenCalledWith({ operation: "getChat" }, "storage available again");
  });

  it("passes close through as it is", async () => {
    const close = vi.fn(async () => {});
    await guardChatStore({ ...failingStore(() => undefined), close }, fakeLogger()).close();
    expect(close).toHaveBeenCalledOnce();
  });
});
