import { afterEach, describe, expect, it } from "vitest";
import { createActor, fromCallback, type AnyActorRef, type InspectionEvent } from "xstate";
import type { ChatStreamEvent, ChatStreamInput } from "../../machines/chat-stream.actor";
import { chatMachine } from "../../machines/chat.machine";
import { previewMachine } from "../../machines/preview.machine";
import {
  applyInspectionEvent,
  emptyInspectorModel,
  LOG_LIMIT,
  stateValueToString,
  summarizeContext,
  summarizePayload,
  type InspectorModel,
} from "./inspection-log";

const started: AnyActorRef[] = [];
afterEach(() => started.splice(0).forEach((actor) => actor.stop()));

/** An inspector that folds every inspection event into a model, as the panel's store does. */
function recorder() {
  let model = emptyInspectorModel();
  let now = 1_000;
  return {
    inspect: (event: InspectionEvent) => {
      model = applyInspectionEvent(model, event, now++);
    },
    get model(): InspectorModel {
      return model;
    },
    machine: (name: string) => model.machines.find((machine) => machine.name === name),
  };
}

/** A chat whose stream actor is scripted: `push` is what the server sends. */
function startChat(inspect: (event: InspectionEvent) => void) {
  let push: (event: ChatStreamEvent) => void = () => {
    throw new Error("no request was made");
  };
  const chatStream = fromCallback<{ type: "noop" }, ChatStreamInput>(({ sendBack }) => {
    push = sendBack;
  });
  const actor = createActor(chatMachine.provide({ actors: { chatStream } }), { input: { model: "fake-coder" }, inspect });
  started.push(actor.start());
  return { actor, push: (event: ChatStreamEvent) => push(event) };
}

/** A synthetic root actor, for the log's own rules. */
const root = (sessionId: string, id = "chat") => ({ sessionId, src: { id }, send: () => {}, getSnapshot: () => undefined });
const received = (type: string, sessionId = "x:0", fields: object = {}): InspectionEvent =>
  ({
    type: "@xstate.event",
    rootId: sessionId,
    actorRef: root(sessionId),
    sourceRef: undefined,
    event: { type, ...fields },
  }) as never;

