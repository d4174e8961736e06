/**
 * What both stores share for `takeRateLimitToken`: checking the arguments, keeping keys short, and
 * deciding when to delete buckets that have refilled to capacity (a missing row is a full bucket, so
 * deleting them changes nothing but the table's size: one row per client seen in the last refill
 * period, not one per client ever seen).
 */
import { createHash } from "node:crypto";
import { type BucketLimits, SLACK_MS } from "../token-bucket";

export { SLACK_MS };

/** Longer keys are stored as `<namespace>#<sha256>`, so a key never makes a row large. */
export const MAX_KEY_LENGTH = 128;
/** Each store deletes the full buckets of one namespace at most this often. */
export const PRUNE_INTERVAL_MS = 60_000;

export interface RateLimitCall {
  key: string;
  now: number;
}

export function checkRateLimitCall(key: string, limits: BucketLimits, now: number): RateLimitCall {
  if (typeof key !== "string" || key === "") throw new TypeError("takeRateLimitToken: key must be a non-empty string");
  if (!Number.isSafeInteger(now) || now < 0)
    throw new RangeError(`takeRateLimitToken: now must be epoch milliseconds (an integer), got ${now}`);
  if (!(Number.isFinite(limits.capacity) && limits.capacity >= 1))
    throw new RangeError(`takeRateLimitToken: capacity must be at least 1, got ${limits.capacity}`);
  if (!(Number.isFinite(limits.refillPerSecond) && limits.refillPerSecond > 0)) {
    throw new RangeError(`takeRateLimitToken: refillPerSecond must be greater than 0, got ${limits.refillPerSecond}`);
  }
  return { key: storedKey(key), now };
}

/** `chat:203.0.113.7` stays as it is; anything longer than MAX_KEY_LENGTH becomes `chat:#<sha256>`. */
export function storedKey(key: string): string {
  if (key.length <= MAX_KEY_LENGTH) return key;
  const namespace = namespaceOf(key) ?? "";
  return `${namespace}#${createHash("sha256").update(key).digest("base64url")}`;
}

/** `chat:2001:db8::1` → `chat:` (up to and including the first `:`); undefined without one. */
export function namespaceOf(key: string): string | undefined {
  const colon = key.indexOf(":");
  return colon > 0 && colon < 64 ? key.slice(0, colon + 1) : undefined;
}

/** Time for an empty bucket to refill completely, rounded up: a row idle this long is full. */
export function fullRefillMs(limits: BucketLimits): number {
  return Math.ceil((limits.capacity * 1000) / limits.refillPerSecond);
}

export interface PruneDue {
  /** Delete rows whose key starts with this… */
  namespace: string;
  /** …and whose updated_at is before this (they have refilled to capacity). */
  updatedBefore: number;
}

/**
 * Per store: when to prune a namespace next. `due` answers at most once per PRUNE_INTERVAL_MS per
 * namespace (by the clock the caller passes), and `failed` lets the next call try again.
 */
export class PruneSchedule {
  private last = new Map<string, number>();

  /** The namespace to prune now and the cut-off (rows updated before it are full), or undefined. */
  due(key: string, limits: BucketLimits, now: number): PruneDue | undefined {
    const namespace = namespaceOf(key);
    if (namespace === undefined) return undefined;
    const last = this.last.get(namespace);
    if (last !== undefined && now - last < PRUNE_INTERVAL_MS && now >= last) return undefined;
    if (this.last.size >= 100 && last === undefined) this.last.clear();
    this.last.set(namespace, now);
    return { namespace, updatedBefore: now - fullRefillMs(limits) };
  }

  failed(key: string) {
    const namespace = namespaceOf(key);
    if (namespace !== undefined) this.last.delete(namespace);
  }
}
