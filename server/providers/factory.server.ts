/**
 * Builds an OpenAI-compatible client for a model id from configuration. Nothing else in Kiln knows
 * which provider it talks to: every provider is the same adapter (the openai SDK) with a different
 * base URL, key and headers. Which provider serves a model comes from the configured lists and from
 * what the providers list themselves (server/providers/model-discovery.server.ts).
 */
import OpenAI from "openai";
import type { ModelInfo } from "../../machines/model-info";
import type { KilnConfig, ModelEntry, ProviderConfig } from "../config.server";
import { listedModels, type ModelDiscovery } from "./model-discovery.server";
import { DEFAULT_MODEL_LIMITS, type ModelLimits } from "../context-builder";
import { keepErrorBodies } from "./keep-error-bodies";
import { isKnownVisionModel } from "./presets";

export interface ResolvedModel {
  provider: ProviderConfig;
  model: string;
  client: OpenAI;
  /** The model's context window and output limit: configured, else discovered, else the defaults. */
  limits?: ModelLimits;
  /**
   * The model reads images (`image_url` content parts): its entry's `vision`, else whether it is a
   * known vision model. Unset counts as text-only.
   */
  vision?: boolean;
}

export type ResolveResult =
  { ok: true; value: ResolvedModel } | { ok: false; code: "unknown_model" | "provider_not_configured"; message: string };

export interface ProviderFactory {
  /** Every provider's models as the picker shows them, with the provider's health; unavailable ones included. */
  listModels(): ModelInfo[];
  resolve(modelId: string): ResolveResult;
  provider(id: string): ProviderConfig | undefined;
  /**
   * A provider's first model on that provider, for falling back to it. Resolved by provider, not by
   * model id: another provider may serve a model of the same name. Undefined when unavailable.
   */
  fallbackTarget(providerId: string): ResolvedModel | undefined;
}

/** What the factory reads of model discovery: each provider's status, and when they last changed. */
export type ProviderStatuses = Pick<ModelDiscovery, "status" | "version">;

const NOT_PROBED: ProviderStatuses = { status: () => ({ health: "unknown" }), version: 0 };

/**
 * Routes model ids to providers by their configured lists and, through `discovery`, the lists the
 * providers gave themselves. Without `discovery` (tests), every provider is `unknown` and shows its
 * configured list.
 */
