import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createActor, fromCallback } from "xstate";
import type { ChatStreamEvent, ChatStreamInput } from "./chat-stream.actor";
import { chatMachine, SERVER_TIMEOUT_CODE, type ChatEvent, type ChatInput } from "./chat.machine";
import {
  selectCodeView,
  selectDraftReply,
  selectPhase,
  selectPreviewVersion,
  selectShownVersion,
  versionOfMessage,
  type ChatSnapshot,
} from "./chat.selectors";
import type { ChatMessage } from "./conversation";
import { fixErrorPrompt, followUpOnVersion } from "./versions";
import { EDIT_NOT_APPLIED, type WireError } from "./wire-events";
import { extractReply } from "./code-fence";
import { fakeReply } from "../tests/support/fake-reply";

type ChatActions = NonNullable<Parameters<typeof chatMachine.provide>[0]["actions"]>;

/** One request the machine made through the (scripted) stream actor. */
interface ScriptedRequest {
  input: ChatStreamInput;
  /** The actor's cleanup ran: in the real actor this aborts the fetch, and the server aborts upstream. */
  aborted: boolean;
  /** What the server (or the network) sends back. */
  push(event: ChatStreamEvent): void;
}

/** `actions` replaces named actions, to wire one where it does not belong. */
function startChat(options: Partial<ChatInput> = {}, actions: ChatActions = {}) {
  const requests: ScriptedRequest[] = [];
  const chatStream = fromCallback<{ type: "noop" }, ChatStreamInput>(({ input, sendBack }) => {
    const request: ScriptedRequest = { input, aborted: false, push: (event) => sendBack(event) };
    requests.push(request);
    return () => {
      request.aborted = true;
    };
  });
  const actor = createActor(chatMachine.provide({ actors: { chatStream }, actions }), { input: { model: "m", ...options } });
  actor.start();
  const chat = {
    actor,
    requests,
    get snapshot() {
      return actor.getSnapshot();
    },
    get context() {
      return actor.getSnapshot().context;
    },
    /** The request in flight (the latest one). */
    get request() {
      const request = requests.at(-1);
      if (!request) throw new Error("no request was made");
      return request;
    },
    send: (event: ChatEvent) => actor.send(event),
    /** Types a prompt and presses Send. */
    ask(prompt: string) {
      actor.send({ type: "TYPE", text: prompt });
      actor.send({ type: "SUBMIT" });
    },
    /** Streams a whole answer for the request in flight and finishes it. */
    answer(text: string) {
      chat.request.push(meta());
      chat.request.push(delta(text));
      chat.request.push(done());
    },
  };
  return chat;
}

const meta = (provider = "together"): ChatStreamEvent => ({
  type: "server.meta",
  data: { requestId: "req-1", provider, model: "m" },
});
const delta = (text: string): ChatStreamEvent => ({ type: "server.delta", data: { text } });
const reasoning = (text: string): ChatStreamEvent => ({ type: "server.reasoning", data: { text } });
const reset = (): ChatStreamEvent => ({ type: "server.reset", data: { reason: "fallback" } });
const done = (): ChatStreamEvent => ({ type: "server.done", data: { finishReason: "stop" } });
const upstreamFailure: WireError = { code: "provider_unavailable", message: "The model's provider is down.", retryable: true };
const serverError = (error: WireError = upstreamFailure): ChatStreamEvent => ({ type: "server.error", data: error });
const lostConnection: WireError = { code: "connection_lost", message: "The connection dropped.", retryable: true };
const connectionFailed = (error: WireError = lostConnection, retryAfterMs?: number): ChatStreamEvent =>
  retryAfterMs === undefined ? { type: "connection.failed", error } : { type: "connection.failed", error, retryAfterMs };
const ping = (): ChatStreamEvent => ({ type: "server.ping" });
const serverRetry = (attempt = 1, delayMs = 2000, reason = "rate_limited"): ChatStreamEvent => ({
  type: "server.retry",
  data: { attempt, delayMs, reason },
});
/** The default silence limit: three of the server's 15 s keep-alive intervals. */
const SILENCE_MS = 45_000;

const timerV1 = ["export default function App() {", "  return <h1>Timer</h1>;", "}"].join("\n");
const timerV2 = ["export default function App() {", '  return <h1 style={{ color: "blue" }}>Timer</h1>;', "}"].join("\n");
const replyWith = (code: string) => `Here is your app.\n\n\`\`\`tsx\n${code}\n\`\`\`\n\nEnjoy!`;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-01-01T00:00:00Z"));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("sending a prompt", () => {
  it("ignores Send while the prompt box is empty or only spaces", () => {
    const chat = startChat();
    chat.send({ type: "SUBMIT" });
    chat.send({ type: "TYPE", text: "  \n " });
    chat.send({ type: "SUBMIT" });
    expect(chat.snapshot.value).toBe("idle");
    expect(chat.requests).toHaveLength(0);
    expect(chat.context.messages).toEqual([]);
    expect(chat.context.input).toBe("  \n ");
  });

  it("starts a request with the prompt and the chosen model, shows the prompt and empties the box", () => {
    const chat = startChat();
    chat.ask("  a pomodoro timer  ");
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.context.input).toBe("");
    expect(chat.context.messages).toEqual([{ role: "user", content: "a pomodoro timer", state: "complete" }]);
    expect(chat.requests).toHaveLength(1);
    expect(chat.request.input).toEqual({
      url: "/api/chat",
      model: "m",
      messages: [{ role: "user", content: "a pomodoro timer" }],
      chatId: undefined,
      regenerate: false,
    });
  });

  it("accepts the prompt carried by the Send event itself (e.g. an example prompt button)", () => {
    const chat = startChat();
    chat.send({ type: "SUBMIT", prompt: "a todo list" });
    expect(chat.snapshot.matches("active")).toBe(true);
    expect(chat.request.input.messages).toEqual([{ role: "user", content: "a todo list" }]);
  });

  it("sends to the model picked before sending", () => {
    const chat = startChat();
    chat.send({ type: "SELECT_MODEL", model: "llama-3" });
    chat.ask("a timer");
    expect(chat.request.input.model).toBe("llama-3");
  });

  it("uses the chat id and API URL it was started with", () => {
    const requests: ChatStreamInput[] = [];
    const chatStream = fromCallback<{ type: "noop" }, ChatStreamInput>(({ input }) => {
      requests.push(input);
    });
    const actor = createActor(chatMachine.provide({ actors: { chatStream } }), {
      input: { model: "m", chatId: "chat-42", apiUrl: "http://kiln.test/api/chat" },
    }).start();
    actor.send({ type: "SUBMIT", prompt: "a timer" });
    expect(requests[0]).toMatchObject({ url: "http://kiln.test/api/chat", chatId: "chat-42" });
  });
});

describe("streaming an answer", () => {
  it("records which provider is answering", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta("backend-ai"));
    expect(chat.context.turn).toMatchObject({ provider: "backend-ai", requestId: "req-1" });
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
  });

  it("switches from connecting to writing on the first piece of text, and accumulates the pieces", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta());
    chat.request.push(delta("Here "));
    expect(chat.snapshot.matches({ active: "streaming" })).toBe(true);
    chat.request.push(delta("is "));
    chat.request.push(delta("🍅"));
    expect(chat.context.draft).toBe("Here is 🍅");
    // The answer is not a message until it ends.
    expect(chat.context.messages).toHaveLength(1);
  });

  it("records when the turn started, first wrote and ended (the progress line)", () => {
    const chat = startChat();
    const start = Date.now();
    chat.ask("a timer");
    vi.advanceTimersByTime(800);
    chat.request.push(delta("a"));
    vi.advanceTimersByTime(200);
    chat.request.push(delta("b"));
    vi.advanceTimersByTime(1000);
    chat.request.push(done());
    expect(chat.context.turn).toMatchObject({ startedAt: start, firstDeltaAt: start + 800, endedAt: start + 2000 });
  });

  it("discards the text so far on a reset, keeping the conversation and the request", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here is a half-written ans"));
    chat.request.push(reset());
    expect(chat.context.draft).toBe("");
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
    expect(chat.request.aborted).toBe(false);
    expect(chat.snapshot.matches("active")).toBe(true);
    chat.request.push(delta("Fresh start"));
    chat.request.push(done());
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "Fresh start", state: "complete" });
  });
});

