/**
 * Reading an OpenAI-compatible chat completion stream: one `data:` frame into answer text, reasoning
 * and a finish, and the `<think>…</think>` block some models open their content with into reasoning.
 * Pure, so every odd thing providers send (usage-only chunks, null content, array content, reasoning
 * in three differently named fields, `eos` finish reasons, error frames) is unit-tested.
 */
import { z } from "zod";

/** Mistral sends `content` as typed parts: `text` parts are the answer, `thinking` parts reasoning. */
const contentPart = z
  .object({
    type: z.string(),
    text: z.string().nullish(),
    thinking: z.array(z.object({ type: z.string(), text: z.string().nullish() }).passthrough()).nullish(),
  })
  .passthrough();

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({ content: z.union([z.string(), z.array(contentPart)]).nullish() })
          .passthrough()
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
  usage: z
    .object({
      prompt_tokens: z.number().optional(),
      completion_tokens: z.number().optional(),
      total_tokens: z.number().optional(),
    })
    .nullish(),
});

const errorObject = z
  .object({
    message: z.string().optional(),
    code: z.union([z.string(), z.number()]).nullish(),
  })
  .passthrough();
const errorFrameSchema = z.object({ error: z.union([z.string(), errorObject]) });

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

export type CompletionFrame =
  | { kind: "done" }
  /** `reasoning` only when the chunk carried some. */
  | { kind: "chunk"; text: string; reasoning?: string; finishReason?: string; usage?: Usage }
  | { kind: "error"; message: string; status?: number }
  | { kind: "malformed"; reason: string };

/**
 * `event` is the SSE event name: Groq ends a failed stream with `event: error`, whatever its data.
 */
export function parseCompletionFrame(data: string, event?: string): CompletionFrame {
  if (data.trim() === "[DONE]") return { kind: "done" };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return event === "error"
      ? { kind: "error", message: data.trim() || "error event without a message" }
      : { kind: "malformed", reason: "not JSON" };
  }
  if (event !== "error") {
    const fast = readOrdinaryChunk(json);
    if (fast) return fast;
  }
  const asError = errorFrameSchema.safeParse(json);
  if (asError.success) return errorFrame(asError.data.error);
  if (event === "error") {
    const bare = errorObject.safeParse(json);
    return errorFrame(bare.success ? bare.data : "error event without a message");
  }
  const chunk = chunkSchema.safeParse(json);
  if (!chunk.success) return { kind: "malformed", reason: "not a chat.completion.chunk" };
  const choice = chunk.data.choices[0];
  const usage = chunk.data.usage
    ? {
        promptTokens: chunk.data.usage.prompt_tokens,
        completionTokens: chunk.data.usage.completion_tokens,
        totalTokens: chunk.data.usage.total_tokens,
      }
    : undefined;
  return { ...readDelta(choice?.delta, choice?.finish_reason), ...(usage ? { usage } : {}) };
}

function errorFrame(error: string | z.infer<typeof errorObject>): CompletionFrame {
  const message = typeof error === "string" ? error : (error.message ?? "error frame without a message");
  const code = typeof error === "string" ? undefined : Number(error.code);
  return { kind: "error", message, status: code && code >= 400 && code < 600 ? code : undefined };
}

interface Delta {
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  reasoning_details?: unknown;
}

/** A delta already known to be well formed: its content a string, null or an array of parts. */
function readDelta(delta: Delta | null | undefined, finish: string | null | undefined): CompletionFrame {
  let text = "";
  let reasoning = reasoningOf(delta);
  const content = delta?.content;
  if (typeof content === "string") text = content;
  else if (Array.isArray(content)) {
    for (const part of content as z.infer<typeof contentPart>[]) {
      if (part.type === "text") text += part.text ?? "";
      else if (part.type === "thinking")
        for (const piece of part.thinking ?? []) reasoning += (piece.type === "text" && piece.text) || "";
    }
  }
  return { kind: "chunk", text, ...(reasoning ? { reasoning } : {}), ...(finish ? { finishReason: finish } : {}) };
}

/**
 * The first non-empty of `reasoning_content` (DeepSeek, Qwen, Z.ai, xAI), `reasoning` (Ollama, Groq,
 * OpenRouter) and the texts of `reasoning_details` (OpenRouter, Snowflake). OpenRouter sends the same
 * text in both of its fields: reading one of them keeps it from being doubled.
 */
