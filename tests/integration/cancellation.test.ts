/**
 * Cancel end to end under real conditions: when many clients leave mid-stream, every upstream call is
 * aborted, also after garbage collections have run (undici ties Remix's request.signal to the
 * Request object, which a collection may free mid-stream; the relay must not depend on it).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";

let fake: FakeProvider;
let kiln: KilnServer;

beforeAll(async () => {
  fake = await startFakeProvider();
  // A tiny young generation makes the server collect garbage every few hundred kilobytes.
  kiln = await startKilnServer({ TOGETHER_API_KEY: "k", TOGETHER_BASE_URL: fake.url, NODE_OPTIONS: "--max-semi-space-size=1" });
});

afterAll(async () => {
  await kiln?.stop();
  await fake?.close();
});

it("aborts every upstream call when 30 clients leave mid-stream, after garbage collections", async () => {
  const clients = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const controller = new AbortController();
      const response = await fetch(`${kiln.url}/api/chat`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          model: "deepseek-ai/DeepSeek-V3",
          messages: [{ role: "user", content: `app ${i} [fake:tps=20]` }],
        }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let received = "";
      while (!received.includes("event: delta")) received += new TextDecoder().decode((await reader.read()).value);
      return { controller, reader };
    }),
  );
  // Keep the streams flowing for a while, so the server allocates and collects.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  for (const client of clients) client.controller.abort();
  const completions = () => fake.requests.filter((r) => r.path.endsWith("/chat/completions"));
  await expect.poll(() => completions().filter((r) => r.closedByClient).length, { timeout: 5_000 }).toBe(30);
  expect(completions().every((r) => !r.finished)).toBe(true);
});