describe("an answer cut off at the model's output limit", () => {
  const cutOff = (attempt: number): ChatStreamEvent => ({ type: "server.continue", data: { attempt, reason: "length" } });
  const truncated: WireError = {
    code: "answer_truncated",
    message: "The answer was cut off at the model's output limit before its code was complete; the partial code is kept.",
    retryable: true,
  };

  it("keeps the draft through a continue: the following deltas extend the same answer", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta());
    chat.request.push(delta("```tsx\nexport default function App() {\n"));
    chat.request.push(cutOff(1));
    expect(chat.snapshot.matches({ active: "streaming" })).toBe(true);
    expect(chat.context.turn?.continuation).toBe(1);
    chat.request.push(delta("  return null;\n}\n```"));
    chat.request.push(done());
    expect(chat.context.messages.at(-1)).toEqual({
      role: "assistant",
      content: "```tsx\nexport default function App() {\n  return null;\n}\n```",
      state: "complete",
      receipt: expect.objectContaining({ provider: "together", model: "m" }),
    });
    expect(chat.context.versions).toHaveLength(1);
  });

  it("counts a continue as activity: the silence limit starts again", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("```tsx\n"));
    vi.advanceTimersByTime(SILENCE_MS - 1);
    chat.request.push(cutOff(1));
    vi.advanceTimersByTime(SILENCE_MS - 1);
    expect(chat.snapshot.matches("active")).toBe(true);
  });

  it("answer_truncated keeps the partial answer, marked failed, with Retry offered", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("```tsx\nexport default"));
    chat.request.push(cutOff(1));
    chat.request.push(delta(" function App() {"));
    chat.request.push({ type: "server.error", data: truncated });
    expect(chat.snapshot.value).toBe("error");
    expect(chat.context.error).toEqual(truncated);
    expect(chat.context.messages.at(-1)).toEqual({
      role: "assistant",
      content: "```tsx\nexport default function App() {",
      state: "failed",
    });
    expect(chat.snapshot.hasTag("recoverable")).toBe(true);
    expect(chat.snapshot.can({ type: "RETRY" })).toBe(true);
  });
});

describe("a finished answer", () => {
  it("becomes a complete message, and its closed code block a new version the preview runs", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(replyWith(timerV1));
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.draft).toBe("");
    expect(chat.context.messages).toEqual([
      { role: "user", content: "a timer", state: "complete" },
      {
        role: "assistant",
        content: replyWith(timerV1),
        state: "complete",
        receipt: expect.objectContaining({ provider: "together", model: "m" }),
      },
    ]);
    expect(chat.context.versions).toEqual([{ code: timerV1, messageIndex: 1, fromFix: false }]);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    expect(versionOfMessage(chat.snapshot, 1)).toBe(1);
  });

  it("adds no version when the answer has no code block", () => {
    const chat = startChat();
    chat.ask("what can you build?");
    chat.answer("I can build small React apps.");
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.messages.at(-1)).toEqual({
      role: "assistant",
      content: "I can build small React apps.",
      state: "complete",
      receipt: expect.objectContaining({ provider: "together", model: "m" }),
    });
    expect(chat.context.versions).toEqual([]);
    expect(selectPreviewVersion(chat.snapshot)).toBeNull();
    expect(versionOfMessage(chat.snapshot, 1)).toBeUndefined();
  });

  it("adds no version when the answer ends inside an unclosed code block", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer("Here:\n\n```tsx\nexport default function App() {");
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.versions).toEqual([]);
  });

  it("sends the whole conversation with a follow-up, and the follow-up's code becomes version 2", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(replyWith(timerV1));
    chat.ask("make it blue");
    expect(chat.requests).toHaveLength(2);
    expect(chat.request.input.messages).toEqual([
      { role: "user", content: "a timer" },
      { role: "assistant", content: replyWith(timerV1) },
      { role: "user", content: "make it blue" },
    ]);
    chat.answer(replyWith(timerV2));
    expect(chat.context.versions).toEqual([
      { code: timerV1, messageIndex: 1, fromFix: false },
      { code: timerV2, messageIndex: 3, fromFix: false },
    ]);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV2);
  });

  it("stops the stream actor once the answer is done", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer("Hi");
    expect(chat.request.aborted).toBe(true);
  });
});

describe("failures", () => {
  it("a server error ends in error, shows the error and keeps the partial answer marked failed", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta());
    chat.request.push(delta("Here is a ti"));
    chat.request.push(serverError());
    expect(chat.snapshot.value).toBe("error");
    expect(chat.context.error).toEqual(upstreamFailure);
    expect(chat.context.draft).toBe("");
    expect(chat.context.messages).toEqual([
      { role: "user", content: "a timer", state: "complete" },
      { role: "assistant", content: "Here is a ti", state: "failed" },
    ]);
  });

  it("a lost connection that cannot be re-established ends in error likewise, keeping the partial answer marked failed", () => {
    const chat = startChat({ maxReconnects: 0 });
    chat.ask("a timer");
    chat.request.push(delta("Here is a ti"));
    chat.request.push(connectionFailed());
    expect(chat.snapshot.value).toBe("error");
    expect(chat.context.error).toEqual(lostConnection);
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "Here is a ti", state: "failed" });
    expect(chat.request.aborted).toBe(true);
    expect(chat.requests).toHaveLength(1);
  });

  it("a refusal before any text leaves no empty answer behind", () => {
    const chat = startChat();
    chat.ask("a timer");
    const refusal: WireError = { code: "bad_request", message: "The prompt is too long.", retryable: false };
    chat.request.push(connectionFailed(refusal));
    expect(chat.snapshot.value).toBe("error");
    expect(chat.context.error).toEqual(refusal);
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
  });

  it("a follow-up sent after an empty failed answer joins the two prompts into one user message", () => {
    const chat = startChat({ maxReconnects: 0 });
    chat.ask("a timer");
    chat.request.push(connectionFailed());
    chat.ask("with a dark theme");
    expect(chat.snapshot.matches("active")).toBe(true);
    expect(chat.context.error).toBeUndefined();
    expect(chat.request.input.messages).toEqual([{ role: "user", content: "a timer\n\nwith a dark theme" }]);
  });

  it("Dismiss clears the error and returns to an empty prompt box, keeping the conversation", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here is a ti"));
    chat.request.push(serverError());
    chat.send({ type: "DISMISS" });
    expect(chat.context.error).toBeUndefined();
    expect(chat.snapshot.value).toBe("idle");
    expect(selectPhase(chat.snapshot)).toBe("idle");
    expect(chat.snapshot.hasTag("recoverable")).toBe(false);
    expect(chat.context.messages).toEqual([
      { role: "user", content: "a timer", state: "complete" },
      { role: "assistant", content: "Here is a ti", state: "failed" },
    ]);
    // The next prompt is sent as a follow-up.
    chat.ask("a clock instead");
    expect(chat.requests).toHaveLength(2);
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
  });
});

describe("Stop", () => {
  it("while connecting aborts the request and ends in stopped with no answer", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.send({ type: "CANCEL" });
    expect(chat.snapshot.value).toBe("stopped");
    expect(chat.request.aborted).toBe(true);
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
  });

  it("while writing aborts the request and keeps the partial answer marked stopped", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here is a ti"));
    expect(chat.request.aborted).toBe(false);
    chat.send({ type: "CANCEL" });
    expect(chat.snapshot.value).toBe("stopped");
    expect(chat.request.aborted).toBe(true);
    expect(chat.context.draft).toBe("");
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "Here is a ti", state: "stopped" });
    expect(chat.context.error).toBeUndefined();
  });

  it("ignores events that arrive after it, from the old stream or sent straight to the chat", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here is a ti"));
    chat.send({ type: "CANCEL" });
    const before = chat.snapshot;
    const late: ChatStreamEvent[] = [delta("mer"), reset(), meta("openai"), done(), serverError(), connectionFailed()];
    for (const event of late) chat.request.push(event);
    for (const event of late) chat.send(event);
    expect(chat.snapshot.value).toBe("stopped");
    expect(chat.snapshot.context).toEqual(before.context);
    expect(chat.requests).toHaveLength(1);
  });

  it("is ignored when nothing is running", () => {
    const chat = startChat();
    chat.send({ type: "CANCEL" });
    expect(chat.snapshot.value).toBe("idle");
    chat.ask("a timer");
    chat.answer("Hi");
    chat.send({ type: "CANCEL" });
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.messages.at(-1)?.state).toBe("complete");
  });

  it("a new prompt after Stop does not hear from the stopped stream", () => {
    const chat = startChat();
    chat.ask("a timer");
    const first = chat.request;
    first.push(delta("old "));
    chat.send({ type: "CANCEL" });
    chat.ask("a clock instead");
    first.push(delta("LATE"));
    first.push(done());
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.context.draft).toBe("");
    chat.request.push(delta("new"));
    expect(chat.context.draft).toBe("new");
  });
});

