/**
 * Two production servers on one Postgres, as behind a load balancer: a chat started on one goes on
 * on the other; a generation running on one is reattached to through the other; and when one is
 * drained with SIGTERM mid-answer the browser's chat machine reattaches through the other, which
 * takes the generation over, without losing the turn. Needs TEST_DATABASE_URL (CI starts a Postgres).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createActor, waitFor } from "xstate";
import { chatMachine } from "../../machines/chat.machine";
import type { ChatStore } from "../../server/db/chat-store";
import { openChatStore } from "../../server/db/open-chat-store.server";
import { startFailoverProxy, type FailoverProxy } from "../support/failover-proxy";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";
import { cookieJar } from "../support/cookie-jar";
import { deltaCount, generationOf, readFrames, textOf } from "../support/read-frames";

/** One browser: it creates the chats these tests write to, so they are its own. */
const jar = cookieJar();
afterEach(() => vi.unstubAllGlobals());

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const MODEL = "deepseek-ai/DeepSeek-V3";
const CONTINUING_MODEL = "served-model";

describe.skipIf(!DATABASE_URL)("replicas sharing Postgres (set TEST_DATABASE_URL to run)", () => {
  let fake: FakeProvider;
  let a: KilnServer;
  let b: KilnServer;
  let store: ChatStore;

  beforeAll(async () => {
    fake = await startFakeProvider();
    const env = {
      DATABASE_URL: DATABASE_URL!,
      TOGETHER_API_KEY: "k",
      TOGETHER_BASE_URL: fake.url,
      KILN_DRAIN_MS: "300",
      // A second provider that continues an answer from its prefix (vLLM's continue_final_message).
      BACKEND_AI_ENDPOINT: fake.url,
      MODEL_NAME: CONTINUING_MODEL,
      KILN_BACKEND_AI_CONTINUATION: "true",
    };
    [a, b] = await Promise.all([startKilnServer(env), startKilnServer(env)]);
    store = await openChatStore(DATABASE_URL!);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.close();
    await fake?.close();
  });

  async function post(server: string, path: string, body: unknown) {
    return jar.fetch(`${server}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  it("a chat created on one replica continues on the other", async () => {
    const { id } = (await (await post(a.url, "/api/chats", { model: MODEL, title: "shared" })).json()) as { id: string };
    const first = await readSse(
      await post(a.url, "/api/chat", { model: MODEL, chatId: id, messages: [{ role: "user", content: "a timer" }] }),
    );
    const second = await readSse(
      await post(b.url, "/api/chat", {
        model: MODEL,
        chatId: id,
        messages: [
          { role: "user", content: "a timer" },
          { role: "assistant", content: first.text },
          { role: "user", content: "bigger [fake:reply=follow-up]" },
        ],
      }),
    );
    expect(second.sequence.at(-1)).toBe("done");
    expect((await store.listMessages(id)).map((m) => [m.position, m.role, m.state])).toEqual([
      [0, "user", "complete"],
      [1, "assistant", "complete"],
      [2, "user", "complete"],
      [3, "assistant", "complete"],
    ]);
    expect(await (await fetch(`${a.url}/chats/${id}`)).text()).toContain("bigger [fake:reply=follow-up]");
  });

  it("a generation running on one replica is reattached to through the other: exactly the missed events, then the rest", async () => {
    const { id } = (await (await post(a.url, "/api/chats", { model: MODEL, title: "follow" })).json()) as { id: string };
    const started = await post(a.url, "/api/chat", {
      model: MODEL,
      chatId: id,
      messages: [{ role: "user", content: "a timer [fake:reply=no-code][fake:tps=30]" }],
    });
    const first = await readFrames(started, (frames) => deltaCount(frames) >= 3);
    const generation = generationOf(first);
    const lastId = first.at(-1)!.id!;
    const rest = await readFrames(
      await jar.fetch(`${b.url}/api/chats/${id}/stream?generation=${generation}`, { headers: { "Last-Event-ID": lastId } }),
    );
    expect(rest.map((f) => Number(f.id))).toEqual(rest.map((_, i) => Number(lastId) + 1 + i));
    expect(rest.at(-1)!.event.event).toBe("done");
    expect(textOf([...first, ...rest])).toBe(fake.requests.at(-1)!.replyText);
    // Another browser's cookie gets nothing through B either.
    const stranger = await cookieJar().fetch(`${b.url}/api/chats/${id}/stream?generation=${generation}`);
    expect(stranger.status).toBe(403);
  });

  it("draining a replica mid-answer hands the generation over: the machine reattaches through the other, which continues the same answer", async () => {
    let proxy: FailoverProxy | undefined;
    let drainingA: KilnServer | undefined;
    try {
      drainingA = await startKilnServer({
        DATABASE_URL: DATABASE_URL!,
        TOGETHER_API_KEY: "k",
        TOGETHER_BASE_URL: fake.url,
        KILN_DRAIN_MS: "300",
        BACKEND_AI_ENDPOINT: fake.url,
        MODEL_NAME: CONTINUING_MODEL,
        KILN_BACKEND_AI_CONTINUATION: "true",
      });
      proxy = await startFailoverProxy([drainingA.url, b.url]);
      const { id } = (await (await post(proxy.url, "/api/chats", { model: CONTINUING_MODEL, title: "hand over" })).json()) as {
        id: string;
      };
      vi.stubGlobal("fetch", jar.fetch);
      const chat = createActor(chatMachine, {
        input: { model: CONTINUING_MODEL, chatId: id, apiUrl: `${proxy.url}/api/chat`, reconnectBaseMs: 50 },
      }).start();
      chat.send({ type: "SUBMIT", prompt: "a pomodoro [fake:reply=no-code][fake:tps=20]" });
      await waitFor(chat, (s) => s.context.draft.length > 40, { timeout: 10_000 });
      const exited = new Promise<number | null>((resolve) => drainingA!.process.once("exit", resolve));
      drainingA.process.kill("SIGTERM");
      const done = await waitFor(chat, (s) => s.matches("done") || s.matches("error"), { timeout: 15_000 });
      expect(done.value).toBe("done");
      expect(await exited).toBe(0);
      expect(done.context.turn?.reconnected).toBe(true);
      // One answer, continued from A's prefix by B: exactly the reply, nothing twice.
      const completions = fake.requests.filter((r) => r.path === "/v1/chat/completions" && r.body.model === CONTINUING_MODEL);
      expect(completions.at(-1)!.body.continue_final_message).toBe(true);
      expect(done.context.messages.at(-1)!.content).toBe(completions.at(-2)!.replyText);
      expect(b.logs.some((line) => line.includes("taking over a generation"))).toBe(true);
      expect((await store.listMessages(id)).map((m) => [m.role, m.state, m.content])).toEqual([
        ["user", "complete", "a pomodoro [fake:reply=no-code][fake:tps=20]"],
        ["assistant", "complete", done.context.messages.at(-1)!.content],
      ]);
      chat.stop();
    } finally {
      await proxy?.close();
      await drainingA?.stop();
    }
  });

  it("draining one replica mid-stream: the client reconnects through the other and the turn completes", async () => {
    let proxy: FailoverProxy | undefined;
    try {
      proxy = await startFailoverProxy([a.url, b.url]);
      const { id } = (await (await post(proxy.url, "/api/chats", { model: MODEL, title: "drain" })).json()) as { id: string };
      // The machine's requests carry the owner cookie, as the browser's do.
      vi.stubGlobal("fetch", jar.fetch);
      const chat = createActor(chatMachine, {
        input: { model: MODEL, chatId: id, apiUrl: `${proxy.url}/api/chat`, reconnectBaseMs: 50 },
      }).start();
      // The first attempt stalls on replica A (the fake stalls only the first request for this prompt).
      chat.send({ type: "SUBMIT", prompt: "a timer [fake:stall-after=5][fake:fail-times=1]" });
      await waitFor(chat, (s) => s.matches({ active: "streaming" }));

      const drained = new Promise<number | null>((resolve) => a.process.once("exit", resolve));
      a.process.kill("SIGTERM");
      const done = await waitFor(chat, (s) => s.matches("done") || s.matches("error"), { timeout: 15_000 });

      expect(done.value).toBe("done");
      expect(await drained).toBe(0);
      expect(proxy.served.slice(-1)).toEqual([b.url]);
      const answer = done.context.messages.at(-1)!;
      expect(answer).toMatchObject({ role: "assistant", state: "complete" });
      expect(answer.content).toBe(fake.requests.at(-1)!.replyText);
      // One turn in the database: the partial answer from A was replaced by B's.
      expect((await store.listMessages(id)).map((m) => [m.role, m.state])).toEqual([
        ["user", "complete"],
        ["assistant", "complete"],
      ]);
      chat.stop();
    } finally {
      await proxy?.close();
    }
  });
});
