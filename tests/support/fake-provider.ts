/**
 * A fake OpenAI-compatible LLM provider over real HTTP, for tests, dev mode and benchmarks.
 *
 * Each request chooses its behaviour (chunking, faults, pacing, reply) with `[fake:NAME]` or
 * `[fake:NAME=VALUE]` tokens in the last user message. The prompt is the only thing that crosses
 * from a test through Kiln to the provider, so this works even when Kiln runs in another process;
 * such tests read what the fake saw from `GET /__fake/requests`.
 *
 * It also replays real providers' recorded response bodies byte for byte (`[fake:replay=FILE]`), from
 * the provider-streams folder of the shared folder CI puts beside the repository.
 *
 * Images: every `image_url` part a request carries is recorded (`images`: media type and decoded size),
 * so tests can check that an image reached the provider as an image. Asked to describe images (Kiln's
 * describer system prompt, server/images/describe-images.server.ts, with an image), it answers
 * FAKE_IMAGE_DESCRIPTION; the prompt's fault directives still apply.
 */
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { DESCRIBE_SYSTEM_PROMPT } from "../../server/images/describe-images.server";
import { CONTINUE_PROMPT } from "../../server/providers/answer-continuation";
import { fakeReply, isFakeReplyName } from "./fake-reply";

export interface FakeProviderOptions {
  host?: string;
  port?: number;
  /** 0 writes content chunks back to back. */
  tokensPerSecond?: number;
  /** Delay between the response headers and the first content chunk. */
  firstTokenMs?: number;
  /** When set, requests whose Authorization is not `Bearer <key>` get a 401. */
  requiredApiKey?: string;
  /** Ids listed by `GET /v1/models`; chat requests may name any model. */
  models?: string[];
}

export interface FakeDirectives {
  /** Bytes per socket write; "byte" is 1. */
  chunk?: "byte" | number;
  crlf?: boolean;
  comments?: boolean;
  /** A broken frame after N content chunks (`true`: halfway). */
  malformed?: number | true;
  /** An error frame ending the stream after N content chunks (`true`: halfway). */
  errorFrame?: number | true;
  noDone?: boolean;
  noDoneAfterFinish?: boolean;
  status?: number;
  /** Seconds, sent as the `Retry-After` header. */
  retryAfter?: number;
  /** Fault directives apply only to the first N requests with the same last user message. */
  failTimes?: number;
  stallAfter?: number;
  resetAfter?: number;
  /** The output-token limit: the stream ends after N content chunks with finish reason `length`. */
  lengthAt?: number;
  firstByteMs?: number;
  firstTokenMs?: number;
  tps?: number;
  reply?: string;
  /** The reply to the second and later requests with the same last user message (a model asked again answers differently). */
  thenReply?: string;
  /** Milliseconds of `reasoning_content` deltas (DeepSeek's field) before the content. */
  reasoningMs?: number;
  /** A `<think>…</think>` block opens the content, as DeepSeek R1 on Together or Groq sends it. */
  think?: boolean;
  /** A recorded real provider body (a file of the provider-streams folder), replayed byte for byte; `chunk` applies. */
  replay?: string;
  /** Directives with an unknown name or a bad value; the fake refuses the request with a 400. */
  invalid: string[];
}

/** One `image_url` part of a request. */
export interface RecordedImage {
  /** Which of the request's messages held it. */
  messageIndex: number;
  /** A data URL's media type (`image/png`); empty for an image given by an http(s) URL. */
  mediaType: string;
  /** A data URL's decoded size in bytes; 0 for an http(s) URL. */
  bytes: number;
}

export interface RecordedRequest {
  id: number;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // The request body as the client sent it: tests read whichever fields they check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any JSON a client may send
  body: any;
  directives: FakeDirectives;
  /** Everything the fake streams, or would have streamed, when the request runs to the end. */
  replyText: string;
  /** The content written so far; shorter than `replyText` when the stream was cut. */
  sentText: string;
  /** The reasoning the fake streams: its `reasoning_content` deltas, or the inside of its `<think>` block. */
  reasoningText: string;
  /** The `image_url` parts of the request's messages, in order; empty when it had none. */
  images: RecordedImage[];
  status: number;
  closedByClient: boolean;
  finished: boolean;
  startedAt: number;
  endedAt?: number;
}

