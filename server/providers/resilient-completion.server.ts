/**
 * One answer, whatever the providers do: retries with backoff, falls back down the chain, and
 * recovers from mid-stream failures, announcing each step as a wire event. Exactly one `done` or
 * `error` ends the sequence, and the answer (the deltas after the last `reset`) has no gap and no
 * repetition.
 *
 * Policy, in order, when an attempt fails (and the client is still there):
 * 1. retryable (connection, 408/409/429/5xx, timeouts, stalls, truncation) and budget left → wait
 *    (exponential backoff with full jitter; Retry-After is a floor) and try the same provider again;
 * 2. otherwise → the next configured provider of KILN_FALLBACK (skipping the failed one);
 * 3. otherwise → `error` with the last failure's code.
 * After text was sent, a new attempt either continues from it (providers with `continuation`) or
 * restarts, announced by `reset` so the client drops the partial text and the reasoning shown so far
 * (a restart reasons afresh). Reasoning is passed on as it comes and never becomes part of the answer,
 * nor of the prefix a continuation sends back.
 *
 * The budget (KILN_MAX_RETRIES) counts every retry of the request; each fallback adds one attempt.
 * So a request makes at most 1 + maxRetries + (fallback chain length) provider calls, plus the
 * continuations below.
 *
 * An answer that hits the output-token limit (finish reason `length`) with its code block still open
 * is not a finished app: it is continued, announced by `continue`, at most KILN_MAX_CONTINUATIONS
 * times — from the assistant prefix on providers with `continuation`, else with a user turn asking for
 * the rest, whose repetition of the end is cut (server/providers/answer-continuation.ts). Still cut off, it ends
 * with `error` `answer_truncated`, never `done`.
 */
import { backoffDelay } from "../../machines/backoff";
import { extractReply } from "../../machines/code-fence";
import type { WireEvent } from "../../machines/wire-events";
import { CONTINUE_PROMPT, OverlapTrimmer } from "./answer-continuation";
import { ProviderError } from "./errors.server";
import type { ProviderFactory, ResolvedModel } from "./factory.server";
import {
  streamCompletion as defaultStreamCompletion,
  type StreamCompletionOptions,
  type UpstreamEvent,
} from "./stream-reader.server";
import { buildProviderMessages } from "../system-prompt";
import type { Usage } from "./completion-chunk";
import { contentTokens, MIN_OUTPUT_TOKENS, type ConversationMessage, type ProviderMessage } from "../context-builder";

export interface ResilienceSettings {
  maxRetries: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  /** Provider ids tried in order when the chosen one fails. */
  fallback: string[];
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A Retry-After longer than this is not waited out: Kiln falls back or reports `rate_limited`. */
  maxRetryAfterMs: number;
  /** Requests for the rest of an answer cut off at the output limit with its code still open. */
  maxContinuations: number;
}

/** Counters for the request's log line and the answer's receipt. */
export interface AttemptStats {
  attempts: number;
  retries: number;
  fallbacks: number;
  provider: string;
  model: string;
  /**
   * The tokens the providers reported (`usage`), summed over every call of the request that finished:
   * continuations, and the whole-file retry of an edit when the same stats are passed to it. Unset
   * while none reported any.
   */
  usage?: Usage;
}

function addUsage(sum: Usage | undefined, usage: Usage): Usage {
  const add = (a: number | undefined, b: number | undefined) =>
    a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
  const total: Usage = {};
  const prompt = add(sum?.promptTokens, usage.promptTokens);
  const completion = add(sum?.completionTokens, usage.completionTokens);
  const all = add(sum?.totalTokens, usage.totalTokens);
  if (prompt !== undefined) total.promptTokens = prompt;
  if (completion !== undefined) total.completionTokens = completion;
  if (all !== undefined) total.totalTokens = all;
  return total;
}

