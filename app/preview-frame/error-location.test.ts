import { describe, expect, it } from "vitest";
import { compileApp } from "./compile-app";
import { appLineOf, messageOf } from "./error-location";

/** An Error with the stack a browser would give it. */
function thrownWith(stack: string): Error {
  const error = new Error("boom");
  error.stack = stack;
  return error;
}

describe("appLineOf", () => {
  it("reads the line of the app's frame from a V8 stack", () => {
    const error = thrownWith(
      "TypeError: Cannot read properties of undefined (reading 'map')\n" +
        "    at List (/App.tsx:23:18)\n" +
        "    at renderWithHooks (http://127.0.0.1:3000/preview/assets/react-OZOW3W76.js:1:5000)",
    );
    expect(appLineOf(error)).toBe(23);
  });

  it("reads a Firefox or Safari stack too", () => {
    expect(appLineOf(thrownWith("List@/App.tsx:7:3\nrenderWithHooks@http://127.0.0.1:3000/preview/assets/react.js:1:9"))).toBe(7);
  });

  it("takes the innermost of the app's frames, where the error was thrown", () => {
    expect(appLineOf(thrownWith("Error: boom\n    at total (/App.tsx:4:11)\n    at App (/App.tsx:12:5)"))).toBe(4);
  });

  it("is undefined when no frame is in the app: thrown inside a library, or no stack at all", () => {
    expect(
      appLineOf(thrownWith("Error: boom\n    at render (http://127.0.0.1:3000/preview/assets/recharts-X.js:1:200)")),
    ).toBeUndefined();
    const stackless = new Error("boom");
    stackless.stack = undefined;
    expect(appLineOf(stackless)).toBeUndefined();
  });

  it("is undefined for something thrown that is not an Error, even one with a stack-like field", () => {
    expect(appLineOf("boom")).toBeUndefined();
    expect(appLineOf({ stack: "at App (/App.tsx:3:1)" })).toBeUndefined();
    expect(appLineOf(undefined)).toBeUndefined();
  });

  it("matches the source URL exactly, its dot included", () => {
    expect(appLineOf(thrownWith("at App (/AppXtsx:3:1)"))).toBeUndefined();
    expect(appLineOf(thrownWith("at Chart (/Chart.tsx:9:2)"), "/Chart.tsx")).toBe(9);
  });

  it("gives the user's line for an error thrown by compiled code evaluated as /App.tsx", () => {
    const source = [
      "interface Row {",
      "  total: number;",
      "}",
      "export default function App() {",
      "  const rows: Row[] = [];",
      "  return rows[0].total;",
      "}",
    ].join("\n");
    const compiled = compileApp(source);
    if (!compiled.ok) throw new Error(compiled.message);
    // As the frame runs it: wrapped without a line in front, named by its sourceURL.
    const module: { exports: { default?: () => unknown } } = { exports: {} };
    const factory = (0, eval)(`(function (require, module, exports) {${compiled.code}\n})\n//# sourceURL=/App.tsx`);
    factory(() => ({}), module, module.exports);
    let thrown: unknown;
    try {
      module.exports.default!();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(appLineOf(thrown)).toBe(6);
  });
});

describe("messageOf", () => {
  it("shows an Error's message, or its name when the message is empty", () => {
    expect(messageOf(new TypeError("rows is undefined"))).toBe("rows is undefined");
    expect(messageOf(new RangeError())).toBe("RangeError");
  });

  it("shows a thrown string as it is", () => {
    expect(messageOf("out of cheese")).toBe("out of cheese");
  });

  it("shows any other thrown value as JSON after 'Uncaught'", () => {
    expect(messageOf({ code: 42, reason: "nope" })).toBe('Uncaught {"code":42,"reason":"nope"}');
    expect(messageOf(7)).toBe("Uncaught 7");
    expect(messageOf(null)).toBe("Uncaught null");
  });

  it("still gives a line for a value JSON cannot write", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(messageOf(circular)).toBe("Uncaught [object Object]");
    expect(messageOf(10n)).toBe("Uncaught 10");
  });
});
