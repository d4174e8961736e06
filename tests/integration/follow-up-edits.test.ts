/**
 * Follow-ups answered with edit blocks, through Kiln's production server and the fake provider: the
 * follow-up gets the edit-block instructions and the latest code once, the saved answer holds the
 * complete new file, and edit blocks that do not apply make exactly one whole-file request, or a typed
 * `edit_failed`, never a half-applied version. Runs on SQLite; with TEST_DATABASE_URL on Postgres too.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { extractReply } from "../../machines/code-fence";
import { EDIT_FAILED, EDIT_NOT_APPLIED } from "../../machines/wire-events";
import { omittedCodeNote } from "../../server/context-builder";
import type { ChatStore } from "../../server/db/chat-store";
import { openChatStore } from "../../server/db/open-chat-store.server";
import { FOLLOW_UP_SYSTEM_PROMPT, SYSTEM_PROMPT, WHOLE_FILE_SYSTEM_PROMPT } from "../../server/system-prompt";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { fakeReply } from "../support/fake-reply";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";
import { cookieJar } from "../support/cookie-jar";

/** One browser: it creates the chats these tests write to, so they are its own. */
const jar = cookieJar();

const MODEL = "deepseek-ai/DeepSeek-V3";
const databases: Array<[string, string]> = [
  ["sqlite", `file:${join(mkdtempSync(join(tmpdir(), "kiln-edits-")), "kiln.db")}`],
  ...(process.env.TEST_DATABASE_URL ? [["postgres", process.env.TEST_DATABASE_URL] as [string, string]] : []),
];

const codeOf = (answer: string) => extractReply(answer).code;
const FIRST = fakeReply("default");
const EXPECTED = codeOf(fakeReply("follow-up"));