export interface FakeProvider {
  /** Base URL including `/v1`. */
  url: string;
  port: number;
  /** Every request outside `/__fake/`, in arrival order. */
  requests: RecordedRequest[];
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  waitForClose(id: number, timeoutMs?: number): Promise<RecordedRequest>;
  /** Forgets the recorded requests and the `fail-times` counts; ids start again at 1. */
  reset(): void;
  close(): Promise<void>;
}

/** The recorded bodies of real providers (with their expected.json); beside the repository, not in it. */
export const PROVIDER_STREAMS_DIR = resolve(fileURLToPath(new URL("../..", import.meta.url)), "../shared/provider-streams");

const DEFAULT_MODELS = ["fake-coder", "fake-coder-large"];
const DEFAULT_WAIT_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Directives

const DIRECTIVE = /\[fake:([a-z][a-z-]*)(?:=([^\]]*))?\]/gi;

type Setter = (d: FakeDirectives, value: string | undefined) => boolean;
type FlagKey = "crlf" | "comments" | "noDone" | "noDoneAfterFinish" | "think";
type CountKey =
  "retryAfter" | "failTimes" | "stallAfter" | "resetAfter" | "lengthAt" | "firstByteMs" | "firstTokenMs" | "tps" | "reasoningMs";

const toCount = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);

const flag =
  (key: FlagKey): Setter =>
  (d, value) => {
    if (value !== undefined) return false;
    d[key] = true;
    return true;
  };

const count =
  (key: CountKey, min = 0): Setter =>
  (d, value) => {
    const n = toCount(value);
    if (n === undefined || n < min) return false;
    d[key] = n;
    return true;
  };

/** `malformed` and `error-frame` take an optional position; without one they land halfway. */
const position =
  (key: "malformed" | "errorFrame"): Setter =>
  (d, value) => {
    const n = value === undefined ? true : toCount(value);
    if (n === undefined) return false;
    d[key] = n;
    return true;
  };

const SETTERS: Record<string, Setter> = {
  chunk: (d, value) => {
    const n = value === "byte" ? "byte" : toCount(value);
    if (n === undefined || n === 0) return false;
    d.chunk = n;
    return true;
  },
  crlf: flag("crlf"),
  comments: flag("comments"),
  malformed: position("malformed"),
  "error-frame": position("errorFrame"),
  "no-done": flag("noDone"),
  "no-done-after-finish": flag("noDoneAfterFinish"),
  status: (d, value) => {
    const n = toCount(value);
    if (n === undefined || n < 400 || n > 599) return false;
    d.status = n;
    return true;
  },
  "retry-after": count("retryAfter"),
  "fail-times": count("failTimes", 1),
  "stall-after": count("stallAfter"),
  "reset-after": count("resetAfter"),
  "length-at": count("lengthAt", 1),
  "first-byte-ms": count("firstByteMs"),
  "first-token-ms": count("firstTokenMs"),
  tps: count("tps"),
  reply: (d, value) => {
    if (value === undefined || !isFakeReplyName(value)) return false;
    d.reply = value;
    return true;
  },
  "then-reply": (d, value) => {
    if (value === undefined || !isFakeReplyName(value)) return false;
    d.thenReply = value;
    return true;
  },
  "reasoning-ms": count("reasoningMs", 1),
  think: flag("think"),
  // A file name only: a directive must not read anything outside the folder.
  replay: (d, value) => {
    if (value === undefined || !/^[\w-][\w.-]*\.sse$/.test(value)) return false;
    d.replay = value;
    return true;
  },
};

export function parseDirectives(prompt: string): FakeDirectives {
  const directives: FakeDirectives = { invalid: [] };
  for (const [token, name, value] of prompt.matchAll(DIRECTIVE)) {
    const setter = SETTERS[name.toLowerCase()];
    if (!setter || !setter(directives, value)) directives.invalid.push(token);
  }
  return directives;
}

