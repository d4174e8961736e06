import { describe, expect, it } from "vitest";
import { extractReply } from "../machines/code-fence";
import { fakeReply } from "../tests/support/fake-reply";
import {
  buildContext,
  estimateTokens,
  IMAGE_TOKENS,
  omittedCodeNote,
  type ContentPart,
  type MessageImage,
  type ModelLimits,
} from "./context-builder";
import type { ChatMessage } from "./chat-request";
import { SYSTEM_PROMPT } from "./system-prompt";

/** A 300-line app (about 40 bytes a line, like a real one) whose lines name the version. */
function app(version: number, lines = 300): string {
  const body = Array.from({ length: lines - 4 }, (_, line) => `      <li className="p-2">Item ${line}, v${version}</li>`);
  return ["export default function App() {", "  return (", ...body, "  );", "}"].join("\n");
}

function answer(version: number): string {
  return `Here is version ${version}: the list now has more items.\n\n\`\`\`tsx\n${app(version)}\n\`\`\`\n\nClick an item to select it.`;
}

/** A chat of `turns` requests, each answered with a whole new version; the last request unanswered. */
function chat(turns: number): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (let turn = 1; turn <= turns; turn++) {
    messages.push({ role: "user", content: `Change ${turn}: add more items to the list and make them bolder.` });
    if (turn < turns) messages.push({ role: "assistant", content: answer(turn) });
  }
  return messages;
}

/** A message's text; these conversations carry no images, so their content is always a string. */
function text(message: { content: string | ContentPart[] }): string {
  if (typeof message.content !== "string") throw new Error("expected a text message");
  return message.content;
}

const SMALL: ModelLimits = { contextWindow: 16_384, maxOutputTokens: 8_192 };

function build(messages: ChatMessage[], limits = SMALL) {
  return buildContext({ systemPrompt: SYSTEM_PROMPT, messages, limits });
}

describe("buildContext", () => {
  it("fits a 20-turn chat of 300-line apps into a 16k context with the whole output limit left", () => {
    const messages = chat(20);
    const before = messages.reduce((sum, message) => sum + estimateTokens(message.content), estimateTokens(SYSTEM_PROMPT));
    expect(before).toBeGreaterThan(16_384 * 3);
    const context = build(messages);
    if (!context.ok) throw new Error(context.message);
    expect(context.maxTokens).toBe(8_192);
    expect(context.promptTokens + context.maxTokens).toBeLessThanOrEqual(16_384);
    const sent = context.messages.reduce((sum, message) => sum + estimateTokens(text(message)), 0);
    expect(sent).toBeLessThanOrEqual(context.promptTokens);
  });

  it("sends the latest version's code whole, and only a note for every older version", () => {
    const context = build(chat(20));
    if (!context.ok) throw new Error(context.message);
    const [system, ...conversation] = context.messages;
    expect(system).toEqual({ role: "system", content: SYSTEM_PROMPT });
    const latest = conversation.at(-2)!;
    expect(extractReply(text(latest)).code).toBe(app(19));
    const older = conversation.slice(0, -2).filter((message) => message.role === "assistant");
    expect(older.length).toBeGreaterThan(0);
    for (const message of older) {
      expect(message.content).not.toContain("export default function App");
      expect(message.content).toMatch(
        /^Here is version (\d+): the list now has more items\.\n\n\[code of version \1 omitted: the latest version is below\]\n\nClick an item/,
      );
    }
  });

  it("keeps the newest user message last, and leaves out whole turns from the oldest", () => {
    const messages = chat(20);
    const context = build(messages, { contextWindow: 12_000, maxOutputTokens: 8_192 });
    if (!context.ok) throw new Error(context.message);
    expect(context.conversation.at(-1)).toEqual(messages.at(-1));
    expect(context.conversation[0].role).toBe("user");
    expect(context.droppedMessages).toBeGreaterThan(0);
    expect(context.droppedMessages % 2).toBe(0);
    // What is left is the most recent part of the chat, in order.
    expect(context.conversation[0].content).toBe(messages[context.droppedMessages].content);
    const roles = context.conversation.map((message) => message.role);
    expect(roles.every((role, index) => role === (index % 2 === 0 ? "user" : "assistant"))).toBe(true);
  });

  it("leaves a short chat as it is, with the model's whole output limit", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "A pomodoro timer" },
      { role: "assistant", content: answer(1) },
      { role: "user", content: "Make it blue" },
    ];
    const context = build(messages, { contextWindow: 32_768, maxOutputTokens: 8_192 });
    expect(context).toMatchObject({ ok: true, conversation: messages, maxTokens: 8_192, droppedMessages: 0 });
  });

  it("keeps the latest version's turn even when older ones must go first", () => {
    // The latest version came two turns ago; the answer after it failed without code.
    const messages = [
      ...chat(6).slice(0, -1),
      { role: "user" as const, content: "Now add a search box" },
      { role: "assistant" as const, content: "Sorry, I could not finish that." },
      { role: "user" as const, content: "Try again please" },
    ];
    const context = build(messages, { contextWindow: 9_000, maxOutputTokens: 4_096 });
    if (!context.ok) throw new Error(context.message);
    expect(context.conversation.some((message) => extractReply(text(message)).code === app(5))).toBe(true);
    expect(context.conversation.at(-1)!.content).toBe("Try again please");
  });

  it("gives the answer what is left when the kept messages leave less than the output limit, down to 1 024", () => {
    const context = build(chat(3), { contextWindow: 6_000, maxOutputTokens: 8_192 });
    if (!context.ok) throw new Error(context.message);
    expect(context.maxTokens).toBe(6_000 - context.promptTokens);
    expect(context.maxTokens).toBeGreaterThanOrEqual(1_024);
  });

  it("refuses with context_too_long when the newest message and the latest code leave no room for an answer", () => {
    const huge: ChatMessage[] = [{ role: "user", content: `Fix this:\n${app(1, 2_000)}` }];
    const context = build(huge);
    expect(context).toMatchObject({ ok: false, code: "context_too_long" });
    if (!context.ok) expect(context.message).toMatch(/too many for this model's 16384-token context/);
  });

  it("names versions as the browser numbers them", () => {
    expect(omittedCodeNote(3)).toBe("[code of version 3 omitted: the latest version is below]");
  });
});

