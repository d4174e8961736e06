/**
 * runChatStream against a real HTTP server on 127.0.0.1 that answers with scripted bytes: the
 * browser side of the wire protocol, down to how the bytes are chunked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createActor, waitFor } from "xstate";
import { runChatStream, type ChatStreamEvent, type ChatStreamInput } from "./chat-stream.actor";
import { chatMachine, type ChatInput } from "./chat.machine";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

let server: Server;
let baseUrl: string;
let handler: Handler;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.socket?.setNoDelay(true);
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      Promise.resolve(handler(req, res, body)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  handler = () => {
    throw new Error("no handler scripted for this test");
  };
});

const request = (overrides: Partial<ChatStreamInput> = {}): ChatStreamInput => ({
  url: `${baseUrl}/api/chat`,
  model: "m",
  messages: [{ role: "user", content: "a timer" }],
  ...overrides,
});

/** Runs one request to the end and returns every event it emitted. */
async function run(input: ChatStreamInput = request(), signal = new AbortController().signal): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  await runChatStream(input, signal, (event) => events.push(event));
  return events;
}

const sse = (event: string, data: unknown, eol = "\n") => `event: ${event}${eol}data: ${JSON.stringify(data)}${eol}${eol}`;
const metaData = { requestId: "req-1", provider: "together", model: "m" };
const doneData = { finishReason: "stop" };

function startSse(res: ServerResponse) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  res.flushHeaders();
}

/** Lets the bytes written so far leave as their own TCP segment before the next write. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 1));

async function writeByteByByte(res: ServerResponse, text: string) {
  const bytes = Buffer.from(text, "utf8");
  for (let i = 0; i < bytes.length; i++) {
    res.write(bytes.subarray(i, i + 1));
    await pause();
  }
}

/** The answer as the machine would assemble it: delta texts after the last reset. */
function answerText(events: ChatStreamEvent[]): string {
  let text = "";
  for (const event of events) {
    if (event.type === "server.reset") text = "";
    if (event.type === "server.delta") text += event.data.text;
  }
  return text;
}

/** Event types in order, runs of deltas collapsed (how many deltas depends on network reads). */
function sequence(events: ChatStreamEvent[]): string[] {
  const types: string[] = [];
  for (const event of events) if (event.type !== "server.delta" || types.at(-1) !== "server.delta") types.push(event.type);
  return types;
}

const pieces = [
  "Here is your app",
  " 🍅 café 集中\n\n",
  "```tsx\nexport default function App() {\n",
  "  return <h1>🍅 Pomodoro</h1>;\n}\n```\n",
];
const fullAnswer = pieces.join("");

