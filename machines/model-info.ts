/** One entry of `GET /api/models` and of the model picker. */
export interface ModelInfo {
  id: string;
  label: string;
  /** Provider id, e.g. `together`, `backend-ai`. */
  provider: string;
  providerLabel: string;
  /** False when the provider is not configured on this server; `reason` says what to set. */
  available: boolean;
  reason?: string;
}