describe.each([
  ["an error", (chat: ReturnType<typeof startChat>) => chat.request.push(serverError())],
  ["a stop", (chat: ReturnType<typeof startChat>) => chat.send({ type: "CANCEL" })],
  ["a time-out", () => vi.advanceTimersByTime(SILENCE_MS)],
] as const)("after %s", (_name, endTurn) => {
  /** A finished first turn, then a second turn that writes part of an answer and ends badly. */
  function secondTurnCutShort() {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(replyWith(timerV1));
    chat.ask("make it blue");
    chat.request.push(delta("Sure, here is the bl"));
    endTurn(chat);
    return chat;
  }

  const firstTurn = [
    { role: "user", content: "a timer" },
    { role: "assistant", content: replyWith(timerV1) },
  ];

  it("Retry asks the same question again, without the cut-short answer", () => {
    const chat = secondTurnCutShort();
    chat.send({ type: "RETRY" });
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.requests).toHaveLength(3);
    expect(chat.request.input).toMatchObject({ model: "m", messages: [...firstTurn, { role: "user", content: "make it blue" }] });
    expect(chat.context.messages.map((m) => m.content)).toEqual(["a timer", replyWith(timerV1), "make it blue"]);
    expect(chat.context.error).toBeUndefined();
    expect(chat.context.draft).toBe("");
  });

  it("Switch model sends the same question to the other model", () => {
    const chat = secondTurnCutShort();
    chat.send({ type: "SWITCH_MODEL", model: "gpt-4o" });
    expect(chat.snapshot.matches("active")).toBe(true);
    expect(chat.context.model).toBe("gpt-4o");
    expect(chat.request.input).toMatchObject({
      model: "gpt-4o",
      messages: [...firstTurn, { role: "user", content: "make it blue" }],
    });
    expect(chat.context.messages).toHaveLength(3);
  });

  it("Edit puts the last prompt back in the box and removes that turn, keeping earlier versions", () => {
    const chat = secondTurnCutShort();
    chat.send({ type: "EDIT" });
    expect(chat.snapshot.value).toBe("idle");
    expect(chat.context.input).toBe("make it blue");
    expect(chat.context.messages.map((m) => m.content)).toEqual(["a timer", replyWith(timerV1)]);
    expect(chat.context.error).toBeUndefined();
    expect(chat.context.versions).toEqual([{ code: timerV1, messageIndex: 1, fromFix: false }]);
    expect(chat.requests).toHaveLength(2);
    // Sending the edited prompt continues the conversation from the first turn.
    chat.send({ type: "TYPE", text: "make it red" });
    chat.send({ type: "SUBMIT" });
    expect(chat.request.input.messages).toEqual([...firstTurn, { role: "user", content: "make it red" }]);
  });

  it("the preview still runs the last complete version", () => {
    const chat = secondTurnCutShort();
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV1, writing: false, version: 1 });
  });
});

describe("Retry, Switch model and Edit", () => {
  it("are not offered after a successful answer", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer("Hi");
    chat.send({ type: "RETRY" });
    chat.send({ type: "SWITCH_MODEL", model: "other" });
    chat.send({ type: "EDIT" });
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.model).toBe("m");
    expect(chat.requests).toHaveLength(1);
    expect(chat.context.messages).toHaveLength(2);
  });

  it("Retry after a refusal with no text re-sends the prompt", () => {
    const chat = startChat({ maxReconnects: 0 });
    chat.ask("a timer");
    chat.request.push(connectionFailed());
    chat.send({ type: "RETRY" });
    expect(chat.requests).toHaveLength(2);
    expect(chat.request.input.messages).toEqual([{ role: "user", content: "a timer" }]);
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
  });
});

describe("the preview and the code view", () => {
  it("keep the last complete version in the preview while the next one streams, and show the new code in the code view", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(replyWith(timerV1));
    chat.ask("make it blue");

    chat.request.push(delta("Sure, I will make it blue.\n\n"));
    // No code yet: the code view shows the last version.
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV1, writing: false, version: 1 });

    chat.request.push(delta("```tsx\nexport default function App() {\n  return <h1 sty"));
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    expect(selectCodeView(chat.snapshot)).toEqual({
      code: "export default function App() {\n  return <h1 sty",
      writing: true,
      version: 2,
    });
    expect(selectDraftReply(chat.snapshot)).toMatchObject({ before: "Sure, I will make it blue.", fence: "open" });

    chat.request.push(serverError());
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV1, writing: false, version: 1 });
    expect(selectDraftReply(chat.snapshot)).toBeNull();
  });

  it("show nothing before the first version, and the streaming code as soon as the block opens", () => {
    const chat = startChat();
    expect(selectCodeView(chat.snapshot)).toEqual({ code: "", writing: false, version: 0 });
    expect(selectPreviewVersion(chat.snapshot)).toBeNull();
    chat.ask("a timer");
    chat.request.push(delta("Here:\n\n```tsx\nexport default"));
    expect(selectCodeView(chat.snapshot)).toEqual({ code: "export default", writing: true, version: 1 });
    expect(selectPreviewVersion(chat.snapshot)).toBeNull();
    chat.request.push(delta(" function App() {}\n```\n"));
    // Closed: the code is complete, so the preview runs it while the closing sentence streams.
    expect(selectCodeView(chat.snapshot)).toEqual({ code: "export default function App() {}", writing: false, version: 1 });
    expect(selectPreviewVersion(chat.snapshot)).toEqual({
      number: 1,
      code: "export default function App() {}",
      fromFix: false,
      latest: true,
    });
    chat.request.push(delta("Enjoy!"));
    chat.request.push(done());
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe("export default function App() {}");
    expect(selectCodeView(chat.snapshot)).toEqual({ code: "export default function App() {}", writing: false, version: 1 });
  });

  it("an answer whose block closed but that then fails makes no version: the preview goes back to the last one", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(replyWith(timerV1));
    chat.ask("make it blue");
    chat.request.push(delta("```tsx\nexport default function Blue() {}\n```\nAnd"));
    expect(selectPreviewVersion(chat.snapshot)).toMatchObject({ number: 2, code: "export default function Blue() {}" });
    chat.request.push(serverError());
    expect(selectPreviewVersion(chat.snapshot)).toEqual({ number: 1, code: timerV1, fromFix: false, latest: true });
  });

  it("after a reset, the code view drops the discarded code and falls back to the last version", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(replyWith(timerV1));
    chat.ask("make it blue");
    chat.request.push(delta("```tsx\nexport default function Broken"));
    expect(selectCodeView(chat.snapshot).writing).toBe(true);
    chat.request.push(reset());
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV1, writing: false, version: 1 });
  });
});

describe("selectPhase and the active tag (the status line and Stop)", () => {
  it("names every state of a turn, and only a running turn is active", () => {
    const chat = startChat();
    const phases = [selectPhase(chat.snapshot)];
    const active = [chat.snapshot.hasTag("active")];
    const record = () => {
      phases.push(selectPhase(chat.snapshot));
      active.push(chat.snapshot.hasTag("active"));
    };
    chat.ask("a timer");
    record(); // connecting
    chat.request.push(meta());
    record(); // still connecting: meta is not text
    chat.request.push(delta("Hi"));
    record(); // writing
    chat.request.push(done());
    record(); // done
    chat.ask("again");
    chat.request.push(delta("Hi"));
    chat.send({ type: "CANCEL" });
    record(); // stopped
    chat.send({ type: "RETRY" });
    chat.request.push(serverError());
    record(); // error
    chat.send({ type: "EDIT" });
    record(); // idle with the prompt back in the box
    expect(phases).toEqual(["idle", "connecting", "connecting", "writing", "done", "stopped", "error", "idle"]);
    expect(active).toEqual([false, true, true, true, false, false, false, false]);
  });
});

describe("the server's announced retry (server.retry)", () => {
  it("shows the server's wait as retrying, with the attempt, the wait, the reason and when it ends, keeping the request open", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta());
    vi.advanceTimersByTime(1000);
    chat.request.push(serverRetry(1, 2000, "rate_limited"));
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    expect(selectPhase(chat.snapshot)).toBe("retrying");
    expect(chat.snapshot.hasTag("active")).toBe(true);
    expect(chat.context.retry).toEqual({
      source: "server",
      attempt: 1,
      delayMs: 2000,
      reason: "rate_limited",
      until: Date.now() + 2000,
    });
    // The server retries the provider itself, on the same request: the browser neither aborts nor repeats it.
    expect(chat.requests).toHaveLength(1);
    expect(chat.request.aborted).toBe(false);
    vi.advanceTimersByTime(2000);
    expect(chat.requests).toHaveLength(1);
    expect(chat.request.aborted).toBe(false);
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
  });

  it("the first text after the wait shows writing again and clears the countdown", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(serverRetry());
    vi.advanceTimersByTime(2000);
    chat.request.push(delta("Here"));
    expect(chat.snapshot.matches({ active: "streaming" })).toBe(true);
    expect(chat.context.retry).toBeUndefined();
    expect(chat.context.draft).toBe("Here");
    chat.request.push(done());
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "Here", state: "complete" });
  });

  it("a meta after the wait (the new attempt connected) shows connecting and clears the countdown", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(serverRetry());
    chat.request.push(meta("openai"));
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.context.retry).toBeUndefined();
    expect(chat.context.turn?.provider).toBe("openai");
  });

  it("a reset during the wait discards only the half-written answer, not the wait or the conversation", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here is a half-written ans"));
    chat.request.push(serverRetry(1, 3000, "stream_stalled"));
    const retry = chat.context.retry;
    chat.request.push(reset());
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    expect(chat.context.draft).toBe("");
    expect(chat.context.retry).toEqual(retry);
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
    expect(chat.request.aborted).toBe(false);
  });

  it("a second announcement replaces the first and restarts the countdown", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(serverRetry(1, 2000));
    vi.advanceTimersByTime(40_000);
    chat.request.push(serverRetry(2, 3000, "provider_unavailable"));
    expect(chat.context.retry).toEqual({
      source: "server",
      attempt: 2,
      delayMs: 3000,
      reason: "provider_unavailable",
      until: Date.now() + 3000,
    });
    // The silence limit counts from the second announcement, not the first.
    vi.advanceTimersByTime(3000 + SILENCE_MS - 1);
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    vi.advanceTimersByTime(1);
    expect(chat.snapshot.value).toBe("timedOut");
    expect(chat.requests).toHaveLength(1);
  });

  it("the preview keeps the last complete version during the wait and after the turn then fails", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(replyWith(timerV1));
    chat.ask("make it blue");
    chat.request.push(delta("```tsx\nexport default function App() {\n  return <h1 sty"));
    chat.request.push(serverRetry());
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    chat.request.push(reset());
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV1, writing: false, version: 1 });
    chat.request.push(serverError());
    expect(chat.snapshot.value).toBe("error");
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    expect(chat.context.retry).toBeUndefined();
  });
});

