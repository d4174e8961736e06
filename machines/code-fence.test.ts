import { describe, expect, it } from "vitest";
import { extractReply, type ExtractedReply, type FenceState } from "./code-fence";

const counterApp = [
  'import { useState } from "react";',
  "",
  "export default function App() {",
  "  const [count, setCount] = useState(0);",
  "  return (",
  '    <div className="p-4">',
  "      <p>Count: {count}</p>",
  "      <button onClick={() => setCount(count + 1)}>+1</button>",
  "    </div>",
  "  );",
  "}",
].join("\n");

const counterReply = [
  "Here's a counter with a single button.",
  "",
  "```tsx",
  counterApp,
  "```",
  "",
  "Click the button to count up.",
].join("\n");

const likeButtonCode = [
  'import { Heart } from "lucide-react";',
  'import { useState } from "react";',
  "",
  "export default function App() {",
  "  const [liked, setLiked] = useState(false);",
  "  return (",
  '    <button onClick={() => setLiked(!liked)} aria-label="like">',
  '      <Heart fill={liked ? "red" : "none"} />',
  "    </button>",
  "  );",
  "}",
].join("\n");

const installFirstReply = [
  "First install the icon package:",
  "",
  "```bash",
  "npm install lucide-react",
  "```",
  "",
  "Then replace `App.tsx` with:",
  "",
  "```typescript",
  likeButtonCode,
  "```",
  "",
  "The `Heart` icon fills in when you like it.",
].join("\r\n");

const templateLiteralCode = [
  "export default function App() {",
  '  const name = "Kiln";',
  "  const greeting = `Hello, ${name}!`;",
  '  const hint = "wrap code in ``` fences";',
  "  const css = `",
  "    .title { color: teal; }",
  "  `;",
  "  return (",
  "    <>",
  "      <style>{css}</style>",
  '      <h1 className="title">{greeting}</h1>',
  "      <p>{hint}</p>",
  "    </>",
  "  );",
  "}",
].join("\n");

const templateLiteralReply = ["Sure!", "~~~jsx", templateLiteralCode, "~~~", "It uses template literals."].join("\n");

// GLM glues the opener onto the end of its plan line and names the file in braces.
const gluedReply = [
  "I'll keep the count in state and style it with Tailwind.```tsx{path=src/App.tsx}",
  counterApp,
  "```",
  "Click the button to count up.",
].join("\n");

// ...or puts the file name on the line after a bare opener.
const pathLineReply = ["Here's the counter:", "```tsx", "{path=src/App.tsx}", counterApp, "```"].join("\n");

const reasoningReply = [
  "<think>",
  "The user wants a counter. Their old version was:",
  "```tsx",
  "export default function Old() { return null; }",
  "```",
  "I'll add a button.",
  "</think>",
  "",
  counterReply,
].join("\n");

const badgeComponent = [
  "function Badge({ label }: { label: string }) {",
  '  return <span className="rounded bg-teal-100 px-2">{label}</span>;',
  "}",
].join("\n");

// No block has `export default`: the component is the app, not the shorter usage example after it.
const componentThenUsageReply = [
  "Here's a badge:",
  "```tsx",
  badgeComponent,
  "```",
  "Use it like this:",
  "```tsx",
  '<Badge label="new" />',
  "```",
  "That's all.",
].join("\n");

