/**
 * A newcomer follows the paths that the README, docs/ and code comments name: each must exist.
 * Paths are recognised by their first folder (one of the project's own) and are checked as written,
 * relative to the repository root; generated folders (build/, data/) are not named this way.
 * Nor may they send the reader outside the repository: the clone is all a newcomer has. And every
 * decision record is listed in docs/decisions/README.md and gives the parts of its template.
 */
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const ROOMS = "app|server|machines|tests|bench|scripts|docs|public|drizzle";
const PATH = new RegExp(`(?<![\\w./-])(?:${ROOMS})/[\\w.$-]+(?:/[\\w.$-]+)*/?`, "g");
// The design notes Kiln was planned from and the shared folder beside a checkout are not in the clone:
// what they said belongs in docs/, in the repository's own words.
const OUTSIDE = new RegExp(String.raw`\bDESIGN\.md\b|\.\./shared/`, "g");
// The real-apps browser test reads its apps from the shared folder beside the clone at run time (CI
// puts it there, and the test fails saying so when it is missing), so its comments name that folder.
const MAY_NAME_OUTSIDE = new Set(["tests/e2e/real-apps.spec.ts"]);

function files(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (["node_modules", "build", "test-results"].includes(name)) return [];
    return statSync(join(ROOT, path)).isDirectory() ? files(path, keep) : keep(path) ? [path] : [];
  });
}

/** The comment text of a source file: line comments and block comments. */
function comments(source: string): string {
  return [...source.matchAll(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g)].map((match) => match[0]).join("\n");
}

function missingPaths(text: string): string[] {
  const named = [...text.matchAll(PATH)].map((match) => match[0].replace(/[.,:;)]+$/, "").replace(/\/$/, ""));
  return [...new Set(named)].filter((path) => !existsSync(join(ROOT, path)));
}

describe("paths named in the docs and comments", () => {
  const docs = ["README.md", ...files("docs", (path) => path.endsWith(".md"))];
  it.each(docs)("every path %s names exists", (doc) => {
    expect(missingPaths(readFileSync(join(ROOT, doc), "utf8"))).toEqual([]);
  });

  const sources = ["app", "server", "machines", "tests", "bench", "scripts"].flatMap((dir) =>
    files(dir, (path) => /\.(ts|tsx|js)$/.test(path)),
  );
  it("every path a code comment names exists", () => {
    const missing = sources.flatMap((source) =>
      missingPaths(comments(readFileSync(join(ROOT, source), "utf8"))).map(
        (path) => `${relative(ROOT, join(ROOT, source))}: ${path}`,
      ),
    );
    expect(missing).toEqual([]);
  });

  it("no doc or code comment points outside the repository", () => {
    const texts = [
      ...docs.map((doc) => [doc, readFileSync(join(ROOT, doc), "utf8")]),
      ...sources
        .filter((source) => !MAY_NAME_OUTSIDE.has(source))
        .map((source) => [source, comments(readFileSync(join(ROOT, source), "utf8"))]),
    ];
    const outside = texts.flatMap(([file, text]) => [...text.matchAll(OUTSIDE)].map((match) => `${file}: ${match[0]}`));
    expect(outside).toEqual([]);
  });
});

describe("decision records", () => {
  // The parts of the template in docs/decisions/README.md, in the order every record gives them.
  const PARTS: [string, RegExp][] = [
    ["Date and Status", /^Date: \d{4}-\d{2}-\d{2}\. Status: (accepted|superseded by \d{3})\.$/m],
    ["Context", /^Context:/m],
    ["Decision", /^Decision:/m],
    ["Consequences", /^Consequences:/m],
    ["Alternatives rejected", /^Alternatives rejected:/m],
  ];
  const index = readFileSync(join(ROOT, "docs/decisions/README.md"), "utf8");
  const records = files("docs/decisions", (path) => /\/\d{3}-[\w-]+\.md$/.test(path));

  it.each(records)("%s is in the index and follows the template", (record) => {
    const text = readFileSync(join(ROOT, record), "utf8");
    expect(index).toContain(`(${record.split("/").pop()})`);
    const found = PARTS.map(([name, part]) => [name, text.search(part)] as const);
    expect(found.filter(([, at]) => at < 0).map(([name]) => name)).toEqual([]);
    expect(found.map(([name]) => name)).toEqual([...found].sort((a, b) => a[1] - b[1]).map(([name]) => name));
  });
});
