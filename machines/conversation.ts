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
}

/**
 * The messages sent with a request. Empty answers are dropped, and consecutive messages of one role
 * (a follow-up after a failed, empty answer) are joined: many chat templates (vLLM, Mistral) reject
 * conversations whose roles do not alternate.
 */
export function toRequestMessages(messages: ChatMessage[]): Array<{ role: "user" | "assistant"; content: string }> {
  const result: Array<{ role: "user" | "assistant"; content: string }> = [];
  for (const message of messages) {
    if (!message.content.trim()) continue;
    const previous = result[result.length - 1];
    if (previous && previous.role === message.role) {
      previous.content = `${previous.content}\n\n${message.content}`;
    } else {
      result.push({ role: message.role, content: message.content });
    }
  }
  return result;
}
