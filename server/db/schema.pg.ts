/**
 * Kiln's tables for Postgres. Keep in step with `schema.sqlite.ts` (same tables, columns, names and
 * constraints); after a change run `npm run db:generate` and commit the new files under `drizzle/`.
 * Times are epoch milliseconds (bigint, read back as JS numbers).
 */
import { sql } from "drizzle-orm";
import { bigint, check, doublePrecision, index, integer, jsonb, pgTable, text, unique } from "drizzle-orm/pg-core";
import type { ReceiptFigures } from "../../machines/receipt";

export const chats = pgTable("chats", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  model: text("model").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  /**
   * SHA-256 (hex) of who owns the chat: the owner cookie's secret, or the identity a trusted auth
   * proxy names (server/chat-owner.server.ts). Null for chats made before ownership existed.
   */
  ownerHash: text("owner_hash"),
});

export const messages = pgTable(
  "messages",
  {
    id: text("id").primaryKey(),
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    role: text("role", { enum: ["user", "assistant"] }).notNull(),
    content: text("content").notNull(),
    state: text("state", { enum: ["complete", "stopped", "failed"] }).notNull(),
    provider: text("provider"),
    model: text("model"),
    /** For assistant messages: the receipt's figures (machines/receipt.ts); null for user messages and older answers. */
    receipt: jsonb("receipt").$type<ReceiptFigures>(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
  },
  (t) => [
    unique("messages_chat_id_position_unique").on(t.chatId, t.position),
    index("messages_chat_id_idx").on(t.chatId),
    check("messages_role_check", sql`${t.role} in ('user', 'assistant')`),
    check("messages_state_check", sql`${t.state} in ('complete', 'stopped', 'failed')`),
  ],
);

export const shares = pgTable("shares", {
  id: text("id").primaryKey(),
  messageId: text("message_id")
    .notNull()
    .references(() => messages.id, { onDelete: "cascade" }),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  // A frozen snapshot of the shared version: later turns, retries or regenerations of the chat never
  // change what the link shows. Null only in shares made before snapshots existed.
  code: text("code"),
  title: text("title"),
  summary: text("summary"),
  model: text("model"),
  version: integer("version"),
});

/**
 * Token buckets for the per-client rate limit (`server/token-bucket.ts`), one row per key such as
 * `chat:<ip>`. A missing row is a full bucket.
 */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  tokens: doublePrecision("tokens").notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
});
