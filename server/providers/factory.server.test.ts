import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../../tests/support/fake-provider";
import { loadConfig } from "../config.server";
import { TOGETHER_MODELS } from "./presets";
import type { ProviderStatus } from "./model-discovery.server";
import { createProviderFactory, type ProviderStatuses, type ResolvedModel } from "./factory.server";
import { streamCompletion } from "./stream-reader.server";

type Env = Record<string, string | undefined>;

const PROVIDERS_PATH = "/etc/kiln/providers.json";

function factoryFor(env: Env, providers?: unknown[], discovery?: ProviderStatuses) {
  const readFile = (path: string) => {
    if (path === PROVIDERS_PATH && providers) return JSON.stringify({ providers });
    throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  };
  return createProviderFactory(loadConfig(providers ? { KILN_PROVIDERS: PROVIDERS_PATH, ...env } : env, readFile), discovery);
}

/** Discovery as the factory sees it, set by hand: `found(id, status)` is a probe's answer arriving. */
function statuses() {
  const known = new Map<string, ProviderStatus>();
  let version = 0;
  return {
    status: (id: string) => known.get(id) ?? { health: "unknown" as const },
    get version() {
      return version;
    },
    found(id: string, status: Omit<ProviderStatus, "checkedAt">) {
      known.set(id, { ...status, checkedAt: Date.now() });
      version++;
    },
  };
}

const listed = (...ids: string[]) => ids.map((id) => ({ id, label: id }));

function resolved(factory: ReturnType<typeof createProviderFactory>, model: string): ResolvedModel {
  const result = factory.resolve(model);
  if (!result.ok) throw new Error(`resolve(${model}) failed: ${result.code} ${result.message}`);
  return result.value;
}

describe("provider factory: the model list", () => {
  it("lists Together's models as unavailable, with the reason, when no key is set", () => {
    const models = factoryFor({}).listModels();
    expect(models.map((m) => m.id)).toEqual(TOGETHER_MODELS.map((m) => m.id));
    for (const model of models) {
      expect(model).toMatchObject({ provider: "together", providerLabel: "Together AI", available: false });
      expect(model.reason).toContain("TOGETHER_API_KEY");
    }
  });

  it("groups models by provider in configuration order, each marked available or not", () => {
    const models = factoryFor(
      { TOGETHER_API_KEY: "k", BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "bai-model" },
      [
        { id: "ollama", label: "Ollama", baseURL: "http://localhost:11434/v1", models: ["qwen2.5-coder", "llama3.2"] },
        {
          id: "openai",
          label: "OpenAI",
          baseURL: "https://api.openai.com/v1",
          apiKeyEnv: "MISSING_OPENAI_KEY",
          models: ["gpt-4o"],
        },
      ],
    ).listModels();
    expect(models.map((m) => m.provider)).toEqual([
      ...TOGETHER_MODELS.map(() => "together"),
      "backend-ai",
      "ollama",
      "ollama",
      "openai",
    ]);
    expect(models.find((m) => m.id === TOGETHER_MODELS[0].id)).toEqual({
      id: TOGETHER_MODELS[0].id,
      label: TOGETHER_MODELS[0].label,
      provider: "together",
      providerLabel: "Together AI",
      available: true,
      health: "unknown",
    });
    expect(models.find((m) => m.id === "bai-model")).toMatchObject({ provider: "backend-ai", available: true });
    expect(models.find((m) => m.id === "llama3.2")).toMatchObject({
      provider: "ollama",
      providerLabel: "Ollama",
      available: true,
    });
    const gpt = models.find((m) => m.id === "gpt-4o");
    expect(gpt).toMatchObject({ provider: "openai", available: false });
    expect(gpt?.reason).toContain("MISSING_OPENAI_KEY");
  });

  it("lists a model served by two providers once, under the one from the providers file", () => {
    const shared = TOGETHER_MODELS[0].id;
    const models = factoryFor({}, [
      { id: "gateway", label: "Gateway", baseURL: "https://gw.example.com/v1", models: [shared] },
    ]).listModels();
    const entries = models.filter((m) => m.id === shared);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ provider: "gateway", available: true });
    expect(entries[0].reason).toBeUndefined();
  });

  it("shows the providers file's Together models instead of the built-in ones when it overrides Together", () => {
    const models = factoryFor({ TOGETHER_API_KEY: "k" }, [
      {
        id: "together",
        label: "Together (pinned)",
        baseURL: "https://api.together.xyz/v1",
        apiKeyEnv: "TOGETHER_API_KEY",
        models: ["pinned/model"],
      },
    ]).listModels();
    expect(models).toEqual([
      {
        id: "pinned/model",
        label: "pinned/model",
        provider: "together",
        providerLabel: "Together (pinned)",
        available: true,
        health: "unknown",
      },
    ]);
  });

  it("finds a provider by id, and nothing for an unknown id", () => {
    const factory = factoryFor({ BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "m" });
    expect(factory.provider("backend-ai")?.baseURL).toBe("https://llm.example.com/v1");
    expect(factory.provider("nope")).toBeUndefined();
  });
});

