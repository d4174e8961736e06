import { describe, expect, it } from "vitest";
import type { GenerationFrame } from "./generation.server";
import { SharedGenerations, STALE_MS, type SharedGenerationRow } from "./shared-generations.server";
import { answerSoFar } from "./take-over.server";

const frame = (seq: number, event: GenerationFrame["event"]): GenerationFrame => ({ seq, event });

describe("what a take-over continues from", () => {
  it("is the delta texts after the last reset, as the browsers have them", () => {
    const frames = [
      frame(1, { event: "meta", data: { requestId: "g", provider: "p", model: "m" } }),
      frame(2, { event: "delta", data: { text: "first try" } }),
      frame(3, { event: "reset", data: { reason: "fallback" } }),
      frame(4, { event: "reasoning", data: { text: "thinking" } }),
      frame(5, { event: "delta", data: { text: "Here is " } }),
      frame(6, { event: "delta", data: { text: "your app" } }),
    ];
    expect(answerSoFar(frames)).toBe("Here is your app");
  });
});

describe("which shared generations may be taken over", () => {
  const row = (status: SharedGenerationRow["status"], age: number): SharedGenerationRow => ({
    id: "g",
    chatId: "c",
    replica: "r",
    status,
    model: "m",
    turnPosition: 0,
    lastSeq: 3,
    updatedAt: 1_000_000 - age,
  });
  it("one a drained replica left, or whose replica has been silent too long; never a finished or live one", () => {
    expect(SharedGenerations.orphaned(row("interrupted", 0), 1_000_000)).toBe(true);
    expect(SharedGenerations.orphaned(row("running", STALE_MS + 1), 1_000_000)).toBe(true);
    expect(SharedGenerations.orphaned(row("running", 1_000), 1_000_000)).toBe(false);
    expect(SharedGenerations.orphaned(row("finished", STALE_MS * 10), 1_000_000)).toBe(false);
  });
});
