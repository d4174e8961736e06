/**
 * A newcomer follows the paths that the README, docs/ and code comments name: each must exist.
 * Paths are recognised by their first folder (one of the project's own) and are checked as written,
 * relative to the repository root; generated folders (build/, data/) are not named this way.
 */
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const ROOMS = "app|server|machines|tests|bench|scripts|docs|public|drizzle";
const PATH = new RegExp(`(?<![\\w./-])(?:${ROOMS})/[\\w.$-]+(?:/[\\w.$-]+)*/?`, "g");

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
});