describe("a streamed answer", () => {
  it("posts the model, the messages and the chat id as JSON, asking for an event stream", async () => {
    let seen: { method?: string; contentType?: string; accept?: string; body?: unknown } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, contentType: req.headers["content-type"], accept: req.headers.accept, body: JSON.parse(body) };
      startSse(res);
      res.end(sse("done", doneData));
    };
    const messages = [
      { role: "user" as const, content: "a timer" },
      { role: "assistant" as const, content: "Here." },
      { role: "user" as const, content: "make it blue" },
    ];
    await run(request({ messages, chatId: "chat-42" }));
    expect(seen).toEqual({
      method: "POST",
      contentType: "application/json",
      accept: "text/event-stream",
      body: { model: "m", messages, chatId: "chat-42" },
    });
  });

  it("arrives as meta, deltas and done, with the exact text", async () => {
    handler = (_req, res) => {
      startSse(res);
      res.write(sse("meta", metaData));
      for (const text of pieces) res.write(sse("delta", { text }));
      res.end(sse("done", { finishReason: "stop", usage: { totalTokens: 42 } }));
    };
    const events = await run();
    expect(events[0]).toEqual({ type: "server.meta", data: metaData });
    expect(sequence(events)).toEqual(["server.meta", "server.delta", "server.done"]);
    expect(answerText(events)).toBe(fullAnswer);
    expect(events.at(-1)).toEqual({ type: "server.done", data: { finishReason: "stop", usage: { totalTokens: 42 } } });
  });

  it("keeps every character intact when the server writes one byte at a time, splitting multi-byte UTF-8", async () => {
    handler = async (_req, res) => {
      startSse(res);
      await writeByteByByte(
        res,
        sse("meta", metaData) + pieces.map((text) => sse("delta", { text })).join("") + sse("done", doneData),
      );
      res.end();
    };
    const events = await run();
    expect(sequence(events)).toEqual(["server.meta", "server.delta", "server.done"]);
    expect(answerText(events)).toBe(fullAnswer);
  });

  it("keeps the text intact when the multi-byte characters are raw in the JSON and split across writes", async () => {
    // JSON.stringify leaves 🍅 and 集 as raw UTF-8; cut each event in the middle of a character.
    const body = sse("delta", { text: "🍅" }) + sse("delta", { text: "集中 café" }) + sse("done", doneData);
    const bytes = Buffer.from(body, "utf8");
    const cuts = [
      bytes.indexOf(Buffer.from("🍅")) + 1,
      bytes.indexOf(Buffer.from("集")) + 2,
      bytes.indexOf(Buffer.from("é")) + 1,
    ];
    handler = async (_req, res) => {
      startSse(res);
      let from = 0;
      for (const cut of cuts) {
        res.write(bytes.subarray(from, cut));
        from = cut;
        await pause();
      }
      res.end(bytes.subarray(from));
    };
    const events = await run();
    expect(answerText(events)).toBe("🍅集中 café");
    expect(events.at(-1)?.type).toBe("server.done");
  });

  it("reads CRLF line endings", async () => {
    handler = async (_req, res) => {
      startSse(res);
      const body =
        sse("meta", metaData, "\r\n") +
        pieces.map((text) => sse("delta", { text }, "\r\n")).join("") +
        sse("done", doneData, "\r\n");
      // Also one byte at a time, so "\r" and "\n" arrive in different reads.
      await writeByteByByte(res, body);
      res.end();
    };
    const events = await run();
    expect(sequence(events)).toEqual(["server.meta", "server.delta", "server.done"]);
    expect(answerText(events)).toBe(fullAnswer);
  });

  it("passes each keep-alive comment on as a ping, without disturbing the events or the text", async () => {
    handler = async (_req, res) => {
      startSse(res);
      res.write(": ping\n\n");
      res.write(sse("meta", metaData));
      for (const text of pieces) {
        res.write(": ping\n\n");
        await pause();
        res.write(sse("delta", { text }));
      }
      res.write(":\n\n: ping\n\n");
      res.end(sse("done", doneData));
    };
    const events = await run();
    // 1 before meta, 1 before each of the 4 deltas, 2 before done (one of them an empty comment).
    expect(events.filter((event) => event.type === "server.ping")).toEqual(Array(7).fill({ type: "server.ping" }));
    expect(sequence(events.filter((event) => event.type !== "server.ping"))).toEqual([
      "server.meta",
      "server.delta",
      "server.done",
    ]);
    expect(answerText(events)).toBe(fullAnswer);
    expect(events.at(-1)).toEqual({ type: "server.done", data: doneData });
  });

  it("passes on the pings of a server that is still waiting for the provider, before any event", async () => {
    handler = async (_req, res) => {
      startSse(res);
      res.write(": ping\n\n");
      await pause();
      res.write(": ping\n\n");
      await pause();
      res.end(sse("delta", { text: "Hi" }) + sse("done", doneData));
    };
    const events = await run();
    expect(events).toEqual([
      { type: "server.ping" },
      { type: "server.ping" },
      { type: "server.delta", data: { text: "Hi" } },
      { type: "server.done", data: doneData },
    ]);
  });

  it("passes reset, retry and fallback on in order, never merging text across a reset", async () => {
    handler = (_req, res) => {
      startSse(res);
      // All in one write: the client merges deltas of one read, but must not move them past other events.
      res.end(
        sse("meta", metaData) +
          sse("delta", { text: "from the first provider" }) +
          sse("fallback", { from: "together", to: "openai", reason: "provider_unavailable" }) +
          sse("reset", { reason: "fallback" }) +
          sse("retry", { attempt: 1, delayMs: 500, reason: "rate_limited" }) +
          sse("delta", { text: "from " }) +
          sse("delta", { text: "the second" }) +
          sse("done", doneData),
      );
    };
    const events = await run();
    expect(events).toEqual([
      { type: "server.meta", data: metaData },
      { type: "server.delta", data: { text: "from the first provider" } },
      { type: "server.fallback", data: { from: "together", to: "openai", reason: "provider_unavailable" } },
      { type: "server.reset", data: { reason: "fallback" } },
      { type: "server.retry", data: { attempt: 1, delayMs: 500, reason: "rate_limited" } },
      { type: "server.delta", data: { text: "from the second" } },
      { type: "server.done", data: doneData },
    ]);
  });

  it("passes reasoning on as server.reasoning, merged per read like deltas but never with them, in order", async () => {
    handler = (_req, res) => {
      startSse(res);
      res.end(
        sse("meta", metaData) +
          sse("reasoning", { text: "Hmm, " }) +
          sse("reasoning", { text: "a timer 🍅" }) +
          sse("delta", { text: "Here" }) +
          sse("delta", { text: " it is" }) +
          sse("reasoning", { text: "late thought" }) +
          sse("delta", { text: "." }) +
          sse("done", doneData),
      );
    };
    const events = await run();
    expect(events).toEqual([
      { type: "server.meta", data: metaData },
      { type: "server.reasoning", data: { text: "Hmm, a timer 🍅" } },
      { type: "server.delta", data: { text: "Here it is" } },
      { type: "server.reasoning", data: { text: "late thought" } },
      { type: "server.delta", data: { text: "." } },
      { type: "server.done", data: doneData },
    ]);
    expect(answerText(events)).toBe("Here it is.");
  });

  it("passes a server error on as the last event", async () => {
    const error = { code: "stream_stalled", message: "The model stopped sending.", retryable: true };
    handler = (_req, res) => {
      startSse(res);
      res.end(sse("meta", metaData) + sse("delta", { text: "Here" }) + sse("error", error));
    };
    const events = await run();
    expect(events).toEqual([
      { type: "server.meta", data: metaData },
      { type: "server.delta", data: { text: "Here" } },
      { type: "server.error", data: error },
    ]);
  });
});