describe("silence: the server stops answering", () => {
  it("after 45 s without any event while connecting, the turn times out with server_timeout and the request is aborted", () => {
    const chat = startChat();
    chat.ask("a timer");
    vi.advanceTimersByTime(SILENCE_MS - 1);
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.request.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(chat.snapshot.value).toBe("timedOut");
    expect(selectPhase(chat.snapshot)).toBe("timedOut");
    expect(chat.snapshot.hasTag("active")).toBe(false);
    expect(chat.context.error).toMatchObject({ code: SERVER_TIMEOUT_CODE, retryable: true });
    expect(chat.context.error?.code).toBe("server_timeout");
    expect(chat.context.error?.message).toContain("45 s");
    expect(chat.request.aborted).toBe(true);
    expect(chat.context.turn?.endedAt).toBe(Date.now());
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
  });

  it("uses the configured silence limit", () => {
    const chat = startChat({ silenceTimeoutMs: 10_000 });
    chat.ask("a timer");
    vi.advanceTimersByTime(9_999);
    expect(chat.snapshot.matches("active")).toBe(true);
    vi.advanceTimersByTime(1);
    expect(chat.snapshot.value).toBe("timedOut");
    expect(chat.context.error?.message).toContain("10 s");
  });

  it("a partial answer is kept, marked failed, when writing goes silent", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here is a ti"));
    vi.advanceTimersByTime(SILENCE_MS);
    expect(chat.snapshot.value).toBe("timedOut");
    expect(chat.context.draft).toBe("");
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "Here is a ti", state: "failed" });
    expect(chat.request.aborted).toBe(true);
  });

  it("keep-alive pings keep a quiet request alive, and the limit still applies after the last one", () => {
    const chat = startChat();
    chat.ask("a timer");
    vi.advanceTimersByTime(SILENCE_MS - 1);
    chat.request.push(ping());
    vi.advanceTimersByTime(SILENCE_MS - 1);
    chat.request.push(ping());
    vi.advanceTimersByTime(SILENCE_MS - 1);
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.request.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(chat.snapshot.value).toBe("timedOut");
  });

  it("a meta while connecting restarts the silence clock", () => {
    const chat = startChat();
    chat.ask("a timer");
    vi.advanceTimersByTime(SILENCE_MS - 1);
    chat.request.push(meta());
    vi.advanceTimersByTime(SILENCE_MS - 1);
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    vi.advanceTimersByTime(1);
    expect(chat.snapshot.value).toBe("timedOut");
  });

  it("while writing, each piece of text and each ping restarts the silence clock, and the text is untouched by pings", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("a"));
    vi.advanceTimersByTime(SILENCE_MS - 1);
    chat.request.push(delta("b"));
    vi.advanceTimersByTime(SILENCE_MS - 1);
    chat.request.push(ping());
    expect(chat.context.draft).toBe("ab");
    vi.advanceTimersByTime(SILENCE_MS - 1);
    expect(chat.snapshot.matches({ active: "streaming" })).toBe(true);
    vi.advanceTimersByTime(1);
    expect(chat.snapshot.value).toBe("timedOut");
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "ab", state: "failed" });
  });

  it("during the server's announced wait, the limit is the wait plus the silence limit; a ping restarts it", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(serverRetry(1, 5000));
    vi.advanceTimersByTime(5000 + SILENCE_MS - 1);
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    chat.request.push(ping());
    vi.advanceTimersByTime(5000 + SILENCE_MS - 1);
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    expect(chat.request.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(chat.snapshot.value).toBe("timedOut");
    expect(chat.context.error?.code).toBe(SERVER_TIMEOUT_CODE);
    expect(chat.context.retry).toBeUndefined();
    expect(chat.request.aborted).toBe(true);
  });

  it("anything the old stream sends after the time-out is ignored", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here"));
    vi.advanceTimersByTime(SILENCE_MS);
    const before = chat.snapshot.context;
    for (const event of [delta("LATE"), ping(), serverRetry(), done(), serverError(), connectionFailed()])
      chat.request.push(event);
    vi.advanceTimersByTime(60_000);
    expect(chat.snapshot.value).toBe("timedOut");
    expect(chat.snapshot.context).toEqual(before);
    expect(chat.requests).toHaveLength(1);
  });

  it("Dismiss after a time-out clears the error and returns to an empty prompt box", () => {
    const chat = startChat();
    chat.ask("a timer");
    vi.advanceTimersByTime(SILENCE_MS);
    chat.send({ type: "DISMISS" });
    expect(chat.snapshot.value).toBe("idle");
    expect(chat.context.error).toBeUndefined();
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
    expect(chat.requests).toHaveLength(1);
  });

  it("a follow-up after a time-out starts a fresh request with its own silence clock", () => {
    const chat = startChat();
    chat.ask("a timer");
    vi.advanceTimersByTime(SILENCE_MS);
    chat.ask("a clock");
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.context.error).toBeUndefined();
    expect(chat.requests).toHaveLength(2);
    vi.advanceTimersByTime(SILENCE_MS - 1);
    expect(chat.snapshot.matches("active")).toBe(true);
  });
});

describe("reconnecting when Kiln's server cannot be reached (connection.failed)", () => {
  it("waits out the backoff before making a new request: shows retrying (source client) and no new request is made early", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const chat = startChat({ reconnectBaseMs: 1000 });
    chat.ask("a timer");
    const first = chat.request;
    first.push(delta("Here is a ti"));
    first.push(connectionFailed());
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    expect(selectPhase(chat.snapshot)).toBe("retrying");
    expect(chat.context.retry).toEqual({
      source: "client",
      attempt: 1,
      delayMs: 500,
      reason: "connection_lost",
      until: Date.now() + 500,
    });
    expect(chat.context.reconnects).toBe(1);
    // What arrived before the drop is discarded: the new request starts over.
    expect(chat.context.draft).toBe("");
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
    expect(chat.requests).toHaveLength(1);
    vi.advanceTimersByTime(499);
    expect(chat.requests).toHaveLength(1);
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    vi.advanceTimersByTime(1);
    expect(chat.requests).toHaveLength(2);
    expect(first.aborted).toBe(true);
    expect(chat.request.aborted).toBe(false);
    // The same turn again, which the server already saved: it says so.
    expect(chat.request.input).toEqual({ ...first.input, regenerate: true });
    expect(first.input.regenerate).toBe(false);
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.context.retry).toBeUndefined();
    expect(chat.context.draft).toBe("");
  });

  it("an answer on the new connection finishes the turn normally", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(delta("Here is a ti"));
    chat.request.push(connectionFailed());
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    chat.answer(replyWith(timerV1));
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.messages).toEqual([
      { role: "user", content: "a timer", state: "complete" },
      {
        role: "assistant",
        content: replyWith(timerV1),
        state: "complete",
        receipt: expect.objectContaining({ provider: "together", model: "m" }),
      },
    ]);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
  });

  it("reconnects at most maxReconnects times; the next lost connection ends in error", () => {
    const chat = startChat({ maxReconnects: 2 });
    chat.ask("a timer");
    chat.request.push(connectionFailed());
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    expect(chat.requests).toHaveLength(2);
    chat.request.push(connectionFailed());
    expect(chat.context.reconnects).toBe(2);
    expect(chat.context.retry?.attempt).toBe(2);
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    expect(chat.requests).toHaveLength(3);
    chat.request.push(delta("Here is a ti"));
    chat.request.push(connectionFailed());
    expect(chat.snapshot.value).toBe("error");
    expect(chat.context.error).toEqual(lostConnection);
    expect(chat.context.retry).toBeUndefined();
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "Here is a ti", state: "failed" });
    expect(chat.requests.every((request) => request.aborted)).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(chat.requests).toHaveLength(3);
  });

  it("a new turn gets its own reconnects", () => {
    const chat = startChat({ maxReconnects: 1 });
    chat.ask("a timer");
    chat.request.push(connectionFailed());
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    chat.request.push(connectionFailed());
    expect(chat.snapshot.value).toBe("error");
    chat.send({ type: "RETRY" });
    expect(chat.context.reconnects).toBe(0);
    chat.request.push(connectionFailed());
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
  });

  it("waits longer after each failed reconnect (exponential backoff: at most base, then at most twice base)", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const chat = startChat({ reconnectBaseMs: 1000, maxReconnects: 3 });
    chat.ask("a timer");
    chat.request.push(connectionFailed());
    const firstWait = chat.context.retry!.delayMs;
    expect(firstWait).toBeGreaterThan(900);
    expect(firstWait).toBeLessThanOrEqual(1000);
    vi.advanceTimersByTime(firstWait);
    expect(chat.requests).toHaveLength(2);
    chat.request.push(connectionFailed());
    const secondWait = chat.context.retry!.delayMs;
    expect(secondWait).toBeGreaterThan(1000);
    expect(secondWait).toBeLessThanOrEqual(2000);
    vi.advanceTimersByTime(secondWait - 1);
    expect(chat.requests).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(chat.requests).toHaveLength(3);
  });

  it("honours the server's Retry-After: a refusal saying 5 s is not retried sooner", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const chat = startChat();
    chat.ask("a timer");
    const rateLimited: WireError = { code: "rate_limited", message: "Slow down.", retryable: true };
    chat.request.push(connectionFailed(rateLimited, 5000));
    expect(chat.context.retry).toMatchObject({ source: "client", reason: "rate_limited" });
    expect(chat.context.retry!.delayMs).toBeGreaterThanOrEqual(5000);
    vi.advanceTimersByTime(4999);
    expect(chat.requests).toHaveLength(1);
    vi.advanceTimersByTime(chat.context.retry!.delayMs - 4999);
    expect(chat.requests).toHaveLength(2);
  });

  it("a failure that retrying cannot fix (provider not configured) ends in error at once", () => {
    const chat = startChat();
    chat.ask("a timer");
    const notConfigured: WireError = {
      code: "provider_not_configured",
      message: "Together AI is not configured.",
      retryable: false,
    };
    chat.request.push(connectionFailed(notConfigured));
    expect(chat.snapshot.value).toBe("error");
    expect(chat.context.error).toEqual(notConfigured);
    expect(chat.context.retry).toBeUndefined();
    expect(chat.context.reconnects).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(chat.requests).toHaveLength(1);
  });
});

