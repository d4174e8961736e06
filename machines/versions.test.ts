import { describe, expect, it } from "vitest";
import { fakeReply } from "../tests/support/fake-reply";
import { extractReply } from "./code-fence";
import type { ChatMessage } from "./conversation";
import {
  baseCodeFor,
  fixErrorPrompt,
  followUpOnVersion,
  isFixPrompt,
  typedPrompt,
  versionNumberOf,
  versionOf,
  versionsOf,
} from "./versions";

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

describe("versionsOf with edit-block answers (follow-ups answered with SEARCH/REPLACE blocks)", () => {
  const pomodoro = extractReply(fakeReply("default")).code;
  const biggerButtons = extractReply(fakeReply("follow-up")).code;
  const editBlock = (search: string, replace: string) => `<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE`;
  const title = '      <h1 className="text-3xl font-semibold">🍅 Pomodoro — 集中</h1>';
  const biggerTitle = '      <h1 className="text-5xl font-bold">🍅 Pomodoro — 集中</h1>';
  /** A change both versions have the lines for, so only the result tells which one it was applied to. */
  const titleEdit = fenced(editBlock(title, biggerTitle));

  it("makes an edit answer a version: the complete file its blocks make from the version before", () => {
    const messages = [user("a pomodoro timer"), answer(fakeReply("default")), user("bigger buttons"), answer(fakeReply("edit"))];
    expect(versionsOf(messages)).toEqual([
      { code: pomodoro, messageIndex: 1, fromFix: false },
      { code: biggerButtons, messageIndex: 3, fromFix: false },
    ]);
  });

  it("applies each edit answer to the version just before it, so edits chain", () => {
    const messages = [
      user("a pomodoro timer"),
      answer(fakeReply("default")),
      user("bigger buttons"),
      answer(fakeReply("edit")),
      user("a bigger title, and a label on the start button"),
      // The second block searches lines only version 2 has (its padding and icon size).
      answer(
        fenced(
          [
            editBlock(title, biggerTitle),
            editBlock(
              "          {running ? <Pause size={28} /> : <Play size={28} />}",
              '          {running ? <Pause size={28} aria-label="Pause" /> : <Play size={28} aria-label="Start" />}',
            ),
          ].join("\n\n"),
        ),
      ),
    ];
    const versions = versionsOf(messages);
    expect(versions.map((v) => v.messageIndex)).toEqual([1, 3, 5]);
    expect(versions[2].code).toBe(
      biggerButtons
        .replace(title, biggerTitle)
        .replace("<Pause size={28} />", '<Pause size={28} aria-label="Pause" />')
        .replace("<Play size={28} />", '<Play size={28} aria-label="Start" />'),
    );
    expect(versions[2].code).not.toBe(biggerButtons);
  });

  it("never makes a version of edit blocks that do not apply, and the next version takes the next number", () => {
    const messages = [
      user("a pomodoro timer"),
      answer(fakeReply("default")),
      user("bigger buttons"),
      answer(fakeReply("bad-edit")),
      user("bigger buttons, the whole file please"),
      answer(fakeReply("follow-up")),
      user("a bigger title"),
      answer(titleEdit),
    ];
    const versions = versionsOf(messages);
    expect(versions.map((v) => v.messageIndex)).toEqual([1, 5, 7]);
    expect(versionNumberOf(versions, 3)).toBeUndefined();
    expect(versionNumberOf(versions, 5)).toBe(2);
    expect(versionNumberOf(versions, 7)).toBe(3);
    // The failed answer changed nothing: the edit after it applies to the whole file before it.
    expect(versions[2].code).toBe(biggerButtons.replace(title, biggerTitle));
  });

  it("never makes a version of edit blocks with no version before them, nor of ones still streaming", () => {
    expect(versionsOf([user("a pomodoro timer"), answer(fakeReply("edit"))])).toEqual([]);
    const edit = fakeReply("edit");
    const streaming = [
      user("a timer"),
      answer(fakeReply("default")),
      user("bigger"),
      answer(edit.slice(0, edit.lastIndexOf("```"))),
    ];
    expect(versionsOf(streaming)).toHaveLength(1);
  });

  it("applies a follow-up on an older version (Start from version N) to that version's code, not the latest", () => {
    const messages = [
      user("a pomodoro timer"),
      answer(fakeReply("default")),
      user("bigger buttons"),
      answer(fakeReply("follow-up")),
      user(followUpOnVersion("a bigger title", 1, pomodoro)),
      answer(titleEdit),
    ];
    const versions = versionsOf(messages);
    expect(versions.map((v) => v.messageIndex)).toEqual([1, 3, 5]);
    expect(versions[2].code).toBe(pomodoro.replace(title, biggerTitle));
    expect(versions[2].code).toContain("px-4 py-2");
    expect(versions[2].code).not.toContain("px-8 py-4");
  });

  it("applies edits that only the older version's lines fit, when the follow-up started from that version", () => {
    const onLatest = [
      user("a pomodoro timer"),
      answer(fakeReply("default")),
      user("bigger buttons"),
      answer(fakeReply("follow-up")),
      user("bigger buttons again"),
      answer(fakeReply("edit")),
    ];
    // fake "edit" searches version 1's small buttons: on the latest (already bigger) it finds nothing.
    expect(versionsOf(onLatest)).toHaveLength(2);
    const onOlder = [
      ...onLatest.slice(0, 4),
      user(followUpOnVersion("bigger buttons again", 1, pomodoro)),
      answer(fakeReply("edit")),
    ];
    expect(versionsOf(onOlder).map((v) => v.code)).toEqual([pomodoro, biggerButtons, biggerButtons]);
  });

  it("marks an edit answer to a fix request as a fix", () => {
    const messages = [user("a pomodoro timer"), answer(fakeReply("default")), user(fixErrorPrompt("boom")), answer(titleEdit)];
    expect(versionsOf(messages).at(-1)).toEqual({ code: pomodoro.replace(title, biggerTitle), messageIndex: 3, fromFix: true });
  });

  it("versionOf applies the blocks to the versions it is given", () => {
    const v1 = { code: pomodoro, messageIndex: 1, fromFix: false };
    expect(versionOf(answer(fakeReply("edit")), 3, user("bigger"), [v1])).toEqual({
      code: biggerButtons,
      messageIndex: 3,
      fromFix: false,
    });
    expect(versionOf(answer(fakeReply("edit")), 3, user("bigger"), [])).toBeUndefined();
  });
});

describe("baseCodeFor (the code a follow-up's edit blocks apply to)", () => {
  const versions = [
    { code: v1, messageIndex: 1, fromFix: false },
    { code: v2, messageIndex: 3, fromFix: false },
  ];

  it("is the latest version for a plain follow-up, and nothing before the first version", () => {
    expect(baseCodeFor(versions, "make it red")).toBe(v2);
    expect(baseCodeFor(versions, undefined)).toBe(v2);
    expect(baseCodeFor([], "a timer")).toBeUndefined();
  });

  it("is the version a Start from version N prompt wraps", () => {
    expect(baseCodeFor(versions, followUpOnVersion("make it red", 1, v1))).toBe(v1);
    expect(baseCodeFor(versions, followUpOnVersion(fixErrorPrompt("boom"), 1, v1))).toBe(v1);
  });
});
