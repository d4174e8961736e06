/**
 * What Kiln last found asking a provider for its models (`GET /models`, refreshed in the background):
 * `reachable` (it listed its models), `auth_failed` (it refused the key: 401/403), `unreachable` (no
 * answer, a timeout or a 5xx), `unknown` (not asked yet, not asked because the provider is not
 * configured, or its answer was not a model list).
 */
export type ProviderHealth = "reachable" | "auth_failed" | "unreachable" | "unknown";

/** One entry of `GET /api/models` and of the model picker. */
export interface ModelInfo {
  /**
   * The model id. Empty for a provider that has listed no model yet (its models come from its
   * `GET /models`): that one entry stands for the provider, so the picker can show its health; it is
   * never available and is not a model to pick.
   */
  id: string;
  label: string;
  /** Provider id, e.g. `together`, `backend-ai`. */
  provider: string;
  providerLabel: string;
  /** False when the provider is not configured on this server; `reason` says what to set. */
  available: boolean;
  reason?: string;
  health: ProviderHealth;
  /** One sentence on why the health is not `reachable`, when Kiln knows, e.g. "Together AI rejected the API key (HTTP 401)." */
  healthReason?: string;
  /** True when the model reads images itself (they reach it as they are); absent when it cannot. */
  vision?: boolean;
  /**
   * For a model that cannot read images, when the server has `KILN_VISION_MODEL`: the label of the
   * model that describes a prompt's images to it first. Absent on vision models, and when images
   * cannot be sent to this model at all (`model_cannot_see`).
   */
  imagesDescribedBy?: string;
}
