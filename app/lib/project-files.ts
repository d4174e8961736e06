/**
 * The "Download project" files: a Vite + React 18 + TypeScript + Tailwind 3 project that runs the
 * app outside Kiln with `npm install && npm run dev`. Pure: the app's code and the chat's title in,
 * path → text out; app/lib/project-zip.ts packs it. The app's own libraries come at the versions the
 * preview runs (machines/allowed-libraries.ts, the one list), Tailwind at the version the preview's
 * JIT is (app/preview-frame/tailwind.ts; a test holds it to package.json's pin). The build tools are
 * pinned to versions that install and build on Node 20 (tests/integration/project-build.test.ts).
 */
import { ALLOWED_LIBRARIES } from "../../machines/allowed-libraries";

/** The tools the project builds with; none of them is in the app's bundle. */
export const PROJECT_DEV_DEPENDENCIES: Readonly<Record<string, string>> = {
  "@types/react": "18.3.31",
  "@types/react-dom": "18.3.7",
  "@vitejs/plugin-react": "4.7.0",
  autoprefixer: "10.4.27",
  postcss: "8.5.33",
  tailwindcss: "3.4.19",
  typescript: "5.9.3",
  vite: "6.4.6",
};

/** Where the app's code goes in the project. */
export const PROJECT_APP_PATH = "src/App.tsx";

const FALLBACK_SLUG = "kiln-app";
const MAX_SLUG_LENGTH = 48;

/**
 * The title as a file and package name: lowercase ASCII letters, digits and dashes ("A pomodoro
 * timer — 集中" → "a-pomodoro-timer"), accents dropped, cut to at most 48 characters at a word's end; "kiln-app" when
 * nothing is left. Valid as an npm package name.
 */
export function projectSlug(title: string): string {
  const words = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (words.length <= MAX_SLUG_LENGTH) return words || FALLBACK_SLUG;
  // Cut at the last whole word that fits (a single overlong word is cut where it must be).
  const cut = words.slice(0, MAX_SLUG_LENGTH + 1).lastIndexOf("-");
  return words.slice(0, cut > 0 ? cut : MAX_SLUG_LENGTH);
}

/** `<slug>-v<N>.zip`: the download's file name for version N of a chat. */
export function projectZipName(title: string, version: number): string {
  return `${projectSlug(title)}-v${version}.zip`;
}

/** Every file of the project, by path (forward slashes, no leading slash). */
export function projectFiles({ code, title }: { code: string; title: string }): Record<string, string> {
  const name = projectSlug(title);
  const shownTitle = title.trim() || "A Kiln app";
  return {
    "package.json": json(packageJson(name)),
    "index.html": indexHtml(shownTitle),
    "vite.config.ts": VITE_CONFIG,
    "tsconfig.json": json(TSCONFIG),
    "tailwind.config.js": TAILWIND_CONFIG,
    "postcss.config.js": POSTCSS_CONFIG,
    ".gitignore": "node_modules\ndist\n",
    "src/main.tsx": MAIN_TSX,
    "src/index.css": "@tailwind base;\n@tailwind components;\n@tailwind utilities;\n",
    "src/vite-env.d.ts": '/// <reference types="vite/client" />\n',
    [PROJECT_APP_PATH]: code,
    "README.md": readme(shownTitle),
  };
}

function packageJson(name: string) {
  return {
    name,
    private: true,
    version: "0.0.0",
    type: "module",
    scripts: {
      dev: "vite",
      // No `tsc` before the build: the preview runs the app without checking types, so must this.
      build: "vite build",
      preview: "vite preview",
      typecheck: "tsc --noEmit",
    },
    dependencies: Object.fromEntries(ALLOWED_LIBRARIES.map((library) => [library.name, library.version])),
    devDependencies: { ...PROJECT_DEV_DEPENDENCIES },
  };
}

/**
 * What the preview compiles (TSX, React's automatic JSX runtime, ES modules), checked strictly when
 * asked (`npm run typecheck`, an editor), but never part of the build. Unused imports and variables
 * are allowed: models leave them behind, and they are not errors in the preview either.
 */
const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "DOM", "DOM.Iterable"],
    module: "ESNext",
    moduleResolution: "Bundler",
    jsx: "react-jsx",
    strict: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    isolatedModules: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
  },
  include: ["src"],
};

const VITE_CONFIG = `import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
});
`;

const TAILWIND_CONFIG = `/** @type {import('tailwindcss').Config} */
export default {
  content: ["./index.html", "./src/**/*.{ts,tsx}"],
  theme: { extend: {} },
  plugins: [],
};
`;

const POSTCSS_CONFIG = `export default {
  plugins: {
    tailwindcss: {},
    autoprefixer: {},
  },
};
`;

/** Rendered as Kiln's preview renders it: no StrictMode, so effects run once, as they did there. */
const MAIN_TSX = `import { createRoot } from "react-dom/client";
import App from "./App";
import "./index.css";

createRoot(document.getElementById("root")!).render(<App />);
`;

function indexHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <meta name="generator" content="Kiln" />
    <title>${escapeHtml(title)}</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
`;
}

function readme(title: string): string {
  const libraries = ALLOWED_LIBRARIES.map((library) => `${library.name} ${library.version}`).join(", ");
  return `# ${title.replace(/[\r\n]+/g, " ")}

Made with Kiln: a React app written from a prompt. The app is \`src/App.tsx\`;
everything else is a standard Vite + React 18 + TypeScript + Tailwind CSS 3 project around it.

## Run it

Needs Node.js 20 or newer.

\`\`\`sh
npm install && npm run dev
\`\`\`

Then open the address Vite prints (http://localhost:5173).

| command             | what it does                                               |
| ------------------- | ---------------------------------------------------------- |
| \`npm run dev\`       | the development server, with hot reload                    |
| \`npm run build\`     | a production build into \`dist/\` (\`npm run preview\` serves it) |
| \`npm run typecheck\` | TypeScript's type check (\`tsc --noEmit\`)                   |

## Why the build does not type-check

\`npm run build\` is \`vite build\`, not \`tsc && vite build\`: Kiln's preview ran this app without
checking its types, so a harmless type error (an untyped \`useState([])\`, say) must not stop the
build of an app that works. Run \`npm run typecheck\` to see them; your editor shows them too.

## Versions

The app's libraries are pinned to the versions Kiln's preview ran it with (${libraries}), and
Tailwind CSS to ${PROJECT_DEV_DEPENDENCIES.tailwindcss}, so it looks and behaves as it did there.
`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
