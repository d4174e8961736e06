/**
 * Real providers, through Kiln's production server: every recorded body of the provider-streams
 * folder (tests/support/provider-streams.ts; SOURCES.md beside the recordings says where each comes
 * from) is replayed byte for byte by the fake provider, whole and in small pieces, and the SSE of
 * `/api/chat` must carry exactly the answer and the reasoning the recording holds, and end as it
 * should. Then the reasoning models' own story: a long reasoning phase is activity, not silence.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatStore } from "../../server/db/chat-store";
import { openChatStore } from "../../server/db/open-chat-store.server";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { fakeReply } from "../support/fake-reply";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { recordedStreams } from "../support/provider-streams";
import { readSse, type ReadStream } from "../support/read-sse";
import { cookieJar } from "../support/cookie-jar";

/** One browser: it creates the chats these tests write to, so they are its own. */
const jar = cookieJar();

const MODEL = "deepseek-ai/DeepSeek-V3";
// Read before any test runs: without the recordings this file fails at once, saying where it looked.
const streams = recordedStreams();

/** The recordings that end in an error frame mid-stream, and the error Kiln must end with. */
const ENDS_IN_ERROR: Record<string, { code: string; retryable: boolean; message: RegExp; requests: number }> = {
  // `event: error` after the answer began: a provider error, retried once (KILN_MAX_RETRIES=1), then reported.
  "groq-error-midstream.sse": {
    code: "provider_error",
    retryable: true,
    message: /Tool choice is required, but model did not call a tool/,
    requests: 2,
  },
  // An error object with code 400 inside an ordinary chunk: the request itself was refused, no retry.
  "openrouter-error-midstream.sse": { code: "provider_bad_request", retryable: false, message: /\(400\)/, requests: 1 },
};

/** Each recording is replayed in one write, in 13-byte writes and one byte per write (UTF-8 and lines split). */
const CHUNKINGS = ["", "[fake:chunk=13]", "[fake:chunk=byte]"];

let fake: FakeProvider;
let kiln: KilnServer;
let store: ChatStore;
const databaseUrl = `file:${join(mkdtempSync(join(tmpdir(), "kiln-provider-streams-")), "kiln.db")}`;

beforeAll(async () => {
  fake = await startFakeProvider();
  kiln = await startKilnServer({
    DATABASE_URL: databaseUrl,
    TOGETHER_API_KEY: "test-key",
    TOGETHER_BASE_URL: fake.url,
    KILN_FALLBACK: "together",
    KILN_MAX_RETRIES: "1",
    KILN_RETRY_BASE_MS: "10",
    // A reasoning phase three times as long as this must not count as "nothing sent".
    KILN_FIRST_BYTE_TIMEOUT_MS: "1000",
    KILN_IDLE_TIMEOUT_MS: "1000",
  });
  store = await openChatStore(databaseUrl);
});

afterAll(async () => {
  await kiln?.stop();
  await store?.close();
  await fake?.close();
});

beforeEach(() => fake.reset());

/** The chat requests the fake saw (Kiln may also list its models). */
const completions = () => fake.requests.filter((request) => request.path === "/v1/chat/completions");

