import { describe, expect, it } from "vitest";
import { compileApp } from "./compile-app";
import { findImports, findRequires, lineAt } from "./find-imports";

describe("findImports", () => {
  it("finds default, named, namespace and side-effect imports, each with its line counted from 1", () => {
    const source = [
      'import React from "react";',
      'import { useState, useEffect } from "react";',
      'import * as Icons from "lucide-react";',
      'import "./styles.css";',
      "",
      "export default function App() {",
      "  return null;",
      "}",
    ].join("\n");
    expect(findImports(source)).toEqual([
      { specifier: "react", names: [], line: 1 },
      { specifier: "react", names: ["useState", "useEffect"], line: 2 },
      { specifier: "lucide-react", names: [], line: 3 },
      { specifier: "./styles.css", names: [], line: 4 },
    ]);
  });

  it("finds a default import beside named ones, in single quotes", () => {
    expect(findImports("import React, { useMemo } from 'react';")).toEqual([{ specifier: "react", names: ["useMemo"], line: 1 }]);
  });

  it("reads braces spread over several lines, reporting the line of the `import` keyword", () => {
    const source = ["// a chart", "import {", "  LineChart,", "  Line,", "  XAxis,", '} from "recharts";'].join("\n");
    expect(findImports(source)).toEqual([{ specifier: "recharts", names: ["LineChart", "Line", "XAxis"], line: 2 }]);
  });

  it("reports the exported name of an `as` rename, which is the one the library must have", () => {
    expect(findImports('import { Sun as SunIcon, Moon } from "lucide-react";')[0].names).toEqual(["Sun", "Moon"]);
  });

  it("leaves `default` out of the names: the library's default export is not a named one", () => {
    expect(findImports('import { default as Chart } from "recharts";')[0].names).toEqual([]);
  });

  it("finds re-exports with `export … from`, but not a plain export", () => {
    const source = [
      'export { Sun as Light } from "lucide-react";',
      'export * from "recharts";',
      'export * as Dom from "react-dom";',
      "export const answer = 42;",
      "export default function App() { return null; }",
    ].join("\n");
    expect(findImports(source)).toEqual([
      { specifier: "lucide-react", names: ["Sun"], line: 1 },
      { specifier: "recharts", names: [], line: 2 },
      { specifier: "react-dom", names: [], line: 3 },
    ]);
  });

  it("skips `import type` and `export type`, which the compiler erases", () => {
    const source = [
      'import type { FC } from "react";',
      'import type Props from "./props";',
      'export type { Mode } from "./mode";',
    ].join("\n");
    expect(findImports(source)).toEqual([]);
  });

  it("leaves inline `type X` specifiers out of the names", () => {
    expect(findImports('import { useState, type Dispatch, type SetStateAction as Set } from "react";')).toEqual([
      { specifier: "react", names: ["useState"], line: 1 },
    ]);
  });

  it("finds imports after a statement on the same line, and on lines ending in CRLF", () => {
    expect(findImports('const a = 1; import { b } from "recharts"')).toEqual([{ specifier: "recharts", names: ["b"], line: 1 }]);
    expect(findImports('import a from "react";\r\nimport { b } from "recharts";\r\n').map((found) => found.line)).toEqual([1, 2]);
  });

  it("does not take an import in a line comment, or a dynamic import(), for an import", () => {
    const source = ['// import axios from "axios";', 'const later = () => import("recharts");', 'const word = "import";'].join(
      "\n",
    );
    expect(findImports(source)).toEqual([]);
  });
});

describe("lineAt", () => {
  it("counts lines from 1, the newline itself ending its line", () => {
    const source = "ab\ncd\n\nef";
    expect(lineAt(source, 0)).toBe(1);
    expect(lineAt(source, 2)).toBe(1);
    expect(lineAt(source, 3)).toBe(2);
    expect(lineAt(source, 6)).toBe(3);
    expect(lineAt(source, 7)).toBe(4);
  });
});

describe("findRequires (what the compiled app really loads)", () => {
  const required = (source: string) => {
    const compiled = compileApp(source);
    if (!compiled.ok) throw new Error(compiled.message);
    return findRequires(compiled.code);
  };

  it("lists each module once with the line of its import, keeping the source's lines", () => {
    const source =
      'import { useState } from "react";\n\nimport { Play } from"lucide-react";\nimport { Pause } from "lucide-react";\nexport default () => <Play size={useState(4)[0]} />;';
    expect(required(source).filter((m) => !m.specifier.includes("jsx"))).toEqual([
      { specifier: "react", line: 1 },
      { specifier: "lucide-react", line: 3 },
    ]);
  });

  it("leaves out imports the compiler erases (type-only, or never used) and import-like text in comments and strings", () => {
    const source = [
      'import { type Schema } from "zod";',
      'import type { Axios } from "axios";',
      '// import moment from "moment";',
      'const help = `import lodash from "lodash"`;',
      "export default function App() { return null; }",
    ].join("\n");
    expect(required(source).map((m) => m.specifier)).toEqual([]);
  });
});