describe("provider factory: resolving a model", () => {
  it("answers unknown_model for a model no provider serves", () => {
    const result = factoryFor({ TOGETHER_API_KEY: "k" }).resolve("gpt-17");
    expect(result).toMatchObject({ ok: false, code: "unknown_model" });
    if (!result.ok) expect(result.message).toContain("gpt-17");
  });

  it("answers provider_not_configured, saying what to set, for a model whose provider has no key", () => {
    const result = factoryFor({}).resolve(TOGETHER_MODELS[0].id);
    expect(result).toMatchObject({ ok: false, code: "provider_not_configured" });
    if (!result.ok) {
      expect(result.message).toContain("Together AI");
      expect(result.message).toContain("TOGETHER_API_KEY");
    }
  });

  it("gives a client for a configured model, the same client for every model of a provider", () => {
    const factory = factoryFor({ TOGETHER_API_KEY: "k" });
    const first = resolved(factory, TOGETHER_MODELS[0].id);
    const second = resolved(factory, TOGETHER_MODELS[1].id);
    expect(first.provider.id).toBe("together");
    expect(first.model).toBe(TOGETHER_MODELS[0].id);
    expect(first.client.baseURL).toBe("https://api.together.xyz/v1");
    expect(second.client).toBe(first.client);
  });

  it("routes a model to the providers file when it also exists built in", () => {
    const shared = TOGETHER_MODELS[0].id;
    const target = resolved(
      factoryFor({}, [{ id: "gateway", baseURL: "https://gw.example.com/v1", apiKey: "gw", models: [shared] }]),
      shared,
    );
    expect(target.provider.id).toBe("gateway");
    expect(target.client.baseURL).toBe("https://gw.example.com/v1");
  });
});

