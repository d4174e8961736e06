/**
 * One streamed chat completion from a provider, as a sequence of answer text deltas, reasoning and a
 * finish.
 *
 * The openai SDK builds and sends the request (base URL, auth, headers, abort); the body is read here
 * with eventsource-parser rather than the SDK's iterator so that a malformed frame is skipped and
 * logged instead of killing the answer, an error frame becomes a typed error, and an end without
 * `[DONE]` or a finish reason is reported as truncated, never as success.
 */
import { createParser } from "eventsource-parser";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { OpeningThinkBlock, parseCompletionFrame, type StreamPiece, type Usage } from "./completion-chunk";
import { contextTooLong, fromStatus, isContextLengthMessage, ProviderError, toProviderError } from "./errors.server";
import type { ResolvedModel } from "./factory.server";

export type UpstreamEvent =
  | { type: "delta"; text: string }
  /** The model's reasoning: never part of the answer. */
  | { type: "reasoning"; text: string }
  | { type: "finish"; finishReason: string; usage?: Usage };

export interface StreamCompletionOptions {
  target: ResolvedModel;
  messages: ChatCompletionMessageParam[];
  /** Extra body fields some servers understand (vLLM's `continue_final_message`). */
  extraBody?: Record<string, unknown>;
  /** Fires when the browser goes away or presses Stop: the upstream request is aborted at once. */
  signal: AbortSignal;
  /** Longest wait for the first piece of text or reasoning: a model that reasons is not silent. */
  firstByteTimeoutMs: number;
  /** Longest silence once text or reasoning flows. */
  idleTimeoutMs: number;
  onMalformedFrame?: (reason: string) => void;
}

export async function* streamCompletion(options: StreamCompletionOptions): AsyncGenerator<UpstreamEvent> {
  const { target, messages, signal } = options;
  const label = target.provider.label;
  const watchdog = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedFor: (() => ProviderError) | undefined;
  // Called on every network read: the idle watchdog is restarted in place, not recreated.
  const arm = (ms: number, error: () => ProviderError) => {
    if (timer && armedFor === error) {
      timer.refresh();
      return;
    }
    clearTimeout(timer);
    armedFor = error;
    timer = setTimeout(() => watchdog.abort(error()), ms);
  };
  const firstByteTimeout = () =>
    new ProviderError(
      "first_byte_timeout",
      `${label} sent nothing for ${seconds(options.firstByteTimeoutMs)}; it may be overloaded.`,
      true,
    );
  const stalled = () =>
    new ProviderError("stream_stalled", `${label} stopped sending for ${seconds(options.idleTimeoutMs)} mid-answer.`, true);

  const combined = AbortSignal.any([signal, watchdog.signal]);
  // Why the stream ended early: the browser left (rethrow its abort) or our watchdog fired.
  const failure = (error: unknown) => {
    if (signal.aborted) return signal.reason ?? error;
    if (watchdog.signal.aborted) return watchdog.signal.reason;
    return error;
  };

  arm(options.firstByteTimeoutMs, firstByteTimeout);
  // Answer text or reasoning arrived: from then on the idle watchdog runs instead of the first-byte one.
  let sawOutput = false;
  let finishReason: string | undefined;
  let usage: Usage | undefined;
  let sawDone = false;
  try {
    let response: Response;
    try {
      // The usage a provider reports only when asked (OpenAI, vLLM, Ollama) goes on the version's receipt.
      const usage = target.provider.includeUsage ? { stream_options: { include_usage: true } } : {};
      response = await target.client.chat.completions
        .create({ model: target.model, messages, stream: true, ...usage, ...options.extraBody }, { signal: combined })
        .asResponse();
    } catch (error) {
      throw signal.aborted ? failure(error) : toProviderError(failure(error), label);
    }
    if (!response.body) throw new ProviderError("stream_truncated", `${label} answered without a body.`, true);

    // A reader, a streaming TextDecoder (split UTF-8 characters) and eventsource-parser fed directly:
    // web-stream pipes cost a lot per token at hundreds of streams (docs/performance.md).
    const frames: Array<{ data: string; event?: string }> = [];
    const parser = createParser({
      onEvent: (message) => frames.push(message),
      onComment: () => {
        if (sawOutput) arm(options.idleTimeoutMs, stalled);
      },
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    // Per attempt: a retried or continued answer is read afresh.
    const think = new OpeningThinkBlock();
    // What one network read carried goes out as one delta (or reasoning) per run of the same kind:
    // fewer events and socket writes, same text, same order.
    const pieces: StreamPiece[] = [];
    const add = (piece: StreamPiece) => {
      const last = pieces.at(-1);
      if (last?.kind === piece.kind) last.text += piece.text;
      else pieces.push(piece);
    };
    try {
      reading: for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        pieces.length = 0;
        for (const { data, event } of frames.splice(0)) {
          const frame = parseCompletionFrame(data, event);
          if (frame.kind === "done") {
            sawDone = true;
            break;
          }
          if (frame.kind === "malformed") {
            options.onMalformedFrame?.(frame.reason);
            continue;
          }
          if (frame.kind === "error") {
            yield* asEvents(pieces);
            // A context-length refusal can also arrive inside the stream: the same prompt cannot help elsewhere.
            if (isContextLengthMessage(frame.message ?? "")) throw contextTooLong(label, frame.status);
            throw frame.status
              ? fromStatus(frame.status, label)
              : new ProviderError("provider_error", `${label} reported an error mid-answer: ${frame.message}`, true);
          }
          if (frame.usage) usage = frame.usage;
          if (frame.finishReason) finishReason = frame.finishReason;
          if (frame.reasoning) {
            sawOutput = true;
            add({ kind: "reasoning", text: frame.reasoning });
          }
          if (frame.text) {
            sawOutput = true;
            think.push(frame.text).forEach(add);
          }
        }
        yield* asEvents(pieces);
        if (sawOutput) arm(options.idleTimeoutMs, stalled);
        if (sawDone) break reading;
      }
    } catch (error) {
      const cause = failure(error);
      if (cause instanceof ProviderError || signal.aborted) throw cause;
      throw new ProviderError("stream_truncated", `The connection to ${label} broke off mid-answer.`, true);
    } finally {
      // Stopping early (done, failure, consumer gone) releases the body and its socket.
      void reader.cancel().catch(() => {});
    }
    // Whitespace or half a tag held back at the very end is still the provider's text.
    yield* asEvents(think.end());
    if (!sawDone && !finishReason) {
      throw new ProviderError(
        "stream_truncated",
        `${label} ended the answer abruptly, without finishing it (no [DONE], no finish reason).`,
        true,
      );
    }
    // Together says `eos` where OpenAI says `stop`; Kiln reports one vocabulary.
    yield { type: "finish", finishReason: finishReason === "eos" || !finishReason ? "stop" : finishReason, usage };
  } finally {
    clearTimeout(timer);
    // Leaving early (client gone, consumer stopped) must close the upstream socket too.
    if (!watchdog.signal.aborted) watchdog.abort();
  }
}

function* asEvents(pieces: StreamPiece[]): Generator<UpstreamEvent> {
  for (const piece of pieces) yield { type: piece.kind === "content" ? "delta" : "reasoning", text: piece.text };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
