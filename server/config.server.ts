/**
 * Kiln's whole configuration, read from the environment (and the optional KILN_PROVIDERS file) once
 * at start-up and validated with zod. A bad value stops the server with one line naming the variable.
 * Every setting is documented in docs/configuration.md.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";
import { DEFAULT_MAX_IMAGE_BYTES } from "../machines/images";
import { backendAiPreset, isKnownVisionModel, togetherPreset } from "./providers/presets";

export interface ModelEntry {
  /** The id the browser picks and the provider receives. */
  id: string;
  label: string;
  /** Tokens of prompt and answer together; unset: DEFAULT_MODEL_LIMITS (server/context-builder.ts). */
  contextWindow?: number;
  /** Most tokens of one answer (`max_tokens`); unset: the default. */
  maxOutputTokens?: number;
  /**
   * The model reads images (OpenAI `image_url` content parts); unset: whether its id is one of
   * KNOWN_VISION_MODELS (server/providers/presets.ts).
   */
  vision?: boolean;
}

export interface ProviderConfig {
  id: string;
  label: string;
  baseURL: string;
  /** Absent for endpoints that need no key (public Backend.AI services, local vLLM/Ollama). */
  apiKey?: string;
  headers: Record<string, string>;
  /** The configured models: the whole list, or with `discover` the one shown while discovery has none. */
  models: ModelEntry[];
  /**
   * The picker's list comes from the provider's `GET /models` (server/providers/model-discovery.server.ts):
   * `all` its models, `chat` only those it marks as chat models (Together's list also holds embedding,
   * image and rerank models). Unset: `models` is the list, and the probe only reports health.
   */
  discover?: "all" | "chat";
  /**
   * The provider can continue a cut-off answer from an assistant prefix (vLLM/SGLang's
   * `continue_final_message`), so a mid-stream failure resumes instead of restarting.
   */
  continuation: boolean;
  /**
   * Ask for the answer's token usage at the end of the stream (`stream_options: { include_usage: true }`),
   * shown on the version's receipt. Most OpenAI-compatible servers accept it; one that refuses the
   * field (a 400 naming `stream_options`) needs it off.
   */
  includeUsage: boolean;
  /** False when the provider lacks what it needs (usually a key); `reason` says what to set. */
  available: boolean;
  reason?: string;
}

