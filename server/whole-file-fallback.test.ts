import { describe, expect, it, vi } from "vitest";
import { extractReply } from "../machines/code-fence";
import { EDIT_FAILED, EDIT_NOT_APPLIED, type WireEvent } from "../machines/wire-events";
import { fakeReply } from "../tests/support/fake-reply";
import { withWholeFileFallback, type WholeFileFallbackOptions } from "./whole-file-fallback";

const base = extractReply(fakeReply("default")).code;

/** The text as a provider streams it: pieces of a few characters, cut anywhere (inside markers too). */
function deltas(text: string, size = 7): WireEvent[] {
  const events: WireEvent[] = [];
  for (let at = 0; at < text.length; at += size) events.push({ event: "delta", data: { text: text.slice(at, at + size) } });
  return events;
}

/** One completion: meta, the answer's deltas, done. `tokens` tells the two completions' `done` apart. */
function completion(text: string, requestId: string, tokens: number): WireEvent[] {
  return [
    { event: "meta", data: { requestId, provider: "fake", model: "fake-coder" } },
    ...deltas(text),
    { event: "done", data: { finishReason: "stop", usage: { completionTokens: tokens } } },
  ];
}

async function* stream(events: WireEvent[]): AsyncGenerator<WireEvent> {
  for (const event of events) {
    await Promise.resolve();
    yield event;
  }
}

async function run(options: Partial<WholeFileFallbackOptions> & Pick<WholeFileFallbackOptions, "answer">) {
  const events: WireEvent[] = [];
  const askForWholeFile = vi.fn(options.askForWholeFile ?? (() => stream([])));
  const onEditFailed = vi.fn();
  for await (const event of withWholeFileFallback({ base, onEditFailed, ...options, askForWholeFile })) events.push(event);
  return { events, askForWholeFile, onEditFailed };
}

const answerText = (events: WireEvent[]) =>
  events.reduce((text, event) => (event.event === "delta" ? text + event.data.text : event.event === "reset" ? "" : text), "");