describe("a refused request", () => {
  const refuse =
    (status: number, body: string, contentType = "application/json"): Handler =>
    (_req, res) => {
      res.writeHead(status, { "Content-Type": contentType });
      res.end(body);
    };

  it("reports the server's code and message, not retryable for a 400", async () => {
    handler = refuse(400, JSON.stringify({ error: { code: "bad_request", message: "messages must not be empty" } }));
    expect(await run()).toEqual([
      { type: "connection.failed", error: { code: "bad_request", message: "messages must not be empty", retryable: false } },
    ]);
  });

  it("is retryable for a 503 (provider down)", async () => {
    handler = refuse(503, JSON.stringify({ error: { code: "provider_unavailable", message: "Together AI is down." } }));
    expect(await run()).toEqual([
      { type: "connection.failed", error: { code: "provider_unavailable", message: "Together AI is down.", retryable: true } },
    ]);
  });

  it("is not retryable when the provider is not configured: asking again cannot help", async () => {
    handler = refuse(
      503,
      JSON.stringify({ error: { code: "provider_not_configured", message: "Together AI is not configured." } }),
    );
    expect(await run()).toEqual([
      {
        type: "connection.failed",
        error: { code: "provider_not_configured", message: "Together AI is not configured.", retryable: false },
      },
    ]);
  });

  it("passes a Retry-After (in seconds) on in milliseconds, so the browser does not ask again sooner", async () => {
    handler = (_req, res) => {
      res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "5" });
      res.end(JSON.stringify({ error: { code: "rate_limited", message: "Slow down." } }));
    };
    expect(await run()).toEqual([
      { type: "connection.failed", error: { code: "rate_limited", message: "Slow down.", retryable: true }, retryAfterMs: 5000 },
    ]);
  });

  it("ignores a Retry-After that is not a number of seconds (an HTTP date)", async () => {
    handler = (_req, res) => {
      res.writeHead(503, { "Content-Type": "application/json", "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT" });
      res.end(JSON.stringify({ error: { code: "provider_unavailable", message: "Down." } }));
    };
    const events = await run();
    expect(events).toEqual([
      { type: "connection.failed", error: { code: "provider_unavailable", message: "Down.", retryable: true } },
    ]);
    expect(events[0]).not.toHaveProperty("retryAfterMs");
  });

  it("is retryable for a 429 (rate limited)", async () => {
    handler = refuse(429, JSON.stringify({ error: { code: "rate_limited", message: "Slow down." } }));
    const events = await run();
    expect(events).toEqual([
      { type: "connection.failed", error: { code: "rate_limited", message: "Slow down.", retryable: true } },
    ]);
  });

  it("becomes server_error when the body is not Kiln's JSON (a proxy's error page)", async () => {
    handler = refuse(502, "<html><body>Bad Gateway</body></html>", "text/html");
    const events = await run();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "connection.failed", error: { code: "server_error", retryable: true } });
    expect(events[0].type === "connection.failed" && events[0].error.message).toContain("502");
  });

  it("becomes server_error when the JSON is not shaped like a refusal", async () => {
    handler = refuse(404, JSON.stringify({ message: "not found" }));
    expect(await run()).toEqual([
      { type: "connection.failed", error: { code: "server_error", message: expect.stringContaining("404"), retryable: false } },
    ]);
  });
});

