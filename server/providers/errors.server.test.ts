import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { describe, expect, it } from "vitest";
import { fromStatus, ProviderError, retryAfterMs, toProviderError } from "./errors.server";

const SECRET = "tg-0123456789abcdef-secret";

describe("retryAfterMs", () => {
  const now = Date.parse("2025-01-01T12:00:00Z");

  it("reads Retry-After in seconds", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": "0" }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after": "1.5" }), now)).toBe(1500);
  });

  it("prefers retry-after-ms over Retry-After when both are sent", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "750", "retry-after": "10" }), now)).toBe(750);
  });

  it("falls back to Retry-After when retry-after-ms is garbage", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "soon", "retry-after": "3" }), now)).toBe(3000);
  });

  it("never asks for a negative wait", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "-5" }), now) ?? 0).toBeGreaterThanOrEqual(0);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "-5" }), now) ?? 0).toBeGreaterThanOrEqual(0);
  });

  it("reads Retry-After as an HTTP date, relative to now, never negative", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 12:00:05 GMT" }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 11:59:00 GMT" }), now)).toBe(0);
  });

  it("gives no hint for garbage or no header", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "whenever" }), now)).toBeUndefined();
    // Date.parse reads these as dates in 2001, which would mean "retry now".
    expect(retryAfterMs(new Headers({ "retry-after": "-5" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after": "1 2" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe("fromStatus", () => {
  it.each([401, 403])("maps %i to provider_auth, which retrying cannot fix", (status) => {
    const error = fromStatus(status, "Together AI");
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "provider_auth", retryable: false, status });
    expect(error.message).toContain("Together AI");
    expect(error.message).toMatch(/key/);
  });

  it("maps 402 to provider_payment, not retryable", () => {
    expect(fromStatus(402, "Together AI")).toMatchObject({ code: "provider_payment", retryable: false, status: 402 });
  });

  it("maps 404 to model_not_found, not retryable", () => {
    expect(fromStatus(404, "Backend.AI")).toMatchObject({ code: "model_not_found", retryable: false, status: 404 });
  });

  it("maps 429 to rate_limited, retryable, carrying the provider's wait hint", () => {
    const error = fromStatus(429, "Together AI", 2000);
    expect(error).toMatchObject({ code: "rate_limited", retryable: true, retryAfterMs: 2000, status: 429 });
    expect(fromStatus(429, "Together AI").retryAfterMs).toBeUndefined();
  });

  it.each([408, 409, 500, 502, 503, 504, 529])("maps %i to provider_unavailable, retryable", (status) => {
    expect(fromStatus(status, "Together AI", 1000)).toMatchObject({
      code: "provider_unavailable",
      retryable: true,
      retryAfterMs: 1000,
      status,
    });
  });

  it.each([400, 413, 422])("maps %i to provider_bad_request, not retryable", (status) => {
    expect(fromStatus(status, "Together AI")).toMatchObject({ code: "provider_bad_request", retryable: false, status });
  });
});

describe("toProviderError", () => {
  const headers = (init: Record<string, string> = {}) => new Headers(init);

  it("maps an SDK 429 with Retry-After to rate_limited with the wait in ms", () => {
    const sdkError = APIError.generate(
      429,
      { error: { message: "slow down" } },
      "429 slow down",
      headers({ "retry-after": "2" }),
    );
    expect(toProviderError(sdkError, "Together AI")).toMatchObject({ code: "rate_limited", retryable: true, retryAfterMs: 2000 });
  });

  it("maps an SDK 401 to provider_auth", () => {
    const sdkError = APIError.generate(401, { error: { message: "Invalid API key" } }, "401", headers());
    expect(toProviderError(sdkError, "Together AI")).toMatchObject({ code: "provider_auth", retryable: false });
  });

  it("maps connection failures and SDK timeouts to provider_unavailable, retryable", () => {
    expect(toProviderError(new APIConnectionError({ cause: new Error("ECONNREFUSED") }), "Ollama")).toMatchObject({
      code: "provider_unavailable",
      retryable: true,
    });
    expect(toProviderError(new APIConnectionTimeoutError(), "Ollama")).toMatchObject({
      code: "provider_unavailable",
      retryable: true,
    });
  });

  it("passes a ProviderError through unchanged", () => {
    const original = new ProviderError("stream_stalled", "stalled", true);
    expect(toProviderError(original, "x")).toBe(original);
  });

  it("turns anything else into provider_unavailable without echoing its text", () => {
    const error = toProviderError(new Error(`socket hang up, Authorization: Bearer ${SECRET}`), "Together AI");
    expect(error).toMatchObject({ code: "provider_unavailable", retryable: true });
    expect(error.message).not.toContain(SECRET);
    expect(toProviderError(new APIUserAbortError(), "Together AI").code).toBe("provider_unavailable");
  });

  it("never puts the API key into a message, whatever the provider echoed back", () => {
    for (const status of [400, 401, 402, 403, 404, 408, 429, 500, 503]) {
      const sdkError = APIError.generate(
        status,
        { error: { message: `Incorrect API key provided: ${SECRET}` } },
        `${status} Incorrect API key provided: ${SECRET}`,
        headers({ "retry-after": "1" }),
      );
      const error = toProviderError(sdkError, "Together AI");
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain("0123456789abcdef");
      expect(fromStatus(status, "Together AI").message).not.toContain(SECRET);
    }
  });
});

describe("a provider saying the context is too long", () => {
  const refusals: Array<[string, number, unknown]> = [
    [
      "OpenAI's context_length_exceeded code",
      400,
      {
        error: {
          message: "Your input exceeds the context window of this model.",
          type: "invalid_request_error",
          code: "context_length_exceeded",
        },
      },
    ],
    [
      "vLLM's maximum context length",
      400,
      // vLLM's body has no `error` key; server/providers/keep-error-bodies.ts hands it to the SDK under one.
      {
        error: {
          object: "error",
          message:
            "This model's maximum context length is 16384 tokens. However, you requested 17210 tokens (9018 in the messages, 8192 in the completion).",
          type: "BadRequestError",
          code: 400,
        },
      },
    ],
    [
      "Together's inputs + max_new_tokens validation",
      400,
      {
        error: {
          message:
            "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 32769. Given: 30000 `inputs` tokens and 8192 `max_new_tokens`",
          type: "invalid_request_error",
        },
      },
    ],
  ];

  for (const [name, status, body] of refusals) {
    it(`maps ${name} to context_too_long, not retried`, () => {
      const error = toProviderError(APIError.generate(status, body as object, undefined, new Headers()), "Together AI");
      expect(error.code).toBe("context_too_long");
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/too long for this model/);
    });
  }

  it("leaves any other 400 a provider_bad_request", () => {
    const error = toProviderError(
      APIError.generate(400, { error: { message: "temperature must be between 0 and 2" } }, undefined, new Headers()),
      "Together AI",
    );
    expect(error.code).toBe("provider_bad_request");
  });
});
