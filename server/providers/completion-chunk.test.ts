import { createParser } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { recordedStreams } from "../../tests/support/provider-streams";
import { OpeningThinkBlock, parseCompletionFrame } from "./completion-chunk";

const chunk = (choices: unknown[], extra: object = {}) =>
  JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices, ...extra });

describe("parseCompletionFrame", () => {
  it("recognises the [DONE] sentinel that ends a stream, even with stray whitespace", () => {
    expect(parseCompletionFrame("[DONE]")).toEqual({ kind: "done" });
    expect(parseCompletionFrame(" [DONE]\r")).toEqual({ kind: "done" });
  });

  it("reads the text of a content chunk exactly, multi-byte characters and whitespace included", () => {
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { content: "  🍅 café\n" }, finish_reason: null }]))).toEqual({
      kind: "chunk",
      text: "  🍅 café\n",
    });
  });

  it("reads the first chunk, which carries the role and maybe text", () => {
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]))).toEqual({
      kind: "chunk",
      text: "",
    });
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { role: "assistant" }, finish_reason: null }]))).toEqual({
      kind: "chunk",
      text: "",
    });
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { role: "assistant", content: "Here" } }]))).toEqual({
      kind: "chunk",
      text: "Here",
    });
  });

  it("treats null content (tool-call style deltas, some providers' role chunks) as no text", () => {
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { content: null }, finish_reason: null }]))).toEqual({
      kind: "chunk",
      text: "",
    });
  });

  it("reads the finish reason of the last chunk", () => {
    expect(parseCompletionFrame(chunk([{ index: 0, delta: {}, finish_reason: "stop" }]))).toEqual({
      kind: "chunk",
      text: "",
      finishReason: "stop",
    });
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { content: "end" }, finish_reason: "length" }]))).toEqual({
      kind: "chunk",
      text: "end",
      finishReason: "length",
    });
  });

  it("passes Together's `eos` finish reason through for the stream to translate", () => {
    expect(parseCompletionFrame(chunk([{ index: 0, text: "", delta: { content: "" }, finish_reason: "eos" }]))).toMatchObject({
      kind: "chunk",
      finishReason: "eos",
    });
  });

  it("reads token usage from the usage-only chunk with empty choices", () => {
    const frame = parseCompletionFrame(chunk([], { usage: { prompt_tokens: 12, completion_tokens: 340, total_tokens: 352 } }));
    expect(frame).toEqual({ kind: "chunk", text: "", usage: { promptTokens: 12, completionTokens: 340, totalTokens: 352 } });
  });

  it("ignores a null usage on ordinary chunks", () => {
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { content: "a" } }], { usage: null }))).toEqual({
      kind: "chunk",
      text: "a",
    });
  });

  it("reads an error frame whose error is a string", () => {
    expect(parseCompletionFrame(JSON.stringify({ error: "model overloaded" }))).toEqual({
      kind: "error",
      message: "model overloaded",
      status: undefined,
    });
  });

  it("reads an error frame whose error is an object with a textual code, without inventing a status", () => {
    expect(
      parseCompletionFrame(
        JSON.stringify({ error: { message: "The model is overloaded", type: "server_error", code: "overloaded" } }),
      ),
    ).toEqual({ kind: "error", message: "The model is overloaded", status: undefined });
  });

  it("reads an HTTP status from an error frame's numeric code, e.g. 429", () => {
    expect(parseCompletionFrame(JSON.stringify({ error: { message: "Rate limit exceeded", code: 429 } }))).toEqual({
      kind: "error",
      message: "Rate limit exceeded",
      status: 429,
    });
    expect(parseCompletionFrame(JSON.stringify({ error: { message: "busy", code: "503" } }))).toMatchObject({ status: 503 });
  });

  it("does not take a numeric code outside 400-599 for an HTTP status", () => {
    expect(parseCompletionFrame(JSON.stringify({ error: { message: "odd", code: 42 } }))).toMatchObject({
      kind: "error",
      status: undefined,
    });
  });

  it("gives an error frame without a message a readable one", () => {
    const frame = parseCompletionFrame(JSON.stringify({ error: { code: null } }));
    expect(frame.kind).toBe("error");
    if (frame.kind === "error") expect(frame.message.length).toBeGreaterThan(0);
  });

  it("reports a frame that is not JSON as malformed instead of throwing", () => {
    expect(parseCompletionFrame('{"choices": [')).toEqual({ kind: "malformed", reason: "not JSON" });
    expect(parseCompletionFrame("")).toMatchObject({ kind: "malformed" });
  });

  it("reports JSON that is not a completion chunk as malformed", () => {
    expect(parseCompletionFrame(JSON.stringify({ choices: "nope" }))).toEqual({
      kind: "malformed",
      reason: "not a chat.completion.chunk",
    });
    expect(parseCompletionFrame(JSON.stringify({ choices: [{ delta: { content: 42 } }] }))).toMatchObject({ kind: "malformed" });
    expect(parseCompletionFrame("42")).toMatchObject({ kind: "malformed" });
    expect(parseCompletionFrame('"hello"')).toMatchObject({ kind: "malformed" });
    expect(parseCompletionFrame("null")).toMatchObject({ kind: "malformed" });
  });
});