describe("a broken connection", () => {
  it("is reported as connection_lost when the body ends without done or error", async () => {
    handler = (_req, res) => {
      startSse(res);
      res.end(sse("meta", metaData) + sse("delta", { text: "Here is a ti" }));
    };
    const events = await run();
    expect(sequence(events)).toEqual(["server.meta", "server.delta", "connection.failed"]);
    expect(answerText(events)).toBe("Here is a ti");
    expect(events.at(-1)).toMatchObject({ type: "connection.failed", error: { code: "connection_lost", retryable: true } });
  });

  it("is reported as connection_lost when the body ends in the middle of the done event", async () => {
    handler = (_req, res) => {
      startSse(res);
      res.end(sse("delta", { text: "Hi" }) + 'event: done\ndata: {"finishReason":"st');
    };
    const events = await run();
    expect(events.map((e) => e.type)).toEqual(["server.delta", "connection.failed"]);
    expect(events.at(-1)).toMatchObject({ error: { code: "connection_lost" } });
  });

  it("is reported as connection_lost when the server drops the socket mid-stream", async () => {
    handler = async (_req, res) => {
      startSse(res);
      res.write(sse("meta", metaData) + sse("delta", { text: "Here" }));
      await pause();
      res.socket?.destroy();
    };
    const events = await run();
    expect(sequence(events)).toEqual(["server.meta", "server.delta", "connection.failed"]);
    expect(events.at(-1)).toMatchObject({ error: { code: "connection_lost", retryable: true } });
  });

  it("is reported as connection_lost when nothing listens on the port", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const events = await run(request({ url: `http://127.0.0.1:${port}/api/chat` }));
    expect(events).toEqual([
      { type: "connection.failed", error: { code: "connection_lost", message: expect.any(String), retryable: true } },
    ]);
  });
});

describe("Stop (aborting the signal)", () => {
  it("closes the connection mid-stream, so the server can abort upstream, and emits nothing more", async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    let finishedNormally = true;
    handler = (_req, res) => {
      res.on("close", () => {
        finishedNormally = res.writableFinished;
        serverSawClose();
      });
      startSse(res);
      res.write(sse("meta", metaData) + sse("delta", { text: "Here is" }));
      // Then keep writing until the client goes away.
      const timer = setInterval(() => res.write(sse("delta", { text: " more" })), 5);
      res.on("close", () => clearInterval(timer));
    };
    const controller = new AbortController();
    const events: ChatStreamEvent[] = [];
    const running = runChatStream(request(), controller.signal, (event) => {
      events.push(event);
      if (event.type === "server.delta") controller.abort();
    });
    await running;
    await closed;
    expect(finishedNormally).toBe(false);
    expect(events).toEqual([
      { type: "server.meta", data: metaData },
      { type: "server.delta", data: { text: "Here is" } },
    ]);
  });

  it("before the server answers abandons the request silently", async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    const controller = new AbortController();
    handler = (_req, res) => {
      res.on("close", () => serverSawClose());
      controller.abort(); // the user presses Stop while the server is still thinking
    };
    const events = await run(request(), controller.signal);
    await closed;
    expect(events).toEqual([]);
  });
});

