/**
 * What the relay saves per request, against a real SQLite store (a temp file). Each flow sends the
 * conversation the browser would send (the chat machine's messages, as toRequestMessages builds them),
 * then saves the answer the way the relay does when the stream ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatChangedError, saveAnswer, saveUserTurn, type SavedTurn } from "./chat-persistence.server";
import type { ChatMessage } from "./chat-request";
import type { ChatStore, StoredMessage, StoredMessageState } from "./db/chat-store";
import { openChatStore } from "./db/open-chat-store.server";
import type { ReceiptFigures } from "../machines/receipt";

const tempDir = mkdtempSync(join(tmpdir(), "kiln-persistence-test-"));
let store: ChatStore;

beforeAll(async () => {
  store = await openChatStore(`file:${join(tempDir, "kiln.db")}`);
});

afterAll(async () => {
  await store?.close();
  rmSync(tempDir, { recursive: true, force: true });
});

const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });
const reply = (code: string) =>
  `Here is your app.\n\n\`\`\`tsx\nexport default function App() {\n  return <h1>${code}</h1>;\n}\n\`\`\``;

async function newChat() {
  return (await store.createChat({ title: "A timer", model: "m" })).id;
}

/** One request as the relay handles it: save the user's turn, stream, save the answer. */
async function request(
  chatId: string,
  messages: ChatMessage[],
  answer: { content: string; state?: StoredMessageState; provider?: string; model?: string; receipt?: ReceiptFigures },
  options: { regenerate?: boolean } = {},
): Promise<SavedTurn> {
  const turn = await saveUserTurn(store, chatId, messages, options);
  await saveAnswer(store, turn, { state: "complete", provider: "together", model: "m", ...answer });
  return turn;
}

const summary = (messages: StoredMessage[]) =>
  messages.map(({ position, role, content, state }) => ({ position, role, content, state }));

/** The saved chat is one straight line: positions 0..n-1, user and assistant taking turns, user first. */
function expectStraightLine(messages: StoredMessage[]) {
  expect(messages.map((m) => m.position)).toEqual(messages.map((_, i) => i));
  expect(messages.map((m) => m.role)).toEqual(messages.map((_, i) => (i % 2 === 0 ? "user" : "assistant")));
}

