/**
 * The default store: one SQLite file through better-sqlite3. WAL mode, so readers never wait for the
 * writer and a process killed mid-write leaves the last committed state; foreign keys enforced; a
 * busy timeout so a second process (e.g. `npm run db:migrate`) waits instead of failing.
 * better-sqlite3 is synchronous, so every method finishes within one turn of the event loop;
 * appendMessage still uses an IMMEDIATE transaction so another process cannot slip in between
 * reading max(position) and inserting; so does takeRateLimitToken between reading a bucket and
 * writing it back.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { and, asc, eq, isNull, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { type BucketLimits, remainingTokens, take } from "../token-bucket";
import type { ChatStore } from "./chat-store";
import { migrationsFolder } from "./migrations-folder.server";
import { checkRateLimitCall, type PruneDue, PruneSchedule } from "./rate-limits.server";
import {
  imageInfo,
  messageChanges,
  newChatRow,
  newImageRow,
  newMessageRow,
  newShareRow,
  PositionTakenError,
  UnknownRowError,
} from "./rows.server";
import { chats, images, messages, rateLimits, shares } from "./schema.sqlite";

/** Opens (creating the file and its folder if needed) and migrates. `path` is relative to the cwd. */
export async function openSqliteChatStore(path: string): Promise<ChatStore> {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  try {
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("foreign_keys = ON");
    const db = drizzle(sqlite);
    migrate(db, { migrationsFolder: migrationsFolder("sqlite") });
    return sqliteChatStore(sqlite, db);
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

function sqliteChatStore(sqlite: Database.Database, db: ReturnType<typeof drizzle>): ChatStore {
  const prune = new PruneSchedule();
  return {
    async createChat(input) {
      const row = newChatRow(input);
      db.insert(chats).values(row).run();
      return row;
    },

    async getChat(id) {
      return db.select().from(chats).where(eq(chats.id, id)).get();
    },

    async claimChat(id, ownerHash) {
      return (
        db
          .update(chats)
          .set({ ownerHash })
          .where(and(eq(chats.id, id), isNull(chats.ownerHash)))
          .run().changes > 0
      );
    },

    async listMessages(chatId) {
      return db.select().from(messages).where(eq(messages.chatId, chatId)).orderBy(asc(messages.position)).all();
    },

    async appendMessage(input) {
      return db.transaction(
        (tx) => {
          const chat = tx.select({ id: chats.id }).from(chats).where(eq(chats.id, input.chatId)).get();
          if (!chat) throw new UnknownRowError("chat");
          const { next } = tx
            .select({ next: sql<number>`coalesce(max(${messages.position}), -1) + 1` })
            .from(messages)
            .where(eq(messages.chatId, input.chatId))
            .get()!;
          if (input.expectedPosition !== undefined && next !== input.expectedPosition) {
            throw new PositionTakenError(input.expectedPosition, next);
          }
          const row = newMessageRow(input, next);
          tx.insert(messages).values(row).run();
          return row;
        },
        { behavior: "immediate" },
      );
    },

    async updateMessage(id, input) {
      return db.update(messages).set(messageChanges(input)).where(eq(messages.id, id)).run().changes > 0;
    },

    async getMessage(id) {
      return db.select().from(messages).where(eq(messages.id, id)).get();
    },

    async saveImage(input) {
      const row = newImageRow(input);
      db.transaction((tx) => {
        if (!tx.select({ id: chats.id }).from(chats).where(eq(chats.id, input.chatId)).get()) throw new UnknownRowError("chat");
        tx.insert(images).values(row).run();
      });
      return imageInfo(row);
    },

    async getImage(id) {
      return db.select().from(images).where(eq(images.id, id)).get();
    },

    async createShare(messageId, snapshot) {
      const row = newShareRow(messageId, snapshot);
      db.transaction((tx) => {
        if (!tx.select({ id: messages.id }).from(messages).where(eq(messages.id, messageId)).get()) {
          throw new UnknownRowError("message");
        }
        tx.insert(shares).values(row).run();
      });
      return row;
    },

    async getShare(id) {
      return db.select().from(shares).where(eq(shares.id, id)).get();
    },

    async takeRateLimitToken(rawKey, limits, rawNow = Date.now()) {
      const { key, now } = checkRateLimitCall(rawKey, limits, rawNow);
      const pruning = prune.due(key, limits, now);
      let taken;
      try {
        // IMMEDIATE: the write lock is taken before the read, so no other connection or process can
        // read the same bucket in between; they wait (busy_timeout) and then see this write.
        taken = db.transaction((tx) => takeInTransaction(tx, key, limits, now, pruning), { behavior: "immediate" });
      } catch (error) {
        if (pruning) prune.failed(key);
        throw error;
      }
      return {
        allowed: taken.allowed,
        retryAfterMs: taken.retryAfterMs,
        remaining: taken.allowed ? remainingTokens(taken.tokens) : 0,
      };
    },

    async ping() {
      db.get(sql`select 1`);
    },

    async close() {
      if (sqlite.open) sqlite.close();
    },
  };
}

type Transaction = Parameters<Parameters<ReturnType<typeof drizzle>["transaction"]>[0]>[0];

function takeInTransaction(tx: Transaction, key: string, limits: BucketLimits, now: number, pruning: PruneDue | undefined) {
  if (pruning) {
    const inNamespace = sql`substr(${rateLimits.key}, 1, ${pruning.namespace.length}) = ${pruning.namespace}`;
    tx.delete(rateLimits)
      .where(and(inNamespace, lt(rateLimits.updatedAt, pruning.updatedBefore)))
      .run();
  }
  const row = tx
    .select({ tokens: rateLimits.tokens, updatedAt: rateLimits.updatedAt })
    .from(rateLimits)
    .where(eq(rateLimits.key, key))
    .get();
  const taken = take(row, now, limits);
  // A refusal only refills, and refilling later gives the same tokens: nothing to write.
  if (taken.allowed) {
    const state = { tokens: taken.tokens, updatedAt: taken.updatedAt };
    tx.insert(rateLimits)
      .values({ key, ...state })
      .onConflictDoUpdate({ target: rateLimits.key, set: state })
      .run();
  }
  return taken;
}