/** Directives that make a request fail or misbehave, which `fail-times` switches off after N tries. */
const FAULTS = [
  "status",
  "retryAfter",
  "stallAfter",
  "resetAfter",
  "lengthAt",
  "errorFrame",
  "malformed",
  "noDone",
  "noDoneAfterFinish",
  "firstByteMs",
  "firstTokenMs",
] as const satisfies readonly (keyof FakeDirectives)[];

function withoutFaults(directives: FakeDirectives): FakeDirectives {
  const rest = { ...directives };
  for (const key of FAULTS) delete rest[key];
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Request bodies

const textPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const chatRequest = z
  .object({
    model: z.string().min(1),
    messages: z
      .array(
        z
          .object({
            role: z.string(),
            content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
          })
          .passthrough(),
      )
      .min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
  })
  .passthrough();
type ChatRequest = z.infer<typeof chatRequest>;
type ChatMessage = ChatRequest["messages"][number];

/** The fake's description of any image, for Kiln's describer (a text-only model's prompt then carries it). */
export const FAKE_IMAGE_DESCRIPTION =
  "A pomodoro timer: a dark navy card (#1e293b) centred on a black page, the time 25:00 in large white digits, and two rounded buttons below it, Start (orange, #f97316) and Reset (grey).";

function imagesOf(messages: ChatMessage[]): RecordedImage[] {
  return messages.flatMap((message, messageIndex) =>
    (Array.isArray(message.content) ? message.content : [])
      .filter((part) => part.type === "image_url")
      .map((part) => {
        const url = String((part.image_url as { url?: unknown } | undefined)?.url ?? "");
        const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
        return { messageIndex, mediaType: data?.[1] ?? "", bytes: data ? Buffer.from(data[2], "base64").length : 0 };
      }),
  );
}

/** Kiln asking for a description of the images: its describer's system prompt, with at least one image. */
function asksForDescription(messages: ChatMessage[]): boolean {
  return messageText(messages[0]) === DESCRIBE_SYSTEM_PROMPT && imagesOf(messages).length > 0;
}

function messageText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === "string") return content;
  return (content ?? [])
    .filter((part) => part.type === "text")
    .map((part) => part.text ?? "")
    .join("\n");
}

/** The request asks for the rest of a cut-off answer: the partial answer, then Kiln's continue prompt. */
function asksForRest(messages: ChatMessage[]): boolean {
  return (
    messages.at(-2)?.role === "assistant" && messages.at(-1)?.role === "user" && messageText(messages.at(-1)) === CONTINUE_PROMPT
  );
}

/** The user's prompt, which carries the directives: before the partial answer when Kiln asks for the rest. */
function lastUserText(messages: ChatMessage[]): string {
  const asked = asksForRest(messages) ? messages.slice(0, -2) : messages;
  return messageText([...asked].reverse().find((message) => message.role === "user"));
}

/** How much of the partial answer the fake repeats when asked for the rest, as models do; Kiln must cut it. */
const REPEATED_CHARS = 24;

/**
 * The reply with the assistant prefix removed, when the request ends with one (continuing a cut-off
 * answer). A prefix that is not the start of the reply is ignored, as a real model would ignore it.
 */
function remainderAfterPrefix(reply: string, messages: ChatMessage[]): string {
  const asked = asksForRest(messages);
  const last = messages[messages.length - (asked ? 2 : 1)];
  if (last.role !== "assistant") return reply;
  const prefix = messageText(last);
  if (!reply.startsWith(prefix)) return reply;
  if (!asked) return reply.slice(prefix.length);
  let start = Math.max(0, prefix.length - REPEATED_CHARS);
  // Never start on the second half of a surrogate pair.
  if (/[\udc00-\udfff]/.test(reply.charAt(start))) start--;
  return reply.slice(start);
}

// ---------------------------------------------------------------------------------------------
// Response bodies

/** Deterministic 2–6 character pieces, like a tokenizer's; a surrogate pair is never split. */
export function splitIntoTokens(text: string): string[] {
  const pieces: string[] = [];
  let seed = 7;
  for (let start = 0; start < text.length;) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    let end = Math.min(text.length, start + 2 + ((seed >>> 16) % 5));
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff && end < text.length) end += 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