describe("saving a chat's turns", () => {
  it("the first prompt is saved before any answer, so nothing typed is lost if the server dies", async () => {
    const chatId = await newChat();
    const turn = await saveUserTurn(store, chatId, [user("a timer")]);
    expect(turn).toEqual({ chatId });
    const saved = await store.listMessages(chatId);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({
      chatId,
      position: 0,
      role: "user",
      content: "a timer",
      state: "complete",
      provider: null,
      model: null,
    });
  });

  it("the answer is saved after the prompt with its state and who answered", async () => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], {
      content: reply("Timer"),
      state: "complete",
      provider: "backend-ai",
      model: "llama-3",
    });
    const saved = await store.listMessages(chatId);
    expect(saved).toHaveLength(2);
    expect(saved[1]).toMatchObject({
      position: 1,
      role: "assistant",
      content: reply("Timer"),
      state: "complete",
      provider: "backend-ai",
      model: "llama-3",
    });
    expectStraightLine(saved);
  });

  it("the answer is saved with its receipt; a retry's answer replaces it, and one saved without a receipt leaves none", async () => {
    const chatId = await newChat();
    const failedReceipt = { firstTokenMs: 200, totalMs: 3_000, retries: 3, fallbacks: 0 };
    await request(chatId, [user("a timer")], { content: "Here is a ti", state: "failed", receipt: failedReceipt });
    expect((await store.listMessages(chatId)).map((m) => m.receipt)).toEqual([null, failedReceipt]);
    const receipt = { firstTokenMs: 350, totalMs: 5_100, retries: 0, fallbacks: 1, fellBackFrom: "together", outputTokens: 40 };
    await request(
      chatId,
      [user("a timer")],
      { content: reply("Timer"), provider: "backup", model: "b", receipt },
      { regenerate: true },
    );
    const [, answer] = await store.listMessages(chatId);
    expect(answer).toMatchObject({ state: "complete", provider: "backup", model: "b", receipt });
    await request(chatId, [user("a timer")], { content: reply("Timer 2") }, { regenerate: true });
    expect((await store.listMessages(chatId)).map((m) => m.receipt)).toEqual([null, null]);
  });

  it.each(["stopped", "failed"] as const)("a cut-short answer is saved with what arrived, marked %s", async (state) => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], { content: "Here is a ti", state });
    expect(summary(await store.listMessages(chatId))).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete" },
      { position: 1, role: "assistant", content: "Here is a ti", state },
    ]);
  });

  it.each(["complete", "stopped", "failed"] as const)("an empty answer (%s) is not saved", async (state) => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], { content: "", state });
    expect(summary(await store.listMessages(chatId))).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete" },
    ]);
  });

  it("a follow-up is saved at the next positions, after the earlier turns", async () => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], { content: reply("Timer") });
    const turn = await request(chatId, [user("a timer"), assistant(reply("Timer")), user("make it blue")], {
      content: reply("Blue timer"),
    });
    expect(turn.replacesMessageId).toBeUndefined();
    const saved = await store.listMessages(chatId);
    expect(summary(saved)).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete" },
      { position: 1, role: "assistant", content: reply("Timer"), state: "complete" },
      { position: 2, role: "user", content: "make it blue", state: "complete" },
      { position: 3, role: "assistant", content: reply("Blue timer"), state: "complete" },
    ]);
    expectStraightLine(saved);
  });

  it("Retry after a failed answer replaces that answer instead of adding a second prompt and answer", async () => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], { content: "Here is a ti", state: "failed", provider: "together", model: "m" });
    const [prompt, failed] = await store.listMessages(chatId);
    // The browser drops the cut-short answer and sends the same conversation again.
    const turn = await request(
      chatId,
      [user("a timer")],
      { content: reply("Timer"), state: "complete", provider: "backend-ai", model: "llama-3" },
      { regenerate: true },
    );
    expect(turn.replacesMessageId).toBe(failed.id);
    const saved = await store.listMessages(chatId);
    expect(saved).toHaveLength(2);
    expect(saved[0]).toMatchObject({ id: prompt.id, content: "a timer" });
    expect(saved[1]).toMatchObject({
      id: failed.id,
      position: 1,
      role: "assistant",
      content: reply("Timer"),
      state: "complete",
      provider: "backend-ai",
      model: "llama-3",
    });
    expectStraightLine(saved);
  });

  it("a Retry that fails again before any text keeps the earlier cut-short answer, still one prompt and one answer", async () => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], { content: "Here is a ti", state: "stopped" });
    await request(chatId, [user("a timer")], { content: "", state: "failed" }, { regenerate: true });
    expect(summary(await store.listMessages(chatId))).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete" },
      { position: 1, role: "assistant", content: "Here is a ti", state: "stopped" },
    ]);
  });

  it("an edited prompt replaces the prompt's text and its unfinished answer at the same position", async () => {
    const chatId = await newChat();
    const firstTurn = [user("a timer"), assistant(reply("Timer"))];
    await request(chatId, [user("a timer")], { content: reply("Timer") });
    await request(chatId, [...firstTurn, user("make it blu")], { content: "Sorry, bl", state: "failed" });
    const before = await store.listMessages(chatId);
    // Edit puts "make it blu" back in the box; the user fixes it and sends.
    const turn = await request(
      chatId,
      [...firstTurn, user("make it blue")],
      { content: reply("Blue timer") },
      { regenerate: true },
    );
    expect(turn.replacesMessageId).toBe(before[3].id);
    const saved = await store.listMessages(chatId);
    expect(summary(saved)).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete" },
      { position: 1, role: "assistant", content: reply("Timer"), state: "complete" },
      { position: 2, role: "user", content: "make it blue", state: "complete" },
      { position: 3, role: "assistant", content: reply("Blue timer"), state: "complete" },
    ]);
    expect(saved.map((m) => m.id)).toEqual(before.map((m) => m.id));
    expectStraightLine(saved);
  });

  it("an edited prompt whose first attempt left no answer updates the prompt and appends the answer", async () => {
    const chatId = await newChat();
    await request(chatId, [user("a timr")], { content: "", state: "failed" });
    const [prompt] = await store.listMessages(chatId);
    const turn = await request(chatId, [user("a timer")], { content: reply("Timer") }, { regenerate: true });
    expect(turn.replacesMessageId).toBeUndefined();
    const saved = await store.listMessages(chatId);
    expect(saved[0]).toMatchObject({ id: prompt.id, content: "a timer" });
    expect(summary(saved)).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete" },
      { position: 1, role: "assistant", content: reply("Timer"), state: "complete" },
    ]);
  });

  it("Regenerate after a reload mid-answer (only the prompt was saved) appends the answer to that prompt", async () => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], { content: reply("Timer") });
    // The server died while answering the follow-up: only the prompt was saved.
    await saveUserTurn(store, chatId, [user("a timer"), assistant(reply("Timer")), user("make it blue")]);
    expect(await store.listMessages(chatId)).toHaveLength(3);
    // The reopened chat's Regenerate sends the saved conversation as it is.
    const turn = await request(chatId, [user("a timer"), assistant(reply("Timer")), user("make it blue")], {
      content: reply("Blue timer"),
    });
    expect(turn.replacesMessageId).toBeUndefined();
    const saved = await store.listMessages(chatId);
    expect(summary(saved)).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete" },
      { position: 1, role: "assistant", content: reply("Timer"), state: "complete" },
      { position: 2, role: "user", content: "make it blue", state: "complete" },
      { position: 3, role: "assistant", content: reply("Blue timer"), state: "complete" },
    ]);
    expectStraightLine(saved);
  });

  it("a whole session of follow-ups, retries, an edit and a regenerate stays one straight line", async () => {
    const chatId = await newChat();
    const sent: ChatMessage[] = [];
    const check = async (expected: string[]) => {
      const saved = await store.listMessages(chatId);
      expectStraightLine(saved);
      expect(saved.map((m) => m.content)).toEqual(expected);
    };
    // Turn 1, stopped, then retried.
    await request(chatId, [user("a timer")], { content: "Here", state: "stopped" });
    await check(["a timer", "Here"]);
    await request(chatId, [user("a timer")], { content: reply("v1") }, { regenerate: true });
    await check(["a timer", reply("v1")]);
    sent.push(user("a timer"), assistant(reply("v1")));
    // Turn 2, fails, edited.
    await request(chatId, [...sent, user("blue")], { content: "Sor", state: "failed" });
    await check(["a timer", reply("v1"), "blue", "Sor"]);
    await request(chatId, [...sent, user("make it blue")], { content: reply("v2") }, { regenerate: true });
    await check(["a timer", reply("v1"), "make it blue", reply("v2")]);
    sent.push(user("make it blue"), assistant(reply("v2")));
    // Turn 3: the server dies before answering; the reopened chat regenerates.
    await saveUserTurn(store, chatId, [...sent, user("add a reset button")]);
    await check(["a timer", reply("v1"), "make it blue", reply("v2"), "add a reset button"]);
    await request(chatId, [...sent, user("add a reset button")], { content: reply("v3") }, { regenerate: true });
    await check(["a timer", reply("v1"), "make it blue", reply("v2"), "add a reset button", reply("v3")]);
  });

  it("a prompt's images are saved with it; a Retry keeps them, an edit that drops or changes them replaces them", async () => {
    const chatId = await newChat();
    const [first, second] = await Promise.all(
      [1, 2].map(() => store.saveImage({ chatId, mediaType: "image/png", data: Buffer.from("png"), width: 1, height: 1 })),
    );
    const withFirst: ChatMessage = { ...user("build this screenshot"), images: [first.id] };
    await request(chatId, [withFirst], { content: "cut", state: "failed" });
    const imagesSaved = async () => (await store.listMessages(chatId)).map((m) => m.images);
    expect(await imagesSaved()).toEqual([[first.id], null]);

    await request(chatId, [withFirst], { content: reply("Retry") }, { regenerate: true });
    expect(await imagesSaved()).toEqual([[first.id], null]);

    await request(chatId, [{ ...withFirst, images: [second.id, first.id] }], { content: reply("Edit") }, { regenerate: true });
    expect(await imagesSaved()).toEqual([[second.id, first.id], null]);

    await request(chatId, [user("build this screenshot")], { content: reply("No image") }, { regenerate: true });
    expect(await imagesSaved()).toEqual([null, null]);
    expectStraightLine(await store.listMessages(chatId));
  });

  it("a stale copy of the conversation is refused and nothing saved changes", async () => {
    const chatId = await newChat();
    const turn1 = [user("a timer"), assistant(reply("v1"))];
    await request(chatId, [user("a timer")], { content: reply("v1") });
    await request(chatId, [...turn1, user("blue")], { content: reply("v2") });
    const before = await store.listMessages(chatId);
    // A tab that never saw turn 2: a new turn at its old position, a regenerate of turn 1, a replay of turn 2 unannounced.
    await expect(saveUserTurn(store, chatId, [...turn1, user("red")])).rejects.toBeInstanceOf(ChatChangedError);
    await expect(saveUserTurn(store, chatId, [user("a timer")], { regenerate: true })).rejects.toBeInstanceOf(ChatChangedError);
    await expect(saveUserTurn(store, chatId, [...turn1, user("blue")])).rejects.toBeInstanceOf(ChatChangedError);
    // A conversation longer than the saved one (it holds turns this chat never saved).
    await expect(
      saveUserTurn(store, chatId, [...turn1, user("blue"), assistant(reply("v2")), user("x"), assistant("y"), user("z")]),
    ).rejects.toBeInstanceOf(ChatChangedError);
    expect(await store.listMessages(chatId)).toEqual(before);
  });

  it("two tabs sending a new turn at once: one is saved, the other is refused, and the chat stays one straight line", async () => {
    const chatId = await newChat();
    await request(chatId, [user("a timer")], { content: reply("v1") });
    const turn1 = [user("a timer"), assistant(reply("v1"))];
    const results = await Promise.allSettled([
      saveUserTurn(store, chatId, [...turn1, user("blue")]),
      saveUserTurn(store, chatId, [...turn1, user("red")]),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(Error);
    expect(["ChatChangedError", "PositionTakenError"]).toContain(refused.reason.name);
    const saved = await store.listMessages(chatId);
    expect(saved).toHaveLength(3);
    expect(saved.map((m) => m.position)).toEqual([0, 1, 2]);
  });
});
