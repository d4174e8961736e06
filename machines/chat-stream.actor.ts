/**
 * The actor the chat machine invokes for one request: POSTs to /api/chat (or, to come back to a
 * chat's running answer, GETs its stream with `Last-Event-ID`), reads the SSE answer and sends each
 * wire event back to the machine as `server.<event>`. Leaving the invoking state runs the cleanup,
 * which aborts the fetch. For a request without a chat the server then stops the provider call; a
 * chat's answer goes on for the owner to come back to, so Stop also tells the server (`requestStop`).
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
  /** Come back to this running generation of the chat instead of starting a turn. */
  resume?: ResumePoint;
}

/** Where a dropped stream got to: its generation (the `meta` event's requestId) and the last event's id. */
export interface ResumePoint {
  generationId: string;
  lastEventId: number;
}

/** A wire event, named as the machine sees it: `server.meta`, `server.delta`, … */
export type ServerEvent = {
  [E in WireEvent as `server.${E["event"]}`]: { type: `server.${E["event"]}`; data: E["data"] };
}[`server.${WireEvent["event"]}`];

/**
 * The request never produced a complete stream: refused with a JSON error, or Kiln's server
 * unreachable or gone mid-stream. `retryAfterMs` carries a refusal's Retry-After.
 */
export type ConnectionEvent =
  /** `resume`: the chat's generation may still be running there; come back to it rather than start over. */
  | { type: "connection.failed"; error: WireError; retryAfterMs?: number; resume?: ResumePoint }
  /** The server took a reattach: the answer goes on from where this page left it. */
  | { type: "connection.resumed" };

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
  // Where this stream has got to: a chat's generation can be come back to from here.
  let generationId = input.resume?.generationId;
  let lastEventId = input.resume?.lastEventId ?? 0;
  const resumePoint = (): ResumePoint | undefined => (input.chatId && generationId ? { generationId, lastEventId } : undefined);
  const lost = (message: string) =>
    emit({ type: "connection.failed", error: { code: "connection_lost", message, retryable: true }, resume: resumePoint() });
  // Coming back to a chat's running answer is a GET of its stream; anything else starts a turn.
  const reattach = input.resume && input.chatId ? { chatId: input.chatId, resume: input.resume } : undefined;
  let response: Response;
  try {
    response = reattach
      ? await fetch(generationStreamUrl(input.url, reattach.chatId, reattach.resume), {
          headers: { Accept: "text/event-stream", "Last-Event-ID": String(reattach.resume.lastEventId) },
          signal,
        })
      : await fetch(input.url, {
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
    // A server that is busy or restarting may still have the generation; one that says it has none does not.
    const stillThere = response.status === 429 || response.status >= 500;
    emit({
      type: "connection.failed",
      error,
      ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      ...(stillThere && input.resume ? { resume: input.resume } : {}),
    });
    return;
  }
  if (reattach) emit({ type: "connection.resumed" });

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
      if (message.id && /^\d+$/.test(message.id)) lastEventId = Number(message.id);
      if (event.event === "meta") generationId = event.data.requestId;
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
  if (ended || signal.aborted) return;
  // Everything read before the drop reaches the machine: a reattach continues right after it.
  flush();
  lost("The connection to Kiln's server dropped before the answer finished.");
}

/** `/api/chats/:id/stream?generation=…`, beside the chat endpoint the machine was given. */
function generationStreamUrl(chatUrl: string, chatId: string, resume: ResumePoint): string {
  return `${chatsBase(chatUrl)}/${encodeURIComponent(chatId)}/stream?generation=${encodeURIComponent(resume.generationId)}`;
}

function chatsBase(chatUrl: string): string {
  return chatUrl.replace(/\/api\/chat\/?$/, "/api/chats");
}

/**
 * Stop, told to the server: a chat's generation would otherwise run on for its grace period after the
 * page stops listening. Fire and forget (`keepalive` lets it outlive a page being closed); the stream's
 * own abort still ends this page's request at once.
 */
export function requestStop(chatUrl: string, chatId: string, generationId?: string): void {
  void fetch(`${chatsBase(chatUrl)}/${encodeURIComponent(chatId)}/stop`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(generationId ? { generation: generationId } : {}),
    keepalive: true,
  }).catch(() => {
    // Unreachable: the server stops the answer itself once no page has been attached for the grace period.
  });
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
