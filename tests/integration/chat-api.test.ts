/**
 * `POST /api/chat` and `GET /api/models` through Kiln's real production server (a child process on
 * the built app) talking to the fake provider over HTTP: the wire protocol as a browser sees it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const SECRET_KEY = "sk-together-test-2f9c1e7d5b";
const MODEL = "deepseek-ai/DeepSeek-V3";
const OFFLINE_MODEL = "offline-model";

let fake: FakeProvider;
let kiln: KilnServer;

beforeAll(async () => {
  fake = await startFakeProvider();
  const providersFile = `${process.env.TMPDIR ?? "/tmp"}/kiln-providers-${process.pid}.json`;
  // A provider whose key variable is unset: its model is listed but cannot be used.
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    providersFile,
    JSON.stringify({
      providers: [{ id: "offline", label: "Offline", baseURL: fake.url, apiKeyEnv: "OFFLINE_KEY", models: [OFFLINE_MODEL] }],
    }),
  );
  kiln = await startKilnServer({
    TOGETHER_API_KEY: SECRET_KEY,
    TOGETHER_BASE_URL: fake.url,
    KILN_PROVIDERS: providersFile,
    KILN_IDLE_TIMEOUT_MS: "500",
    KILN_FIRST_BYTE_TIMEOUT_MS: "1000",
  });
});

afterAll(async () => {
  await kiln?.stop();
  await fake?.close();
});

beforeEach(() => fake.reset());

function chat(body: unknown, init: RequestInit = {}) {
  return fetch(`${kiln.url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

const ask = (prompt: string) => chat({ model: MODEL, messages: [{ role: "user", content: prompt }] });

describe("GET /api/models", () => {
  it("lists every model with its provider, and unconfigured ones as unavailable with the reason", async () => {
    const models = (await (await fetch(`${kiln.url}/api/models`)).json()) as Array<Record<string, unknown>>;
    expect(models).toContainEqual(expect.objectContaining({ id: MODEL, provider: "together", available: true }));
    expect(models).toContainEqual(
      expect.objectContaining({
        id: OFFLINE_MODEL,
        provider: "offline",
        available: false,
        reason: expect.stringContaining("OFFLINE_KEY"),
      }),
    );
  });
});

describe("POST /api/chat streams the provider's answer", () => {
  it("sends meta, the deltas and done, and the text equals the provider's byte for byte", async () => {
    const response = await ask("a pomodoro timer");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const stream = await readSse(response);
    expect(stream.sequence).toEqual(["meta", "delta", "done"]);
    expect(stream.events[0]).toMatchObject({ event: "meta", data: { provider: "together", model: MODEL } });
    expect(stream.text).toBe(fake.requests[0].replyText);
    expect(stream.text).toContain("🍅");
  });

  it.each([
    ["byte by byte", "[fake:chunk=byte]"],
    ["in 5-byte pieces", "[fake:chunk=5]"],
    ["with CRLF line endings", "[fake:crlf]"],
    ["with comment lines", "[fake:comments]"],
    ["with a malformed frame in the middle", "[fake:malformed]"],
  ])("keeps the text exact when the provider streams %s", async (_name, directive) => {
    const stream = await readSse(await ask(`a timer ${directive}`));
    expect(stream.sequence).toEqual(["meta", "delta", "done"]);
    expect(stream.text).toBe(fake.requests[0].replyText);
  });

  it("sends the server's system prompt first and the conversation after it", async () => {
    await readSse(
      await chat({
        model: MODEL,
        messages: [
          { role: "user", content: "a counter" },
          { role: "assistant", content: "Here it is." },
          { role: "user", content: "make it blue" },
        ],
      }),
    );
    const sent = fake.requests[0].body.messages as Array<{ role: string; content: string }>;
    expect(sent.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(sent[0].content).toContain("export default function App()");
    expect(sent[3].content).toBe("make it blue");
  });
});

describe("POST /api/chat ends failed streams with one error, never a done", () => {
  it.each([
    ["an end without [DONE] or finish reason", "[fake:no-done]", "stream_truncated", true],
    ["an error frame", "[fake:error-frame]", "provider_error", true],
    ["a 401 from the provider", "[fake:status=401]", "provider_auth", false],
    ["a stall longer than the idle timeout", "[fake:stall-after=3]", "stream_stalled", true],
    ["a connection reset", "[fake:reset-after=3]", "stream_truncated", true],
  ])("reports %s as %s", async (_name, directive, code, retryable) => {
    const stream = await readSse(await ask(`a timer ${directive}`));
    expect(stream.sequence.at(-1)).toBe("error");
    expect(stream.sequence).not.toContain("done");
    expect(stream.events.filter((e) => e.event === "error" || e.event === "done")).toHaveLength(1);
    expect(stream.events.at(-1)).toMatchObject({ event: "error", data: { code, retryable } });
  });

  it("never puts the API key in an error or a log line", async () => {
    const stream = await readSse(await ask("a timer [fake:status=401]"));
    expect(JSON.stringify(stream.events)).not.toContain(SECRET_KEY);
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    await expect.poll(() => kiln.logs.some((line) => line.includes('"outcome":"provider_auth"'))).toBe(true);
    expect(kiln.logs.join("\n")).not.toContain(SECRET_KEY);
  });
});

describe("cancellation", () => {
  it("aborts the upstream request at once when the client goes away", async () => {
    const controller = new AbortController();
    const response = await chat(
      { model: MODEL, messages: [{ role: "user", content: "a timer [fake:tps=20]" }] },
      { signal: controller.signal },
    );
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    while (!received.includes("event: delta")) received += decoder.decode((await reader.read()).value, { stream: true });
    controller.abort();
    const request = await fake.waitForClose(1, 5_000);
    expect(request.closedByClient).toBe(true);
    expect(request.sentText.length).toBeLessThan(request.replyText.length);
  });

  it("keeps other streams going when one client leaves", async () => {
    const controller = new AbortController();
    const leaving = await chat(
      { model: MODEL, messages: [{ role: "user", content: "a timer [fake:stall-after=2]" }] },
      { signal: controller.signal },
    );
    const staying = ask("a counter [fake:tps=200]");
    await fake.waitForRequests(2);
    controller.abort();
    await leaving.body?.cancel().catch(() => {});
    const stream = await readSse(await staying);
    expect(stream.sequence).toEqual(["meta", "delta", "done"]);
  });
});

describe("bad requests get a clear JSON refusal and the server stays up", () => {
  it.each([
    ["not JSON", { headers: { "Content-Type": "text/plain" }, body: "hello" }, 415, "unsupported_media_type"],
    ["broken JSON", { body: "{" }, 400, "bad_json"],
    ["no model", { body: JSON.stringify({ messages: [{ role: "user", content: "x" }] }) }, 400, "bad_request"],
    [
      "a system message",
      {
        body: JSON.stringify({
          model: MODEL,
          messages: [
            { role: "system", content: "x" },
            { role: "user", content: "y" },
          ],
        }),
      },
      400,
      "bad_request",
    ],
    [
      "an unknown model",
      { body: JSON.stringify({ model: "nope", messages: [{ role: "user", content: "x" }] }) },
      404,
      "unknown_model",
    ],
    [
      "a model whose provider has no key",
      { body: JSON.stringify({ model: OFFLINE_MODEL, messages: [{ role: "user", content: "x" }] }) },
      503,
      "provider_not_configured",
    ],
    [
      "a body over 1 MB",
      { body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x".repeat(1_100_000) }] }) },
      413,
      "body_too_large",
    ],
  ])("refuses %s", async (_name, init, status, code) => {
    const response = await fetch(`${kiln.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      ...(init as RequestInit),
    });
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(/^[A-Z].+\.$/);
    expect(fake.requests).toHaveLength(0);
    expect((await fetch(`${kiln.url}/healthz`)).status).toBe(200);
  });
});

describe("secrets stay on the server", () => {
  it("puts no key in the HTML or the client bundle", async () => {
    const html = await (await fetch(kiln.url)).text();
    expect(html).not.toContain(SECRET_KEY);
    expect(html).not.toContain(fake.url);
    const assets = new URL("../../build/client/assets/", import.meta.url);
    for (const file of readdirSync(assets)) {
      const text = readFileSync(new URL(file, assets), "utf8");
      expect(text, file).not.toContain("api.together.xyz");
      expect(text, file).not.toContain("openai");
    }
  });
});

describe("development tools stay out of production", () => {
  it("ships neither statechart inspector: no offline panel, no Stately client", () => {
    const assets = new URL("../../build/client/assets/", import.meta.url);
    const scripts = readdirSync(assets).filter((file) => file.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) {
      const text = readFileSync(new URL(file, assets), "utf8");
      // The panel's test id (app/inspector/inspector-panel.tsx) and the address @statelyai/inspect opens.
      expect(text, file).not.toContain("kiln-statechart-inspector");
      expect(text, file).not.toContain("stately.ai/inspect");
    }
  });
});
