import { describe, expect, it } from "vitest";
import { extractReply } from "../machines/code-fence";
import { buildContext, estimateTokens, omittedCodeNote, type ModelLimits } from "./context-builder";
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
    const sent = context.messages.reduce((sum, message) => sum + estimateTokens(message.content), 0);
    expect(sent).toBeLessThanOrEqual(context.promptTokens);
  });

  it("sends the latest version's code whole, and only a note for every older version", () => {
    const context = build(chat(20));
    if (!context.ok) throw new Error(context.message);
    const [system, ...conversation] = context.messages;
    expect(system).toEqual({ role: "system", content: SYSTEM_PROMPT });
    const latest = conversation.at(-2)!;
    expect(extractReply(latest.content).code).toBe(app(19));
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
    expect(context.conversation.some((message) => extractReply(message.content).code === app(5))).toBe(true);
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
