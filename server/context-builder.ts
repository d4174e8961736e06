/**
 * Fits a conversation into a model's context window (docs/configuration.md, "Context budget"). Pure:
 * the relay gives it the system prompt, the messages as the browser sent them and the model's limits,
 * and gets back what to send the provider with its `max_tokens`, or `context_too_long`.
 *
 * What is kept, most important first: the system prompt, the newest user message, the latest version's
 * code (the model edits it), then the most recent turns. Every older version's code is replaced by a
 * short note, its prose kept: the model needs the story, not each superseded file. Then whole turns
 * (a user message and the answers to it) are left out, oldest first, until the prompt leaves room for
 * the model's whole output limit.
 *
 * A vision model also gets the images of the user messages it keeps, as OpenAI content parts (a text
 * part, then one `image_url` part per image, its URL a data URL); each counts IMAGE_TOKENS.
 */
import { extractReply } from "../machines/code-fence";
import { answerWithCode, isEditBlocks } from "../machines/edit-blocks";
import { versionsOf } from "../machines/versions";
import type { ChatMessage } from "./chat-request";

export interface ModelLimits {
  /** Tokens the model can attend to: prompt and answer together. */
  contextWindow: number;
  /** Most tokens the model may answer with (`max_tokens`). */
  maxOutputTokens: number;
}

/**
 * For a model nobody gave limits for: 32k context is what current open models served by vLLM or Ollama
 * offer at least (smaller ones refuse with a context-length error, mapped to the same code), and 8k of
 * output holds a ~600-line app.
 */
export const DEFAULT_MODEL_LIMITS: ModelLimits = { contextWindow: 32_768, maxOutputTokens: 8_192 };

/** Below this many tokens of room for the answer, no app fits in it: refuse rather than cut it off. */
export const MIN_OUTPUT_TOKENS = 1_024;

/** Chat templates wrap every message in role markers; a few tokens each, counted generously. */
const MESSAGE_OVERHEAD_TOKENS = 8;

/**
 * A conservative token estimate: one token per 3 UTF-8 bytes, rounded up. Kiln serves many model
 * families (Qwen, Llama, DeepSeek, Kimi…), each with its own tokenizer; an OpenAI BPE such as
 * gpt-tokenizer would be exact for none of them. BPE tokenizers average about 4 bytes per token on
 * English and code, so 3 overestimates, and an overestimate only leaves some context unused, while an
 * underestimate makes the provider refuse the request.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(utf8.encode(text).length / 3);
}

const utf8 = new TextEncoder();

/**
 * What one image costs in the budget, whatever its size. Providers count images their own way: GPT-4o
 * at most 1 105 tokens (six 512-px tiles at high detail, any size), Llama 4 about 2 450 at most (16
 * tiles of 144 and an overview), Qwen2.5-VL one token per 28 × 28 px, about 1 700 for a 1440 × 900
 * screenshot. 2 500 covers a desktop screenshot on each of them; a fixed figure keeps the budget a pure
 * function of the request, and an image a provider counts higher (a 2048-px one on Qwen) is refused by
 * it as `context_too_long`, the same code as the budget's.
 */
export const IMAGE_TOKENS = 2_500;

/** An image a user message carries, as the provider receives it. */
export interface MessageImage {
  mediaType: string;
  /** `data:<mediaType>;base64,…` */
  dataUrl: string;
}

/** OpenAI's content parts, as the openai SDK types them (ChatCompletionContentPart): the ones Kiln sends. */
export type ContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

/** A message of the conversation as a provider gets it: the user's may be content parts (images). */
export type ConversationMessage = { role: "user"; content: string | ContentPart[] } | { role: "assistant"; content: string };

export type ProviderMessage = { role: "system"; content: string } | ConversationMessage;

/** The estimated tokens of a message's content: its text, and IMAGE_TOKENS per image. */
export function contentTokens(content: string | ContentPart[], countTokens: (text: string) => number = estimateTokens): number {
  if (typeof content === "string") return countTokens(content);
  return content.reduce((sum, part) => sum + (part.type === "text" ? countTokens(part.text) : IMAGE_TOKENS), 0);
}

export type ContextResult =
  | {
      ok: true;
      /** What the provider receives: the system prompt, then `conversation`. */
      messages: ProviderMessage[];
      /**
       * The conversation as fitted: older code replaced by notes, the oldest turns left out, and for a
       * vision model the kept user messages' images as content parts.
       */
      conversation: ConversationMessage[];
      maxTokens: number;
      /** Estimated tokens of `messages`. */
      promptTokens: number;
      /** How many of the request's messages were left out. */
      droppedMessages: number;
    }
  | { ok: false; code: "context_too_long"; message: string; promptTokens: number };