function chat(prompt: string, chatId?: string) {
  return jar.fetch(`${kiln.url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: prompt }], ...(chatId ? { chatId } : {}) }),
  });
}

async function ask(prompt: string, chatId?: string): Promise<ReadStream> {
  const response = await chat(prompt, chatId);
  expect(response.status).toBe(200);
  return readSse(response);
}

describe.each(streams.map((stream) => [stream.file, stream] as const))("replaying %s through /api/chat", (file, stream) => {
  const expectedError = ENDS_IN_ERROR[file];

  it.each(CHUNKINGS)(
    expectedError
      ? `ends in ${expectedError.code} after the exact partial answer and reasoning %s`
      : "gives the exact answer and reasoning, then done %s",
    async (chunking) => {
      const sse = await ask(`replay [fake:replay=${file}]${chunking}`);
      expect(sse.events[0]).toMatchObject({ event: "meta", data: { provider: "together", model: MODEL } });
      expect(sse.text).toBe(stream.answer);
      expect(sse.reasoning).toBe(stream.reasoning);
      expect(sse.text).not.toContain("\uFFFD");
      const last = sse.events.at(-1);
      if (expectedError) {
        expect(last).toEqual({
          event: "error",
          data: {
            code: expectedError.code,
            retryable: expectedError.retryable,
            message: expect.stringMatching(expectedError.message),
          },
        });
        expect(completions()).toHaveLength(expectedError.requests);
      } else {
        expect(last).toMatchObject({ event: "done", data: { finishReason: stream.recorded.finishReason ?? "stop" } });
        // A sound recording is answered in one go: nothing in it may look like a failure.
        expect(sse.sequence).not.toContain("retry");
        expect(sse.sequence).not.toContain("reset");
        expect(completions()).toHaveLength(1);
      }
      expect(sse.events.filter((e) => e.event === "done" || e.event === "error")).toHaveLength(1);
    },
  );
});

describe("every recording is covered", () => {
  it("the error outcomes named here are recordings that exist", () => {
    expect(Object.keys(ENDS_IN_ERROR).filter((file) => !streams.some((s) => s.file === file))).toEqual([]);
  });
});

describe("a reasoning model through /api/chat", () => {
  it("3 s of reasoning with a 1 s first-byte timeout: reasoning first, then the whole answer, from one provider request", async () => {
    const sse = await ask("a pomodoro timer [fake:reasoning-ms=3000]");
    const [request] = completions();
    expect(completions()).toHaveLength(1);
    expect(sse.sequence).toEqual(["meta", "reasoning", "delta", "done"]);
    expect(sse.reasoning).toBe(request.reasoningText);
    expect(sse.text).toBe(fakeReply("default"));
    expect(request.endedAt! - request.startedAt).toBeGreaterThanOrEqual(3000);
  });

  it("a <think> block opening the content streams as reasoning, and the answer starts after it", async () => {
    const sse = await ask("a pomodoro timer [fake:think][fake:chunk=byte]");
    const [request] = completions();
    expect(request.replyText.startsWith("<think>")).toBe(true);
    expect(sse.sequence).toEqual(["meta", "reasoning", "delta", "done"]);
    expect(sse.reasoning).toBe(request.reasoningText);
    expect(sse.text).toBe(fakeReply("default"));
  });

  it("the saved answer holds the answer only, never the reasoning", async () => {
    const response = await jar.fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "Reasoning" }),
    });
    const { id } = (await response.json()) as { id: string };
    const deepseek = streams.find((s) => s.file === "deepseek-reasoning.sse")!;
    const sse = await ask("hello [fake:replay=deepseek-reasoning.sse]", id);
    expect(sse.events.at(-1)?.event).toBe("done");
    const saved = await store.listMessages(id);
    expect(saved.map(({ role, content, state }) => ({ role, content, state }))).toEqual([
      { role: "user", content: "hello [fake:replay=deepseek-reasoning.sse]", state: "complete" },
      { role: "assistant", content: deepseek.answer, state: "complete" },
    ]);
  });

  it("a stream cut off after reasoning is retried with a reset, and the reasoning shown is the new attempt's", async () => {
    // The first attempt reasons, sends one piece of the answer and stalls; the second answers whole.
    const sse = await ask("a pomodoro timer [fake:reasoning-ms=200][fake:stall-after=1][fake:fail-times=1]");
    expect(completions()).toHaveLength(2);
    expect(sse.sequence).toEqual(["meta", "reasoning", "delta", "retry", "reset", "reasoning", "delta", "done"]);
    expect(sse.reasoning).toBe(completions()[1].reasoningText);
    expect(sse.text).toBe(fakeReply("default"));
  });
});
