/**
 * Reading one `data:` frame of an OpenAI-compatible chat completion stream. Pure, so every odd thing
 * providers send (usage-only chunks, null content, `eos` finish reasons, error frames) is unit-tested.
 */
import { z } from "zod";

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).passthrough().nullish(),
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

const errorFrameSchema = z.object({
  error: z.union([
    z.string(),
    z.object({ message: z.string().optional(), code: z.union([z.string(), z.number()]).nullish() }).passthrough(),
  ]),
});

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

export type CompletionFrame =
  | { kind: "done" }
  | { kind: "chunk"; text: string; finishReason?: string; usage?: Usage }
  | { kind: "error"; message: string; status?: number }
  | { kind: "malformed"; reason: string };

export function parseCompletionFrame(data: string): CompletionFrame {
  if (data.trim() === "[DONE]") return { kind: "done" };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "malformed", reason: "not JSON" };
  }
  const fast = readOrdinaryChunk(json);
  if (fast) return fast;
  const asError = errorFrameSchema.safeParse(json);
  if (asError.success) {
    const error = asError.data.error;
    const message = typeof error === "string" ? error : (error.message ?? "error frame without a message");
    const code = typeof error === "string" ? undefined : Number(error.code);
    return { kind: "error", message, status: code && code >= 400 && code < 600 ? code : undefined };
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
  return {
    kind: "chunk",
    text: choice?.delta?.content ?? "",
    ...(choice?.finish_reason ? { finishReason: choice.finish_reason } : {}),
    ...(usage ? { usage } : {}),
  };
}

/**
 * The hot path: an ordinary chunk read with a few type checks. zod's safeParse costs a schema walk
 * (and on a miss, a ZodError) for every token, which profiling showed as the relay's largest cost;
 * anything unusual falls through to the schemas above.
 */
function readOrdinaryChunk(json: unknown): CompletionFrame | undefined {
  if (typeof json !== "object" || json === null || "error" in json) return undefined;
  const { choices, usage } = json as { choices?: unknown; usage?: unknown };
  if (!Array.isArray(choices) || (usage !== undefined && usage !== null)) return undefined;
  const choice = choices[0] as { delta?: { content?: unknown } | null; finish_reason?: unknown } | undefined;
  if (choice === undefined) return { kind: "chunk", text: "" };
  if (typeof choice !== "object" || choice === null) return undefined;
  const content = choice.delta?.content;
  const finish = choice.finish_reason;
  if (
    (content !== undefined && content !== null && typeof content !== "string") ||
    (finish !== undefined && finish !== null && typeof finish !== "string")
  ) {
    return undefined;
  }
  return { kind: "chunk", text: content ?? "", ...(finish ? { finishReason: finish } : {}) };
}