describe.each([
  ["connecting", (_chat: ReturnType<typeof startChat>) => {}],
  ["writing", (chat: ReturnType<typeof startChat>) => chat.request.push(delta("Here is a ti"))],
  ["the server's retry wait", (chat: ReturnType<typeof startChat>) => chat.request.push(serverRetry(1, 2000))],
  ["the browser's reconnect wait", (chat: ReturnType<typeof startChat>) => chat.request.push(connectionFailed())],
] as const)("Stop while %s", (_name, reach) => {
  function stopped() {
    const chat = startChat();
    chat.ask("a timer");
    reach(chat);
    chat.send({ type: "CANCEL" });
    return chat;
  }

  it("aborts the request and ends in stopped, with no error and no countdown", () => {
    const chat = stopped();
    expect(chat.snapshot.value).toBe("stopped");
    expect(chat.snapshot.hasTag("recoverable")).toBe(true);
    expect(chat.requests).toHaveLength(1);
    expect(chat.request.aborted).toBe(true);
    expect(chat.context.error).toBeUndefined();
    expect(chat.context.retry).toBeUndefined();
  });

  it("ignores anything the stopped stream sends afterwards", () => {
    const chat = stopped();
    const before = chat.snapshot.context;
    const late = [
      delta("LATE"),
      ping(),
      serverRetry(2, 1000),
      meta("openai"),
      reset(),
      done(),
      serverError(),
      connectionFailed(),
    ];
    for (const event of late) chat.request.push(event);
    expect(chat.snapshot.value).toBe("stopped");
    expect(chat.snapshot.context).toEqual(before);
  });

  it("no timer fires afterwards: no reconnect, no time-out", () => {
    const chat = stopped();
    vi.advanceTimersByTime(10 * 60_000);
    expect(chat.snapshot.value).toBe("stopped");
    expect(chat.requests).toHaveLength(1);
    expect(chat.context.error).toBeUndefined();
  });
});

describe("a provider fallback (server.fallback)", () => {
  it("records which provider and model took over and which one it fell back from, without touching the answer", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta("together"));
    chat.request.push(delta("Here"));
    chat.request.push({
      type: "server.fallback",
      data: { from: "together", to: "openai", reason: "provider_unavailable", model: "gpt-4o" },
    });
    expect(chat.context.turn).toMatchObject({
      provider: "openai",
      model: "gpt-4o",
      fellBackFrom: "together",
      requestId: "req-1",
    });
    expect(chat.snapshot.matches({ active: "streaming" })).toBe(true);
    expect(chat.context.draft).toBe("Here");
    expect(chat.request.aborted).toBe(false);
    chat.request.push(reset());
    chat.request.push(delta("From openai"));
    chat.request.push(done());
    expect(chat.context.turn).toMatchObject({ provider: "openai", model: "gpt-4o", fellBackFrom: "together" });
    expect(chat.context.messages.at(-1)).toEqual({
      role: "assistant",
      content: "From openai",
      state: "complete",
      receipt: {
        provider: "openai",
        model: "gpt-4o",
        firstTokenMs: 0,
        totalMs: 0,
        retries: 0,
        fallbacks: 1,
        fellBackFrom: "together",
      },
    });
  });

  it("a new turn starts without the previous turn's fallback", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push({ type: "server.fallback", data: { from: "together", to: "openai", reason: "provider_unavailable" } });
    chat.request.push(done());
    chat.ask("make it blue");
    expect(chat.context.turn?.fellBackFrom).toBeUndefined();
    expect(chat.context.turn?.provider).toBeUndefined();
  });
});

describe("a finished answer's receipt (the line under its version)", () => {
  it("names who answered and keeps the times the browser saw, the server's retries and the done event's usage", () => {
    const chat = startChat();
    chat.ask("a timer");
    vi.advanceTimersByTime(100);
    chat.request.push(meta("together"));
    chat.request.push(serverRetry(1, 200, "rate_limited"));
    vi.advanceTimersByTime(300);
    chat.request.push(delta("Here is "));
    vi.advanceTimersByTime(1_600);
    chat.request.push(delta(replyWith(timerV1)));
    chat.request.push({
      type: "server.done",
      data: { finishReason: "stop", usage: { promptTokens: 812, completionTokens: 1934, totalTokens: 2746 } },
    });
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.messages.at(-1)?.receipt).toEqual({
      provider: "together",
      model: "m",
      firstTokenMs: 400,
      totalMs: 2_000,
      retries: 1,
      fallbacks: 0,
      inputTokens: 812,
      outputTokens: 1934,
    });
  });

  it("after a fallback names the provider that answered, its model, and the one it fell back from", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta("together"));
    chat.request.push(serverRetry(1, 20, "provider_unavailable"));
    chat.request.push({
      type: "server.fallback",
      data: { from: "together", to: "backup", reason: "provider_unavailable", model: "backup-model" },
    });
    chat.request.push({
      type: "server.fallback",
      data: { from: "backup", to: "third", reason: "provider_auth", model: "third-model" },
    });
    chat.request.push(delta(replyWith(timerV1)));
    chat.request.push(done());
    const receipt = chat.context.messages.at(-1)?.receipt;
    expect(receipt).toMatchObject({
      provider: "third",
      model: "third-model",
      retries: 1,
      fallbacks: 2,
      fellBackFrom: "together",
    });
    // No usage reported: no token counts, rather than zeros.
    expect(receipt).not.toHaveProperty("inputTokens");
    expect(receipt).not.toHaveProperty("outputTokens");
    // The status line still says which provider failed last.
    expect(chat.context.turn?.fellBackFrom).toBe("backup");
    expect(chat.context.versions).toHaveLength(1);
  });

  it("counts a reconnect's request afresh, as the server saves it", () => {
    const chat = startChat({ reconnectBaseMs: 0 });
    chat.ask("a timer");
    chat.request.push(meta("together"));
    chat.request.push(serverRetry(1, 0));
    chat.request.push({ type: "server.fallback", data: { from: "together", to: "backup", reason: "x", model: "backup-model" } });
    chat.request.push(connectionFailed());
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    expect(chat.requests).toHaveLength(2);
    chat.answer(replyWith(timerV1));
    expect(chat.context.messages.at(-1)?.receipt).toMatchObject({ provider: "together", retries: 0, fallbacks: 0 });
    expect(chat.context.messages.at(-1)?.receipt).not.toHaveProperty("fellBackFrom");
  });

  it("an answer that did not finish gets none; a saved chat's receipts stay on its messages", () => {
    const saved: ChatMessage[] = [
      { role: "user", content: "a timer", state: "complete" },
      {
        role: "assistant",
        content: replyWith(timerV1),
        state: "complete",
        receipt: {
          provider: "backup",
          model: "backup-model",
          totalMs: 1_200,
          retries: 0,
          fallbacks: 1,
          fellBackFrom: "together",
        },
      },
    ];
    const chat = startChat({ messages: saved });
    expect(chat.context.messages).toEqual(saved);
    chat.ask("make it blue");
    chat.request.push(meta());
    chat.request.push(delta("Sure"));
    chat.send({ type: "CANCEL" });
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: "Sure", state: "stopped" });
    expect(chat.context.messages[1]).toEqual(saved[1]);
    // The receipt is the browser's: never part of what is sent back to the model.
    chat.send({ type: "RETRY" });
    expect(chat.request.input.messages).toEqual([
      { role: "user", content: "a timer" },
      { role: "assistant", content: replyWith(timerV1) },
      { role: "user", content: "make it blue" },
    ]);
  });
});