describe("extractReply", () => {
  it("splits a tsx block from the explanation before and after it", () => {
    expect(extractReply(counterReply)).toEqual({
      before: "Here's a counter with a single button.",
      code: counterApp,
      language: "tsx",
      fence: "closed",
      after: "Click the button to count up.",
    });
  });

  it.each([
    ["```typescript", "typescript"],
    ["```jsx", "jsx"],
    ["```TSX", "tsx"],
    ['``` tsx title="App.tsx"', "tsx"],
    ["```tsx:src/App.tsx", "tsx"],
    ["```react", "react"],
    ["```", ""],
  ])("reads the language of the opener %s", (opener, language) => {
    const reply = `Here you go:\n\n${opener}\n${counterApp}\n\`\`\`\n`;
    expect(extractReply(reply)).toMatchObject({ language, code: counterApp, fence: "closed" });
  });

  it("skips an install command block that comes before the code", () => {
    expect(extractReply(installFirstReply)).toEqual({
      before: "First install the icon package:\n\n```bash\nnpm install lucide-react\n```\n\nThen replace `App.tsx` with:",
      code: likeButtonCode,
      language: "typescript",
      fence: "closed",
      after: "The `Heart` icon fills in when you like it.",
    });
  });

  it("never offers an install command as the app, even while the real code has not started", () => {
    const reply = "Install it:\n\n```bash\nnpm install lucide-react\n```\n\nNow the component";
    expect(extractReply(reply)).toMatchObject({ fence: "none", code: "", before: reply });
  });

  it("prefers the block with export default over an earlier helper block", () => {
    const helper = "function useToggle(initial: boolean) {\n  return useState(initial);\n}";
    const reply = ["A hook first:", "```ts", helper, "```", "And the app:", "```tsx", counterApp, "```", "Done."].join("\n");
    expect(extractReply(reply)).toEqual({
      before: ["A hook first:", "```ts", helper, "```", "And the app:"].join("\n"),
      code: counterApp,
      language: "tsx",
      fence: "closed",
      after: "Done.",
    });
  });

  it("takes the JSX-bearing script block when none has export default", () => {
    const reply = "```css\n.a {}\n```\n```jsx\nconst A = () => <p />;\n```\n```tsx\nconst B = 1;\n```";
    expect(extractReply(reply)).toMatchObject({ code: "const A = () => <p />;", language: "jsx" });
  });

  it("takes the component, not a shorter usage example or a loop, when none has export default", () => {
    expect(extractReply(componentThenUsageReply)).toMatchObject({ code: badgeComponent, fence: "closed" });
    const loopFirst = [
      "A loop:",
      "```jsx",
      "for (let i = 0; i < 3; i++) {}",
      "```",
      "The component:",
      "```jsx",
      badgeComponent,
      "```",
    ];
    expect(extractReply(loopFirst.join("\n"))).toMatchObject({ code: badgeComponent, fence: "closed" });
  });

  it("takes the longest script block when none has export default or JSX", () => {
    const reply = "Demo:\n```jsx\nconsole.log(1)\n```\nReal:\n```jsx\nfunction Foo() {}\nfunction Bar() {}\n```";
    expect(extractReply(reply)).toMatchObject({ code: "function Foo() {}\nfunction Bar() {}" });
  });

  it("keeps showing a finished component while a shorter block streams after it", () => {
    const streaming = ["```tsx", badgeComponent, "```", "Use it like this:", "```tsx", "<Badge"].join("\n");
    expect(extractReply(streaming)).toMatchObject({ code: badgeComponent, fence: "closed" });
  });

  it("follows a block streaming after a closed one once it outranks it", () => {
    const streaming = "```js\nconst items = [];\n```\nNow the app:\n```tsx\nfunction App() {\n  return <ul />;";
    expect(extractReply(streaming)).toMatchObject({ code: "function App() {\n  return <ul />;", fence: "open" });
    const exporting = "```js\nconst items = [1, 2, 3, 4, 5, 6, 7, 8];\n```\n```tsx\nexport default function App";
    expect(extractReply(exporting)).toMatchObject({ code: "export default function App", fence: "open" });
  });

  it("finds an opener glued to the end of a prose line", () => {
    expect(extractReply(gluedReply)).toEqual({
      before: "I'll keep the count in state and style it with Tailwind.",
      code: counterApp,
      language: "tsx",
      fence: "closed",
      after: "Click the button to count up.",
    });
  });

  it("takes code glued after the {path=…} of an opener as the first code line", () => {
    const reply = "Here goes.```tsx{path=src/App.tsx} export const x = 1;\nexport const y = 2;\n```";
    expect(extractReply(reply)).toMatchObject({ before: "Here goes.", code: "export const x = 1;\nexport const y = 2;" });
  });

  it.each([
    ["a fence named in a sentence", "Wrap the code in ```tsx fences.\nThen send it."],
    ["a fence after a space", "Start the block with ```tsx\nand end it with three backticks."],
    ["backticks closing inline code", "Type `a```tsx\nto see."],
  ])("does not take %s for a glued opener", (_, reply) => {
    expect(extractReply(reply)).toMatchObject({ fence: "none", before: reply });
  });

  it("holds back backticks glued to prose while they may still open a block", () => {
    expect(extractReply("Here goes.``")).toMatchObject({ before: "Here goes.", fence: "none" });
    expect(extractReply("Here goes.```tsx{path=src/Ap")).toMatchObject({ before: "Here goes.", fence: "none" });
    expect(extractReply("Here goes.```tsx{path=src/App.tsx}\n")).toMatchObject({ before: "Here goes.", fence: "open", code: "" });
  });

  it("leaves out a {path=…} line after the opener: it names the file, it is not code", () => {
    expect(extractReply(pathLineReply)).toMatchObject({ before: "Here's the counter:", code: counterApp, fence: "closed" });
  });

  it("leaves out the } of an opener's {path=…} that spilled onto the next line", () => {
    const reply = "```tsx{path=src/App.tsx\n}\nexport default function App() {\n  return <p />;\n}\n```";
    expect(extractReply(reply)).toMatchObject({ code: "export default function App() {\n  return <p />;\n}", language: "tsx" });
  });

  it("holds back a first code line that may still be a {path=…} line", () => {
    expect(extractReply("```tsx\n{path=src/Ap")).toMatchObject({ code: "", fence: "open" });
    expect(extractReply("```json\n{")).toMatchObject({ fence: "none" });
    expect(extractReply("```tsx\n{/* a JSX comment */}\n")).toMatchObject({ code: "{/* a JSX comment */}", fence: "open" });
  });

  it("never takes code quoted in the reasoning that opens a reply for the app", () => {
    expect(extractReply(reasoningReply)).toMatchObject({
      code: counterApp,
      fence: "closed",
      after: "Click the button to count up.",
    });
    const thinking = "<thinking>\nLet me check App.tsx:\n```tsx\nexport default function App() {}\n```\nStill looking";
    expect(extractReply(thinking)).toEqual({ before: thinking, code: "", language: "", fence: "none", after: "" });
  });

  it("reads a <think> block later in the reply as ordinary text", () => {
    const reply = "Here:\n<think>\n```tsx\nexport default function App() {}\n```";
    expect(extractReply(reply)).toMatchObject({ code: "export default function App() {}", fence: "closed" });
  });

  it("falls back to the first non-command block when there is no script block", () => {
    const reply = "```sh\nnpm start\n```\n```html\n<p>hi</p>\n```";
    expect(extractReply(reply)).toMatchObject({ code: "<p>hi</p>", language: "html", fence: "closed" });
  });

  it("turns CRLF line endings into LF everywhere", () => {
    const result = extractReply("Intro\r\n\r\n```tsx\r\nconst a = 1;\r\nconst b = 2;\r\n```\r\nOutro\r\n");
    expect(result).toEqual({
      before: "Intro",
      code: "const a = 1;\nconst b = 2;",
      language: "tsx",
      fence: "closed",
      after: "Outro",
    });
  });

  it("accepts a fence indented by up to three spaces and strips that indentation from the code", () => {
    const reply = "1. Paste this:\n\n   ```tsx\n   export default function App() {\n     return <p />;\n   }\n   ```\n2. Save.";
    expect(extractReply(reply)).toMatchObject({
      before: "1. Paste this:",
      code: "export default function App() {\n  return <p />;\n}",
      fence: "closed",
      after: "2. Save.",
    });
  });

  it("does not treat a line indented by four spaces as a fence", () => {
    expect(extractReply("Text\n    ```tsx\n    code\n")).toMatchObject({ fence: "none" });
  });

  it("reads ~~~ fences, which may contain ``` lines", () => {
    const reply = "~~~tsx\nconst md = `\n```\n`;\n~~~\nAfter";
    expect(extractReply(reply)).toMatchObject({ code: "const md = `\n```\n`;", fence: "closed", after: "After" });
  });

  it("needs a closing fence at least as long as the opener", () => {
    const reply = "````tsx\nconst a = 1;\n```\nconst b = 2;\n````";
    expect(extractReply(reply)).toMatchObject({ code: "const a = 1;\n```\nconst b = 2;", fence: "closed" });
  });

  it("leaves a reply without any fence as explanation", () => {
    const reply = "export default function App() {\n  return <p>Hi</p>;\n}\n";
    expect(extractReply(reply)).toEqual({ before: reply.trimEnd(), code: "", language: "", fence: "none", after: "" });
  });

  it("gives the partial code of an unterminated block", () => {
    const reply = "Here:\n\n```tsx\nexport default function App() {\n  return <p>Hel";
    expect(extractReply(reply)).toEqual({
      before: "Here:",
      code: "export default function App() {\n  return <p>Hel",
      language: "tsx",
      fence: "open",
      after: "",
    });
  });

  it("holds back a half-written opener line", () => {
    expect(extractReply("Here it is:\n``")).toMatchObject({ before: "Here it is:", fence: "none" });
    expect(extractReply("Here it is:\n```ts")).toMatchObject({ before: "Here it is:", fence: "none" });
    expect(extractReply("Here it is:\n```ts\n")).toMatchObject({ before: "Here it is:", fence: "open", code: "" });
  });

  it("shows a last line that starts with backticks but cannot be a fence", () => {
    expect(extractReply("Use `useState`")).toMatchObject({ before: "Use `useState`" });
    expect(extractReply("`useState` holds the count")).toMatchObject({ before: "`useState` holds the count" });
    expect(extractReply("```js is inline `code`")).toMatchObject({ before: "```js is inline `code`", fence: "none" });
  });

  it("holds back a half-written closing fence inside an open block", () => {
    expect(extractReply("```tsx\nconst a = 1;\n``")).toMatchObject({ code: "const a = 1;", fence: "open" });
    expect(extractReply("```tsx\nconst a = 1;\n```")).toMatchObject({ code: "const a = 1;", fence: "closed" });
  });

  it("keeps backticks inside code lines as code: only a line that is a fence counts", () => {
    expect(extractReply(templateLiteralReply)).toEqual({
      before: "Sure!",
      code: templateLiteralCode,
      language: "jsx",
      fence: "closed",
      after: "It uses template literals.",
    });
    const backtickReply = '```tsx\nconst s = `${a}```;\nconst fence = "```tsx";\n```';
    expect(extractReply(backtickReply)).toMatchObject({ code: 'const s = `${a}```;\nconst fence = "```tsx";' });
  });

  it("reads text right after the closing fence without a blank line", () => {
    expect(extractReply("```tsx\nconst a = 1;\n```\nLet me know if you want changes.")).toMatchObject({
      code: "const a = 1;",
      fence: "closed",
      after: "Let me know if you want changes.",
    });
  });

  it("accepts an empty code block", () => {
    expect(extractReply("Nothing yet:\n```tsx\n```\nSorry.")).toEqual({
      before: "Nothing yet:",
      code: "",
      language: "tsx",
      fence: "closed",
      after: "Sorry.",
    });
  });

  it("follows an open script block at the end while no earlier block has export default", () => {
    const streaming = "```bash\nnpm i zod\n```\n```tsx\nexport default function App() {";
    expect(extractReply(streaming)).toMatchObject({ code: "export default function App() {", fence: "open", language: "tsx" });
  });

  describe("while streaming, on every prefix", () => {
    const order: Record<FenceState, number> = { none: 0, open: 1, closed: 2 };
    const halfOpener = /(^|\n) {0,3}([`~]{1,2}|(```|~~~)(tsx|typescript|jsx)[^\n]*)$/;

    /** Checks every prefix of `reply` against the final result; `each` adds checks of its own. */
    function streamEveryPrefix(reply: string, each: (result: ExtractedReply, at: string) => void = () => {}) {
      const final = extractReply(reply);
      let previous: FenceState = "none";
      for (let end = 0; end <= reply.length; end++) {
        const result = extractReply(reply.slice(0, end));
        const at = `prefix ${end}: ${JSON.stringify(reply.slice(Math.max(0, end - 20), end))}`;
        expect(order[result.fence], at).toBeGreaterThanOrEqual(order[previous]);
        expect(final.code.startsWith(result.code), at).toBe(true);
        expect(final.before.startsWith(result.before), at).toBe(true);
        expect(final.after.startsWith(result.after), at).toBe(true);
        each(result, at);
        previous = result.fence;
      }
      expect(previous).toBe("closed");
    }

    it.each([
      ["a tsx reply", counterReply, /(^|\n) {0,3}`+$/],
      ["a CRLF reply with an install block", installFirstReply, /(^|\n) {0,3}`+$/],
      ["a ~~~ reply with backticks in the code", templateLiteralReply, /(^|\n) {0,3}~+$/],
      ["a reply with the opener glued to prose", gluedReply, /(^|\n) {0,3}`+$/],
      ["a reply with {path=…} on the line after the opener", pathLineReply, /(^|\n) {0,3}`+$|^\{/],
      ["a component then a usage example", componentThenUsageReply, /(^|\n) {0,3}`+$|<Badge label/],
    ])("%s: fence moves forward, code and text only grow", (_, reply, halfCloser) => {
      streamEveryPrefix(reply, (result, at) => {
        expect(result.before, at).not.toMatch(halfOpener);
        expect(result.code, at).not.toMatch(halfCloser);
      });
    });

    it("a reply that opens with reasoning: no code until the reasoning ends, then only the app's", () => {
      streamEveryPrefix(reasoningReply, (result, at) => {
        if (!result.before.includes("</think>")) expect(result.fence, at).toBe("none");
        expect(result.code, at).not.toContain("Old");
      });
    });
  });
});
