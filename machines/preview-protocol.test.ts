import { describe, expect, it } from "vitest";
import {
  APP_ENTRY,
  describePreviewError,
  frameMessage,
  parseFrameMessage,
  parseRunMessage,
  PREVIEW_PROTOCOL,
  readFrameMessage,
  runMessage,
} from "./preview-protocol";

const app = "export default function App() {\n  return <h1>Hello</h1>;\n}";
const envelope = { kiln: "preview", protocol: PREVIEW_PROTOCOL };
/** Stand-ins for `iframe.contentWindow` and for any other window that can post to Kiln's page. */
const frame = { name: "preview frame" };
const otherWindow = { name: "an extension" };

describe("the run message (host → frame)", () => {
  it("carries the version and its files, and the frame reads it back unchanged", () => {
    const message = runMessage(3, { [APP_ENTRY]: app });
    expect(message).toEqual({ kiln: "preview", protocol: 1, type: "run", version: 3, files: { "/App.tsx": app } });
    expect(parseRunMessage(message)).toEqual(message);
  });

  it("survives the structured clone of postMessage (a plain JSON round trip)", () => {
    const message = runMessage(1, { [APP_ENTRY]: app, "/utils.ts": "export const x = 1;" });
    expect(parseRunMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it.each([
    ["nothing at all", undefined],
    ["null", null],
    ["a string", "run"],
    ["a number", 42],
    ["a message without the envelope", { type: "run", version: 1, files: { [APP_ENTRY]: app } }],
    ["another app's message", { kiln: "other", protocol: 1, type: "run", version: 1, files: { [APP_ENTRY]: app } }],
    ["a newer protocol", { ...runMessage(1, { [APP_ENTRY]: app }), protocol: 2 }],
    ["a frame's message", { ...envelope, type: "ready" }],
    ["version 0", runMessage(0, { [APP_ENTRY]: app })],
    ["a negative version", runMessage(-1, { [APP_ENTRY]: app })],
    ["a fractional version", runMessage(1.5, { [APP_ENTRY]: app })],
    ["a version as text", { ...runMessage(1, { [APP_ENTRY]: app }), version: "1" }],
    ["no files", { ...envelope, type: "run", version: 1 }],
    ["empty files", runMessage(1, {})],
    ["files without the app entry", runMessage(1, { "/Main.tsx": app })],
    ["a file that is not text", { ...runMessage(1, { [APP_ENTRY]: app }), files: { [APP_ENTRY]: 7 } }],
    ["files as a list", { ...runMessage(1, { [APP_ENTRY]: app }), files: [app] }],
  ])("refuses %s", (_, data) => {
    expect(parseRunMessage(data)).toBeNull();
  });
});

describe("the frame's messages (frame → host)", () => {
  it.each([
    { type: "ready" as const },
    { type: "rendered" as const, version: 2 },
    { type: "error" as const, version: 2, kind: "compile" as const, message: "Unexpected token", line: 12, column: 5 },
    { type: "error" as const, version: 2, kind: "runtime" as const, message: "x is not defined" },
  ])("a $type message is wrapped in the envelope and read back unchanged", (report) => {
    const message = frameMessage(report);
    expect(message).toEqual({ kiln: "preview", protocol: 1, ...report });
    expect(parseFrameMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it("keeps the start of a huge error message (a whole stack trace) and drops the blank around it", () => {
    const parsed = parseFrameMessage({
      ...envelope,
      type: "error",
      version: 1,
      kind: "runtime",
      message: `  ${"x".repeat(10_000)}\n`,
    });
    expect(parsed?.type === "error" && parsed.message).toBe("x".repeat(4000));
  });

  it.each([
    ["null", null],
    ["a string", "ready"],
    ["an array", [{ ...envelope, type: "ready" }]],
    ["a message without the envelope", { type: "ready" }],
    ["a message from another protocol version", { kiln: "preview", protocol: 2, type: "ready" }],
    ["an unknown type", { ...envelope, type: "hello" }],
    ["the host's own run message", runMessage(1, { [APP_ENTRY]: app })],
    ["rendered without a version", { ...envelope, type: "rendered" }],
    ["rendered with a negative version", { ...envelope, type: "rendered", version: -2 }],
    ["an error of an unknown kind", { ...envelope, type: "error", version: 1, kind: "syntax", message: "bad" }],
    ["a timeout claimed by the frame", { ...envelope, type: "error", version: 1, kind: "timeout", message: "slow" }],
    ["an error whose message is not text", { ...envelope, type: "error", version: 1, kind: "runtime", message: { text: "bad" } }],
    ["an error with an empty message", { ...envelope, type: "error", version: 1, kind: "runtime", message: "   " }],
    ["an error at line 0", { ...envelope, type: "error", version: 1, kind: "compile", message: "bad", line: 0 }],
    [
      "an error at a fractional column",
      { ...envelope, type: "error", version: 1, kind: "compile", message: "bad", line: 1, column: 1.5 },
    ],
  ])("refuses %s", (_, data) => {
    expect(parseFrameMessage(data)).toBeNull();
  });
});

describe("reading a message event on Kiln's page", () => {
  const rendered = frameMessage({ type: "rendered", version: 1 });

  it("accepts a valid message from the preview frame", () => {
    expect(readFrameMessage({ source: frame, data: rendered }, frame)).toEqual(rendered);
  });

  it('ignores the same message posted by another window (every opaque origin is "null", so only the source tells them apart)', () => {
    expect(readFrameMessage({ source: otherWindow, data: rendered }, frame)).toBeNull();
    expect(readFrameMessage({ source: null, data: rendered }, frame)).toBeNull();
  });

  it("ignores everything while there is no frame yet", () => {
    expect(readFrameMessage({ source: null, data: rendered }, null)).toBeNull();
    expect(readFrameMessage({ source: undefined, data: rendered }, undefined)).toBeNull();
  });

  it("ignores a malformed message even from the frame (the generated app can post too)", () => {
    expect(readFrameMessage({ source: frame, data: { type: "rendered", version: 1 } }, frame)).toBeNull();
    expect(readFrameMessage({ source: frame, data: "hello" }, frame)).toBeNull();
  });
});

describe("describing a preview error in one line", () => {
  it("names the kind and the place of the error", () => {
    expect(describePreviewError({ kind: "compile", message: "Unexpected token", line: 12, column: 5 })).toBe(
      "Compile error at line 12, column 5: Unexpected token",
    );
    expect(describePreviewError({ kind: "import", message: "'react-router' is not available", line: 3 })).toBe(
      "Import error at line 3: 'react-router' is not available",
    );
    expect(
      describePreviewError({ kind: "runtime", message: "Cannot read properties of undefined (reading 'map')", line: 40 }),
    ).toBe("Runtime error at line 40: Cannot read properties of undefined (reading 'map')");
  });

  it("leaves out the place when the frame does not know it", () => {
    expect(describePreviewError({ kind: "runtime", message: "x is not defined" })).toBe("Runtime error: x is not defined");
  });

  it("says the app did not finish rendering for a timeout, without saying it twice", () => {
    expect(describePreviewError({ kind: "timeout", message: "it may be stuck in a loop." })).toBe(
      "The app did not finish rendering: it may be stuck in a loop.",
    );
    const machineMessage = "The app did not finish rendering within 10 s; it may be stuck in a loop.";
    expect(describePreviewError({ kind: "timeout", message: machineMessage })).toBe(machineMessage);
  });
});
