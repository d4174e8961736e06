/**
 * Tailwind CSS 3 in the frame: the JIT engine of tailwindcss@3.4.19, run on the app's source, gives
 * exactly the CSS of the classes the app uses, with v3's semantics (what models write:
 * `bg-opacity-50`, `shadow-sm`, `ring`…) and no network. This calls Tailwind's own PostCSS pipeline
 * (processTailwindFeatures with a context made from the default config and the app as its only
 * content); scripts/build-preview.ts bundles it for the browser, standing in for the few Node
 * modules Tailwind touches (fs only to read its preflight CSS, which is bundled as text).
 */
import postcss from "postcss";
import processTailwindFeatures from "tailwindcss/lib/processTailwindFeatures.js";
import resolveConfig from "tailwindcss/lib/public/resolve-config.js";

const TAILWIND_ENTRY = "@tailwind base;\n@tailwind components;\n@tailwind utilities;";

type ContextFactory = (options: { createContext: (config: unknown, content: unknown[]) => unknown }) => () => unknown;

const config = interop<(config: object) => unknown>(resolveConfig)({});
const tailwindPlugin = interop<(setup: ContextFactory) => postcss.AcceptedPlugin>(processTailwindFeatures);

/** The stylesheet for an app whose source is `source`. */
export async function tailwindCss(source: string): Promise<string> {
  const plugin = tailwindPlugin(({ createContext }) => () => createContext(config, [{ content: source, extension: "tsx" }]));
  const result = await postcss([plugin]).process(TAILWIND_ENTRY, { from: undefined });
  return result.css;
}

/** Tailwind's lib/ is compiled CommonJS: its default export sits on `.default`. */
function interop<T>(module: unknown): T {
  const value = module as { default?: T };
  return (value.default ?? module) as T;
}