export interface ResilientCompletionOptions {
  target: ResolvedModel;
  providers: ProviderFactory;
  /** As the context builder fitted them (server/context-builder.ts): a vision model's images as content parts. */
  messages: ConversationMessage[];
  /** Put in front of `messages`; Kiln's first-version prompt by default (server/system-prompt.ts). */
  systemPrompt?: string;
  signal: AbortSignal;
  settings: ResilienceSettings;
  stats: AttemptStats;
  onMalformedFrame?: (reason: string) => void;
  /** The answer's `max_tokens`, from the context budget (server/context-builder.ts). */
  maxTokens?: number;
  /** The answer so far of a generation taken over from a replica that stopped mid-answer. */
  resumeFrom?: string;
  /** The model's context window: a continuation's prompt holds the partial answer, so its max_tokens shrinks. */
  contextWindow?: number;
  /** Injected in tests: the provider call, the wait and the randomness. */
  streamCompletion?: (options: StreamCompletionOptions) => AsyncIterable<UpstreamEvent>;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

function truncatedError() {
  return {
    code: "answer_truncated",
    message:
      "The answer was cut off at the model's output limit before its code was complete; the partial code is kept. Retry, or ask for a smaller app.",
    retryable: true,
  };
}

/**
 * The attempt's max_tokens: the budget's, except that a continuation's prompt also holds the answer
 * so far, which leaves less of the context window for the rest.
 */
function attemptMaxTokens(
  options: Pick<ResilientCompletionOptions, "maxTokens" | "contextWindow">,
  messages: ProviderMessage[],
  resuming: boolean,
): number | undefined {
  if (!options.maxTokens || !resuming || !options.contextWindow) return options.maxTokens;
  const promptTokens = messages.reduce((sum, message) => sum + contentTokens(message.content), 0);
  return Math.min(options.maxTokens, options.contextWindow - promptTokens);
}

export async function* resilientCompletion(options: ResilientCompletionOptions): AsyncGenerator<WireEvent> {
  const { providers, messages, signal, settings, stats } = options;
  const stream = options.streamCompletion ?? defaultStreamCompletion;
  const sleep = options.sleep ?? abortableSleep;
  const chain = fallbackChain(options.target, providers, settings.fallback, carriesImages(messages));
  let target = options.target;
  // Taking over another replica's generation: its answer so far is continued from the prefix, or
  // restarted (announced) where the provider takes no prefix.
  let sent = options.resumeFrom ?? "";
  if (sent !== "" && !target.provider.continuation) {
    yield { event: "reset", data: { reason: "handover" } };
    sent = "";
  }
  let reasoned = false;
  let retriesLeft = settings.maxRetries;
  let continuationsLeft = settings.maxContinuations;
  // The answer was cut off at the output limit and this provider takes no prefix: ask for the rest.
  let askingForRest = false;

  attempts: for (;;) {
    stats.attempts++;
    stats.provider = target.provider.id;
    stats.model = target.model;
    const continuing = sent !== "" && target.provider.continuation;
    const conversation = buildProviderMessages(messages, options.systemPrompt);
    const trimmer = askingForRest && !continuing ? new OverlapTrimmer(sent) : undefined;
    const attemptMessages: typeof conversation = continuing
      ? [...conversation, { role: "assistant", content: sent }]
      : trimmer
        ? [...conversation, { role: "assistant", content: sent }, { role: "user", content: CONTINUE_PROMPT }]
        : conversation;
    const maxTokens = attemptMaxTokens(options, attemptMessages, sent !== "");
    if (maxTokens !== undefined && maxTokens < MIN_OUTPUT_TOKENS) {
      // The partial answer fills the model's context: there is no room left to ask for the rest.
      yield { event: "error", data: truncatedError() };
      return;
    }
    let failure: ProviderError;
    try {
      for await (const event of stream({
        target,
        messages: attemptMessages,
        extraBody:
          continuing || maxTokens
            ? {
                ...(maxTokens ? { max_tokens: maxTokens } : {}),
                ...(continuing ? { continue_final_message: true, add_generation_prompt: false } : {}),
              }
            : undefined,
        signal,
        firstByteTimeoutMs: settings.firstByteTimeoutMs,
        idleTimeoutMs: settings.idleTimeoutMs,
        onMalformedFrame: options.onMalformedFrame,
      })) {
        if (event.type === "delta") {
          const text = trimmer ? trimmer.push(event.text) : event.text;
          if (text === "") continue;
          sent += text;
          yield { event: "delta", data: { text } };
        } else if (event.type === "reasoning") {
          reasoned = true;
          yield { event: "reasoning", data: { text: event.text } };
        } else {
          // Every call that finished was paid for, a continued one included: the receipt counts them all.
          if (event.usage) stats.usage = addUsage(stats.usage, event.usage);
          const rest = trimmer?.end();
          if (rest) {
            sent += rest;
            yield { event: "delta", data: { text: rest } };
          }
          if (event.finishReason === "length" && extractReply(sent).fence === "open") {
            if (continuationsLeft === 0) {
              yield { event: "error", data: truncatedError() };
              return;
            }
            continuationsLeft--;
            yield { event: "continue", data: { attempt: settings.maxContinuations - continuationsLeft, reason: "length" } };
            askingForRest = !target.provider.continuation;
            continue attempts;
          }
          yield {
            event: "done",
            data: { finishReason: event.finishReason, ...(stats.usage ? { usage: { ...stats.usage } } : {}) },
          };
          return;
        }
      }
      // The stream reader always ends with a finish or throws; an empty end is a truncation.
      throw new ProviderError("stream_truncated", `${target.provider.label} ended the answer abruptly.`, true);
    } catch (error) {
      if (signal.aborted) throw error;
      failure =
        error instanceof ProviderError
          ? error
          : new ProviderError("provider_unavailable", `${target.provider.label} failed unexpectedly.`, true);
    }

    const waitable = failure.retryAfterMs === undefined || failure.retryAfterMs <= settings.maxRetryAfterMs;
    if (failure.retryable && waitable && retriesLeft > 0) {
      retriesLeft--;
      stats.retries++;
      const attempt = settings.maxRetries - retriesLeft;
      const delayMs = backoffDelay(
        attempt,
        { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs, random: options.random },
        failure.retryAfterMs,
      );
      yield { event: "retry", data: { attempt, delayMs, reason: failure.code } };
      await sleep(delayMs, signal);
    } else {
      // The prompt was fitted to the chosen model: another model would get it unchanged.
      const next = failure.code === "context_too_long" ? undefined : chain.shift();
      if (!next) {
        yield { event: "error", data: { code: failure.code, message: failure.message, retryable: failure.retryable } };
        return;
      }
      stats.fallbacks++;
      yield {
        event: "fallback",
        data: { from: target.provider.id, to: next.provider.id, reason: failure.code, model: next.model },
      };
      target = next;
    }
    // A continuation keeps the answer and the reasoning that led to it; a restart drops both.
    if (sent !== "" ? !target.provider.continuation : reasoned) {
      yield { event: "reset", data: { reason: failure.code } };
      sent = "";
      reasoned = false;
      askingForRest = false;
    }
  }
}

/**
 * The configured, available providers of KILN_FALLBACK other than the chosen one, each with its first
 * model; with images in the conversation, only those whose first model reads images: a text-only
 * model would refuse the image parts (or answer without seeing them).
 */
function fallbackChain(chosen: ResolvedModel, providers: ProviderFactory, fallback: string[], images: boolean): ResolvedModel[] {
  const ids = [...new Set(fallback)].filter((id) => id !== chosen.provider.id);
  return ids
    .map((id) => providers.fallbackTarget(id))
    .filter((target): target is ResolvedModel => target !== undefined && (!images || target.vision === true));
}

function carriesImages(messages: ConversationMessage[]): boolean {
  return messages.some(
    (message) => typeof message.content !== "string" && message.content.some((part) => part.type === "image_url"),
  );
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