export interface KilnConfig {
  /** In the order the model picker shows them. */
  providers: ProviderConfig[];
  /** Provider ids tried in order when the chosen one fails (used by the resilience layer). */
  fallback: string[];
  /** Preselected model in the picker, when it exists. */
  defaultModel?: string;
  /** How often every provider's `GET /models` is asked again, in the background. */
  modelsRefreshMs: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  /** First backoff ceiling (doubling per retry) and the largest computed wait. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A provider's Retry-After longer than this is not waited out (Kiln falls back or reports it). */
  maxRetryAfterMs: number;
  /** Requests for the rest of an answer cut off at the output-token limit with its code still open. */
  maxContinuations: number;
  /** On SIGTERM, how long open streams may run on before they are ended with a retryable error. */
  drainMs: number;
  /**
   * How long a chat's generation runs on with no browser attached (a reload, a locked phone, a dropped
   * connection) before it is stopped and saved as `stopped`; 0 stops it as soon as the last one leaves.
   */
  detachedGraceMs: number;
  /**
   * Which peers may name the client in X-Forwarded-For (rate limits) and the host in X-Forwarded-Host,
   * in the form Express's `trust proxy` setting takes as is: a hop count (the number of proxies in
   * front of Kiln; 0 trusts none, the default) or the proxies' addresses and CIDR ranges (also
   * Express's names `loopback`, `linklocal`, `uniquelocal`). Never `true`: see `trustProxySetting`.
   */
  trustProxy: number | string[];
  /**
   * Longest time to receive a whole request, headers and body (Node's `requestTimeout`): a slower
   * upload is cut with a 408. Responses are not covered, so a long SSE answer streams on.
   */
  requestTimeoutMs: number;
  /**
   * `KILN_AUTH_HEADER`: the request header in which a trusted auth proxy (oauth2-proxy…) names the
   * signed-in user; that identity then owns the chats it creates (server/chat-owner.server.ts). Read
   * only from peers `trustProxy` trusts.
   */
  authHeader?: string;
  /** Chat requests per client: a token bucket refilled at perMinute, holding up to burst; perMinute 0 turns it off. */
  rateLimit: { perMinute: number; burst: number };
  /** Largest accepted `POST /api/chat` body, in bytes. */
  maxBodyBytes: number;
  /** Largest accepted image upload (`POST /api/chats/:id/images`), in bytes. */
  maxImageBytes: number;
  /**
   * `KILN_VISION_MODEL`: the vision model that describes a prompt's images for a model that cannot
   * read them (server/images/describe-images.server.ts); unset: such a prompt is refused.
   */
  visionModel?: string;
  databaseUrl: string;
  port: number;
  host: string;
  /**
   * `local` (the default): Kiln's own preview runtime, served by Kiln, needing no internet.
   * `sandpack`: CodeSandbox's Sandpack with its hosted bundler, or the one at `sandpackBundlerUrl`.
   */
  previewMode: "local" | "sandpack";
  /** Self-hosted Sandpack bundler (sandpack mode); unset means Sandpack's hosted one. Public, sent to the browser. */
  sandpackBundlerUrl?: string;
  /** How long the preview may take to start before it says it is unavailable. */
  previewTimeoutMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** `GET /metrics`: off by default; with a token, scrapes must send `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token?: string };
}

export class ConfigError extends Error {
  name = "ConfigError";
}

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value ? value : undefined));

const httpUrl = z
  .string()
  .trim()
  .url("must be a URL such as https://example.com/v1")
  .refine((value) => /^https?:\/\//.test(value), "must start with http:// or https://");

const positiveInt = (fallback: number) =>
  z.coerce
    .number({ invalid_type_error: "must be a number" })
    .int("must be a whole number")
    .positive("must be greater than 0")
    .default(fallback);

const envSchema = z.object({
  TOGETHER_API_KEY: optionalText,
  TOGETHER_BASE_URL: httpUrl.optional(),
  HELICONE_API_KEY: optionalText,
  BACKEND_AI_ENDPOINT: httpUrl.optional(),
  BACKEND_AI_API_KEY: optionalText,
  MODEL_NAME: optionalText,
  KILN_PROVIDERS: optionalText,
  KILN_BACKEND_AI_CONTINUATION: z
    .enum(["true", "false", "1", "0"], { errorMap: () => ({ message: "must be true or false" }) })
    .default("false")
    .transform((value) => value === "true" || value === "1"),
  KILN_FALLBACK: z
    .string()
    .default("together")
    .transform((value) =>
      value
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  KILN_DEFAULT_MODEL: optionalText,
  KILN_MODELS_REFRESH_MS: z.coerce
    .number({ invalid_type_error: "must be a number" })
    .int("must be a whole number")
    .min(1_000, "must be at least 1000 (1 s)")
    .default(600_000),
  KILN_FIRST_BYTE_TIMEOUT_MS: positiveInt(30_000),
  KILN_IDLE_TIMEOUT_MS: positiveInt(30_000),
  KILN_MAX_RETRIES: z.coerce
    .number({ invalid_type_error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more")
    .max(10, "must be at most 10")
    .default(3),
  KILN_MAX_CONTINUATIONS: z.coerce
    .number({ invalid_type_error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more")
    .max(5, "must be at most 5")
    .default(2),
  KILN_MAX_BODY_BYTES: positiveInt(1_000_000),
  KILN_MAX_IMAGE_BYTES: positiveInt(DEFAULT_MAX_IMAGE_BYTES),
  KILN_VISION_MODEL: optionalText,
  KILN_DRAIN_MS: positiveInt(10_000),
  KILN_DETACHED_GRACE_MS: z.coerce
    .number({ invalid_type_error: "must be a whole number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(0, "must be 0 or more")
    .default(60_000),
  KILN_TRUST_PROXY: optionalText,
  KILN_AUTH_HEADER: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]+$/, "must be a header name such as X-Forwarded-Email")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  KILN_REQUEST_TIMEOUT_MS: z.coerce
    .number({ invalid_type_error: "must be a number" })
    .int("must be a whole number")
    .min(1_000, "must be at least 1000 (1 s)")
    .default(30_000),
  KILN_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ invalid_type_error: "must be a number" })
    .min(0, "must be 0 (off) or more")
    .default(30),
  KILN_RATE_LIMIT_BURST: positiveInt(10),
  KILN_RETRY_BASE_MS: positiveInt(500),
  KILN_RETRY_MAX_MS: positiveInt(8_000),
  KILN_MAX_RETRY_AFTER_MS: positiveInt(30_000),
  KILN_PREVIEW: z.enum(["local", "sandpack"], { errorMap: () => ({ message: "must be local or sandpack" }) }).default("local"),
  KILN_SANDPACK_BUNDLER_URL: httpUrl.optional(),
  KILN_PREVIEW_TIMEOUT_MS: positiveInt(15_000),
  DATABASE_URL: z
    .string()
    .default("file:./data/kiln.db")
    .refine((value) => /^(file:.+|postgres(ql)?:\/\/.+)$/.test(value), "must be file:<path> (SQLite) or postgres://…"),
  PORT: z.coerce
    .number({ invalid_type_error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be a port number (0-65535)")
    .max(65535, "must be a port number (0-65535)")
    .default(3000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Unset (not "off") when absent, so a token alone can turn metrics on.
  KILN_METRICS: z.enum(["on", "off"], { errorMap: () => ({ message: "must be on or off" }) }).optional(),
  KILN_METRICS_TOKEN: optionalText,
});

/** The KILN_PROVIDERS file: providers to add, or to override by id (e.g. `together`). */
const providersFileSchema = z.object({
  providers: z.array(
    z
      .object({
        id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "must be lowercase letters, digits, - or _"),
        label: z.string().optional(),
        baseURL: httpUrl,
        /** Name of the environment variable holding the key, so the file itself holds no secret. */
        apiKeyEnv: z.string().optional(),
        apiKey: z.string().optional(),
        headers: z.record(z.string()).default({}),
        continuation: z.boolean().default(false),
        includeUsage: z.boolean().default(true),
        /** Without it, the models are the ones the provider's `GET /models` lists. */
        models: z
          .array(
            z.union([
              z.string().min(1),
              z
                .object({
                  id: z.string().min(1),
                  label: z.string().optional(),
                  contextWindow: z.number().int().positive().optional(),
                  maxOutputTokens: z.number().int().positive().optional(),
                  vision: z.boolean().optional(),
                })
                .strict()
                .refine(
                  (model) => !model.contextWindow || !model.maxOutputTokens || model.maxOutputTokens < model.contextWindow,
                  {
                    message: "maxOutputTokens must be smaller than contextWindow",
                  },
                ),
            ]),
          )
          .min(1, "must list at least one model, or be left out to list the provider's own")
          .optional(),
      })
      .strict(),
  ),
});

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws ConfigError with one line naming what is wrong. */
export function loadConfig(env: Env = process.env, readFile = (path: string) => readFileSync(path, "utf8")): KilnConfig {
  // Empty strings are how shells and .env files say "unset".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue.path.join(".")} ${issue.message}`);
  }
  const vars = parsed.data;

  const providers: ProviderConfig[] = [togetherPreset(vars)];
  const backendAi = backendAiProvider(vars);
  if (backendAi) providers.push(backendAi);
  if (vars.KILN_PROVIDERS) {
    for (const provider of readProvidersFile(vars.KILN_PROVIDERS, env, readFile)) {
      const existing = providers.findIndex((p) => p.id === provider.id);
      if (existing >= 0) providers[existing] = provider;
      else providers.push(provider);
    }
  }

  const providerIds = new Set(providers.map((p) => p.id));
  const unknownFallback = vars.KILN_FALLBACK.find((id) => !providerIds.has(id));
  if (unknownFallback) {
    throw new ConfigError(
      `KILN_FALLBACK names "${unknownFallback}", which is not a provider (known: ${[...providerIds].join(", ")})`,
    );
  }
  const modelIds = new Set(providers.flatMap((p) => p.models.map((m) => m.id)));
  // A provider whose models are discovered may list it later: only a list known now can refuse it.
  const allListed = providers.every((p) => p.discover !== "all");
  if (vars.KILN_DEFAULT_MODEL && allListed && !modelIds.has(vars.KILN_DEFAULT_MODEL)) {
    throw new ConfigError(`KILN_DEFAULT_MODEL "${vars.KILN_DEFAULT_MODEL}" is not a model of any provider`);
  }

  return {
    providers,
    fallback: vars.KILN_FALLBACK,
    defaultModel: vars.KILN_DEFAULT_MODEL,
    modelsRefreshMs: vars.KILN_MODELS_REFRESH_MS,
    firstByteTimeoutMs: vars.KILN_FIRST_BYTE_TIMEOUT_MS,
    idleTimeoutMs: vars.KILN_IDLE_TIMEOUT_MS,
    maxRetries: vars.KILN_MAX_RETRIES,
    backoffBaseMs: vars.KILN_RETRY_BASE_MS,
    backoffMaxMs: vars.KILN_RETRY_MAX_MS,
    maxRetryAfterMs: vars.KILN_MAX_RETRY_AFTER_MS,
    maxContinuations: vars.KILN_MAX_CONTINUATIONS,
    maxBodyBytes: vars.KILN_MAX_BODY_BYTES,
    maxImageBytes: vars.KILN_MAX_IMAGE_BYTES,
    visionModel: visionModelSetting(vars.KILN_VISION_MODEL, providers),
    drainMs: vars.KILN_DRAIN_MS,
    detachedGraceMs: vars.KILN_DETACHED_GRACE_MS,
    trustProxy: trustProxySetting(vars.KILN_TRUST_PROXY),
    requestTimeoutMs: vars.KILN_REQUEST_TIMEOUT_MS,
    authHeader: authHeaderSetting(vars),
    rateLimit: { perMinute: vars.KILN_RATE_LIMIT_PER_MINUTE, burst: vars.KILN_RATE_LIMIT_BURST },
    databaseUrl: vars.DATABASE_URL,
    port: vars.PORT,
    host: vars.HOST,
    previewMode: vars.KILN_PREVIEW,
    sandpackBundlerUrl: sandpackBundlerUrl(vars),
    previewTimeoutMs: vars.KILN_PREVIEW_TIMEOUT_MS,
    logLevel: vars.LOG_LEVEL,
    metrics: metricsConfig(vars),
  };
}

