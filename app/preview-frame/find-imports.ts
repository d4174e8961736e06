/**
 * The imports of an app, found before it runs: which vendored bundles the frame must load, and a
 * clear error (with the line) for a package or name the preview cannot provide, instead of React's
 * "Element type is invalid… got: undefined" at render time. Pure. Which modules the app really
 * loads is read from the compiled code (`findRequires`: the compiler has already dropped type-only
 * imports, and an import-like line in a comment or a string never becomes a `require`); the names
 * imported from each are read from the source (`findImports`).
 */

export interface FoundImport {
  specifier: string;
  /** Names imported by `{ a, b as c }` (the exported names, `a` and `b`); type-only ones left out. */
  names: string[];
  /** 1-based line of the `import` keyword. */
  line: number;
}

// `import … from "x"`, `import "x"` and `export … from "x"`, across lines. Strings and comments are
// not parsed, so an import-like line inside one is read too: only its names are used, and only for
// modules the compiled code really requires.
const IMPORT = /(?:^|[;\n])[ \t]*(import|export)\s+(type\s+)?(?:([\w$*\s{},]+?)\s*from\s*)?(["'])([^"'\n]+)\4/g;

// The compiler turns every import that survives type erasure into `require('x')` on the same line.
const REQUIRE = /\brequire\((["'])([^"'\n]+)\1\)/g;

export interface RequiredModule {
  specifier: string;
  /** 1-based line; the compiler keeps the source's lines. */
  line: number;
}

/** The modules compiled code requires, in order of first use, once each. */
export function findRequires(compiled: string): RequiredModule[] {
  const found = new Map<string, RequiredModule>();
  for (const match of compiled.matchAll(REQUIRE)) {
    const specifier = match[2];
    if (!found.has(specifier)) found.set(specifier, { specifier, line: lineAt(compiled, match.index) });
  }
  return [...found.values()];
}

export function findImports(source: string): FoundImport[] {
  const found: FoundImport[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const [, keyword, typeOnly, clause = "", , specifier] = match;
    if (typeOnly) continue;
    if (keyword === "export" && !clause.includes("{") && !clause.includes("*")) continue;
    const start = match.index + match[0].indexOf(keyword);
    found.push({ specifier, names: namedImports(clause), line: lineAt(source, start) });
  }
  return found;
}

function namedImports(clause: string): string[] {
  const braces = /\{([^}]*)\}/.exec(clause);
  if (!braces) return [];
  return braces[1]
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith("type "))
    .map((part) => part.split(/\s+as\s+/)[0].trim())
    .filter((name) => name !== "default");
}

export function lineAt(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}
