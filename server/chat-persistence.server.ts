/**
 * What the relay saves for a chat, and when (docs/storage.md):
 * - the user's message, before the provider is called, so nothing typed is lost even if the server
 *   dies mid-stream;
 * - the assistant's answer, by the server when the stream ends: complete, or what arrived marked
 *   stopped (the user left or pressed Stop) or failed. An empty answer is not saved.
 * Retrying or editing a turn replaces it instead of adding a second one, so the saved conversation
 * stays one user message, one answer; a stale tab's older copy of the conversation is refused, so it
 * never overwrites what another tab saved.
 */
import type { ChatMessage } from "./chat-request";
import type { ReceiptFigures } from "../machines/receipt";
import type { ChatStore, StoredMessageState } from "./db/chat-store";

export interface SavedTurn {
  chatId: string;
  /** The unfinished answer this turn replaces (a retry), if any. */
  replacesMessageId?: string;
}

/**
 * The turn does not fit what the chat holds: the browser sent an older (or newer) copy of the
 * conversation than the saved one, e.g. from a stale tab. Nothing was saved (409 `chat_changed`).
 */
export class ChatChangedError extends Error {
  constructor(
    readonly position: number,
    readonly saved: number,
  ) {
    super(`the turn is at position ${position}, the chat holds ${saved} messages`);
    this.name = "ChatChangedError";
  }
}

export const CHAT_CHANGED_MESSAGE = "This chat changed in another tab; reload to continue.";

export interface TurnOptions {
  /**
   * The request replaces the chat's last turn on purpose (Retry, a reconnect, an edited prompt):
   * its user message may sit where the saved last user message is.
   */
  regenerate?: boolean;
}

/**
 * Saves the turn's user message where the request puts it (its last message's position). A new turn
 * must come right after the saved conversation; a regenerate may instead replace the saved last
 * turn (its user message updated, its answer replaced when the new one is saved). Anything else is
 * a stale copy of the conversation: `ChatChangedError`, and no saved row changes. The position is
 * also checked inside the store's append (`expectedPosition`), so two tabs sending at once cannot
 * both take it.
 */
export async function saveUserTurn(
  store: ChatStore,
  chatId: string,
  messages: ChatMessage[],
  options: TurnOptions = {},
): Promise<SavedTurn> {
  const position = messages.length - 1;
  const prompt = messages[position];
  const stored = await store.listMessages(chatId);
  // The request's images replace the saved ones: a retried or edited prompt says what it carries now.
  const images = prompt.images?.length ? prompt.images : null;
  if (position === stored.length) {
    await store.appendMessage({
      chatId,
      role: "user",
      content: prompt.content,
      state: "complete",
      images,
      expectedPosition: position,
    });
    return { chatId };
  }
  const sameTurn = stored[position];
  const lastTurn = sameTurn?.role === "user" && position >= stored.length - 2;
  // A follow-up after a turn that got no answer: the browser joins the two prompts into one message
  // (roles must alternate), which keeps the saved prompt whole and adds to it.
  const extendsUnanswered =
    position === stored.length - 1 && sameTurn?.role === "user" && prompt.content.startsWith(sameTurn.content);
  if (!lastTurn || !(options.regenerate || extendsUnanswered)) throw new ChatChangedError(position, stored.length);
  if (sameTurn.content !== prompt.content || !sameImages(sameTurn.images, images)) {
    await store.updateMessage(sameTurn.id, { content: prompt.content, state: "complete", images });
  }
  const answer = stored[position + 1];
  return { chatId, replacesMessageId: answer?.role === "assistant" ? answer.id : undefined };
}

function sameImages(saved: string[] | null, sent: string[] | null): boolean {
  return (saved ?? []).join("\n") === (sent ?? []).join("\n");
}

/**
 * Saves the answer with who gave it and its receipt (machines/receipt.ts); a retried turn's answer
 * replaces the unfinished one, receipt included.
 */
export async function saveAnswer(
  store: ChatStore,
  turn: SavedTurn,
  answer: { content: string; state: StoredMessageState; provider: string; model: string; receipt?: ReceiptFigures },
): Promise<void> {
  if (!answer.content) return;
  // null, not left out: a replaced answer never keeps the receipt of the one it replaces.
  const row = { ...answer, receipt: answer.receipt ?? null };
  if (turn.replacesMessageId && (await store.updateMessage(turn.replacesMessageId, row))) return;
  await store.appendMessage({ chatId: turn.chatId, role: "assistant", ...row });
}