type EnvVars = z.infer<typeof envSchema>;

/**
 * KILN_VISION_MODEL must read images, or every described image would fail at the first prompt. A
 * configured model says so with `vision` (or is a known vision model); one no list names yet may
 * still come from a provider's own list, but only a known vision model is taken on trust.
 */
function visionModelSetting(id: string | undefined, providers: ProviderConfig[]): string | undefined {
  if (!id) return undefined;
  // The provider listed last serves a model id (the KILN_PROVIDERS file wins), as the factory routes it.
  const entry = providers.flatMap((provider) => provider.models).findLast((model) => model.id === id);
  if (entry) {
    if (!(entry.vision ?? isKnownVisionModel(id))) {
      throw new ConfigError(
        `KILN_VISION_MODEL "${id}" is not a vision model: mark it "vision": true in the KILN_PROVIDERS file if it reads images, or pick one that does`,
      );
    }
    return id;
  }
  if (!providers.some((provider) => provider.discover)) {
    throw new ConfigError(`KILN_VISION_MODEL "${id}" is not a model of any provider`);
  }
  if (!isKnownVisionModel(id)) {
    throw new ConfigError(
      `KILN_VISION_MODEL "${id}" is not a model Kiln knows to read images: list it with "vision": true in the KILN_PROVIDERS file, or pick one that does`,
    );
  }
  return id;
}

