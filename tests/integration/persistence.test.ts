/**
 * What a chat leaves in the database, through the production server: the user's message before the
 * provider is called, the answer when the stream ends (complete, failed or stopped), one row per turn
 * when a turn is retried, and a readable database after the server is killed mid-stream.
 * Runs on SQLite; with TEST_DATABASE_URL (postgres://…) the same story runs on Postgres too.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatStore } from "../../server/db/chat-store";
import { openChatStore } from "../../server/db/open-chat-store.server";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";
import { cookieJar } from "../support/cookie-jar";

/** One browser: it creates the chats these tests write to, so they are its own. */
const jar = cookieJar();

const MODEL = "deepseek-ai/DeepSeek-V3";
const databases: Array<[string, string]> = [
  ["sqlite", `file:${join(mkdtempSync(join(tmpdir(), "kiln-persist-")), "kiln.db")}`],
  ...(process.env.TEST_DATABASE_URL ? [["postgres", process.env.TEST_DATABASE_URL] as [string, string]] : []),
];

describe.each(databases)("chats are saved (%s)", (_name, databaseUrl) => {
  let fake: FakeProvider;
  let kiln: KilnServer;
  let store: ChatStore;

  const env = () => ({
    DATABASE_URL: databaseUrl,
    TOGETHER_API_KEY: "test-key",
    TOGETHER_BASE_URL: fake.url,
    KILN_MAX_RETRIES: "0",
    KILN_FALLBACK: "together",
  });

  beforeAll(async () => {
    fake = await startFakeProvider();
    kiln = await startKilnServer(env());
    // A second connection, as an operator inspecting the database would have.
    store = await openChatStore(databaseUrl);
  });

  afterAll(async () => {
    await kiln?.stop();
    await store?.close();
    await fake?.close();
  });

  async function newChat(server = kiln) {
    const response = await jar.fetch(`${server.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "A timer" }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  function chat(chatId: string, messages: Array<{ role: string; content: string }>, init: RequestInit = {}, server = kiln) {
    return jar.fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, chatId, messages }),
      ...init,
    });
  }

  const rows = async (chatId: string) =>
    (await store.listMessages(chatId)).map(({ position, role, content, state, provider, model }) => ({
      position,
      role,
      content,
      state,
      provider,
      model,
    }));

  it("a completed stream leaves the user's message and the whole answer, marked complete", async () => {
    const id = await newChat();
    const stream = await readSse(await chat(id, [{ role: "user", content: "a timer" }]));
    expect(await rows(id)).toEqual([
      { position: 0, role: "user", content: "a timer", state: "complete", provider: null, model: null },
      { position: 1, role: "assistant", content: stream.text, state: "complete", provider: "together", model: MODEL },
    ]);
  });

  it("a failed stream leaves what arrived, marked failed", async () => {
    const id = await newChat();
    const stream = await readSse(await chat(id, [{ role: "user", content: "a timer [fake:no-done]" }]));
    expect(stream.sequence.at(-1)).toBe("error");
    const saved = await rows(id);
    expect(saved.map((r) => [r.role, r.state])).toEqual([
      ["user", "complete"],
      ["assistant", "failed"],
    ]);
    expect(saved[1].content).toBe(stream.text);
    expect(saved[1].content.length).toBeGreaterThan(0);
  });

  it("a stream stopped by the user leaves what arrived, marked stopped", async () => {
    const id = await newChat();
    const controller = new AbortController();
    const response = await chat(id, [{ role: "user", content: "a timer [fake:tps=20]" }], { signal: controller.signal });
    const reader = response.body!.getReader();
    let received = "";
    while (!received.includes("event: delta")) received += new TextDecoder().decode((await reader.read()).value);
    // Stop is said to the server: a chat's answer outlives its request (docs/wire-protocol.md).
    const stop = await jar.fetch(`${kiln.url}/api/chats/${id}/stop`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(await stop.json()).toEqual({ stopped: true });
    controller.abort();
    await expect.poll(async () => (await rows(id)).length, { timeout: 5_000 }).toBe(2);
    const saved = await rows(id);
    expect(saved[1]).toMatchObject({ role: "assistant", state: "stopped" });
    expect(saved[1].content.length).toBeGreaterThan(0);
  });

  it("a retried turn replaces its failed answer: one user message, one answer", async () => {
    const id = await newChat();
    const prompt = "a timer [fake:status=503][fake:fail-times=1]";
    await readSse(await chat(id, [{ role: "user", content: prompt }]));
    const retried = await readSse(await chat(id, [{ role: "user", content: prompt }]));
    expect(retried.sequence.at(-1)).toBe("done");
    expect((await rows(id)).map((r) => [r.role, r.state, r.content])).toEqual([
      ["user", "complete", prompt],
      ["assistant", "complete", retried.text],
    ]);
  });

  it("a follow-up is appended after the answers before it", async () => {
    const id = await newChat();
    const first = await readSse(await chat(id, [{ role: "user", content: "a timer" }]));
    await readSse(
      await chat(id, [
        { role: "user", content: "a timer" },
        { role: "assistant", content: first.text },
        { role: "user", content: "bigger [fake:reply=follow-up]" },
      ]),
    );
    expect((await rows(id)).map((r) => r.position)).toEqual([0, 1, 2, 3]);
  });

  it("refuses a chat id that does not exist, before calling the provider", async () => {
    const requests = fake.requests.length;
    const response = await chat("AAAAAAAAAAAAAAAAAAAAAA", [{ role: "user", content: "x" }]);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("chat_not_found");
    expect(fake.requests.length).toBe(requests);
  });

  it("a server killed mid-stream leaves the user's message and a readable database", async () => {
    const doomed = await startKilnServer(env());
    const id = await newChat(doomed);
    const response = await chat(id, [{ role: "user", content: "a timer [fake:tps=10]" }], {}, doomed);
    const reader = response.body!.getReader();
    let received = "";
    while (!received.includes("event: delta")) received += new TextDecoder().decode((await reader.read()).value);
    doomed.process.kill("SIGKILL");
    await doomed.stop();
    await reader.read().catch(() => undefined);

    expect((await rows(id))[0]).toMatchObject({ position: 0, role: "user", content: "a timer [fake:tps=10]" });
    // The database still works for the next server: the chat can go on.
    // Regenerating the interrupted turn (what the page's Regenerate button sends), with the prompt edited.
    const again = await readSse(
      await jar.fetch(`${kiln.url}/api/chat`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model: MODEL, chatId: id, messages: [{ role: "user", content: "a timer" }], regenerate: true }),
      }),
    );
    expect(again.sequence.at(-1)).toBe("done");
    expect((await rows(id)).at(-1)).toMatchObject({ role: "assistant", state: "complete" });
  });
});
