import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeProvider, type FakeProvider } from "../../tests/support/fake-provider";
import type { ProviderConfig } from "../config.server";
import {
  createModelDiscovery,
  listedModels,
  parseModelList,
  probeProvider,
  type ProbeResult,
  type ProviderStatus,
} from "./model-discovery.server";

function provider(overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    id: "local",
    label: "Local vLLM",
    baseURL: "http://127.0.0.1:9/v1",
    headers: {},
    models: [],
    discover: "all",
    continuation: false,
    includeUsage: true,
    available: true,
    ...overrides,
  };
}

/** A trimmed answer of Together's `GET /v1/models`: a bare array, every kind of model, typed. */
const TOGETHER_LIST = [
  {
    id: "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
    object: "model",
    type: "chat",
    display_name: "Qwen3 Coder 480B A35B Instruct",
  },
  { id: "BAAI/bge-large-en-v1.5", object: "model", type: "embedding", display_name: "BAAI-Bge-Large-1p5" },
  { id: "black-forest-labs/FLUX.1-schnell", object: "model", type: "image", display_name: "FLUX.1 Schnell" },
  { id: "zai-org/GLM-4.6", object: "model", type: "chat", display_name: "GLM 4.6" },
  { id: "Salesforce/Llama-Rank-V1", object: "model", type: "rerank", display_name: "LlamaRank" },
  { id: "deepseek-ai/DeepSeek-V3.1", object: "model", type: "chat", display_name: "" },
];

describe("parseModelList: what a GET /models answer lists", () => {
  it("reads OpenAI's list (Ollama, vLLM): every id, labelled by its id", () => {
    const body = {
      object: "list",
      data: [
        { id: "qwen2.5-coder:14b", object: "model", created: 1, owned_by: "library" },
        { id: "llama3.2:latest", object: "model", created: 2, owned_by: "library" },
      ],
    };
    expect(parseModelList(body)).toEqual([
      { id: "qwen2.5-coder:14b", label: "qwen2.5-coder:14b" },
      { id: "llama3.2:latest", label: "llama3.2:latest" },
    ]);
  });

  it("keeps only Together's chat models, with their display names, when asked for chat models", () => {
    expect(parseModelList(TOGETHER_LIST, { chatOnly: true })).toEqual([
      { id: "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", label: "Qwen3 Coder 480B A35B Instruct" },
      { id: "zai-org/GLM-4.6", label: "GLM 4.6" },
      { id: "deepseek-ai/DeepSeek-V3.1", label: "deepseek-ai/DeepSeek-V3.1" },
    ]);
  });

  it("takes a model's context window where the provider says it: Together's context_length, vLLM's max_model_len", () => {
    const body = {
      data: [
        { id: "together-model", context_length: 131_072 },
        { id: "vllm-model", object: "model", max_model_len: 16_384 },
        { id: "silent-model", context_length: "big" },
      ],
    };
    expect(parseModelList(body)).toEqual([
      { id: "together-model", label: "together-model", contextWindow: 131_072 },
      { id: "vllm-model", label: "vllm-model", contextWindow: 16_384 },
      { id: "silent-model", label: "silent-model" },
    ]);
  });

  it("finds no chat model in a list that does not say which models chat", () => {
    expect(parseModelList({ data: [{ id: "fake-coder" }] }, { chatOnly: true })).toEqual([]);
  });

  it("skips entries without an id and repeated ids, keeping the rest", () => {
    const body = {
      data: [{ id: "a" }, { name: "no id" }, null, "b", { id: 7 }, { id: "" }, { id: "a", display_name: "again" }, { id: "c" }],
    };
    expect(parseModelList(body)?.map((model) => model.id)).toEqual(["a", "c"]);
  });

  it.each([
    ["nothing", undefined],
    ["null", null],
    ["a string", "<html>Bad gateway</html>"],
    ["a number", 42],
    ["an object without data", { models: ["a"] }],
    ["data that is not a list", { data: { id: "a" } }],
  ])("finds no list in %s", (_name, body) => {
    expect(parseModelList(body)).toBeUndefined();
  });
});