const ERRORS: Record<number, { type: string; code: string; message: string }> = {
  400: { type: "invalid_request_error", code: "invalid_request", message: "Invalid request" },
  401: { type: "invalid_request_error", code: "invalid_api_key", message: "Invalid API key provided" },
  402: {
    type: "credit_limit",
    code: "credit_limit_exceeded",
    message: "Credit limit exceeded; add credits to continue",
  },
  403: {
    type: "invalid_request_error",
    code: "permission_denied",
    message: "You do not have access to this model",
  },
  404: {
    type: "invalid_request_error",
    code: "model_not_found",
    message: "The model does not exist or you do not have access to it",
  },
  408: { type: "timeout", code: "request_timeout", message: "Request timed out" },
  413: {
    type: "invalid_request_error",
    code: "context_length_exceeded",
    message: "The input is longer than the model's context window",
  },
  422: {
    type: "invalid_request_error",
    code: "unprocessable_entity",
    message: "The request could not be processed",
  },
  429: {
    type: "rate_limit_exceeded",
    code: "rate_limit_exceeded",
    message: "Rate limit exceeded, please try again later",
  },
  500: {
    type: "server_error",
    code: "internal_error",
    message: "The server had an error while processing your request",
  },
  502: { type: "server_error", code: "bad_gateway", message: "Bad gateway" },
  503: {
    type: "server_error",
    code: "engine_overloaded",
    message: "The engine is currently overloaded, please try again later",
  },
  504: { type: "server_error", code: "gateway_timeout", message: "Gateway timeout" },
};

function errorBody(status: number, override?: { code?: string; message?: string }) {
  const known = ERRORS[status] ?? {
    type: status >= 500 ? "server_error" : "invalid_request_error",
    code: `http_${status}`,
    message: `HTTP ${status}`,
  };
  return {
    error: {
      message: override?.message ?? known.message,
      type: known.type,
      param: null,
      code: override?.code ?? known.code,
    },
  };
}

/**
 * One step of a planned response: wait, write an SSE frame (carrying `content` of the reply), stall,
 * or reset the connection. A response whose steps run out ends normally.
 */
type Step =
  { kind: "wait"; ms: number } | { kind: "frame"; text: string; content?: string } | { kind: "stall" } | { kind: "reset" };

interface Pacing {
  tokensPerSecond: number;
  firstTokenMs: number;
}

/**
 * What the fake thinks when asked to reason. The sketch in it is code the app must never run: the
 * code view and the preview read the answer, and reasoning is never part of it.
 */
export const FAKE_REASONING = `The user wants a small React app. A first sketch could be:
\`\`\`tsx
export default function Sketch() {
  return <p>only a sketch</p>;
}
\`\`\`
Better: one complete App.tsx with state, lucide icons and Tailwind classes — 集中, 🍅.
`;

/** How often `reasoning-ms` sends a reasoning delta: well inside any idle timeout. */
const REASONING_INTERVAL_MS = 50;

/** The `reasoning_content` deltas of `reasoning-ms`: FAKE_REASONING's tokens, over again if need be. */
function reasoningPieces(ms: number | undefined): string[] {
  if (!ms) return [];
  const tokens = splitIntoTokens(FAKE_REASONING);
  return Array.from({ length: Math.max(1, Math.ceil(ms / REASONING_INTERVAL_MS)) }, (_, i) => tokens[i % tokens.length]);
}

