/**
 * Builds an OpenAI-compatible client for a model id from configuration. Nothing else in Kiln knows
 * which provider it talks to: every provider is the same adapter (the openai SDK) with a different
 * base URL, key and headers.
 */
import OpenAI from "openai";
import type { ModelInfo } from "../machines/model-info";
import type { KilnConfig, ProviderConfig } from "./config.server";

export interface ResolvedModel {
  provider: ProviderConfig;
  model: string;
  client: OpenAI;
}

export type ResolveResult =
  { ok: true; value: ResolvedModel } | { ok: false; code: "unknown_model" | "provider_not_configured"; message: string };

export interface ProviderFactory {
  listModels(): ModelInfo[];
  resolve(modelId: string): ResolveResult;
  provider(id: string): ProviderConfig | undefined;
  /**
   * A provider's first model on that provider, for falling back to it. Resolved by provider, not by
   * model id: another provider may serve a model of the same name. Undefined when unavailable.
   */
  fallbackTarget(providerId: string): ResolvedModel | undefined;
}

export function createProviderFactory(config: Pick<KilnConfig, "providers">): ProviderFactory {
  const clients = new Map<string, OpenAI>();
  // Later providers override earlier ones for the same model id (the KILN_PROVIDERS file wins).
  const providerOfModel = new Map<string, ProviderConfig>();
  for (const provider of config.providers) {
    for (const model of provider.models) providerOfModel.set(model.id, provider);
  }

  function clientFor(provider: ProviderConfig): OpenAI {
    let client = clients.get(provider.id);
    if (!client) {
      client = createClient(provider);
      clients.set(provider.id, client);
    }
    return client;
  }

  return {
    listModels() {
      return config.providers.flatMap((provider) =>
        provider.models
          .filter((model) => providerOfModel.get(model.id) === provider)
          .map((model) => ({
            id: model.id,
            label: model.label,
            provider: provider.id,
            providerLabel: provider.label,
            available: provider.available,
            ...(provider.reason ? { reason: provider.reason } : {}),
          })),
      );
    },
    resolve(modelId) {
      const provider = providerOfModel.get(modelId);
      if (!provider) {
        return { ok: false, code: "unknown_model", message: `There is no model called "${modelId}".` };
      }
      if (!provider.available) {
        return {
          ok: false,
          code: "provider_not_configured",
          message: `${provider.label} is not configured on this server. ${provider.reason ?? ""}`.trim(),
        };
      }
      return { ok: true, value: { provider, model: modelId, client: clientFor(provider) } };
    },
    provider(id) {
      return config.providers.find((p) => p.id === id);
    },
    fallbackTarget(providerId) {
      const provider = config.providers.find((p) => p.id === providerId);
      const model = provider?.models[0];
      if (!provider?.available || !model) return undefined;
      return { provider, model: model.id, client: clientFor(provider) };
    },
  };
}

/** One SDK client per provider. Exported for tests that check what goes on the wire. */
export function createClient(provider: ProviderConfig): OpenAI {
  return new OpenAI({
    baseURL: provider.baseURL,
    // The SDK insists on a key; a keyless endpoint gets a placeholder that the null header below removes.
    apiKey: provider.apiKey ?? "no-key",
    // Explicit nulls keep OPENAI_ORG_ID / OPENAI_PROJECT_ID from leaking into other providers' requests.
    organization: null,
    project: null,
    defaultHeaders: {
      ...provider.headers,
      ...(provider.apiKey ? {} : { Authorization: null }),
    },
    // Kiln's relay owns retries and timeouts (server/chat-relay.server.ts); SDK retries would multiply with them.
    maxRetries: 0,
    timeout: 10 * 60 * 1000,
  });
}
