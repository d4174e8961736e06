/**
 * The shared store: Postgres through a node-postgres Pool, for several Kiln servers on one database.
 * The same queries as the SQLite store; appendMessage locks the chat row (SELECT … FOR UPDATE) so
 * concurrent appends to one chat, from any server, get consecutive positions. Migrations run under
 * an advisory lock so servers starting together do not migrate twice.
 */
import { asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import type { ChatStore } from "./chat-store.server";
import { migrationsFolder } from "./migrations-folder.server";
import { messageChanges, newChatRow, newMessageRow, newShareRow, UnknownRowError } from "./rows.server";
import { chats, messages, shares } from "./schema.pg";

/** Any fixed number works, as long as every Kiln server uses the same one ("Kiln" in ASCII). */
const MIGRATION_LOCK = 0x4b696c6e;

/** Connects, migrates, and returns the store; the pool is closed again when any step fails. */
export async function openPgChatStore(connectionString: string): Promise<ChatStore> {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (database restart) must not crash the server: the pool
  // drops that client and the next query opens a new connection.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    try {
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
      try {
        await migrate(drizzle(client), { migrationsFolder: migrationsFolder("pg") });
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
    return pgChatStore(pool, drizzle(pool));
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
}

function pgChatStore(pool: pg.Pool, db: ReturnType<typeof drizzle>): ChatStore {
  let closed = false;
  return {
    async createChat(input) {
      const row = newChatRow(input);
      await db.insert(chats).values(row);
      return row;
    },

    async getChat(id) {
      const [row] = await db.select().from(chats).where(eq(chats.id, id));
      return row;
    },

    async listMessages(chatId) {
      return db.select().from(messages).where(eq(messages.chatId, chatId)).orderBy(asc(messages.position));
    },

    async appendMessage(input) {
      return db.transaction(async (tx) => {
        const [chat] = await tx.select({ id: chats.id }).from(chats).where(eq(chats.id, input.chatId)).for("update");
        if (!chat) throw new UnknownRowError("chat");
        const [{ next }] = await tx
          .select({ next: sql<number>`coalesce(max(${messages.position}), -1) + 1` })
          .from(messages)
          .where(eq(messages.chatId, input.chatId));
        const row = newMessageRow(input, next);
        await tx.insert(messages).values(row);
        return row;
      });
    },

    async updateMessage(id, input) {
      const result = await db.update(messages).set(messageChanges(input)).where(eq(messages.id, id));
      return (result.rowCount ?? 0) > 0;
    },

    async getMessage(id) {
      const [row] = await db.select().from(messages).where(eq(messages.id, id));
      return row;
    },

    async createShare(messageId) {
      const row = newShareRow(messageId);
      await db.transaction(async (tx) => {
        const [message] = await tx.select({ id: messages.id }).from(messages).where(eq(messages.id, messageId));
        if (!message) throw new UnknownRowError("message");
        await tx.insert(shares).values(row);
      });
      return row;
    },

    async getShare(id) {
      const [row] = await db.select().from(shares).where(eq(shares.id, id));
      return row;
    },

    async ping() {
      await pool.query("select 1");
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
