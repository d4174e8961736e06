/**
 * Two production servers on one Postgres, as behind a load balancer: a chat started on one goes on
 * on the other, and when one is drained with SIGTERM mid-stream the browser's chat machine recovers
 * through the other without losing the turn. Needs TEST_DATABASE_URL (CI starts a Postgres).
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

/** One browser: it creates the chats these tests write to, so they are its own. */
const jar = cookieJar();
afterEach(() => vi.unstubAllGlobals());

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const MODEL = "deepseek-ai/DeepSeek-V3";

describe.skipIf(!DATABASE_URL)("replicas sharing Postgres (set TEST_DATABASE_URL to run)", () => {
  let fake: FakeProvider;
  let a: KilnServer;
  let b: KilnServer;
  let store: ChatStore;

  beforeAll(async () => {
    fake = await startFakeProvider();
    const env = { DATABASE_URL: DATABASE_URL!, TOGETHER_API_KEY: "k", TOGETHER_BASE_URL: fake.url, KILN_DRAIN_MS: "300" };
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
