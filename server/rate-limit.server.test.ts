import { describe, expect, it } from "vitest";
import type { RateLimitDecision } from "./db/chat-store";
import { rateLimitRefusal } from "./rate-limit.server";
import type { KilnServices } from "./services.server";

function services(takeRateLimitToken: (key: string) => Promise<RateLimitDecision>, perMinute = 30) {
  const warnings: unknown[] = [];
  const fake = {
    config: { rateLimit: { perMinute, burst: 10 } },
    logger: { warn: (fields: unknown) => warnings.push(fields) },
    store: { takeRateLimitToken },
  } as unknown as KilnServices;
  return { fake, warnings };
}

describe("rateLimitRefusal", () => {
  it("takes from the bucket of the kind and the client's address (an IPv6 client's /64)", async () => {
    const keys: string[] = [];
    const { fake } = services(async (key) => {
      keys.push(key);
      return { allowed: true, retryAfterMs: 0, remaining: 9 };
    });
    expect(await rateLimitRefusal(fake, "chat", "198.51.100.1")).toBeUndefined();
    expect(await rateLimitRefusal(fake, "chats", "::ffff:198.51.100.1")).toBeUndefined();
    expect(await rateLimitRefusal(fake, "shares", "2001:db8:1:2:3:4:5:6")).toBeUndefined();
    expect(keys).toEqual(["chat:198.51.100.1", "chats:198.51.100.1", "shares:2001:db8:1:2::/64"]);
  });

  it("answers 429 rate_limited with Retry-After in whole seconds, at least 1, and closes the connection", async () => {
    const { fake } = services(async () => ({ allowed: false, retryAfterMs: 1_200, remaining: 0 }));
    const refused = (await rateLimitRefusal(fake, "chats", "198.51.100.1"))!;
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(refused.headers.get("connection")).toBe("close");
    expect(await refused.json()).toEqual({
      error: { code: "rate_limited", message: "Too many requests from your address; try again in 2 s." },
    });
  });

  it("asks nothing when the limit is off, and lets the request through when the database fails", async () => {
    const off = services(async () => {
      throw new Error("must not be asked");
    }, 0);
    expect(await rateLimitRefusal(off.fake, "chat", "198.51.100.1")).toBeUndefined();
    const broken = services(async () => {
      throw new Error("database is locked");
    });
    expect(await rateLimitRefusal(broken.fake, "shares", "198.51.100.1")).toBeUndefined();
    expect(broken.warnings).toHaveLength(1);
  });
});