describe("what the client ignores", () => {
  it("anything after done, pings included, even on a connection the server keeps open", async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    handler = async (_req, res) => {
      res.on("close", () => serverSawClose());
      startSse(res);
      // In one write: events after done in the same read.
      res.write(
        sse("delta", { text: "Done." }) +
          sse("done", doneData) +
          ": ping\n\n" +
          sse("delta", { text: " EXTRA" }) +
          sse("error", { code: "x", message: "y", retryable: false }),
      );
      await pause();
      // And in later reads; the connection is never ended by the server.
      res.write(": ping\n\n" + sse("delta", { text: " LATER" }) + sse("reset", { reason: "late" }));
    };
    const events = await run();
    expect(events).toEqual([
      { type: "server.delta", data: { text: "Done." } },
      { type: "server.done", data: doneData },
    ]);
    // The client lets go of the connection once the answer is done.
    await closed;
  });

  it("unknown event names, unnamed events and invalid data, without breaking the stream", async () => {
    handler = (_req, res) => {
      startSse(res);
      res.end(
        sse("meta", metaData) +
          sse("delta", { text: "one " }) +
          sse("progress", { percent: 50 }) +
          `data: ${JSON.stringify({ text: "unnamed" })}\n\n` +
          "event: delta\ndata: {not json\n\n" +
          sse("delta", { text: 42 }) +
          sse("delta", {}) +
          sse("meta", { provider: "together" }) +
          sse("done", { usage: {} }) +
          sse("error", { code: "partial" }) +
          sse("delta", { text: "two" }) +
          sse("done", doneData),
      );
    };
    const events = await run();
    expect(sequence(events)).toEqual(["server.meta", "server.delta", "server.done"]);
    expect(answerText(events)).toBe("one two");
    expect(events.at(-1)).toEqual({ type: "server.done", data: doneData });
  });

  it("event names that happen to be Object.prototype properties", async () => {
    handler = (_req, res) => {
      startSse(res);
      res.end(
        sse("delta", { text: "one " }) +
          sse("constructor", {}) +
          sse("toString", { text: "x" }) +
          sse("__proto__", {}) +
          sse("hasOwnProperty", {}) +
          sse("delta", { text: "two" }) +
          sse("done", doneData),
      );
    };
    const events = await run();
    expect(sequence(events)).toEqual(["server.delta", "server.done"]);
    expect(answerText(events)).toBe("one two");
  });
});

