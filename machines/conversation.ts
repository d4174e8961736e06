/**
 * The conversation as the chat machine keeps it, and what of it is sent to the server. Pure.
 */
import type { Receipt } from "./receipt";

export type MessageState = "complete" | "stopped" | "failed";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
  /** Assistant answers that were cut short stay visible, marked as such. */
  state: MessageState;
  /**
   * For an answer: who answered, how long it took, its tokens, retries and fallbacks (machines/receipt.ts).
   * Set when a turn finishes, and read back with a saved chat; never sent to the server.
   */
  receipt?: Receipt;
  /** For a prompt: the ids of the images attached to it (uploaded to the chat first), sent with it. */
  images?: string[];
}

/** One message of a request (docs/wire-protocol.md): `images` only on a prompt that has some. */
export interface RequestMessage {
  role: "user" | "assistant";
  content: string;
  images?: string[];
}

/**
 * The messages sent with a request. Empty answers are dropped, and consecutive messages of one role
 * (a follow-up after a failed, empty answer) are joined, their images too: many chat templates
 * (vLLM, Mistral) reject conversations whose roles do not alternate.
 */
export function toRequestMessages(messages: ChatMessage[]): RequestMessage[] {
  const result: RequestMessage[] = [];
  for (const message of messages) {
    if (!message.content.trim()) continue;
    const images = message.role === "user" && message.images?.length ? message.images : undefined;
    const previous = result[result.length - 1];
    if (previous && previous.role === message.role) {
      previous.content = `${previous.content}\n\n${message.content}`;
      if (images) previous.images = [...(previous.images ?? []), ...images];
    } else {
      result.push({ role: message.role, content: message.content, ...(images ? { images: [...images] } : {}) });
    }
  }
  return result;
}
