/**
 * What the relay saves for a chat, and when (docs/storage.md):
 * - the user's message, before the provider is called, so nothing typed is lost even if the server
 *   dies mid-stream;
 * - the assistant's answer, by the server when the stream ends: complete, or what arrived marked
 *   stopped (the user left or pressed Stop) or failed. An empty answer is not saved.
 * Retrying or editing a turn replaces it instead of adding a second one, so the saved conversation
 * stays one user message, one answer.
 */
import type { ChatMessage } from "./chat-request";
import type { ChatStore, StoredMessageState } from "./db/chat-store";

export interface SavedTurn {
  chatId: string;
  /** The unfinished answer this turn replaces (a retry), if any. */
  replacesMessageId?: string;
}

/**
 * The request's conversation is authoritative for its last turn: when the saved chat already has a
 * user message at that position (a retry, a regenerate after a reload, an edited prompt), that turn
 * is replaced, not added again.
 */
export async function saveUserTurn(store: ChatStore, chatId: string, messages: ChatMessage[]): Promise<SavedTurn> {
  const position = messages.length - 1;
  const prompt = messages[position];
  const stored = await store.listMessages(chatId);
  const sameTurn = stored[position];
  if (sameTurn?.role !== "user") {
    await store.appendMessage({ chatId, role: "user", content: prompt.content, state: "complete" });
    return { chatId };
  }
  if (sameTurn.content !== prompt.content) await store.updateMessage(sameTurn.id, { content: prompt.content, state: "complete" });
  const answer = stored[position + 1];
  return { chatId, replacesMessageId: answer?.role === "assistant" ? answer.id : undefined };
}

export async function saveAnswer(
  store: ChatStore,
  turn: SavedTurn,
  answer: { content: string; state: StoredMessageState; provider: string; model: string },
): Promise<void> {
  if (!answer.content) return;
  if (turn.replacesMessageId && (await store.updateMessage(turn.replacesMessageId, answer))) return;
  await store.appendMessage({ chatId: turn.chatId, role: "assistant", ...answer });
}