describe("the real stream actor inside the chat machine", () => {
  const startChat = (options: Partial<ChatInput> = {}) =>
    createActor(chatMachine, { input: { model: "m", apiUrl: `${baseUrl}/api/chat`, ...options } }).start();

  it("streams an answer into a new version", async () => {
    const code = "export default function App() {\n  return <h1>🍅</h1>;\n}";
    handler = async (_req, res) => {
      startSse(res);
      res.write(sse("meta", metaData));
      await writeByteByByte(res, sse("delta", { text: `Here:\n\n\`\`\`tsx\n${code}\n\`\`\`\n` }));
      res.end(sse("done", doneData));
    };
    const chat = startChat();
    chat.send({ type: "SUBMIT", prompt: "a tomato" });
    const snapshot = await waitFor(chat, (s) => !s.matches("active"));
    expect(snapshot.value).toBe("done");
    expect(snapshot.context.turn?.provider).toBe("together");
    expect(snapshot.context.versions).toEqual([{ code, messageIndex: 1, fromFix: false }]);
    chat.stop();
  });

  it("a reasoning model's thoughts are kept apart: the answer, the version and the history hold none of them", async () => {
    const code = "export default function App() {\n  return <h1>🍅</h1>;\n}";
    const thought = "Maybe:\n```tsx\nexport default function Sketch() {}\n```\n";
    const bodies: Array<{ messages: Array<{ content: string }> }> = [];
    handler = async (_req, res, body) => {
      startSse(res);
      res.write(sse("meta", metaData));
      await writeByteByByte(res, sse("reasoning", { text: thought }));
      res.write(sse("delta", { text: `Here:\n\n\`\`\`tsx\n${code}\n\`\`\`\n` }));
      res.end(sse("done", doneData));
      bodies.push(JSON.parse(body));
    };
    const chat = startChat();
    chat.send({ type: "SUBMIT", prompt: "a tomato" });
    await waitFor(chat, (s) => s.context.reasoning === thought);
    const snapshot = await waitFor(chat, (s) => !s.matches("active"));
    expect(snapshot.value).toBe("done");
    expect(snapshot.context.versions).toEqual([{ code, messageIndex: 1, fromFix: false }]);
    expect(snapshot.context.messages[1].content).not.toContain("Sketch");
    chat.send({ type: "SUBMIT", prompt: "make it red" });
    await waitFor(chat, (s) => s.matches("done") && s.context.messages.length === 4);
    expect(JSON.stringify(bodies[1].messages)).not.toContain("Sketch");
    chat.stop();
  });

  it("Stop closes the connection to the server and keeps the partial answer", async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    handler = (_req, res) => {
      res.on("close", () => serverSawClose());
      startSse(res);
      res.write(sse("meta", metaData) + sse("delta", { text: "Here is" }));
    };
    const chat = startChat();
    chat.send({ type: "SUBMIT", prompt: "a timer" });
    await waitFor(chat, (s) => s.matches({ active: "streaming" }));
    chat.send({ type: "CANCEL" });
    await closed;
    expect(chat.getSnapshot().value).toBe("stopped");
    expect(chat.getSnapshot().context.messages.at(-1)).toEqual({ role: "assistant", content: "Here is", state: "stopped" });
    chat.stop();
  });

  it("a refused request ends in error with the server's reason", async () => {
    handler = (_req, res) => {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "unknown_model", message: "No model called m." } }));
    };
    const chat = startChat();
    chat.send({ type: "SUBMIT", prompt: "a timer" });
    const snapshot = await waitFor(chat, (s) => s.matches("error"));
    expect(snapshot.context.error).toEqual({ code: "unknown_model", message: "No model called m.", retryable: false });
    chat.stop();
  });

  it("a 503 for an unconfigured provider ends in error at once, without reconnecting", async () => {
    let requests = 0;
    handler = (_req, res) => {
      requests++;
      res.writeHead(503, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "provider_not_configured", message: "Together AI is not configured." } }));
    };
    const chat = startChat({ reconnectBaseMs: 0 });
    chat.send({ type: "SUBMIT", prompt: "a timer" });
    const snapshot = await waitFor(chat, (s) => !s.matches("active"));
    expect(snapshot.value).toBe("error");
    expect(snapshot.context.error).toMatchObject({ code: "provider_not_configured", retryable: false });
    expect(snapshot.context.reconnects).toBe(0);
    expect(requests).toBe(1);
    chat.stop();
  });

  it("a dropped connection is re-established and the new request's answer is shown", async () => {
    const bodies: unknown[] = [];
    handler = async (_req, res, body) => {
      bodies.push(JSON.parse(body));
      startSse(res);
      if (bodies.length === 1) {
        res.write(sse("meta", metaData) + sse("delta", { text: "Here is a ti" }));
        await pause();
        res.socket?.destroy();
        return;
      }
      res.end(sse("meta", metaData) + sse("delta", { text: "Here is a timer." }) + sse("done", doneData));
    };
    // A zero backoff: the reconnect timer fires on the next tick, no real waiting.
    const chat = startChat({ reconnectBaseMs: 0 });
    const phases: string[] = [];
    chat.subscribe((s) => phases.push(typeof s.value === "string" ? s.value : `active.${String(s.value.active)}`));
    chat.send({ type: "SUBMIT", prompt: "a timer" });
    const snapshot = await waitFor(chat, (s) => !s.matches("active"));
    expect(snapshot.value).toBe("done");
    expect(phases).toContain("active.retrying");
    expect(bodies).toEqual([
      { model: "m", messages: [{ role: "user", content: "a timer" }] },
      { model: "m", messages: [{ role: "user", content: "a timer" }] },
    ]);
    expect(snapshot.context.reconnects).toBe(1);
    expect(snapshot.context.messages).toEqual([
      { role: "user", content: "a timer", state: "complete" },
      {
        role: "assistant",
        content: "Here is a timer.",
        state: "complete",
        receipt: expect.objectContaining({ provider: "together", model: "m", retries: 0 }),
      },
    ]);
    chat.stop();
  });
});