/**
 * The auth header names the owner of chats, so only the auth proxy may set it: Kiln must know the
 * proxy by address. A hop count trusts whoever connects, and no proxy at all trusts nobody.
 */
function authHeaderSetting(vars: EnvVars): string | undefined {
  if (!vars.KILN_AUTH_HEADER) return undefined;
  if (!Array.isArray(trustProxySetting(vars.KILN_TRUST_PROXY))) {
    throw new ConfigError(
      "KILN_AUTH_HEADER is set but KILN_TRUST_PROXY does not list the auth proxy's addresses (e.g. KILN_TRUST_PROXY=10.0.0.5 or 10.0.0.0/8): anybody could write the header and claim to be anyone",
    );
  }
  return vars.KILN_AUTH_HEADER;
}

function metricsConfig(vars: EnvVars): KilnConfig["metrics"] {
  if (vars.KILN_METRICS === "off" && vars.KILN_METRICS_TOKEN) {
    throw new ConfigError("KILN_METRICS is off but KILN_METRICS_TOKEN is set; unset one of them");
  }
  return { enabled: vars.KILN_METRICS === "on" || Boolean(vars.KILN_METRICS_TOKEN), token: vars.KILN_METRICS_TOKEN };
}

/** Express's names for address ranges (proxy-addr's): loopback, link-local and unique-local (private). */
const NAMED_RANGES = ["loopback", "linklocal", "uniquelocal"];

