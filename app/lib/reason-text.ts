/**
 * Short phrases for the error codes that appear as the `reason` of a retry or fallback, for the status
 * line ("Together AI is rate limiting Kiln — retrying in 3 s"). The full messages come from the server.
 */
const REASONS: Record<string, string> = {
  rate_limited: "rate limited (429)",
  provider_unavailable: "unavailable or overloaded",
  provider_error: "reported an error",
  first_byte_timeout: "did not start answering",
  stream_stalled: "stalled mid-answer",
  stream_truncated: "cut the answer off",
  provider_auth: "rejected the API key",
  provider_payment: "is out of credits",
  model_not_found: "does not serve the model",
  connection_lost: "Connection to Kiln lost",
  server_shutting_down: "This Kiln server is restarting",
  server_error: "Kiln's server failed",
};

export function reasonText(code: string): string {
  return REASONS[code] ?? code.replaceAll("_", " ");
}
