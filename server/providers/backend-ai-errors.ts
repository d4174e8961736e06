/**
 * Backend.AI's model-service proxy (AppProxy) refuses requests with its own error codes, in a JSON
 * body or an HTML page, under a generic 401/403/404/5xx. The codes say what is wrong far better than
 * the status: they become Kiln's errors here, each with what the operator should do. Pure; the body
 * itself never reaches a message (it may be an HTML page, or echo a token).
 */

export interface BackendAiRefusal {
  /** AppProxy's code, e.g. E20008. */
  code: string;
  /** Kiln's code: a refusal of the credentials or the address is `provider_auth`. */
  kilnCode: "provider_auth" | "provider_unavailable";
  retryable: boolean;
  /** What is wrong and what to do, for the operator; prefixed with the provider's name by the caller. */
  advice: string;
}

const REFUSALS: Record<string, Omit<BackendAiRefusal, "code">> = {
  E20006: {
    kilnCode: "provider_auth",
    retryable: false,
    advice: "the endpoint needs a token and Kiln sent none: set BACKEND_AI_API_KEY to the model service's token",
  },
  E20007: {
    kilnCode: "provider_auth",
    retryable: false,
    advice:
      'the endpoint does not accept the "Bearer" authorization scheme: this Backend.AI needs "BackendAI <token>"; set it as the Authorization header of a KILN_PROVIDERS entry',
  },
  E20008: {
    kilnCode: "provider_auth",
    retryable: false,
    advice:
      "the endpoint token is wrong or expired: issue a new token for this model service in Backend.AI and set BACKEND_AI_API_KEY",
  },
  E20009: {
    kilnCode: "provider_auth",
    retryable: false,
    advice:
      "no model service is registered at this address: check BACKEND_AI_ENDPOINT (the service may have been deleted or recreated)",
  },
  E20010: {
    kilnCode: "provider_unavailable",
    retryable: true,
    advice: "the endpoint's proxy restarted unexpectedly; try again in a moment",
  },
  E20011: {
    kilnCode: "provider_auth",
    retryable: false,
    advice:
      "this address is an app of Backend.AI's, not an inference endpoint: set BACKEND_AI_ENDPOINT to the model service's endpoint URL",
  },
};

const CODE = /\bE200(?:0[6-9]|1[01])\b/;

/** The AppProxy refusal named in an error body (JSON or HTML, as text), if it names one. */
export function backendAiRefusal(body: string | undefined): BackendAiRefusal | undefined {
  const code = body ? CODE.exec(body)?.[0] : undefined;
  return code ? { code, ...REFUSALS[code] } : undefined;
}

/**
 * When a Backend.AI token is a JWT, the time it expires (its `exp` claim), read locally so the
 * operator can be warned before requests start failing; undefined for opaque tokens.
 */
export function tokenExpiry(token: string | undefined): Date | undefined {
  const payload = token?.split(".")[1];
  if (!payload || token!.split(".").length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" && Number.isFinite(claims.exp) ? new Date(claims.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

const WARN_BEFORE_MS = 7 * 24 * 60 * 60 * 1000;

/** A warning for the operator when a provider's token (a JWT) has expired or expires within a week. */
export function tokenExpiryWarning(providerLabel: string, token: string | undefined, now = Date.now()): string | undefined {
  const expiry = tokenExpiry(token);
  if (!expiry) return undefined;
  const when = expiry.toISOString();
  if (expiry.getTime() <= now)
    return `${providerLabel}'s token expired at ${when}: issue a new one and set it, or every request will be refused.`;
  if (expiry.getTime() - now < WARN_BEFORE_MS) return `${providerLabel}'s token expires at ${when}: issue a new one before then.`;
  return undefined;
}