export function createProviderFactory(
  config: Pick<KilnConfig, "providers" | "visionModel">,
  discovery: ProviderStatuses = NOT_PROBED,
): ProviderFactory {
  const clients = new Map<string, OpenAI>();
  let routes: Routes | undefined;

  /** The lists and routes of the current statuses, derived again only when discovery changed them. */
  function current(): Routes {
    if (routes?.version !== discovery.version) routes = deriveRoutes(config.providers, discovery);
    return routes;
  }

  function clientFor(provider: ProviderConfig): OpenAI {
    let client = clients.get(provider.id);
    if (!client) {
      client = createClient(provider);
      clients.set(provider.id, client);
    }
    return client;
  }

  /** What is known of a model on a provider: its configured entry first, then what the provider listed. */
  function entriesOf(provider: ProviderConfig, modelId: string): ModelEntry[] {
    return [...provider.models, ...current().lists.get(provider.id)!].filter((model) => model.id === modelId);
  }

  /** The picker's name for KILN_VISION_MODEL, when its provider can answer now; else images cannot be described. */
  function describerLabel(): string | undefined {
    const id = config.visionModel;
    const provider = id === undefined ? undefined : current().providerOfModel.get(id);
    if (!id || !provider?.available) return undefined;
    return entriesOf(provider, id)[0]?.label ?? id;
  }

  return {
    listModels() {
      const { lists, providerOfModel } = current();
      const describedBy = describerLabel();
      return config.providers.flatMap((provider): ModelInfo[] => {
        const status = discovery.status(provider.id);
        const common = {
          provider: provider.id,
          providerLabel: provider.label,
          ...(provider.reason ? { reason: provider.reason } : {}),
          health: status.health,
          ...(status.reason ? { healthReason: status.reason } : {}),
        };
        const models = lists.get(provider.id)!.filter((model) => providerOfModel.get(model.id) === provider);
        if (models.length > 0 || provider.discover !== "all") {
          return models.map((model) => {
            const vision = visionOf(model.id, ...entriesOf(provider, model.id));
            const images = vision ? { vision: true } : describedBy ? { imagesDescribedBy: describedBy } : {};
            return { id: model.id, label: model.label, available: provider.available, ...common, ...images };
          });
        }
        // A provider whose models are discovered and that has listed none yet still shows, with its health.
        if (!provider.available) return [{ id: "", label: "No models listed", available: false, ...common }];
        const probed = status.checkedAt !== undefined;
        const why = probed ? `${provider.label} lists no models.` : `Kiln is asking ${provider.label} for its models.`;
        return [
          {
            id: "",
            label: probed ? "No models listed" : "Listing models…",
            available: false,
            ...common,
            healthReason: status.reason ?? why,
          },
        ];
      });
    },
    resolve(modelId) {
      const provider = current().providerOfModel.get(modelId);
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
      const entries = entriesOf(provider, modelId);
      return {
        ok: true,
        value: {
          provider,
          model: modelId,
          client: clientFor(provider),
          limits: limitsOf(...entries),
          vision: visionOf(modelId, ...entries),
        },
      };
    },
    provider(id) {
      return config.providers.find((p) => p.id === id);
    },
    fallbackTarget(providerId) {
      const provider = config.providers.find((p) => p.id === providerId);
      const model = provider && current().lists.get(provider.id)?.[0];
      if (!provider?.available || !model) return undefined;
      return {
        provider,
        model: model.id,
        client: clientFor(provider),
        limits: limitsOf(model),
        vision: visionOf(model.id, ...entriesOf(provider, model.id)),
      };
    },
  };
}

/** The first entry that says wins: the configured one, then what the provider listed. */
function limitsOf(...entries: ModelEntry[]): ModelLimits {
  return {
    contextWindow: entries.find((entry) => entry.contextWindow)?.contextWindow ?? DEFAULT_MODEL_LIMITS.contextWindow,
    maxOutputTokens: entries.find((entry) => entry.maxOutputTokens)?.maxOutputTokens ?? DEFAULT_MODEL_LIMITS.maxOutputTokens,
  };
}

/** The first entry that says `vision` wins, as for the limits; else the built-in list of vision models. */
function visionOf(modelId: string, ...entries: ModelEntry[]): boolean {
  return entries.find((entry) => entry.vision !== undefined)?.vision ?? isKnownVisionModel(modelId);
}

interface Routes {
  version: number;
  /** Each provider's list as the picker shows it. */
  lists: Map<string, ModelEntry[]>;
  /** Which provider serves a model id. */
  providerOfModel: Map<string, ProviderConfig>;
}

function deriveRoutes(providers: ProviderConfig[], discovery: ProviderStatuses): Routes {
  const version = discovery.version;
  const lists = new Map(providers.map((provider) => [provider.id, listedModels(provider, discovery.status(provider.id))]));
  const providerOfModel = new Map<string, ProviderConfig>();
  // Later providers override earlier ones for the same model id (the KILN_PROVIDERS file wins). A
  // configured model stays routable when the provider stops listing it: saved chats still name it.
  for (const provider of providers) {
    for (const model of [...provider.models, ...lists.get(provider.id)!]) providerOfModel.set(model.id, provider);
  }
  return { version, lists, providerOfModel };
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
    // Error bodies not in OpenAI's shape (Backend.AI's `{"error_code": …}`) would be dropped by the SDK.
    fetch: keepErrorBodies(),
  });
}
