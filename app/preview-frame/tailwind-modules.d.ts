// Tailwind 3's internals that tailwind.ts calls; they ship as untyped CommonJS.
declare module "tailwindcss/lib/processTailwindFeatures.js";
declare module "tailwindcss/lib/public/resolve-config.js";
declare module "tailwindcss/lib/css/preflight.css" {
  const css: string;
  export default css;
}
declare module "tailwindcss/lib/lib/setupContextUtils.js" {
  export function createContext(config: unknown, changedContent: unknown[], root: unknown): unknown;
}