/**
 * KILN_TRUST_PROXY as Express's `trust proxy` takes it: unset, `false` or `0` → 0 (no proxy); a whole
 * number → that many hops; otherwise a comma-separated list of addresses, CIDR ranges and named
 * ranges, each checked here so that a typo stops the start with its name (Express would throw
 * later, or trust something else). `true` is refused: Express would then take the left-most
 * X-Forwarded-For entry, which the client writes itself, so every request could pick its own address.
 */
function trustProxySetting(value: string | undefined): number | string[] {
  if (!value || /^(false|0+)$/i.test(value)) return 0;
  if (/^true$/i.test(value)) {
    throw new ConfigError(
      "KILN_TRUST_PROXY=true is refused because it makes Kiln believe the left-most X-Forwarded-For entry, which the client writes itself; set the number of proxies in front of Kiln (e.g. 1) or their addresses (e.g. 10.0.0.0/8,127.0.0.1) instead",
    );
  }
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return 0;
  return entries.map((entry) => {
    if (NAMED_RANGES.includes(entry.toLowerCase())) return entry.toLowerCase();
    const [address, prefix, ...rest] = entry.split("/");
    // Zone ids (fe80::1%eth0) and netmasks (/255.0.0.0) are left out: one spelling, the one documented.
    const family = address.includes("%") ? 0 : isIP(address);
    const max = family === 4 ? 32 : 128;
    const validPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= max);
    if (family === 0 || rest.length > 0 || !validPrefix) {
      const zero = prefix !== undefined && /^0+$/.test(prefix);
      throw new ConfigError(
        zero
          ? `KILN_TRUST_PROXY entry "${entry}" would trust every address, like true; list the proxies' own addresses or ranges`
          : `KILN_TRUST_PROXY entry "${entry}" is not an IP address, a CIDR range (10.0.0.0/8, fd00::/8) or one of ${NAMED_RANGES.join(", ")}; the setting is a number of proxies (1, 2, …), such a comma-separated list, or false`,
      );
    }
    return entry;
  });
}