describe("listedModels: the list a provider shows", () => {
  const together = provider({
    id: "together",
    discover: "chat",
    models: [
      { id: "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", label: "Qwen3 Coder 480B" },
      { id: "retired/model", label: "Retired" },
    ],
  });
  const status = (models?: ProviderStatus["models"]): ProviderStatus => ({ health: "reachable", models });

  it("puts the configured models the provider still lists first, with their labels, then the rest by label", () => {
    const models = listedModels(together, status(parseModelList(TOGETHER_LIST, { chatOnly: true })));
    expect(models).toEqual([
      { id: "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", label: "Qwen3 Coder 480B" },
      { id: "deepseek-ai/DeepSeek-V3.1", label: "deepseek-ai/DeepSeek-V3.1" },
      { id: "zai-org/GLM-4.6", label: "GLM 4.6" },
    ]);
  });

  it("shows the configured list until the provider has listed models", () => {
    expect(listedModels(together, { health: "unknown" })).toEqual(together.models);
    expect(listedModels(together, status([]))).toEqual(together.models);
  });

  it("keeps a provider's configured list whatever it lists when it has no discover", () => {
    const configured = provider({ discover: undefined, models: [{ id: "m", label: "M" }] });
    expect(listedModels(configured, status([{ id: "other", label: "other" }]))).toEqual([{ id: "m", label: "M" }]);
  });
});

