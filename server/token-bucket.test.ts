import { describe, expect, it } from "vitest";
import { type BucketLimits, type BucketState, refill, remainingTokens, take } from "./token-bucket";

const T0 = 1_780_000_000_000;
const limits: BucketLimits = { capacity: 5, refillPerSecond: 1 };

/** Takes `count` times at `now`, threading the state through; returns every result. */
function takeMany(state: BucketState | undefined, now: number, count: number, l: BucketLimits = limits) {
  const results = [];
  for (let i = 0; i < count; i++) {
    const result = take(state, now, l);
    results.push(result);
    state = result;
  }
  return results;
}

describe("refill", () => {
  it("starts a new key full, at now", () => {
    expect(refill(undefined, T0, limits)).toEqual({ tokens: 5, updatedAt: T0 });
    expect(refill(undefined, T0, { capacity: 2.5, refillPerSecond: 1 })).toEqual({ tokens: 2.5, updatedAt: T0 });
  });

  it("adds refillPerSecond per second, fractions included", () => {
    expect(refill({ tokens: 0, updatedAt: T0 }, T0 + 1000, limits)).toEqual({ tokens: 1, updatedAt: T0 + 1000 });
    expect(refill({ tokens: 0, updatedAt: T0 }, T0 + 250, limits)).toEqual({ tokens: 0.25, updatedAt: T0 + 250 });
    expect(refill({ tokens: 1.5, updatedAt: T0 }, T0 + 500, { capacity: 10, refillPerSecond: 4 })).toEqual({
      tokens: 3.5,
      updatedAt: T0 + 500,
    });
    expect(refill({ tokens: 0, updatedAt: T0 }, T0 + 60_000, { capacity: 10, refillPerSecond: 0.1 })).toEqual({
      tokens: 6,
      updatedAt: T0 + 60_000,
    });
  });

  it("never goes above capacity, however long it waited", () => {
    expect(refill({ tokens: 4.5, updatedAt: T0 }, T0 + 10_000, limits)).toEqual({ tokens: 5, updatedAt: T0 + 10_000 });
    expect(refill({ tokens: 0, updatedAt: 0 }, T0, limits).tokens).toBe(5);
    expect(refill({ tokens: 5, updatedAt: T0 }, T0 + 1, limits).tokens).toBe(5);
  });

  it("brings a bucket saved under a larger capacity down to the current one", () => {
    expect(refill({ tokens: 50, updatedAt: T0 }, T0, limits).tokens).toBe(5);
  });

  it("refilling in steps gives the same as refilling once", () => {
    let state: BucketState = { tokens: 0, updatedAt: T0 };
    for (let t = 1; t <= 7; t++) state = refill(state, T0 + t * 1000, limits);
    expect(state).toEqual(refill({ tokens: 0, updatedAt: T0 }, T0 + 7000, limits));
  });

  it("treats a clock going backwards as no time passing, and keeps updatedAt where it was", () => {
    const state = { tokens: 2, updatedAt: T0 };
    expect(refill(state, T0 - 5000, limits)).toEqual({ tokens: 2, updatedAt: T0 });
    // Back at (or past) the old time, only time after T0 counts: the 5 s "lost" are not credited twice.
    expect(refill(refill(state, T0 - 5000, limits), T0 + 1000, limits)).toEqual({ tokens: 3, updatedAt: T0 + 1000 });
  });

  it("refuses limits that make no sense", () => {
    expect(() => refill(undefined, T0, { capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => refill(undefined, T0, { capacity: 0.5, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => refill(undefined, T0, { capacity: Infinity, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => refill(undefined, T0, { capacity: 5, refillPerSecond: 0 })).toThrow(RangeError);
    expect(() => refill(undefined, T0, { capacity: 5, refillPerSecond: -1 })).toThrow(RangeError);
    expect(() => refill(undefined, T0, { capacity: 5, refillPerSecond: Number.NaN })).toThrow(RangeError);
    expect(() => refill(undefined, Number.NaN, limits)).toThrow(RangeError);
  });
});

describe("take", () => {
  it("allows a burst of exactly capacity from a new key, then refuses", () => {
    const results = takeMany(undefined, T0, 7);
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((r) => r.tokens)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(results.map((r) => r.retryAfterMs)).toEqual([0, 0, 0, 0, 0, 1000, 1000]);
    expect(results.every((r) => r.updatedAt === T0)).toBe(true);
  });

  it("a capacity of 1 allows one request, then one per refill period", () => {
    const l = { capacity: 1, refillPerSecond: 2 };
    const [first, second] = takeMany(undefined, T0, 2, l);
    expect(first).toEqual({ allowed: true, tokens: 0, updatedAt: T0, retryAfterMs: 0 });
    expect(second).toEqual({ allowed: false, tokens: 0, updatedAt: T0, retryAfterMs: 500 });
    expect(take(second, T0 + 499, l).allowed).toBe(false);
    expect(take(second, T0 + 500, l).allowed).toBe(true);
  });

  it("refills over time: one more request per 1/refillPerSecond", () => {
    const drained = takeMany(undefined, T0, 5).at(-1)!;
    expect(take(drained, T0 + 999, limits)).toMatchObject({ allowed: false, retryAfterMs: 1 });
    const one = take(drained, T0 + 1000, limits);
    expect(one).toEqual({ allowed: true, tokens: 0, updatedAt: T0 + 1000, retryAfterMs: 0 });
    // Three seconds later, three requests, then a refusal.
    expect(takeMany(one, T0 + 4000, 4).map((r) => r.allowed)).toEqual([true, true, true, false]);
  });

  it("never holds more than capacity: a long pause still allows only capacity at once", () => {
    const drained = takeMany(undefined, T0, 5).at(-1)!;
    const later = takeMany(drained, T0 + 3_600_000, 6);
    expect(later.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    expect(later[0].tokens).toBe(4);
  });

  it("a refused take only refills: refusals cost nothing", () => {
    const state = { tokens: 0.25, updatedAt: T0 };
    const refused = take(state, T0 + 500, limits);
    expect(refused).toEqual({ allowed: false, tokens: 0.75, updatedAt: T0 + 500, retryAfterMs: 250 });
    // Hammering while refused does not push the next token further away.
    let s: BucketState = refused;
    for (let t = 501; t < 750; t += 7) s = take(s, T0 + t, limits);
    expect(take(s, T0 + 750, limits).allowed).toBe(true);
  });

  it("retryAfterMs is exact: refused 1 ms earlier, allowed at exactly that time", () => {
    const rates = [0.1, 0.3, 1 / 3, 0.7, 1, 2, 3, 7, 10, 33.3, 1000 / 3, 999, 5000];
    const fractions = [0, 1e-9, 0.1, 0.2, 0.25, 0.3, 1 / 3, 0.5, 0.7, 0.9, 0.99, 0.999999];
    let checked = 0;
    for (const refillPerSecond of rates) {
      const l = { capacity: 3, refillPerSecond };
      for (const tokens of fractions) {
        const state = { tokens, updatedAt: T0 };
        const refused = take(state, T0, l);
        const exact = ((1 - tokens) * 1000) / refillPerSecond;
        if (exact < 1e-6) continue;
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterMs).toBe(Math.max(1, Math.ceil(exact - 1e-6)));
        expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1);
        if (refused.retryAfterMs > 1) expect(take(refused, T0 + refused.retryAfterMs - 1, l).allowed).toBe(false);
        expect(take(refused, T0 + refused.retryAfterMs, l).allowed).toBe(true);
        // From the original state too (refilled directly, not via the refused state).
        expect(take(state, T0 + refused.retryAfterMs, l).allowed).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("retryAfterMs for a few hand-computed cases", () => {
    expect(take({ tokens: 0, updatedAt: T0 }, T0, { capacity: 10, refillPerSecond: 0.5 }).retryAfterMs).toBe(2000);
    expect(take({ tokens: 0, updatedAt: T0 }, T0, { capacity: 10, refillPerSecond: 3 }).retryAfterMs).toBe(334); // 333.3…
    expect(take({ tokens: 0.7, updatedAt: T0 }, T0, { capacity: 10, refillPerSecond: 1 }).retryAfterMs).toBe(300); // not 301 from 0.30000000000000004
    expect(take({ tokens: 0.9999, updatedAt: T0 }, T0, { capacity: 10, refillPerSecond: 1 }).retryAfterMs).toBe(1); // 0.1 ms → 1
    expect(take({ tokens: 0, updatedAt: T0 }, T0, { capacity: 10, refillPerSecond: 5000 }).retryAfterMs).toBe(1); // 0.2 ms → 1
  });

  it("steady traffic at exactly the refill rate is always allowed; faster is cut to the rate", () => {
    const l = { capacity: 2, refillPerSecond: 4 }; // a token every 250 ms
    let state: BucketState | undefined;
    for (let i = 0; i < 100; i++) {
      const result = take(state, T0 + i * 250, l);
      expect(result.allowed).toBe(true);
      state = result;
    }
    state = undefined;
    let allowed = 0;
    for (let t = 0; t < 10_000; t += 50) {
      const result = take(state, T0 + t, l);
      if (result.allowed) allowed++;
      state = result;
    }
    expect(allowed).toBe(2 + 39); // the burst, then one per 250 ms over the remaining 9.95 s
  });

  it("a clock going backwards credits no tokens and refuses with the full wait", () => {
    const drained = takeMany(undefined, T0, 5).at(-1)!;
    const back = take(drained, T0 - 60_000, limits);
    expect(back).toEqual({ allowed: false, tokens: 0, updatedAt: T0, retryAfterMs: 1000 });
    expect(take(back, T0 + 999, limits).allowed).toBe(false);
    expect(take(back, T0 + 1000, limits).allowed).toBe(true);
  });

  it("a new key starts full at any time, even one before another key's", () => {
    expect(take(undefined, 0, limits)).toEqual({ allowed: true, tokens: 4, updatedAt: 0, retryAfterMs: 0 });
  });

  it("does not change the state it is given", () => {
    const state = { tokens: 3, updatedAt: T0 };
    take(state, T0 + 5000, limits);
    refill(state, T0 + 5000, limits);
    expect(state).toEqual({ tokens: 3, updatedAt: T0 });
  });
});

describe("remainingTokens", () => {
  it("counts whole tokens", () => {
    expect([0, 0.999, 1, 2.5, 10].map(remainingTokens)).toEqual([0, 0, 1, 2, 10]);
  });
});