export interface ContextInput {
  systemPrompt: string;
  /** As the relay has them: alternating, the last one the user's. */
  messages: ChatMessage[];
  limits: ModelLimits;
  countTokens?: (text: string) => number;
  /**
   * For a vision model: the images the messages' `images` ids name (server/images/message-images.server.ts).
   * Without it (a text-only model, whose images were described in the text) the ids are ignored.
   */
  images?: ReadonlyMap<string, MessageImage>;
}

export function omittedCodeNote(versionNumber: number): string {
  return `[code of version ${versionNumber} omitted: the latest version is below]`;
}

export function buildContext({
  systemPrompt,
  messages,
  limits,
  countTokens = estimateTokens,
  images,
}: ContextInput): ContextResult {
  const conversation = withOlderCodeOmitted(messages).map((message) => withImages(message, images));
  const cost = (message: ConversationMessage) => contentTokens(message.content, countTokens) + MESSAGE_OVERHEAD_TOKENS;
  const latestVersionAt = latestVersionIndex(messages);

  // Turns start at a user message; anything before the first one is a turn of its own.
  const turns: ConversationMessage[][] = [];
  for (const message of conversation) {
    if (message.role === "user" || turns.length === 0) turns.push([message]);
    else turns[turns.length - 1].push(message);
  }
  const turnOf: number[] = turns.flatMap((turn, index) => turn.map(() => index));
  const protectedTurns = new Set([turns.length - 1, ...(latestVersionAt === undefined ? [] : [turnOf[latestVersionAt]])]);
  const kept = turns.map(() => true);
  const turnCost = turns.map((turn) => turn.reduce((sum, message) => sum + cost(message), 0));
  let promptTokens = countTokens(systemPrompt) + MESSAGE_OVERHEAD_TOKENS + turnCost.reduce((a, b) => a + b, 0);

  for (let index = 0; index < turns.length && promptTokens + limits.maxOutputTokens > limits.contextWindow; index++) {
    if (protectedTurns.has(index)) continue;
    kept[index] = false;
    promptTokens -= turnCost[index];
  }

  const maxTokens = Math.min(limits.maxOutputTokens, limits.contextWindow - promptTokens);
  if (maxTokens < Math.min(MIN_OUTPUT_TOKENS, limits.maxOutputTokens)) {
    return {
      ok: false,
      code: "context_too_long",
      message: `Your message and the app's code need about ${promptTokens} tokens, too many for this model's ${limits.contextWindow}-token context to leave room for an answer: shorten the message, start a new chat, or pick a model with a larger context.`,
      promptTokens,
    };
  }
  const fitted = turns.filter((_, index) => kept[index]).flat();
  return {
    ok: true,
    messages: [{ role: "system", content: systemPrompt }, ...fitted],
    conversation: fitted,
    maxTokens,
    promptTokens,
    droppedMessages: messages.length - fitted.length,
  };
}

/** The index of the answer holding the latest version (an answer whose code block closed). */
function latestVersionIndex(messages: ChatMessage[]): number | undefined {
  const versions = versionsOf(messages.map((message) => ({ ...message, state: "complete" as const })));
  return versions.at(-1)?.messageIndex;
}

/** A user message with images the model will see becomes a text part and one `image_url` part per image. */
function withImages(message: ChatMessage, images: ReadonlyMap<string, MessageImage> | undefined): ConversationMessage {
  const seen = message.role === "user" && images ? (message.images ?? []).flatMap((id) => images.get(id) ?? []) : [];
  if (seen.length === 0) return { role: message.role, content: message.content };
  return {
    role: "user",
    content: [
      { type: "text", text: message.content },
      ...seen.map((image): ContentPart => ({ type: "image_url", image_url: { url: image.dataUrl } })),
    ],
  };
}

/**
 * Every version but the latest loses its code to a note; its prose (what changed, how to use it)
 * stays. The latest is sent as the complete file even when its answer was edit blocks: the next
 * edit's SEARCH lines are copied from it.
 */
function withOlderCodeOmitted(messages: ChatMessage[]): ChatMessage[] {
  const versions = versionsOf(messages.map((message) => ({ ...message, state: "complete" as const })));
  const older = new Map(versions.slice(0, -1).map((version, index) => [version.messageIndex, index + 1]));
  const latest = versions.at(-1);
  return messages.map((message, index) => {
    const versionNumber = older.get(index);
    if (index === latest?.messageIndex) {
      const reply = extractReply(message.content);
      const content = isEditBlocks(reply.code) ? answerWithCode(reply, latest.code) : message.content;
      return { role: message.role, content };
    }
    if (versionNumber === undefined) return message;
    const reply = extractReply(message.content);
    const content = [reply.before, omittedCodeNote(versionNumber), reply.after].filter(Boolean).join("\n\n");
    return { role: message.role, content };
  });
}