describe("provider factory: models the providers list themselves", () => {
  const OLLAMA = { id: "ollama", label: "Ollama", baseURL: "http://127.0.0.1:11434/v1" };

  it("lists a provider configured without models by what it listed, and routes those models to it", () => {
    const discovery = statuses();
    const factory = factoryFor({}, [OLLAMA], discovery);
    discovery.found("ollama", { health: "reachable", models: listed("qwen2.5-coder:14b", "llama3.2") });
    expect(factory.listModels().filter((m) => m.provider === "ollama")).toEqual([
      { id: "llama3.2", label: "llama3.2", provider: "ollama", providerLabel: "Ollama", available: true, health: "reachable" },
      {
        id: "qwen2.5-coder:14b",
        label: "qwen2.5-coder:14b",
        provider: "ollama",
        providerLabel: "Ollama",
        available: true,
        health: "reachable",
      },
    ]);
    expect(resolved(factory, "llama3.2").provider.id).toBe("ollama");
    expect(factory.resolve("mistral")).toMatchObject({ ok: false, code: "unknown_model" });
    expect(factory.fallbackTarget("ollama")?.model).toBe("llama3.2");
  });

  it("shows a provider that has listed nothing yet as one disabled entry with its health, and offers it no fallback", () => {
    const discovery = statuses();
    const factory = factoryFor({}, [OLLAMA], discovery);
    expect(factory.listModels().filter((m) => m.provider === "ollama")).toEqual([
      {
        id: "",
        label: "Listing models…",
        provider: "ollama",
        providerLabel: "Ollama",
        available: false,
        health: "unknown",
        healthReason: "Kiln is asking Ollama for its models.",
      },
    ]);
    discovery.found("ollama", { health: "unreachable", reason: "Kiln could not reach Ollama (ECONNREFUSED)." });
    expect(factory.listModels().find((m) => m.provider === "ollama")).toMatchObject({
      id: "",
      label: "No models listed",
      available: false,
      health: "unreachable",
      healthReason: "Kiln could not reach Ollama (ECONNREFUSED).",
    });
    expect(factory.fallbackTarget("ollama")).toBeUndefined();
    expect(factory.resolve("")).toMatchObject({ ok: false, code: "unknown_model" });
  });

  it("keeps the models of a provider that stopped answering, marked with its health", () => {
    const discovery = statuses();
    const factory = factoryFor({}, [OLLAMA], discovery);
    discovery.found("ollama", {
      health: "unreachable",
      reason: "Ollama did not answer within 5 s.",
      models: listed("llama3.2"),
    });
    expect(factory.listModels().find((m) => m.provider === "ollama")).toMatchObject({
      id: "llama3.2",
      available: true,
      health: "unreachable",
      healthReason: "Ollama did not answer within 5 s.",
    });
    expect(resolved(factory, "llama3.2").provider.id).toBe("ollama");
  });

  it("lists Together's chat models, its curated ones first, and still routes a curated one it no longer lists", () => {
    const discovery = statuses();
    const factory = factoryFor({ TOGETHER_API_KEY: "k" }, undefined, discovery);
    expect(factory.listModels().map((m) => m.id)).toEqual(TOGETHER_MODELS.map((m) => m.id));

    discovery.found("together", {
      health: "reachable",
      models: [{ id: "zai-org/GLM-4.6", label: "GLM 4.6" }, ...listed(TOGETHER_MODELS[1].id, TOGETHER_MODELS[0].id)],
    });
    const models = factory.listModels();
    expect(models.map((m) => m.id)).toEqual([TOGETHER_MODELS[0].id, TOGETHER_MODELS[1].id, "zai-org/GLM-4.6"]);
    expect(models[0].label).toBe(TOGETHER_MODELS[0].label);
    expect(resolved(factory, "zai-org/GLM-4.6").provider.id).toBe("together");
    expect(resolved(factory, TOGETHER_MODELS[3].id).provider.id).toBe("together");
  });

  it("marks every model of a provider whose key was refused, keeping them listed", () => {
    const discovery = statuses();
    const factory = factoryFor({ TOGETHER_API_KEY: "k" }, undefined, discovery);
    discovery.found("together", { health: "auth_failed", reason: "Together AI rejected the API key (HTTP 401)." });
    const models = factory.listModels();
    expect(models).toHaveLength(TOGETHER_MODELS.length);
    for (const model of models) {
      expect(model).toMatchObject({
        available: true,
        health: "auth_failed",
        healthReason: "Together AI rejected the API key (HTTP 401).",
      });
    }
  });

  it("lists a keyless-configured provider's placeholder as not configured, with the key to set", () => {
    const factory = factoryFor({}, [{ ...OLLAMA, apiKeyEnv: "MISSING_OLLAMA_KEY" }], statuses());
    const entry = factory.listModels().find((m) => m.provider === "ollama");
    expect(entry).toMatchObject({ id: "", available: false, health: "unknown" });
    expect(entry?.reason).toContain("MISSING_OLLAMA_KEY");
    expect(entry?.healthReason).toBeUndefined();
  });

  it("lets a provider with its own model list keep it, whatever its GET /models says", () => {
    const discovery = statuses();
    const factory = factoryFor({}, [{ ...OLLAMA, models: ["pinned"] }], discovery);
    discovery.found("ollama", { health: "reachable", models: listed("other") });
    expect(
      factory
        .listModels()
        .filter((m) => m.provider === "ollama")
        .map((m) => m.id),
    ).toEqual(["pinned"]);
    expect(factory.resolve("other")).toMatchObject({ ok: false, code: "unknown_model" });
  });
});

