/**
 * The built-in providers: Together AI (optionally through Helicone) and a Backend.AI model service,
 * as ProviderConfigs built from their environment variables. Pure; server/config.server.ts validates
 * the variables and adds the providers file's entries. docs/conventions.md says how to add one.
 */
import type { ModelEntry, ProviderConfig } from "../config.server";

export const TOGETHER_BASE_URL = "https://api.together.xyz/v1";
export const HELICONE_TOGETHER_BASE_URL = "https://together.helicone.ai/v1";

/**
 * Together AI's models when no KILN_PROVIDERS file overrides them: listed first when Together's own
 * list still has them, and the whole list while Together's cannot be read.
 */
export const TOGETHER_MODELS: ModelEntry[] = [
  // Context windows as Together serves them; output limits kept below the models' own, which leave
  // most of the window to the prompt anyway.
  {
    id: "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
    label: "Qwen3 Coder 480B",
    contextWindow: 262_144,
    maxOutputTokens: 16_384,
  },
  { id: "moonshotai/Kimi-K2-Instruct-0905", label: "Kimi K2", contextWindow: 262_144, maxOutputTokens: 16_384 },
  { id: "deepseek-ai/DeepSeek-V3", label: "DeepSeek V3", contextWindow: 131_072, maxOutputTokens: 8_192 },
  { id: "meta-llama/Llama-3.3-70B-Instruct-Turbo", label: "Llama 3.3 70B", contextWindow: 131_072, maxOutputTokens: 8_192 },
];

/**
 * Models known to read images (OpenAI `image_url` content parts), by the id their provider gives
 * them, so that they need no `"vision": true` in the KILN_PROVIDERS file: Together's, whose list
 * Kiln discovers, and OpenAI's, the usual KILN_PROVIDERS entry. Any other model is text-only unless
 * its entry says `vision`, which also wins over this list (`"vision": false`).
 */
export const KNOWN_VISION_MODELS: ReadonlySet<string> = new Set([
  "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
  "meta-llama/Llama-4-Scout-17B-16E-Instruct",
  "Qwen/Qwen2.5-VL-72B-Instruct",
  "gpt-4o",
  "gpt-4o-mini",
  "gpt-4.1",
  "gpt-4.1-mini",
]);

export function isKnownVisionModel(id: string): boolean {
  return KNOWN_VISION_MODELS.has(id);
}

/** Together AI, directly or through the Helicone gateway. */
export function togetherPreset(vars: {
  TOGETHER_API_KEY?: string;
  TOGETHER_BASE_URL?: string;
  HELICONE_API_KEY?: string;
}): ProviderConfig {
  const viaHelicone = Boolean(vars.HELICONE_API_KEY);
  // An explicit TOGETHER_BASE_URL wins: it is how tests and self-hosted gateways point Kiln elsewhere.
  const baseURL = vars.TOGETHER_BASE_URL ?? (viaHelicone ? HELICONE_TOGETHER_BASE_URL : TOGETHER_BASE_URL);
  return {
    id: "together",
    label: viaHelicone ? "Together AI (via Helicone)" : "Together AI",
    baseURL,
    apiKey: vars.TOGETHER_API_KEY,
    headers: viaHelicone ? { "Helicone-Auth": `Bearer ${vars.HELICONE_API_KEY}` } : {},
    // Together's API has no assistant-prefix continuation: a cut-off answer restarts.
    continuation: false,
    // Together reports usage in its last chunk; asking makes sure of it.
    includeUsage: true,
    models: TOGETHER_MODELS,
    discover: "chat",
    available: Boolean(vars.TOGETHER_API_KEY),
    reason: vars.TOGETHER_API_KEY ? undefined : "Set TOGETHER_API_KEY to use Together AI.",
  };
}

/** A Backend.AI model service (its endpoint is required; config.server.ts checks that). */
export function backendAiPreset(vars: {
  BACKEND_AI_ENDPOINT: string;
  BACKEND_AI_API_KEY?: string;
  MODEL_NAME?: string;
  KILN_BACKEND_AI_CONTINUATION: boolean;
}): ProviderConfig {
  return {
    id: "backend-ai",
    label: "Backend.AI",
    baseURL: withV1(vars.BACKEND_AI_ENDPOINT),
    apiKey: vars.BACKEND_AI_API_KEY,
    headers: {},
    // The engine behind a model service (vLLM, SGLang, NIM) is unknown; KILN_BACKEND_AI_CONTINUATION opts in.
    continuation: vars.KILN_BACKEND_AI_CONTINUATION,
    // vLLM, SGLang and NIM accept `stream_options` (and vLLM reports usage only when asked).
    includeUsage: true,
    // Without MODEL_NAME, the service's own `GET /models` says what it serves.
    models: vars.MODEL_NAME ? [{ id: vars.MODEL_NAME, label: vars.MODEL_NAME }] : [],
    ...(vars.MODEL_NAME ? {} : { discover: "all" as const }),
    // Public model services need no token, so the endpoint alone makes it usable.
    available: true,
  };
}

/** Backend.AI endpoints are given with or without the OpenAI `/v1` suffix; the SDK needs it. */
export function withV1(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, "");
  return trimmed.endsWith("/v1") ? trimmed : `${trimmed}/v1`;
}
