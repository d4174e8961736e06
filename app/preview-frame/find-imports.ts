/**
 * The imports of an app's source, found before it runs: which vendored bundles the frame must load,
 * and a clear error (with the line) for a package or name the preview cannot provide, instead of
 * React's "Element type is invalid… got: undefined" at render time. Pure; type-only imports are
 * skipped because the compiler erases them.
 */

export interface FoundImport {
  specifier: string;
  /** Names imported by `{ a, b as c }` (the exported names, `a` and `b`); type-only ones left out. */
  names: string[];
  /** 1-based line of the `import` keyword. */
  line: number;
}

// `import … from "x"`, `import "x"` and `export … from "x"`, across lines; strings and comments are
// not parsed, so an import-like line inside a template string would be read too (harmless: it names a
// module the app then really cannot use).
const IMPORT = /(?:^|[;\n])[ \t]*(import|export)\s+(type\s+)?(?:([\w$*\s{},]+?)\s+from\s+)?(["'])([^"'\n]+)\4/g;

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