describe("the inspector's model", () => {
  it("follows the chat machine through a turn: its state, its figures, and each event with the state it led to", () => {
    const inspector = recorder();
    const chat = startChat(inspector.inspect);
    expect(inspector.machine("chat")).toMatchObject({ state: "idle", status: "active" });

    chat.actor.send({ type: "TYPE", text: "A pomodoro timer" });
    chat.actor.send({ type: "SUBMIT" });
    expect(inspector.machine("chat")?.state).toBe("active.requesting");
    chat.push({ type: "server.meta", data: { requestId: "r1", provider: "fake", model: "fake-coder" } });
    for (const text of ["Here it is.\n\n```tsx\n", "export default function App() {\n", "  return null;\n}\n```\n"])
      chat.push({ type: "server.delta", data: { text } });
    expect(inspector.machine("chat")?.state).toBe("active.streaming");
    chat.push({ type: "server.done", data: { finishReason: "stop" } });

    expect(inspector.machine("chat")).toMatchObject({
      state: "done",
      summary: [
        ["messages", "2"],
        ["versions", "1"],
        ["model", "fake-coder"],
        ["draft", "0 chars"],
        ["error", "—"],
      ],
    });
    expect(inspector.model.log.map(({ type, from, count, state }) => ({ type, from, count, state }))).toEqual([
      { type: "xstate.init", from: undefined, count: 1, state: "idle" },
      { type: "TYPE", from: undefined, count: 1, state: "idle" },
      { type: "SUBMIT", from: undefined, count: 1, state: "active.requesting" },
      { type: "server.meta", from: "chatStream", count: 1, state: "active.requesting" },
      // A stream's deltas are one line that counts them, so they do not push everything else out.
      { type: "server.delta", from: "chatStream", count: 3, state: "active.streaming" },
      { type: "server.done", from: "chatStream", count: 1, state: "done" },
    ]);
    expect(inspector.model.log.find((entry) => entry.type === "TYPE")?.payload).toBe('text: "A pomodoro timer"');
  });

  it("shows the preview machine beside the chat, with its code's length and never the code", () => {
    const inspector = recorder();
    startChat(inspector.inspect);
    const preview = createActor(previewMachine, { input: { startTimeoutMs: 60_000 }, inspect: inspector.inspect });
    started.push(preview.start());
    const code = `export default function App() {\n${"  // a line of the app\n".repeat(200)}}\n`;
    preview.send({ type: "SHOW", version: 1, files: { "/App.tsx": code }, fromFix: false, autoFixable: true });

    expect(inspector.model.machines.map((machine) => machine.name)).toEqual(["chat", "preview"]);
    expect(inspector.machine("preview")).toMatchObject({
      state: "loading.starting",
      summary: [
        ["version", "1"],
        ["code", `${code.length} chars`],
        ["runs", "1"],
        ["error", "—"],
      ],
    });
    const show = inspector.model.log.find((entry) => entry.type === "SHOW")!;
    expect(show.actor).toBe("preview");
    expect(show.payload.length).toBeLessThanOrEqual(100);
    expect(show.payload).toContain(`(${code.length} chars)`);
    expect(show.payload).not.toContain("a line of the app");
  });

  it("keeps the last 100 events, oldest dropped first", () => {
    let model = emptyInspectorModel();
    for (let i = 0; i < 150; i++) model = applyInspectionEvent(model, received(i % 2 ? "TYPE" : "SUBMIT", "x:0", { i }), i);
    expect(model.log).toHaveLength(LOG_LIMIT);
    expect(model.log[0]).toMatchObject({ seq: 51, payload: "i: 50" });
    expect(model.log.at(-1)).toMatchObject({ seq: 150, payload: "i: 149", time: 149 });
  });

  it("shows one actor per machine: a new actor of the same machine replaces the old one", () => {
    let model = applyInspectionEvent(emptyInspectorModel(), received("xstate.init", "x:0"), 1);
    model = applyInspectionEvent(model, received("xstate.init", "y:0"), 2);
    expect(model.machines).toHaveLength(1);
    expect(model.machines[0].sessionId).toBe("y:0");
  });

  it("ignores actors never started, and events sent to an invoked actor rather than by it", () => {
    const registered = { type: "@xstate.actor", rootId: "x:0", actorRef: root("x:0") } as unknown as InspectionEvent;
    const toChild = {
      type: "@xstate.event",
      rootId: "x:0",
      actorRef: { ...root("x:1"), src: "chatStream" },
      sourceRef: root("x:0"),
      event: { type: "xstate.init" },
    } as unknown as InspectionEvent;
    const model = [registered, toChild].reduce((m, event) => applyInspectionEvent(m, event, 1), emptyInspectorModel());
    expect(model).toEqual(emptyInspectorModel());
  });
});

describe("stateValueToString", () => {
  it("writes a state as the dotted path of its states", () => {
    expect(stateValueToString("idle")).toBe("idle");
    expect(stateValueToString({ active: "streaming" })).toBe("active.streaming");
    expect(stateValueToString({ a: { b: "c" } })).toBe("a.b.c");
  });

  it("lists parallel regions with commas", () => {
    expect(stateValueToString({ upload: { sending: "chunk" }, theme: "dark" })).toBe("upload.sending.chunk, theme.dark");
    expect(stateValueToString({ wrapper: { left: "on", right: {} } })).toBe("wrapper.left.on, wrapper.right");
  });
});

describe("summaries", () => {
  it("summarises an event's payload in a line: short strings whole, long ones by start and length, objects one level", () => {
    expect(summarizePayload({ type: "CANCEL" })).toBe("");
    expect(summarizePayload({ type: "server.delta", data: { text: "x".repeat(40) } })).toBe(
      'data: {text: "xxxxxxxxxxxxxxxx"… (40 chars)}',
    );
    expect(summarizePayload({ type: "X", list: [1, 2, 3], nested: { deep: { deeper: 1 } }, ok: true })).toBe(
      "list: [3], nested: {deep: {…}}, ok: true",
    );
    expect(
      summarizePayload({ type: "X", a: "y".repeat(20), b: "y".repeat(20), c: "y".repeat(20), d: "y".repeat(20) }),
    ).toHaveLength(100);
  });

  it("names a failed turn's error code, and gives no figures for a machine it does not know", () => {
    expect(
      summarizeContext("chat", { messages: [], versions: [], model: "m", draft: "", error: { code: "rate_limited" } }),
    ).toContainEqual(["error", "rate_limited"]);
    expect(summarizeContext("other", { anything: 1 })).toEqual([]);
  });
});