describe("selectPhase and the recoverable tag (the status line and the recovery buttons)", () => {
  it("name the waits and the time-out, and offer recovery exactly after an error, a stop or a time-out", () => {
    const chat = startChat({ maxReconnects: 0 });
    const seen: Array<[string, boolean, boolean]> = [];
    const record = () =>
      seen.push([selectPhase(chat.snapshot), chat.snapshot.hasTag("recoverable"), chat.snapshot.can({ type: "DISMISS" })]);
    record(); // idle
    chat.ask("a timer");
    record(); // connecting
    chat.request.push(serverRetry());
    record(); // retrying
    chat.request.push(delta("Hi"));
    record(); // writing
    chat.request.push(done());
    record(); // done
    chat.ask("again");
    chat.send({ type: "CANCEL" });
    record(); // stopped
    chat.send({ type: "RETRY" });
    chat.request.push(connectionFailed());
    record(); // error
    chat.send({ type: "RETRY" });
    vi.advanceTimersByTime(SILENCE_MS);
    record(); // timedOut
    chat.send({ type: "EDIT" });
    record(); // idle, the prompt back in the box
    // Dismiss (✕) only where there is an error to put away.
    expect(seen).toEqual([
      ["idle", false, false],
      ["connecting", false, false],
      ["retrying", false, false],
      ["writing", false, false],
      ["done", false, false],
      ["stopped", true, false],
      ["error", true, true],
      ["timedOut", true, true],
      ["idle", false, false],
    ]);
    expect(chat.context.input).toBe("again");
  });

  it("Retry is possible only for a turn that did not finish: not before one, nor during one, nor after a finished one", () => {
    const chat = startChat();
    const canRetry = () => chat.snapshot.can({ type: "RETRY" });
    expect(canRetry()).toBe(false);
    chat.ask("a timer");
    expect(canRetry()).toBe(false);
    chat.answer(replyWith(timerV1));
    expect(chat.snapshot.value).toBe("done");
    expect(canRetry()).toBe(false);
    chat.ask("make it blue");
    chat.request.push(delta("Here is a blue"));
    chat.send({ type: "CANCEL" });
    expect(canRetry()).toBe(true);
    // The same conversation saved and opened again: its last answer broke off, so it can be asked again.
    const reopened = startChat({ messages: chat.context.messages });
    expect(reopened.snapshot.value).toBe("idle");
    expect(reopened.snapshot.can({ type: "RETRY" })).toBe(true);
  });

  it("call the browser's own reconnect wait retrying too", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(connectionFailed());
    expect(selectPhase(chat.snapshot)).toBe("retrying");
    expect(chat.snapshot.hasTag("recoverable")).toBe(false);
  });
});

describe("a reasoning model (server.reasoning)", () => {
  const sketch = "Maybe:\n```tsx\nexport default function Sketch() {}\n```\n";

  it("gathers the turn's reasoning apart from the draft, while still connecting", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta());
    chat.request.push(reasoning("Hmm, "));
    chat.request.push(reasoning("a timer."));
    expect(chat.context.reasoning).toBe("Hmm, a timer.");
    expect(chat.context.draft).toBe("");
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(selectDraftReply(chat.snapshot)).toBeNull();
    chat.request.push(delta("Here"));
    expect(chat.snapshot.matches({ active: "streaming" })).toBe(true);
    expect(chat.context.reasoning).toBe("Hmm, a timer.");
  });

  it("reasoning is activity: it restarts the silence clock while connecting and while writing", () => {
    const chat = startChat();
    chat.ask("a timer");
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(SILENCE_MS - 1);
      chat.request.push(reasoning("…"));
    }
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    chat.request.push(delta("a"));
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(SILENCE_MS - 1);
      chat.request.push(reasoning("…"));
    }
    expect(chat.snapshot.matches({ active: "streaming" })).toBe(true);
    vi.advanceTimersByTime(SILENCE_MS);
    expect(chat.snapshot.value).toBe("timedOut");
  });

  it("reasoning after the server's announced wait means the new attempt is under way", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(serverRetry(1, 2000));
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    vi.advanceTimersByTime(2000);
    chat.request.push(reasoning("again"));
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.context.retry).toBeUndefined();
    expect(chat.context.reasoning).toBe("again");
    vi.advanceTimersByTime(SILENCE_MS - 1);
    expect(chat.snapshot.matches("active")).toBe(true);
  });

  it("a reset drops the reasoning shown so far with the partial answer", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(reasoning("first attempt"));
    chat.request.push(delta("Here is a ti"));
    chat.request.push(reset());
    expect(chat.context.reasoning).toBe("");
    expect(chat.context.draft).toBe("");
    chat.request.push(reasoning("second attempt"));
    expect(chat.context.reasoning).toBe("second attempt");
  });

  it("a reconnect to Kiln starts the reasoning over, and a new turn starts with none", () => {
    const chat = startChat({ reconnectBaseMs: 10 });
    chat.ask("a timer");
    chat.request.push(reasoning("lost"));
    chat.request.push(connectionFailed());
    expect(chat.context.reasoning).toBe("");
    vi.advanceTimersByTime(10);
    chat.request.push(reasoning("kept"));
    chat.answer(replyWith(timerV1));
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.reasoning).toBe("kept");
    chat.ask("make it blue");
    expect(chat.context.reasoning).toBe("");
  });

  it("code in the reasoning never becomes a version, the code view or what the preview runs", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(reasoning(sketch));
    expect(selectCodeView(chat.snapshot)).toMatchObject({ code: "", writing: false });
    expect(selectPreviewVersion(chat.snapshot)).toBeNull();
    chat.request.push(delta(replyWith(timerV1)));
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    chat.request.push(done());
    expect(chat.context.versions.map((v) => v.code)).toEqual([timerV1]);
    expect(chat.context.messages.at(-1)).toEqual({ role: "assistant", content: replyWith(timerV1), state: "complete" });
  });

  it("the history sent back to the model holds the answers only, never the reasoning", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(reasoning(sketch));
    chat.answer(replyWith(timerV1));
    chat.ask("make it blue");
    expect(JSON.stringify(chat.request.input.messages)).not.toContain("Sketch");
    expect(chat.request.input.messages[1]).toEqual({ role: "assistant", content: replyWith(timerV1) });
  });

  it("Stop while the model is still thinking keeps no answer: there is none yet", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(reasoning("thinking"));
    chat.send({ type: "CANCEL" });
    expect(chat.snapshot.value).toBe("stopped");
    expect(chat.context.messages).toEqual([{ role: "user", content: "a timer", state: "complete" }]);
  });
});

describe("named actions check the event they are given", () => {
  it("an action wired to another event fails loudly, naming the event it expects", () => {
    // recordMeta run where a delta arrives, as a slip in the chart would wire it. The machine's own
    // implementations are typed more loosely than `provide` expects (any actor), hence the cast.
    const recordMeta = chatMachine.implementations.actions.recordMeta as ChatActions["appendDelta"];
    const chat = startChat({}, { appendDelta: recordMeta });
    const errors: unknown[] = [];
    chat.actor.subscribe({ error: (error) => errors.push(error) });
    chat.ask("a timer");
    chat.request.push(delta("Hi"));
    expect(chat.snapshot.status).toBe("error");
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('to have type matching "server.meta"');
  });
});

