/**
 * Answers cut off at the model's output-token limit (finish reason `length`), through Kiln's production
 * relay: an open code block is continued until the app is whole, on providers that take an assistant
 * prefix and on those that are asked for the rest; an answer still cut off ends in `answer_truncated`,
 * never in a `done` that would pass half an app for a finished one.
 */
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CONTINUE_PROMPT } from "../../server/providers/answer-continuation";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { fakeReply } from "../support/fake-reply";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { askOnce } from "../support/read-sse";

const MAX_CONTINUATIONS = 2;

let fake: FakeProvider;
let kiln: KilnServer;

beforeAll(async () => {
  fake = await startFakeProvider();
  const providersFile = `${process.env.TMPDIR ?? "/tmp"}/kiln-length-${process.pid}.json`;
  writeFileSync(
    providersFile,
    JSON.stringify({
      providers: [
        { id: "plain", label: "Plain provider", baseURL: fake.url, models: ["plain-model"] },
        { id: "resumable", label: "Resumable provider", baseURL: fake.url, continuation: true, models: ["resumable-model"] },
      ],
    }),
  );
  kiln = await startKilnServer({ KILN_PROVIDERS: providersFile, KILN_MAX_CONTINUATIONS: String(MAX_CONTINUATIONS) });
});

afterAll(async () => {
  await kiln?.stop();
  await fake?.close();
});

beforeEach(() => fake.reset());

async function ask(prompt: string, model: string) {
  return askOnce(kiln.url, prompt, model);
}

const completions = () => fake.requests.filter((r) => r.path.endsWith("/chat/completions"));

// 60 chunks is past the opening ```tsx of the default reply and far from its end.
const CUT_ONCE = "a pomodoro timer [fake:length-at=60][fake:fail-times=1]";
const CUT_ALWAYS = "a pomodoro timer [fake:length-at=60]";

describe("an answer cut off with its code block open is continued into one seamless answer", () => {
  it("from the assistant prefix on a provider with continuation: one continue event, two requests, the exact reply", async () => {
    const stream = await ask(CUT_ONCE, "resumable-model");
    expect(stream.sequence).toEqual(["meta", "delta", "continue", "delta", "done"]);
    expect(stream.events.find((e) => e.event === "continue")).toEqual({
      event: "continue",
      data: { attempt: 1, reason: "length" },
    });
    expect(stream.text).toBe(fakeReply("default"));
    const [first, second] = completions();
    expect(completions()).toHaveLength(2);
    expect(second.body.messages.at(-1)).toEqual({ role: "assistant", content: first.sentText });
    expect(second.body.continue_final_message).toBe(true);
  });

  it("by asking for the rest on a provider without it, the repeated overlap cut: the exact reply", async () => {
    const stream = await ask(CUT_ONCE, "plain-model");
    expect(stream.sequence).toEqual(["meta", "delta", "continue", "delta", "done"]);
    expect(stream.text).toBe(fakeReply("default"));
    const [first, second] = completions();
    expect(completions()).toHaveLength(2);
    expect(second.body.messages.slice(-2)).toEqual([
      { role: "assistant", content: first.sentText },
      { role: "user", content: CONTINUE_PROMPT },
    ]);
    // The fake repeated the end of the partial answer, as models do; Kiln sent it once.
    expect(second.sentText.length).toBeGreaterThan(fakeReply("default").length - first.sentText.length);
  });
});

describe("an answer cut off every time", () => {
  it.each(["resumable-model", "plain-model"])(
    "on %s ends in answer_truncated after 1 + KILN_MAX_CONTINUATIONS requests, the partial answer kept, never done",
    async (model) => {
      const stream = await ask(CUT_ALWAYS, model);
      expect(completions()).toHaveLength(1 + MAX_CONTINUATIONS);
      expect(stream.events.filter((e) => e.event === "continue").map((e) => e.data)).toEqual([
        { attempt: 1, reason: "length" },
        { attempt: 2, reason: "length" },
      ]);
      expect(stream.sequence).not.toContain("done");
      expect(stream.events.at(-1)).toMatchObject({ event: "error", data: { code: "answer_truncated", retryable: true } });
      expect(fakeReply("default").startsWith(stream.text)).toBe(true);
      expect(stream.text.length).toBeGreaterThan(0);
    },
  );
});

describe("an answer cut off with no code block open is finished as it is", () => {
  it("is a plain done with finishReason length, after one request", async () => {
    const stream = await ask("what is a pomodoro [fake:reply=no-code][fake:length-at=5]", "plain-model");
    // The fake cut the answer at 5 tokens and reported them, as asked (stream_options.include_usage).
    expect(stream.events.at(-1)).toEqual({
      event: "done",
      data: { finishReason: "length", usage: expect.objectContaining({ completionTokens: 5 }) },
    });
    expect(completions()).toHaveLength(1);
  });
});
