/**
 * What protects an operator's Kiln: the per-client rate limit, the refusal of cross-site browser
 * requests, the readiness endpoint a load balancer watches, and the headers that keep pages and the
 * preview frame (where generated code runs) apart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const MODEL = "deepseek-ai/DeepSeek-V3";
let fake: FakeProvider;
let kiln: KilnServer;

beforeAll(async () => {
  fake = await startFakeProvider();
  kiln = await startKilnServer({
    TOGETHER_API_KEY: "sk-protection-test-key",
    TOGETHER_BASE_URL: fake.url,
    KILN_RATE_LIMIT_BURST: "3",
    KILN_RATE_LIMIT_PER_MINUTE: "6",
    KILN_TRUST_PROXY: "1",
  });
});

afterAll(async () => {
  await kiln?.stop();
  await fake?.close();
});

function chat(headers: Record<string, string> = {}) {
  return fetch(`${kiln.url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "a timer" }] }),
  });
}

describe("rate limit per client", () => {
  it("lets a burst through, then answers 429 with Retry-After, per client address", async () => {
    const client = { "X-Forwarded-For": "198.51.100.1" };
    for (let i = 0; i < 3; i++) expect((await readSse(await chat(client))).sequence.at(-1)).toBe("done");
    const refused = await chat(client);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(10);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: "rate_limited", message: expect.stringMatching(/^Too many requests/) });
    // Another client is not affected.
    expect((await chat({ "X-Forwarded-For": "198.51.100.2" })).status).toBe(200);
  });
});

describe("cross-site requests", () => {
  it("refuses a browser request from another site", async () => {
    const crossSite: Array<Record<string, string>> = [{ "Sec-Fetch-Site": "cross-site" }, { Origin: "https://evil.example" }];
    for (const headers of crossSite) {
      const response = await chat({ ...headers, "X-Forwarded-For": "198.51.100.10" });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("cross_site_request");
    }
    const createChat = await fetch(`${kiln.url}/api/chats`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site" },
      body: JSON.stringify({ model: MODEL, title: "x" }),
    });
    expect(createChat.status).toBe(403);
  });

  it("allows the app's own pages, and requests without browser headers (curl, servers)", async () => {
    const sameOrigin = await chat({ "Sec-Fetch-Site": "same-origin", Origin: kiln.url, "X-Forwarded-For": "198.51.100.11" });
    expect(sameOrigin.status).toBe(200);
    await sameOrigin.body?.cancel();
    const plain = await chat({ "X-Forwarded-For": "198.51.100.12" });
    expect(plain.status).toBe(200);
    await plain.body?.cancel();
  });
});

describe("health", () => {
  it("/healthz and /readyz answer JSON without secrets; ready with a database and a provider", async () => {
    expect(await (await fetch(`${kiln.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${kiln.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body).toEqual({ status: "ready", database: "ok", providers: 1, draining: false });
    expect(JSON.stringify(body)).not.toContain("sk-protection-test-key");
  });
});

describe("metrics", () => {
  it("are off unless enabled, and behind the token when one is set", async () => {
    expect((await fetch(`${kiln.url}/metrics`)).status).toBe(404);
    const watched = await startKilnServer({
      TOGETHER_API_KEY: "k",
      TOGETHER_BASE_URL: fake.url,
      KILN_METRICS_TOKEN: "scrape-secret",
    });
    try {
      expect((await fetch(`${watched.url}/metrics`)).status).toBe(401);
      await readSse(
        await fetch(`${watched.url}/api/chat`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            model: MODEL,
            messages: [{ role: "user", content: "a timer [fake:status=503][fake:fail-times=1]" }],
          }),
        }),
      );
      const text = await (await fetch(`${watched.url}/metrics`, { headers: { Authorization: "Bearer scrape-secret" } })).text();
      expect(text).toMatch(/kiln_chat_requests_total\{provider="together",model="deepseek-ai\/DeepSeek-V3",outcome="done"\} 1/);
      expect(text).toMatch(/kiln_chat_retries_total\{provider="together",reason="provider_unavailable"\} 1/);
      expect(text).toMatch(/kiln_chat_first_delta_seconds_count\{provider="together",model="deepseek-ai\/DeepSeek-V3"\} 1/);
      expect(text).toMatch(/kiln_open_streams 0/);
    } finally {
      await watched.stop();
    }
  });
});

describe("security headers", () => {
  it("every page carries a CSP with a fresh nonce, frame-ancestors 'none' and nosniff", async () => {
    const [first, second] = await Promise.all([fetch(kiln.url), fetch(kiln.url)]);
    const csp = first.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    // KILN_PREVIEW defaults to local: the page frames Kiln's own preview page and nothing else.
    expect(csp).toContain("frame-src 'self'");
    expect(csp).not.toContain("codesandbox");
    expect(first.headers.get("permissions-policy")).toMatch(/camera=\(\)/);
    expect(first.headers.get("x-frame-options")).toBe("DENY");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(second.headers.get("content-security-policy")).not.toContain(nonce);
    expect(await first.text()).toContain(`nonce="${nonce}"`);
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });
});

describe("the preview frame page", () => {
  it("is served by Kiln itself, with the frame's locked-down CSP and without the pages' framing ban", async () => {
    const response = await fetch(`${kiln.url}/preview/frame`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain("nonce-");
    expect(response.headers.get("permissions-policy")).toMatch(/camera=\(\)/);
    expect(response.headers.get("permissions-policy")).toMatch(/microphone=\(\)/);
    expect(response.headers.get("x-frame-options")).toBeNull();
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await response.text()).toContain('<div id="root"></div>');
  });

  it("names fingerprinted scripts under assets/ that are cached for good and readable from the sandboxed frame", async () => {
    const page = await (await fetch(`${kiln.url}/preview/frame`)).text();
    const scripts = [...page.matchAll(/<script[^>]*\ssrc="(assets\/[^"]+\.js)"/g)].map((match) => match[1]);
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const script of scripts) {
      // Relative to /preview/frame, as the browser resolves it.
      const response = await fetch(new URL(script, `${kiln.url}/preview/frame`));
      expect(response.status, script).toBe(200);
      expect(response.headers.get("content-type"), script).toMatch(/javascript/);
      const cacheControl = response.headers.get("cache-control")!;
      expect(cacheControl, script).toContain("immutable");
      expect(cacheControl, script).toContain("max-age=31536000");
      expect(response.headers.get("access-control-allow-origin"), script).toBe("*");
      await response.body?.cancel();
    }
  });

  it("answers a bare 404 for an asset it does not have (a bundle from an older build), not Kiln's 404 page", async () => {
    const response = await fetch(`${kiln.url}/preview/assets/frame-NOTABUILD.js`);
    expect(response.status).toBe(404);
    expect(response.headers.get("cache-control") ?? "").not.toContain("immutable");
    expect(response.headers.get("content-security-policy") ?? "").not.toContain("nonce-");
    expect(await response.text()).not.toContain("stylesheet");
  });
});
