import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { backendAiRefusal, tokenExpiry, tokenExpiryWarning } from "./backend-ai-errors";
import { keepErrorBodies } from "./keep-error-bodies";
import { toProviderError } from "./errors.server";

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A stand-in for Backend.AI's AppProxy answering every request with one refusal, over real HTTP. */
async function appProxy(status: number, contentType: string, body: string): Promise<string> {
  const server = http.createServer((_req, res) => res.writeHead(status, { "Content-Type": contentType }).end(body));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

async function refusalThroughTheSdk(baseURL: string) {
  // As the provider factory builds clients: with the fetch that keeps error bodies.
  const client = new OpenAI({ baseURL, apiKey: "bai-secret-token-123", maxRetries: 0, fetch: keepErrorBodies() });
  try {
    await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
  } catch (error) {
    return toProviderError(error, "Backend.AI");
  }
  throw new Error("the request did not fail");
}

describe("Backend.AI's own error codes", () => {
  it.each([
    ["E20006", "set BACKEND_AI_API_KEY"],
    ["E20007", '"BackendAI <token>"'],
    ["E20008", "issue a new token"],
    ["E20009", "check BACKEND_AI_ENDPOINT"],
    ["E20011", "not an inference endpoint"],
  ])("%s is a provider_auth error that says what to do (%s)", (code, advice) => {
    const refusal = backendAiRefusal(`{"error_code":"${code}","msg":"…"}`);
    expect(refusal).toMatchObject({ code, kilnCode: "provider_auth", retryable: false });
    expect(refusal?.advice).toContain(advice);
  });

  it("a proxy that restarted (E20010) is worth trying again", () => {
    expect(backendAiRefusal("E20010: nghttpx terminated unexpectedly")).toMatchObject({
      kilnCode: "provider_unavailable",
      retryable: true,
    });
  });

  it("finds nothing in other bodies, or in codes that only look alike", () => {
    expect(backendAiRefusal('{"error":{"message":"Invalid API key"}}')).toBeUndefined();
    expect(backendAiRefusal("E200089 E2000 XE20008")).toBeUndefined();
    expect(backendAiRefusal(undefined)).toBeUndefined();
  });

  it("a JSON refusal over HTTP becomes the sentence for the operator, with no token and no body in it", async () => {
    const url = await appProxy(
      401,
      "application/json",
      JSON.stringify({ error_code: "E20008", msg: "Authorization token mismatch" }),
    );
    const error = await refusalThroughTheSdk(url);
    expect(error.code).toBe("provider_auth");
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      "Backend.AI refused the request (E20008): the endpoint token is wrong or expired: issue a new token for this model service in Backend.AI and set BACKEND_AI_API_KEY.",
    );
  });

  it("an error body in OpenAI's own shape passes through the fetch unchanged", async () => {
    const url = await appProxy(429, "application/json", JSON.stringify({ error: { message: "slow down", type: "rate_limit" } }));
    const error = await refusalThroughTheSdk(url);
    expect(error.code).toBe("rate_limited");
  });

  it("an HTML error page never reaches the message, whether it names a code or not", async () => {
    const page = "<html><body><h1>401</h1><p>E20006: Authorization header not provided</p><script>x()</script></body></html>";
    const named = await refusalThroughTheSdk(await appProxy(401, "text/html", page));
    expect(named.code).toBe("provider_auth");
    expect(named.message).toContain("(E20006): the endpoint needs a token");
    expect(named.message).not.toMatch(/<|html|script/i);

    const plain = await refusalThroughTheSdk(await appProxy(502, "text/html", "<html><body>Bad gateway</body></html>"));
    expect(plain.code).toBe("provider_unavailable");
    expect(plain.message).not.toMatch(/<|html/i);
  });
});

describe("tokenExpiry (warning before a Backend.AI token expires)", () => {
  const jwt = (claims: object) =>
    ["eyJhbGciOiJIUzI1NiJ9", Buffer.from(JSON.stringify(claims)).toString("base64url"), "signature"].join(".");

  it("reads the exp claim of a JWT", () => {
    expect(tokenExpiry(jwt({ exp: 1_800_000_000 }))?.toISOString()).toBe("2027-01-15T08:00:00.000Z");
  });

  it("says nothing for opaque tokens, JWTs without exp, or garbage", () => {
    expect(tokenExpiry("bai-0123456789")).toBeUndefined();
    expect(tokenExpiry(jwt({ sub: "me" }))).toBeUndefined();
    expect(tokenExpiry("a.!!!.c")).toBeUndefined();
    expect(tokenExpiry(undefined)).toBeUndefined();
  });
});

describe("tokenExpiryWarning (what the server logs at start-up)", () => {
  const jwt = (exp: number) =>
    ["eyJhbGciOiJIUzI1NiJ9", Buffer.from(JSON.stringify({ exp })).toString("base64url"), "sig"].join(".");
  const now = Date.parse("2026-12-01T00:00:00Z");

  it("warns when the token has expired, or expires within a week, and not before", () => {
    expect(tokenExpiryWarning("Backend.AI", jwt(now / 1000 - 60), now)).toMatch(
      /^Backend.AI's token expired at 2026-11-30T23:59:00.000Z/,
    );
    expect(tokenExpiryWarning("Backend.AI", jwt(now / 1000 + 2 * 86400), now)).toMatch(/expires at 2026-12-03/);
    expect(tokenExpiryWarning("Backend.AI", jwt(now / 1000 + 30 * 86400), now)).toBeUndefined();
    expect(tokenExpiryWarning("Backend.AI", "opaque-token", now)).toBeUndefined();
  });
});
