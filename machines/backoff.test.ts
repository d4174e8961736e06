/**
 * backoffDelay: exponential ceiling from baseMs, capped at maxMs, full jitter below it, and a
 * server's Retry-After as a floor. Pure: the random source is fixed in every test.
 */
import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

const top = () => 0.999999;
const bottom = () => 0;
const half = () => 0.5;

describe("backoffDelay", () => {
  it("the first retry waits at most baseMs", () => {
    expect(backoffDelay(1, { baseMs: 500, maxMs: 8000, random: top })).toBe(500);
    expect(backoffDelay(1, { baseMs: 500, maxMs: 8000, random: half })).toBe(250);
  });

  it("the ceiling doubles with each attempt", () => {
    const options = { baseMs: 500, maxMs: 100_000, random: top };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options))).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it("the ceiling never exceeds maxMs, however many attempts", () => {
    const options = { baseMs: 500, maxMs: 3000, random: top };
    expect([1, 2, 3, 4, 10, 60].map((attempt) => backoffDelay(attempt, options))).toEqual([500, 1000, 2000, 3000, 3000, 3000]);
  });

  it("full jitter: the wait can be anywhere from 0 up to the ceiling", () => {
    const options = { baseMs: 500, maxMs: 8000 };
    expect(backoffDelay(3, { ...options, random: bottom })).toBe(0);
    expect(backoffDelay(3, { ...options, random: () => 0.25 })).toBe(500);
    expect(backoffDelay(3, { ...options, random: half })).toBe(1000);
    expect(backoffDelay(3, { ...options, random: top })).toBe(2000);
  });

  it("returns whole milliseconds", () => {
    expect(Number.isInteger(backoffDelay(2, { baseMs: 333, maxMs: 8000, random: () => 0.123456 }))).toBe(true);
  });

  it("uses Math.random when no random source is given, staying within [0, ceiling]", () => {
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(2, { baseMs: 100, maxMs: 8000 });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(200);
    }
  });

  it("a Retry-After longer than the jittered wait wins: the server is not asked again sooner", () => {
    expect(backoffDelay(1, { baseMs: 500, maxMs: 8000, random: top }, 5000)).toBe(5000);
    expect(backoffDelay(1, { baseMs: 500, maxMs: 8000, random: bottom }, 1)).toBe(1);
  });

  it("a Retry-After above maxMs is still honoured (maxMs caps only the computed wait)", () => {
    expect(backoffDelay(1, { baseMs: 500, maxMs: 8000, random: top }, 20_000)).toBe(20_000);
  });

  it("a Retry-After shorter than the jittered wait does not shorten it", () => {
    expect(backoffDelay(3, { baseMs: 500, maxMs: 8000, random: top }, 100)).toBe(2000);
    expect(backoffDelay(3, { baseMs: 500, maxMs: 8000, random: half }, 0)).toBe(1000);
  });

  it("attempt 0 or below is treated like the first retry: its ceiling is baseMs", () => {
    expect(backoffDelay(0, { baseMs: 500, maxMs: 8000, random: top })).toBe(500);
  });
});