describe("parseCompletionFrame: reasoning", () => {
  const delta = (d: object) => chunk([{ index: 0, delta: d, finish_reason: null }]);

  it("reads DeepSeek's reasoning_content next to null content as reasoning, not text", () => {
    expect(parseCompletionFrame(delta({ role: "assistant", content: null, reasoning_content: "Hmm, the user" }))).toEqual({
      kind: "chunk",
      text: "",
      reasoning: "Hmm, the user",
    });
  });

  it("reads Ollama's and Groq's `reasoning` field", () => {
    expect(parseCompletionFrame(delta({ content: "", reasoning: "We need", channel: "analysis" }))).toEqual({
      kind: "chunk",
      text: "",
      reasoning: "We need",
    });
  });

  it("reads OpenRouter's reasoning once although it sends it in `reasoning` and `reasoning_details`", () => {
    const frame = parseCompletionFrame(
      delta({
        content: "",
        reasoning: "2+2",
        reasoning_details: [
          { type: "reasoning.text", text: "2+2", index: 0 },
          { type: "reasoning.text", signature: "" },
        ],
      }),
    );
    expect(frame).toEqual({ kind: "chunk", text: "", reasoning: "2+2" });
  });

  it("reads Snowflake's reasoning, which is only in reasoning_details[].text", () => {
    expect(
      parseCompletionFrame(delta({ reasoning_details: [{ type: "reasoning.text", text: "15 × 27" }, { text: " = 405" }] })),
    ).toEqual({ kind: "chunk", text: "", reasoning: "15 × 27 = 405" });
  });

  it("takes the first non-empty reasoning field: an empty reasoning_content does not hide `reasoning`", () => {
    expect(parseCompletionFrame(delta({ reasoning_content: "", reasoning: "yes" }))).toMatchObject({ reasoning: "yes" });
    expect(parseCompletionFrame(delta({ reasoning_content: null, reasoning: null, content: "a" }))).toEqual({
      kind: "chunk",
      text: "a",
    });
  });

  it("reads Mistral's array content: text parts are the answer, thinking parts reasoning", () => {
    const frame = parseCompletionFrame(
      delta({
        content: [
          { type: "thinking", thinking: [{ type: "text", text: "Okay, crossing" }] },
          { type: "text", text: "Look left" },
        ],
      }),
    );
    expect(frame).toEqual({ kind: "chunk", text: "Look left", reasoning: "Okay, crossing" });
  });

  it("keeps the reasoning and the finish reason of one chunk together", () => {
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { reasoning: " The user" }, finish_reason: "length" }]))).toEqual({
      kind: "chunk",
      text: "",
      reasoning: " The user",
      finishReason: "length",
    });
  });
});

