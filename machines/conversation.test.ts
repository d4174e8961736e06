import { describe, expect, it } from "vitest";
import { toRequestMessages, type ChatMessage } from "./conversation";

const user = (content: string): ChatMessage => ({ role: "user", content, state: "complete" });
const answer = (content: string, state: ChatMessage["state"] = "complete"): ChatMessage => ({
  role: "assistant",
  content,
  state,
});

describe("toRequestMessages", () => {
  it("sends a plain conversation as it is, without the UI-only state", () => {
    const messages = [user("a pomodoro timer"), answer("Here it is."), user("make it blue")];
    expect(toRequestMessages(messages)).toEqual([
      { role: "user", content: "a pomodoro timer" },
      { role: "assistant", content: "Here it is." },
      { role: "user", content: "make it blue" },
    ]);
  });

  it("keeps an answer that was cut short but has text, so the model sees what it already wrote", () => {
    const messages = [user("a timer"), answer("Here is a timer", "stopped"), user("go on")];
    expect(toRequestMessages(messages)).toEqual([
      { role: "user", content: "a timer" },
      { role: "assistant", content: "Here is a timer" },
      { role: "user", content: "go on" },
    ]);
  });

  it("drops empty and blank answers", () => {
    const messages = [user("a timer"), answer("", "failed"), answer(" \n\t ", "stopped")];
    expect(toRequestMessages(messages)).toEqual([{ role: "user", content: "a timer" }]);
  });

  it("joins two prompts in a row (a follow-up after a failed, empty answer) so roles alternate", () => {
    const messages = [user("a timer"), answer("", "failed"), user("with a dark theme")];
    expect(toRequestMessages(messages)).toEqual([{ role: "user", content: "a timer\n\nwith a dark theme" }]);
  });

  it("joins any run of same-role messages, not just pairs, and keeps alternation after it", () => {
    const messages = [user("one"), user("two"), user("three"), answer("A"), answer("B"), user("four")];
    expect(toRequestMessages(messages)).toEqual([
      { role: "user", content: "one\n\ntwo\n\nthree" },
      { role: "assistant", content: "A\n\nB" },
      { role: "user", content: "four" },
    ]);
  });

  it("never changes the conversation it is given", () => {
    const messages = [user("one"), user("two")];
    const copy = structuredClone(messages);
    toRequestMessages(messages);
    expect(messages).toEqual(copy);
  });

  it("sends nothing for an empty conversation", () => {
    expect(toRequestMessages([])).toEqual([]);
  });

  it("sends a prompt's image ids with it, and only where there are some", () => {
    const messages = [{ ...user("build this"), images: ["a", "b"] }, answer("Here."), { ...user("bigger"), images: [] }];
    expect(toRequestMessages(messages)).toEqual([
      { role: "user", content: "build this", images: ["a", "b"] },
      { role: "assistant", content: "Here." },
      { role: "user", content: "bigger" },
    ]);
  });

  it("joins the images of two prompts in a row along with their text", () => {
    const messages = [{ ...user("a timer"), images: ["a"] }, answer("", "failed"), { ...user("like this"), images: ["b"] }];
    expect(toRequestMessages(messages)).toEqual([{ role: "user", content: "a timer\n\nlike this", images: ["a", "b"] }]);
    expect(messages[0].images).toEqual(["a"]);
  });
});
