/**
 * A chat's answer outlives the request that started it, through the production server: the browser
 * leaving does not stop the provider call; coming back with Last-Event-ID gets exactly the events it
 * missed, then the rest; nobody coming back stops it after the grace period; Stop stops it at once;
 * only the chat's owner may attach. Runs on SQLite; with TEST_DATABASE_URL on Postgres too.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatStore } from "../../server/db/chat-store";
import { openChatStore } from "../../server/db/open-chat-store.server";
import { cookieJar } from "../support/cookie-jar";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { deltaCount as deltas, generationOf as requestIdOf, readFrames, textOf, type Frame } from "../support/read-frames";

const MODEL = "deepseek-ai/DeepSeek-V3";
const GRACE_MS = 4_000;
const databases: Array<[string, string]> = [
  ["sqlite", `file:${join(mkdtempSync(join(tmpdir(), "kiln-resume-")), "kiln.db")}`],
  ...(process.env.TEST_DATABASE_URL ? [["postgres", process.env.TEST_DATABASE_URL] as [string, string]] : []),
];

describe.each(databases)("a chat's answer outlives its request (%s)", (_name, databaseUrl) => {
  const owner = cookieJar();
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
      KILN_DETACHED_GRACE_MS: String(GRACE_MS),
    });
    store = await openChatStore(databaseUrl);
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    await kiln?.stop();
    await store?.close();
    await fake?.close();
  });

  async function newChat() {
    const response = await owner.fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "A timer" }),
    });
    return ((await response.json()) as { id: string }).id;
  }

  const ask = (chatId: string, prompt: string, signal?: AbortSignal) =>
    owner.fetch(`${kiln.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, chatId, messages: [{ role: "user", content: prompt }] }),
      signal,
    });

  const attach = (chatId: string, generation: string, lastEventId?: string, jar = owner) =>
    jar.fetch(`${kiln.url}/api/chats/${chatId}/stream?generation=${generation}`, {
      headers: lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId },
    });

  /** What the provider was asked (model discovery's GET /models aside). */
  const completions = () => fake.requests.filter((r) => r.path === "/v1/chat/completions");

  it("the browser leaving mid-answer does not stop it: one provider request, saved complete", async () => {
    const chatId = await newChat();
    const first = await readFrames(
      await ask(chatId, "a timer [fake:reply=no-code][fake:tps=30]"),
      (frames) => deltas(frames) >= 3,
    );
    expect(deltas(first)).toBeGreaterThanOrEqual(3);
    const [request] = completions();
    await fake.waitForClose(request.id, 20_000);
    expect(completions()).toHaveLength(1);
    expect(completions()[0]).toMatchObject({ closedByClient: false, finished: true });
    await expect
      .poll(async () => (await store.listMessages(chatId)).at(-1), { timeout: 5_000 })
      .toMatchObject({ role: "assistant", state: "complete", content: request.replyText });
    expect(requestIdOf(first)).toBeTruthy();
  });

  it("coming back with Last-Event-ID gets exactly the events after it, then the rest live: the text is exact", async () => {
    const chatId = await newChat();
    const first = await readFrames(
      await ask(chatId, "a timer [fake:reply=no-code][fake:tps=30]"),
      (frames) => deltas(frames) >= 4,
    );
    const lastId = first.at(-1)!.id!;
    expect(first.map((f) => Number(f.id))).toEqual(first.map((_, i) => i + 1));
    const rest = await readFrames(await attach(chatId, requestIdOf(first), lastId));
    // Numbered on from where the first connection stopped: nothing twice, nothing missing.
    expect(rest.map((f) => Number(f.id))).toEqual(rest.map((_, i) => Number(lastId) + 1 + i));
    expect(rest.at(-1)!.event.event).toBe("done");
    expect(textOf(first) + textOf(rest)).toBe(completions()[0].replyText);
    expect(completions()).toHaveLength(1);
  });

  it("a reloaded page attaches from the start (no Last-Event-ID) and gets the whole answer", async () => {
    const chatId = await newChat();
    const first = await readFrames(
      await ask(chatId, "a timer [fake:reply=no-code][fake:tps=30]"),
      (frames) => deltas(frames) >= 2,
    );
    const all = await readFrames(await attach(chatId, requestIdOf(first)));
    expect(all[0].event.event).toBe("meta");
    expect(textOf(all)).toBe(completions()[0].replyText);
  });

  it("nobody coming back within the grace period stops it: provider aborted, saved stopped", async () => {
    const chatId = await newChat();
    const first = await readFrames(await ask(chatId, "a timer [fake:tps=5]"), (frames) => deltas(frames) >= 1);
    const leftAt = Date.now();
    const closed = await fake.waitForClose(completions()[0].id, GRACE_MS + 10_000);
    expect(closed.closedByClient).toBe(true);
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(GRACE_MS - 200);
    await expect.poll(async () => (await store.listMessages(chatId)).at(-1)?.state, { timeout: 5_000 }).toBe("stopped");
    // A page coming back late learns why.
    const late = await readFrames(await attach(chatId, requestIdOf(first), first.at(-1)!.id));
    expect(late.at(-1)!.event).toMatchObject({ event: "error", data: { code: "generation_stopped" } });
  });

  it("Stop stops the provider call at once, while another page is still attached", async () => {
    const chatId = await newChat();
    const response = await ask(chatId, "a timer [fake:tps=5]");
    const frames: Frame[] = [];
    const reading = readFrames(response, (f) => {
      frames.splice(0, frames.length, ...f);
      return false;
    });
    await expect.poll(() => deltas(frames), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const stoppedAt = Date.now();
    const stop = await owner.fetch(`${kiln.url}/api/chats/${chatId}/stop`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ generation: requestIdOf(frames) }),
    });
    expect(await stop.json()).toEqual({ stopped: true });
    const closed = await fake.waitForClose(completions()[0].id, 5_000);
    expect(closed.closedByClient).toBe(true);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    const all = await reading;
    expect(all.at(-1)!.event).toMatchObject({ event: "error", data: { code: "generation_stopped" } });
  });

  it("only the chat's owner may attach or stop; an unknown generation is a clear 404", async () => {
    const chatId = await newChat();
    const first = await readFrames(
      await ask(chatId, "a timer [fake:reply=no-code][fake:tps=30]"),
      (frames) => deltas(frames) >= 1,
    );
    const stranger = cookieJar();
    const refused = await attach(chatId, requestIdOf(first), undefined, stranger);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "not_chat_owner" } });
    const stopRefused = await stranger.fetch(`${kiln.url}/api/chats/${chatId}/stop`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(stopRefused.status).toBe(403);
    const unknown = await attach(chatId, "no-such-generation");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "generation_not_found" } });
    const badId = await attach(chatId, requestIdOf(first), "seven");
    expect(badId.status).toBe(400);
  });
});
