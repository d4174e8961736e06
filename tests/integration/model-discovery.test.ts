/**
 * Model discovery through Kiln's real production server: a providers-file entry without `models`
 * gets the models its server lists (`GET /v1/models`), a chat with one of them streams from that
 * server, and a provider that refuses the key shows as such in `/api/models` and the picker.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelInfo } from "../../machines/model-info";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const KEY = "sk-local-vllm-5d1e";

let fake: FakeProvider;
let kiln: KilnServer;

beforeAll(async () => {
  fake = await startFakeProvider({ models: ["disc-alpha", "disc-beta"], requiredApiKey: KEY });
  const providersFile = join(mkdtempSync(join(tmpdir(), "kiln-discovery-")), "providers.json");
  writeFileSync(
    providersFile,
    JSON.stringify({
      providers: [
        // No `models`: they are whatever the server lists.
        { id: "local", label: "Local vLLM", baseURL: fake.url, apiKeyEnv: "LOCAL_KEY" },
        { id: "locked", label: "Locked gateway", baseURL: fake.url, apiKeyEnv: "LOCKED_KEY", models: ["locked-model"] },
      ],
    }),
  );
  kiln = await startKilnServer({
    KILN_PROVIDERS: providersFile,
    LOCAL_KEY: KEY,
    LOCKED_KEY: "sk-wrong-key-0000",
    KILN_FALLBACK: "local",
  });
});

afterAll(async () => {
  await kiln?.stop();
  await fake?.close();
});

async function models(): Promise<ModelInfo[]> {
  return (await (await fetch(`${kiln.url}/api/models`)).json()) as ModelInfo[];
}

/** `/api/models` once discovery has heard from both providers; it runs in the background after start-up. */
async function modelsOnceDiscovered(timeoutMs = 10_000): Promise<ModelInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await models();
    const heard = (provider: string) => list.some((m) => m.provider === provider && m.health !== "unknown");
    if (heard("local") && heard("locked")) return list;
    if (Date.now() > deadline) throw new Error(`discovery did not run in time: ${JSON.stringify(list)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a provider configured without models", () => {
  it("lists the models its server lists, reachable", async () => {
    const local = (await modelsOnceDiscovered()).filter((m) => m.provider === "local");
    expect(local).toEqual([
      {
        id: "disc-alpha",
        label: "disc-alpha",
        provider: "local",
        providerLabel: "Local vLLM",
        available: true,
        health: "reachable",
      },
      {
        id: "disc-beta",
        label: "disc-beta",
        provider: "local",
        providerLabel: "Local vLLM",
        available: true,
        health: "reachable",
      },
    ]);
  });

  it("streams a chat with a discovered model from that server", async () => {
    await modelsOnceDiscovered();
    fake.reset();
    const response = await fetch(`${kiln.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "disc-beta", messages: [{ role: "user", content: "a pomodoro timer" }] }),
    });
    expect(response.status).toBe(200);
    const stream = await readSse(response);
    expect(stream.sequence).toEqual(["meta", "delta", "done"]);
    expect(stream.events[0]).toMatchObject({ event: "meta", data: { provider: "local", model: "disc-beta" } });
    const [request] = fake.requests.filter((r) => r.path === "/v1/chat/completions");
    expect(request.body.model).toBe("disc-beta");
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(stream.text).toBe(request.replyText);
  });

  it("still refuses a model no provider lists with a 404", async () => {
    await modelsOnceDiscovered();
    const response = await fetch(`${kiln.url}/api/chat`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "disc-gamma", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unknown_model");
  });
});

describe("a provider that refuses the key", () => {
  it("keeps its models listed, marked auth_failed with a sentence that holds no key", async () => {
    const locked = (await modelsOnceDiscovered()).find((m) => m.provider === "locked");
    expect(locked).toMatchObject({
      id: "locked-model",
      available: true,
      health: "auth_failed",
      healthReason: "Locked gateway rejected the API key (HTTP 401).",
    });
    expect(JSON.stringify(locked)).not.toContain("sk-wrong");
  });

  it("is shown in the picker as having its key rejected", async () => {
    await modelsOnceDiscovered();
    const html = await (await fetch(kiln.url)).text();
    expect(html).toContain('label="Locked gateway — API key rejected"');
    expect(html).toContain('label="Local vLLM"');
    expect(html).not.toContain("sk-wrong");
    expect(html).not.toContain(KEY);
  });
});
