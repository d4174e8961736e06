import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SYSTEM_PROMPT } from "../server/system-prompt";
import { ALLOWED_LIBRARIES, allowedPackageList, libraryOf } from "./allowed-libraries";

function packageJson(path: string): { version: string; dependencies: Record<string, string> } {
  return JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
}

const names = ALLOWED_LIBRARIES.map((library) => library.name);

describe("ALLOWED_LIBRARIES", () => {
  it("lists React, react-dom, lucide-react and recharts, once each", () => {
    expect(names).toEqual(["react", "react-dom", "lucide-react", "recharts"]);
  });

  it.each(ALLOWED_LIBRARIES.map((library) => [library.name, library.version]))(
    "%s %s is the exact version package.json pins, so the preview runs what the model was told",
    (name, version) => {
      expect(packageJson("../package.json").dependencies[name]).toBe(version);
    },
  );

  it.each(ALLOWED_LIBRARIES.map((library) => [library.name, library.version]))(
    "%s %s is the version installed in node_modules, which the preview build bundles",
    (name, version) => {
      expect(packageJson(`../node_modules/${name}/package.json`).version).toBe(version);
    },
  );

  it("gives no two libraries the same specifier", () => {
    const specifiers = ALLOWED_LIBRARIES.flatMap((library) => library.specifiers);
    expect(new Set(specifiers).size).toBe(specifiers.length);
  });
});

describe("libraryOf", () => {
  it("maps every allowed specifier, subpaths included, to its library", () => {
    for (const library of ALLOWED_LIBRARIES) {
      for (const specifier of library.specifiers) expect(libraryOf(specifier), specifier).toBe(library);
    }
    expect(libraryOf("react/jsx-runtime")?.name).toBe("react");
    expect(libraryOf("react-dom/client")?.name).toBe("react-dom");
  });

  it.each([
    "axios",
    "./x",
    "/App.tsx",
    "@/components/ui/button",
    "react-dom/server",
    "lucide-react/icons/sun",
    "React",
    "framer-motion",
    "",
  ])("refuses %o: apps may not import it", (specifier) => {
    expect(libraryOf(specifier)).toBeUndefined();
  });
});

describe("the system prompt", () => {
  it("names every allowed package, so the model knows what it may import", () => {
    for (const name of names) expect(SYSTEM_PROMPT).toContain(`"${name}"`);
    expect(SYSTEM_PROMPT).toContain(allowedPackageList());
  });
});
