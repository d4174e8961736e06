/**
 * Model discovery: Kiln asks every configured provider for its models (`GET {baseURL}/models`, the
 * OpenAI API's list) at start-up and then every KILN_MODELS_REFRESH_MS, in the background. The answers
 * give the models of providers configured without a list (Ollama, vLLM, Backend.AI without
 * MODEL_NAME), Together's current chat models, and each provider's health for the picker. Pages and
 * `/api/models` read the last answers and never wait for one: until the first, they show the
 * configured lists.
 */
import type { ProviderHealth } from "../../machines/model-info";
import type { ModelEntry, ProviderConfig } from "../config.server";
import type { Logger } from "../logger.server";
import { readBoundedBody } from "../read-bounded-body";

export const PROBE_TIMEOUT_MS = 5_000;
/** Together's list, the largest known, is a few hundred kB; an answer past this is not a model list. */
const MAX_LIST_BYTES = 5_000_000;

/** What one probe of a provider's `GET /models` found. */
export interface ProbeResult {
  health: ProviderHealth;
  /** One sentence for the picker when the answer was not a model list; never a key or a URL. */
  reason?: string;
  /** The models listed, when the answer was a list. */
  models?: ModelEntry[];
}

/** What Kiln knows of a provider now: the last probe's health, and the last list any probe got. */
export interface ProviderStatus {
  health: ProviderHealth;
  reason?: string;
  /** Kept when a later probe fails, so a provider that stops answering keeps its models. */
  models?: ModelEntry[];
  /** When the last probe ended (ms since the epoch); unset before the first. */
  checkedAt?: number;
}

/**
 * The models a `GET /models` answer lists: OpenAI's `{ data: [{ id }] }` (Ollama, vLLM, LiteLLM…) or
 * Together's bare array, whose entries carry a `type` and a `display_name`. `chatOnly` keeps the
 * entries typed `chat`. Entries without a string id are skipped; undefined when the body is no list.
 */
export function parseModelList(body: unknown, { chatOnly = false } = {}): ModelEntry[] | undefined {
  const entries = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.data) ? body.data : undefined;
  if (!entries) return undefined;
  const models = new Map<string, ModelEntry>();
  for (const entry of entries) {
    if (!isRecord(entry) || typeof entry.id !== "string" || entry.id === "" || models.has(entry.id)) continue;
    if (chatOnly && entry.type !== "chat") continue;
    const label = typeof entry.display_name === "string" && entry.display_name.trim() ? entry.display_name.trim() : entry.id;
    // The context window where the provider says it: Together and OpenRouter `context_length`, vLLM `max_model_len`.
    const context = [entry.context_length, entry.max_model_len].find(
      (n) => typeof n === "number" && Number.isInteger(n) && n > 0,
    );
    models.set(entry.id, { id: entry.id, label, ...(typeof context === "number" ? { contextWindow: context } : {}) });
  }
  return [...models.values()];
}

/**
 * The list the picker shows for a provider: its configured one until discovery found models (and,
 * for a provider without `discover`, always). Configured models the provider still lists come first, with their
 * configured labels (Together's curated coding models), then the rest by label.
 */
export function listedModels(provider: ProviderConfig, status: ProviderStatus): ModelEntry[] {
  if (!provider.discover || !status.models?.length) return provider.models;
  const listed = new Set(status.models.map((model) => model.id));
  const configured = new Set(provider.models.map((model) => model.id));
  const others = status.models.filter((model) => !configured.has(model.id));
  others.sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id));
  return [...provider.models.filter((model) => listed.has(model.id)), ...others];
}

