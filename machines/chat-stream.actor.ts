/**
 * The actor the chat machine invokes for one request: POSTs to /api/chat, reads the SSE answer and
 * sends each wire event back to the machine as `server.<event>`. Leaving the invoking state runs the
 * cleanup, which aborts the fetch, and the server then aborts the provider call: Stop works end to end.
 */
import { createParser } from "eventsource-parser";
import { fromCallback } from "xstate";
import { parseWireEvent, refusalBody, type WireError, type WireEvent } from "./wire-events";

/** How long deltas may wait for an animation frame before they are delivered anyway (hidden tabs). */
const HIDDEN_TAB_FLUSH_MS = 250;

export interface ChatStreamInput {
  /** `/api/chat` in the browser; an absolute URL in tests. */
  url: string;
  model: string;
  messages: Array<{ role: "user" | "assistant"; content: string }>;
  chatId?: string;
  /** The request replaces the chat's last turn on purpose (docs/wire-protocol.md). */
  regenerate?: boolean;
}

/** A wire event, named as the machine sees it: `server.meta`, `server.delta`, … */
export type ServerEvent = {
  [E in WireEvent as `server.${E["event"]}`]: { type: `server.${E["event"]}`; data: E["data"] };
}[`server.${WireEvent["event"]}`];

/**
 * The request never produced a complete stream: refused with a JSON error, or Kiln's server
 * unreachable or gone mid-stream. `retryAfterMs` carries a refusal's Retry-After.
 */
export type ConnectionEvent = { type: "connection.failed"; error: WireError; retryAfterMs?: number };

/** A keep-alive comment: the server is there, just quiet (waiting for the provider). */
export type HeartbeatEvent = { type: "server.ping" };

export type ChatStreamEvent = ServerEvent | ConnectionEvent | HeartbeatEvent;

export const chatStreamActor = fromCallback<{ type: "noop" }, ChatStreamInput>(({ sendBack, input }) => {
  const abort = new AbortController();
  const emit = (event: ChatStreamEvent) => {
    if (!abort.signal.aborted) sendBack(event);
  };
  void runChatStream(input, abort.signal, emit);
  return () => abort.abort();
});

/** The I/O of one request, separate from the actor so it can be driven directly. */
export async function runChatStream(input: ChatStreamInput, signal: AbortSignal, emit: (event: ChatStreamEvent) => void) {
  const lost = (message: string) =>
    emit({ type: "connection.failed", error: { code: "connection_lost", message, retryable: true } });
  let response: Response;
  try {
    response = await fetch(input.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({
        model: input.model,
        messages: input.messages,
        ...(input.chatId ? { chatId: input.chatId, ...(input.regenerate ? { regenerate: true } : {}) } : {}),
      }),
      signal,
    });
  } catch {
    if (!signal.aborted) lost("Kiln's server could not be reached. Check your connection.");
    return;
  }
  if (!response.ok || !response.body) {
    const error = await refusalError(response);
    const retryAfter = Number(response.headers.get("retry-after"));
    emit({ type: "connection.failed", error, ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) });
    return;
  }

  let ended = false;
  // Deltas (and reasoning, which a reasoning model sends as fast) are merged until the next animation
  // frame (in a browser) or the end of the network read (elsewhere): at most one render per frame
  // however fast tokens arrive. Any other event, or a switch between the two, flushes first, so
  // order is kept.
  let pendingText = "";
  let pendingKind: "server.delta" | "server.reasoning" = "server.delta";
  let frameRequested = false;
  const flush = () => {
    if (pendingText) emit({ type: pendingKind, data: { text: pendingText } });
    pendingText = "";
  };
  const flushSoon = () => {
    if (typeof requestAnimationFrame !== "function") return flush();
    if (frameRequested) return;
    frameRequested = true;
    const flushOnce = () => {
      if (!frameRequested) return;
      frameRequested = false;
      if (!signal.aborted) flush();
    };
    requestAnimationFrame(flushOnce);
    // A hidden tab never paints, so it never runs frame callbacks: without this timer its deltas would
    // wait for the next other event, and a long answer would look like silence (a false time-out).
    setTimeout(flushOnce, HIDDEN_TAB_FLUSH_MS);
  };
  const parser = createParser({
    onEvent(message) {
      if (ended) return;
      const event = parseWireEvent(message.event, message.data);
      if (!event) return;
      if (event.event === "delta" || event.event === "reasoning") {
        const kind = `server.${event.event}` as const;
        if (kind !== pendingKind) flush();
        pendingKind = kind;
        pendingText += event.data.text;
        return;
      }
      flush();
      if (event.event === "done" || event.event === "error") ended = true;
      emit({ type: `server.${event.event}`, data: event.data } as ServerEvent);
    },
    onComment() {
      if (ended) return;
      flush();
      emit({ type: "server.ping" });
    },
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!ended) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      flushSoon();
    }
    flush();
  } catch {
    // Falls through to the check below: a broken connection is a lost stream.
  } finally {
    if (ended) void reader.cancel().catch(() => {});
  }
  if (!ended && !signal.aborted) lost("The connection to Kiln's server dropped before the answer finished.");
}

async function refusalError(response: Response): Promise<WireError> {
  const retryable = response.status === 429 || response.status >= 500;
  try {
    const body = refusalBody.safeParse(await response.json());
    // An unconfigured provider stays unconfigured however often the request is repeated.
    if (body.success) return { ...body.data.error, retryable: retryable && body.data.error.code !== "provider_not_configured" };
  } catch {
    // Not Kiln's JSON (a proxy's error page): describe it by status.
  }
  return { code: "server_error", message: `Kiln's server answered ${response.status}.`, retryable };
}
