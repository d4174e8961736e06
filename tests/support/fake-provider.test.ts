import { createParser } from "eventsource-parser";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DESCRIBE_SYSTEM_PROMPT } from "../../server/images/describe-images.server";
import { CONTINUE_PROMPT } from "../../server/providers/answer-continuation";
import { FAKE_IMAGE_DESCRIPTION, parseDirectives, startFakeProvider, type FakeProvider } from "./fake-provider";
import { fakeReply } from "./fake-reply";
import { recordedStreams } from "./provider-streams";

let fake: FakeProvider;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeProvider();
  client = new OpenAI({ baseURL: fake.url, apiKey: "x", maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function chat(prompt: string, extra: { messages?: object[]; stream?: boolean; signal?: AbortSignal } = {}) {
  return fetch(`${fake.url}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "fake-coder",
      messages: extra.messages ?? [{ role: "user", content: prompt }],
      stream: extra.stream ?? true,
    }),
    signal: extra.signal,
  });
}

/** Reads an SSE body the way a careful client does: streaming UTF-8 decoding, a real SSE parser. */
async function readEvents(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const strict = new TextDecoder("utf-8", { fatal: true });
  const events: string[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event.data),
    onComment: (c) => comments.push(c),
  });
  let reads = 0;
  let splitCharacters = 0;
  let raw = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads++;
    try {
      strict.decode(value);
    } catch {
      splitCharacters++;
    }
    const text = decoder.decode(value, { stream: true });
    raw += text;
    parser.feed(text);
  }
  return { events, comments, reads, splitCharacters, raw };
}

/** The reply text carried by the chunks, skipping frames that are not valid JSON. */
function contentOf(events: string[]): string {
  return events
    .filter((data) => data !== "[DONE]")
    .map((data) => {
      try {
        return JSON.parse(data).choices?.[0]?.delta?.content ?? "";
      } catch {
        return "";
      }
    })
    .join("");
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 30));

describe("fake provider", () => {
  it("streams the default reply in OpenAI chunks that the openai SDK reassembles to replyText", async () => {
    const stream = await client.chat.completions.create({
      model: "fake-coder",
      messages: [{ role: "user", content: [{ type: "text", text: "a pomodoro timer" }] }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    const [request] = await fake.waitForRequests(1);
    expect(text).toBe(request.replyText);
    expect(text).toBe(fakeReply("default"));
    expect(text).toMatch(/```tsx\n[\s\S]*export default function App\(\)[\s\S]*```/);
    expect(text).toContain("🍅");
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.at(-2)?.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(chunks.length - 2);
    expect(chunks.every((chunk) => (chunk.choices[0]?.delta.content ?? "").length <= 6)).toBe(true);
    await fake.waitForClose(request.id);
    expect(request).toMatchObject({ status: 200, finished: true, closedByClient: false, sentText: text });
  });

  it("answers a non-streaming request with one chat.completion", async () => {
    const completion = await client.chat.completions.create({
      model: "fake-coder-large",
      messages: [{ role: "user", content: "explain pomodoro [fake:reply=no-code]" }],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("fake-coder-large");
    expect(completion.choices[0].message.content).toBe(fakeReply("no-code"));
    expect(completion.choices[0].finish_reason).toBe("stop");
  });

  it("lists its models in the OpenAI list format", async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["fake-coder", "fake-coder-large"]);
  });

  it("writes one byte at a time with chunk=byte, splitting UTF-8 characters and CRLF, and still reassembles exactly", async () => {
    const response = await chat("explain [fake:reply=no-code][fake:chunk=byte][fake:crlf][fake:comments]");
    const { events, comments, reads, splitCharacters, raw } = await readEvents(response);

    const [request] = fake.requests;
    expect(reads).toBeGreaterThan(1000);
    expect(splitCharacters).toBeGreaterThan(0);
    expect(raw).toContain("\r\n\r\n");
    expect(comments.length).toBeGreaterThan(0);
    expect(contentOf(events)).toBe(request.replyText);
    expect(request.replyText).toMatch(/🍅.*café.*ポモドーロ/);
    expect(events.at(-1)).toBe("[DONE]");
  });

  it("writes N-byte pieces with chunk=N", async () => {
    const { events, reads } = await readEvents(await chat("explain [fake:reply=no-code][fake:chunk=64]"));
    expect(reads).toBeGreaterThan(50);
    expect(contentOf(events)).toBe(fakeReply("no-code"));
  });

  it("answers status=429 with the error JSON and a Retry-After header", async () => {
    const response = await chat("hi [fake:status=429][fake:retry-after=2]");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(await response.json()).toEqual({
      error: {
        message: expect.any(String),
        type: "rate_limit_exceeded",
        param: null,
        code: "rate_limit_exceeded",
      },
    });

    const error = await client.chat.completions
      .create({
        model: "fake-coder",
        messages: [{ role: "user", content: "hi [fake:status=429][fake:retry-after=2]" }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")).toBe("2");
  });

  it("fails only the first N requests with the same prompt when fail-times=N", async () => {
    const prompt = "timer [fake:status=503][fake:fail-times=2]";
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await chat(prompt);
      statuses.push(response.status);
      await response.text();
    }
    const other = await chat("another timer [fake:status=503][fake:fail-times=2]");
    expect(statuses).toEqual([503, 503, 200]);
    expect(other.status).toBe(503);
    expect(fake.requests[2]).toMatchObject({ finished: true, sentText: fake.requests[2].replyText });
  });

  it("applies fail-times to any fault: only the first attempt is reset", async () => {
    const prompt = "timer [fake:reset-after=3][fake:fail-times=1]";
    await expect((await chat(prompt)).text()).rejects.toThrow();
    const second = await readEvents(await chat(prompt));
    expect(contentOf(second.events)).toBe(fakeReply("default"));
  });

  it("ends the stream without a finish chunk or [DONE] when no-done", async () => {
    const { events } = await readEvents(await chat("timer [fake:no-done]"));
    const request = await fake.waitForClose(1);
    expect(contentOf(events)).toBe(request.replyText);
    expect(events).not.toContain("[DONE]");
    expect(events.some((data) => data.includes('"finish_reason":"stop"'))).toBe(false);
    expect(request.finished).toBe(true);
  });

  it("sends the finish chunk but no [DONE] when no-done-after-finish", async () => {
    const { events } = await readEvents(await chat("timer [fake:no-done-after-finish]"));
    expect(events.at(-1)).toContain('"finish_reason":"stop"');
    expect(contentOf(events)).toBe(fakeReply("default"));
  });

  it("stops after N content chunks with finish reason length when length-at=N, and only the first time with fail-times", async () => {
    const first = await readEvents(await chat("timer [fake:length-at=5][fake:fail-times=1]"));
    expect(first.events.filter((data) => data.includes('"content"'))).toHaveLength(5);
    expect(first.events.at(-2)).toContain('"finish_reason":"length"');
    expect(first.events.at(-1)).toBe("[DONE]");
    expect(fakeReply("default").startsWith(contentOf(first.events))).toBe(true);
    const second = await readEvents(await chat("timer [fake:length-at=5][fake:fail-times=1]"));
    expect(contentOf(second.events)).toBe(fakeReply("default"));
  });

  it("asked for the rest after a partial answer, repeats a little of its end and goes on from there", async () => {
    // The directives come from the user's prompt before the partial answer: here, which reply it is.
    const reply = fakeReply("chart");
    const prefix = reply.slice(0, 200);
    const { events } = await readEvents(
      await chat("", {
        messages: [
          { role: "user", content: "a chart [fake:reply=chart]" },
          { role: "assistant", content: prefix },
          { role: "user", content: CONTINUE_PROMPT },
        ],
      }),
    );
    const text = contentOf(events);
    const repeated = text.length - (reply.length - prefix.length);
    expect(reply.endsWith(text)).toBe(true);
    expect(repeated).toBeGreaterThan(0);
    expect(repeated).toBeLessThan(40);
  });

  it("ends with an error frame after some content when error-frame", async () => {
    const { events } = await readEvents(await chat("timer [fake:error-frame=4]"));
    expect(JSON.parse(events.at(-1)!)).toEqual({
      error: { message: "The model is overloaded", type: "server_error", code: "overloaded" },
    });
    expect(events).toHaveLength(5);
    expect(fake.requests[0].sentText).toBe(contentOf(events));
  });

  it("inserts one broken frame amid complete content when malformed", async () => {
    const { events } = await readEvents(await chat("timer [fake:malformed]"));
    expect(events.filter((data) => data === '{"choices": [')).toHaveLength(1);
    expect(contentOf(events)).toBe(fakeReply("default"));
    expect(events.at(-1)).toBe("[DONE]");
  });

  it("stalls after N chunks with the socket open until the client aborts, then records closedByClient", async () => {
    const abort = new AbortController();
    const response = await chat("timer [fake:stall-after=3]", { signal: abort.signal });
    const reader = response.body!.getReader();
    await reader.read();
    await flush();

    const [request] = fake.requests;
    expect(request.sentText).toBe(request.replyText.slice(0, request.sentText.length));
    expect(request.sentText.length).toBeGreaterThanOrEqual(6);
    expect(request.endedAt).toBeUndefined();
    const next = reader.read();
    const outcome = await Promise.race([next.then(() => "data"), flush().then(() => "silence")]);
    expect(outcome).toBe("silence");

    abort.abort();
    await expect(next).rejects.toThrow();
    const closed = await fake.waitForClose(request.id);
    expect(closed).toMatchObject({ closedByClient: true, finished: false });
  });

  it("resets the connection after N chunks when reset-after, so reading the body rejects", async () => {
    const response = await chat("timer [fake:reset-after=2]");
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    const request = await fake.waitForClose(1);
    expect(request).toMatchObject({ closedByClient: false, finished: false });
    expect(request.sentText).toBe(request.replyText.slice(0, request.sentText.length));
  });

  it("waits before the headers with first-byte-ms and before the first chunk with first-token-ms", async () => {
    let started = Date.now();
    const slowByte = await chat("timer [fake:first-byte-ms=60][fake:reply=no-code]");
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    await slowByte.text();

    started = Date.now();
    const slowToken = await chat("timer [fake:first-token-ms=60][fake:reply=no-code]");
    expect(Date.now() - started).toBeLessThan(40);
    await slowToken.body!.getReader().read();
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it("streams only the remainder after an assistant prefix, and paces it with tps", async () => {
    const reply = fakeReply("default");
    const prefix = reply.slice(0, reply.length - 40);
    const started = Date.now();
    const { events } = await readEvents(
      await chat("", {
        messages: [
          { role: "user", content: "a pomodoro timer [fake:tps=200]" },
          { role: "assistant", content: prefix },
        ],
      }),
    );
    expect(contentOf(events)).toBe(reply.slice(prefix.length));
    expect(fake.requests[0].replyText).toBe(reply.slice(prefix.length));
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * (1000 / 200));
  });

  it("lists recorded requests at /__fake/requests and forgets them on POST /__fake/reset", async () => {
    await (await chat("timer [fake:reply=follow-up][fake:chunk=512]")).text();
    await fake.waitForClose(1);
    const base = fake.url.replace(/\/v1$/, "");
    const listed = await (await fetch(`${base}/__fake/requests`)).json();
    expect(listed).toEqual([
      expect.objectContaining({
        id: 1,
        path: "/v1/chat/completions",
        status: 200,
        finished: true,
        closedByClient: false,
        directives: { reply: "follow-up", chunk: 512, invalid: [] },
        replyText: fakeReply("follow-up"),
        body: expect.objectContaining({ model: "fake-coder" }),
      }),
    ]);

    expect((await fetch(`${base}/__fake/reset`, { method: "POST" })).status).toBe(204);
    expect(await (await fetch(`${base}/__fake/requests`)).json()).toEqual([]);
  });

  it("records each image_url part with its media type and decoded size, and answers as usual", async () => {
    const png = Buffer.alloc(1234, 7);
    const jpeg = Buffer.alloc(99, 1);
    const part = (type: string, bytes: Buffer) => ({
      type: "image_url",
      image_url: { url: `data:${type};base64,${bytes.toString("base64")}` },
    });
    const messages = [
      { role: "system", content: "Kiln's prompt" },
      { role: "user", content: [{ type: "text", text: "build this" }, part("image/png", png), part("image/jpeg", jpeg)] },
      { role: "assistant", content: "Here." },
      {
        role: "user",
        content: [
          { type: "text", text: "and this" },
          { type: "image_url", image_url: { url: "https://example.com/a.png" } },
        ],
      },
    ];
    const { events } = await readEvents(await chat("", { messages }));
    expect(contentOf(events)).toBe(fakeReply("default"));
    expect(fake.requests[0].images).toEqual([
      { messageIndex: 1, mediaType: "image/png", bytes: 1234 },
      { messageIndex: 1, mediaType: "image/jpeg", bytes: 99 },
      { messageIndex: 3, mediaType: "", bytes: 0 },
    ]);

    await (await chat("a timer")).text();
    expect(fake.requests[1].images).toEqual([]);
  });

  it("describes images when asked with Kiln's describer prompt, and still obeys the prompt's faults", async () => {
    const image = { type: "image_url", image_url: { url: `data:image/png;base64,${Buffer.from("png").toString("base64")}` } };
    const describe = (request: string) => [
      { role: "system", content: DESCRIBE_SYSTEM_PROMPT },
      { role: "user", content: [{ type: "text", text: request }, image] },
    ];
    const { events } = await readEvents(await chat("", { messages: describe("a timer like this") }));
    expect(contentOf(events)).toBe(FAKE_IMAGE_DESCRIPTION);
    expect((await chat("", { messages: describe("a timer [fake:status=503]") })).status).toBe(503);
    // The describer's prompt without an image is an ordinary request.
    const { events: plain } = await readEvents(
      await chat("", {
        messages: [
          { role: "system", content: DESCRIBE_SYSTEM_PROMPT },
          { role: "user", content: "hi" },
        ],
      }),
    );
    expect(contentOf(plain)).toBe(fakeReply("default"));
  });

  it("refuses a request without the required API key with a 401", async () => {
    const guarded = await startFakeProvider({ requiredApiKey: "secret" });
    try {
      const wrong = new OpenAI({ baseURL: guarded.url, apiKey: "x", maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      const right = new OpenAI({ baseURL: guarded.url, apiKey: "secret", maxRetries: 0 });
      expect((await right.models.list()).data).toHaveLength(2);
    } finally {
      await guarded.close();
    }
  });

  it("reasons for reasoning-ms before the content, in reasoning_content deltas with null content", async () => {
    const started = Date.now();
    const response = await chat("timer [fake:reasoning-ms=400][fake:reply=no-code]");
    const { events } = await readEvents(response);
    const [request] = fake.requests;
    const deltas = events.filter((data) => data !== "[DONE]").map((data) => JSON.parse(data).choices[0].delta);
    const firstContent = deltas.findIndex((delta) => delta.content);
    expect(deltas.slice(0, firstContent).every((delta) => delta.reasoning_content && !delta.content)).toBe(true);
    expect(deltas[0]).toMatchObject({ role: "assistant", content: null });
    expect(deltas.map((delta) => delta.reasoning_content ?? "").join("")).toBe(request.reasoningText);
    expect(request.reasoningText.length).toBeGreaterThan(0);
    expect(contentOf(events)).toBe(fakeReply("no-code"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it("opens the content with a <think> block when think, split over several chunks like any text", async () => {
    const { events } = await readEvents(await chat("timer [fake:think][fake:reply=no-code]"));
    const [request] = fake.requests;
    expect(contentOf(events)).toBe(request.replyText);
    expect(request.replyText).toBe(`<think>${request.reasoningText}</think>\n\n${fakeReply("no-code")}`);
    expect(request.reasoningText).toContain("```tsx");
    expect(events.some((data) => data.includes('"content":"<think>"'))).toBe(false);
  });

  it("does not think again when continuing its own answer", async () => {
    const reply = fakeReply("no-code");
    const messages = [
      { role: "user", content: "timer [fake:think][fake:reasoning-ms=100][fake:reply=no-code]" },
      { role: "assistant", content: reply.slice(0, 20) },
    ];
    const { events } = await readEvents(await chat("", { messages }));
    expect(contentOf(events)).toBe(reply.slice(20));
    expect(fake.requests[0].reasoningText).toBe("");
  });

  it("replays a recorded provider body byte for byte, in chunk-byte writes when asked", async () => {
    const [stream] = recordedStreams().filter((s) => s.file === "openrouter-comments.sse");
    const whole = await chat("[fake:replay=openrouter-comments.sse]");
    expect(whole.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(Buffer.from(await whole.arrayBuffer()).equals(stream.body)).toBe(true);
    const { raw, reads } = await readEvents(await chat("[fake:replay=openrouter-comments.sse][fake:chunk=byte]"));
    expect(raw).toBe(stream.body.toString("utf8"));
    expect(reads).toBeGreaterThan(1000);
    expect(fake.requests[1]).toMatchObject({ status: 200, finished: true, replyText: "" });
  });

  it("refuses to replay a recording that is not there, naming where it looked", async () => {
    const response = await chat("[fake:replay=no-such-provider.sse]");
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.code).toBe("fake_replay_missing");
    expect(error.message).toContain("provider-streams");
  });

  it("refuses unknown directives with a 400 so a typo cannot pass silently", async () => {
    const response = await chat("timer [fake:stal-after=3]");
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("fake_directive_invalid");
  });

  it("close() destroys stalled sockets and resolves", async () => {
    const own = await startFakeProvider();
    const response = await fetch(`${own.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: "[fake:stall-after=0]" }],
        stream: true,
      }),
    });
    await own.close();
    await expect(response.text()).rejects.toThrow();
    expect(own.requests[0]).toMatchObject({ closedByClient: false, finished: false });
    expect(own.requests[0].endedAt).toBeDefined();
  });
});

describe("parseDirectives", () => {
  it("reads flags, numbers and names, and ignores the rest of the prompt", () => {
    expect(
      parseDirectives("make it blue [fake:chunk=byte] [fake:crlf][fake:status=429][fake:fail-times=1][fake:reply=long:500]"),
    ).toEqual({ chunk: "byte", crlf: true, status: 429, failTimes: 1, reply: "long:500", invalid: [] });
    expect(parseDirectives("[fake:error-frame][fake:malformed=2]")).toEqual({
      errorFrame: true,
      malformed: 2,
      invalid: [],
    });
    expect(parseDirectives("[fake:reasoning-ms=3000][fake:think][fake:replay=groq-usage.sse]")).toEqual({
      reasoningMs: 3000,
      think: true,
      replay: "groq-usage.sse",
      invalid: [],
    });
    expect(parseDirectives("no directives here")).toEqual({ invalid: [] });
  });

  it("collects unknown names and bad values as invalid", () => {
    expect(parseDirectives("[fake:chunk=0][fake:status=200][fake:crlf=yes][fake:reply=poem][fake:nope]").invalid).toEqual([
      "[fake:chunk=0]",
      "[fake:status=200]",
      "[fake:crlf=yes]",
      "[fake:reply=poem]",
      "[fake:nope]",
    ]);
    expect(
      parseDirectives(
        "[fake:replay=../etc/passwd.sse][fake:replay=a/b.sse][fake:replay=x.json][fake:replay][fake:reasoning-ms=0]",
      ).invalid,
    ).toHaveLength(5);
  });
});
