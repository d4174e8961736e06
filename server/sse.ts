/**
 * Server-Sent Events framing for `POST /api/chat` and a chat's generation stream. JSON.stringify never emits a raw newline, so each
 * event's data fits on one `data:` line whatever the model wrote.
 */
import type { WireEvent } from "../machines/wire-events";

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  // no-transform keeps proxies from compressing or buffering the stream.
  "Cache-Control": "no-cache, no-transform",
  // nginx and some load balancers buffer responses unless told not to.
  "X-Accel-Buffering": "no",
} as const;

export const SSE_PING = ": ping\n\n";

/** `id`: the event's sequence number in its generation, which a reattaching client sends back as Last-Event-ID. */
export function formatSseEvent(event: WireEvent, id?: number): string {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return `${idLine}event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}