/** The SSE response for a chat request, as steps; pure so the whole shape is decided up front. */
function planStream(
  reply: string,
  reasoning: string[],
  directives: FakeDirectives,
  pacing: Pacing,
  meta: { id: string; created: number; model: string; usage?: { prompt_tokens: number } },
): Step[] {
  const eol = directives.crlf ? "\r\n" : "\n";
  const steps: Step[] = [];
  const frame = (data: string, content?: string) => {
    if (directives.comments) steps.push({ kind: "frame", text: `: keep-alive${eol}${eol}` });
    steps.push({ kind: "frame", text: `data: ${data}${eol}${eol}`, content });
  };
  const chunk = (delta: object, finishReason: string | null) =>
    JSON.stringify({
      id: meta.id,
      object: "chat.completion.chunk",
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });

  // An empty remainder (a continuation of a complete answer) still gets its role chunk.
  const tokens = splitIntoTokens(reply);
  const pieces = tokens.length > 0 ? tokens : [""];
  const halfway = Math.floor(pieces.length / 2);
  const at = (position: number | true | undefined) =>
    position === undefined ? undefined : Math.min(position === true ? halfway : position, pieces.length);
  const stallAt = at(directives.stallAfter);
  const resetAt = at(directives.resetAfter);
  const errorAt = at(directives.errorFrame);
  const malformedAt = at(directives.malformed);
  const tps = directives.tps ?? pacing.tokensPerSecond;
  const firstTokenMs = directives.firstTokenMs ?? pacing.firstTokenMs;

  // Adds the faults due after `sent` content chunks; says whether one of them ends the stream.
  const faultEnds = (sent: number): boolean => {
    if (sent === malformedAt) steps.push({ kind: "frame", text: `data: {"choices": [${eol}${eol}` });
    if (sent === stallAt) steps.push({ kind: "stall" });
    else if (sent === resetAt) steps.push({ kind: "reset" });
    else if (sent === errorAt) {
      frame(
        JSON.stringify({
          error: { message: "The model is overloaded", type: "server_error", code: "overloaded" },
        }),
      );
    } else return false;
    return true;
  };

  if (firstTokenMs > 0) steps.push({ kind: "wait", ms: firstTokenMs });
  // DeepSeek's shape: reasoning with `content: null`, then the content with no reasoning field.
  for (const [i, piece] of reasoning.entries()) {
    frame(chunk(i === 0 ? { role: "assistant", content: null, reasoning_content: piece } : { reasoning_content: piece }, null));
    steps.push({ kind: "wait", ms: REASONING_INTERVAL_MS });
  }
  // The output-token limit: a model at max_tokens stops mid-answer with finish reason `length`.
  const limit = directives.lengthAt !== undefined && directives.lengthAt < pieces.length ? directives.lengthAt : undefined;
  const written = limit === undefined ? pieces : pieces.slice(0, limit);
  for (const [i, piece] of written.entries()) {
    if (faultEnds(i)) return steps;
    if (i > 0 && tps > 0) steps.push({ kind: "wait", ms: 1000 / tps });
    frame(chunk(i === 0 && reasoning.length === 0 ? { role: "assistant", content: piece } : { content: piece }, null), piece);
  }
  if (faultEnds(written.length) || directives.noDone) return steps;
  frame(chunk({}, limit === undefined ? "stop" : "length"));
  if (meta.usage) {
    const usage = {
      ...meta.usage,
      completion_tokens: written.length,
      total_tokens: meta.usage.prompt_tokens + written.length,
    };
    frame(
      JSON.stringify({
        id: meta.id,
        object: "chat.completion.chunk",
        created: meta.created,
        model: meta.model,
        choices: [],
        usage,
      }),
    );
  }
  if (!directives.noDoneAfterFinish) frame("[DONE]");
  return steps;
}

// ---------------------------------------------------------------------------------------------
// I/O helpers

/** Resolves after `ms` or as soon as the request is aborted, so no timer outlives its request. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function write(res: http.ServerResponse, bytes: Uint8Array): Promise<void> {
  if (res.destroyed || res.write(bytes)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Writes `text`, in `chunk`-byte pieces when asked. Yielding to the event loop between pieces lets
 * each one leave in its own TCP segment, so clients really see split UTF-8 characters and lines.
 */