/** Asks one provider for its models, with the headers and key its chat requests carry; never throws. */
export async function probeProvider(
  provider: ProviderConfig,
  { timeoutMs = PROBE_TIMEOUT_MS, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  const name = provider.label;
  const timeout = AbortSignal.timeout(timeoutMs);
  const unreachable = (error: unknown): ProbeResult => ({
    health: "unreachable",
    reason: timeout.aborted
      ? `${name} did not answer within ${formatSeconds(timeoutMs)}.`
      : `Kiln could not reach ${name} (${networkCode(error)}).`,
  });
  let response: Response;
  try {
    response = await fetch(`${provider.baseURL.replace(/\/+$/, "")}/models`, {
      headers: requestHeaders(provider),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    return unreachable(error);
  }
  if (!response.ok) {
    // Only the status matters; the body (an error page) is not read.
    void response.body?.cancel().catch(() => {});
    return statusResult(name, response.status, Boolean(provider.apiKey));
  }
  let text: string | undefined;
  try {
    text = await readBoundedBody(response.body, MAX_LIST_BYTES);
  } catch (error) {
    return unreachable(error);
  }
  const models = text === undefined ? undefined : parseModelList(parseJson(text), { chatOnly: provider.discover === "chat" });
  if (!models) return { health: "unknown", reason: `${name} did not answer with a model list.` };
  return { health: "reachable", models };
}

function statusResult(name: string, status: number, withKey: boolean): ProbeResult {
  if (status === 401 || status === 403) {
    return {
      health: "auth_failed",
      reason: withKey
        ? `${name} rejected the API key (HTTP ${status}).`
        : `${name} asks for an API key (HTTP ${status}), and none is configured.`,
    };
  }
  if (status >= 500) return { health: "unreachable", reason: `${name} answered with a server error (HTTP ${status}).` };
  return { health: "unknown", reason: `${name} answered HTTP ${status} instead of a model list.` };
}

/** As the openai client builds them (server/providers/factory.server.ts): key first, the provider's headers over it, no key no Authorization. */
function requestHeaders(provider: ProviderConfig): Headers {
  const headers = new Headers({ Accept: "application/json" });
  if (provider.apiKey) headers.set("Authorization", `Bearer ${provider.apiKey}`);
  for (const [name, value] of Object.entries(provider.headers)) headers.set(name, value);
  if (!provider.apiKey) headers.delete("Authorization");
  return headers;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Node's code for a failed connection (ECONNREFUSED, ENOTFOUND…); fetch wraps it as the cause. */
function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === "string" ? cause.code : "network error";
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export interface ModelDiscovery {
  /** The provider's status now; `unknown` before its first probe and for providers never probed. */
  status(providerId: string): ProviderStatus;
  /** Grows whenever a status changes, so readers may keep what they derived from the statuses. */
  readonly version: number;
  /** The first refresh now, then one every `refreshMs` after the previous ended. Returns at once. */
  start(): void;
  /** Probes every available provider once; resolves when all answered. A refresh under way is shared. */
  refresh(): Promise<void>;
  /** Stops the refreshes and abandons the probes under way (shutdown). */
  stop(): void;
}

export interface ModelDiscoveryOptions {
  providers: ProviderConfig[];
  refreshMs: number;
  timeoutMs?: number;
  logger?: Pick<Logger, "info" | "warn" | "error">;
  /** The probe; tests replace it. */
  probe?: typeof probeProvider;
  now?: () => number;
}

export function createModelDiscovery({
  providers,
  refreshMs,
  timeoutMs = PROBE_TIMEOUT_MS,
  logger,
  probe = probeProvider,
  now = Date.now,
}: ModelDiscoveryOptions): ModelDiscovery {
  const statuses = new Map<string, ProviderStatus>();
  const stopped = new AbortController();
  let version = 0;
  let started = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;

  function record(provider: ProviderConfig, result: ProbeResult) {
    const previous = statuses.get(provider.id);
    statuses.set(provider.id, {
      health: result.health,
      reason: result.reason,
      models: result.models ?? previous?.models,
      checkedAt: now(),
    });
    version++;
    // Logged when it changes, not every refresh: a provider going down or coming back is news.
    if (previous?.health === result.health && previous.reason === result.reason) return;
    const fields = { provider: provider.id, health: result.health, models: result.models?.length, reason: result.reason };
    if (result.health === "reachable" || result.health === "unknown") logger?.info(fields, "provider model list");
    else logger?.warn(fields, "provider model list unavailable");
  }

  async function probeAll() {
    // A provider without its key is never asked: it would only say so, and its reason says it already.
    await Promise.all(
      providers
        .filter((provider) => provider.available)
        .map(async (provider) => {
          let result: ProbeResult;
          try {
            result = await probe(provider, { timeoutMs, signal: stopped.signal });
          } catch (error) {
            // probeProvider never throws; a replacement that does must not take the refresh loop down.
            logger?.error({ provider: provider.id, err: error }, "model discovery failed");
            return;
          }
          if (!stopped.signal.aborted) record(provider, result);
        }),
    );
  }

  function refresh(): Promise<void> {
    running ??= probeAll().finally(() => {
      running = undefined;
    });
    return running;
  }

  function loop() {
    void refresh().then(() => {
      if (stopped.signal.aborted) return;
      timer = setTimeout(loop, refreshMs);
      // The refresh never keeps the process alive on its own.
      timer.unref?.();
    });
  }

  return {
    status: (providerId) => statuses.get(providerId) ?? { health: "unknown" },
    get version() {
      return version;
    },
    start() {
      if (started || stopped.signal.aborted) return;
      started = true;
      loop();
    },
    refresh,
    stop() {
      stopped.abort();
      clearTimeout(timer);
    },
  };
}
