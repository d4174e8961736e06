import express from "express";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type KilnConfig } from "./config.server";
import { HELICONE_TOGETHER_BASE_URL, TOGETHER_BASE_URL, TOGETHER_MODELS, withV1 } from "./providers/presets";

type Env = Record<string, string | undefined>;

/** A readFile that serves fake files from memory and fails like fs for anything else. */
function files(contents: Record<string, string>) {
  return (path: string) => {
    if (path in contents) return contents[path];
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
  };
}

const noFiles = files({});

function providersFile(providers: unknown[]) {
  return files({ "/etc/kiln/providers.json": JSON.stringify({ providers }) });
}

const withFile = (env: Env = {}): Env => ({ KILN_PROVIDERS: "/etc/kiln/providers.json", ...env });

function provider(config: KilnConfig, id: string) {
  const found = config.providers.find((p) => p.id === id);
  if (!found) throw new Error(`no provider ${id} in ${config.providers.map((p) => p.id).join(", ")}`);
  return found;
}

/** The ConfigError loadConfig throws; fails the test when it does not throw one. */
function configError(env: Env, readFile = noFiles): ConfigError {
  try {
    loadConfig(env, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    // Start-up prints this as the single line that stops the server.
    expect(message).not.toContain("\n");
    expect(message.trim()).not.toBe("");
    return error as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe("loadConfig: defaults", () => {
  it("starts with no environment at all, listing Together as unavailable with a reason naming TOGETHER_API_KEY", () => {
    const config = loadConfig({}, noFiles);
    const together = provider(config, "together");
    expect(together.available).toBe(false);
    expect(together.reason).toContain("TOGETHER_API_KEY");
    expect(together.models.length).toBeGreaterThan(0);
    expect(together.models).toEqual(TOGETHER_MODELS);
    expect(config.providers.map((p) => p.id)).toEqual(["together"]);
    expect(config.fallback).toEqual(["together"]);
    expect(config).toMatchObject({
      firstByteTimeoutMs: 30_000,
      idleTimeoutMs: 30_000,
      maxRetries: 3,
      maxContinuations: 2,
      databaseUrl: "file:./data/kiln.db",
      port: 3000,
      host: "127.0.0.1",
      logLevel: "info",
    });
  });

  it("treats empty variables as unset, the way .env files say it", () => {
    const config = loadConfig({ TOGETHER_API_KEY: "", PORT: "", BACKEND_AI_ENDPOINT: "", MODEL_NAME: "" }, noFiles);
    expect(provider(config, "together").available).toBe(false);
    expect(config.port).toBe(3000);
    expect(config.providers).toHaveLength(1);
  });
});

describe("loadConfig: Together AI", () => {
  it("lists Together's chat models from its own list, with the built-in ones as the fallback", () => {
    const together = provider(loadConfig({ TOGETHER_API_KEY: "k" }, noFiles), "together");
    expect(together.discover).toBe("chat");
    expect(together.models).toEqual(TOGETHER_MODELS);
  });

  it("enables Together with TOGETHER_API_KEY, at https://api.together.xyz/v1", () => {
    const together = provider(loadConfig({ TOGETHER_API_KEY: "tg-secret" }, noFiles), "together");
    expect(together).toMatchObject({ available: true, apiKey: "tg-secret", baseURL: "https://api.together.xyz/v1" });
    expect(together.baseURL).toBe(TOGETHER_BASE_URL);
    expect(together.reason).toBeUndefined();
    expect(together.headers).toEqual({});
  });

  it("sends Together to TOGETHER_BASE_URL when it is set", () => {
    const together = provider(
      loadConfig({ TOGETHER_API_KEY: "k", TOGETHER_BASE_URL: "http://127.0.0.1:9999/v1" }, noFiles),
      "together",
    );
    expect(together.baseURL).toBe("http://127.0.0.1:9999/v1");
  });

  it("routes Together through the Helicone gateway with a Helicone-Auth header when HELICONE_API_KEY is set", () => {
    const together = provider(loadConfig({ TOGETHER_API_KEY: "k", HELICONE_API_KEY: "hc-key" }, noFiles), "together");
    expect(together.baseURL).toBe("https://together.helicone.ai/v1");
    expect(together.baseURL).toBe(HELICONE_TOGETHER_BASE_URL);
    expect(together.headers).toEqual({ "Helicone-Auth": "Bearer hc-key" });
    expect(together.apiKey).toBe("k");
  });

  it("keeps the Helicone header when TOGETHER_BASE_URL points Together elsewhere", () => {
    const together = provider(
      loadConfig({ TOGETHER_API_KEY: "k", HELICONE_API_KEY: "hc-key", TOGETHER_BASE_URL: "http://localhost:1/v1" }, noFiles),
      "together",
    );
    expect(together.baseURL).toBe("http://localhost:1/v1");
    expect(together.headers["Helicone-Auth"]).toBe("Bearer hc-key");
  });

  it("refuses a TOGETHER_BASE_URL that is not an http(s) URL, naming the variable", () => {
    expect(configError({ TOGETHER_BASE_URL: "not a url" }).message).toMatch(/^TOGETHER_BASE_URL /);
    expect(configError({ TOGETHER_BASE_URL: "ftp://example.com/v1" }).message).toMatch(/^TOGETHER_BASE_URL /);
  });
});

describe("loadConfig: Backend.AI", () => {
  it.each([
    ["https://my-llm.asia03.app.backend.ai", "https://my-llm.asia03.app.backend.ai/v1"],
    ["https://my-llm.asia03.app.backend.ai/", "https://my-llm.asia03.app.backend.ai/v1"],
    ["https://my-llm.asia03.app.backend.ai/v1", "https://my-llm.asia03.app.backend.ai/v1"],
    ["https://my-llm.asia03.app.backend.ai/v1/", "https://my-llm.asia03.app.backend.ai/v1"],
    ["https://my-llm.asia03.app.backend.ai//", "https://my-llm.asia03.app.backend.ai/v1"],
    ["http://10.0.0.5:8000/service/", "http://10.0.0.5:8000/service/v1"],
  ])("accepts BACKEND_AI_ENDPOINT %s and talks to exactly one /v1 (%s)", (endpoint, expected) => {
    const config = loadConfig({ BACKEND_AI_ENDPOINT: endpoint, MODEL_NAME: "my-model" }, noFiles);
    const backendAi = provider(config, "backend-ai");
    expect(backendAi.baseURL).toBe(expected);
    expect(backendAi.baseURL.match(/\/v1/g)).toHaveLength(1);
  });

  it("withV1 adds /v1 only when it is missing", () => {
    expect(withV1("http://h:1")).toBe("http://h:1/v1");
    expect(withV1("http://h:1/v1")).toBe("http://h:1/v1");
    expect(withV1("http://h:1/v1///")).toBe("http://h:1/v1");
  });

  it("offers MODEL_NAME as the Backend.AI model, available even without BACKEND_AI_API_KEY (public endpoints)", () => {
    const backendAi = provider(
      loadConfig({ BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "Qwen/Qwen2.5-Coder" }, noFiles),
      "backend-ai",
    );
    expect(backendAi.available).toBe(true);
    expect(backendAi.apiKey).toBeUndefined();
    expect(backendAi.models).toEqual([{ id: "Qwen/Qwen2.5-Coder", label: "Qwen/Qwen2.5-Coder" }]);
  });

  it("uses BACKEND_AI_API_KEY as the Backend.AI key when given", () => {
    const backendAi = provider(
      loadConfig({ BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "m", BACKEND_AI_API_KEY: "bai-token" }, noFiles),
      "backend-ai",
    );
    expect(backendAi.apiKey).toBe("bai-token");
  });

  it("offers a configured model list for MODEL_NAME, so the service's own list only reports its health", () => {
    const backendAi = provider(
      loadConfig({ BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "m" }, noFiles),
      "backend-ai",
    );
    expect(backendAi.discover).toBeUndefined();
  });

  it("accepts BACKEND_AI_ENDPOINT without MODEL_NAME and lists the models the service itself lists", () => {
    const backendAi = provider(loadConfig({ BACKEND_AI_ENDPOINT: "https://llm.example.com" }, noFiles), "backend-ai");
    expect(backendAi).toMatchObject({ baseURL: "https://llm.example.com/v1", available: true, models: [], discover: "all" });
  });

  it("refuses MODEL_NAME without BACKEND_AI_ENDPOINT, naming BACKEND_AI_ENDPOINT", () => {
    expect(configError({ MODEL_NAME: "m" }).message).toMatch(/^BACKEND_AI_ENDPOINT /);
  });

  it("refuses a BACKEND_AI_ENDPOINT that is not a URL, naming the variable", () => {
    expect(configError({ BACKEND_AI_ENDPOINT: "my-llm.backend.ai", MODEL_NAME: "m" }).message).toMatch(/^BACKEND_AI_ENDPOINT /);
  });
});

describe("loadConfig: the KILN_PROVIDERS file", () => {
  it("adds a keyless local provider (Ollama) whose models are available", () => {
    const config = loadConfig(
      withFile(),
      providersFile([
        {
          id: "ollama",
          label: "Local Ollama",
          baseURL: "http://localhost:11434/v1/",
          models: ["qwen2.5-coder:7b", { id: "llama3.2" }],
        },
      ]),
    );
    expect(config.providers.map((p) => p.id)).toEqual(["together", "ollama"]);
    const ollama = provider(config, "ollama");
    expect(ollama).toMatchObject({
      label: "Local Ollama",
      baseURL: "http://localhost:11434/v1",
      available: true,
      headers: {},
      models: [
        { id: "qwen2.5-coder:7b", label: "qwen2.5-coder:7b" },
        { id: "llama3.2", label: "llama3.2" },
      ],
    });
    expect(ollama.apiKey).toBeUndefined();
    expect(ollama.reason).toBeUndefined();
  });

  it("overrides the built-in Together provider by id, keeping its place", () => {
    const config = loadConfig(
      withFile({ BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "m" }),
      providersFile([{ id: "together", baseURL: "https://gateway.example.com/v1", apiKey: "from-file", models: ["only-this"] }]),
    );
    expect(config.providers.map((p) => p.id)).toEqual(["together", "backend-ai"]);
    expect(provider(config, "together")).toMatchObject({
      baseURL: "https://gateway.example.com/v1",
      apiKey: "from-file",
      available: true,
      models: [{ id: "only-this", label: "only-this" }],
    });
  });

  it("reads the key from the variable named by apiKeyEnv, so the file holds no secret", () => {
    const config = loadConfig(
      withFile({ OPENAI_KEY_FOR_KILN: "sk-from-env" }),
      providersFile([
        {
          id: "openai",
          label: "OpenAI",
          baseURL: "https://api.openai.com/v1",
          apiKeyEnv: "OPENAI_KEY_FOR_KILN",
          headers: { "X-Team": "kiln" },
          models: ["gpt-4o"],
        },
      ]),
    );
    expect(provider(config, "openai")).toMatchObject({
      apiKey: "sk-from-env",
      available: true,
      headers: { "X-Team": "kiln" },
    });
  });

  it("lists a provider whose apiKeyEnv variable is missing as unavailable, with a reason naming that variable", () => {
    const config = loadConfig(
      withFile(),
      providersFile([
        {
          id: "openai",
          label: "OpenAI",
          baseURL: "https://api.openai.com/v1",
          apiKeyEnv: "OPENAI_KEY_FOR_KILN",
          models: ["gpt-4o"],
        },
      ]),
    );
    const openai = provider(config, "openai");
    expect(openai.available).toBe(false);
    expect(openai.apiKey).toBeUndefined();
    expect(openai.reason).toContain("OPENAI_KEY_FOR_KILN");
  });

  it("treats an empty apiKeyEnv variable as missing", () => {
    const config = loadConfig(
      withFile({ OPENAI_KEY_FOR_KILN: "" }),
      providersFile([
        { id: "openai", baseURL: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_KEY_FOR_KILN", models: ["gpt-4o"] },
      ]),
    );
    expect(provider(config, "openai").available).toBe(false);
  });

  it("stops with one line naming KILN_PROVIDERS when the file is not valid JSON", () => {
    const error = configError(withFile(), files({ "/etc/kiln/providers.json": "{ providers: [\n oops" }));
    expect(error.message).toMatch(/^KILN_PROVIDERS /);
    expect(error.message).toContain("/etc/kiln/providers.json");
    expect(error.message).toMatch(/JSON/);
  });

  it("keeps the message on one line even when the JSON error quotes text spanning line breaks", () => {
    // V8 quotes the text around the error, raw newlines included, e.g. an unquoted value.
    const text = '{"providers": [\n  {"id": ollama}\n]}';
    const error = configError(withFile(), files({ "/etc/kiln/providers.json": text }));
    expect(error.message).toMatch(/^KILN_PROVIDERS /);
  });

  it("does not quote the broken file, which may hold a key, in the error", () => {
    const text = '{"providers": [{"id": "x", "apiKey": "sk-inline-secret-123" oops}]}';
    const error = configError(withFile(), files({ "/etc/kiln/providers.json": text }));
    expect(error.message).not.toContain("sk-inline");
    expect(error.message).toMatch(/position \d+/);
  });

  it("accepts an entry without models, whose models are the ones the provider lists", () => {
    const config = loadConfig(withFile(), providersFile([{ id: "vllm", label: "vLLM", baseURL: "http://10.0.0.5:8000/v1" }]));
    expect(provider(config, "vllm")).toMatchObject({ available: true, models: [], discover: "all" });
  });

  it("asks every provider for token usage (the version's receipt) unless its entry sets includeUsage false", () => {
    const config = loadConfig(
      withFile({ BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "m" }),
      providersFile([
        { id: "vllm", baseURL: "http://10.0.0.5:8000/v1", models: ["m1"] },
        { id: "strict", baseURL: "https://strict.example.com/v1", models: ["m2"], includeUsage: false },
      ]),
    );
    expect(config.providers.map((p) => [p.id, p.includeUsage])).toEqual([
      ["together", true],
      ["backend-ai", true],
      ["vllm", true],
      ["strict", false],
    ]);
    expect(configError(withFile(), providersFile([{ id: "x", baseURL: "http://x/v1", includeUsage: "yes" }])).message).toMatch(
      /includeUsage/,
    );
  });

  it("keeps an entry's models as its list when it gives them, asking the provider only for its health", () => {
    const config = loadConfig(withFile(), providersFile([{ id: "vllm", baseURL: "http://10.0.0.5:8000/v1", models: ["m"] }]));
    expect(provider(config, "vllm").discover).toBeUndefined();
  });

  it("reads a model's context window and output limit from its entry, leaving a bare id to the defaults", () => {
    const config = loadConfig(
      withFile(),
      providersFile([
        {
          id: "vllm",
          baseURL: "http://10.0.0.5:8000/v1",
          models: [{ id: "small", contextWindow: 16_384, maxOutputTokens: 4_096 }, "plain"],
        },
      ]),
    );
    expect(provider(config, "vllm").models).toEqual([
      { id: "small", label: "small", contextWindow: 16_384, maxOutputTokens: 4_096 },
      { id: "plain", label: "plain" },
    ]);
  });

  it("gives Together's built-in models their known context windows", () => {
    const together = provider(loadConfig({ TOGETHER_API_KEY: "k" }, noFiles), "together");
    for (const model of together.models) {
      expect(model.contextWindow).toBeGreaterThanOrEqual(131_072);
      expect(model.maxOutputTokens).toBeLessThan(model.contextWindow!);
    }
  });

  it("refuses a model whose output limit is not smaller than its context window, or a limit that is no whole number", () => {
    const tooBig = configError(
      withFile(),
      providersFile([
        { id: "x", baseURL: "https://x.example.com/v1", models: [{ id: "m", contextWindow: 4_096, maxOutputTokens: 8_192 }] },
      ]),
    );
    expect(tooBig.message).toContain("maxOutputTokens must be smaller than contextWindow");
    const fraction = configError(
      withFile(),
      providersFile([{ id: "x", baseURL: "https://x.example.com/v1", models: [{ id: "m", contextWindow: "32k" }] }]),
    );
    expect(fraction.message).toContain("providers.0.models.0");
  });

  it("stops with one line naming KILN_PROVIDERS and the bad field when the file breaks the schema", () => {
    const missingModels = configError(withFile(), providersFile([{ id: "x", baseURL: "https://x.example.com/v1", models: [] }]));
    expect(missingModels.message).toMatch(/^KILN_PROVIDERS /);
    expect(missingModels.message).toContain("providers.0.models");

    const badId = configError(
      withFile(),
      providersFile([{ id: "Has Spaces", baseURL: "https://x.example.com/v1", models: ["m"] }]),
    );
    expect(badId.message).toMatch(/^KILN_PROVIDERS /);
    expect(badId.message).toContain("providers.0.id");

    const badUrl = configError(withFile(), providersFile([{ id: "x", baseURL: "localhost:11434", models: ["m"] }]));
    expect(badUrl.message).toMatch(/^KILN_PROVIDERS /);
    expect(badUrl.message).toContain("baseURL");

    const typo = configError(withFile(), providersFile([{ id: "x", baseUrl: "https://x.example.com/v1", models: ["m"] }]));
    expect(typo.message).toMatch(/^KILN_PROVIDERS /);

    const notAList = configError(withFile(), files({ "/etc/kiln/providers.json": '{"providers": {}}' }));
    expect(notAList.message).toMatch(/^KILN_PROVIDERS /);
  });

  it("stops with one line naming KILN_PROVIDERS and the path when the file cannot be read", () => {
    const error = configError(withFile(), noFiles);
    expect(error.message).toMatch(/^KILN_PROVIDERS /);
    expect(error.message).toContain("/etc/kiln/providers.json");
    expect(error.message).toContain("ENOENT");
  });

  it("hands the path from KILN_PROVIDERS to readFile", () => {
    const seen: string[] = [];
    loadConfig({ KILN_PROVIDERS: "./providers.local.json" }, (path) => {
      seen.push(path);
      return JSON.stringify({ providers: [] });
    });
    expect(seen).toEqual(["./providers.local.json"]);
  });

  it("does not read any file when KILN_PROVIDERS is unset", () => {
    loadConfig({}, () => {
      throw new Error("should not be called");
    });
  });
});

describe("loadConfig: numbers, URLs and names", () => {
  it.each([
    ["KILN_IDLE_TIMEOUT_MS", "abc"],
    ["KILN_IDLE_TIMEOUT_MS", "0"],
    ["KILN_IDLE_TIMEOUT_MS", "1.5"],
    ["KILN_FIRST_BYTE_TIMEOUT_MS", "-5"],
    ["KILN_FIRST_BYTE_TIMEOUT_MS", "soon"],
    ["PORT", "70000"],
    ["PORT", "http"],
    ["KILN_MAX_RETRIES", "-1"],
    ["KILN_MAX_RETRIES", "11"],
    ["KILN_MAX_CONTINUATIONS", "-1"],
    ["KILN_MAX_CONTINUATIONS", "6"],
    ["KILN_MAX_CONTINUATIONS", "1.5"],
    ["KILN_MAX_BODY_BYTES", "lots"],
    ["KILN_MAX_IMAGE_BYTES", "0"],
    ["KILN_MAX_IMAGE_BYTES", "5MB"],
    ["KILN_PREVIEW_TIMEOUT_MS", "-1"],
    ["LOG_LEVEL", "verbose"],
  ])("stops on %s=%s with a message that starts with the variable name", (name, value) => {
    expect(configError({ [name]: value }).message).toMatch(new RegExp(`^${name} `));
  });

  it("reads valid numbers", () => {
    const config = loadConfig(
      {
        KILN_IDLE_TIMEOUT_MS: "1500",
        KILN_FIRST_BYTE_TIMEOUT_MS: "2500",
        KILN_MAX_RETRIES: "0",
        KILN_MAX_CONTINUATIONS: "5",
        KILN_MAX_BODY_BYTES: "2048",
        PORT: "8080",
        HOST: "0.0.0.0",
      },
      noFiles,
    );
    expect(config).toMatchObject({
      idleTimeoutMs: 1500,
      firstByteTimeoutMs: 2500,
      maxRetries: 0,
      maxContinuations: 5,
      maxBodyBytes: 2048,
      port: 8080,
      host: "0.0.0.0",
    });
  });

  it("reads KILN_FALLBACK as a comma-separated list of providers", () => {
    const config = loadConfig(
      { KILN_FALLBACK: " backend-ai , together,", BACKEND_AI_ENDPOINT: "https://llm.example.com", MODEL_NAME: "m" },
      noFiles,
    );
    expect(config.fallback).toEqual(["backend-ai", "together"]);
  });

  it("accepts a provider from the KILN_PROVIDERS file in KILN_FALLBACK", () => {
    const config = loadConfig(
      withFile({ KILN_FALLBACK: "ollama,together" }),
      providersFile([{ id: "ollama", baseURL: "http://localhost:11434/v1", models: ["m"] }]),
    );
    expect(config.fallback).toEqual(["ollama", "together"]);
  });

  it("stops when KILN_FALLBACK names a provider that does not exist, naming the variable and the id", () => {
    const error = configError({ KILN_FALLBACK: "together,openrouter" });
    expect(error.message).toMatch(/^KILN_FALLBACK /);
    expect(error.message).toContain("openrouter");
  });

  it("preselects KILN_DEFAULT_MODEL when it is a known model", () => {
    const config = loadConfig({ KILN_DEFAULT_MODEL: TOGETHER_MODELS[1].id }, noFiles);
    expect(config.defaultModel).toBe(TOGETHER_MODELS[1].id);
  });

  it("stops when KILN_DEFAULT_MODEL is not a model of any provider, naming the variable", () => {
    const error = configError({ KILN_DEFAULT_MODEL: "gpt-17" });
    expect(error.message).toMatch(/^KILN_DEFAULT_MODEL /);
    expect(error.message).toContain("gpt-17");
  });

  it("accepts a KILN_DEFAULT_MODEL no list names yet when a provider lists its own models (they are known only later)", () => {
    const config = loadConfig(
      withFile({ KILN_DEFAULT_MODEL: "qwen2.5-coder:14b" }),
      providersFile([{ id: "ollama", baseURL: "http://localhost:11434/v1" }]),
    );
    expect(config.defaultModel).toBe("qwen2.5-coder:14b");
  });

  it("asks the providers for their models every 10 minutes unless KILN_MODELS_REFRESH_MS says otherwise", () => {
    expect(loadConfig({}, noFiles).modelsRefreshMs).toBe(600_000);
    expect(loadConfig({ KILN_MODELS_REFRESH_MS: "60000" }, noFiles).modelsRefreshMs).toBe(60_000);
  });

  it.each(["soon", "500", "-1"])("refuses KILN_MODELS_REFRESH_MS=%s, naming the variable", (value) => {
    expect(configError({ KILN_MODELS_REFRESH_MS: value }).message).toMatch(/^KILN_MODELS_REFRESH_MS /);
  });

  it.each(["file:./data/kiln.db", "file:/var/lib/kiln.db", "postgres://kiln:pw@db:5432/kiln", "postgresql://db/kiln"])(
    "accepts DATABASE_URL %s",
    (url) => {
      expect(loadConfig({ DATABASE_URL: url }, noFiles).databaseUrl).toBe(url);
    },
  );

  it.each(["mysql://db/kiln", "./data/kiln.db", "file:", "postgres://"])(
    "refuses DATABASE_URL %s, naming the variable",
    (url) => {
      expect(configError({ DATABASE_URL: url }).message).toMatch(/^DATABASE_URL /);
    },
  );

  it("refuses a KILN_SANDPACK_BUNDLER_URL that is not a URL", () => {
    expect(configError({ KILN_PREVIEW: "sandpack", KILN_SANDPACK_BUNDLER_URL: "bundler.local" }).message).toMatch(
      /^KILN_SANDPACK_BUNDLER_URL must be a URL/,
    );
  });

  it("never puts a key it was given into an error message", () => {
    const error = configError({ TOGETHER_API_KEY: "tg-very-secret", HELICONE_API_KEY: "hc-very-secret", PORT: "-3" });
    expect(error.message).not.toContain("very-secret");
  });
});

describe("loadConfig: images", () => {
  const ollamaFile = (models: unknown[]) => providersFile([{ id: "ollama", baseURL: "http://localhost:11434/v1", models }]);

  it("takes images up to 5 MiB by default, or KILN_MAX_IMAGE_BYTES, and describes none for text-only models", () => {
    expect(loadConfig({}, noFiles)).toMatchObject({ maxImageBytes: 5 * 1024 * 1024, visionModel: undefined });
    expect(loadConfig({ KILN_MAX_IMAGE_BYTES: "1000000" }, noFiles).maxImageBytes).toBe(1_000_000);
  });

  it("reads whether a model reads images from its entry's vision, leaving a bare id to the built-in list", () => {
    const config = loadConfig(
      withFile(),
      ollamaFile([{ id: "llava:13b", vision: true }, { id: "qwen2.5-coder:14b", vision: false }, "gpt-4o"]),
    );
    expect(provider(config, "ollama").models).toEqual([
      { id: "llava:13b", label: "llava:13b", vision: true },
      { id: "qwen2.5-coder:14b", label: "qwen2.5-coder:14b", vision: false },
      { id: "gpt-4o", label: "gpt-4o" },
    ]);
    expect(configError(withFile(), ollamaFile([{ id: "llava", vision: "yes" }])).message).toMatch(
      /^KILN_PROVIDERS file .*: providers\.0\.models\.0 /,
    );
  });

  it("accepts a KILN_VISION_MODEL whose entry says vision, or a configured model of the built-in vision list", () => {
    expect(
      loadConfig(withFile({ KILN_VISION_MODEL: "llava:13b" }), ollamaFile([{ id: "llava:13b", vision: true }])).visionModel,
    ).toBe("llava:13b");
    expect(loadConfig(withFile({ KILN_VISION_MODEL: "gpt-4o" }), ollamaFile(["gpt-4o"])).visionModel).toBe("gpt-4o");
  });

  it("accepts a built-in vision model no list names yet: Together's own list may bring it", () => {
    const config = loadConfig({ KILN_VISION_MODEL: "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8" }, noFiles);
    expect(config.visionModel).toBe("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8");
  });

  it("stops when KILN_VISION_MODEL names a text-only model, or one whose entry says vision false, naming the variable", () => {
    for (const [env, file] of [
      [{ KILN_VISION_MODEL: TOGETHER_MODELS[0].id }, noFiles],
      [withFile({ KILN_VISION_MODEL: "gpt-4o" }), ollamaFile([{ id: "gpt-4o", vision: false }])],
    ] as const) {
      const message = configError(env, file).message;
      expect(message).toMatch(/^KILN_VISION_MODEL ".+" is not a vision model: mark it "vision": true/);
    }
  });

  it("stops when KILN_VISION_MODEL names a model Kiln does not know to read images, or one no provider can serve", () => {
    expect(configError({ KILN_VISION_MODEL: "some/unknown-model" }).message).toMatch(
      /^KILN_VISION_MODEL "some\/unknown-model" is not a model Kiln knows to read images/,
    );
    // Every provider with a fixed list: a model in none of them is never served.
    const fixedLists = providersFile([{ id: "together", baseURL: "https://api.together.xyz/v1", models: ["m"] }]);
    expect(configError(withFile({ KILN_VISION_MODEL: "gpt-4o" }), fixedLists).message).toBe(
      'KILN_VISION_MODEL "gpt-4o" is not a model of any provider',
    );
  });
});

describe("loadConfig: the preview", () => {
  it("runs Kiln's own preview runtime by default, with no bundler and a 15 s start-up limit", () => {
    const config = loadConfig({}, noFiles);
    expect(config.previewMode).toBe("local");
    expect(config.sandpackBundlerUrl).toBeUndefined();
    expect(config.previewTimeoutMs).toBe(15_000);
  });

  it("switches to Sandpack's hosted bundler with KILN_PREVIEW=sandpack", () => {
    const config = loadConfig({ KILN_PREVIEW: "sandpack" }, noFiles);
    expect(config.previewMode).toBe("sandpack");
    expect(config.sandpackBundlerUrl).toBeUndefined();
  });

  it.each(["Sandpack", "codesandbox", "off", "true"])(
    "refuses KILN_PREVIEW=%s with one line naming KILN_PREVIEW and the choices",
    (value) => {
      const error = configError({ KILN_PREVIEW: value });
      expect(error.message).toMatch(/^KILN_PREVIEW /);
      expect(error.message).toContain("local");
      expect(error.message).toContain("sandpack");
    },
  );

  it("refuses a KILN_SANDPACK_BUNDLER_URL set without KILN_PREVIEW=sandpack: it would be silently ignored", () => {
    for (const env of [{}, { KILN_PREVIEW: "local" }]) {
      const error = configError({ ...env, KILN_SANDPACK_BUNDLER_URL: "https://bundler.intra.example/" });
      expect(error.message).toMatch(/^KILN_SANDPACK_BUNDLER_URL /);
      expect(error.message).toContain("KILN_PREVIEW=sandpack");
    }
  });

  it("uses a self-hosted bundler on another site in Sandpack mode", () => {
    const config = loadConfig(
      { KILN_PREVIEW: "sandpack", KILN_SANDPACK_BUNDLER_URL: "https://bundler.intra.example:8443/" },
      noFiles,
    );
    expect(config).toMatchObject({ previewMode: "sandpack", sandpackBundlerUrl: "https://bundler.intra.example:8443/" });
  });

  // The bundler runs generated code in its own origin: on Kiln's, that code could use Kiln's cookies and API.
  it.each([
    [{ PORT: "3000" }, "http://127.0.0.1:3000/"],
    [{ PORT: "3000" }, "http://localhost:3000/sandpack/"],
    [{ PORT: "3000", HOST: "localhost" }, "http://127.0.0.1:3000/"],
    [{ PORT: "8080", HOST: "kiln.intra.example" }, "http://kiln.intra.example:8080/"],
    [{ PORT: "443", HOST: "kiln.intra.example" }, "https://kiln.intra.example/"],
    [{ PORT: "80", HOST: "kiln.intra.example" }, "http://kiln.intra.example/"],
    [{ PORT: "3000", HOST: "::1" }, "http://[::1]:3000/"],
    [{ PORT: "3000", HOST: "::1" }, "http://localhost:3000/"],
    [{ PORT: "3000", HOST: "LOCALHOST" }, "http://127.0.0.1:3000/"],
  ])(
    "refuses, with %o, a bundler at Kiln's own address %s, with one line naming KILN_SANDPACK_BUNDLER_URL",
    (address, bundler) => {
      const error = configError({ ...address, KILN_PREVIEW: "sandpack", KILN_SANDPACK_BUNDLER_URL: bundler });
      expect(error.message).toMatch(/^KILN_SANDPACK_BUNDLER_URL /);
      expect(error.message).toContain(new URL(bundler).origin);
    },
  );

  it("refuses a bundler on Kiln's port by its default, 3000, when PORT is unset", () => {
    expect(configError({ KILN_PREVIEW: "sandpack", KILN_SANDPACK_BUNDLER_URL: "http://localhost:3000" }).message).toMatch(
      /^KILN_SANDPACK_BUNDLER_URL /,
    );
  });

  it.each([
    [{ PORT: "3000" }, "http://127.0.0.1:3001/"],
    [{ PORT: "3000" }, "http://localhost:9000/"],
    [{ PORT: "8080", HOST: "kiln.intra.example" }, "http://bundler.intra.example:8080/"],
    [{ PORT: "8080", HOST: "kiln.intra.example" }, "http://kiln.intra.example:8081/"],
    // Kiln listens on one public name only: loopback names on its port are another server.
    [{ PORT: "8080", HOST: "kiln.intra.example" }, "http://localhost:8080/"],
  ])("accepts, with %o, a bundler on another port or host: %s", (address, bundler) => {
    const config = loadConfig({ ...address, KILN_PREVIEW: "sandpack", KILN_SANDPACK_BUNDLER_URL: bundler }, noFiles);
    expect(config.sandpackBundlerUrl).toBe(bundler);
  });
});

describe("loadConfig: metrics", () => {
  it("leaves /metrics off by default", () => {
    expect(loadConfig({}, noFiles).metrics).toEqual({ enabled: false, token: undefined });
  });

  it("turns metrics on with KILN_METRICS=on, without a token", () => {
    expect(loadConfig({ KILN_METRICS: "on" }, noFiles).metrics).toEqual({ enabled: true, token: undefined });
    expect(loadConfig({ KILN_METRICS: "off" }, noFiles).metrics).toEqual({ enabled: false, token: undefined });
  });

  it("turns metrics on when KILN_METRICS_TOKEN is set, alone or with KILN_METRICS=on", () => {
    expect(loadConfig({ KILN_METRICS_TOKEN: " scrape-token " }, noFiles).metrics).toEqual({
      enabled: true,
      token: "scrape-token",
    });
    expect(loadConfig({ KILN_METRICS: "on", KILN_METRICS_TOKEN: "scrape-token" }, noFiles).metrics).toEqual({
      enabled: true,
      token: "scrape-token",
    });
  });

  it("treats an empty KILN_METRICS_TOKEN as unset", () => {
    expect(loadConfig({ KILN_METRICS_TOKEN: "" }, noFiles).metrics).toEqual({ enabled: false, token: undefined });
  });

  it.each(["yes", "true", "ON", "1"])("refuses KILN_METRICS=%s, naming the variable", (value) => {
    expect(configError({ KILN_METRICS: value }).message).toBe("KILN_METRICS must be on or off");
  });

  it("refuses KILN_METRICS=off with a token, without printing the token", () => {
    const error = configError({ KILN_METRICS: "off", KILN_METRICS_TOKEN: "very-secret-token" });
    expect(error.message).toMatch(/^KILN_METRICS /);
    expect(error.message).toContain("KILN_METRICS_TOKEN");
    expect(error.message).not.toContain("very-secret");
  });
});

describe("loadConfig: KILN_TRUST_PROXY", () => {
  /** The client address Express derives (req.ip) from this setting, a TCP peer and an X-Forwarded-For. */
  function clientIp(trustProxy: KilnConfig["trustProxy"], peer: string, forwardedFor?: string): string | undefined {
    const app = express();
    app.set("trust proxy", trustProxy);
    const req = Object.create(app.request) as express.Request;
    Object.assign(req, {
      app,
      headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
      socket: { remoteAddress: peer },
      connection: { remoteAddress: peer },
    });
    return req.ip;
  }

  it("trusts no proxy when unset, false or 0: the TCP peer is the client whatever X-Forwarded-For says", () => {
    for (const value of [undefined, "", "false", "FALSE", "0"]) {
      const config = loadConfig({ KILN_TRUST_PROXY: value }, noFiles);
      expect(config.trustProxy).toBe(0);
      expect(clientIp(config.trustProxy, "203.0.113.7", "198.51.100.1")).toBe("203.0.113.7");
    }
  });

  it("reads a hop count: the client is the entry that many proxies from Kiln, never one the client wrote to its left", () => {
    const one = loadConfig({ KILN_TRUST_PROXY: "1" }, noFiles).trustProxy;
    const two = loadConfig({ KILN_TRUST_PROXY: "2" }, noFiles).trustProxy;
    expect([one, two]).toEqual([1, 2]);
    // The client wrote "6.6.6.6, 7.7.7.7"; the proxy next to Kiln appended the address it saw.
    expect(clientIp(one, "10.0.0.2", "6.6.6.6, 7.7.7.7, 198.51.100.1")).toBe("198.51.100.1");
    // Two proxies: the outer one appended the client's address, the inner one the outer's.
    expect(clientIp(two, "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9")).toBe("198.51.100.1");
  });

  it("reads a list of addresses, CIDR ranges (IPv4 and IPv6) and Express's named ranges, passed to Express as such", () => {
    const config = loadConfig(
      { KILN_TRUST_PROXY: " 10.0.0.0/8, 127.0.0.1 ,fd00::/8,::1,Loopback,linklocal,uniquelocal," },
      noFiles,
    );
    expect(config.trustProxy).toEqual(["10.0.0.0/8", "127.0.0.1", "fd00::/8", "::1", "loopback", "linklocal", "uniquelocal"]);
    // Express compiles every entry (it would throw at start-up on one it cannot read).
    expect(clientIp(config.trustProxy, "192.168.1.1", "198.51.100.1")).toBe("198.51.100.1");
    expect(clientIp(config.trustProxy, "fe80::1", "198.51.100.1")).toBe("198.51.100.1");
    const list = loadConfig({ KILN_TRUST_PROXY: "10.0.0.0/8,fd00::/8" }, noFiles).trustProxy;
    // A trusted peer's right-most untrusted entry is the client, the entries left of it are not read.
    expect(clientIp(list, "10.1.2.3", "6.6.6.6, 198.51.100.1")).toBe("198.51.100.1");
    expect(clientIp(list, "10.1.2.3", "6.6.6.6, 198.51.100.1, 10.9.9.9")).toBe("198.51.100.1");
    expect(clientIp(list, "fd12::1", "2001:db8::1")).toBe("2001:db8::1");
    // A peer outside the list is the client itself, whatever it forwards.
    expect(clientIp(list, "203.0.113.7", "198.51.100.1")).toBe("203.0.113.7");
    // IPv4 peers on a dual-stack socket are written IPv4-mapped; they still match an IPv4 range.
    expect(clientIp(list, "::ffff:10.1.2.3", "198.51.100.1")).toBe("198.51.100.1");
  });

  it("makes the TCP peer a trusted proxy (the load context's fromTrustedProxy) by the same rule Express uses", () => {
    /** What server/app.server.ts computes per request: Express's compiled setting, asked about the peer. */
    const peerTrusted = (value: string, peer: string) => {
      const app = express();
      app.set("trust proxy", loadConfig({ KILN_TRUST_PROXY: value }, noFiles).trustProxy);
      return (app.get("trust proxy fn") as (address: string, hop: number) => boolean)(peer, 0);
    };
    expect(peerTrusted("", "127.0.0.1")).toBe(false);
    expect(peerTrusted("0", "10.0.0.2")).toBe(false);
    // A hop count trusts whoever connects: Kiln must then be reachable only through its proxy.
    expect(peerTrusted("1", "203.0.113.7")).toBe(true);
    expect(peerTrusted("10.0.0.0/8,::1", "10.0.0.2")).toBe(true);
    expect(peerTrusted("10.0.0.0/8,::1", "::ffff:10.0.0.2")).toBe(true);
    expect(peerTrusted("10.0.0.0/8,::1", "::1")).toBe(true);
    expect(peerTrusted("10.0.0.0/8,::1", "127.0.0.1")).toBe(false);
    expect(peerTrusted("loopback", "127.0.0.1")).toBe(true);
  });

  it("refuses true with one sentence saying why and what to set instead", () => {
    for (const value of ["true", "TRUE", "True"]) {
      const message = configError({ KILN_TRUST_PROXY: value }).message;
      expect(message).toBe(
        "KILN_TRUST_PROXY=true is refused because it makes Kiln believe the left-most X-Forwarded-For entry, which the client writes itself; set the number of proxies in front of Kiln (e.g. 1) or their addresses (e.g. 10.0.0.0/8,127.0.0.1) instead",
      );
    }
  });

  it.each([
    "yes",
    "on",
    "-1",
    "1.5",
    "1,10.0.0.1",
    "10.0.0.256",
    "10.0.0.0/33",
    "fd00::/129",
    "10.0.0.0/8/8",
    "[::1]",
    "fe80::1%eth0",
    "10.0.0.0/255.0.0.0",
    "proxy.internal",
  ])("refuses KILN_TRUST_PROXY=%s, naming the entry and the forms it takes", (value) => {
    const message = configError({ KILN_TRUST_PROXY: value }).message;
    expect(message).toMatch(/^KILN_TRUST_PROXY entry "[^"]+" is not an IP address, a CIDR range/);
    expect(message).toContain("a number of proxies (1, 2, …)");
  });

  it("refuses a /0 range, which would trust every address like true", () => {
    for (const value of ["0.0.0.0/0", "::/0"]) {
      expect(configError({ KILN_TRUST_PROXY: value }).message).toBe(
        `KILN_TRUST_PROXY entry "${value}" would trust every address, like true; list the proxies' own addresses or ranges`,
      );
    }
  });
});

describe("loadConfig: KILN_REQUEST_TIMEOUT_MS", () => {
  it("gives a request 30 s to arrive by default, or what KILN_REQUEST_TIMEOUT_MS says", () => {
    expect(loadConfig({}, noFiles).requestTimeoutMs).toBe(30_000);
    expect(loadConfig({ KILN_REQUEST_TIMEOUT_MS: "120000" }, noFiles).requestTimeoutMs).toBe(120_000);
  });

  it.each(["0", "999", "soon", "1.5"])("refuses KILN_REQUEST_TIMEOUT_MS=%s, naming the variable", (value) => {
    expect(configError({ KILN_REQUEST_TIMEOUT_MS: value }).message).toMatch(/^KILN_REQUEST_TIMEOUT_MS /);
  });
});

describe("loadConfig: KILN_DETACHED_GRACE_MS", () => {
  it("lets a chat's answer run on 60 s with no page attached by default; 0 stops it when the last page leaves", () => {
    expect(loadConfig({}, noFiles).detachedGraceMs).toBe(60_000);
    expect(loadConfig({ KILN_DETACHED_GRACE_MS: "0" }, noFiles).detachedGraceMs).toBe(0);
    expect(loadConfig({ KILN_DETACHED_GRACE_MS: "300000" }, noFiles).detachedGraceMs).toBe(300_000);
  });

  it.each(["-1", "a minute", "1.5"])("refuses KILN_DETACHED_GRACE_MS=%s, naming the variable", (value) => {
    expect(configError({ KILN_DETACHED_GRACE_MS: value }).message).toMatch(/^KILN_DETACHED_GRACE_MS /);
  });
});

describe("loadConfig: KILN_AUTH_HEADER", () => {
  it("is off by default", () => {
    expect(loadConfig({}, noFiles).authHeader).toBeUndefined();
  });

  it("names the header a trusted auth proxy writes, when the proxy is listed by address", () => {
    const config = loadConfig({ KILN_AUTH_HEADER: "X-Forwarded-Email", KILN_TRUST_PROXY: "10.0.0.5" }, noFiles);
    expect(config.authHeader).toBe("X-Forwarded-Email");
  });

  it.each([undefined, "1", "2"])("is refused when KILN_TRUST_PROXY is %s: anyone could write the header", (trustProxy) => {
    expect(() => loadConfig({ KILN_AUTH_HEADER: "X-Forwarded-Email", KILN_TRUST_PROXY: trustProxy }, noFiles)).toThrow(
      /KILN_AUTH_HEADER is set but KILN_TRUST_PROXY does not list the auth proxy's addresses/,
    );
  });

  it("must be a header name", () => {
    expect(() => loadConfig({ KILN_AUTH_HEADER: "X Email:", KILN_TRUST_PROXY: "10.0.0.5" }, noFiles)).toThrow(
      /KILN_AUTH_HEADER must be a header name/,
    );
  });
});
