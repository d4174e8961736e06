/**
 * streamCompletion against the fake provider over real HTTP: every fault the fake can produce
 * (tests/support/fake-provider.ts) must end as the exact text or as a typed ProviderError.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../../tests/support/fake-provider";
import { fakeReply } from "../../tests/support/fake-reply";
import { recordedStreams } from "../../tests/support/provider-streams";
import { loadConfig } from "../config.server";
import { ProviderError } from "./errors.server";
import { createProviderFactory, type ResolvedModel } from "./factory.server";
import { streamCompletion, type StreamCompletionOptions, type UpstreamEvent } from "./stream-reader.server";

const MODEL = "fake-coder";

let fake: FakeProvider;
let target: ResolvedModel;

/** A Backend.AI-style provider pointed at the fake; the fake needs no key but gets one to check. */
function targetFor(baseURL: string): ResolvedModel {
  const factory = createProviderFactory(
    loadConfig({ BACKEND_AI_ENDPOINT: baseURL, MODEL_NAME: MODEL, BACKEND_AI_API_KEY: "bai-key" }, () => {
      throw new Error("no files");
    }),
  );
  const result = factory.resolve(MODEL);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

beforeAll(async () => {
  fake = await startFakeProvider();
  target = targetFor(fake.url);
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

type Options = Partial<Omit<StreamCompletionOptions, "messages">> & { prompt: string };

function stream({ prompt, ...options }: Options) {
  return streamCompletion({
    target,
    messages: [{ role: "user", content: prompt }],
    signal: new AbortController().signal,
    firstByteTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    ...options,
  });
}

interface Outcome {
  events: UpstreamEvent[];
  text: string;
  error?: unknown;
}

/** Runs a stream to its end, collecting the events and the error that ended it, if any. */
async function run(options: Options): Promise<Outcome> {
  const events: UpstreamEvent[] = [];
  try {
    for await (const event of stream(options)) events.push(event);
  } catch (error) {
    return { events, text: textOf(events), error };
  }
  return { events, text: textOf(events) };
}

function textOf(events: UpstreamEvent[]): string {
  return events.map((event) => (event.type === "delta" ? event.text : "")).join("");
}

/** The ProviderError a run ended with; fails the test when it succeeded or threw something else. */
function providerError(outcome: Outcome): ProviderError {
  if (!outcome.error) throw new Error(`expected the stream to fail, it yielded ${JSON.stringify(outcome.events.at(-1))}`);
  expect(outcome.error).toBeInstanceOf(ProviderError);
  return outcome.error as ProviderError;
}

const anyUsage = { promptTokens: expect.any(Number), completionTokens: expect.any(Number), totalTokens: expect.any(Number) };

/** Asserts a successful run: exact text, a single finish event last. */
async function expectExactText(options: Options) {
  const outcome = await run(options);
  expect(outcome.error).toBeUndefined();
  const [request] = await fake.waitForRequests(1);
  expect(request.replyText.length).toBeGreaterThan(0);
  expect(outcome.text).toBe(request.replyText);
  expect(outcome.events.filter((e) => e.type === "finish")).toHaveLength(1);
  // Kiln asks for the usage, and the fake reports it when asked, as OpenAI and vLLM do.
  expect(outcome.events.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: anyUsage });
  return { outcome, request };
}

describe("streamCompletion: the text arrives exactly", () => {
  it("yields the provider's whole answer as deltas, then one finish", async () => {
    // Paced like a real model: text arrives piece by piece, one delta per network read.
    const { outcome, request } = await expectExactText({ prompt: "a pomodoro timer [fake:tps=400]" });
    expect(request.replyText).toBe(fakeReply("default"));
    expect(outcome.events.filter((e) => e.type === "delta").length).toBeGreaterThan(10);
    expect(request).toMatchObject({ path: "/v1/chat/completions", finished: true, closedByClient: false });
    expect(request.headers.authorization).toBe("Bearer bai-key");
    expect(request.body).toMatchObject({ model: MODEL, stream: true });
  });

  it("a byte-by-byte stream still yields the exact text, multi-byte characters intact", async () => {
    const { outcome } = await expectExactText({ prompt: "explain [fake:reply=no-code][fake:chunk=byte]" });
    expect(outcome.text).toContain("🍅");
    expect(outcome.text).toContain("ポモドーロ");
    expect(outcome.text).not.toContain("\uFFFD");
  });

  it("7-byte network pieces that split frames and characters still yield the exact text", async () => {
    const { outcome } = await expectExactText({ prompt: "timer [fake:chunk=7]" });
    expect(outcome.text).not.toContain("\uFFFD");
  });

  it("CRLF line endings yield the exact text", async () => {
    await expectExactText({ prompt: "timer [fake:crlf]" });
  });

  it("CRLF split byte by byte yields the exact text", async () => {
    await expectExactText({ prompt: "explain [fake:reply=no-code][fake:crlf][fake:chunk=byte]" });
  });

  it("keep-alive comments between frames are ignored", async () => {
    await expectExactText({ prompt: "timer [fake:comments]" });
  });

  it("a malformed frame is skipped and reported once, and the text is still exact", async () => {
    const malformed: string[] = [];
    const { request } = await expectExactText({
      prompt: "timer [fake:malformed]",
      onMalformedFrame: (reason) => malformed.push(reason),
    });
    expect(request.directives.malformed).toBe(true);
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toMatch(/JSON/);
  });

  it("a stream that sends its finish reason but no [DONE] still succeeds", async () => {
    await expectExactText({ prompt: "timer [fake:no-done-after-finish]" });
  });
});

describe("streamCompletion: token usage, for the version's receipt", () => {
  it("asks for the usage (stream_options.include_usage) and passes the provider's count on with the finish", async () => {
    const outcome = await run({ prompt: "a timer" });
    const [request] = await fake.waitForRequests(1);
    expect(request.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const finish = outcome.events.at(-1);
    expect(finish).toMatchObject({ type: "finish", usage: anyUsage });
    const usage = (finish as Extract<UpstreamEvent, { type: "finish" }>).usage!;
    expect(usage.completionTokens).toBeGreaterThan(0);
    expect(usage.totalTokens).toBe(usage.promptTokens! + usage.completionTokens!);
  });

  it("does not ask a provider set with includeUsage false, whose finish then has no usage", async () => {
    const quiet = { ...target, provider: { ...target.provider, includeUsage: false } };
    const outcome = await run({ prompt: "a timer", target: quiet });
    const [request] = await fake.waitForRequests(1);
    expect(request.body).not.toHaveProperty("stream_options");
    expect(outcome.text).toBe(request.replyText);
    expect(outcome.events.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: undefined });
  });
});

describe("streamCompletion: failures become typed errors", () => {
  it("an end without finish reason or [DONE] is stream_truncated, never success", async () => {
    const outcome = await run({ prompt: "timer [fake:no-done]" });
    const error = providerError(outcome);
    expect(error).toMatchObject({ code: "stream_truncated", retryable: true });
    // All the text did arrive; it is the missing end that makes it untrustworthy.
    const [request] = await fake.waitForRequests(1);
    expect(outcome.text).toBe(request.replyText);
    expect(outcome.events.some((e) => e.type === "finish")).toBe(false);
  });

  it("an error frame mid-answer is provider_error, retryable, after the text sent before it", async () => {
    const outcome = await run({ prompt: "timer [fake:error-frame]" });
    expect(providerError(outcome)).toMatchObject({ code: "provider_error", retryable: true });
    expect(providerError(outcome).message).toContain("overloaded");
    const [request] = await fake.waitForRequests(1);
    expect(outcome.text.length).toBeGreaterThan(0);
    expect(outcome.text).toBe(request.sentText);
    expect(outcome.events.some((e) => e.type === "finish")).toBe(false);
  });

  it("a 401 is provider_auth, which retrying cannot fix", async () => {
    const outcome = await run({ prompt: "timer [fake:status=401]" });
    expect(providerError(outcome)).toMatchObject({ code: "provider_auth", retryable: false, status: 401 });
    expect(providerError(outcome).message).not.toContain("bai-key");
    expect(outcome.events).toEqual([]);
  });

  it("a 429 with Retry-After: 2 is rate_limited with a 2000 ms wait", async () => {
    const outcome = await run({ prompt: "timer [fake:status=429][fake:retry-after=2]" });
    expect(providerError(outcome)).toMatchObject({ code: "rate_limited", retryable: true, retryAfterMs: 2000, status: 429 });
  });

  it("a 503 is provider_unavailable, retryable", async () => {
    const outcome = await run({ prompt: "timer [fake:status=503]" });
    expect(providerError(outcome)).toMatchObject({ code: "provider_unavailable", retryable: true, status: 503 });
  });

  it("a 404 for the model is model_not_found", async () => {
    const outcome = await run({ prompt: "timer [fake:status=404]" });
    expect(providerError(outcome)).toMatchObject({ code: "model_not_found", retryable: false });
  });

  it("a stream that goes silent mid-answer is stream_stalled, and the upstream socket is closed", async () => {
    const outcome = await run({ prompt: "timer [fake:stall-after=3]", idleTimeoutMs: 200 });
    expect(providerError(outcome)).toMatchObject({ code: "stream_stalled", retryable: true });
    const [request] = await fake.waitForRequests(1);
    expect(outcome.text.length).toBeGreaterThan(0);
    expect(outcome.text).toBe(request.sentText);
    const closed = await fake.waitForClose(request.id);
    expect(closed.closedByClient).toBe(true);
  });

  it("a provider that sends nothing is first_byte_timeout, and the upstream request is closed", async () => {
    const outcome = await run({ prompt: "timer [fake:first-byte-ms=2000]", firstByteTimeoutMs: 200 });
    expect(providerError(outcome)).toMatchObject({ code: "first_byte_timeout", retryable: true });
    expect(outcome.events).toEqual([]);
    const [request] = await fake.waitForRequests(1);
    const closed = await fake.waitForClose(request.id);
    expect(closed.closedByClient).toBe(true);
    expect(closed.sentText).toBe("");
  });

  it("headers followed by no text is first_byte_timeout too", async () => {
    const outcome = await run({ prompt: "timer [fake:first-token-ms=2000]", firstByteTimeoutMs: 200 });
    expect(providerError(outcome)).toMatchObject({ code: "first_byte_timeout", retryable: true });
    const [request] = await fake.waitForRequests(1);
    expect((await fake.waitForClose(request.id)).closedByClient).toBe(true);
  });

  it("a connection reset mid-answer is stream_truncated", async () => {
    const outcome = await run({ prompt: "timer [fake:reset-after=3]" });
    expect(providerError(outcome)).toMatchObject({ code: "stream_truncated", retryable: true });
    expect(outcome.events.some((e) => e.type === "finish")).toBe(false);
  });

  it("a provider nobody listens for is provider_unavailable", async () => {
    const dead = await startFakeProvider();
    const deadURL = dead.url;
    await dead.close();
    const outcome = await run({ prompt: "timer", target: targetFor(deadURL) });
    expect(providerError(outcome)).toMatchObject({ code: "provider_unavailable", retryable: true });
  });
});

describe("streamCompletion: leaving early closes the upstream request", () => {
  it("aborting the signal after the first delta ends the stream and the provider sees the client leave", async () => {
    const controller = new AbortController();
    const events: UpstreamEvent[] = [];
    let thrown: unknown;
    try {
      // 20 tokens a second: the answer would take half a minute.
      for await (const event of stream({ prompt: "timer [fake:tps=20]", signal: controller.signal })) {
        events.push(event);
        if (events.length === 1) controller.abort();
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeDefined();
    expect(thrown).not.toBeInstanceOf(ProviderError);
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe("delta");
    const [request] = await fake.waitForRequests(1);
    const closed = await fake.waitForClose(request.id, 2_000);
    expect(closed).toMatchObject({ closedByClient: true, finished: false });
    expect(closed.sentText.length).toBeLessThan(closed.replyText.length);
  });

  it("aborting with a reason rethrows that reason", async () => {
    const controller = new AbortController();
    const reason = new Error("browser went away");
    let thrown: unknown;
    try {
      for await (const _event of stream({ prompt: "timer [fake:tps=20]", signal: controller.signal })) {
        controller.abort(reason);
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(reason);
  });

  it("aborting before the provider answers ends the request without waiting for it", async () => {
    const controller = new AbortController();
    const pending = run({ prompt: "timer [fake:first-byte-ms=3000]", signal: controller.signal });
    const [request] = await fake.waitForRequests(1);
    controller.abort();
    const outcome = await pending;
    expect(outcome.error).toBeDefined();
    expect(outcome.error).not.toBeInstanceOf(ProviderError);
    expect((await fake.waitForClose(request.id, 2_000)).closedByClient).toBe(true);
  });

  it("a consumer that stops reading (break) closes the upstream socket", async () => {
    for await (const event of stream({ prompt: "timer [fake:tps=20]" })) {
      expect(event.type).toBe("delta");
      break;
    }
    const [request] = await fake.waitForRequests(1);
    const closed = await fake.waitForClose(request.id, 2_000);
    expect(closed).toMatchObject({ closedByClient: true, finished: false });
  });
});

function reasoningOf(events: UpstreamEvent[]): string {
  return events.map((event) => (event.type === "reasoning" ? event.text : "")).join("");
}

describe("streamCompletion: reasoning models", () => {
  it("reasoning_content deltas come first as reasoning events, and the answer text is exact", async () => {
    const { outcome, request } = await expectExactText({ prompt: "timer [fake:reasoning-ms=300]" });
    expect(request.reasoningText.length).toBeGreaterThan(0);
    expect(reasoningOf(outcome.events)).toBe(request.reasoningText);
    const firstDelta = outcome.events.findIndex((e) => e.type === "delta");
    expect(outcome.events.slice(0, firstDelta).every((e) => e.type === "reasoning")).toBe(true);
    expect(outcome.events.slice(firstDelta).some((e) => e.type === "reasoning")).toBe(false);
  });

  it("reasoning satisfies the first-byte timeout: 1.5 s of reasoning with a 300 ms timeout is not a time-out", async () => {
    const outcome = await run({ prompt: "timer [fake:reasoning-ms=1500]", firstByteTimeoutMs: 300, idleTimeoutMs: 300 });
    expect(outcome.error).toBeUndefined();
    const [request] = await fake.waitForRequests(1);
    expect(outcome.text).toBe(request.replyText);
    expect(reasoningOf(outcome.events)).toBe(request.reasoningText);
  });

  it("silence after the reasoning is still a stall: reasoning re-arms the idle watchdog, it does not switch it off", async () => {
    const outcome = await run({ prompt: "timer [fake:reasoning-ms=200][fake:stall-after=1]", idleTimeoutMs: 300 });
    expect(providerError(outcome)).toMatchObject({ code: "stream_stalled" });
    expect(reasoningOf(outcome.events).length).toBeGreaterThan(0);
  });

  it("a <think> block opening the content is reasoning: the answer is the reply after it, byte by byte too", async () => {
    for (const chunking of ["", "[fake:chunk=byte]", "[fake:chunk=3]"]) {
      fake.reset();
      const outcome = await run({ prompt: `explain [fake:reply=no-code][fake:think]${chunking}` });
      expect(outcome.error).toBeUndefined();
      const [request] = await fake.waitForRequests(1);
      expect(request.replyText.startsWith("<think>")).toBe(true);
      expect(outcome.text, chunking).toBe(fakeReply("no-code"));
      expect(reasoningOf(outcome.events), chunking).toBe(request.reasoningText);
      expect(outcome.events.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
    }
  });
});

describe("streamCompletion: recorded real provider streams", () => {
  const ERRORS: Record<string, { code: string; message: RegExp }> = {
    "groq-error-midstream.sse": { code: "provider_error", message: /Tool choice is required/ },
    "openrouter-error-midstream.sse": { code: "provider_bad_request", message: /\(400\)/ },
  };

  it.each(recordedStreams().map((stream) => [stream.file, stream] as const))("%s", async (file, stream) => {
    const outcome = await run({ prompt: `replay [fake:replay=${file}][fake:chunk=7]` });
    expect(outcome.text).toBe(stream.answer);
    expect(reasoningOf(outcome.events)).toBe(stream.reasoning);
    const expectedError = ERRORS[file];
    if (expectedError) {
      expect(providerError(outcome)).toMatchObject({
        code: expectedError.code,
        message: expect.stringMatching(expectedError.message),
      });
    } else {
      expect(outcome.error).toBeUndefined();
      const finishReason = stream.recorded.finishReason ?? "stop";
      expect(outcome.events.at(-1)).toMatchObject({ type: "finish", finishReason });
    }
  });
});

describe("streamCompletion: a context-length refusal inside the stream", () => {
  it("is context_too_long, not a retryable provider_error (the same prompt cannot fit elsewhere)", async () => {
    const http = await import("node:http");
    const body =
      'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n' +
      'data: {"error":{"message":"This model\'s maximum context length is 8192 tokens. However, you requested 9000 tokens.","code":400}}\n\n';
    const server = http.createServer((_req, res) => res.writeHead(200, { "Content-Type": "text/event-stream" }).end(body));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const outcome = await run({ prompt: "hi", target: targetFor(`http://127.0.0.1:${port}/v1`) });
      expect(providerError(outcome)).toMatchObject({ code: "context_too_long", retryable: false });
      expect(outcome.text).toBe("Hi");
    } finally {
      server.close();
    }
  });
});
