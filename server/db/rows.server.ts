/**
 * What both store implementations share: building new rows (ids, times, defaults) and the fields an
 * update changes. The tables have exactly the fields of the Stored* types, so rows read back by
 * drizzle are already Stored* values; nothing else needs mapping.
 */
import type {
  ChatStore,
  ShareSnapshot,
  StoredChat,
  StoredImage,
  StoredImageInfo,
  StoredMessage,
  StoredShare,
} from "./chat-store";
import { newId } from "./new-id.server";

export type AppendInput = Parameters<ChatStore["appendMessage"]>[0];
export type UpdateInput = Parameters<ChatStore["updateMessage"]>[1];
export type ImageInput = Parameters<ChatStore["saveImage"]>[0];

export function newChatRow(input: { title: string; model: string; ownerHash?: string | null }): StoredChat {
  return { id: newId(), title: input.title, model: input.model, createdAt: Date.now(), ownerHash: input.ownerHash ?? null };
}

export function newMessageRow(input: AppendInput, position: number): StoredMessage {
  return {
    id: newId(),
    chatId: input.chatId,
    position,
    role: input.role,
    content: input.content,
    state: input.state,
    provider: input.provider ?? null,
    model: input.model ?? null,
    receipt: input.receipt ?? null,
    images: imageIds(input.images),
    createdAt: Date.now(),
  };
}

/** One spelling of "no images" in the database: null, never an empty array. */
function imageIds(images: string[] | null | undefined): string[] | null {
  return images && images.length > 0 ? [...images] : null;
}

export function newImageRow(input: ImageInput): StoredImage {
  const { chatId, mediaType, data, width, height } = input;
  return { id: newId(), chatId, mediaType, data, width, height, bytes: data.length, createdAt: Date.now() };
}

/** What `saveImage` answers: the row without its bytes, which the caller already has. */
export function imageInfo({ id, chatId, mediaType, width, height, bytes, createdAt }: StoredImage): StoredImageInfo {
  return { id, chatId, mediaType, width, height, bytes, createdAt };
}

export function newShareRow(messageId: string, snapshot: ShareSnapshot): StoredShare {
  return { id: newId(), messageId, createdAt: Date.now(), ...snapshot };
}

/** content and state always; provider, model, receipt and images only when given (null clears them). */
export function messageChanges(input: UpdateInput): Partial<StoredMessage> {
  const changes: Partial<StoredMessage> = { content: input.content, state: input.state };
  if (input.provider !== undefined) changes.provider = input.provider;
  if (input.model !== undefined) changes.model = input.model;
  if (input.receipt !== undefined) changes.receipt = input.receipt;
  if (input.images !== undefined) changes.images = imageIds(input.images);
  return changes;
}

export class UnknownRowError extends Error {
  constructor(what: "chat" | "message") {
    super(`no such ${what}`);
    this.name = "UnknownRowError";
  }
}

/** `appendMessage`'s `expectedPosition` was taken by another request first. */
export class PositionTakenError extends Error {
  constructor(
    readonly expected: number,
    readonly next: number,
  ) {
    super(`the next position is ${next}, not ${expected}`);
    this.name = "PositionTakenError";
  }
}
