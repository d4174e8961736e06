/** Reads a whole `POST /api/chat` SSE response into its wire events and the answer text they carry. */
import { createParser } from "eventsource-parser";
import { parseWireEvent, type WireEvent } from "../../machines/wire-events";

export interface ReadStream {
  events: WireEvent[];
  /** Event names in order, deltas (and reasoning) collapsed to one per run, for readable assertions. */
  sequence: string[];
  /** The answer: the delta texts after the last `reset`. */
  text: string;
  /** The reasoning shown: the reasoning texts after the last `reset`. */
  reasoning: string;
  /** Raw comment lines seen (keep-alive pings). */
  comments: string[];
}

export async function readSse(response: Response, onEvent?: (event: WireEvent) => void): Promise<ReadStream> {
  const events: WireEvent[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent(message) {
      const event = parseWireEvent(message.event, message.data);
      if (!event) throw new Error(`invalid wire event: ${message.event} ${message.data}`);
      events.push(event);
      onEvent?.(event);
    },
    onComment: (comment) => comments.push(comment),
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
  return summarize(events, comments);
}

export function summarize(events: WireEvent[], comments: string[] = []): ReadStream {
  const sequence: string[] = [];
  let text = "";
  let reasoning = "";
  for (const event of events) {
    const run = event.event === "delta" || event.event === "reasoning";
    if (!run || sequence.at(-1) !== event.event) sequence.push(event.event);
    if (event.event === "reset") {
      text = "";
      reasoning = "";
    }
    if (event.event === "delta") text += event.data.text;
    if (event.event === "reasoning") reasoning += event.data.text;
  }
  return { events, sequence, text, reasoning, comments };
}

/** One prompt to Kiln's `POST /api/chat` (no chat, no history), read to its end; the stream must start (200). */
export async function askOnce(kilnUrl: string, prompt: string, model: string): Promise<ReadStream> {
  const response = await fetch(`${kilnUrl}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: prompt }] }),
  });
  if (response.status !== 200) throw new Error(`Kiln answered ${response.status}: ${await response.text()}`);
  return readSse(response);
}