describe("provider factory: what goes on the wire", () => {
  let fake: FakeProvider;
  const origin = () => fake.url.replace(/\/v1$/, "");

  beforeAll(async () => {
    fake = await startFakeProvider();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  /** One streamed call to completion; returns what the fake recorded for it. */
  async function callThrough(target: ResolvedModel) {
    const text: string[] = [];
    for await (const event of streamCompletion({
      target,
      messages: [{ role: "user", content: "a pomodoro timer" }],
      signal: new AbortController().signal,
      firstByteTimeoutMs: 5_000,
      idleTimeoutMs: 5_000,
    })) {
      if (event.type === "delta") text.push(event.text);
    }
    const [request] = await fake.waitForRequests(1);
    expect(text.join("")).toBe(request.replyText);
    return request;
  }

  it("calls Together at TOGETHER_BASE_URL with the key as a Bearer token and the chosen model", async () => {
    const model = TOGETHER_MODELS[2].id;
    const request = await callThrough(resolved(factoryFor({ TOGETHER_API_KEY: "tg-key", TOGETHER_BASE_URL: fake.url }), model));
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer tg-key");
    expect(request.headers["helicone-auth"]).toBeUndefined();
    expect(request.body).toMatchObject({ model, stream: true, messages: [{ role: "user", content: "a pomodoro timer" }] });
  });

  it("adds the Helicone-Auth header when HELICONE_API_KEY routes Together through Helicone", async () => {
    const factory = factoryFor({ TOGETHER_API_KEY: "tg-key", HELICONE_API_KEY: "hc-key", TOGETHER_BASE_URL: fake.url });
    const request = await callThrough(resolved(factory, TOGETHER_MODELS[0].id));
    expect(request.headers["helicone-auth"]).toBe("Bearer hc-key");
    expect(request.headers.authorization).toBe("Bearer tg-key");
  });

  it("adds /v1 to a Backend.AI endpoint given without it and sends BACKEND_AI_API_KEY as a Bearer token", async () => {
    const factory = factoryFor({
      BACKEND_AI_ENDPOINT: `${origin()}/`,
      MODEL_NAME: "my-served-model",
      BACKEND_AI_API_KEY: "bai-token",
    });
    const request = await callThrough(resolved(factory, "my-served-model"));
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer bai-token");
    expect(request.body.model).toBe("my-served-model");
  });

  it("sends no Authorization header at all to a public Backend.AI endpoint without a key", async () => {
    const factory = factoryFor({ BACKEND_AI_ENDPOINT: origin(), MODEL_NAME: "public-model" });
    const request = await callThrough(resolved(factory, "public-model"));
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers).not.toHaveProperty("authorization");
    expect(request.body.model).toBe("public-model");
  });

  it("calls a keyless provider from the providers file (local Ollama) without an Authorization header", async () => {
    const factory = factoryFor({}, [{ id: "ollama", baseURL: fake.url, models: ["qwen2.5-coder:7b"] }]);
    const request = await callThrough(resolved(factory, "qwen2.5-coder:7b"));
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers).not.toHaveProperty("authorization");
    expect(request.body.model).toBe("qwen2.5-coder:7b");
  });

  it("sends a providers-file key from apiKeyEnv and the file's extra headers", async () => {
    const factory = factoryFor({ KILN_TEST_GATEWAY_KEY: "gw-secret" }, [
      {
        id: "gateway",
        baseURL: `${fake.url}/`,
        apiKeyEnv: "KILN_TEST_GATEWAY_KEY",
        headers: { "X-Team": "kiln" },
        models: ["gw-model"],
      },
    ]);
    const request = await callThrough(resolved(factory, "gw-model"));
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer gw-secret");
    expect(request.headers["x-team"]).toBe("kiln");
  });

  describe("with OpenAI's own variables in the environment", () => {
    const saved = { org: process.env.OPENAI_ORG_ID, project: process.env.OPENAI_PROJECT_ID };
    beforeEach(() => {
      process.env.OPENAI_ORG_ID = "org-should-not-leak";
      process.env.OPENAI_PROJECT_ID = "proj-should-not-leak";
    });
    afterEach(() => {
      if (saved.org === undefined) delete process.env.OPENAI_ORG_ID;
      else process.env.OPENAI_ORG_ID = saved.org;
      if (saved.project === undefined) delete process.env.OPENAI_PROJECT_ID;
      else process.env.OPENAI_PROJECT_ID = saved.project;
    });

    it("does not send OPENAI_ORG_ID / OPENAI_PROJECT_ID to another provider", async () => {
      const factory = factoryFor({ TOGETHER_API_KEY: "tg-key", TOGETHER_BASE_URL: fake.url });
      const request = await callThrough(resolved(factory, TOGETHER_MODELS[0].id));
      expect(request.headers).not.toHaveProperty("openai-organization");
      expect(request.headers).not.toHaveProperty("openai-project");
      expect(JSON.stringify(request.headers)).not.toContain("should-not-leak");
    });
  });
});