describe("versions and saved chats", () => {
  const timerV3 = ["export default function App() {", '  return <h1 style={{ color: "red" }}>Timer</h1>;', "}"].join("\n");
  const user = (content: string): ChatMessage => ({ role: "user", content, state: "complete" });
  const answer = (content: string, state: ChatMessage["state"] = "complete"): ChatMessage => ({
    role: "assistant",
    content,
    state,
  });
  /** A chat saved with two versions, as the chat page loads it. */
  const savedChat = (): ChatMessage[] => [
    user("a timer"),
    answer(replyWith(timerV1)),
    user("make it blue"),
    answer(replyWith(timerV2)),
  ];
  /** The Regenerate banner's question, as the chat screen asks it. */
  const offersRegenerate = (snapshot: ChatSnapshot) => !snapshot.hasTag("recoverable") && snapshot.can({ type: "RETRY" });
  const asSent = (messages: ChatMessage[]) => messages.map(({ role, content }) => ({ role, content }));

  it("a reopened chat starts idle with its saved versions, showing the latest, without sending anything", () => {
    const chat = startChat({ messages: savedChat(), chatId: "chat-1" });
    expect(chat.snapshot.value).toBe("idle");
    expect(chat.requests).toHaveLength(0);
    expect(chat.context.messages).toEqual(savedChat());
    expect(chat.context.versions).toEqual([
      { code: timerV1, messageIndex: 1, fromFix: false },
      { code: timerV2, messageIndex: 3, fromFix: false },
    ]);
    expect(selectShownVersion(chat.snapshot)).toBe(1);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV2);
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV2, writing: false, version: 2 });
    expect(versionOfMessage(chat.snapshot, 3)).toBe(2);
  });

  it("picking version 1 shows it in the preview and the code view", () => {
    const chat = startChat({ messages: savedChat() });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    expect(chat.context.selectedVersion).toBe(0);
    expect(selectShownVersion(chat.snapshot)).toBe(0);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV1, writing: false, version: 1 });
    expect(chat.snapshot.value).toBe("idle");
  });

  it("picking the latest version again clears the selection, so the view follows new versions", () => {
    const chat = startChat({ messages: savedChat() });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    chat.send({ type: "SELECT_VERSION", index: 1 });
    expect(chat.context.selectedVersion).toBeUndefined();
    expect(selectShownVersion(chat.snapshot)).toBe(1);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV2);
  });

  it("ignores a version that does not exist, keeping the one on screen", () => {
    const chat = startChat({ messages: savedChat() });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    chat.send({ type: "SELECT_VERSION", index: 2 });
    chat.send({ type: "SELECT_VERSION", index: -1 });
    expect(chat.context.selectedVersion).toBe(0);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
    const fresh = startChat();
    fresh.send({ type: "SELECT_VERSION", index: 0 });
    expect(fresh.context.selectedVersion).toBeUndefined();
    expect(selectPreviewVersion(fresh.snapshot)).toBeNull();
  });

  it("a follow-up sent while an older version is on screen gives the model that version's code", () => {
    const chat = startChat({ messages: savedChat() });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    chat.ask("make it red");
    const followUp = followUpOnVersion("make it red", 1, timerV1);
    expect(chat.request.input.messages).toEqual([...asSent(savedChat()), { role: "user", content: followUp }]);
    expect(chat.context.messages.at(-1)).toEqual(user(followUp));
    // While the answer is written, the preview keeps the version the user is changing.
    chat.request.push(delta(replyWith(timerV3).slice(0, 40)));
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV1);
  });

  it("a follow-up sent while the latest version is on screen is sent as typed", () => {
    const chat = startChat({ messages: savedChat() });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    chat.send({ type: "SELECT_VERSION", index: 1 });
    chat.ask("make it red");
    expect(chat.request.input.messages.at(-1)).toEqual({ role: "user", content: "make it red" });
  });

  it("when the follow-up's answer brings new code, the view moves to that new latest version", () => {
    const chat = startChat({ messages: savedChat() });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    chat.ask("make it red");
    chat.answer(replyWith(timerV3));
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.versions.map((v) => v.code)).toEqual([timerV1, timerV2, timerV3]);
    expect(chat.context.selectedVersion).toBeUndefined();
    expect(selectShownVersion(chat.snapshot)).toBe(2);
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(timerV3);
    expect(selectCodeView(chat.snapshot)).toEqual({ code: timerV3, writing: false, version: 3 });
  });

  it("a chat reloaded mid-answer (last message the user's) offers Regenerate, which re-sends the conversation", () => {
    const saved = [...savedChat(), user("make it red")];
    const chat = startChat({ messages: saved, chatId: "chat-1" });
    expect(chat.snapshot.value).toBe("idle");
    expect(offersRegenerate(chat.snapshot)).toBe(true);
    chat.send({ type: "RETRY" });
    expect(chat.snapshot.matches({ active: "requesting" })).toBe(true);
    expect(chat.requests).toHaveLength(1);
    expect(chat.request.input).toMatchObject({ chatId: "chat-1", messages: asSent(saved) });
    expect(offersRegenerate(chat.snapshot)).toBe(false);
    chat.answer(replyWith(timerV3));
    expect(chat.context.messages).toHaveLength(6);
    expect(chat.context.versions.at(-1)).toEqual({ code: timerV3, messageIndex: 5, fromFix: false });
    expect(offersRegenerate(chat.snapshot)).toBe(false);
  });

  it.each(["stopped", "failed"] as const)(
    "a chat whose last answer was saved %s offers Regenerate, which asks again without that answer",
    (state) => {
      const saved = [...savedChat(), user("make it red"), answer("Here is a red timer:\n\n```tsx\nexport default", state)];
      const chat = startChat({ messages: saved });
      expect(offersRegenerate(chat.snapshot)).toBe(true);
      chat.send({ type: "RETRY" });
      expect(chat.snapshot.matches("active")).toBe(true);
      expect(chat.request.input.messages).toEqual(asSent(saved.slice(0, -1)));
      expect(chat.context.messages).toEqual(saved.slice(0, -1));
      // The cut-short answer never was a version, and the saved ones stay.
      expect(chat.context.versions).toHaveLength(2);
    },
  );

  it("a complete chat does not offer Regenerate, and Retry does nothing", () => {
    const chat = startChat({ messages: savedChat() });
    expect(offersRegenerate(chat.snapshot)).toBe(false);
    chat.send({ type: "RETRY" });
    expect(chat.snapshot.value).toBe("idle");
    expect(chat.requests).toHaveLength(0);
    expect(offersRegenerate(startChat().snapshot)).toBe(false);
  });

  it("Regenerate is not offered while an answer is being written", () => {
    const chat = startChat({ messages: savedChat() });
    chat.ask("make it red");
    expect(chat.context.messages.at(-1)?.role).toBe("user");
    expect(offersRegenerate(chat.snapshot)).toBe(false);
    chat.request.push(delta("Here"));
    expect(offersRegenerate(chat.snapshot)).toBe(false);
  });

  it("Regenerate is not offered beside the status line's Retry after a turn stops, fails or times out", () => {
    const chat = startChat({ messages: savedChat(), maxReconnects: 0 });
    const seen: Array<[string, boolean, boolean]> = [];
    const record = () =>
      seen.push([selectPhase(chat.snapshot), chat.snapshot.can({ type: "RETRY" }), offersRegenerate(chat.snapshot)]);
    chat.ask("make it red");
    chat.send({ type: "CANCEL" });
    record(); // stopped
    chat.send({ type: "RETRY" });
    chat.request.push(connectionFailed());
    record(); // error
    chat.send({ type: "RETRY" });
    vi.advanceTimersByTime(SILENCE_MS);
    record(); // timedOut
    chat.send({ type: "DISMISS" });
    record(); // idle, the unanswered prompt last: the banner takes over
    expect(seen).toEqual([
      ["stopped", true, false],
      ["error", true, false],
      ["timedOut", true, false],
      ["idle", true, true],
    ]);
  });
});

describe("the preview's fixes (SUBMIT with a fix prompt)", () => {
  const broken = "export default function App() {\n  throw new Error('boom');\n}";
  const fixed = "export default function App() {\n  return <p>ok</p>;\n}";
  const fenced = (code: string) => `Here you go.\n\n\`\`\`tsx\n${code}\n\`\`\``;

  it("an automatic fix is a turn marked as such, and leaves what the user is typing in the box", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(fenced(broken));
    chat.send({ type: "TYPE", text: "make it blue" });
    chat.send({ type: "SUBMIT", prompt: fixErrorPrompt("Runtime error at line 2: boom"), autoFix: true });
    expect(chat.snapshot.matches("active")).toBe(true);
    expect(chat.context.turn?.autoFix).toBe(true);
    expect(chat.context.input).toBe("make it blue");
    expect(chat.request.input.messages.at(-1)?.content).toMatch(/^The app fails with this error:/);
  });

  it("the version a fix produces is marked as a fix, and the preview runs it as the latest", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.answer(fenced(broken));
    chat.send({ type: "SUBMIT", prompt: fixErrorPrompt("boom") });
    expect(chat.context.turn?.autoFix).toBeUndefined();
    chat.answer(fenced(fixed));
    expect(chat.context.versions.map((v) => v.fromFix)).toEqual([false, true]);
    expect(selectPreviewVersion(chat.snapshot)).toEqual({ number: 2, code: fixed, fromFix: true, latest: true });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    expect(selectPreviewVersion(chat.snapshot)).toEqual({ number: 1, code: broken, fromFix: false, latest: false });
  });
});

