/**
 * A version's receipt through the production server: the answer is saved with who really answered
 * (after retries and a fallback), its time to first token and total time, its retries and fallbacks,
 * and the tokens the provider reported; the chat page hands the receipt to the browser. Runs on
 * SQLite; with TEST_DATABASE_URL (postgres://…) on Postgres too.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WireEvent } from "../../machines/wire-events";
import type { ChatStore, StoredMessage } from "../../server/db/chat-store";
import { openChatStore } from "../../server/db/open-chat-store.server";
import { cookieJar } from "../support/cookie-jar";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const TOGETHER_MODEL = "deepseek-ai/DeepSeek-V3";

const databases: Array<[string, string]> = [
  ["sqlite", `file:${join(mkdtempSync(join(tmpdir(), "kiln-receipt-")), "kiln.db")}`],
  ...(process.env.TEST_DATABASE_URL ? [["postgres", process.env.TEST_DATABASE_URL] as [string, string]] : []),
];

describe.each(databases)("the answer is saved with its receipt (%s)", (_name, databaseUrl) => {
  /** One browser: the chats it creates are its own. */
  const jar = cookieJar();
  let fake: FakeProvider;
  let kiln: KilnServer;
  let store: ChatStore;

  beforeAll(async () => {
    fake = await startFakeProvider();
    const providersFile = join(mkdtempSync(join(tmpdir(), "kiln-receipt-providers-")), "providers.json");
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          { id: "backup", label: "Backup provider", baseURL: fake.url, models: ["backup-model"] },
          // A provider that would refuse `stream_options`: Kiln does not ask it for usage.
          { id: "quiet", label: "Quiet provider", baseURL: fake.url, includeUsage: false, models: ["quiet-model"] },
        ],
      }),
    );
    kiln = await startKilnServer({
      DATABASE_URL: databaseUrl,
      TOGETHER_API_KEY: "test-key",
      TOGETHER_BASE_URL: fake.url,
      KILN_PROVIDERS: providersFile,
      KILN_FALLBACK: "backup",
      KILN_MAX_RETRIES: "1",
      KILN_RETRY_BASE_MS: "20",
      KILN_RETRY_MAX_MS: "50",
    });
    // A second connection, as an operator inspecting the database would have.
    store = await openChatStore(databaseUrl);
  });

  afterAll(async () => {
    await kiln?.stop();
    await store?.close();
    await fake?.close();
  });

  beforeEach(() => fake.reset());

  async function ask(prompt: string, model = TOGETHER_MODEL) {
    const created = await jar.fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model, title: "A timer" }),
    });
    expect(created.status).toBe(201);
    const chatId = ((await created.json()) as { id: string }).id;
    const started = Date.now();
    const response = await jar.fetch(`${kiln.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model, chatId, messages: [{ role: "user", content: prompt }] }),
    });
    expect(response.status).toBe(200);
    const stream = await readSse(response);
    const elapsedMs = Date.now() - started;
    const answer = (await store.listMessages(chatId)).at(-1) as StoredMessage;
    expect(answer.role).toBe("assistant");
    return { chatId, stream, elapsedMs, answer };
  }

  const doneOf = (events: WireEvent[]) => events.find((e) => e.event === "done") as Extract<WireEvent, { event: "done" }>;
  const completions = () => fake.requests.filter((r) => r.path.endsWith("/chat/completions"));

  it("after a retry and a fallback it names the fallback provider and model, with the retries, the times and the usage", async () => {
    // Together fails twice (the first attempt and its one retry), then the answer comes from the backup.
    const { stream, elapsedMs, answer } = await ask("a timer [fake:status=503][fake:fail-times=2][fake:tps=1000]");
    expect(stream.sequence).toEqual(["meta", "retry", "fallback", "delta", "done"]);
    expect(answer).toMatchObject({ state: "complete", content: stream.text, provider: "backup", model: "backup-model" });
    const receipt = answer.receipt!;
    expect(receipt).toMatchObject({ retries: 1, fallbacks: 1, fellBackFrom: "together" });
    // The times are the server's: the first token before the end, both within what the client waited.
    expect(receipt.firstTokenMs).toBeGreaterThan(0);
    expect(receipt.totalMs).toBeGreaterThan(receipt.firstTokenMs!);
    expect(receipt.totalMs).toBeLessThanOrEqual(elapsedMs);
    // Paced at 1000 tokens a second: the answer took a while after its first token.
    expect(receipt.totalMs - receipt.firstTokenMs!).toBeGreaterThan(100);
    // Kiln asked for usage, the fake reported it, and the saved tokens are the done event's.
    expect(completions().at(-1)!.body).toMatchObject({ model: "backup-model", stream_options: { include_usage: true } });
    const usage = doneOf(stream.events).data.usage!;
    expect(usage.completionTokens).toBeGreaterThan(0);
    expect(receipt).toMatchObject({ inputTokens: usage.promptTokens, outputTokens: usage.completionTokens });
  });

  it("an answer with nothing to report saves no retries, no fallback, and its provider's usage", async () => {
    const { stream, answer } = await ask("a timer");
    expect(stream.sequence).toEqual(["meta", "delta", "done"]);
    expect(answer).toMatchObject({ provider: "together", model: TOGETHER_MODEL });
    expect(answer.receipt).toEqual({
      firstTokenMs: expect.any(Number),
      totalMs: expect.any(Number),
      retries: 0,
      fallbacks: 0,
      inputTokens: expect.any(Number),
      outputTokens: expect.any(Number),
    });
  });

  it("a provider not asked for usage: the receipt has the times and counts, and no tokens", async () => {
    const { stream, answer } = await ask("a timer", "quiet-model");
    expect(stream.sequence).toEqual(["meta", "delta", "done"]);
    expect(completions().at(-1)!.body).not.toHaveProperty("stream_options");
    expect(doneOf(stream.events).data).not.toHaveProperty("usage");
    expect(answer).toMatchObject({ provider: "quiet", model: "quiet-model" });
    expect(answer.receipt).toEqual({ firstTokenMs: expect.any(Number), totalMs: expect.any(Number), retries: 0, fallbacks: 0 });
  });

  it("an answer cut short is saved with the receipt of what happened until then", async () => {
    const { stream, answer } = await ask("a timer [fake:no-done]");
    expect(stream.sequence.at(-1)).toBe("error");
    expect(answer.state).toBe("failed");
    // No [DONE] is retried once (the budget), then falls back, where it breaks off again.
    expect(answer.receipt).toMatchObject({ retries: 1, fallbacks: 1, fellBackFrom: "together" });
    expect(answer.receipt).not.toHaveProperty("inputTokens");
  });

  it("the chat page hands the saved receipt to the browser", async () => {
    const { chatId, answer } = await ask("a timer [fake:status=503][fake:fail-times=2]");
    expect(answer.provider).toBe("backup");
    // Remix's data request for the page (single fetch): the loader's data, in Remix's own encoding.
    const data = await jar.fetch(`${kiln.url}/chats/${chatId}.data`);
    expect(data.status).toBe(200);
    const text = await data.text();
    for (const key of ["receipt", "fellBackFrom", "firstTokenMs", "totalMs", "inputTokens", "outputTokens"]) {
      expect(text).toContain(JSON.stringify(key));
    }
  });
});
