import { describe, expect, it } from "vitest";
import type { ChatMessage } from "./conversation";
import { fixErrorPrompt, followUpOnVersion, isFixPrompt, typedPrompt, versionOf, versionsOf } from "./versions";

const user = (content: string): ChatMessage => ({ role: "user", content, state: "complete" });
const answer = (content: string, state: ChatMessage["state"] = "complete"): ChatMessage => ({
  role: "assistant",
  content,
  state,
});
const fenced = (code: string) => `Here is your app.\n\n\`\`\`tsx\n${code}\n\`\`\`\n\nEnjoy!`;

const v1 = "export default function App() {\n  return <h1>Timer</h1>;\n}";
const v2 = 'export default function App() {\n  return <h1 style={{ color: "blue" }}>Timer</h1>;\n}';
const v3 = "export default function App() {\n  return <h1>Red timer</h1>;\n}";

describe("versionsOf (the numbered versions of the app)", () => {
  it("makes one version per complete answer with a closed code block, numbered in conversation order", () => {
    const messages = [
      user("a timer"),
      answer(fenced(v1)),
      user("make it blue"),
      answer(fenced(v2)),
      user("make it red"),
      answer(fenced(v3)),
    ];
    expect(versionsOf(messages)).toEqual([
      { code: v1, messageIndex: 1, fromFix: false },
      { code: v2, messageIndex: 3, fromFix: false },
      { code: v3, messageIndex: 5, fromFix: false },
    ]);
  });

  it("never counts a stopped or failed answer, even one whose code block closed", () => {
    const messages = [
      user("a timer"),
      answer(fenced(v1), "stopped"),
      user("again"),
      answer(fenced(v2), "failed"),
      user("again"),
      answer(fenced(v3)),
    ];
    expect(versionsOf(messages)).toEqual([{ code: v3, messageIndex: 5, fromFix: false }]);
  });

  it("never counts a user message, even one that quotes code in a closed block (a follow-up on an older version)", () => {
    const messages = [user(fenced(v1)), user(followUpOnVersion("make it red", 1, v1))];
    expect(versionsOf(messages)).toEqual([]);
    expect(versionOf(user(fenced(v1)), 0, undefined, [])).toBeUndefined();
  });

  it("skips answers without code, with a code block still open, or with an empty block, so numbering has no gaps", () => {
    const messages = [
      user("what can you build?"),
      answer("Small React apps."),
      user("a timer"),
      answer("Here:\n\n```tsx\nexport default function App() {"),
      user("again"),
      answer("Here:\n\n```tsx\n   \n```\n"),
      user("again"),
      answer(fenced(v1)),
      user("make it blue"),
      answer(fenced(v2)),
    ];
    const versions = versionsOf(messages);
    expect(versions).toEqual([
      { code: v1, messageIndex: 7, fromFix: false },
      { code: v2, messageIndex: 9, fromFix: false },
    ]);
  });

  it("is empty for an empty conversation", () => {
    expect(versionsOf([])).toEqual([]);
  });

  it("versionOf agrees with versionsOf for a single answer and keeps the index it is given", () => {
    expect(versionOf(answer(fenced(v2)), 7, undefined, [])).toEqual({ code: v2, messageIndex: 7, fromFix: false });
    expect(versionOf(answer(fenced(v2), "stopped"), 7, undefined, [])).toBeUndefined();
  });
});

describe("followUpOnVersion (a change asked while an older version is on screen)", () => {
  const prompt = "make the buttons bigger";
  const text = followUpOnVersion(prompt, 2, v2);

  it("names the version the user is looking at", () => {
    expect(text).toContain("version 2");
    expect(followUpOnVersion(prompt, 7, v2)).toContain("version 7");
  });

  it("gives the model that version's code in a tsx code block", () => {
    expect(text).toContain("```tsx\n" + v2 + "\n```");
  });

  it("ends with the user's prompt, after the code", () => {
    expect(text.endsWith(prompt)).toBe(true);
    expect(text.indexOf(v2)).toBeLessThan(text.lastIndexOf(prompt));
  });
});

describe("fixErrorPrompt (the preview's Fix button)", () => {
  it("quotes the error, trimmed, in a code block and asks for a fix that changes only what it needs (edit blocks welcome)", () => {
    const error = "  ReferenceError: useState is not defined\n    at App (App.tsx:3:5)\n";
    const text = fixErrorPrompt(error);
    expect(text).toContain("```\nReferenceError: useState is not defined\n    at App (App.tsx:3:5)\n```");
    expect(text).toMatch(/Fix it, changing only what the fix needs\.$/);
  });
});

describe("typedPrompt", () => {
  it("gives back what the user typed from a follow-up on an older version, and plain prompts unchanged", () => {
    expect(typedPrompt(followUpOnVersion("make it red", 1, "export default function App() {}"))).toBe("make it red");
    expect(typedPrompt("make it red")).toBe("make it red");
  });
});

describe("fix versions (the preview's automatic fix is never chained)", () => {
  it("marks the answer to a fix request as a fix, also after a reload rebuilds the versions from the saved text", () => {
    const messages = [
      user("a timer"),
      answer(fenced(v1)),
      user(fixErrorPrompt("Runtime error at line 2: boom")),
      answer(fenced(v2)),
    ];
    expect(versionsOf(messages).map((v) => v.fromFix)).toEqual([false, true]);
  });

  it("recognises a fix asked on an older version (the prompt wrapped with that version's code)", () => {
    expect(isFixPrompt(followUpOnVersion(fixErrorPrompt("boom"), 1, v1))).toBe(true);
    expect(isFixPrompt("make the app fail less")).toBe(false);
  });
});
