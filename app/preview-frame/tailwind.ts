/**
 * Tailwind CSS 3 in the frame: the JIT engine of tailwindcss@3.4.19, run on the app's source, gives
 * exactly the CSS of the classes the app uses, with v3's semantics (what models write:
 * `bg-opacity-50`, `shadow-sm`, `ring`…) and no network. This calls Tailwind's own PostCSS pipeline
 * (processTailwindFeatures) with a context made from the default config; the app's source is the
 * context's only content. scripts/build-preview.ts bundles it for the browser, standing in for the
 * few Node modules Tailwind touches (fs only to read its preflight CSS, bundled as text).
 */
import postcss from "postcss";
import processTailwindFeatures from "tailwindcss/lib/processTailwindFeatures.js";
import { createContext } from "tailwindcss/lib/lib/setupContextUtils.js";
import resolveConfig from "tailwindcss/lib/public/resolve-config.js";

const TAILWIND_ENTRY = "@tailwind base;\n@tailwind components;\n@tailwind utilities;";

interface TailwindContext {
  changedContent: Array<{ content: string; extension: string }>;
}

type ContextSetup = () => () => TailwindContext;

const config = interop<(config: object) => unknown>(resolveConfig)({});
const tailwindPlugin = interop<(setup: ContextSetup) => postcss.AcceptedPlugin>(processTailwindFeatures);

let prepared: TailwindContext | undefined;

/**
 * Builds Tailwind's context (every core plugin registered: most of the first run's cost) before the
 * app arrives, so a frame that waits for its run (the host's spare frame) answers it faster.
 */
export function prepareTailwind(): void {
  prepared ??= createContext(config, [], postcss.root()) as TailwindContext;
}

/** The stylesheet for an app whose source is `source`. A frame runs one app, so this runs once. */
export async function tailwindCss(source: string): Promise<string> {
  prepareTailwind();
  const context = prepared!;
  prepared = undefined;
  context.changedContent = [{ content: source, extension: "tsx" }];
  const result = await postcss([tailwindPlugin(() => () => context)]).process(TAILWIND_ENTRY, { from: undefined });
  return result.css;
}

/** Tailwind's lib/ is compiled CommonJS: its default export sits on `.default`. */
function interop<T>(module: unknown): T {
  const value = module as { default?: T };
  return (value.default ?? module) as T;
}
