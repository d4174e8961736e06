import { afterEach, describe, expect, it, vi } from "vitest";
import { expectedCode } from "../../bench/browser";
import { fakeReply, financeDashboard } from "../../tests/support/fake-reply";
import { codeBlocks, LINES_PER_BLOCK } from "./code-blocks";
import { commonPrefixLength, TsxHighlighter, type HighlightedBlock } from "./tsx-highlight";

/** Every change parsed at once, whole, and every block coloured in one call. */
const eager = { sliceMs: Infinity, intervalMs: 0, blocksPerCall: Infinity };

/** What a finished parse of the whole text shows. */
function highlightAll(code: string): HighlightedBlock[] {
  const highlighter = new TsxHighlighter(eager);
  highlighter.setCode(code);
  return highlighter.blocks(codeBlocks(code));
}

/** The text a block renders (spans and the plain text between them), checking the spans' order. */
function rendered(block: HighlightedBlock): string {
  let at = 0;
  let text = "";
  expect(block.coloured).toBeLessThanOrEqual(block.text.length);
  for (const [from, to, className] of block.spans ?? []) {
    expect(to).toBeLessThanOrEqual(block.coloured);
    expect(from).toBeGreaterThanOrEqual(at);
    expect(to).toBeGreaterThan(from);
    expect(className).toMatch(/^hl-/);
    text += block.text.slice(at, from) + block.text.slice(from, to);
    at = to;
  }
  expect(at).toBeLessThanOrEqual(block.text.length);
  return text + block.text.slice(at);
}

/** The class of the span over `offset` in the block, or "" when the character there is plain. */
function classAt(block: HighlightedBlock, offset: number): string {
  return block.spans?.find(([from, to]) => from <= offset && offset < to)?.[2] ?? "";
}

const lines = (count: number, from: number) =>
  Array.from({ length: count }, (_, index) => `const v${from + index} = ${from + index};\n`).join("");

/** A block comment across the edge of blocks 1 and 2, a template literal across blocks 2 and 3. */
const acrossEdges =
  lines(LINES_PER_BLOCK - 2, 1) +
  "/* a comment that\n" +
  "   goes on across\n" + // line 40, the last of block 1
  "   the block's edge */\n" +
  "export const after = 1;\n" +
  lines(LINES_PER_BLOCK - 4, 43) +
  "const note = `a template\n" +
  "that crosses\n" + // line 80, the last of block 2
  "the next ${after} edge`;\n" +
  'export default function App() {\n  return <div className="p-4">{note}</div>;\n}\n';

