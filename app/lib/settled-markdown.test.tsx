import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown } from "../components/markdown";
import { HOLD_LIMIT, settledMarkdown } from "./settled-markdown";

describe("settledMarkdown holds back what is still being written", () => {
  it.each([
    ["Press **Sta", "Press "],
    ["Press **", "Press "],
    ["Press *", "Press "],
    ["Press **Start*", "Press "],
    ["Press __Sta", "Press "],
    ["Press *Start", "Press "],
    ["run `npm", "run "],
    ["run `", "run "],
    ["run ``a`b", "run "],
    ["`a` and `b", "`a` and "],
    ["see [the docs](https://rea", "see "],
    ["see [the docs]", "see "],
    ["see [the do", "see "],
    ["look: ![chart](http", "look: "],
    ["a ~~gone", "a "],
    ["a ~", "a "],
    ["a \\", "a "],
    ["- item **bo", "- item "],
    ["**bold\ncontin", ""],
    ["Steps:\n1.", "Steps:\n"],
    ["Title\n-", "Title\n"],
    ["Title\n---", "Title\n"],
    ["Title\n==", "Title\n"],
    ["Intro\n#", "Intro\n"],
    ["Intro\n##", "Intro\n"],
    ["Intro\n```", "Intro\n"],
    ["Intro\n> ", "Intro\n"],
    ["Steps:\n1", "Steps:\n"],
  ])("%j shows as %j", (text, shown) => {
    expect(settledMarkdown(text)).toBe(shown);
  });

  it.each([
    "Press **Start** to begin",
    "Press **Start**",
    "run `npm test`",
    "`**` is bold",
    "see [the docs](https://react.dev/learn) now",
    "see [the docs](https://en.wikipedia.org/wiki/Tomato_(disambiguation))",
    "2 * 3 = 6",
    "snake_case_name and more_words",
    "~25 minutes, then ~5",
    "a ~~gone~~ b",
    "\\*not emphasis",
    "**bold\ncontinued**",
    "- [ ] a task",
    "- item\n- another",
    "# Heading **x\nmore text",
    "old **unclosed\n\nnew paragraph",
    "para **x\n\n",
    "Title\n---\n",
    "1. first\n2. second",
    "",
  ])("%j is shown whole", (text) => {
    expect(settledMarkdown(text)).toBe(text);
  });

  it("an opener never closed does not hide more than HOLD_LIMIT characters", () => {
    const tail = "x".repeat(HOLD_LIMIT + 50);
    expect(settledMarkdown(`2*3 ${tail}`)).toBe(`2*3 ${tail}`);
    expect(settledMarkdown(`the \` key ${tail} then **Sta`)).toBe(`the \` key ${tail} then `);
    expect(settledMarkdown(`[a ${tail} then **Sta`)).toBe(`[a ${tail} then `);
  });

  it("only the last block is looked at: an unclosed ** in an earlier paragraph is plain text by now", () => {
    expect(settledMarkdown("a **b\n\nPress **Sta")).toBe("a **b\n\nPress ");
  });

  it("runs in linear time on long adversarial text (one paragraph of 200 000 characters)", () => {
    const inputs = [
      "*a ".repeat(70_000),
      "`".repeat(1) + " `` ``` ````".repeat(20_000),
      "[](".repeat(70_000),
      "[a](b) ".repeat(30_000) + "[x](y",
      "_a_ **b** ~~c~~ `d` ".repeat(10_000),
      "a".repeat(200_000) + "**",
    ];
    for (const text of inputs) {
      const started = performance.now();
      settledMarkdown(text);
      expect(performance.now() - started).toBeLessThan(250);
    }
  });
});

/** What a person sees of the rendered Markdown: its text, without tags. */
function visibleText(markdown: string): string {
  return renderToStaticMarkup(<Markdown text={markdown} />)
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

const ANSWER = `Here's a pomodoro timer — a **25-minute** focus session with _start_, pause and reset 🍅:

- **Start** begins the countdown
- \`Reset\` puts it back to \`25:00\`
- see [Tailwind's docs](https://tailwindcss.com/docs) for the ~~light~~ dark theme

## Next steps

1. Press **Start** to begin; at \`00:00\` the timer stops on its own, so you know it's time for that café break.`;

describe("streamed prefix by prefix, the answer never flickers", () => {
  it("no prefix shows a Markdown marker that the finished answer does not, and what is shown only grows", () => {
    const final = visibleText(ANSWER);
    expect(final).not.toMatch(/[*_`[\]~#]/);
    for (let length = 0; length <= ANSWER.length; length++) {
      const prefix = ANSWER.slice(0, length);
      const shown = settledMarkdown(prefix);
      expect(prefix.startsWith(shown)).toBe(true);
      const visible = visibleText(shown);
      expect(visible, `prefix ${JSON.stringify(prefix.slice(-20))}`).not.toMatch(/[*_`[\]~#]/);
      expect(
        final.startsWith(visible),
        `prefix ${JSON.stringify(prefix.slice(-20))} shows ${JSON.stringify(visible.slice(-20))}`,
      ).toBe(true);
    }
  });

  it("without holding back, the same stream would show asterisks (the check above has teeth)", () => {
    expect(visibleText("Press **Sta")).toContain("**");
    expect(visibleText("Title\n-")).toBe("Title");
  });
});
