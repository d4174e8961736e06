/**
 * The shared store: Postgres through a node-postgres Pool, for several Kiln servers on one database.
 * The same queries as the SQLite store; appendMessage locks the chat row (SELECT … FOR UPDATE) so
 * concurrent appends to one chat, from any server, get consecutive positions. takeRateLimitToken is
 * one atomic upsert (see TAKE_TOKEN). Migrations run under an advisory lock so servers starting
 * together do not migrate twice.
 */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { remainingTokens, take } from "../token-bucket";
import type { ChatStore } from "./chat-store";
import { migrationsFolder } from "./migrations-folder.server";
import { checkRateLimitCall, PruneSchedule, SLACK_MS } from "./rate-limits.server";
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
import { chats, images, messages, shares } from "./schema.pg";

/** Any fixed number works, as long as every Kiln server uses the same one ("Kiln" in ASCII). */
const MIGRATION_LOCK = 0x4b696c6e;

/**
 * Takes one token from a bucket, atomically, in one statement: `server/token-bucket.ts`'s `take`,
 * written in SQL with the same operations in the same order on the same float8 values, so both give
 * identical results (the store suite checks them against each other).
 *
 * - A new key inserts a full bucket minus the token taken (capacity ≥ 1, so always allowed).
 * - An existing key conflicts; Postgres then locks that row and evaluates SET and WHERE on its latest
 *   committed version, even when another server's statement updated it while this one waited. So
 *   concurrent takes on one key, from any number of connections and servers, queue on the row lock
 *   and each sees the previous one's result: never more tokens given than the bucket holds.
 * - WHERE lets the update happen only when the refilled bucket holds a token; a refusal writes nothing
 *   (refilling later gives the same tokens) and returns no row.
 *
 * $1 key, $2 capacity, $3 refillPerSecond, $4 now (ms), $5 SLACK_MS. Returns the tokens left when allowed.
 */
const REFILLED = "least($2::float8, b.tokens + greatest(0, $4::bigint - b.updated_at) * $3::float8 / 1000)";
const TAKE_TOKEN = `
insert into rate_limits as b (key, tokens, updated_at)
values ($1, $2::float8 - 1, $4::bigint)
on conflict (key) do update
  set tokens = greatest(0, ${REFILLED} - 1),
      updated_at = greatest(b.updated_at, $4::bigint)
  where (1 - ${REFILLED}) * 1000 / $3::float8 <= $5::float8
returning tokens`;

/** Connects, migrates, and returns the store; the pool is closed again when any step fails. */
export async function openPgChatStore(connectionString: string): Promise<ChatStore> {
  // query_timeout: a database that silently drops packets fails the query (503) instead of hanging it.
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
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
  const prune = new PruneSchedule();
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

    async claimChat(id, ownerHash) {
      const result = await db
        .update(chats)
        .set({ ownerHash })
        .where(and(eq(chats.id, id), isNull(chats.ownerHash)));
      return (result.rowCount ?? 0) > 0;
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
        if (input.expectedPosition !== undefined && next !== input.expectedPosition) {
          throw new PositionTakenError(input.expectedPosition, next);
        }
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

    async saveImage(input) {
      const row = newImageRow(input);
      await db.transaction(async (tx) => {
        const [chat] = await tx.select({ id: chats.id }).from(chats).where(eq(chats.id, input.chatId));
        if (!chat) throw new UnknownRowError("chat");
        await tx.insert(images).values(row);
      });
      return imageInfo(row);
    },

    async getImage(id) {
      const [row] = await db.select().from(images).where(eq(images.id, id));
      return row;
    },

    async createShare(messageId, snapshot) {
      const row = newShareRow(messageId, snapshot);
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

    async takeRateLimitToken(rawKey, limits, rawNow = Date.now()) {
      const { key, now } = checkRateLimitCall(rawKey, limits, rawNow);
      const taken = await pool.query<{ tokens: number }>(TAKE_TOKEN, [
        key,
        limits.capacity,
        limits.refillPerSecond,
        now,
        SLACK_MS,
      ]);
      const pruning = prune.due(key, limits, now);
      if (pruning) {
        // Housekeeping after the decision; a failure here must not fail the request (the next call retries).
        await pool
          .query("delete from rate_limits where left(key, $1) = $2 and updated_at < $3", [
            pruning.namespace.length,
            pruning.namespace,
            pruning.updatedBefore,
          ])
          .catch(() => prune.failed(key));
      }
      if (taken.rows.length === 1) return { allowed: true, retryAfterMs: 0, remaining: remainingTokens(taken.rows[0].tokens) };
      // Refused: read the bucket to say how long to wait. Other servers' takes may have emptied it
      // further since, which this read sees; if it holds a token again (written by a server whose
      // clock is ahead), the answer is "retry in 1 ms".
      const { rows } = await pool.query<{ tokens: number; updated_at: string }>(
        "select tokens, updated_at from rate_limits where key = $1",
        [key],
      );
      const state = rows[0] && { tokens: rows[0].tokens, updatedAt: Number(rows[0].updated_at) };
      const wait = take(state, now, limits);
      return { allowed: false, retryAfterMs: wait.allowed ? 1 : wait.retryAfterMs, remaining: 0 };
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
