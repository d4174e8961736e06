/**
 * The recorded bodies of real providers (the provider-streams folder of the shared folder beside the
 * repository; its SOURCES.md says where each comes from) and what Kiln must make of each: the answer
 * and the reasoning, by the wire protocol's rule (docs/wire-protocol.md). A missing folder fails the
 * tests that read it, loudly: CI always has it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROVIDER_STREAMS_DIR } from "./fake-provider";

/** What SOURCES.md lists for a file: `content` is every `delta.content` as sent, `<think>` included. */
export interface RecordedExpectation {
  content: string;
  reasoning: string;
  finishReason: string | null;
  done: boolean;
}

export interface RecordedStream {
  file: string;
  body: Buffer;
  recorded: RecordedExpectation;
  /** The answer Kiln must stream: the content, with a `<think>` block opening it moved to reasoning. */
  answer: string;
  /** The reasoning Kiln must stream: the reasoning fields', then the opening `<think>` block's. */
  reasoning: string;
}

export function recordedStreams(): RecordedStream[] {
  const expectedFile = join(PROVIDER_STREAMS_DIR, "expected.json");
  if (!existsSync(expectedFile)) {
    throw new Error(
      `The recorded provider streams are missing: expected ${expectedFile} (the shared folder beside the repository).`,
    );
  }
  const expected = JSON.parse(readFileSync(expectedFile, "utf8")) as Record<string, RecordedExpectation>;
  const files = readdirSync(PROVIDER_STREAMS_DIR)
    .filter((file) => file.endsWith(".sse"))
    .sort();
  const unlisted = files.filter((file) => !expected[file]);
  if (files.length === 0 || unlisted.length > 0) {
    throw new Error(`${PROVIDER_STREAMS_DIR} has no .sse files, or expected.json does not list: ${unlisted.join(", ")}`);
  }
  return files.map((file) => {
    const recorded = expected[file];
    const { answer, thought } = splitOpeningThink(recorded.content);
    return {
      file,
      body: readFileSync(join(PROVIDER_STREAMS_DIR, file)),
      recorded,
      answer,
      reasoning: recorded.reasoning + thought,
    };
  });
}

/**
 * The rule, written plainly: content that opens (after whitespace) with `<think>` has its reasoning up
 * to `</think>`; the answer is the rest, its leading whitespace dropped.
 */
export function splitOpeningThink(content: string): { answer: string; thought: string } {
  const opening = /^\s*<think>/.exec(content);
  if (!opening) return { answer: content, thought: "" };
  const close = content.indexOf("</think>", opening[0].length);
  if (close < 0) return { answer: "", thought: content.slice(opening[0].length) };
  return { answer: content.slice(close + "</think>".length).trimStart(), thought: content.slice(opening[0].length, close) };
}