async function writeText(res: http.ServerResponse, text: string | Uint8Array, chunk: number | undefined, signal: AbortSignal) {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  if (!chunk) return write(res, bytes);
  for (let start = 0; start < bytes.length && !signal.aborted; start += chunk) {
    await write(res, bytes.subarray(start, start + chunk));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

// ---------------------------------------------------------------------------------------------
// The server

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const host = options.host ?? "127.0.0.1";
  const models = options.models ?? DEFAULT_MODELS;
  const pacing: Pacing = {
    tokensPerSecond: options.tokensPerSecond ?? 0,
    firstTokenMs: options.firstTokenMs ?? 0,
  };

  let requests: RecordedRequest[] = [];
  let nextId = 1;
  let attempts = new Map<string, number>();
  let closing = false;
  const inFlight = new Set<AbortController>();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());

  function waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = () => {
        const value = check();
        if (value === undefined) return;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`fake provider: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      listeners.add(listener);
      listener();
    });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    if (path.startsWith("/__fake/")) return control(req, res, path);

    const controller = new AbortController();
    inFlight.add(controller);
    const record: RecordedRequest = {
      id: nextId++,
      path,
      headers: req.headers,
      body: null,
      directives: { invalid: [] },
      replyText: "",
      sentText: "",
      reasoningText: "",
      images: [],
      status: 0,
      closedByClient: false,
      finished: false,
      startedAt: Date.now(),
    };
    // A reset is the fake's own doing and close() is the test's: neither is the client leaving.
    let endedByFake = false;
    res.on("close", () => {
      if (!record.finished && !endedByFake && !closing) record.closedByClient = true;
      record.endedAt = Date.now();
      controller.abort();
      inFlight.delete(controller);
      changed();
    });

    const rawBody = await readBody(req).catch(() => "");
    if (rawBody) {
      try {
        record.body = JSON.parse(rawBody);
      } catch {
        record.body = rawBody;
      }
    }
    requests.push(record);
    changed();

    const reply = (status: number, body: unknown, headers?: http.OutgoingHttpHeaders) => {
      record.status = status;
      record.finished = true;
      sendJson(res, status, body, headers);
    };

    if (options.requiredApiKey !== undefined && req.headers.authorization !== `Bearer ${options.requiredApiKey}`) {
      return reply(401, errorBody(401));
    }
    if (req.method === "GET" && path === "/v1/models") {
      const created = Math.floor(record.startedAt / 1000);
      return reply(200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created, owned_by: "kiln-fake" })),
      });
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return reply(404, errorBody(404, { code: "unknown_url", message: `Invalid URL (${req.method} ${path})` }));
    }
    const parsed = chatRequest.safeParse(record.body);
    if (!parsed.success) {
      const message = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
      return reply(400, errorBody(400, { message }));
    }
    const body = parsed.data;
    record.images = imagesOf(body.messages);
    const prompt = lastUserText(body.messages);
    const directives = parseDirectives(prompt);
    record.directives = directives;
    if (directives.invalid.length > 0) {
      return reply(
        400,
        errorBody(400, {
          code: "fake_directive_invalid",
          message: `Unknown or invalid fake directives: ${directives.invalid.join(" ")}`,
        }),
      );
    }
    const attempt = (attempts.get(prompt) ?? 0) + 1;
    attempts.set(prompt, attempt);
    const replyName = attempt > 1 && directives.thenReply ? directives.thenReply : directives.reply;
    const answer = asksForDescription(body.messages)
      ? FAKE_IMAGE_DESCRIPTION
      : remainderAfterPrefix(fakeReply(replyName), body.messages);
    // A model continuing its own answer does not think again.
    const fresh = body.messages[body.messages.length - 1].role !== "assistant" && !asksForRest(body.messages);
    const reasoning = fresh ? reasoningPieces(directives.reasoningMs) : [];
    const think = fresh && directives.think ? `\n${FAKE_REASONING}` : "";
    record.replyText = think ? `<think>${think}</think>\n\n${answer}` : answer;
    record.reasoningText = reasoning.join("") + think;

    const effective =
      directives.failTimes === undefined || attempt <= directives.failTimes ? directives : withoutFaults(directives);

    if (effective.firstByteMs) await sleep(effective.firstByteMs, controller.signal);
    if (controller.signal.aborted) return;
    const headers: http.OutgoingHttpHeaders = { "X-Fake-Request-Id": String(record.id) };
    if (effective.retryAfter !== undefined) headers["Retry-After"] = String(effective.retryAfter);
    if (effective.status) return reply(effective.status, errorBody(effective.status), headers);
    if (effective.replay) return replay(effective.replay, effective.chunk, headers);

    const meta = {
      id: `chatcmpl-fake-${record.id}`,
      created: Math.floor(record.startedAt / 1000),
      model: body.model,
      usage: { prompt_tokens: Math.ceil(body.messages.map(messageText).join("").length / 4) },
    };
    if (!body.stream) {
      if (effective.stallAfter !== undefined) return;
      if (effective.resetAfter !== undefined) {
        endedByFake = true;
        return req.socket.resetAndDestroy();
      }
      const completionTokens = splitIntoTokens(record.replyText).length;
      record.sentText = record.replyText;
      return reply(
        200,
        {
          id: meta.id,
          object: "chat.completion",
          created: meta.created,
          model: meta.model,
          choices: [{ index: 0, message: { role: "assistant", content: record.replyText }, finish_reason: "stop" }],
          usage: {
            ...meta.usage,
            completion_tokens: completionTokens,
            total_tokens: meta.usage.prompt_tokens + completionTokens,
          },
        },
        headers,
      );
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const steps = planStream(record.replyText, reasoning, effective, pacing, {
      ...meta,
      usage: includeUsage ? meta.usage : undefined,
    });
    startEventStream(headers);
    const chunk = effective.chunk === "byte" ? 1 : effective.chunk;
    for (const step of steps) {
      if (controller.signal.aborted) return;
      if (step.kind === "wait") await sleep(step.ms, controller.signal);
      else if (step.kind === "stall") return;
      else if (step.kind === "reset") {
        endedByFake = true;
        return req.socket.resetAndDestroy();
      } else {
        await writeText(res, step.text, chunk, controller.signal);
        if (step.content && !controller.signal.aborted) record.sentText += step.content;
      }
    }
    if (controller.signal.aborted) return;
    record.finished = true;
    res.end();

    function startEventStream(headers: http.OutgoingHttpHeaders) {
      record.status = 200;
      res.writeHead(200, {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        Connection: "keep-alive",
        ...headers,
      });
      res.flushHeaders();
    }

    /** A real provider's recorded body, byte for byte, in `chunk`-byte writes when asked. */
    async function replay(file: string, chunk: FakeDirectives["chunk"], headers: http.OutgoingHttpHeaders) {
      const path = resolve(PROVIDER_STREAMS_DIR, file);
      if (!existsSync(path)) {
        return reply(
          400,
          errorBody(400, {
            code: "fake_replay_missing",
            message: `No recorded stream ${path}: the shared provider-streams folder must sit beside the repository.`,
          }),
        );
      }
      // What the recording holds is in expected.json beside it, not the fake's own reply.
      record.replyText = "";
      record.reasoningText = "";
      startEventStream(headers);
      await writeText(res, readFileSync(path), chunk === "byte" ? 1 : chunk, controller.signal);
      if (controller.signal.aborted) return;
      record.finished = true;
      res.end();
    }
  }

  function control(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    if (req.method === "GET" && path === "/__fake/requests") return sendJson(res, 200, requests);
    if (req.method === "POST" && path === "/__fake/reset") {
      provider.reset();
      res.writeHead(204).end();
      return;
    }
    sendJson(res, 404, errorBody(404, { code: "unknown_url", message: `Invalid URL (${req.method} ${path})` }));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(500, { message: `fake provider bug: ${String(error)}` }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const provider: FakeProvider = {
    url: `http://${host}:${port}/v1`,
    port,
    get requests() {
      return requests;
    },
    waitForRequests(n, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(() => (requests.length >= n ? requests : undefined), timeoutMs, `${n} request(s), got ${requests.length}`);
    },
    waitForClose(id, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => requests.find((request) => request.id === id && request.endedAt !== undefined),
        timeoutMs,
        `request ${id} to end`,
      );
    },
    reset() {
      requests = [];
      attempts = new Map();
      nextId = 1;
      changed();
    },
    async close() {
      closing = true;
      inFlight.forEach((controller) => controller.abort());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return provider;
}
