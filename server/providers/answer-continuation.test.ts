import { describe, expect, it } from "vitest";
import { MAX_OVERLAP_CHARS, OverlapTrimmer, overlapLength } from "./answer-continuation";

/** Feeds the deltas through a trimmer and returns what the browser would get. */
function stitch(prefix: string, deltas: string[], max?: number): string {
  const trimmer = new OverlapTrimmer(prefix, max);
  return deltas.map((delta) => trimmer.push(delta)).join("") + trimmer.end();
}

describe("overlapLength", () => {
  it("is 0 when the continuation repeats nothing", () => {
    expect(overlapLength("const a = 1;\n", "const b = 2;")).toBe(0);
  });

  it("finds the repeated end of the prefix at the start of the continuation", () => {
    expect(overlapLength("return (\n    <div>", "<div>\n      <p/>")).toBe(5);
  });

  it("takes the longest match", () => {
    expect(overlapLength("abab", "ababc")).toBe(4);
  });

  it("is the whole continuation when it only repeats", () => {
    expect(overlapLength("the end of it", "of it")).toBe(5);
  });

  it("counts a multi-byte character whole", () => {
    expect(overlapLength("a café 🍅", "🍅 break")).toBe(2);
    expect(overlapLength("集中", "中時間")).toBe(1);
  });

  it("looks no further back than the bound", () => {
    const repeated = "x".repeat(MAX_OVERLAP_CHARS + 10);
    expect(overlapLength(repeated, `${repeated}y`)).toBe(MAX_OVERLAP_CHARS);
    expect(overlapLength("abcdef", "cdefg", 3)).toBe(0);
  });
});

describe("OverlapTrimmer: the continuation as it streams", () => {
  it("passes a continuation with no overlap through unchanged", () => {
    expect(stitch("const a = 1;\n", ["const ", "b = 2;"])).toBe("const b = 2;");
  });

  it("drops the repeated end even when it arrives split across deltas", () => {
    expect(stitch("<div>\n  <p>Hello", ["<p", ">Hel", "lo wor", "ld</p>"])).toBe(" world</p>");
  });

  it("sends nothing when the continuation only repeats the end", () => {
    expect(stitch("the end of it", ["of", " it"])).toBe("");
  });

  it("keeps multi-byte characters intact around the cut", () => {
    expect(stitch("Pomodoro — 集中 🍅", ["集中 🍅", " — café ☕"])).toBe(" — café ☕");
  });

  it("holds back only while the start could still be a repetition", () => {
    const trimmer = new OverlapTrimmer("return (\n");
    expect(trimmer.push("ret")).toBe("");
    expect(trimmer.push("urn (\n  <div>")).toBe("  <div>");
    expect(trimmer.push("</div>")).toBe("</div>");
    expect(trimmer.end()).toBe("");
  });

  it("lets a start that cannot be a repetition through at once", () => {
    const trimmer = new OverlapTrimmer("return (\n");
    expect(trimmer.push("  <div>")).toBe("  <div>");
  });

  it("stops holding back at the bound", () => {
    const prefix = "ab".repeat(50);
    const trimmer = new OverlapTrimmer(prefix, 10);
    expect(trimmer.push("ab".repeat(4))).toBe("");
    expect(trimmer.push("abX")).toBe("X");
  });
});
