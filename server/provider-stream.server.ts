/**
 * One streamed chat completion from a provider, as a sequence of text deltas and a finish.
 *
 * The openai SDK builds and sends the request (base URL, auth, headers, abort); the body is read here
 * with eventsource-parser rather than the SDK's iterator so that a malformed frame is skipped and
 * logged instead of killing the answer, an error frame becomes a typed error, and an end without
 * `[DONE]` or a finish reason is reported as truncated, never as success.
 */
import { createParser } from "eventsource-parser";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { parseCompletionFrame, type Usage } from "./completion-chunk";
import { fromStatus, ProviderError, toProviderError } from "./provider-error.server";
import type { ResolvedModel } from "./provider-factory.server";

export type UpstreamEvent = { type: "delta"; text: string } | { type: "finish"; finishReason: string; usage?: Usage };

export interface StreamCompletionOptions {
  target: ResolvedModel;
  messages: ChatCompletionMessageParam[];
  /** Extra body fields some servers understand (vLLM's `continue_final_message`). */
  extraBody?: Record<string, unknown>;
  /** Fires when the browser goes away or presses Stop: the upstream request is aborted at once. */
  signal: AbortSignal;
  /** Longest wait for the first piece of text. */
  firstByteTimeoutMs: number;
  /** Longest silence once text flows. */
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
  let sawText = false;
  let finishReason: string | undefined;
  let usage: Usage | undefined;
  let sawDone = false;
  try {
    let response: Response;
    try {
      response = await target.client.chat.completions
        .create({ model: target.model, messages, stream: true, ...options.extraBody }, { signal: combined })
        .asResponse();
    } catch (error) {
      throw signal.aborted ? failure(error) : toProviderError(failure(error), label);
    }
    if (!response.body) throw new ProviderError("stream_truncated", `${label} answered without a body.`, true);

    // A reader, a streaming TextDecoder (split UTF-8 characters) and eventsource-parser fed directly:
    // web-stream pipes cost a lot per token at hundreds of streams (docs/performance.md).
    const frames: string[] = [];
    const parser = createParser({
      onEvent: (message) => frames.push(message.data),
      onComment: () => {
        if (sawText) arm(options.idleTimeoutMs, stalled);
      },
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      reading: for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        // Text from one network read goes out as one delta: fewer events and socket writes, same text.
        let text = "";
        for (const data of frames.splice(0)) {
          const frame = parseCompletionFrame(data);
          if (frame.kind === "done") {
            sawDone = true;
            break;
          }
          if (frame.kind === "malformed") {
            options.onMalformedFrame?.(frame.reason);
            continue;
          }
          if (frame.kind === "error") {
            if (text) yield { type: "delta", text };
            throw frame.status
              ? fromStatus(frame.status, label)
              : new ProviderError("provider_error", `${label} reported an error mid-answer: ${frame.message}`, true);
          }
          if (frame.usage) usage = frame.usage;
          if (frame.finishReason) finishReason = frame.finishReason;
          text += frame.text;
        }
        if (text) {
          sawText = true;
          yield { type: "delta", text };
        }
        if (sawText) arm(options.idleTimeoutMs, stalled);
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

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