describe("probeProvider: asking a real server", () => {
  let fake: FakeProvider;
  let locked: FakeProvider;

  beforeAll(async () => {
    fake = await startFakeProvider({ models: ["disc-alpha", "disc-beta"] });
    locked = await startFakeProvider({ requiredApiKey: "right-key" });
  });
  afterAll(async () => {
    await fake.close();
    await locked.close();
  });
  beforeEach(() => {
    fake.reset();
    locked.reset();
  });

  it("lists an OpenAI-compatible server's models and calls it reachable, sending the provider's key and headers", async () => {
    const result = await probeProvider(provider({ baseURL: `${fake.url}/`, apiKey: "sk-local", headers: { "X-Team": "kiln" } }));
    expect(result).toEqual({
      health: "reachable",
      models: [
        { id: "disc-alpha", label: "disc-alpha" },
        { id: "disc-beta", label: "disc-beta" },
      ],
    });
    const [request] = await fake.waitForRequests(1);
    expect(request.path).toBe("/v1/models");
    expect(request.headers.authorization).toBe("Bearer sk-local");
    expect(request.headers["x-team"]).toBe("kiln");
  });

  it("sends no Authorization header to a keyless provider (local Ollama)", async () => {
    await probeProvider(provider({ baseURL: fake.url }));
    const [request] = await fake.waitForRequests(1);
    expect(request.headers).not.toHaveProperty("authorization");
  });

  it("reports auth_failed when the provider rejects the key, without repeating the key", async () => {
    const result = await probeProvider(provider({ label: "Locked", baseURL: locked.url, apiKey: "wrong-key" }));
    expect(result).toEqual({ health: "auth_failed", reason: "Locked rejected the API key (HTTP 401)." });
    expect(JSON.stringify(result)).not.toContain("wrong-key");
  });

  it("says a key is missing when a provider without one answers 401", async () => {
    const result = await probeProvider(provider({ label: "Locked", baseURL: locked.url }));
    expect(result).toEqual({ health: "auth_failed", reason: "Locked asks for an API key (HTTP 401), and none is configured." });
  });

  describe("against a server answering what a test says", () => {
    let server: http.Server;
    let url: string;
    let answer: (res: http.ServerResponse) => void;

    beforeAll(async () => {
      server = http.createServer((_req, res) => answer(res));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const respond = (status: number, body: string, type = "application/json") => {
      answer = (res) => res.writeHead(status, { "Content-Type": type }).end(body);
    };

    it("reads Together's bare array and keeps its chat models", async () => {
      respond(200, JSON.stringify(TOGETHER_LIST));
      const result = await probeProvider(provider({ baseURL: url, discover: "chat" }));
      expect(result.health).toBe("reachable");
      expect(result.models?.map((model) => model.id)).toEqual([
        "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
        "zai-org/GLM-4.6",
        "deepseek-ai/DeepSeek-V3.1",
      ]);
    });

    it.each([
      [403, "auth_failed", "Local vLLM rejected the API key (HTTP 403)."],
      [500, "unreachable", "Local vLLM answered with a server error (HTTP 500)."],
      [503, "unreachable", "Local vLLM answered with a server error (HTTP 503)."],
      [404, "unknown", "Local vLLM answered HTTP 404 instead of a model list."],
      [429, "unknown", "Local vLLM answered HTTP 429 instead of a model list."],
    ] as const)("calls an HTTP %i %s, listing no models", async (status, health, reason) => {
      respond(status, JSON.stringify({ error: { message: "no" } }));
      expect(await probeProvider(provider({ baseURL: url, apiKey: "k" }))).toEqual({ health, reason });
    });

    it("finds no models in a proxy's HTML page answered with 200", async () => {
      respond(200, "<!doctype html><title>Sign in to the network</title>", "text/html");
      expect(await probeProvider(provider({ baseURL: url }))).toEqual({
        health: "unknown",
        reason: "Local vLLM did not answer with a model list.",
      });
    });

    it("finds no models in JSON that is not a model list", async () => {
      respond(200, JSON.stringify({ status: "ok" }));
      expect((await probeProvider(provider({ baseURL: url }))).models).toBeUndefined();
    });

    it("calls a provider that does not answer in time unreachable", async () => {
      answer = () => {};
      const started = Date.now();
      const result = await probeProvider(provider({ baseURL: url }), { timeoutMs: 200 });
      expect(result).toEqual({ health: "unreachable", reason: "Local vLLM did not answer within 0.2 s." });
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it("gives up when stopped, without waiting for the timeout", async () => {
      answer = () => {};
      const stop = new AbortController();
      const probe = probeProvider(provider({ baseURL: url }), { timeoutMs: 60_000, signal: stop.signal });
      stop.abort();
      expect((await probe).health).toBe("unreachable");
    });
  });

  it("calls a provider nothing listens for unreachable, with the reason", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await probeProvider(provider({ label: "Ollama", baseURL: `http://127.0.0.1:${port}/v1` }))).toEqual({
      health: "unreachable",
      reason: "Kiln could not reach Ollama (ECONNREFUSED).",
    });
  });
});

describe("createModelDiscovery: the cache and its background refresh", () => {
  const REFRESH_MS = 600_000;
  const ollama = provider({ id: "ollama", label: "Ollama" });
  const openai = provider({ id: "openai", label: "OpenAI", discover: undefined, available: false, reason: "Set OPENAI_KEY." });

  /** A probe the test answers by hand, one pending call per provider at a time. */
  function scriptedProbe() {
    const calls: Array<{ provider: string; signal?: AbortSignal; answer: (result: ProbeResult) => void }> = [];
    const probe = vi.fn(
      (target: ProviderConfig, options?: { signal?: AbortSignal }) =>
        new Promise<ProbeResult>((resolve) => calls.push({ provider: target.id, signal: options?.signal, answer: resolve })),
    );
    return { probe, calls };
  }

  const listing = (...ids: string[]): ProbeResult => ({
    health: "reachable",
    models: ids.map((id) => ({ id, label: id })),
  });

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("asks every configured provider at start-up, not the ones without their key, and no one waits for the answer", async () => {
    const { probe, calls } = scriptedProbe();
    const discovery = createModelDiscovery({ providers: [ollama, openai], refreshMs: REFRESH_MS, probe });
    discovery.start();
    expect(calls.map((call) => call.provider)).toEqual(["ollama"]);
    // The answer is not in yet: what a page reads now is what Kiln knew before.
    expect(discovery.status("ollama")).toEqual({ health: "unknown" });
    const before = discovery.version;

    calls[0].answer(listing("qwen2.5-coder:14b"));
    await vi.advanceTimersByTimeAsync(0);
    expect(discovery.status("ollama")).toMatchObject({ health: "reachable", models: [{ id: "qwen2.5-coder:14b" }] });
    expect(discovery.version).toBeGreaterThan(before);
    expect(discovery.status("openai")).toEqual({ health: "unknown" });
    discovery.stop();
  });

  it("asks again every refresh interval after the previous answer, and keeps the last list when a provider stops answering", async () => {
    const { probe, calls } = scriptedProbe();
    const discovery = createModelDiscovery({ providers: [ollama], refreshMs: REFRESH_MS, probe });
    discovery.start();
    calls[0].answer(listing("a", "b"));
    await vi.advanceTimersByTimeAsync(REFRESH_MS - 1);
    expect(probe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe).toHaveBeenCalledTimes(2);

    calls[1].answer({ health: "unreachable", reason: "Kiln could not reach Ollama (ECONNREFUSED)." });
    await vi.advanceTimersByTimeAsync(0);
    expect(discovery.status("ollama")).toMatchObject({
      health: "unreachable",
      reason: "Kiln could not reach Ollama (ECONNREFUSED).",
      models: [{ id: "a" }, { id: "b" }],
    });

    // A slow answer delays the next round instead of piling rounds up.
    await vi.advanceTimersByTimeAsync(REFRESH_MS * 3);
    expect(probe).toHaveBeenCalledTimes(3);
    calls[2].answer(listing("c"));
    await vi.advanceTimersByTimeAsync(0);
    expect(discovery.status("ollama")).toMatchObject({ health: "reachable", reason: undefined, models: [{ id: "c" }] });
    discovery.stop();
  });

  it("shares a refresh under way instead of asking twice", async () => {
    const { probe, calls } = scriptedProbe();
    const discovery = createModelDiscovery({ providers: [ollama], refreshMs: REFRESH_MS, probe });
    const first = discovery.refresh();
    const second = discovery.refresh();
    expect(probe).toHaveBeenCalledTimes(1);
    calls[0].answer(listing("a"));
    await Promise.all([first, second]);
    expect(discovery.status("ollama").models).toEqual([{ id: "a", label: "a" }]);
  });

  it("stops on shutdown: the probe under way is abandoned and no refresh follows", async () => {
    const { probe, calls } = scriptedProbe();
    const discovery = createModelDiscovery({ providers: [ollama], refreshMs: REFRESH_MS, probe });
    discovery.start();
    discovery.stop();
    expect(calls[0].signal?.aborted).toBe(true);
    calls[0].answer(listing("late"));
    await vi.advanceTimersByTimeAsync(REFRESH_MS * 2);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(discovery.status("ollama")).toEqual({ health: "unknown" });
  });

  it("logs a provider's health when it changes, not on every refresh", async () => {
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const { probe, calls } = scriptedProbe();
    const discovery = createModelDiscovery({ providers: [ollama], refreshMs: REFRESH_MS, probe, logger });
    discovery.start();
    calls[0].answer({ health: "auth_failed", reason: "Ollama rejected the API key (HTTP 401)." });
    await vi.advanceTimersByTimeAsync(REFRESH_MS);
    calls[1].answer({ health: "auth_failed", reason: "Ollama rejected the API key (HTTP 401)." });
    await vi.advanceTimersByTimeAsync(0);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toMatchObject({ provider: "ollama", health: "auth_failed" });
    discovery.stop();
  });

  it("keeps refreshing when a replacement probe throws", async () => {
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const probe = vi.fn(async () => {
      throw new Error("probe bug");
    });
    const discovery = createModelDiscovery({ providers: [ollama], refreshMs: REFRESH_MS, probe, logger });
    discovery.start();
    await vi.advanceTimersByTimeAsync(REFRESH_MS);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(logger.error).toHaveBeenCalled();
    discovery.stop();
  });
});