describe("parseCompletionFrame: error frames in their real shapes", () => {
  it("an `event: error` frame is an error whatever its data looks like", () => {
    const groq = JSON.stringify({
      error: { message: "Tool choice is required", type: "invalid_request_error", code: "tool_use_failed", status_code: 400 },
    });
    expect(parseCompletionFrame(groq, "error")).toEqual({ kind: "error", message: "Tool choice is required", status: undefined });
    expect(parseCompletionFrame(JSON.stringify({ message: "overloaded", code: 503 }), "error")).toEqual({
      kind: "error",
      message: "overloaded",
      status: 503,
    });
    expect(parseCompletionFrame("upstream went away", "error")).toEqual({ kind: "error", message: "upstream went away" });
    expect(parseCompletionFrame(chunk([{ index: 0, delta: { content: "x" } }]), "error")).toMatchObject({ kind: "error" });
  });

  it("an error object inside an ordinary chunk (OpenRouter) is an error, not text", () => {
    const frame = parseCompletionFrame(
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }], {
        error: { code: 400, message: "Token limit reached" },
        usage: { prompt_tokens: 43, completion_tokens: 10, total_tokens: 53 },
      }),
    );
    expect(frame).toEqual({ kind: "error", message: "Token limit reached", status: 400 });
  });

  it("a chunk whose choices are empty (prompt filter, moderation, usage) carries no text", () => {
    expect(parseCompletionFrame(chunk([], { prompt_filter_results: [{ prompt_index: 0 }] }))).toEqual({
      kind: "chunk",
      text: "",
    });
  });
});

describe("OpeningThinkBlock", () => {
  const R1 = "<think>\nThe user wants a recipe — alfajores 🍪.\n</think>\n\nHere is a recipe: 🍪 ok";
  const whole = (pieces: string[]) => {
    const think = new OpeningThinkBlock();
    const out = [...pieces.flatMap((piece) => think.push(piece)), ...think.end()];
    const join = (kind: string) =>
      out
        .filter((p) => p.kind === kind)
        .map((p) => p.text)
        .join("");
    return { answer: join("content"), reasoning: join("reasoning"), pieces: out };
  };

  it("moves a block opening the content to reasoning; the answer starts after it, leading whitespace dropped", () => {
    expect(whole([R1])).toMatchObject({
      answer: "Here is a recipe: 🍪 ok",
      reasoning: "\nThe user wants a recipe — alfajores 🍪.\n",
    });
  });

  it("gives the same answer and reasoning wherever a chunk boundary falls, tags split included", () => {
    const expected = whole([R1]);
    for (let i = 0; i <= R1.length; i++) {
      expect(whole([R1.slice(0, i), R1.slice(i)]), `split at ${i}`).toMatchObject({
        answer: expected.answer,
        reasoning: expected.reasoning,
      });
    }
  });

  it("gives the same result split at every pair of positions, one character per chunk included", () => {
    const text = "  <think>ab</think> \n c";
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        expect(whole([text.slice(0, i), text.slice(i, j), text.slice(j)]), `split at ${i},${j}`).toMatchObject({
          answer: "c",
          reasoning: "ab",
        });
      }
    }
    expect(whole([...text])).toMatchObject({ answer: "c", reasoning: "ab" });
  });

  it("takes a block after leading whitespace too", () => {
    expect(whole(["\n\n ", "<th", "ink>plan</think>", "Answer"])).toMatchObject({ answer: "Answer", reasoning: "plan" });
  });

  it("leaves content that does not open with the block untouched, leading whitespace included", () => {
    for (const content of ["  \n# Title", "<thinking>no</thinking>", "<thin", "Text then <think>x</think>", " < think>"]) {
      for (let i = 0; i <= content.length; i++) {
        expect(whole([content.slice(0, i), content.slice(i)]), `${content} split at ${i}`).toMatchObject({
          answer: content,
          reasoning: "",
        });
      }
    }
  });

  it("passes answer text through as it comes once the answer has started", () => {
    const think = new OpeningThinkBlock();
    expect(think.push("Hello")).toEqual([{ kind: "content", text: "Hello" }]);
    expect(think.push(" <think>")).toEqual([{ kind: "content", text: " <think>" }]);
    expect(think.end()).toEqual([]);
  });

  it("streams reasoning as it comes, holding back only what may be the start of </think>", () => {
    const think = new OpeningThinkBlock();
    expect(think.push("<think>one")).toEqual([{ kind: "reasoning", text: "one" }]);
    expect(think.push(" two </thi")).toEqual([{ kind: "reasoning", text: " two " }]);
    expect(think.push("nk>\n")).toEqual([]);
    expect(think.push("Answer")).toEqual([{ kind: "content", text: "Answer" }]);
  });

  it("an unclosed block (the model ran out of tokens while thinking) is all reasoning, and no answer", () => {
    expect(whole(["<think>still thinking </th"])).toMatchObject({ answer: "", reasoning: "still thinking </th" });
  });

  it("content that is only whitespace is given back at the end", () => {
    expect(whole([" ", "\n"])).toMatchObject({ answer: " \n", reasoning: "" });
  });
});

