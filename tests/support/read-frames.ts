/**
 * Reads an SSE response frame by frame, with each event's SSE `id`, until `until` says stop (the
 * reader is then cancelled: the client leaves) or the stream ends. For tests of reattaching, where
 * the ids are what is checked.
 */
import { createParser } from "eventsource-parser";
import { parseWireEvent, type WireEvent } from "../../machines/wire-events";

export interface Frame {
  id?: string;
  event: WireEvent;
}

export async function readFrames(response: Response, until: (frames: Frame[]) => boolean = () => false): Promise<Frame[]> {
  const frames: Frame[] = [];
  const parser = createParser({
    onEvent(message) {
      const event = parseWireEvent(message.event, message.data);
      if (event) frames.push({ id: message.id, event });
    },
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
    if (until(frames)) {
      await reader.cancel();
      break;
    }
  }
  return frames;
}

/** The answer text the frames carry (their delta texts, in order). */
export const textOf = (frames: Frame[]) => frames.map((f) => (f.event.event === "delta" ? f.event.data.text : "")).join("");

export const deltaCount = (frames: Frame[]) => frames.filter((f) => f.event.event === "delta").length;

/** The generation id: the `meta` event's requestId. */
export function generationOf(frames: Frame[]): string {
  const meta = frames.find((f) => f.event.event === "meta")?.event;
  return meta?.event === "meta" ? meta.data.requestId : "";
}