describe("withWholeFileFallback", () => {
  it("passes a whole-file answer through unchanged and never asks again", async () => {
    const first = completion(fakeReply("follow-up"), "r1", 111);
    const { events, askForWholeFile, onEditFailed } = await run({ answer: stream(first) });
    expect(events).toEqual(first);
    expect(askForWholeFile).not.toHaveBeenCalled();
    expect(onEditFailed).not.toHaveBeenCalled();
  });

  it("passes an answer without code through unchanged", async () => {
    const first = completion(fakeReply("no-code"), "r1", 111);
    const { events, askForWholeFile } = await run({ answer: stream(first) });
    expect(events).toEqual(first);
    expect(askForWholeFile).not.toHaveBeenCalled();
  });

  it("passes edit blocks that apply through unchanged, done included", async () => {
    const first = [
      { event: "reasoning", data: { text: "The user wants bigger buttons." } } as WireEvent,
      ...completion(fakeReply("edit"), "r1", 111),
    ];
    const { events, askForWholeFile, onEditFailed } = await run({ answer: stream(first) });
    expect(events).toEqual(first);
    expect(askForWholeFile).not.toHaveBeenCalled();
    expect(onEditFailed).not.toHaveBeenCalled();
  });

  it("resets edit blocks that do not apply and asks once for the whole file: the first deltas, the reset, then the second answer", async () => {
    const first = completion(fakeReply("bad-edit"), "r1", 111);
    const second = completion(fakeReply("follow-up"), "r2", 222);
    let seenWhenAsked: WireEvent[] | undefined;
    const events: WireEvent[] = [];
    const askForWholeFile = vi.fn(() => {
      seenWhenAsked = [...events];
      return stream(second);
    });
    for await (const event of withWholeFileFallback({ base, answer: stream(first), askForWholeFile })) events.push(event);

    expect(events).toEqual([...first.slice(0, -1), { event: "reset", data: { reason: EDIT_NOT_APPLIED } }, ...second]);
    expect(askForWholeFile).toHaveBeenCalledTimes(1);
    // Asked only once the failed answer was over and the reset was sent.
    expect(seenWhenAsked).toEqual(events.slice(0, first.length));
    // The first answer's done never reaches the browser: only the second one finishes the turn.
    expect(events.filter((event) => event.event === "done")).toEqual([second.at(-1)]);
    expect(extractReply(answerText(events)).code).toBe(extractReply(fakeReply("follow-up")).code);
  });

  it("accepts edit blocks that apply as the second answer too", async () => {
    const second = completion(fakeReply("edit"), "r2", 222);
    const { events, onEditFailed } = await run({
      answer: stream(completion(fakeReply("bad-edit"), "r1", 111)),
      askForWholeFile: () => stream(second),
    });
    expect(events.slice(-second.length)).toEqual(second);
    expect(events.filter((event) => event.event === "error")).toEqual([]);
    expect(onEditFailed).toHaveBeenCalledTimes(1);
  });

  it("reports the failure of the first answer as attempt 1, with the code and block of the failure", async () => {
    const { onEditFailed } = await run({
      answer: stream(completion(fakeReply("bad-edit"), "r1", 111)),
      askForWholeFile: () => stream(completion(fakeReply("follow-up"), "r2", 222)),
    });
    expect(onEditFailed.mock.calls).toEqual([[expect.objectContaining({ ok: false, code: "edit_no_match", blockIndex: 0 }), 1]]);
  });

  it("ends with exactly one retryable edit_failed error, and no done, when the second answer does not apply either", async () => {
    const first = completion(fakeReply("bad-edit"), "r1", 111);
    const second = completion(fakeReply("bad-edit"), "r2", 222);
    const { events, askForWholeFile, onEditFailed } = await run({ answer: stream(first), askForWholeFile: () => stream(second) });

    expect(askForWholeFile).toHaveBeenCalledTimes(1);
    expect(events.filter((event) => event.event === "done")).toEqual([]);
    const errors = events.filter((event) => event.event === "error");
    expect(errors).toEqual([
      {
        event: "error",
        data: {
          code: EDIT_FAILED,
          retryable: true,
          message: expect.stringMatching(/even when asked for the whole file: Edit block 1 searches/),
        },
      },
    ]);
    expect(events.at(-1)).toBe(errors[0]);
    expect(events).toEqual([
      ...first.slice(0, -1),
      { event: "reset", data: { reason: EDIT_NOT_APPLIED } },
      ...second.slice(0, -1),
      errors[0],
    ]);
    expect(onEditFailed.mock.calls.map(([failure, attempt]) => [failure.code, attempt])).toEqual([
      ["edit_no_match", 1],
      ["edit_no_match", 2],
    ]);
  });

  it("passes an error of the first completion through without asking again, even after edit blocks that do not apply", async () => {
    const first: WireEvent[] = [
      { event: "meta", data: { requestId: "r1", provider: "fake", model: "fake-coder" } },
      ...deltas(fakeReply("bad-edit")),
      { event: "error", data: { code: "provider_unavailable", message: "The provider is down.", retryable: true } },
    ];
    const { events, askForWholeFile, onEditFailed } = await run({ answer: stream(first) });
    expect(events).toEqual(first);
    expect(askForWholeFile).not.toHaveBeenCalled();
    expect(onEditFailed).not.toHaveBeenCalled();
  });

  it("counts only the text after a reset inside the first completion: good edits after a reset of bad ones are kept", async () => {
    const first: WireEvent[] = [
      ...deltas(fakeReply("bad-edit")),
      { event: "reset", data: { reason: "fallback" } },
      ...completion(fakeReply("edit"), "r1b", 111),
    ];
    const { events, askForWholeFile } = await run({ answer: stream(first) });
    expect(events).toEqual(first);
    expect(askForWholeFile).not.toHaveBeenCalled();
  });

  it("counts only the text after a reset inside the first completion: bad edits after a reset of good ones fall back", async () => {
    const first: WireEvent[] = [
      ...deltas(fakeReply("edit")),
      { event: "reset", data: { reason: "fallback" } },
      ...completion(fakeReply("bad-edit"), "r1b", 111),
    ];
    const second = completion(fakeReply("follow-up"), "r2", 222);
    const { events, askForWholeFile } = await run({ answer: stream(first), askForWholeFile: () => stream(second) });
    expect(askForWholeFile).toHaveBeenCalledTimes(1);
    expect(events).toEqual([...first.slice(0, -1), { event: "reset", data: { reason: EDIT_NOT_APPLIED } }, ...second]);
  });

  it("reads the answer across a continue (the same answer goes on after the output limit)", async () => {
    const text = fakeReply("bad-edit");
    const cut = text.indexOf("=======");
    const first: WireEvent[] = [
      ...deltas(text.slice(0, cut)),
      { event: "continue", data: { attempt: 1, reason: "length" } },
      ...deltas(text.slice(cut)),
      { event: "done", data: { finishReason: "stop" } },
    ];
    const { events, askForWholeFile } = await run({
      answer: stream(first),
      askForWholeFile: () => stream(completion(fakeReply("follow-up"), "r2", 222)),
    });
    expect(askForWholeFile).toHaveBeenCalledTimes(1);
    expect(events[first.length - 1]).toEqual({ event: "reset", data: { reason: EDIT_NOT_APPLIED } });
  });

  it("does not fall back without a version to edit (base undefined): the answer and its done pass through", async () => {
    const first = completion(fakeReply("bad-edit"), "r1", 111);
    const { events, askForWholeFile, onEditFailed } = await run({ base: undefined, answer: stream(first) });
    expect(events).toEqual(first);
    expect(askForWholeFile).not.toHaveBeenCalled();
    expect(onEditFailed).not.toHaveBeenCalled();
  });

  it("checks the blocks against the base it is given: the same blocks fail on another version", async () => {
    const first = completion(fakeReply("edit"), "r1", 111);
    const biggerButtons = extractReply(fakeReply("follow-up")).code;
    const { events, askForWholeFile } = await run({
      base: biggerButtons,
      answer: stream(first),
      askForWholeFile: () => stream(completion(fakeReply("follow-up"), "r2", 222)),
    });
    expect(askForWholeFile).toHaveBeenCalledTimes(1);
    expect(events).toContainEqual({ event: "reset", data: { reason: EDIT_NOT_APPLIED } });
  });
});
