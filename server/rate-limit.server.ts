/**
 * The per-client rate limit of every write (docs/operations.md, "Protection"): a token bucket per
 * client address and kind of write, `KILN_RATE_LIMIT_BURST` tokens refilled at
 * `KILN_RATE_LIMIT_PER_MINUTE`. Its state is in the database, so the limit holds across replicas.
 */
import { clientKey } from "./client-key";
import { refusal } from "./refusal.server";
import type { KilnServices } from "./services.server";

/**
 * What the request writes, and so which bucket it takes from: `chat` a turn (`POST /api/chat`),
 * `chats` a new chat, `shares` a share, `images` an image upload (`POST /api/chats/:id/images`).
 * Separate buckets, so creating chats never uses up the turns (the home page creates a chat, uploads
 * its images and then sends its first turn). Every kind has the same limits: the store's keys of one
 * namespace must (server/db/chat-store.ts, `takeRateLimitToken`).
 */
export type RateLimitKind = "chat" | "chats" | "shares" | "images";

/**
 * Takes a token from the client's bucket for `kind`: undefined when the request may go on, else the
 * 429 to answer, with Retry-After. A database hiccup lets the request through: refusing every user
 * would be worse.
 */
export async function rateLimitRefusal(services: KilnServices, kind: RateLimitKind, ip: string): Promise<Response | undefined> {
  const { perMinute, burst } = services.config.rateLimit;
  if (perMinute === 0) return undefined;
  try {
    const decision = await services.store.takeRateLimitToken(`${kind}:${clientKey(ip)}`, {
      capacity: burst,
      refillPerSecond: perMinute / 60,
    });
    if (decision.allowed) return undefined;
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return refusal(429, "rate_limited", `Too many requests from your address; try again in ${seconds} s.`, {
      "Retry-After": String(seconds),
      // The body was not read: do not reuse the connection.
      Connection: "close",
    });
  } catch (error) {
    services.logger.warn({ err: error, kind }, "rate limit check failed; letting the request through");
    return undefined;
  }
}