describe("estimateTokens", () => {
  it("counts one token per 3 UTF-8 bytes, rounded up, so multi-byte text is not undercounted", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(2);
    expect(estimateTokens("日本")).toBe(2);
  });
});

describe("buildContext with edit-block answers", () => {
  const pomodoro = extractReply(fakeReply("default")).code;
  const biggerButtons = extractReply(fakeReply("follow-up")).code;
  const title = '      <h1 className="text-3xl font-semibold">🍅 Pomodoro — 集中</h1>';
  const biggerTitle = '      <h1 className="text-5xl font-bold">🍅 Pomodoro — 集中</h1>';
  const titleEdit = `A bigger title:\n\n\`\`\`tsx\n<<<<<<< SEARCH\n${title}\n=======\n${biggerTitle}\n>>>>>>> REPLACE\n\`\`\`\n\nThat's all.`;
  const LARGE: ModelLimits = { contextWindow: 128_000, maxOutputTokens: 8_192 };

  function sent(messages: ChatMessage[]) {
    const context = build(messages, LARGE);
    if (!context.ok) throw new Error(context.message);
    return context.messages.slice(1);
  }

  it("sends the latest version as the complete file when its answer was edit blocks, keeping the answer's prose", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons" },
      { role: "assistant", content: fakeReply("edit") },
      { role: "user", content: "now a bigger title" },
    ];
    const conversation = sent(messages);
    const latest = conversation[3];
    expect(latest.role).toBe("assistant");
    expect(latest.content).not.toContain("<<<<<<< SEARCH");
    const reply = extractReply(text(latest));
    expect(reply).toEqual({ ...extractReply(fakeReply("edit")), code: biggerButtons });
    // The version before it is only a note, its prose kept.
    const first = extractReply(fakeReply("default"));
    expect(conversation[1].content).toBe(`${first.before}\n\n${omittedCodeNote(1)}\n\n${first.after}`);
    expect(conversation.at(-1)).toEqual(messages.at(-1));
  });

  it("omits the code of an older edit-block version too: only the latest version's file is sent, once", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons" },
      { role: "assistant", content: fakeReply("edit") },
      { role: "user", content: "a bigger title" },
      { role: "assistant", content: titleEdit },
      { role: "user", content: "now a long break" },
    ];
    const conversation = sent(messages);
    const edit = extractReply(fakeReply("edit"));
    expect(conversation[3].content).toBe(`${edit.before}\n\n${omittedCodeNote(2)}\n\n${edit.after}`);
    expect(extractReply(text(conversation[5])).code).toBe(biggerButtons.replace(title, biggerTitle));
    const everything = conversation.map((message) => message.content).join("\n");
    expect(everything.split("export default function App").length - 1).toBe(1);
    expect(everything).not.toContain("<<<<<<< SEARCH");
  });

  it("keeps sending the last version that applied when the latest edit answer did not", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: fakeReply("default") },
      { role: "user", content: "bigger buttons" },
      { role: "assistant", content: fakeReply("bad-edit") },
      { role: "user", content: "try again" },
    ];
    const conversation = sent(messages);
    expect(extractReply(text(conversation[1])).code).toBe(pomodoro);
    expect(conversation[1].content).toBe(fakeReply("default"));
    // The failed answer made no version: nothing of it is replaced, and it holds no complete file.
    expect(conversation[3].content).toBe(fakeReply("bad-edit"));
  });
});

