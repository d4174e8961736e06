/**
 * The three ways the benchmark consumes one answer, each timed the same way: from just before the
 * request is sent to the first piece of text (TTFD) and to the end of the response body (total).
 */
import { createParser } from "eventsource-parser";
import OpenAI from "openai";

export type PathName = "kiln" | "thin" | "direct";
export const PATHS: readonly PathName[] = ["kiln", "thin", "direct"];

export interface StreamResult {
  path: PathName;
  /** Request start → first `delta` event (relays) or first chunk with content (direct). */
  ttfdMs: number;
  /** Request start → end of the response body. */
  totalMs: number;
  text: string;
  /** Pieces of text received: one per provider token on every path. */
  deltas: number;
  /** Wire events in order, deltas collapsed (relays only), e.g. meta,delta,done. */
  sequence: string[];
}

export const MODEL = "deepseek-ai/DeepSeek-V3";

export interface StreamTarget {
  path: PathName;
  /** Relays: the origin serving `POST /api/chat`. Direct: the provider base URL with `/v1`. */
  url: string;
}

/** One client per provider URL, shared by every direct stream (as an app would hold one). */
const openaiClients = new Map<string, OpenAI>();

export function streamOnce(target: StreamTarget, prompt: string, signal?: AbortSignal, onFirstDelta?: () => void) {
  return target.path === "direct"
    ? streamDirect(target.url, prompt, signal, onFirstDelta)
    : streamRelay(target.path, target.url, prompt, signal, onFirstDelta);
}

/** `POST /api/chat` on Kiln or the thin relay, read as Kiln's wire protocol. */
export async function streamRelay(
  path: PathName,
  origin: string,
  prompt: string,
  signal?: AbortSignal,
  onFirstDelta?: () => void,
): Promise<StreamResult> {
  const start = performance.now();
  let ttfdMs = Number.NaN;
  let text = "";
  let deltas = 0;
  const sequence: string[] = [];
  const response = await fetch(`${origin}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: prompt }] }),
    signal,
  });
  if (!response.ok || !response.body) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  const parser = createParser({
    onEvent({ event, data }) {
      const name = event ?? "message";
      if (name !== "delta" || sequence.at(-1) !== "delta") sequence.push(name);
      if (name === "delta") {
        if (deltas++ === 0) {
          ttfdMs = performance.now() - start;
          onFirstDelta?.();
        }
        text += (JSON.parse(data) as { text: string }).text;
      } else if (name === "error") {
        throw new Error(`${path}: error event ${data}`);
      }
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
  return { path, ttfdMs, totalMs: performance.now() - start, text, deltas, sequence };
}

/** The same stream straight from the provider with the openai SDK (`stream: true`). */
export async function streamDirect(
  baseURL: string,
  prompt: string,
  signal?: AbortSignal,
  onFirstDelta?: () => void,
): Promise<StreamResult> {
  let client = openaiClients.get(baseURL);
  if (!client) {
    client = new OpenAI({ baseURL, apiKey: "bench-key", maxRetries: 0 });
    openaiClients.set(baseURL, client);
  }
  const start = performance.now();
  let ttfdMs = Number.NaN;
  let text = "";
  let deltas = 0;
  let finished = false;
  const stream = await client.chat.completions.create(
    { model: MODEL, messages: [{ role: "user", content: prompt }], stream: true },
    { signal },
  );
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const content = choice?.delta?.content;
    if (content) {
      if (deltas++ === 0) {
        ttfdMs = performance.now() - start;
        onFirstDelta?.();
      }
      text += content;
    }
    if (choice?.finish_reason) finished = true;
  }
  return {
    path: "direct",
    ttfdMs,
    totalMs: performance.now() - start,
    text,
    deltas,
    sequence: finished ? ["delta", "done"] : ["delta"],
  };
}

/** Why a stream's result is not a complete, correct copy of `expected`, or undefined when it is. */
export function streamProblem(result: StreamResult, expected: string): string | undefined {
  const wanted = result.path === "direct" ? ["delta", "done"] : ["meta", "delta", "done"];
  if (result.sequence.join(",") !== wanted.join(",")) return `events ${result.sequence.join(",")}, expected ${wanted.join(",")}`;
  if (result.text !== expected)
    return `text differs from the provider's reply (${result.text.length} vs ${expected.length} chars)`;
  if (!(result.ttfdMs > 0 && result.totalMs >= result.ttfdMs)) return `bad timings ttfd=${result.ttfdMs} total=${result.totalMs}`;
  return undefined;
}
