/**
 * Graceful shutdown of the production server: SIGTERM lets open streams finish within KILN_DRAIN_MS,
 * ends the rest with a retryable `server_shutting_down` error, leaves the database whole, exits 0.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WireEvent } from "../../machines/wire-events";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";
import { cookieJar } from "../support/cookie-jar";

/** One browser: it creates the chats these tests write to, so they are its own. */
const jar = cookieJar();

const MODEL = "deepseek-ai/DeepSeek-V3";
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});

afterAll(async () => {
  await fake?.close();
});

const DATABASE_URL = `file:${join(mkdtempSync(join(tmpdir(), "kiln-shutdown-")), "kiln.db")}`;

async function startServer(drainMs: number) {
  return startKilnServer({ TOGETHER_API_KEY: "k", TOGETHER_BASE_URL: fake.url, KILN_DRAIN_MS: String(drainMs), DATABASE_URL });
}

async function newChat(kiln: KilnServer) {
  const response = await jar.fetch(`${kiln.url}/api/chats`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: MODEL, title: "t" }),
  });
  return ((await response.json()) as { id: string }).id;
}

/** Starts a stream and resolves once its first delta has arrived; `done` resolves with all events. */
async function openStream(kiln: KilnServer, chatId: string, prompt: string) {
  const response = await jar.fetch(`${kiln.url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: MODEL, chatId, messages: [{ role: "user", content: prompt }] }),
  });
  let firstDelta!: () => void;
  const flowing = new Promise<void>((resolve) => (firstDelta = resolve));
  const done = readSse(response, (event: WireEvent) => event.event === "delta" && firstDelta());
  await flowing;
  return { done };
}

const exitCode = (kiln: KilnServer) =>
  new Promise<number | null>((resolve) =>
    kiln.process.exitCode !== null ? resolve(kiln.process.exitCode) : kiln.process.once("exit", (code) => resolve(code)),
  );

it("lets a stream that ends within the drain deadline finish, then exits 0", async () => {
  const kiln = await startServer(10_000);
  const stream = await openStream(kiln, await newChat(kiln), "a timer [fake:tps=200]");
  const started = Date.now();
  kiln.process.kill("SIGTERM");
  const events = await stream.done;
  expect(events.sequence.at(-1)).toBe("done");
  expect(await exitCode(kiln)).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
});

it("ends streams still open at the deadline with a retryable error, saves what arrived, exits 0", async () => {
  const kiln = await startServer(300);
  const chatId = await newChat(kiln);
  const stream = await openStream(kiln, chatId, "a slow timer [fake:tps=5]");
  kiln.process.kill("SIGTERM");
  const events = await stream.done;
  expect(events.events.at(-1)).toEqual({
    event: "error",
    data: { code: "server_shutting_down", message: expect.any(String), retryable: true },
  });
  expect(await exitCode(kiln)).toBe(0);
  expect(kiln.logs.some((line) => line.includes('"outcome":"server_shutting_down"'))).toBe(true);

  // The database is whole: the next server finds the user's message and the partial answer.
  const next = await startServer(300);
  const page = await (await fetch(`${next.url}/chats/${chatId}`)).text();
  expect(page).toContain("a slow timer [fake:tps=5]");
  await next.stop();
});
