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

export type ProviderMessage = { role: "system" | "user" | "assistant"; content: string };

export type ContextResult =
  | {
      ok: true;
      /** What the provider receives: the system prompt, then `conversation`. */
      messages: ProviderMessage[];
      /** The conversation as fitted: older code replaced by notes, the oldest turns left out. */
      conversation: ChatMessage[];
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
}

export function omittedCodeNote(versionNumber: number): string {
  return `[code of version ${versionNumber} omitted: the latest version is below]`;
}

export function buildContext({ systemPrompt, messages, limits, countTokens = estimateTokens }: ContextInput): ContextResult {
  const cost = (message: { content: string }) => countTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;
  const conversation = withOlderCodeOmitted(messages);
  const latestVersionAt = latestVersionIndex(messages);

  // Turns start at a user message; anything before the first one is a turn of its own.
  const turns: ChatMessage[][] = [];
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
    if (versionNumber === undefined) return { role: message.role, content: message.content };
    const reply = extractReply(message.content);
    const content = [reply.before, omittedCodeNote(versionNumber), reply.after].filter(Boolean).join("\n\n");
    return { role: message.role, content };
  });
}
