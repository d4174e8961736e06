/**
 * One browser attached to a generation, as an SSE response: the events after `afterSeq` at once,
 * then the rest live, each with its sequence number as the SSE `id`; comment lines keep an idle
 * connection open while the model thinks. The response ending (the browser left, a proxy cut it)
 * only detaches: the generation decides for itself whether to go on (generation.server.ts).
 */
import { formatSseEvent, SSE_HEADERS, SSE_PING } from "../sse";
import type { Generation } from "./generation.server";

/** Comment lines keep idle connections (proxies, load balancers) from timing out while a model thinks. */
export const PING_INTERVAL_MS = 15_000;

export interface AttachOptions {
  /** Events up to this sequence number were received already (Last-Event-ID); 0 for all. */
  afterSeq: number;
  headers?: Record<string, string>;
  /** Signals that fire when the browser is gone (the request's, the socket's). */
  gone?: Array<AbortSignal | undefined>;
}

export function generationResponse(generation: Generation, options: AttachOptions): Response {
  const encoder = new TextEncoder();
  let leave = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const stops: Array<() => void> = [];
      const close = () => {
        if (!open) return;
        open = false;
        for (const stop of stops) stop();
        try {
          controller.close();
        } catch {
          // Already cancelled by the browser.
        }
      };
      leave = close;
      const write = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          // Cancelled between the check and the write; cancel() detaches.
        }
      };
      const detach = generation.attach(
        options.afterSeq,
        (frame) => {
          write(formatSseEvent(frame.event, frame.seq));
          if (frame.event.event === "done" || frame.event.event === "error") close();
        },
        close,
      );
      // Replayed to the end of a finished log: nothing more will come.
      if (!open || generation.finished) {
        detach();
        return close();
      }
      const ping = setInterval(() => write(SSE_PING), PING_INTERVAL_MS);
      stops.push(detach, () => clearInterval(ping));
      for (const signal of options.gone ?? []) {
        if (signal?.aborted) close();
        else signal?.addEventListener("abort", close, { once: true });
      }
    },
    cancel() {
      leave();
    },
  });
  return new Response(stream, { status: 200, headers: { ...SSE_HEADERS, ...options.headers } });
}
