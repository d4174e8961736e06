/**
 * Who may write to a chat, through the production server: the browser that created it (its owner
 * cookie) or, behind a trusted auth proxy, the identity it names; anyone with the link reads, and may
 * continue in a copy of their own. Shares are frozen snapshots, and a stale copy of the conversation
 * is refused (409) without touching what is saved. SQLite, and Postgres with TEST_DATABASE_URL.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractReply } from "../../machines/code-fence";
import { OWNER_COOKIE } from "../../server/chat-owner.server";
import type { ChatStore } from "../../server/db/chat-store";
import { openChatStore } from "../../server/db/open-chat-store.server";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { fakeReply } from "../support/fake-reply";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const MODEL = "deepseek-ai/DeepSeek-V3";
const databases: Array<[string, string]> = [
  ["sqlite", `file:${join(mkdtempSync(join(tmpdir(), "kiln-owner-")), "kiln.db")}`],
  ...(process.env.TEST_DATABASE_URL ? [["postgres", process.env.TEST_DATABASE_URL] as [string, string]] : []),
];

type Message = { role: "user" | "assistant"; content: string };

describe.each(databases)("chat ownership (%s)", (_name, databaseUrl) => {
  let fake: FakeProvider;
  let kiln: KilnServer;
  let behindUntrustedPeer: KilnServer;
  let store: ChatStore;

  beforeAll(async () => {
    fake = await startFakeProvider();
    const env = {
      DATABASE_URL: databaseUrl,
      TOGETHER_API_KEY: "test-key",
      TOGETHER_BASE_URL: fake.url,
      KILN_MAX_RETRIES: "0",
      KILN_FALLBACK: "together",
      KILN_RATE_LIMIT_PER_MINUTE: "0",
      KILN_AUTH_HEADER: "X-Forwarded-Email",
    };
    // The tests connect from 127.0.0.1: a trusted proxy for one server, an unknown peer for the other.
    kiln = await startKilnServer({ ...env, KILN_TRUST_PROXY: "loopback" });
    behindUntrustedPeer = await startKilnServer({ ...env, KILN_TRUST_PROXY: "10.0.0.0/8" });
    store = await openChatStore(databaseUrl);
  });

  afterAll(async () => {
    await kiln?.stop();
    await behindUntrustedPeer?.stop();
    await store?.close();
    await fake?.close();
  });

  /** A browser: it keeps the cookies Kiln sets, like a real one. */
  function browser(server = () => kiln, extraHeaders: Record<string, string> = {}) {
    let cookie: string | undefined;
    const send = async (path: string, body: unknown) => {
      const response = await fetch(`${server().url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(cookie ? { Cookie: cookie } : {}), ...extraHeaders },
        body: JSON.stringify(body),
      });
      const set = response.headers.get("set-cookie");
      if (set) cookie = set.split(";")[0];
      return response;
    };
    return {
      get cookie() {
        return cookie;
      },
      async newChat(forkOf?: string) {
        const response = await send("/api/chats", { model: MODEL, title: "A timer", ...(forkOf ? { forkOf } : {}) });
        expect(response.status).toBe(201);
        return ((await response.json()) as { id: string }).id;
      },
      chat: (chatId: string, messages: Message[], extra: Record<string, unknown> = {}) =>
        send("/api/chat", { model: MODEL, chatId, messages, ...extra }),
      share: (chatId: string, version: number) => send("/api/shares", { chatId, version }),
      page: (path: string) =>
        fetch(`${server().url}${path}`, { headers: { ...(cookie ? { Cookie: cookie } : {}), ...extraHeaders } }),
    };
  }

  const rows = async (chatId: string) =>
    (await store.listMessages(chatId)).map(({ role, content, state }) => ({ role, content, state }));

  async function chatWithOneVersion(owner: ReturnType<typeof browser>) {
    const chatId = await owner.newChat();
    const response = await owner.chat(chatId, [{ role: "user", content: "a pomodoro timer" }]);
    expect(response.status).toBe(200);
    await readSse(response);
    return chatId;
  }

  it("creating a chat sets an HttpOnly, SameSite=Lax owner cookie, and only its hash is stored", async () => {
    const response = await fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, title: "A timer" }),
    });
    expect(response.status).toBe(201);
    const setCookie = response.headers.get("set-cookie")!;
    expect(setCookie).toMatch(new RegExp(`^${OWNER_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+$`));
    const secret = setCookie.split(";")[0].split("=")[1];
    const { id } = (await response.json()) as { id: string };
    const chat = await store.getChat(id);
    expect(chat?.ownerHash).toMatch(/^[0-9a-f]{64}$/);
    expect(chat?.ownerHash).not.toContain(secret);
  });

  it("the owner adds turns and shares; a link holder without the cookie, or with another's, gets 403 and nothing is saved", async () => {
    const owner = browser();
    const chatId = await chatWithOneVersion(owner);
    const before = await rows(chatId);
    const conversation: Message[] = [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons [fake:reply=follow-up]" },
    ];

    const stranger = browser();
    await stranger.newChat(); // a browser with a cookie of its own
    for (const visitor of [browser(), stranger]) {
      const turn = await visitor.chat(chatId, conversation);
      expect(turn.status).toBe(403);
      expect(await turn.json()).toEqual({
        error: { code: "not_chat_owner", message: "This chat belongs to another browser; copy it to continue." },
      });
      expect((await visitor.share(chatId, 1)).status).toBe(403);
    }
    expect(await rows(chatId)).toEqual(before);

    const turn = await owner.chat(chatId, conversation);
    expect(turn.status).toBe(200);
    await readSse(turn);
    expect(await rows(chatId)).toHaveLength(4);
    expect((await owner.share(chatId, 2)).status).toBe(201);
  });

  it("a link holder reads the chat page and continues in a copy they own; the original stays the owner's", async () => {
    const owner = browser();
    const chatId = await chatWithOneVersion(owner);
    const visitor = browser();
    // The chat page reads (its read-only form is checked in the browser: tests/e2e/ownership.spec.ts).
    expect((await visitor.page(`/chats/${chatId}`)).status).toBe(200);

    const forkId = await visitor.newChat(chatId);
    expect(forkId).not.toBe(chatId);
    expect(visitor.cookie).toBeDefined();
    expect(await rows(forkId)).toEqual(await rows(chatId));
    const turn = await visitor.chat(forkId, [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons [fake:reply=follow-up]" },
    ]);
    expect(turn.status).toBe(200);
    await readSse(turn);
    expect(await rows(forkId)).toHaveLength(4);
    // The original is untouched, and still not the visitor's.
    expect(await rows(chatId)).toHaveLength(2);
    expect((await visitor.share(forkId, 1)).status).toBe(201);
    expect((await visitor.share(chatId, 1)).status).toBe(403);
  });

  it("a share is a frozen snapshot: regenerating the shared answer does not change the link", async () => {
    const owner = browser();
    const chatId = await chatWithOneVersion(owner);
    const shared = (await (await owner.share(chatId, 1)).json()) as { id: string };
    const sharedCode = async () => {
      const html = await (await fetch(`${kiln.url}/share/${shared.id}`)).text();
      return /<pre data-testid="code-view"><code>([\s\S]*?)<\/code><\/pre>/.exec(html)?.[1];
    };
    const before = await sharedCode();
    expect(before).toContain("FOCUS_SECONDS");
    expect(await store.getShare(shared.id)).toMatchObject({
      code: extractReply(fakeReply("default")).code,
      model: MODEL,
      version: 1,
    });

    // Regenerate the same turn, on purpose, with a different answer.
    const again = await owner.chat(chatId, [{ role: "user", content: "a pomodoro timer [fake:reply=chart]" }], {
      regenerate: true,
    });
    expect(again.status).toBe(200);
    await readSse(again);
    const saved = await rows(chatId);
    expect(saved).toHaveLength(2);
    expect(extractReply(saved[1].content).code).toBe(extractReply(fakeReply("chart")).code);

    const after = await sharedCode();
    expect(after).toBe(before);
    expect(after).not.toContain("BarChart");
  });

  it("a stale copy of the conversation is refused with 409 chat_changed and the saved rows stay as they were", async () => {
    const owner = browser();
    const chatId = await chatWithOneVersion(owner);
    const turn2 = await owner.chat(chatId, [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons [fake:reply=follow-up]" },
    ]);
    await readSse(turn2);
    const before = await rows(chatId);
    expect(before).toHaveLength(4);

    // A tab that never saw turn 2 sends its own follow-up at position 2; then a regenerate of turn 1.
    const staleTurn = await owner.chat(chatId, [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "make it blue" },
    ]);
    const staleRetry = await owner.chat(chatId, [{ role: "user", content: "a pomodoro timer" }], { regenerate: true });
    // A client that did not say it regenerates, replaying the last turn.
    const unannounced = await owner.chat(chatId, [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons, again" },
    ]);
    for (const response of [staleTurn, staleRetry, unannounced]) {
      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({
        error: { code: "chat_changed", message: "This chat changed in another tab; reload to continue." },
      });
    }
    expect(await rows(chatId)).toEqual(before);
    expect(fake.requests.filter((r) => JSON.stringify(r.body).includes("make it blue"))).toHaveLength(0);
  });

  it("behind a trusted auth proxy the identity owns the chat across browsers; from an untrusted peer the header counts for nothing", async () => {
    const alice = browser(() => kiln, { "X-Forwarded-Email": "alice@example.com" });
    const chatId = await chatWithOneVersion(alice);
    const conversation: Message[] = [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons [fake:reply=follow-up]" },
    ];
    // Alice on another computer: no cookie, same identity (case does not matter).
    const aliceElsewhere = browser(() => kiln, { "X-Forwarded-Email": "Alice@Example.com" });
    const turn = await aliceElsewhere.chat(chatId, conversation);
    expect(turn.status).toBe(200);
    await readSse(turn);
    const bob = browser(() => kiln, { "X-Forwarded-Email": "bob@example.com" });
    expect((await bob.share(chatId, 1)).status).toBe(403);

    // The same header from a peer that is not a configured proxy: anybody could have written it.
    const mallory = browser(() => behindUntrustedPeer, { "X-Forwarded-Email": "alice@example.com" });
    expect((await mallory.share(chatId, 1)).status).toBe(403);
  });

  it("a chat made before ownership existed belongs to the first browser that continues it", async () => {
    const legacy = await store.createChat({ title: "Old chat", model: MODEL });
    const first = browser();
    const turn = await first.chat(legacy.id, [{ role: "user", content: "a pomodoro timer" }]);
    expect(turn.status).toBe(200);
    await readSse(turn);
    expect(first.cookie).toBeDefined();
    expect((await store.getChat(legacy.id))?.ownerHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await browser().share(legacy.id, 1)).status).toBe(403);
    expect((await first.share(legacy.id, 1)).status).toBe(201);
  });
});