describe("follow-ups answered with edit blocks", () => {
  const v1 = extractReply(fakeReply("default")).code;
  const v2 = extractReply(fakeReply("follow-up")).code;
  const reopened = (): ChatMessage[] => [
    { role: "user", content: "a pomodoro timer", state: "complete" },
    { role: "assistant", content: fakeReply("default"), state: "complete" },
  ];

  it("keeps the answer as the complete file it makes, so the version, the history and a reload agree", () => {
    const chat = startChat({ messages: reopened() });
    chat.ask("bigger buttons");
    chat.answer(fakeReply("edit"));
    expect(chat.context.versions.map((v) => v.code)).toEqual([v1, v2]);
    const saved = chat.context.messages.at(-1)!;
    expect(saved.content).not.toContain("<<<<<<< SEARCH");
    expect(extractReply(saved.content).code).toBe(v2);
    expect(selectCodeView(chat.snapshot)).toEqual({ code: v2, writing: false, version: 2 });
  });

  it("shows the blocks as a diff while they stream, runs the new version once they close, and never a half-applied one", () => {
    const chat = startChat({ messages: reopened() });
    chat.ask("bigger buttons");
    chat.request.push(meta());
    const text = fakeReply("edit");
    const secondBlock = text.indexOf("<<<<<<< SEARCH", text.indexOf(">>>>>>> REPLACE"));
    chat.request.push(delta(text.slice(0, secondBlock + 20)));
    const streaming = selectCodeView(chat.snapshot);
    expect(streaming.writing).toBe(true);
    expect(streaming.edits?.base).toBe(v1);
    expect(streaming.edits?.parsed.blocks).toHaveLength(1);
    expect(streaming.edits?.parsed.partial).toBeDefined();
    // Half the blocks arrived: the preview keeps version 1.
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(v1);
    chat.request.push(delta(text.slice(secondBlock + 20, text.lastIndexOf("```") + 3)));
    expect(selectPreviewVersion(chat.snapshot)).toMatchObject({ number: 2, code: v2, latest: true });
    expect(selectCodeView(chat.snapshot)).toEqual({ code: v2, writing: false, version: 2 });
  });

  it("keeps the last version on screen when the blocks do not apply, and says a whole file is being asked for", () => {
    const chat = startChat({ messages: reopened() });
    chat.ask("bigger buttons");
    chat.request.push(meta());
    chat.request.push(delta(fakeReply("bad-edit")));
    expect(selectPreviewVersion(chat.snapshot)?.code).toBe(v1);
    expect(selectCodeView(chat.snapshot).edits).toBeDefined();
    chat.request.push({ type: "server.reset", data: { reason: EDIT_NOT_APPLIED } });
    expect(chat.context.turn?.wholeFileRetry).toBe(true);
    expect(chat.context.draft).toBe("");
    chat.request.push(delta(fakeReply("follow-up")));
    chat.request.push(done());
    expect(chat.context.versions.map((v) => v.code)).toEqual([v1, v2]);
  });

  it("a reset for another reason does not claim an edit failed", () => {
    const chat = startChat({ messages: reopened() });
    chat.ask("bigger buttons");
    chat.request.push(meta());
    chat.request.push(delta("Sure"));
    chat.request.push(reset());
    expect(chat.context.turn?.wholeFileRetry).toBeUndefined();
  });

  it("applies a follow-up on an older version to that version's code", () => {
    const chat = startChat({
      messages: [
        ...reopened(),
        { role: "user", content: "a chart instead", state: "complete" },
        { role: "assistant", content: fakeReply("chart"), state: "complete" },
      ],
    });
    chat.send({ type: "SELECT_VERSION", index: 0 });
    chat.ask("bigger buttons");
    expect(chat.request.input.messages.at(-1)?.content).toBe(followUpOnVersion("bigger buttons", 1, v1));
    chat.answer(fakeReply("edit"));
    expect(chat.context.versions.map((v) => v.code)).toEqual([v1, extractReply(fakeReply("chart")).code, v2]);
  });
});

describe("telling the server a turn replaces the last one (regenerate)", () => {
  const failed = (): ChatMessage[] => [
    { role: "user", content: "a timer", state: "complete" },
    { role: "assistant", content: "Here", state: "failed" },
  ];

  it("a new prompt is not a regenerate; Retry, Switch model and an edited prompt are", () => {
    const chat = startChat({ chatId: "c1" });
    chat.ask("a timer");
    expect(chat.request.input.regenerate).toBe(false);
    chat.request.push({ type: "server.error", data: upstreamFailure });
    chat.send({ type: "RETRY" });
    expect(chat.request.input.regenerate).toBe(true);
    chat.request.push({ type: "server.error", data: upstreamFailure });
    chat.send({ type: "EDIT" });
    chat.ask("a timer, in red");
    expect(chat.request.input.regenerate).toBe(true);
    chat.answer("Here it is.");
    chat.ask("now bigger");
    expect(chat.request.input.regenerate).toBe(false);
  });

  it("a reopened chat whose last answer failed regenerates it", () => {
    const chat = startChat({ chatId: "c1", messages: failed() });
    chat.send({ type: "RETRY" });
    expect(chat.request.input.regenerate).toBe(true);
    expect(chat.request.input.messages).toEqual([{ role: "user", content: "a timer" }]);
  });
});

describe("coming back to a chat's answer that is still being written on the server", () => {
  const resumeFrom = (lastEventId: number): ChatStreamEvent => ({
    type: "connection.failed",
    error: lostConnection,
    resume: { generationId: "req-1", lastEventId },
  });

  it("a reopened chat whose last turn is running attaches to it from the start and finishes it without Regenerate", () => {
    const saved: ChatMessage[] = [{ role: "user", content: "a timer", state: "complete" }];
    const chat = startChat({ chatId: "c1", messages: saved, attachTo: "gen-7" });
    expect(chat.snapshot.hasTag("active")).toBe(true);
    expect(chat.request.input.resume).toEqual({ generationId: "gen-7", lastEventId: 0 });
    chat.request.push({ type: "connection.resumed" });
    chat.request.push(meta());
    chat.request.push(delta("Here is a timer"));
    expect(selectPhase(chat.snapshot)).toBe("writing");
    expect(chat.context.turn?.reconnected).toBe(true);
    chat.request.push(delta(" app."));
    chat.request.push(done());
    expect(chat.snapshot.value).toBe("done");
    expect(chat.context.messages.at(-1)).toMatchObject({ role: "assistant", content: "Here is a timer app.", state: "complete" });
    expect(chat.snapshot.can({ type: "RETRY" })).toBe(false);
  });

  it("without a chat, attachTo is ignored: nothing to come back to", () => {
    const chat = startChat({ attachTo: "gen-7" });
    expect(chat.snapshot.value).toBe("idle");
    expect(chat.requests).toHaveLength(0);
  });

  it("a dropped connection reattaches after the last event received and keeps the text so far", () => {
    const chat = startChat({ chatId: "c1" });
    chat.ask("a timer");
    const first = chat.request;
    first.push(meta());
    first.push(delta("Here is a ti"));
    first.push(resumeFrom(2));
    expect(chat.snapshot.matches({ active: "retrying" })).toBe(true);
    expect(chat.context.draft).toBe("Here is a ti");
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    expect(chat.requests).toHaveLength(2);
    expect(chat.request.input.resume).toEqual({ generationId: "req-1", lastEventId: 2 });
    chat.request.push({ type: "connection.resumed" });
    chat.request.push(delta("mer."));
    chat.request.push(done());
    expect(chat.context.messages.at(-1)).toMatchObject({ content: "Here is a timer.", state: "complete" });
    expect(chat.context.turn?.reconnected).toBe(true);
    expect(chat.context.resume).toBeUndefined();
  });

  it("when the server no longer has it (no resume point), the turn is asked again from the start", () => {
    const chat = startChat({ chatId: "c1" });
    chat.ask("a timer");
    chat.request.push(meta());
    chat.request.push(delta("Here is a ti"));
    chat.request.push(resumeFrom(2));
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    chat.request.push({
      type: "connection.failed",
      error: { code: "generation_not_found", message: "gone", retryable: true },
    });
    expect(chat.context.draft).toBe("");
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    expect(chat.requests).toHaveLength(3);
    expect(chat.request.input.resume).toBeUndefined();
    expect(chat.request.input.regenerate).toBe(true);
  });

  it("a page without a chat never tries to reattach", () => {
    const chat = startChat();
    chat.ask("a timer");
    chat.request.push(meta());
    chat.request.push(delta("Here"));
    chat.request.push(resumeFrom(2));
    expect(chat.context.draft).toBe("");
    vi.advanceTimersByTime(chat.context.retry!.delayMs);
    expect(chat.request.input.resume).toBeUndefined();
  });

  it("Stop tells the server which generation to stop, and aborts this page's request", () => {
    const stops: unknown[] = [];
    const chat = startChat({ chatId: "c1" }, { tellServerToStop: ({ context }) => void stops.push(context.turn?.requestId) });
    chat.ask("a timer");
    chat.request.push(meta());
    chat.request.push(delta("Here"));
    chat.send({ type: "CANCEL" });
    expect(stops).toEqual(["req-1"]);
    expect(chat.requests[0].aborted).toBe(true);
    expect(chat.snapshot.value).toBe("stopped");
  });
});
