/**
 * A token bucket, as pure functions over `{ tokens, updatedAt }` so the state can live anywhere (the
 * database, for a limit shared by every replica). A bucket holds at most `capacity` tokens and gains
 * `refillPerSecond` tokens per second, continuously (fractions included); a request costs one token.
 * A key never seen before starts full, so a client may send `capacity` requests at once, then one per
 * `1 / refillPerSecond` seconds.
 *
 * Times are epoch milliseconds. A clock that goes backwards (NTP step, or replicas whose clocks
 * disagree) counts as no time passing: `updatedAt` never moves back, so time is never credited twice.
 *
 * The SQL in `db/pg-chat-store.server.ts` computes the same thing in one statement; keep the two in step
 * (the store suite checks them against each other).
 */

export interface BucketState {
  /** Tokens left, 0 ≤ tokens ≤ capacity (fractional). */
  tokens: number;
  /** When `tokens` was last brought up to date, epoch ms. */
  updatedAt: number;
}

export interface BucketLimits {
  /** The most tokens a bucket holds: the burst a client may send at once. At least 1. */
  capacity: number;
  /** Tokens gained per second. Greater than 0. */
  refillPerSecond: number;
}

export interface TakeResult extends BucketState {
  allowed: boolean;
  /** 0 when allowed; otherwise how long until one whole token is available, in ms (rounded up, ≥ 1). */
  retryAfterMs: number;
}

/**
 * Float slack, in milliseconds of refill: a token that is less than this far away counts as here. It
 * absorbs rounding noise (0.1 + 0.2 ≠ 0.3), so that retrying after exactly `retryAfterMs` succeeds.
 * Being in ms (not tokens) keeps `take` and `retryAfterMs` consistent for every refill rate.
 */
export const SLACK_MS = 1e-6;

export function refill(state: BucketState | undefined, now: number, limits: BucketLimits): BucketState {
  checkLimits(limits);
  if (!Number.isFinite(now)) throw new RangeError(`token bucket: now must be a finite number, got ${now}`);
  if (!state) return { tokens: limits.capacity, updatedAt: now };
  const elapsed = Math.max(0, now - state.updatedAt);
  return {
    tokens: Math.min(limits.capacity, state.tokens + (elapsed * limits.refillPerSecond) / 1000),
    updatedAt: Math.max(state.updatedAt, now),
  };
}

/** Refills, then takes one token if there is one. When refused, the state is only refilled. */
export function take(state: BucketState | undefined, now: number, limits: BucketLimits): TakeResult {
  const current = refill(state, now, limits);
  const waitMs = msUntilOneToken(current.tokens, limits);
  if (waitMs <= SLACK_MS) {
    return { allowed: true, tokens: Math.max(0, current.tokens - 1), updatedAt: current.updatedAt, retryAfterMs: 0 };
  }
  return {
    allowed: false,
    tokens: current.tokens,
    updatedAt: current.updatedAt,
    retryAfterMs: Math.max(1, Math.ceil(waitMs - SLACK_MS)),
  };
}

/** Whole tokens left, for a `RateLimit-Remaining`-style header. */
export function remainingTokens(tokens: number): number {
  return Math.max(0, Math.floor(tokens));
}

function msUntilOneToken(tokens: number, limits: BucketLimits): number {
  return ((1 - tokens) * 1000) / limits.refillPerSecond;
}

function checkLimits({ capacity, refillPerSecond }: BucketLimits) {
  if (!(Number.isFinite(capacity) && capacity >= 1))
    throw new RangeError(`token bucket: capacity must be at least 1, got ${capacity}`);
  if (!(Number.isFinite(refillPerSecond) && refillPerSecond > 0)) {
    throw new RangeError(`token bucket: refillPerSecond must be greater than 0, got ${refillPerSecond}`);
  }
}
