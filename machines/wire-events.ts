/**
 * The events of `POST /api/chat`'s SSE stream (described in docs/wire-protocol.md).
 * Shared by the server, which writes them, and the chat machine, which reads them; the schemas let
 * the browser validate what arrives instead of trusting it.
 */
import { z } from "zod";

export const metaData = z.object({
  requestId: z.string(),
  provider: z.string(),
  model: z.string(),
  /** The prompt's images are first described by this vision model, for a model that cannot read them. */
  imagesDescribedBy: z.string().optional(),
});
export const deltaData = z.object({ text: z.string() });
/** A piece of the model's reasoning: shown apart, never part of the answer text. */
export const reasoningData = z.object({ text: z.string() });
export const retryData = z.object({ attempt: z.number(), delayMs: z.number(), reason: z.string() });
export const fallbackData = z.object({
  from: z.string(),
  to: z.string(),
  reason: z.string(),
  model: z.string().optional(),
});
export const resetData = z.object({ reason: z.string() });
/**
 * The `reset` reason when a follow-up's edit blocks did not apply to the code they edit: the server
 * asks the model once more, for the complete file (docs/wire-protocol.md).
 */
export const EDIT_NOT_APPLIED = "edit_not_applied";
/** The error when the whole-file answer asked for after `EDIT_NOT_APPLIED` makes no version either. */
export const EDIT_FAILED = "edit_failed";
/**
 * The answer hit the output-token limit and the server asks the model for the rest; the following
 * deltas continue the same answer (no reset).
 */
export const continueData = z.object({ attempt: z.number(), reason: z.string() });
export const usageData = z.object({
  promptTokens: z.number().optional(),
  completionTokens: z.number().optional(),
  totalTokens: z.number().optional(),
});
export const doneData = z.object({ finishReason: z.string(), usage: usageData.optional() });
export const errorData = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() });

export const wireEventSchemas = {
  meta: metaData,
  delta: deltaData,
  reasoning: reasoningData,
  retry: retryData,
  fallback: fallbackData,
  reset: resetData,
  continue: continueData,
  done: doneData,
  error: errorData,
} as const;

export type WireEventName = keyof typeof wireEventSchemas;
export type WireEvent = {
  [K in WireEventName]: { event: K; data: z.infer<(typeof wireEventSchemas)[K]> };
}[WireEventName];

export type WireError = z.infer<typeof errorData>;

/** Parses one SSE event (name + JSON text) into a typed wire event; unknown or invalid ones give null. */
export function parseWireEvent(name: string | undefined, json: string): WireEvent | null {
  if (!name || !Object.hasOwn(wireEventSchemas, name)) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = wireEventSchemas[name as WireEventName].safeParse(value);
  return parsed.success ? ({ event: name, data: parsed.data } as WireEvent) : null;
}

/**
 * The error a draining Kiln server ends its streams with (and refuses new ones with): not the
 * provider's fault, so the browser reconnects, through the load balancer, to another replica.
 */
export const SERVER_SHUTTING_DOWN = "server_shutting_down";

/**
 * A chat's generation was stopped before it finished: by its owner's Stop (another tab attached to it
 * sees this), or because no page was attached to it for the grace period (KILN_DETACHED_GRACE_MS).
 */
export const GENERATION_STOPPED = "generation_stopped";

/** The JSON body of a refusal sent before any stream starts (4xx/5xx). */
export const refusalBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
