import { describe, expect, it } from "vitest";
import { formatReceipt, groupDigits, usageFigures, type Receipt } from "./receipt";

const labels: Record<string, string> = { together: "Together AI", "backend-ai": "Backend.AI" };
const label = (id: string) => labels[id];
const NNBSP = "\u202f";

const plain: Receipt = { provider: "together", model: "deepseek-ai/DeepSeek-V3", totalMs: 6_200, retries: 0, fallbacks: 0 };

describe("formatReceipt: one line under the version", () => {
  it("says everything a receipt knows, in order: who, first token, total, tokens, retries, fallback", () => {
    const line = formatReceipt(
      {
        provider: "together",
        model: "deepseek-ai/DeepSeek-V3",
        firstTokenMs: 412,
        totalMs: 6_249,
        inputTokens: 812,
        outputTokens: 1_934,
        retries: 1,
        fallbacks: 1,
        fellBackFrom: "backend-ai",
      },
      label,
    );
    expect(line).toBe(
      `Together AI · deepseek-ai/DeepSeek-V3 · first token 0.4 s · 6.2 s · 812 → 1${NNBSP}934 tokens · 1 retry · fell back from Backend.AI`,
    );
  });

  it("leaves out what is unknown or nothing to report: no usage, no text, no retry, no fallback", () => {
    expect(formatReceipt(plain, label)).toBe("Together AI · deepseek-ai/DeepSeek-V3 · 6.2 s");
  });

  it("shows a provider id when there is no label for it (a provider since removed from the configuration)", () => {
    expect(formatReceipt({ ...plain, provider: "gone", fallbacks: 1, fellBackFrom: "old" })).toBe(
      "gone · deepseek-ai/DeepSeek-V3 · 6.2 s · fell back from old",
    );
  });

  it("counts several retries and fallbacks", () => {
    const line = formatReceipt({ ...plain, retries: 3, fallbacks: 2, fellBackFrom: "together" }, label);
    expect(line).toBe("Together AI · deepseek-ai/DeepSeek-V3 · 6.2 s · 3 retries · fell back 2 times from Together AI");
  });

  it("names the side of the usage the provider reported when it gave only one", () => {
    expect(formatReceipt({ ...plain, inputTokens: 12_800 }, label)).toContain(`· 12${NNBSP}800 tokens in`);
    expect(formatReceipt({ ...plain, outputTokens: 40 }, label)).toContain("· 40 tokens out");
    expect(formatReceipt({ ...plain, inputTokens: 0, outputTokens: 0 }, label)).toContain("· 0 → 0 tokens");
  });

  it("writes times with one decimal, a first token under 50 ms as 0.0 s", () => {
    expect(formatReceipt({ ...plain, firstTokenMs: 30, totalMs: 95_460 }, label)).toBe(
      "Together AI · deepseek-ai/DeepSeek-V3 · first token 0.0 s · 95.5 s",
    );
  });
});

describe("groupDigits", () => {
  it("groups thousands the same way everywhere, with a narrow no-break space", () => {
    expect([0, 999, 1_000, 1_934, 123_456, 1_234_567].map(groupDigits)).toEqual([
      "0",
      "999",
      `1${NNBSP}000`,
      `1${NNBSP}934`,
      `123${NNBSP}456`,
      `1${NNBSP}234${NNBSP}567`,
    ]);
  });
});

describe("usageFigures", () => {
  it("takes the prompt and completion tokens of a done event's usage, and nothing it did not report", () => {
    expect(usageFigures({ promptTokens: 10, completionTokens: 20 })).toEqual({ inputTokens: 10, outputTokens: 20 });
    expect(usageFigures({ completionTokens: 20 })).toEqual({ outputTokens: 20 });
    expect(usageFigures(undefined)).toEqual({});
  });
});