describe.each(databases)("follow-ups with edit blocks (%s)", (_name, databaseUrl) => {
  let fake: FakeProvider;
  let kiln: KilnServer;
  let store: ChatStore;

  beforeAll(async () => {
    fake = await startFakeProvider();
    kiln = await startKilnServer({
      DATABASE_URL: databaseUrl,
      TOGETHER_API_KEY: "test-key",
      TOGETHER_BASE_URL: fake.url,
      KILN_MAX_RETRIES: "0",
      KILN_FALLBACK: "together",
    });
    store = await openChatStore(databaseUrl);
  });

  afterAll(async () => {
    await kiln?.stop();
    await store?.close();
    await fake?.close();
  });

  beforeEach(() => fake.reset());

  const completions = () => fake.requests.filter((r) => r.path.endsWith("/chat/completions"));

  async function newChat() {
    const response = await jar.fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "A timer" }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  async function ask(messages: Array<{ role: "user" | "assistant"; content: string }>, chatId?: string) {
    const response = await jar.fetch(`${kiln.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages, ...(chatId ? { chatId } : {}) }),
    });
    expect(response.status).toBe(200);
    return readSse(response);
  }

  /** A saved chat holding version 1 (the default pomodoro), ready for a follow-up. */
  async function chatWithVersion1() {
    const chatId = await newChat();
    const first = await ask([{ role: "user", content: "a pomodoro timer" }], chatId);
    expect(first.text).toBe(FIRST);
    fake.reset();
    return chatId;
  }

  const followUp = (directives: string) => [
    { role: "user" as const, content: "a pomodoro timer" },
    { role: "assistant" as const, content: FIRST },
    { role: "user" as const, content: `make the buttons bigger ${directives}` },
  ];

  it("asks a first version for the whole app, and a follow-up for edit blocks against the code it holds", async () => {
    await ask([{ role: "user", content: "a pomodoro timer" }]);
    await ask(followUp("[fake:reply=edit]"));
    const [first, second] = completions();
    expect(first.body.messages[0]).toEqual({ role: "system", content: SYSTEM_PROMPT });
    expect(second.body.messages[0]).toEqual({ role: "system", content: FOLLOW_UP_SYSTEM_PROMPT });
    expect(FOLLOW_UP_SYSTEM_PROMPT).toContain("<<<<<<< SEARCH");
    // The code to copy SEARCH lines from is there, once.
    const sent = JSON.stringify(second.body.messages);
    expect(sent.split("const FOCUS_SECONDS").length - 1).toBe(1);
    expect(second.body.max_tokens).toBeGreaterThan(0);
  });

  it("saves an edit-block answer as the complete new file, equal to the expected one", async () => {
    const chatId = await chatWithVersion1();
    const stream = await ask(followUp("[fake:reply=edit]"), chatId);
    expect(stream.sequence).toEqual(["meta", "delta", "done"]);
    // The stream is what the model said: the blocks.
    expect(stream.text).toBe(fakeReply("edit"));
    const saved = (await store.listMessages(chatId)).at(-1)!;
    expect(saved).toMatchObject({ role: "assistant", state: "complete" });
    expect(saved.content).not.toContain("<<<<<<< SEARCH");
    expect(codeOf(saved.content)).toBe(EXPECTED);
    expect(completions()).toHaveLength(1);
  });

  it("a bad edit makes exactly one whole-file request, announced by reset, and saves only the whole file", async () => {
    const chatId = await chatWithVersion1();
    const stream = await ask(followUp("[fake:reply=bad-edit][fake:then-reply=follow-up]"), chatId);
    expect(stream.sequence).toEqual(["meta", "delta", "reset", "delta", "done"]);
    expect(stream.events.find((e) => e.event === "reset")).toEqual({ event: "reset", data: { reason: EDIT_NOT_APPLIED } });
    // No `done` for the bad edit: the only version the client can make is the whole file.
    expect(stream.events.filter((e) => e.event === "done")).toHaveLength(1);
    expect(codeOf(stream.text)).toBe(EXPECTED);
    const [first, second] = completions();
    expect(completions()).toHaveLength(2);
    expect(first.body.messages[0].content).toBe(FOLLOW_UP_SYSTEM_PROMPT);
    expect(second.body.messages[0].content).toBe(WHOLE_FILE_SYSTEM_PROMPT);
    // Same conversation both times: the user's words are not changed.
    expect(second.body.messages.slice(1)).toEqual(first.body.messages.slice(1));
    const saved = (await store.listMessages(chatId)).at(-1)!;
    expect(saved.state).toBe("complete");
    expect(codeOf(saved.content)).toBe(EXPECTED);
  });

  it("a bad edit twice ends in a retryable edit_failed, with no done and nothing saved as a version", async () => {
    const chatId = await chatWithVersion1();
    const stream = await ask(followUp("[fake:reply=bad-edit]"), chatId);
    expect(stream.sequence).toEqual(["meta", "delta", "reset", "delta", "error"]);
    const error = stream.events.at(-1)!;
    expect(error).toMatchObject({ event: "error", data: { code: EDIT_FAILED, retryable: true } });
    expect(completions()).toHaveLength(2);
    const saved = (await store.listMessages(chatId)).at(-1)!;
    expect(saved.state).toBe("failed");
  });

  it("turn N carries the latest code once and no older version's code, so request size stays flat", async () => {
    const sizes: number[] = [];
    const history: Array<{ role: "user" | "assistant"; content: string }> = [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: FIRST },
    ];
    for (let turn = 2; turn <= 10; turn++) {
      fake.reset();
      const stream = await ask([...history, { role: "user", content: `change ${turn} [fake:reply=follow-up]` }]);
      const [request] = completions();
      const body = JSON.stringify(request.body.messages);
      sizes.push(body.length);
      expect(body.split("const FOCUS_SECONDS").length - 1).toBe(1);
      if (turn > 2) expect(body).toContain(omittedCodeNote(1));
      history.push(
        { role: "user", content: `change ${turn} [fake:reply=follow-up]` },
        { role: "assistant", content: stream.text },
      );
    }
    // Each later turn adds its prompt, the answer's prose and a short note: far less than another copy of the app.
    const perTurn = (sizes.at(-1)! - sizes[0]) / (sizes.length - 1);
    expect(perTurn).toBeLessThan(JSON.stringify(EXPECTED).length / 4);
  });
});