describe("provider factory: a model's limits", () => {
  const VLLM = { id: "vllm", label: "vLLM", baseURL: "http://10.0.0.5:8000/v1" };

  it("takes a model's configured limits, else the defaults", () => {
    const factory = factoryFor({}, [
      { ...VLLM, models: [{ id: "configured", contextWindow: 16_384, maxOutputTokens: 4_096 }, "plain"] },
    ]);
    expect(resolved(factory, "configured").limits).toEqual({ contextWindow: 16_384, maxOutputTokens: 4_096 });
    expect(resolved(factory, "plain").limits).toEqual({ contextWindow: 32_768, maxOutputTokens: 8_192 });
  });

  it("takes the context window a provider lists for its own models", () => {
    const discovery = statuses();
    const factory = factoryFor({}, [VLLM], discovery);
    discovery.found("vllm", { health: "reachable", models: [{ id: "served", label: "served", contextWindow: 65_536 }] });
    expect(resolved(factory, "served").limits).toEqual({ contextWindow: 65_536, maxOutputTokens: 8_192 });
  });
});

describe("provider factory: which models read images", () => {
  const OPENAI = { id: "openai", label: "OpenAI", baseURL: "https://api.openai.com/v1", apiKey: "sk-test" };

  it("marks a model vision by its entry, else by the built-in list; vision false wins over the list", () => {
    const factory = factoryFor({}, [
      { ...OPENAI, models: ["gpt-4o", { id: "gpt-4.1", vision: false }, { id: "my-vlm", vision: true }, "gpt-3.5-turbo"] },
    ]);
    expect(resolved(factory, "gpt-4o").vision).toBe(true);
    expect(resolved(factory, "gpt-4.1").vision).toBe(false);
    expect(resolved(factory, "my-vlm").vision).toBe(true);
    expect(resolved(factory, "gpt-3.5-turbo").vision).toBe(false);
    expect(factory.fallbackTarget("openai")).toMatchObject({ model: "gpt-4o", vision: true });
    const listedVision = factory
      .listModels()
      .filter((m) => m.provider === "openai")
      .map((m) => [m.id, m.vision]);
    expect(listedVision).toEqual([
      ["gpt-4o", true],
      ["gpt-4.1", undefined],
      ["my-vlm", true],
      ["gpt-3.5-turbo", undefined],
    ]);
  });

  it("knows Together's vision models when Together's own list brings them", () => {
    const discovery = statuses();
    const factory = factoryFor({ TOGETHER_API_KEY: "k" }, undefined, discovery);
    discovery.found("together", {
      health: "reachable",
      models: listed(TOGETHER_MODELS[0].id, "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"),
    });
    expect(resolved(factory, "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8").vision).toBe(true);
    expect(resolved(factory, TOGETHER_MODELS[0].id).vision).toBe(false);
  });

  it("tells the picker which model describes images for the text-only ones, when KILN_VISION_MODEL can answer", () => {
    const file = [{ ...OPENAI, models: [{ id: "gpt-4o", label: "GPT-4o" }, "gpt-3.5-turbo"] }];
    const models = factoryFor({ KILN_VISION_MODEL: "gpt-4o" }, file).listModels();
    expect(models.find((m) => m.id === "gpt-4o")).toMatchObject({ vision: true });
    expect(models.find((m) => m.id === "gpt-4o")).not.toHaveProperty("imagesDescribedBy");
    expect(models.find((m) => m.id === "gpt-3.5-turbo")).toMatchObject({ imagesDescribedBy: "GPT-4o" });
    expect(models.find((m) => m.id === TOGETHER_MODELS[0].id)).toMatchObject({ imagesDescribedBy: "GPT-4o" });

    // Its provider has no key: nothing can describe the images, and the picker must not promise it.
    const keyless = [{ ...OPENAI, apiKey: undefined, apiKeyEnv: "OPENAI_API_KEY", models: ["gpt-4o", "gpt-3.5-turbo"] }];
    const unavailable = factoryFor({ KILN_VISION_MODEL: "gpt-4o" }, keyless).listModels();
    expect(unavailable.every((m) => m.imagesDescribedBy === undefined)).toBe(true);
  });
});