/** Seeded, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const fixtures: [string, string][] = [
  ["the pomodoro app", expectedCode(fakeReply("default"))],
  ["the finance dashboard", financeDashboard({ colour: "indigo", label: "New transaction" })],
  ["a long generated table", expectedCode(fakeReply("long:3000"))],
  ["a comment and a template across block edges", acrossEdges],
];

afterEach(() => {
  vi.useRealTimers();
});

describe("codeBlocks", () => {
  it("cuts the code into blocks of 40 lines that join to the same text", () => {
    const code = financeDashboard({ colour: "indigo", label: "New" });
    const blocks = codeBlocks(code);
    expect(blocks.join("")).toBe(code);
    expect(blocks.slice(0, -1).every((block) => block.split("\n").length === LINES_PER_BLOCK + 1 && block.endsWith("\n"))).toBe(
      true,
    );
  });
});

describe("highlighting block by block", () => {
  it.each(fixtures)("%s keeps every block's text byte for byte", (_, code) => {
    const blocks = highlightAll(code);
    expect(blocks.map((block) => block.text).join("")).toBe(code);
    expect(blocks.map(rendered).join("")).toBe(code);
    expect(blocks.every((block) => block.spans !== null && block.coloured === block.text.length)).toBe(true);
  });

  it("keeps CRLF line ends, tabs, emoji and text that does not parse", () => {
    const code = 'const a = "🍅 café";\r\n\tlet b = `集中\r\n` + ;;; )( <div>\r\n' + "x\r\n".repeat(60) + "/* open";
    const blocks = highlightAll(code);
    expect(blocks.map(rendered).join("")).toBe(code);
    expect(classAt(blocks[0], code.indexOf('"🍅'))).toBe("hl-string");
  });

  it("colours a comment and a template literal on both sides of the block edges they cross", () => {
    const blocks = highlightAll(acrossEdges);
    expect(blocks).toHaveLength(3);
    expect(blocks[0].text.endsWith("   goes on across\n")).toBe(true);
    expect(classAt(blocks[0], blocks[0].text.indexOf("goes on"))).toBe("hl-comment");
    // Block 2 opens inside the comment, then code resumes after `*/`.
    expect(blocks[1].text.startsWith("   the block's edge */\n")).toBe(true);
    expect(classAt(blocks[1], 3)).toBe("hl-comment");
    expect(classAt(blocks[1], blocks[1].text.indexOf("*/"))).toBe("hl-comment");
    expect(classAt(blocks[1], blocks[1].text.indexOf("export"))).toBe("hl-keyword");
    expect(classAt(blocks[1], blocks[1].text.indexOf("after"))).toBe("");
    // Block 3 opens inside the template literal; the interpolation in it is code, and so is what follows.
    expect(blocks[2].text.startsWith("the next ${after} edge`;\n")).toBe(true);
    expect(classAt(blocks[2], 0)).toBe("hl-string");
    expect(classAt(blocks[2], blocks[2].text.indexOf("after"))).toBe("");
    expect(classAt(blocks[2], blocks[2].text.indexOf(" edge`"))).toBe("hl-string");
    expect(classAt(blocks[2], blocks[2].text.indexOf("function"))).toBe("hl-keyword");
    expect(classAt(blocks[2], blocks[2].text.indexOf("App"))).toBe("hl-function");
    expect(classAt(blocks[2], blocks[2].text.indexOf("div"))).toBe("hl-tag");
    expect(classAt(blocks[2], blocks[2].text.indexOf("className"))).toBe("hl-attribute");
    expect(classAt(blocks[2], blocks[2].text.indexOf('"p-4"'))).toBe("hl-string");

    // Tokenized alone, the second block would start as code: what the whole-file tree avoids.
    const alone = highlightAll(blocks[1].text)[0];
    expect(classAt(alone, 3)).not.toBe("hl-comment");
  });

  it("gives the pomodoro app several token colours", () => {
    const classes = new Set(
      highlightAll(expectedCode(fakeReply("default"))).flatMap((block) => block.spans!.map((span) => span[2])),
    );
    expect(classes.size).toBeGreaterThanOrEqual(6);
  });

  it.each(fixtures)("%s, streamed in pieces, ends coloured exactly as when parsed whole", (_, code) => {
    const next = random(code.length);
    const highlighter = new TsxHighlighter(eager);
    let blocks: HighlightedBlock[] = [];
    for (let end = 0; end < code.length;) {
      end = Math.min(code.length, end + 1 + Math.floor(next() * 120));
      highlighter.setCode(code.slice(0, end));
      blocks = highlighter.blocks(codeBlocks(code.slice(0, end)));
    }
    expect(blocks).toEqual(highlightAll(code));
  });

  it("highlights a block once it is complete, and only the block being written after that", () => {
    const code = expectedCode(fakeReply("long:3000"));
    const highlighter = new TsxHighlighter(eager);
    const complete: HighlightedBlock[] = [];
    let updates = 0;
    for (let end = 50; end < code.length + 50; end += 50) {
      const text = code.slice(0, end);
      highlighter.setCode(text);
      const blocks = highlighter.blocks(codeBlocks(text));
      for (let index = 0; index < blocks.length - 1; index++) {
        if (complete[index]) expect(blocks[index]).toBe(complete[index]);
        else complete[index] = blocks[index];
      }
      updates++;
    }
    expect(updates).toBeGreaterThan(200);
    expect(complete.length).toBeGreaterThanOrEqual(3);
  });

  it("a change early in the file colours the blocks after it again", () => {
    const highlighter = new TsxHighlighter(eager);
    const code = acrossEdges.replace("/* a comment that", "// a comment that");
    highlighter.setCode(acrossEdges);
    const before = highlighter.blocks(codeBlocks(acrossEdges));
    highlighter.setCode(code);
    const after = highlighter.blocks(codeBlocks(code));
    expect(after[2]).not.toBe(before[2]);
    expect(classAt(after[1], 3)).toBe("");
    expect(after).toEqual(highlightAll(code));
  });

  it("while text keeps coming, a parse starts at most every 100 ms; what came in between shows plain, then coloured", () => {
    vi.useFakeTimers();
    const code = expectedCode(fakeReply("default"));
    const onProgress = vi.fn();
    const highlighter = new TsxHighlighter({ onProgress, now: () => Date.now() });
    const show = (end: number) => {
      highlighter.setCode(code.slice(0, end));
      return highlighter.blocks(codeBlocks(code.slice(0, end)));
    };
    const first = show(300);
    expect(first[0].coloured).toBe(300);
    vi.advanceTimersByTime(20);
    const second = show(400);
    // Not parsed again yet: the same spans, the new 100 characters plain after them.
    expect(second[0].spans).toBe(first[0].spans);
    expect(second[0].coloured).toBe(300);
    expect(rendered(second[0])).toBe(code.slice(0, 400));
    vi.advanceTimersByTime(20);
    show(500);
    expect(onProgress).not.toHaveBeenCalled();

    // 100 ms after the last parse began, the text there is then gets parsed, without another change.
    vi.advanceTimersByTime(60);
    expect(onProgress).toHaveBeenCalledTimes(1);
    const third = highlighter.blocks(codeBlocks(code.slice(0, 500)));
    expect(third[0].coloured).toBe(500);
    expect(third).toEqual(highlightAll(code.slice(0, 500)));
    vi.runAllTimers();
    expect(onProgress).toHaveBeenCalledTimes(1);

    // Other text (another version) is coloured at once, whenever the last parse was.
    show(520);
    highlighter.setCode(acrossEdges);
    expect(highlighter.blocks(codeBlocks(acrossEdges))).toEqual(highlightAll(acrossEdges));
  });

  it("a parse too long for one slice goes on in later tasks, the code plain until then", () => {
    vi.useFakeTimers();
    const code = financeDashboard({ colour: "indigo", label: "New" });
    const onProgress = vi.fn();
    const highlighter = new TsxHighlighter({ sliceMs: 0, onProgress });
    highlighter.setCode(code);
    const plain = highlighter.blocks(codeBlocks(code));
    expect(plain.map((block) => block.spans)).toEqual(plain.map(() => null));
    expect(plain.map((block) => block.text).join("")).toBe(code);

    let blocks = plain;
    for (let round = 0; round < 100_000 && blocks.some((block) => block.spans === null); round++) {
      onProgress.mockClear();
      vi.runOnlyPendingTimers();
      if (onProgress.mock.calls.length > 0) blocks = highlighter.blocks(codeBlocks(code));
    }
    // A few blocks per render at most, so that colouring a whole file at once is no long task.
    expect(blocks).toEqual(highlightAll(code));
  });

  it("text that keeps arriving during a long parse does not start it over: it finishes, and right", () => {
    vi.useFakeTimers();
    const code = expectedCode(fakeReply("long:20000"));
    const onProgress = vi.fn();
    // A clock that ticks once per look (every 32 steps of the parser): a slice of 60 is about 2 000 steps,
    // whatever the machine (a whole parse of the first 40 000 characters takes about 19 000).
    let clock = 0;
    const now = () => clock++;
    const highlighter = new TsxHighlighter({ sliceMs: 60, intervalMs: 0, onProgress, blocksPerCall: Infinity, now });
    let end = 40_000;
    highlighter.setCode(code.slice(0, end));
    let slices = 0;
    while (onProgress.mock.calls.length === 0 && end < code.length) {
      // New text after every slice: a parse started over each time would never catch up.
      highlighter.setCode(code.slice(0, (end += 40)));
      vi.runOnlyPendingTimers();
      slices++;
    }
    expect(onProgress).toHaveBeenCalled();
    expect(end).toBeLessThan(code.length);
    expect(slices).toBeGreaterThan(5);
    expect(highlighter.blocks(codeBlocks(code.slice(0, end)))).toEqual(highlightAll(code.slice(0, end)));
  });

  it("dispose stops the work left for later", () => {
    vi.useFakeTimers();
    const onProgress = vi.fn();
    const highlighter = new TsxHighlighter({ sliceMs: 0, onProgress });
    highlighter.setCode(financeDashboard({ colour: "indigo", label: "New" }));
    highlighter.dispose();
    vi.runAllTimers();
    expect(onProgress).not.toHaveBeenCalled();
  });
});

describe("commonPrefixLength", () => {
  it.each([
    ["", "abc", 0],
    ["abc", "abcdef", 3],
    ["abcdef", "abc", 3],
    ["abXdef", "abYdef", 2],
    ["same", "same", 4],
  ])("%j and %j share %i", (a, b, length) => {
    expect(commonPrefixLength(a, b)).toBe(length);
  });
});
