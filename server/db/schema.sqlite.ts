/**
 * Kiln's tables for SQLite. Keep in step with `schema.pg.ts` (same tables, columns, names and
 * constraints); after a change run `npm run db:generate` and commit the new files under `drizzle/`.
 * Times are epoch milliseconds.
 */
import { sql } from "drizzle-orm";
import { blob, check, index, integer, real, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";
import type { ReceiptFigures } from "../../machines/receipt";

export const chats = sqliteTable("chats", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  model: text("model").notNull(),
  createdAt: integer("created_at").notNull(),
  /**
   * SHA-256 (hex) of who owns the chat: the owner cookie's secret, or the identity a trusted auth
   * proxy names (server/chat-owner.server.ts). Null for chats made before ownership existed.
   */
  ownerHash: text("owner_hash"),
});

export const messages = sqliteTable(
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
    /** For assistant messages: the receipt's figures as JSON (machines/receipt.ts); null for user messages and older answers. */
    receipt: text("receipt", { mode: "json" }).$type<ReceiptFigures>(),
    /** For user messages: the ids of the images attached to it (`images.id`), as a JSON array; null when none. */
    images: text("images", { mode: "json" }).$type<string[]>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    unique("messages_chat_id_position_unique").on(t.chatId, t.position),
    index("messages_chat_id_idx").on(t.chatId),
    check("messages_role_check", sql`${t.role} in ('user', 'assistant')`),
    check("messages_state_check", sql`${t.state} in ('complete', 'stopped', 'failed')`),
  ],
);

/**
 * Images attached to prompts, in the database rather than on disk so that every replica serves them
 * (docs/decisions/011-images.md). Stored as cleaned (server/images/image-intake.server.ts): no
 * metadata, at most 2048 px a side. Deleted with their chat.
 */
export const images = sqliteTable(
  "images",
  {
    id: text("id").primaryKey(),
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id, { onDelete: "cascade" }),
    mediaType: text("media_type", { enum: ["image/png", "image/jpeg", "image/webp"] }).notNull(),
    data: blob("data", { mode: "buffer" }).notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    bytes: integer("bytes").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("images_chat_id_idx").on(t.chatId),
    check("images_media_type_check", sql`${t.mediaType} in ('image/png', 'image/jpeg', 'image/webp')`),
  ],
);

export const shares = sqliteTable("shares", {
  id: text("id").primaryKey(),
  messageId: text("message_id")
    .notNull()
    .references(() => messages.id, { onDelete: "cascade" }),
  createdAt: integer("created_at").notNull(),
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
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  tokens: real("tokens").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