function reasoningOf(delta: Delta | null | undefined): string {
  if (!delta) return "";
  if (typeof delta.reasoning_content === "string" && delta.reasoning_content) return delta.reasoning_content;
  if (typeof delta.reasoning === "string" && delta.reasoning) return delta.reasoning;
  if (!Array.isArray(delta.reasoning_details)) return "";
  let text = "";
  for (const detail of delta.reasoning_details as unknown[]) {
    const piece = (detail as { text?: unknown } | null)?.text;
    if (typeof piece === "string") text += piece;
  }
  return text;
}

/**
 * The hot path: an ordinary chunk read with a few type checks. zod's safeParse costs a schema walk
 * (and on a miss, a ZodError) for every token, which profiling showed as the relay's largest cost;
 * anything unusual (usage, errors, array content, odd types) falls through to the schemas above.
 */
function readOrdinaryChunk(json: unknown): CompletionFrame | undefined {
  if (typeof json !== "object" || json === null || "error" in json) return undefined;
  const { choices, usage } = json as { choices?: unknown; usage?: unknown };
  if (!Array.isArray(choices) || (usage !== undefined && usage !== null)) return undefined;
  const choice = choices[0] as { delta?: Delta | null; finish_reason?: unknown } | undefined;
  if (choice === undefined) return { kind: "chunk", text: "" };
  if (typeof choice !== "object" || choice === null) return undefined;
  const delta = choice.delta;
  if (delta !== undefined && delta !== null && typeof delta !== "object") return undefined;
  const content = delta?.content;
  const finish = choice.finish_reason;
  if (
    (content !== undefined && content !== null && typeof content !== "string") ||
    (finish !== undefined && finish !== null && typeof finish !== "string")
  ) {
    return undefined;
  }
  return readDelta(delta, finish);
}

/** A piece of what the model said: answer text (`content`) or reasoning. */
export interface StreamPiece {
  kind: "content" | "reasoning";
  text: string;
}

const OPEN = "<think>";
const CLOSE = "</think>";

/**
 * Moves a `<think>…</think>` block that opens the content (DeepSeek R1 and its distills on Together,
 * Groq, vLLM…) to reasoning, however the content is chunked: the answer starts after `</think>`,
 * its leading whitespace dropped. Content that does not open with the block passes through byte for
 * byte; only leading whitespace and a possible half `<think>` wait for the next chunk to decide.
 * `end()` gives what is still held when the stream ends (an unclosed block is all reasoning).
 */
export class OpeningThinkBlock {
  private state: "start" | "thinking" | "after" | "answer" = "start";
  private held = "";

  push(text: string): StreamPiece[] {
    if (this.state === "answer") return text ? [{ kind: "content", text }] : [];
    const pieces: StreamPiece[] = [];
    let rest = this.held + text;
    this.held = "";
    if (this.state === "start") {
      const opening = rest.trimStart();
      if (opening.startsWith(OPEN)) {
        this.state = "thinking";
        rest = opening.slice(OPEN.length);
      } else if (OPEN.startsWith(opening)) {
        // Only whitespace, or whitespace and the start of `<think>`, so far.
        this.held = rest;
        return pieces;
      } else {
        this.state = "answer";
        return rest ? [{ kind: "content", text: rest }] : [];
      }
    }
    if (this.state === "thinking") {
      const close = rest.indexOf(CLOSE);
      if (close < 0) {
        // A chunk may end inside `</think>`: hold back what could be its start.
        const keep = partialSuffix(rest, CLOSE);
        const reasoning = rest.slice(0, rest.length - keep);
        this.held = rest.slice(rest.length - keep);
        if (reasoning) pieces.push({ kind: "reasoning", text: reasoning });
        return pieces;
      }
      if (close > 0) pieces.push({ kind: "reasoning", text: rest.slice(0, close) });
      this.state = "after";
      rest = rest.slice(close + CLOSE.length);
    }
    const answer = rest.trimStart();
    if (answer) {
      this.state = "answer";
      pieces.push({ kind: "content", text: answer });
    }
    return pieces;
  }

  end(): StreamPiece[] {
    const held = this.held;
    this.held = "";
    if (!held) return [];
    return [{ kind: this.state === "thinking" ? "reasoning" : "content", text: held }];
  }
}

/** Length of the longest end of `text` that is a proper start of `tag`. */
function partialSuffix(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (tag.startsWith(text.slice(text.length - length))) return length;
  }
  return 0;
}
