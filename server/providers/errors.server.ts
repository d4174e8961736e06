/**
 * Provider failures mapped once, here, into Kiln's stable error codes (docs/errors.md). The rest of
 * the server only sees `ProviderError`s, never SDK exceptions or HTTP statuses.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { backendAiRefusal } from "./backend-ai-errors";

export type ProviderErrorCode =
  | "provider_auth"
  | "provider_payment"
  | "model_not_found"
  | "provider_bad_request"
  | "context_too_long"
  | "rate_limited"
  | "provider_unavailable"
  | "provider_error"
  | "first_byte_timeout"
  | "stream_stalled"
  | "stream_truncated";

export class ProviderError extends Error {
  name = "ProviderError";
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    /** Whether trying again (later, or elsewhere) can help. */
    readonly retryable: boolean,
    /** The provider's own wait hint (Retry-After), when it gave one. */
    readonly retryAfterMs?: number,
    /** HTTP status from the provider, for logs. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Turns anything thrown while calling a provider into a ProviderError; `providerLabel` names it for the user. */
export function toProviderError(error: unknown, providerLabel: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    return new ProviderError("provider_unavailable", `Kiln could not connect to ${providerLabel}.`, true);
  }
  if (error instanceof APIError && typeof error.status === "number") {
    // The body (a JSON error or an HTML page) is read for a Backend.AI code, never quoted.
    const refusal = backendAiRefusal(`${error.message} ${JSON.stringify(error.error ?? null)}`);
    if (refusal) {
      return new ProviderError(
        refusal.kilnCode,
        `${providerLabel} refused the request (${refusal.code}): ${refusal.advice}.`,
        refusal.retryable,
        undefined,
        error.status,
      );
    }
    if (
      [400, 413, 422].includes(error.status) &&
      isContextLengthMessage(`${error.message} ${JSON.stringify(error.error ?? null)}`)
    ) {
      return contextTooLong(providerLabel, error.status);
    }
    return fromStatus(error.status, providerLabel, retryAfterMs(error.headers));
  }
  return new ProviderError("provider_unavailable", `${providerLabel} failed unexpectedly.`, true);
}

/**
 * How providers say the prompt and `max_tokens` exceed the model's context: OpenAI's code, vLLM's and
 * OpenAI's "This model's maximum context length is …", Together's (TGI) "Input validation error:
 * `inputs` tokens + `max_new_tokens` must be <= …".
 */
const CONTEXT_LENGTH_MESSAGE = /context_length_exceeded|maximum context length|`inputs` tokens \+ `max_new_tokens`/i;

export function isContextLengthMessage(text: string): boolean {
  return CONTEXT_LENGTH_MESSAGE.test(text);
}

/** Not retryable, and not fallen back with the same prompt (server/providers/resilient-completion.server.ts). */
export function contextTooLong(providerLabel: string, status?: number): ProviderError {
  return new ProviderError(
    "context_too_long",
    `The conversation is too long for this model on ${providerLabel}: start a new chat or pick a model with a larger context.`,
    false,
    undefined,
    status,
  );
}

/** Maps an HTTP status from a provider to a code; exported for the error frames that carry one. */
export function fromStatus(status: number, providerLabel: string, retryAfter?: number): ProviderError {
  if (status === 401 || status === 403) {
    return new ProviderError(
      "provider_auth",
      `${providerLabel} rejected Kiln's API key (${status}). The key is missing, wrong or expired: the server operator needs to set a valid one.`,
      false,
      undefined,
      status,
    );
  }
  if (status === 402) {
    return new ProviderError(
      "provider_payment",
      `${providerLabel} refused the request because the account is out of credits (402).`,
      false,
      undefined,
      status,
    );
  }
  if (status === 404) {
    return new ProviderError("model_not_found", `${providerLabel} does not serve this model (404).`, false, undefined, status);
  }
  if (status === 429) {
    return new ProviderError(
      "rate_limited",
      `${providerLabel} is rate limiting Kiln (429): too many requests right now.`,
      true,
      retryAfter,
      status,
    );
  }
  if (status === 408 || status === 409 || status >= 500) {
    return new ProviderError(
      "provider_unavailable",
      `${providerLabel} is unavailable or overloaded (${status}).`,
      true,
      retryAfter,
      status,
    );
  }
  return new ProviderError(
    "provider_bad_request",
    `${providerLabel} refused the request (${status}); the conversation may be too long for this model.`,
    false,
    undefined,
    status,
  );
}

/** Reads `retry-after-ms` or `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.get("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  // Only an HTTP date (RFC 9110 IMF-fixdate ends in GMT): Date.parse also accepts junk like "1 2".
  const date = /GMT$/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
