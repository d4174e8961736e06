/**
 * The images a chat request's messages name by id (docs/wire-protocol.md, "Images"), read from the
 * store: each must be an image of the request's chat, or the request is refused before anything is
 * saved or sent. The relay hands the result to the context builder (a vision model) or to the
 * describer (server/images/describe-images.server.ts) for a text-only one.
 */
import type { MessageImage } from "../context-builder";
import type { ChatStore } from "../db/chat-store";

export type MessageImagesResult =
  | { ok: true; images: Map<string, MessageImage> }
  | { ok: false; status: 400; code: "bad_request" | "unknown_image"; message: string };

export const IMAGES_NEED_A_CHAT_MESSAGE =
  "Images need a saved chat: upload them to the chat (POST /api/chats/:id/images) and send its chatId with the request.";

/** What is read of a message: a request's (`images` absent when none) or a saved one's (null when none). */
type WithImages = { images?: readonly string[] | null };

/** Every id the messages carry, once each, in order of appearance. */
export function imageIdsOf(messages: WithImages[]): string[] {
  return [...new Set(messages.flatMap((message) => message.images ?? []))];
}

/**
 * Reads every image the messages name. An empty map when they name none (the store is not asked);
 * `bad_request` when they do but the request has no chat; `unknown_image` when an id is not one of
 * that chat's images (another chat's image is as unknown as a made-up id: ids are the only key).
 */
export async function resolveMessageImages(
  store: Pick<ChatStore, "getImage">,
  chatId: string | undefined,
  messages: WithImages[],
): Promise<MessageImagesResult> {
  const ids = imageIdsOf(messages);
  const images = new Map<string, MessageImage>();
  if (ids.length === 0) return { ok: true, images };
  if (chatId === undefined) return { ok: false, status: 400, code: "bad_request", message: IMAGES_NEED_A_CHAT_MESSAGE };
  for (const id of ids) {
    const image = await store.getImage(id);
    if (!image || image.chatId !== chatId) {
      return {
        ok: false,
        status: 400,
        code: "unknown_image",
        message: "This chat has no such image; attach it again.",
      };
    }
    images.set(id, { mediaType: image.mediaType, dataUrl: `data:${image.mediaType};base64,${image.data.toString("base64")}` });
  }
  return { ok: true, images };
}
