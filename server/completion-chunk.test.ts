import { describe, expect, it } from "vitest";
import { parseCompletionFrame } from "./completion-chunk";

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
