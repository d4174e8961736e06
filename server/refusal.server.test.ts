import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { RateLimitDecision, RateLimits } from "./db/chat-store";
import { readJsonWrite, WRITE_BODY_LIMIT_BYTES } from "./refusal.server";
import type { KilnServices } from "./services.server";
import { take, type BucketState } from "./token-bucket";

const schema = z.object({ title: z.string().min(1) });

/** Services with an in-memory rate-limit store that records the keys it was asked for. */
function fakeServices(rateLimit = { perMinute: 0, burst: 1 }) {
  const buckets = new Map<string, BucketState>();
  const keys: string[] = [];
  const services = {
    config: { trustProxy: 0, rateLimit },
    logger: { warn: () => undefined },
    store: {
      async takeRateLimitToken(key: string, limits: RateLimits): Promise<RateLimitDecision> {
        keys.push(key);
        const result = take(buckets.get(key), Date.now(), limits);
        buckets.set(key, result);
        return { allowed: result.allowed, retryAfterMs: result.retryAfterMs, remaining: Math.floor(result.tokens) };
      },
    },
  } as unknown as KilnServices;
  return { services, keys };
}

/** A body that hands out `total` bytes in 1 kB chunks and counts how many were taken from it. */
function countedBody(total: number) {
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= total) return controller.close();
      const chunk = new Uint8Array(Math.min(1000, total - counter.pulled)).fill(0x20);
      counter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, counter };
}

function post(
  body: BodyInit | ReadableStream<Uint8Array>,
  headers: Record<string, string> = { "Content-Type": "application/json" },
) {
  return new Request("http://kiln.test/api/chats", { method: "POST", headers, body, duplex: "half" } as RequestInit);
}

const options = { kind: "chats" as const, clientIp: "198.51.100.1" };

async function refusalOf(result: Awaited<ReturnType<typeof readJsonWrite>>) {
  if (result.ok) throw new Error("expected a refusal");
  return { status: result.response.status, headers: result.response.headers, ...((await result.response.json()) as object) };
}

describe("readJsonWrite", () => {
  it("hands over a JSON body that passes the schema", async () => {
    const result = await readJsonWrite(post(JSON.stringify({ title: "A timer" })), fakeServices().services, schema, options);
    expect(result).toEqual({ ok: true, body: { title: "A timer" } });
  });

  it("refuses a body that is not sent as JSON with 415 unsupported_media_type", async () => {
    const kinds: Array<Record<string, string>> = [
      {},
      { "Content-Type": "text/plain" },
      { "Content-Type": "application/x-www-form-urlencoded" },
    ];
    for (const headers of kinds) {
      const refused = await refusalOf(
        await readJsonWrite(post('{"title":"x"}', headers), fakeServices().services, schema, options),
      );
      expect(refused).toMatchObject({ status: 415, error: { code: "unsupported_media_type" } });
    }
  });

  it("refuses a body whose Content-Length is over the limit without reading any of it", async () => {
    const { stream, counter } = countedBody(5_000_000);
    const request = post(stream, { "Content-Type": "application/json", "Content-Length": "5000000" });
    const refused = await refusalOf(await readJsonWrite(request, fakeServices().services, schema, options));
    expect(refused).toMatchObject({ status: 413, error: { code: "body_too_large", message: expect.stringContaining("16 kB") } });
    expect(refused.headers.get("connection")).toBe("close");
    // A ReadableStream pulls once to fill its queue; nothing was read by Kiln.
    expect(counter.pulled).toBeLessThanOrEqual(1000);
  });

  it("stops reading a body without Content-Length once it passes the limit", async () => {
    const { stream, counter } = countedBody(5_000_000);
    const refused = await refusalOf(await readJsonWrite(post(stream), fakeServices().services, schema, options));
    expect(refused).toMatchObject({ status: 413, error: { code: "body_too_large" } });
    expect(counter.pulled).toBeLessThanOrEqual(WRITE_BODY_LIMIT_BYTES + 2000);
  });

  it("accepts a body of exactly the limit, and a larger limit when the endpoint asks for one", async () => {
    const json = JSON.stringify({ title: "x".repeat(WRITE_BODY_LIMIT_BYTES - 12) });
    expect(json.length).toBe(WRITE_BODY_LIMIT_BYTES);
    expect((await readJsonWrite(post(json), fakeServices().services, schema, options)).ok).toBe(true);
    const larger = JSON.stringify({ title: "x".repeat(50_000) });
    expect((await readJsonWrite(post(larger), fakeServices().services, schema, options)).ok).toBe(false);
    expect((await readJsonWrite(post(larger), fakeServices().services, schema, { ...options, maxBytes: 60_000 })).ok).toBe(true);
  });

  it("refuses what is not JSON (400 bad_json) and JSON the schema refuses (400 bad_request)", async () => {
    const { services } = fakeServices();
    expect(await refusalOf(await readJsonWrite(post("{"), services, schema, options))).toMatchObject({
      status: 400,
      error: { code: "bad_json" },
    });
    expect(await refusalOf(await readJsonWrite(post('{"title":""}'), services, schema, options))).toMatchObject({
      status: 400,
      error: { code: "bad_request" },
    });
  });

  it("takes a token from the client's bucket of this kind of write, so each kind has a bucket of its own", async () => {
    const { services, keys } = fakeServices({ perMinute: 1, burst: 2 });
    const body = JSON.stringify({ title: "x" });
    const write = (kind: "chats" | "shares", clientIp = "198.51.100.1") =>
      readJsonWrite(post(body), services, schema, { kind, clientIp });
    expect((await write("chats")).ok).toBe(true);
    expect((await write("chats")).ok).toBe(true);
    const refused = await refusalOf(await write("chats"));
    expect(refused).toMatchObject({ status: 429, error: { code: "rate_limited" } });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("connection")).toBe("close");
    // Shares and other clients have buckets of their own.
    expect((await write("shares")).ok).toBe(true);
    expect((await write("chats", "198.51.100.2")).ok).toBe(true);
    expect(new Set(keys)).toEqual(new Set(["chats:198.51.100.1", "shares:198.51.100.1", "chats:198.51.100.2"]));
  });

  it("checks the method and the site before it spends a rate-limit token", async () => {
    const { services, keys } = fakeServices({ perMinute: 1, burst: 1 });
    const get = new Request("http://kiln.test/api/chats");
    expect(await refusalOf(await readJsonWrite(get, services, schema, options))).toMatchObject({ status: 405 });
    const crossSite = post('{"title":"x"}', { "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site" });
    expect(await refusalOf(await readJsonWrite(crossSite, services, schema, options))).toMatchObject({ status: 403 });
    expect(keys).toEqual([]);
  });
});
