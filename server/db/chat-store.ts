/**
 * What Kiln keeps: chats, their messages and images, shared versions, and the rate limiter's token buckets. One
 * interface, two implementations (SQLite by default, Postgres when several servers share state), both
 * tested by the same suite.
 */

import type { ImageMediaType } from "../../machines/images";
import type { ReceiptFigures } from "../../machines/receipt";

export type StoredMessageState = "complete" | "stopped" | "failed";

export interface StoredChat {
  /** Unguessable (128 random bits, base64url): the URL is the only key to a chat. */
  id: string;
  title: string;
  model: string;
  createdAt: number;
  /** SHA-256 (hex) of the owner's secret or identity (server/chat-owner.server.ts); null: made before ownership. */
  ownerHash: string | null;
}

export interface StoredMessage {
  id: string;
  chatId: string;
  /** 0, 1, 2… in conversation order. */
  position: number;
  role: "user" | "assistant";
  content: string;
  state: StoredMessageState;
  /** For assistant messages: who answered. */
  provider: string | null;
  model: string | null;
  /**
   * For assistant messages: how the answer came about (times, tokens, retries, fallbacks), saved with it;
   * null for user messages and answers saved before receipts existed.
   */
  receipt: ReceiptFigures | null;
  /** For user messages: the ids of the images attached to it, in order; null when it has none. */
  images: string[] | null;
  createdAt: number;
}

/** An image attached to a prompt, without its bytes (what listing or answering an upload needs). */
export interface StoredImageInfo {
  /** Unguessable like every id: knowing it (and the chat's) is what gives access to the image. */
  id: string;
  chatId: string;
  mediaType: ImageMediaType;
  width: number;
  height: number;
  /** Length of `data`. */
  bytes: number;
  createdAt: number;
}

export interface StoredImage extends StoredImageInfo {
  /** The cleaned image (server/images/image-intake.server.ts), in `mediaType`'s format. */
  data: Buffer;
}

export interface StoredShare {
  id: string;
  messageId: string;
  createdAt: number;
  /** The snapshot the link shows (null only for shares made before snapshots existed). */
  code: string | null;
  title: string | null;
  /** The model's explanation of the version, as plain text. */
  summary: string | null;
  model: string | null;
  /** The version's number in its chat when it was shared. */
  version: number | null;
}

/** What a share freezes of a version when it is published. */
export interface ShareSnapshot {
  code: string;
  title: string;
  summary: string;
  model: string | null;
  version: number;
}

export interface RateLimits {
  /** The burst: requests a client may send at once. At least 1. */
  capacity: number;
  /** Tokens (requests) regained per second. Greater than 0. */
  refillPerSecond: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** 0 when allowed; otherwise ms until the next request would be allowed (≥ 1, rounded up). */
  retryAfterMs: number;
  /** Whole tokens left after this request (0 when refused). */
  remaining: number;
}

export interface ChatStore {
  createChat(input: { title: string; model: string; ownerHash?: string | null }): Promise<StoredChat>;
  getChat(id: string): Promise<StoredChat | undefined>;
  /** Gives an ownerless chat (made before ownership existed) to `ownerHash`; false when it already has an owner. */
  claimChat(id: string, ownerHash: string): Promise<boolean>;
  /** In position order. */
  listMessages(chatId: string): Promise<StoredMessage[]>;
  /**
   * Appends at the next position (max + 1), atomically, and returns the stored row. With
   * `expectedPosition`, a next position that differs (another request appended first) throws
   * `PositionTakenError` and nothing is written.
   */
  appendMessage(input: {
    chatId: string;
    expectedPosition?: number;
    role: "user" | "assistant";
    content: string;
    state: StoredMessageState;
    provider?: string | null;
    model?: string | null;
    receipt?: ReceiptFigures | null;
    /** Ids of images of this chat (`saveImage`); empty or absent: none. */
    images?: string[] | null;
  }): Promise<StoredMessage>;
  /**
   * Replaces a message's content and state (a retried turn, an edited prompt); provider, model,
   * receipt and images only when given (null clears them). Returns false when there is no such message.
   */
  updateMessage(
    id: string,
    input: {
      content: string;
      state: StoredMessageState;
      provider?: string | null;
      model?: string | null;
      receipt?: ReceiptFigures | null;
      images?: string[] | null;
    },
  ): Promise<boolean>;
  getMessage(id: string): Promise<StoredMessage | undefined>;
  /** Stores an image of a chat under a new unguessable id; a chat that does not exist is rejected. */
  saveImage(input: {
    chatId: string;
    mediaType: ImageMediaType;
    data: Buffer;
    width: number;
    height: number;
  }): Promise<StoredImageInfo>;
  /** The image with its bytes, whichever chat it belongs to (the caller checks `chatId`); undefined when unknown. */
  getImage(id: string): Promise<StoredImage | undefined>;
  /** Publishes a frozen snapshot of one assistant message (a version) under a new unguessable share id. */
  createShare(messageId: string, snapshot: ShareSnapshot): Promise<StoredShare>;
  getShare(id: string): Promise<StoredShare | undefined>;
  /**
   * Takes one token from `key`'s bucket (`server/token-bucket.ts`; a new key starts full), atomically:
   * however many requests, servers and processes share the database, one bucket never gives out more
   * than its tokens. `key` names the client and the limit, e.g. `chat:<ip>`; keep it short. Keys of
   * one namespace (up to the first `:`) must share the same limits: rows that have refilled to
   * capacity are deleted from time to time, which is invisible because a missing row is a full bucket.
   * `now` (epoch ms, an integer) is for tests; it defaults to `Date.now()`.
   */
  takeRateLimitToken(key: string, limits: RateLimits, now?: number): Promise<RateLimitDecision>;
  /** Cheap query proving the database answers (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
