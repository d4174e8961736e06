/**
 * Kiln's tables for Postgres. Keep in step with `schema.sqlite.ts` (same tables, columns, names and
 * constraints; only the generations tables at the end are Postgres's own); after a change run
 * `npm run db:generate` and commit the new files under `drizzle/`.
 * Times are epoch milliseconds (bigint, read back as JS numbers).
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
} from "drizzle-orm/pg-core";
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
    /** For user messages: the ids of the images attached to it (`images.id`); null when none. */
    images: jsonb("images").$type<string[]>(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
  },
  (t) => [
    unique("messages_chat_id_position_unique").on(t.chatId, t.position),
    index("messages_chat_id_idx").on(t.chatId),
    check("messages_role_check", sql`${t.role} in ('user', 'assistant')`),
    check("messages_state_check", sql`${t.state} in ('complete', 'stopped', 'failed')`),
  ],
);

/** Postgres's binary column; node-postgres reads and writes it as a Buffer. drizzle has no built-in one. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/**
 * Images attached to prompts, in the database rather than on disk so that every replica serves them
 * (docs/decisions/011-images.md). Stored as cleaned (server/images/image-intake.server.ts): no
 * metadata, at most 2048 px a side. Deleted with their chat.
 */
export const images = pgTable(
  "images",
  {
    id: text("id").primaryKey(),
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id, { onDelete: "cascade" }),
    mediaType: text("media_type", { enum: ["image/png", "image/jpeg", "image/webp"] }).notNull(),
    data: bytea("data").notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    bytes: integer("bytes").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
  },
  (t) => [
    index("images_chat_id_idx").on(t.chatId),
    check("images_media_type_check", sql`${t.mediaType} in ('image/png', 'image/jpeg', 'image/webp')`),
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

/**
 * Postgres only (several replicas): the chat generations running now or lately, so that a browser
 * reattaching through another replica finds them, and a replica that drains or dies can be taken
 * over (server/generations/shared-generations.server.ts). SQLite runs one server, which keeps them in
 * memory. `updated_at` is the running replica's heartbeat.
 */
export const generations = pgTable(
  "generations",
  {
    id: text("id").primaryKey(),
    chatId: text("chat_id")
      .notNull()
      .references(() => chats.id, { onDelete: "cascade" }),
    replica: text("replica").notNull(),
    status: text("status", { enum: ["running", "interrupted", "finished"] }).notNull(),
    model: text("model").notNull(),
    /** Position of the turn's user message: the conversation a take-over answers is everything up to it. */
    turnPosition: integer("turn_position").notNull(),
    lastSeq: integer("last_seq").notNull(),
    startedAt: bigint("started_at", { mode: "number" }).notNull(),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [
    index("generations_chat_id_idx").on(t.chatId),
    check("generations_status_check", sql`${t.status} in ('running', 'interrupted', 'finished')`),
  ],
);

/** The wire events of those generations, as sent: `seq` is the SSE id. Deleted with their generation. */
export const generationEvents = pgTable(
  "generation_events",
  {
    generationId: text("generation_id")
      .notNull()
      .references(() => generations.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    event: text("event").notNull(),
    /** The event's data, JSON as sent on the wire. */
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.generationId, t.seq] })],
);
