/**
 * Arrows run one way: app/ may import server/ and machines/, server/ may import machines/, and
 * machines/ imports neither (it is pure and runs on both sides). A file that breaks this drags
 * browser code into the server or server code toward the browser bundle.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    // Tests may reach across (a test of the prompt checks it against the allowed libraries).
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The folders of the project a file imports from, by relative path or the `~/` alias (app/). */
function importedRooms(file: string): string[] {
  const source = readFileSync(join(ROOT, file), "utf8");
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((match) => match[1]);
  return specifiers.flatMap((specifier) => {
    if (specifier.startsWith("~/")) return ["app"];
    if (!specifier.startsWith(".")) return [];
    const target = join(file, "..", specifier);
    return [target.split("/")[0]];
  });
}

describe("import direction", () => {
  it.each([
    ["server", ["app"]],
    ["machines", ["app", "server"]],
  ])("no file in %s/ imports from %j", (room, forbidden) => {
    const offenders = sources(room).flatMap((file) =>
      importedRooms(file)
        .filter((imported) => forbidden.includes(imported))
        .map((imported) => `${file} → ${imported}/`),
    );
    expect(offenders).toEqual([]);
  });
});
