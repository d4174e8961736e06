import { describe, expect, it } from "vitest";
import { compileApp } from "./compile-app";

/** A typical generated app: imports, an interface and a type spread over lines, then the component. */
const APP = `import { useState } from "react";
import { Sun as SunIcon } from "lucide-react";

interface Counter {
  label: string;
  step: number;
}

type Mode = "light" | "dark";

export default function App() {
  const [count, setCount] = useState<number>(0);
  const mode: Mode = "light";
  console.log("line 14", mode as string);
  return (
    <button className="p-4" onClick={() => setCount(count + 1)}>
      <SunIcon /> {count}
    </button>
  );
}
`;

function compiled(source: string): string {
  const result = compileApp(source);
  if (!result.ok) throw new Error(`did not compile: ${result.message}`);
  return result.code;
}

/** The 1-based line of the output holding `text`. */
function lineOf(code: string, text: string): number {
  const index = code.split("\n").findIndex((line) => line.includes(text));
  expect(index, `"${text}" in the output`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

describe("compileApp", () => {
  it("keeps every statement on its own line, so errors point at the line the user sees", () => {
    const code = compiled(APP);
    expect(lineOf(APP, 'console.log("line 14"')).toBe(14);
    expect(lineOf(code, 'console.log("line 14"')).toBe(14);
    expect(lineOf(code, "useState(0)")).toBe(12);
    expect(lineOf(code, "function App()")).toBe(11);
    expect(code.split("\n").length).toBe(APP.split("\n").length);
  });

  it("strips the types: interfaces, type aliases, annotations, generics and `as`", () => {
    const code = compiled(APP);
    expect(code).not.toMatch(/interface|type Mode|: Mode|<number>|as string/);
    expect(code).toContain('const mode = "light"');
  });

  it("turns imports into require calls and the default export into exports.default", () => {
    const code = compiled(APP);
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).toContain('require("react/jsx-dev-runtime")');
    expect(code).toMatch(/require\(['"]react['"]\)/);
    expect(code).toMatch(/require\(['"]lucide-react['"]\)/);
    expect(code).toContain("exports.default = App");
  });

  it("compiles JSX for React's development runtime, with the app's file and line for React's warnings", () => {
    const code = compiled(APP);
    expect(code).toContain("jsxDEV");
    expect(code).toContain('"/App.tsx"');
    expect(code).toContain("lineNumber: 16");
  });

  it("reports a syntax error with its line and column, both counted from 1", () => {
    // The `=` on line 2 is its seventh character.
    expect(compileApp("const total = 1;\nconst = 2;\n")).toEqual({ ok: false, message: "Unexpected token", line: 2, column: 7 });
    expect(compileApp("let a: = 1;")).toEqual({ ok: false, message: "Unexpected token", line: 1, column: 8 });
  });

  it("reports an unclosed JSX tag on the line where the parse fails", () => {
    const result = compileApp("export default function App() {\n  return <div>\n    <span>\n  </div>;\n}\n");
    expect(result).toMatchObject({ ok: false, line: 4 });
  });

  it("says only what is wrong: no 'Error transforming /App.tsx: ' prefix, no position in the message", () => {
    for (const filePath of ["/App.tsx", "/components/Chart.tsx"]) {
      const result = compileApp("const = 2;", filePath);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.message).toBe("Unexpected token");
      expect(result.message).not.toContain("Error transforming");
      expect(result.message).not.toContain(filePath);
      expect(result.message).not.toMatch(/\(\d+:\d+\)/);
    }
  });
});
