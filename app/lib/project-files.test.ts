import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALLOWED_LIBRARIES } from "../../machines/allowed-libraries";
import { extractReply } from "../../machines/code-fence";
import { fakeReply } from "../../tests/support/fake-reply";
import { PROJECT_DEV_DEPENDENCIES, projectFiles, projectSlug, projectZipName } from "./project-files";

const code = extractReply(fakeReply("default")).code;
const files = projectFiles({ code, title: "A pomodoro timer" });

function kilnPackage(path: string): { version: string; dependencies: Record<string, string> } {
  return JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
}

describe("projectFiles", () => {
  it("holds every file a Vite + React + TypeScript + Tailwind project needs to run, and nothing else", () => {
    expect(Object.keys(files).sort()).toEqual(
      [
        ".gitignore",
        "README.md",
        "index.html",
        "package.json",
        "postcss.config.js",
        "src/App.tsx",
        "src/index.css",
        "src/main.tsx",
        "src/vite-env.d.ts",
        "tailwind.config.js",
        "tsconfig.json",
        "vite.config.ts",
      ].sort(),
    );
  });

  it("puts the app's code into src/App.tsx byte for byte", () => {
    expect(files["src/App.tsx"]).toBe(code);
    const awkward = "export default function App() {\r\n  return <p>🍅 集中 — café</p>;  \r\n}";
    expect(projectFiles({ code: awkward, title: "x" })["src/App.tsx"]).toBe(awkward);
  });

  it("pins the app's libraries to exactly the versions the preview runs", () => {
    const pkg = JSON.parse(files["package.json"]);
    expect(pkg.dependencies).toEqual(Object.fromEntries(ALLOWED_LIBRARIES.map((library) => [library.name, library.version])));
    expect(pkg.dependencies).toMatchObject({ react: "18.3.1", "react-dom": "18.3.1" });
  });

  it("pins Tailwind to the version of the preview's JIT, which package.json pins and node_modules holds", () => {
    const pkg = JSON.parse(files["package.json"]);
    expect(pkg.devDependencies.tailwindcss).toBe(kilnPackage("../../package.json").dependencies.tailwindcss);
    expect(pkg.devDependencies.tailwindcss).toBe(kilnPackage("../../node_modules/tailwindcss/package.json").version);
    expect(pkg.devDependencies.tailwindcss).toMatch(/^3\./);
  });

  it("pins every build tool to an exact version", () => {
    const pkg = JSON.parse(files["package.json"]);
    expect(pkg.devDependencies).toEqual(PROJECT_DEV_DEPENDENCIES);
    for (const name of [
      "vite",
      "@vitejs/plugin-react",
      "typescript",
      "@types/react",
      "@types/react-dom",
      "postcss",
      "autoprefixer",
    ])
      expect(pkg.devDependencies[name], name).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies["@types/react"]).toMatch(/^18\./);
  });

  it("builds with `vite build` alone, so a type error the preview ignored cannot fail the build", () => {
    const pkg = JSON.parse(files["package.json"]);
    expect(pkg.scripts).toMatchObject({ dev: "vite", build: "vite build", typecheck: "tsc --noEmit" });
    expect(pkg).toMatchObject({ name: "a-pomodoro-timer", private: true, type: "module" });
  });

  it("writes valid JSON with the compiler settings the preview compiles with", () => {
    const tsconfig = JSON.parse(files["tsconfig.json"]);
    expect(tsconfig.compilerOptions).toMatchObject({ jsx: "react-jsx", module: "ESNext", isolatedModules: true, noEmit: true });
  });

  it("loads Tailwind's three layers and scans the app for classes", () => {
    expect(files["src/index.css"]).toBe("@tailwind base;\n@tailwind components;\n@tailwind utilities;\n");
    expect(files["tailwind.config.js"]).toContain('"./src/**/*.{ts,tsx}"');
    expect(files["postcss.config.js"]).toMatch(/tailwindcss: \{\},\s+autoprefixer: \{\}/);
    expect(files["src/main.tsx"]).toContain('import "./index.css";');
  });

  it("mounts the default export into index.html's root, titled with the chat's title (escaped)", () => {
    expect(files["src/main.tsx"]).toContain('import App from "./App";');
    expect(files["index.html"]).toContain('<div id="root"></div>');
    expect(files["index.html"]).toContain('<script type="module" src="/src/main.tsx"></script>');
    expect(files["index.html"]).toContain("<title>A pomodoro timer</title>");
    const html = projectFiles({ code, title: `<script>alert("x")</script> & co` })["index.html"];
    expect(html).toContain("<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</title>");
    expect(html).not.toContain("<script>alert");
  });

  it("says in the README how to run it, that Kiln made it, and why the build does not type-check", () => {
    const readme = files["README.md"];
    expect(readme).toMatch(/^# A pomodoro timer\n/);
    expect(readme).toContain("npm install && npm run dev");
    expect(readme).toContain("Made with Kiln");
    expect(readme).toContain("`vite build`, not `tsc && vite build`");
    for (const library of ALLOWED_LIBRARIES) expect(readme).toContain(`${library.name} ${library.version}`);
  });

  it("takes the libraries' versions from machines/allowed-libraries.ts instead of writing them again", () => {
    const source = readFileSync(new URL("./project-files.ts", import.meta.url), "utf8");
    for (const library of ALLOWED_LIBRARIES) expect(source).not.toContain(`"${library.version}"`);
  });
});

describe("projectSlug", () => {
  it.each([
    ["A pomodoro timer", "a-pomodoro-timer"],
    ["Pomodoro — 集中 🍅", "pomodoro"],
    ["Café crème: a menu!", "cafe-creme-a-menu"],
    ["  --Todo   list--  ", "todo-list"],
    ["集中", "kiln-app"],
    ["", "kiln-app"],
    [
      "A very long title that goes on and on about a dashboard with charts and icons",
      "a-very-long-title-that-goes-on-and-on-about-a",
    ],
    ["A long title with a dashboard, and charts and icons", "a-long-title-with-a-dashboard-and-charts-and"],
    ["x".repeat(60), "x".repeat(48)],
  ])("%o → %o", (title, slug) => {
    expect(projectSlug(title)).toBe(slug);
    expect(slug.length).toBeLessThanOrEqual(48);
  });

  it("names the download after the title and the version", () => {
    expect(projectZipName("A pomodoro timer", 3)).toBe("a-pomodoro-timer-v3.zip");
  });
});
