/**
 * The vendored libraries, shared by the bundles the frame loads. The React bundle registers React
 * once; the lucide-react and recharts bundles (loaded only when an app imports them) and the frame
 * runtime itself take React from here instead of bundling their own copy (scripts/build-preview.ts
 * rewrites their `react` imports to `sharedModule`). A global is the only link between separately
 * loaded scripts.
 */
type ModuleTable = Record<string, unknown>;

declare global {
  var __kilnPreviewModules: ModuleTable | undefined;
}

export function registerModules(modules: ModuleTable): void {
  globalThis.__kilnPreviewModules = { ...globalThis.__kilnPreviewModules, ...modules };
}

/** A registered module, or undefined when its bundle has not been loaded. */
export function sharedModule(specifier: string): unknown {
  return globalThis.__kilnPreviewModules?.[specifier];
}