/**
 * Sandpack runs generated code in the bundler's origin. On Kiln's own origin that code could read
 * Kiln's cookies and API, so a bundler there is refused. Kiln's public address is not known here
 * (proxies), so "Kiln's own" means the address it listens on, or a loopback name with its port.
 */
function sandpackBundlerUrl(vars: EnvVars): string | undefined {
  const url = vars.KILN_SANDPACK_BUNDLER_URL;
  if (!url) return undefined;
  if (vars.KILN_PREVIEW !== "sandpack") {
    throw new ConfigError(
      "KILN_SANDPACK_BUNDLER_URL is set but KILN_PREVIEW is not sandpack; set KILN_PREVIEW=sandpack or unset it",
    );
  }
  const bundler = new URL(url);
  const port = bundler.port || (bundler.protocol === "https:" ? "443" : "80");
  // As URL.hostname writes them: lower case, IPv6 in brackets.
  const host = vars.HOST.includes(":") ? `[${vars.HOST.toLowerCase()}]` : vars.HOST.toLowerCase();
  const loopback = ["localhost", "127.0.0.1", "[::1]", "0.0.0.0", "[::]"];
  const kilnHosts = new Set([host, ...(loopback.includes(host) ? loopback : [])]);
  if (port === String(vars.PORT) && kilnHosts.has(bundler.hostname)) {
    throw new ConfigError(
      `KILN_SANDPACK_BUNDLER_URL ${bundler.origin} is Kiln's own address; the bundler runs generated code and must be on another site`,
    );
  }
  return url;
}

function backendAiProvider(vars: EnvVars): ProviderConfig | undefined {
  if (!vars.BACKEND_AI_ENDPOINT && !vars.MODEL_NAME) return undefined;
  if (!vars.BACKEND_AI_ENDPOINT) {
    throw new ConfigError("BACKEND_AI_ENDPOINT is required when MODEL_NAME is set (the Backend.AI model service URL)");
  }
  return backendAiPreset({ ...vars, BACKEND_AI_ENDPOINT: vars.BACKEND_AI_ENDPOINT });
}

function readProvidersFile(path: string, env: Env, readFile: (path: string) => string): ProviderConfig[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError(`KILN_PROVIDERS cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Only the position: Node's message quotes the file around the error, and that may be a key.
    const position = /position \d+/.exec((error as Error).message)?.[0];
    throw new ConfigError(`KILN_PROVIDERS file ${path} is not valid JSON${position ? ` (at ${position})` : ""}`);
  }
  const parsed = providersFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`KILN_PROVIDERS file ${path}: ${issue.path.join(".")} ${issue.message}`);
  }
  return parsed.data.providers.map((entry) => {
    const apiKey = entry.apiKeyEnv ? env[entry.apiKeyEnv] || undefined : entry.apiKey;
    const missingKey = Boolean(entry.apiKeyEnv) && !apiKey;
    return {
      id: entry.id,
      label: entry.label ?? entry.id,
      baseURL: entry.baseURL.replace(/\/+$/, ""),
      apiKey,
      headers: entry.headers,
      continuation: entry.continuation,
      includeUsage: entry.includeUsage,
      models: (entry.models ?? []).map((model) =>
        typeof model === "string" ? { id: model, label: model } : { ...model, label: model.label ?? model.id },
      ),
      ...(entry.models ? {} : { discover: "all" as const }),
      available: !missingKey,
      reason: missingKey ? `Set ${entry.apiKeyEnv} to use ${entry.label ?? entry.id}.` : undefined,
    };
  });
}