/** Kiln's reading of a provider body, as provider-stream.server.ts does it, without the network. */
function readStream(body: Uint8Array, slices: number[] | undefined) {
  let answer = "";
  let reasoning = "";
  let finishReason: string | undefined;
  let done = false;
  const errors: string[] = [];
  const malformed: string[] = [];
  const think = new OpeningThinkBlock();
  const take = (pieces: { kind: string; text: string }[]) => {
    for (const piece of pieces) {
      if (piece.kind === "content") answer += piece.text;
      else reasoning += piece.text;
    }
  };
  const parser = createParser({
    onEvent(message) {
      if (done || errors.length > 0) return;
      const frame = parseCompletionFrame(message.data, message.event);
      if (frame.kind === "done") done = true;
      else if (frame.kind === "error") errors.push(frame.message);
      else if (frame.kind === "malformed") malformed.push(frame.reason);
      else {
        if (frame.finishReason) finishReason = frame.finishReason;
        if (frame.reasoning) reasoning += frame.reasoning;
        take(think.push(frame.text));
      }
    },
  });
  const decoder = new TextDecoder();
  if (!slices) parser.feed(decoder.decode(body));
  else {
    for (let start = 0, k = 0; start < body.length; k++) {
      const size = slices[k % slices.length];
      parser.feed(decoder.decode(body.subarray(start, start + size), { stream: true }));
      start += size;
    }
  }
  take(think.end());
  return { answer, reasoning, finishReason, done, errors, malformed };
}

describe("every recorded real provider stream is read into the exact answer and reasoning", () => {
  const streams = recordedStreams();
  const ERRORS: Record<string, string> = {
    "groq-error-midstream.sse": "Tool choice is required, but model did not call a tool",
    "openrouter-error-midstream.sse": "Token limit reached",
  };

  it.each(streams.map((stream) => [stream.file, stream] as const))("%s", (_file, stream) => {
    for (const slices of [undefined, [1], [1, 2, 3, 5, 7, 11, 13]]) {
      const read = readStream(stream.body, slices);
      const how = slices ? `fed in ${slices.join(",")}-byte reads` : "fed whole";
      expect(read.answer, how).toBe(stream.answer);
      expect(read.reasoning, how).toBe(stream.reasoning);
      expect(read.malformed, how).toEqual([]);
      expect(read.answer, how).not.toContain("\uFFFD");
      if (ERRORS[stream.file]) {
        expect(read.errors, how).toEqual([ERRORS[stream.file]]);
      } else {
        expect(read.errors, how).toEqual([]);
        expect(read.done, how).toBe(stream.recorded.done);
        expect(read.finishReason ?? null, how).toBe(stream.recorded.finishReason);
      }
    }
  });

  it("the two <think> streams have their block moved to reasoning and their answer starting after it", () => {
    for (const file of ["together-r1-think.sse", "groq-r1-think-raw.sse"]) {
      const stream = streams.find((s) => s.file === file)!;
      expect(stream.recorded.content.startsWith("<think>")).toBe(true);
      expect(stream.answer).not.toContain("</think>");
      expect(stream.answer).toMatch(/^\S/);
      expect(stream.reasoning.length).toBeGreaterThan(1000);
    }
  });

  it("a <think> stream split at every byte of its opening tag still gives the exact answer and reasoning", () => {
    const stream = streams.find((s) => s.file === "groq-r1-think-raw.sse")!;
    // Groq escapes the tag as \u003cthink\u003e: the first frames hold it, split them everywhere.
    const head = stream.body.indexOf("\n\n", stream.body.indexOf("think")) + 2;
    for (let i = 1; i < head; i++) {
      const read = readStream(stream.body, [i, stream.body.length]);
      expect(read.answer, `split at byte ${i}`).toBe(stream.answer);
      expect(read.reasoning, `split at byte ${i}`).toBe(stream.reasoning);
    }
  });
});