describe("buildContext: images", () => {
  const screenshot: MessageImage = { mediaType: "image/png", dataUrl: "data:image/png;base64,iVBORw0KGgo=" };
  const photo: MessageImage = { mediaType: "image/jpeg", dataUrl: "data:image/jpeg;base64,/9j/4AAQ" };
  const images = new Map([
    ["shot", screenshot],
    ["photo", photo],
  ]);
  const LARGE: ModelLimits = { contextWindow: 131_072, maxOutputTokens: 8_192 };

  it("gives a vision model a user message's images as a text part then one image_url part each, in order", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "build this screenshot", images: ["shot", "photo"] },
      { role: "assistant", content: answer(1) },
      { role: "user", content: "now in dark mode" },
    ];
    const context = buildContext({ systemPrompt: SYSTEM_PROMPT, messages, limits: LARGE, images });
    if (!context.ok) throw new Error(context.message);
    expect(context.conversation[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "build this screenshot" },
        { type: "image_url", image_url: { url: screenshot.dataUrl } },
        { type: "image_url", image_url: { url: photo.dataUrl } },
      ],
    });
    // Messages without images stay plain text, exactly as before images existed.
    expect(context.conversation.slice(1)).toEqual([
      { role: "assistant", content: answer(1) },
      { role: "user", content: "now in dark mode" },
    ]);
    expect(context.messages.slice(1)).toEqual(context.conversation);
  });

  it("counts each image as IMAGE_TOKENS in the budget", () => {
    const text = [{ role: "user" as const, content: "build this screenshot" }];
    const plain = buildContext({ systemPrompt: SYSTEM_PROMPT, messages: text, limits: LARGE });
    const withTwo = buildContext({
      systemPrompt: SYSTEM_PROMPT,
      messages: [{ ...text[0], images: ["shot", "photo"] }],
      limits: LARGE,
      images,
    });
    if (!plain.ok || !withTwo.ok) throw new Error("expected both to fit");
    expect(withTwo.promptTokens - plain.promptTokens).toBe(2 * IMAGE_TOKENS);
  });

  it("leaves the ids out for a text-only model (no images given): the message stays its text", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "The user attached a screenshot. Its description: …", images: ["shot"] },
    ];
    const context = buildContext({ systemPrompt: SYSTEM_PROMPT, messages, limits: LARGE });
    if (!context.ok) throw new Error(context.message);
    expect(context.conversation).toEqual([{ role: "user", content: messages[0].content }]);
  });

  it("drops an old turn's images with the turn when the context is short, and refuses when the newest images cannot fit", () => {
    const limits: ModelLimits = { contextWindow: 16_384, maxOutputTokens: 4_096 };
    const messages: ChatMessage[] = [
      { role: "user", content: "build this", images: ["shot", "photo", "shot", "photo"] },
      { role: "assistant", content: "Here it is, no code yet." },
      { role: "user", content: "and this", images: ["shot", "photo"] },
    ];
    const context = buildContext({ systemPrompt: SYSTEM_PROMPT, messages, limits, images });
    if (!context.ok) throw new Error(context.message);
    expect(context.droppedMessages).toBe(2);
    expect(context.conversation).toHaveLength(1);
    expect(context.promptTokens).toBeGreaterThan(2 * IMAGE_TOKENS);

    const tooMany = buildContext({
      systemPrompt: SYSTEM_PROMPT,
      messages: [{ role: "user", content: "all of these", images: ["shot", "photo", "shot", "photo"] }],
      limits: { contextWindow: 8_192, maxOutputTokens: 4_096 },
      images,
    });
    expect(tooMany).toMatchObject({ ok: false, code: "context_too_long" });
  });
});
