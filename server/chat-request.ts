/**
 * Validation of the `POST /api/chat` body (docs/wire-protocol.md). Pure: the relay turns a
 * failure into a 400 with the message below.
 */
import { z } from "zod";
import { MAX_IMAGES_PER_MESSAGE } from "../machines/images";

export const MAX_MESSAGES = 200;
export const MAX_MESSAGE_CHARS = 200_000;

const messageSchema = z.object({
  role: z.enum(["user", "assistant"], {
    errorMap: () => ({ message: 'must be "user" or "assistant"' }),
  }),
  content: z
    .string({ invalid_type_error: "must be a string", required_error: "is required" })
    .max(MAX_MESSAGE_CHARS, `is longer than ${MAX_MESSAGE_CHARS} characters`),
  /**
   * Ids of images uploaded to the chat (`POST /api/chats/:id/images`), never the images themselves:
   * the body stays small, and the server reads them from the chat. Whether they are that chat's is
   * checked against the store (server/images/message-images.server.ts).
   */
  images: z
    .array(z.string({ invalid_type_error: "must be image ids" }).min(1, "must not be empty").max(100), {
      invalid_type_error: "must be an array of image ids",
    })
    .max(MAX_IMAGES_PER_MESSAGE, `must hold at most ${MAX_IMAGES_PER_MESSAGE} images`)
    .optional(),
});

const chatRequestSchema = z.object({
  model: z.string({ invalid_type_error: "must be a string", required_error: "is required" }).min(1, "is required").max(200),
  messages: z
    .array(messageSchema, { invalid_type_error: "must be an array", required_error: "is required" })
    .min(1, "must hold at least one message")
    .max(MAX_MESSAGES, `must hold at most ${MAX_MESSAGES} messages`),
  chatId: z.string().max(100).optional(),
  /**
   * For a saved chat: this request replaces the chat's last turn on purpose (Retry, a reconnect, an
   * edited prompt); without it the turn must come right after the saved conversation (409 chat_changed).
   */
  regenerate: z.boolean({ invalid_type_error: "must be true or false" }).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = ChatRequest["messages"][number];

export type ChatRequestResult = { ok: true; value: ChatRequest } | { ok: false; message: string };

export function parseChatRequest(body: unknown): ChatRequestResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: "The body must be a JSON object with model and messages." };
  }
  const messages = (body as { messages?: unknown }).messages;
  if (Array.isArray(messages) && messages.some((m) => (m as { role?: unknown } | null)?.role === "system")) {
    return { ok: false, message: "System messages are not accepted: Kiln adds its own system prompt." };
  }
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `Invalid request: ${issue.path.join(".")} ${issue.message}.` };
  }
  if (parsed.data.messages.some((message) => message.role !== "user" && message.images?.length)) {
    return { ok: false, message: "Only the user's messages may carry images." };
  }
  const last = parsed.data.messages[parsed.data.messages.length - 1];
  if (last.role !== "user") {
    return { ok: false, message: "The last message must be the user's." };
  }
  if (!last.content.trim()) {
    return { ok: false, message: "The last message is empty: type what you want to build." };
  }
  return { ok: true, value: parsed.data };
}
